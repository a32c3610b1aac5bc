"""Format detection from the content, not the extension, and the explicit override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from nbkit.sources import detect_format
from tests.conftest import FIXTURES, HF


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("papers.txt", "title,abstract\nA,b\n", "csv"),
    ("papers.txt", "Title\tAbstract\nA\tb\n", "tsv"),
    ("papers.json", '{"title": "A"}\n{"title": "B"}\n', "jsonl"),
    ("papers.data", '[{"title": "A"}]', "json"),
    ("snapshot.txt", '{"id": "1", "title": "A", "abstract": "b", "versions": []}\n', "arxiv"),
    ("page.csv", "new\n\nSubscribe\n\nMar 11\n", "csv"),  # a .csv name breaks the tie for one-column text
    ("page.txt", "Tulu 3: Pushing Frontiers, and More\n\nAn abstract.\n", "hf_page"),  # a comma is not a CSV
    ("table.bin", "PAR1", "parquet"),
])
def test_detect_format(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_format(path, path.read_bytes()) == expected


def test_csv_saved_as_txt_loads_as_csv(write):
    path = write("papers.txt", "title,abstract\nA Paper,An abstract.\n")
    corpus = load_corpus([path])
    assert corpus.report.files[0].format == "csv"
    assert corpus.listings["title"].tolist() == ["A Paper"]


def test_explicit_format_wins(write):
    path = write("one_column.txt", "title\nA Paper\n")
    assert load_corpus([path]).report.files[0].format == "hf_page"
    corpus = load_corpus([path], fmt="csv")
    assert corpus.report.files[0].format == "csv"
    assert corpus.listings["title"].tolist() == ["A Paper"]
    assert load_corpus([HF / "no_header.txt"], fmt="hf").report.files[0].format == "hf_page"


def test_unknown_format_is_an_error():
    with pytest.raises(NbkitError, match=r"unknown format 'xml'; choose one of auto, hf_page, csv"):
        load_corpus([FIXTURES / "records" / "papers.csv"], fmt="xml")


@pytest.mark.parametrize("title", ["[Re] A Reproducibility Study of Sparse Attention",
                                   "{Math} Tricks for Transformers"])
def test_headerless_page_whose_first_title_starts_with_a_bracket(write, title):
    path = write("page.txt", f"{title}\n\nAn abstract of the paper, kept as written.\n")
    assert detect_format(path, path.read_bytes()) == "hf_page"
    assert load_corpus([path]).listings["title"].tolist() == [title]


@pytest.mark.parametrize("content", [
    '[{"title": "A", "abstract": "' + "long " * 20000 + '"}]',  # a string cut by the sniff window
    "[\n  " + ",\n  ".join(f'{{"title": "Paper {i}", "upvotes": {i}}}' for i in range(5000)) + "\n]\n",
])
def test_json_longer_than_the_sniff_window_is_still_json(tmp_path, content):
    path = tmp_path / "papers.data"
    path.write_text(content, encoding="utf-8")
    assert len(content) > 65536
    assert detect_format(path, path.read_bytes()[:65536]) == "json"


def test_a_bracketed_value_followed_by_text_is_not_json(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("[1] Numbered Title\n\nAn abstract.\n", encoding="utf-8")
    assert detect_format(path, path.read_bytes()) == "hf_page"


@pytest.mark.parametrize(("path", "expected"), [
    (FIXTURES / "openalex" / "works.json", "openalex"),
    (FIXTURES / "openalex" / "results_page.json", "openalex"),
    (FIXTURES / "openalex" / "works.jsonl", "openalex"),
    (FIXTURES / "s2" / "batch.json", "s2"),
    (FIXTURES / "s2" / "search_page.json", "s2"),
    (FIXTURES / "csl" / "zotero.json", "csl_json"),
    (FIXTURES / "records" / "hf_daily_dump.json", "json"),
    (FIXTURES / "records" / "keyed_by_id.json", "json"),
    (FIXTURES / "records" / "camel_case.jsonl", "jsonl"),
    (FIXTURES / "records" / "scopus.csv", "csv"),
    (FIXTURES / "records" / "ieee.csv", "csv"),
    (FIXTURES / "records" / "springer.csv", "csv"),
    (FIXTURES / "records" / "arxiv_snapshot.jsonl", "arxiv"),
    (HF / "no_header.txt", "hf_page"),
])
def test_detect_fixtures(path, expected):
    assert detect_format(path, path.read_bytes()[:65536]) == expected


@pytest.mark.parametrize(("content", "expected"), [
    ('[null, null, {"paperId": "abc", "title": "A"}]', "s2"),  # leading nulls of a batch response are skipped
    ('[{"id": "W1", "title": "A", "type": "article"}]', "json"),  # not an OpenAlex URL id, no CSL keys
    ('{"title": "A", "type": "article", "author": "B. Lee"}\n', "jsonl"),  # authors not CSL names
    ('{"2401.00001": {"title": "A"}, "2401.00002": {"title": "B"}}\n', "json"),  # one line, many records
    ('{"total": 1, "data": [{"paperId": "p", "title": "A"}]}', "s2"),
    ('{"meta": {"count": 1}, "results": [{"id": "https://openalex.org/W1", "title": "A"}]}', "openalex"),
    ("title,paperId,abstract_inverted_index\nA,p,x\n", "csv"),
    ('[Re] A Study of "abstract_inverted_index": keys\n\nAn abstract.\n', "hf_page"),
])
def test_fixed_json_formats_need_their_own_keys(tmp_path, content, expected):
    path = tmp_path / "data.txt"
    path.write_text(content, encoding="utf-8")
    assert detect_format(path, path.read_bytes()) == expected


_KEYS = st.sampled_from(["title", "abstract", "authors", "year", "doi", "url", "summary", "type", "name", "tags"])
_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(records=st.lists(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=6), min_size=1, max_size=4),
       lines=st.booleans())
def test_records_without_a_formats_keys_are_never_taken_for_it(records, lines):
    """Generic JSON records (no OpenAlex, Semantic Scholar or CSL keys) stay with the generic readers."""
    text = "\n".join(json.dumps(r) for r in records) if lines else json.dumps(records)
    head = text.encode("utf-8")
    assert detect_format(Path("records.json"), head) not in {"openalex", "s2", "csl_json"}


def test_json_lines_whose_records_hold_one_object_each_stay_json_lines(write):
    path = write("dump.jsonl", '{"paper": {"id": "2401.00001", "title": "A", "summary": "a"}}\n'
                               '{"paper": {"id": "2401.00002", "title": "B", "summary": "b"}}\n')
    assert detect_format(path, path.read_bytes()) == "jsonl"
    corpus = load_corpus([path])
    assert corpus.listings["arxiv_id"].tolist() == ["2401.00001", "2401.00002"]


@pytest.mark.parametrize("content", [
    "TY  - JOUR\nTI  - A title\nAB  - An abstract\nDO  - 10.1000/x\nER  - \n",
    "PMID- 123\nTI  - A title\nAB  - An abstract\n",
    "@article{key,\n  title = {A title},\n  doi = {10.1000/x}\n}\n",
])
def test_bibliographic_text_is_never_taken_for_a_json_format(write, content):
    path = write("refs.txt", content)
    try:
        fmt = detect_format(path, path.read_bytes())
    except NbkitError:
        return
    assert fmt not in {"openalex", "s2", "csl_json", "json", "jsonl"}
