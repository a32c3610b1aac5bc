"""Semantic Scholar paper objects: batch responses with nulls, search pages, nested authors and external ids."""

from __future__ import annotations

import pandas as pd

from nbkit.corpus import load_corpus
from tests.conftest import FIXTURES, plain

S2 = FIXTURES / "s2"


def test_a_batch_response_with_nulls():
    corpus = load_corpus([S2 / "batch.json"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.listing_blocks, entry.rejected) == ("s2", 4, 2, 2)
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (2, "null paper (id not found)"), (4, "null paper (id not found)")]
    rows = plain(corpus.listings).set_index("s2_id")
    attention = rows.loc["204e3073870fae3d05bcbc2f6a8e263d9b72e776"]
    assert (attention.title, attention.source_line) == ("Attention is All you Need", 1)
    assert (attention.authors, attention.authors_count) == ("Ashish Vaswani; Noam M. Shazeer; Niki Parmar", 3)
    assert (attention.arxiv_id, attention.doi, attention.published) == (
        "1706.03762", None, pd.Timestamp("2017-06-12"))
    assert attention.categories == ["Computer Science"]  # fieldsOfStudy first
    bert = rows.loc["df2b0e26d0599ce3e70df8a9da02e51594e0e992"]
    assert (bert.source_line, bert.doi, bert.arxiv_id) == (3, "10.18653/v1/n19-1423", "1810.04805")
    assert bert.abstract is None and bert["flags"] == ["missing_abstract"]
    # No publicationDate: the year; no fieldsOfStudy: the distinct s2FieldsOfStudy categories.
    assert (bert.published, bert.date_precision) == (pd.Timestamp("2019-01-01"), "year")
    assert bert.categories == ["Computer Science", "Linguistics"]


def test_a_search_page_on_one_line():
    corpus = load_corpus([S2 / "search_page.json"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.listing_blocks, entry.rejected) == ("s2", 3, 2, 1)
    assert corpus.listings["source_line"].tolist() == [1, 2]  # places in the data array, not the line
    first, second = plain(corpus.listings).iloc[0], plain(corpus.listings).iloc[1]
    assert (first.pmid, first.doi, first.categories) == (
        "31337285", "10.1038/s41586-019-1335-8", ["Medicine", "Physics", "Computer Science"])
    assert (second.arxiv_id, second.authors, second.authors_count) == ("quant-ph/0210005", None, None)
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(3, "Semantic Scholar paper without a title")]


def test_json_lines_of_papers(write):
    path = write("papers.jsonl", '{"paperId": "204e3073870fae3d05bcbc2f6a8e263d9b72e776", "title": "A"}\n'
                                 "null\n"
                                 '{"paperId": "x", "title": "B", "abstract": "b", "year": 2020}\n')
    corpus = load_corpus([path])
    assert corpus.report.files[0].format == "s2"
    assert corpus.listings["title"].tolist() == ["A", "B"]
    assert plain(corpus.listings)["s2_id"].tolist() == ["204e3073870fae3d05bcbc2f6a8e263d9b72e776", None]  # not an id
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(2, "null paper (id not found)")]


def test_the_doi_is_passed_as_written_so_the_loader_normalizes_or_flags_it():
    # `DOI:10.48550/ARXIV.1412.6980` comes out normalized; `10.1109 CVPR 2016` is no DOI:
    # dropped and flagged, not lost silently.
    rows = plain(load_corpus([S2 / "malformed_doi.json"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [[1, "10.48550/arxiv.1412.6980", []], [2, None, ["invalid_doi"]]]
