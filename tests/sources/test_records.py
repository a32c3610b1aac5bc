"""Readers for the record formats users bring: CSV, TSV, JSON Lines, JSON and Parquet, with column mappings."""

from __future__ import annotations

import gc
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from nbkit.sources import JSON_READERS
from nbkit.sources.base import ParsedFile
from nbkit.sources.records import (
    array_elements,
    as_authors,
    as_categories,
    as_count,
    container_records,
    read_json_records,
)
from tests.conftest import FIXTURES, plain

RECORDS = FIXTURES / "records"

READERS = {reader.name: reader for reader in JSON_READERS}


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
    # A row with a sixth, non-empty field is read from its first five, flagged, and its extra value reported.
    assert listings.loc["Too, Many, Fields"]["flags"] == ["extra_fields"]
    assert listings.loc["Too, Many, Fields"].categories == ["b"]
    assert corpus.report.files[0].warnings == [
        "1 rows had values beyond the header's 5 fields, read from their first 5 (flagged extra_fields; "
        "line 6: 'extra')"]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(5, "record without a title")]
    entry = corpus.report.files[0]
    assert (entry.blocks, len(entry.header_lines), entry.listing_blocks, entry.rejected) == (6, 1, 4, 1)


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


def test_scopus_csv_with_trailing_commas():
    corpus = load_corpus([RECORDS / "scopus.csv"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, len(entry.header_lines), entry.listing_blocks, entry.rejected) == (
        "csv", 5, 1, 3, 1)
    assert entry.columns == {"title": "Title", "abstract": "Abstract", "date": "Year", "authors": "Authors",
                             "doi": "DOI", "pmid": "PubMed ID", "categories": "Author Keywords", "url": "Link"}
    assert entry.ignored_columns == [
        "Author full names", "Author(s) ID", "Source title", "Volume", "Issue", "Art. No.", "Page start", "Page end",
        "Cited by", "Index Keywords", "Document Type", "Publication Stage", "Open Access", "Source", "EID"]
    assert entry.warnings == [
        "2 rows had empty fields beyond the header's 23 (dropped; flagged extra_fields)",
        "1 rows had values beyond the header's 23 fields, read from their first 23 (flagged extra_fields; "
        "line 4: 'note')"]
    rows = plain(corpus.listings).set_index("source_line")
    assert (rows.loc[2, "authors_count"], rows.loc[2, "doi"], rows.loc[2, "pmid"]) == (
        1, "10.1038/s41591-018-0300-7", "30617339")
    assert rows.loc[2, "categories"] == []
    assert (rows.loc[3, "authors_count"], rows.loc[3, "categories"]) == (
        7, ["deep learning", "skin cancer", "dermatology"])
    assert rows.loc[4, "abstract"] is None  # Scopus writes "[No abstract available]"
    assert rows.loc[4, "flags"] == ["extra_fields", "missing_abstract"]
    assert [row["flags"][0] for _, row in rows.iterrows()] == ["extra_fields"] * 3
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(5, "row has 6 fields, the header has 23")]


def test_ieee_xplore_csv():
    corpus = load_corpus([RECORDS / "ieee.csv"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.listing_blocks, entry.rejected) == ("csv", 2, 0)
    assert entry.columns == {"title": "Document Title", "abstract": "Abstract", "date": "Publication Year",
                             "authors": "Authors", "doi": "DOI", "categories": "Author Keywords", "url": "PDF Link"}
    resnet = plain(corpus.listings).iloc[0]
    assert (resnet.title, resnet.authors_count, resnet.doi, resnet.published) == (
        "Deep Residual Learning for Image Recognition", 4, "10.1109/cvpr.2016.90", pd.Timestamp("2016-01-01"))
    assert resnet.categories == ["Training", "Degradation", "Complexity theory", "Image recognition"]


def test_springer_csv_authors_run_together_are_not_counted():
    corpus = load_corpus([RECORDS / "springer.csv"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.listing_blocks) == ("csv", 3)
    assert entry.columns == {"title": "Item Title", "date": "Publication Year", "authors": "Authors",
                             "doi": "Item DOI", "url": "URL"}
    rows = plain(corpus.listings)
    assert rows["authors"].tolist()[0] == "Mohammed MubarkootJörn Altmann"  # kept as written
    assert rows["authors_count"].tolist() == [None, None, None]  # not 1: the names have no separator
    assert rows["doi"].tolist()[2] == "10.1007/s44267-023-00015-w"
    assert rows["flags"].tolist() == [["missing_abstract"]] * 3


def test_hf_daily_papers_dump_loads_from_nested_fields():
    corpus = load_corpus([RECORDS / "hf_daily_dump.json"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.listing_blocks, entry.rejected) == ("json", 3, 2, 1)
    assert entry.columns == {"title": "paper.title", "abstract": "paper.summary", "date": "paper.publishedAt",
                             "authors": "paper.authors", "upvotes": "paper.upvotes", "arxiv_id": "paper.id"}
    # `submittedBy.name` is a user: `name` is trusted as a title only at the top level.
    assert entry.ignored_columns == ["numComments", "submittedBy", "paper.discussionId"]
    first = plain(corpus.listings).iloc[0]
    assert (first.arxiv_id, first.authors, first.authors_count, first.upvotes) == (
        "2401.02954", "DeepSeek-AI; Xiao Bi; Deli Chen", 3, 41)
    assert (first.published, first.date_precision) == (pd.Timestamp("2024-01-05"), "day")
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(3, "record without a title")]


def test_object_keyed_by_paper_id():
    corpus = load_corpus([RECORDS / "keyed_by_id.json"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.listing_blocks) == ("json", 4, 4)
    rows = plain(corpus.listings).set_index("title")
    first = rows.loc["Minimax Rates for Sparse Additive Models"]
    assert (first.source_line, first.arxiv_id) == (1, "2401.00001")  # the key
    assert first.categories == ["math.ST", "stat.ML", "stat.TH"]  # a Python-list string, not fragments
    assert first.authors_count == 2  # "A. Smith (MIT, Cambridge), B. Jones (ETH)"
    assert (first.upvotes, first.published) == (2710, pd.Timestamp("2024-05-17"))  # "2.71k", "5/17/2024"
    assert first["flags"] == ["count_abbreviated"]
    old = rows.loc["An Old-Style Identifier"]
    assert (old.arxiv_id, old.authors, old.authors_count, old.upvotes) == (
        "quant-ph/0210005", "C. Lee; D. Park; E. Kim", 3, 1_200_000)
    assert old.published == pd.Timestamp("2002-05-06")  # 5/6/2002: month first, and flagged
    assert old["flags"] == ["count_abbreviated", "day_month_ambiguous"]
    doi = rows.loc["Keyed by a DOI"]
    assert (doi.doi, doi.arxiv_id, doi.published) == ("10.1000/xyz123", None, pd.Timestamp("2019-05-17"))
    other = rows.loc["Keyed by Something Else"]  # camelCase names; an impossible date is flagged and kept
    assert (other.abstract, other.arxiv_id, other.doi, other.date_text) == (
        "A key that is neither an arXiv id nor a DOI.", None, None, "13/13/2019")
    assert other["flags"] == ["invalid_date"]


def test_case_variants_ids_and_arxiv_links():
    corpus = load_corpus([RECORDS / "camel_case.jsonl"])
    rows = plain(corpus.listings)
    first, second, third = (rows.iloc[i] for i in range(3))
    assert (first.title, first.authors_count, first.published) == ("Camel Case Names", 2, pd.Timestamp("2021-03-04"))
    assert (first.arxiv_id, first.doi, first.pmid) == ("2103.01234", "10.5555/abc.1", "33000001")
    assert (second.title, second.arxiv_id, second.upvotes) == ("Pascal Case And A Link", "2207.00001", 1234)
    assert second.published == pd.Timestamp("2022-07-01")  # `PublishedAt`
    assert (third.arxiv_id, third.openalex_id, third.s2_id) == (
        "quant-ph/0210005", "W2100000001", "204e3073870fae3d05bcbc2f6a8e263d9b72e776")


def test_dotted_paths_in_a_column_mapping():
    corpus = load_corpus([RECORDS / "nested.json"],
                         columns={"title": "info.headline", "abstract": "details.body.text"})
    rows = plain(corpus.listings)
    assert rows["title"].tolist() == ["A Nested Title", "Second Nested Title"]
    assert rows["abstract"].tolist() == ["An abstract two levels down.", None]
    assert rows["published"].tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2021-01-01")]  # info.year
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(3, "record without a title")]
    assert "details.pages" in corpus.report.files[0].ignored_columns


def test_nested_records_without_a_title_alias_need_a_mapping():
    with pytest.raises(NbkitError, match=r"nested\.json: no title column among: info, details; pass a mapping"):
        load_corpus([RECORDS / "nested.json"])


def test_a_mapped_dotted_path_no_record_has_is_an_error():
    with pytest.raises(NbkitError, match=r"column 'info\.subtitle' \(mapped to title\) not found"):
        load_corpus([RECORDS / "nested.json"], columns={"title": "info.subtitle"})


def test_a_row_with_too_few_fields_is_still_rejected(write):
    path = write("p.csv", "title,abstract,year\nA,a,2020,\nB,b\n")
    corpus = load_corpus([path])
    assert corpus.listings["title"].tolist() == ["A"]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(3, "row has 2 fields, the header has 3")]


@pytest.mark.parametrize(("value", "count"), [
    (12, (12, False)), ("1,234", (1234, False)), ("2.71k", (2710, True)), ("1.2M", (1_200_000, True)),
    ("12K", (12_000, True)), ("3.5", (None, False)), ("-1", (None, False)), ("many", (None, False)),
    (None, (None, False)), (True, (None, False)),
])
def test_as_count(value, count):
    assert as_count(value) == count


@pytest.mark.parametrize(("value", "categories"), [
    ("cs.CL cs.LG", ["cs.CL", "cs.LG"]),
    ("hep-th quant-ph", ["hep-th", "quant-ph"]),
    ("['math.ST', 'stat.ML']", ["math.ST", "stat.ML"]),
    ("deep learning; skin cancer", ["deep learning", "skin cancer"]),
    ("deep learning", ["deep learning"]),
    ("Computer Science - Machine Learning", ["Computer Science - Machine Learning"]),
    ([{"category": "Physics"}, {"category": "Physics"}, {"display_name": "Biology"}], ["Physics", "Biology"]),
    ("['unclosed'", ["['unclosed'"]),
    ("[__import__('os')]", ["[__import__('os')]"]),  # not a literal: kept as text, never evaluated
])
def test_as_categories(value, categories):
    assert as_categories(value) == categories


@pytest.mark.parametrize(("value", "authors"), [
    ("['A. One', 'B. Two']", ("A. One; B. Two", 2)),
    ([{"name": "A"}, {"family": "Lee", "given": "C."}, {"literal": "WHO"}, {"author": {"display_name": "D"}}],
     ("A; C. Lee; WHO; D", 4)),
    ("A. Smith (MIT, Cambridge), B. Jones (ETH)", ("A. Smith (MIT, Cambridge), B. Jones (ETH)", 2)),
    ("Smith, John (57193456789); Jones, Bob (1234)", ("Smith, John (57193456789); Jones, Bob (1234)", 2)),
    (None, (None, None)),
])
def test_as_authors(value, authors):
    assert as_authors(value) == authors


_KEYS = st.sampled_from(["title", "abstract", "authors", "paper", "id", "doi", "upvotes", "date", "categories",
                         "paperId", "externalIds", "abstract_inverted_index", "authorships", "issued", "type"])
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
                       max_leaves=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.lists(_VALUES, min_size=1, max_size=4) | st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4),
       fmt=st.sampled_from([None, "json", "openalex", "s2", "csl_json"]))
def test_any_json_through_any_json_reader_is_accounted_or_a_one_line_error(tmp_path_factory, value, fmt):
    path = tmp_path_factory.mktemp("j") / "records.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    try:
        corpus = load_corpus([path], fmt=fmt)
    except NbkitError as error:
        assert "\n" not in str(error)
        return
    corpus.report.check()
    entry = corpus.report.files[0]
    assert entry.listing_blocks + entry.rejected == entry.blocks


def test_a_deep_path_null_in_the_first_record_still_maps_later_ones(write):
    path = write("p.json", '[{"t": "A", "d": {"b": {"x": null}}}, {"t": "B", "d": {"b": {"x": "found"}}}]')
    corpus = load_corpus([path], columns={"title": "t", "abstract": "d.b.x"})
    assert plain(corpus.listings)["abstract"].tolist() == [None, "found"]


@settings(max_examples=200, deadline=None)
@given(value=st.lists(_VALUES, max_size=5), indent=st.sampled_from([None, 0, 2, "\t"]))
def test_array_elements_decode_what_json_loads_decodes(value, indent):
    parsed = ParsedFile(path="a.json", name="a.json", format="json", collection="a")
    assert list(array_elements(json.dumps(value, indent=indent), parsed)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("text", ['[{"a": 1}, {"b": }]', '[{"a": 1} {"b": 2}]', '[{"a": 1}] x', "[1,\n2,", "[,]",
                                  "[1,]"])
def test_array_elements_report_broken_json_as_json_loads_does(text):
    parsed = ParsedFile(path="a.json", name="a.json", format="json", collection="a")
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(NbkitError) as got:
        list(array_elements(text, parsed))
    assert str(got.value) == (f"a.json: invalid JSON ({expected.value.msg} at line {expected.value.lineno}, "
                              f"column {expected.value.colno})")


@pytest.mark.parametrize(("content", "titles"), [
    ('{"title": "One Record", "data": [1, 2]}', ["One Record"]),  # a `data` array inside a record
    ('{\n  "title": "Pretty Printed",\n  "abstract": "a"\n}\n', ["Pretty Printed"]),
    ('{"data": [{"title": "A"}, {"title": "B"}], "total": 2}', ["A", "B"]),
])
def test_one_record_or_a_page_in_a_json_object(write, content, titles):
    assert load_corpus([write("p.json", content)]).listings["title"].tolist() == titles


def _read_json_lines(path, reader, fields, fast=None):
    """A JSON reader's raw result with JSON Lines decoded keeping only `fields` (empty: whole records), and read
    by `fast` (the reader's typed path) where it can."""
    parsed = ParsedFile(path=str(path), name=path.name, format=reader.name, collection=path.stem)
    with path.open(encoding="utf-8") as lines:
        read_json_records(lines, parsed, reader.add, reader.looks_like, reader.null_reason, fields, fast)
    listings = parsed.listings
    return (parsed.blocks, parsed.listing_blocks, parsed.rejections, listings.source_line, listings.title,
            listings.abstract, listings.abstract_line, listings.sparse)


def test_decoding_only_the_fields_read_gives_what_whole_decoding_gives():
    path = FIXTURES / "openalex" / "decoding_edge_cases.jsonl"
    fast = _read_json_lines(path, READERS["openalex"], READERS["openalex"].fields)
    assert fast == _read_json_lines(path, READERS["openalex"], ())
    assert fast == _read_json_lines(path, READERS["openalex"], READERS["openalex"].fields, READERS["openalex"].fast)
    blocks, listing_blocks, rejections, lines, titles, abstracts, _, sparse = fast
    assert (blocks, listing_blocks) == (9, 6)
    assert [(r.line, r.reason) for r in rejections] == [
        (2, "OpenAlex work without a title"), (6, "invalid JSON (Unterminated string starting at at column 46)"),
        (7, "JSON NoneType where an object was expected")]
    # The record as written is quoted (the keys read, in the reader's order, would put display_name second).
    assert rejections[0].text == '{"id": "https://openalex.org/W102", "title": null, "publication_year": 2020, ...'
    assert lines == [1, 3, 4, 5, 5, 8]
    assert titles == ["Work 101", "Work 103", "Work 104", "Work 105", "Work 106", "Work 108"]
    assert abstracts[:3] == ["An abstract of abstract", "An abstract of abstract", "Gap end"]
    assert sparse["doi"] == {5: "10.1000/ids.doi"} and sparse["pmid"] == {5: "123"}


@pytest.mark.parametrize(("name", "fixture"), [
    ("openalex", "openalex/works.json"), ("openalex", "openalex/results_page.json"), ("s2", "s2/batch.json"),
    ("s2", "s2/search_page.json"), ("csl_json", "csl/zotero.json")])
def test_every_fixture_record_as_json_lines_reads_the_same_with_only_the_fields_read(name, fixture, tmp_path):
    records = container_records(json.loads((FIXTURES / fixture).read_text(encoding="utf-8")))
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for _, record in records), encoding="utf-8")
    fast = _read_json_lines(path, READERS[name], READERS[name].fields)
    assert fast == _read_json_lines(path, READERS[name], ())
    assert fast == _read_json_lines(path, READERS[name], READERS[name].fields, READERS[name].fast)
    assert fast[1] >= 2  # listings were read, not only rejections


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_while_a_file_is_read_and_restored_after(enabled, write, monkeypatch):
    """read_file pauses it for every reader (bulk_allocation); here an OpenAlex reader whose add fails."""
    import dataclasses

    import nbkit.sources as sources

    states = []

    def add(parsed, record, place):
        states.append(gc.isenabled())
        raise ValueError("stop")  # restored on the way out of an error too

    reader = dataclasses.replace(sources._JSON_READERS["openalex"], add=add, fast=None)
    monkeypatch.setitem(sources._JSON_READERS, "openalex", reader)
    path = write("w.jsonl", '{"id": "https://openalex.org/W1", "title": "A"}\n')
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(ValueError):
            sources.read_file(path, path.name, fmt="openalex")
        assert (states, gc.isenabled()) == ([False], enabled)
    finally:
        (gc.enable if was else gc.disable)()
