"""Format detection from the content, not the extension, and the explicit override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from nbkit.sources import FORMATS, detect_format
from nbkit.sources.hf_page import looks_like_hf_page
from tests.conftest import FIXTURES, HF

# Long enough (over 200 characters) to be an abstract paragraph: a headerless page is recognised by its
# title/abstract shape.
ABSTRACT = ("We study how the shape of a page is recognised without its header. The abstract is a paragraph of "
            "plain sentences, long enough that no title or heading would be taken for it, and it follows its title.")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("papers.txt", "title,abstract\nA,b\n", "csv"),
    ("papers.txt", "Title\tAbstract\nA\tb\n", "tsv"),
    ("papers.json", '{"title": "A"}\n{"title": "B"}\n', "jsonl"),
    ("papers.data", '[{"title": "A"}]', "json"),
    ("snapshot.txt", '{"id": "1", "title": "A", "abstract": "b", "versions": []}\n', "arxiv"),
    ("page.csv", "new\n\nSubscribe\n\nMar 11\n", "csv"),  # a .csv name breaks the tie for one-column text
    ("page.txt", f"Tulu 3: Pushing Frontiers, and More\n\n{ABSTRACT}\n", "hf_page"),  # a comma is not a CSV
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
    with pytest.raises(NbkitError, match=r"one_column\.txt: unrecognised format \(tried hf_page, csv, "):
        load_corpus([path])  # one column and no page shape: no format shows itself
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
    path = write("page.txt", f"{title}\n\n{ABSTRACT}\n")
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
    path.write_text(f"[1] Numbered Title\n\n{ABSTRACT}\n", encoding="utf-8")
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
    (f'[Re] A Study of "abstract_inverted_index": keys\n\n{ABSTRACT}\n', "hf_page"),
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


# Text that is not an HF page, each sample in the shape it has in the wild. None may be read as one.
FOREIGN = {
    "html": "<!DOCTYPE html>\n<html>\n<head><title>Daily Papers</title></head>\n<body>\n<h1>Papers</h1>\n"
            f"<p>{ABSTRACT}</p>\n</body>\n</html>\n",
    "ris": "TY  - JOUR\nAU  - Smith, John\nTI  - Attention Is Not All You Need\nPY  - 2019//\nAB  - "
           f"{ABSTRACT}\nER  - \n\nTY  - CONF\nTI  - A Second Record\nER  - \n",
    "medline": f"PMID- 31452104\nOWN - NLM\nTI  - Deep learning for chest radiographs.\nAB  - {ABSTRACT}\n"
               "AU  - Rajpurkar P\nDP  - 2019 Aug\n",
    "wos": "FN Clarivate Analytics Web of Science\nVR 1.0\n\nPT J\nAU Smith, J\nTI Attention Is Not All You Need\n"
           f"AB {ABSTRACT}\nPY 2019\nER\n\nEF\n",
    "bibtex": "@article{smith2019,\n  title = {Attention Is Not All You Need},\n  author = {Smith, John},\n"
              f"  abstract = {{{ABSTRACT}}},\n  year = {{2019}}\n}}\n",
    "python": '"""A module."""\n\nimport re\n\n\ndef title_key(title: str) -> str:\n    """The matching key."""\n'
              '    return re.sub(r"\\W+", "", title.lower())\n',
    "xml": '<?xml version="1.0" encoding="UTF-8"?>\n<article>\n  <front><article-title>Attention</article-title>'
           f"</front>\n  <abstract>{ABSTRACT}</abstract>\n</article>\n",
    "yaml": f"title: Attention Is Not All You Need\n\nabstract: {ABSTRACT}\n\nauthors:\n  - Smith\n  - Jones\n",
    "table": "| title | year |\n|---|---|\n| Attention Is Not All You Need | 2019 |\n| A Second Paper | 2020 |\n",
    "readme": f"# nbkit\n\n{ABSTRACT}\n\n## Install\n\n```\npip install nbkit\n```\n\n- load\n- topics\n",
    "plain_readme": f"nbkit\n=====\n\n{ABSTRACT}\n\nInstall with pip install nbkit.\n",
    "latex": "\\documentclass{article}\n\\begin{document}\n\\title{Attention}\n\\maketitle\n\n"
             f"\\begin{{abstract}}\n{ABSTRACT}\n\\end{{abstract}}\n\\end{{document}}\n",
    "key_values": f"Title: Attention Is Not All You Need\nYear: 2019\nAbstract: {ABSTRACT}\n",
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_foreign_text_is_not_an_hf_page(kind):
    assert not looks_like_hf_page(FOREIGN[kind])


@pytest.mark.parametrize("kind", ["html", "python", "xml", "yaml", "table", "readme", "plain_readme", "latex",
                                  "key_values"])
def test_foreign_text_is_an_unrecognised_format_error(write, kind):
    path = write(f"input_{kind}.txt", FOREIGN[kind])
    with pytest.raises(NbkitError, match=rf"input_{kind}\.txt: unrecognised format \(tried hf_page, csv, tsv, "):
        detect_format(path, path.read_bytes())


@pytest.mark.parametrize("text", [
    "new\n\nSubscribe\n\nMar 11\n",  # site header lines at the top
    "Mar 11\n\nDaily Papers\n",
    "Some Title\n\nA short text.\n\n  • 7 authors\n·\nFeb 4, 2024 3\n",  # a metadata block
    "Some Title\n\nA short text.\n\n·\nFeb 4 3\n",
    f"Mar 11\n\nA Title\n\n{ABSTRACT}\n\n  • 2 authors\n\nA Second Title\n\n{ABSTRACT}\n",  # headerless shape
    f"A Title Cut Off at the End\n\n{ABSTRACT}\n\nA Listing Without Its Abstract\n",
])
def test_hf_page_evidence(text):
    assert looks_like_hf_page(text)


@pytest.mark.parametrize("text", [
    "new\n\nA changelog entry that mentions Subscribe.\n",  # a header word, then no header
    f"A Title\n\nA short paragraph.\n\nAnother Title\n\n{ABSTRACT}\n",  # a short paragraph is no abstract
    f"A Title\n\n{ABSTRACT}\n\n- a list item\n- another\n",  # a list after the listing
    f"A Title\nWith a Second Line\n\n{ABSTRACT}\n",  # a title is one line
])
def test_hf_page_shape_needs_every_paragraph(text):
    assert not looks_like_hf_page(text)


@pytest.mark.parametrize("fixture", sorted(HF.glob("*.txt")), ids=lambda p: p.name)
def test_every_hf_fixture_is_detected(fixture):
    assert detect_format(fixture, fixture.read_bytes()) == "hf_page"


def test_unrecognised_text_is_one_line_exit_2(write, capsys):
    from nbkit.cli import main

    path = write("ris_like.txt", FOREIGN["readme"])
    assert main(["load", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"nbkit: error: {path}: unrecognised format (tried {', '.join(FORMATS)}); pass --format to force " \
                  "one\n"
