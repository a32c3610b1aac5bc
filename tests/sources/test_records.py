"""Readers for the record formats users bring: CSV, TSV, JSON Lines, JSON and Parquet, with column mappings."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from tests.conftest import FIXTURES

RECORDS = FIXTURES / "records"


def test_csv_rows_fields_and_rejections():
    corpus = load_corpus([RECORDS / "papers.csv"])
    listings = corpus.listings.set_index("title")
    attention = listings.loc["Attention Is All You Need"]
    assert attention.source_line == 2
    assert attention.authors_count == 3  # "A, B and C"
    assert attention.published == pd.Timestamp("2017-06-12") and attention.date_precision == "day"
    assert attention.categories == ["cs.CL", "cs.LG"]
    resnet = listings.loc["Deep Residual Learning"]
    # A quoted abstract spanning two lines: whitespace folded, place = its first line.
    assert resnet.abstract == ("Deeper neural networks are more difficult to train. "
                               "We present a residual learning framework.")
    assert (resnet.source_line, resnet.authors_count, resnet.date_precision) == (3, 4, "year")
    assert listings.loc["No Abstract Here"]["flags"] == ["missing_abstract"]
    assert listings.loc["No Abstract Here"].published == pd.Timestamp("2015-12-10")
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (5, "record without a title"), (6, "row has 6 fields, the header has 5")]
    entry = corpus.report.files[0]
    assert (entry.blocks, len(entry.header_lines), entry.listing_blocks, entry.rejected) == (6, 1, 3, 2)


def test_tsv_with_aliases_and_an_ignored_column():
    corpus = load_corpus([RECORDS / "papers.tsv"])
    row = corpus.listings.iloc[0]
    assert (row.title, row.abstract, row.published) == (
        "Graph Attention Networks", "We present graph attention networks.", pd.Timestamp("2017-01-01"))
    assert corpus.report.files[0].columns == {"title": "Title", "abstract": "Summary", "date": "Year"}
    assert corpus.report.files[0].ignored_columns == ["Venue"]


def test_json_lines_with_bad_lines_rejected_in_place():
    corpus = load_corpus([RECORDS / "papers.jsonl"])
    assert corpus.listings["title"].tolist() == ["Language Models are Few-Shot Learners",
                                                 "Scaling Laws for Neural Language Models"]
    assert corpus.listings["authors_count"].iloc[0] == 3 and pd.isna(corpus.listings["authors_count"].iloc[1])
    assert corpus.listings["upvotes"].tolist()[0] == 12
    # The second record has keys the first lacks: each record shape gets its own column mapping.
    assert corpus.listings["arxiv_id"].tolist()[1] == "2001.08361"
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (2, "invalid JSON (Expecting value at column 1)"), (3, "JSON list where an object was expected")]


def test_column_mapping_for_other_names():
    mapping = {"title": "Paper Title", "abstract": "Text", "date": "Published On", "authors_count": "Team Size"}
    corpus = load_corpus([RECORDS / "papers_custom_columns.csv"], columns=mapping)
    row = corpus.listings.iloc[0]
    assert row.title == "BERT: Pre-training of Deep Bidirectional Transformers"
    assert (row.authors_count, row.published, row.date_precision) == (4, pd.Timestamp("2018-10-01"), "month")


def test_mapping_to_a_missing_column_is_an_error():
    with pytest.raises(NbkitError, match=r"papers\.csv: column 'Name' \(mapped to title\) not found; columns are: "
                                         r"title, abstract, date, authors, categories$"):
        load_corpus([RECORDS / "papers.csv"], columns={"title": "Name"})


def test_no_title_column_is_an_error(write):
    path = write("x.csv", "name_of_thing,other\na,b\n")
    with pytest.raises(NbkitError, match=r"no title column among: name_of_thing, other; pass a mapping"):
        load_corpus([path])


def test_json_array_and_parquet(write, tmp_path):
    path = write("papers.json", '[{"title": "One", "summary": "s1"}, {"title": "Two", "year": 2021}]')
    corpus = load_corpus([path])
    assert corpus.listings["title"].tolist() == ["One", "Two"]
    assert corpus.listings["source_line"].tolist() == [1, 2]
    frame = pd.DataFrame({"title": ["P1", "P2"], "abstract": ["a", None], "authors": [["x", "y"], None],
                          "date": [2020, None]})
    frame.to_parquet(tmp_path / "papers.parquet")
    corpus = load_corpus([tmp_path / "papers.parquet"])
    assert corpus.report.files[0].format == "parquet"
    assert corpus.listings["authors_count"].tolist()[0] == 2
    assert corpus.listings["flags"].tolist() == [[], ["missing_abstract"]]


def test_damaged_parquet_is_an_error(write):
    path = write("broken.parquet", b"PAR1" + b"\x01" * 40)
    with pytest.raises(NbkitError, match=r"broken\.parquet: not a readable Parquet file"):
        load_corpus([path])


@pytest.mark.parametrize(("name", "content", "place"), [
    ("p.jsonl", '{"title": "Kept", "abstract": "a"}\n{"summary": "no title key"}\n', 2),
    ("p.json", '[{"title": "Kept", "abstract": "a"}, {"summary": "no title key"}]', 2),
])
def test_a_record_without_a_title_key_is_rejected_not_fatal(write, name, content, place):
    corpus = load_corpus([write(name, content)])
    assert corpus.listings["title"].tolist() == ["Kept"]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(place, "record without a title")]


def test_json_records_with_a_mapped_title_missing_from_some_are_rejected_one_by_one(write):
    path = write("p.jsonl", '{"Name": "Kept", "abstract": "a"}\n{"title": "not the mapped column"}\n')
    corpus = load_corpus([path], columns={"title": "Name"})  # the mapping wins; no fallback to `title`
    assert corpus.listings["title"].tolist() == ["Kept"]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(2, "record without a title")]


@pytest.mark.parametrize(("content", "columns", "message"), [
    ('{"summary": "a"}\n{"summary": "b", "year": 2020}\n', None,
     r"p\.jsonl: no title column among: summary, year; pass a mapping"),
    ('{"title": "A"}\n{"title": "B", "year": 2020}\n', {"abstract": "Text"},
     r"p\.jsonl: column 'Text' \(mapped to abstract\) not found; columns are: title, year$"),
])
def test_json_records_without_any_title_or_mapped_column_are_an_error(write, content, columns, message):
    with pytest.raises(NbkitError, match=message):
        load_corpus([write("p.jsonl", content)], columns=columns)
