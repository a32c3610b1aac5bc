"""Format detection from the content, not the extension, and the explicit override."""

from __future__ import annotations

import pytest

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
