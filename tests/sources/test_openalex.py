"""OpenAlex works: lists, API pages and JSON Lines; abstracts rebuilt from the inverted index, authorships, ids."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources import JSON_READERS, detect_format, read_file
from nbkit.sources.base import ParsedFile
from nbkit.sources.openalex import _plain_names, add_typed_work, rebuild_abstract
from nbkit.sources.records import read_json_records
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



TYPED = OPENALEX / "typed_fallbacks.jsonl"
OPENALEX_READER = next(r for r in JSON_READERS if r.name == "openalex")


def _read(path, *, typed):
    """What the OpenAlex reader gives for a file, with or without the typed path."""
    parsed = ParsedFile(path=str(path), name=path.name, format="openalex", collection=path.stem)
    with path.open(encoding="utf-8") as lines:
        read_json_records(lines, parsed, OPENALEX_READER.add, OPENALEX_READER.looks_like, None,
                          OPENALEX_READER.fields, OPENALEX_READER.fast if typed else None)
    listings = parsed.listings
    return (parsed.blocks, parsed.listing_blocks, parsed.rejections, listings.source_line, listings.title,
            listings.abstract, listings.sparse)


def test_works_that_fit_the_typed_shape_are_read_from_it_and_the_others_generically():
    parsed = ParsedFile(path=str(TYPED), name=TYPED.name, format="openalex", collection="t")
    lines = TYPED.read_text(encoding="utf-8").splitlines()
    taken = [add_typed_work(parsed, line, number) for number, line in enumerate(lines, 1)]
    # Generic: 2 a null authorship, 3 an author without a display name, 5 the year as a string, 6 a numeric
    # PMID, 7 a topic as a string, 8 a display name that needs cleaning, 10 no title, 11 a numeric DOI.
    assert taken == [True, False, False, True, False, False, False, False, True, False, False, True]
    assert parsed.listings.source_line == [1, 4, 9, 12] and parsed.blocks == parsed.listing_blocks == 4


def test_the_typed_path_gives_what_the_generic_path_gives():
    typed = _read(TYPED, typed=True)
    assert typed == _read(TYPED, typed=False)
    blocks, listing_blocks, rejections, lines, titles, abstracts, sparse = typed
    assert (blocks, listing_blocks) == (12, 11)
    assert [(r.line, r.reason) for r in rejections] == [(10, "OpenAlex work without a title")]
    assert lines == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert titles[8] == "Work 209 by its display name"
    assert abstracts[0] == "Typed works" and abstracts[3] == "Gap end" and abstracts[10] is None  # "1": skipped
    assert sparse["authors"] == {0: "Ada Lovelace", 1: "Ada Lovelace", 2: "B. Raw; Ada Lovelace", 3: "Ada Lovelace",
                                 4: "Ada Lovelace", 5: "Ada Lovelace", 6: "Ada Lovelace", 7: "Ada Lovelace",
                                 8: "Ada Lovelace", 9: "Ada Lovelace"}
    assert sparse["authors_count"] == {0: 1, 1: 2, 2: 2, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}
    assert sparse["categories"] == {0: ["Machine learning"], 6: ["Machine learning"], 8: ["Computer science"]}
    assert sparse["arxiv_id"] == {0: "2101.00001", 9: "2101.00011", 10: "2101.00012"}
    assert sparse["doi"] == {0: "https://doi.org/10.48550/arXiv.2101.00001"}  # 11's number is no DOI
    assert sparse["pmid"] == {0: "111", 5: "29456894"}
    assert sparse["date_text"][4] == "2019" and sparse["date_text"][0] == "2021-03-04"
    assert sparse["openalex_id"][10] == "W212" and sparse["flags"] == {10: ["missing_abstract"]}


def test_works_in_a_json_array_read_as_in_json_lines(tmp_path):
    lines = TYPED.read_text(encoding="utf-8").splitlines()
    array = tmp_path / "works.json"
    array.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    typed = _read(array, typed=True)
    assert typed == _read(array, typed=False)
    assert typed[3] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]  # places in the array
    lines_read = _read(TYPED, typed=True)
    assert typed[3:] == lines_read[3:] and typed[1] == lines_read[1]
    assert [(r.line, r.text) for r in typed[2]] == [(r.line, r.text) for r in lines_read[2]]


def test_a_broken_json_array_is_reported_as_before(tmp_path):
    broken = tmp_path / "works.json"
    broken.write_text('[{"id": "https://openalex.org/W1", "title": "A", "apc": NaN},\n{"title": }]', encoding="utf-8")
    with pytest.raises(Exception) as error:
        read_file(broken, broken.name)
    assert str(error.value) == f"{broken}: invalid JSON (Expecting value at line 2, column 11)"


def test_a_json_array_with_text_beyond_ascii_reads_the_same_typed_and_generically(tmp_path):
    work = {"id": "https://openalex.org/W1", "title": "Über Straßen", "abstract_inverted_index": {"Kurz.": [0]},
            "authorships": [{"author": {"display_name": "Jürgen Groß"}, "institutions": [{"display_name": "日本"}]}]}
    array = tmp_path / "works.json"
    array.write_text(json.dumps([work, work], ensure_ascii=False), encoding="utf-8")
    typed = _read(array, typed=True)
    assert typed == _read(array, typed=False)
    assert typed[4] == ["Über Straßen", "Über Straßen"] and typed[6]["authors"] == {0: "Jürgen Groß", 1: "Jürgen Groß"}


def _work(number, **fields):
    return {"id": f"https://openalex.org/W{number}", "title": f"Work {number}", **fields}


def test_plain_and_escaped_works_clean_alike_typed_and_generically(tmp_path):
    # Plain JSON (printable ASCII, no escapes) takes clean_plain; an escape anywhere in a work takes clean_text.
    works = [
        _work(1, abstract_inverted_index={"Two  spaces": [0], "end": [1]}),  # plain: clean_plain hands it on
        _work(2, abstract_inverted_index={"caf\u00e9": [0], "zero\u200bwidth": [1]}),  # escaped: clean_text
        _work(3, authorships=[{"author": {"display_name": "Smith ;J"}}, {"author": {"display_name": "Ng"}}]),
        _work(4, authorships=[{"author": {"display_name": "Ada\u200b"}}]),  # not printable: person_name decides
        _work(5, topics=[{"display_name": "Topic  A"}, {"display_name": "\u200b"}, {"display_name": "Topic A"}]),
        _work(6, topics=[{"display_name": "Topic  A"}, {"display_name": " "}]),  # blank: as_categories decides
    ]
    path = tmp_path / "works.jsonl"
    path.write_text("".join(json.dumps(w) + "\n" for w in works), encoding="utf-8")  # ensure_ascii: \u escapes
    parsed = ParsedFile(path=str(path), name=path.name, format="openalex", collection="w")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [add_typed_work(parsed, line, n) for n, line in enumerate(lines, 1)] == [True, True, False, False,
                                                                                   True, False]
    typed = _read(path, typed=True)
    assert typed == _read(path, typed=False)
    abstracts, sparse = typed[5], typed[6]
    assert abstracts[:2] == ["Two spaces end", "caf\u00e9 zero width"]
    assert sparse["authors"] == {2: "Smith ;J; Ng", 3: "Ada"}
    assert sparse["categories"] == {4: ["Topic A"], 5: ["Topic A"]}


@pytest.mark.parametrize(("names", "plain"), [
    (["Ada Lovelace", "Alan Turing"], True),
    (["Ada"], True),
    ([""], False), (["", "Ada"], False), (["Ada", ""], False), (["Ada", "", "Bo"], False),
    ([" Ada"], False), (["Ada", " Bo"], False), (["Ada "], False), (["Ada ", "Bo"], False),
    (["Smith; J"], True),
    (["Smith ;J"], False), ([";J"], False),  # look like a name's end or an empty name: the generic path decides
])
def test_plain_names_accepts_only_nonempty_stripped_names(names, plain):
    assert _plain_names("; ".join(names)) is plain
