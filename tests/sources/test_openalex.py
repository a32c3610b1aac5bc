"""OpenAlex works: lists, API pages and JSON Lines; abstracts rebuilt from the inverted index, authorships, ids."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources import detect_format
from nbkit.sources.openalex import rebuild_abstract
from tests.conftest import FIXTURES, plain

OPENALEX = FIXTURES / "openalex"
PEERJ_ABSTRACT = ("Despite growing interest in Open Access (OA) to scholarly literature, there is an unmet need for "
                  "large-scale, up-to-date, and reproducible studies assessing the prevalence and characteristics "
                  "of OA.")


def test_a_list_of_works():
    corpus = load_corpus([OPENALEX / "works.json"])
    entry = corpus.report.files[0]
    assert entry.format == "openalex"
    assert (entry.blocks, entry.listing_blocks, entry.rejected) == (4, 3, 1)
    rows = plain(corpus.listings).set_index("openalex_id")
    peerj = rows.loc["W2741809807"]
    assert peerj.title == ("The state of OA: a large-scale analysis of the prevalence and impact of Open Access "
                           "articles")
    assert peerj.abstract == PEERJ_ABSTRACT
    # The third authorship has no matched author: its raw name is used, and every authorship counts.
    assert (peerj.authors, peerj.authors_count) == ("Heather Piwowar; Jason Priem; Stefanie Haustein", 3)
    assert (peerj.doi, peerj.pmid, peerj.arxiv_id) == ("10.7717/peerj.4375", "29456894", None)
    assert (peerj.published, peerj.date_precision) == (pd.Timestamp("2018-02-13"), "day")
    assert peerj.categories == ["scientometrics and bibliometrics research", "Open Access and Scholarly Publishing"]
    assert peerj["flags"] == []
    preprint = rows.loc["W4390606281"]
    # A null inverted index is no abstract; no publication_date: the year; concepts stand in for topics.
    assert preprint.abstract is None and preprint["flags"] == ["missing_abstract"]
    assert (preprint.published, preprint.date_precision) == (pd.Timestamp("2024-01-01"), "year")
    assert (preprint.arxiv_id, preprint.doi) == ("2401.02954", "10.48550/arxiv.2401.02954")  # from the DOI
    assert preprint.categories == ["Computer science", "Artificial intelligence"]
    nips = rows.loc["W2963403868"]
    assert nips.abstract == "The dominant sequence transduction models are complex recurrent models"
    assert (nips.arxiv_id, nips.authors_count) == ("1706.03762", 4)  # from the arxiv.org location
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(4, "OpenAlex work without a title")]


def test_a_results_page():
    corpus = load_corpus([OPENALEX / "results_page.json"])
    assert corpus.report.files[0].format == "openalex"
    assert corpus.listings["openalex_id"].tolist() == ["W2741809807", "W4390606281"]
    assert corpus.listings["source_line"].tolist() == [1, 2]  # places in the results array


def test_json_lines_of_works_with_a_broken_line():
    corpus = load_corpus([OPENALEX / "works.jsonl"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.listing_blocks, entry.rejected) == ("openalex", 3, 2, 1)
    assert corpus.listings["source_line"].tolist() == [1, 4]
    assert corpus.listings["openalex_id"].tolist() == ["W2963403868", "W2741809807"]
    assert [r.line for r in corpus.report.rejections] == [3]
    assert corpus.report.rejections[0].reason.startswith("invalid JSON (Unterminated string")


def test_the_same_works_from_a_page_and_a_list_merge():
    corpus = load_corpus([OPENALEX / "works.json", OPENALEX / "results_page.json"])
    assert (corpus.report.totals["listings"], corpus.report.totals["papers"]) == (5, 3)


@pytest.mark.parametrize(("index", "text"), [
    ({"b": [1], "a": [0, 2]}, "a b a"),
    ({"gap": [0, 3], "x": [1]}, "gap x gap"),  # position 2 held by no word: skipped, not invented
    ({}, None),
    (None, None),
    ({"w": "not positions"}, None),
])
def test_rebuild_abstract(index, text):
    assert rebuild_abstract(index) == text


def test_a_work_too_long_for_the_sniff_window_is_detected_by_its_keys(tmp_path):
    work = json.loads((OPENALEX / "works.json").read_text(encoding="utf-8"))[0]
    work["referenced_works"] = [f"https://openalex.org/W{i}" for i in range(4000)]  # ~120 KB of references
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"meta": {"count": 1}, "results": [work]}), encoding="utf-8")
    assert detect_format(path, path.read_bytes()[:65536]) == "openalex"
    assert load_corpus([path]).listings["openalex_id"].tolist() == ["W2741809807"]


def test_a_column_mapping_is_not_applied_to_works_and_says_so():
    corpus = load_corpus([OPENALEX / "works.json"], columns={"title": "display_name"})
    assert corpus.report.files[0].warnings == [
        "column mapping not used: openalex records have fixed fields (pass --format json to map them yourself)"]


def test_the_doi_is_passed_as_written_so_the_loader_normalizes_or_flags_it():
    # `https://doi.org/10.1109/CVPR.2016.90` comes out normalized; `https://doi.org/not-a-doi` is no DOI:
    # dropped and flagged, not lost silently.
    rows = plain(load_corpus([OPENALEX / "malformed_doi.jsonl"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [[1, "10.1109/cvpr.2016.90", []], [2, None, ["invalid_doi"]]]

