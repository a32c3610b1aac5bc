"""Cleaning rules, each against values worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.clean import (
    clean_text,
    count_authors,
    find_urls,
    normalize_arxiv_id,
    normalize_doi,
    spaced_title_keys,
    title_keys,
    url_host,
)


@pytest.mark.parametrize(("raw", "clean"), [
    ("  Plain   text\twith\nbreaks ", "Plain text with breaks"),
    ("Zero\u200bwidth\u00adsoft\ufeffbom", "Zero width soft bom"),
    ("Cafe\u0301", "Café"),  # decomposed e + combining acute -> NFC é
    ("Ctrl\x00\x07chars\x7f", "Ctrl chars"),
    ("No\u00a0break\u2009spaces", "No break spaces"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_title_keys_ignore_case_punctuation_spacing_and_accents():
    keys = title_keys(pd.Series(["Multi-task Learning", "MULTITASK learning!", "Multi Task  Learning",
                                 "TÜLU 3", "Tulu 3", "Straße", "!!!"]))
    assert keys.tolist() == ["multitasklearning"] * 3 + ["tulu3", "tulu3", "strasse", "raw:!!!"]


def test_spaced_title_keys_keep_word_boundaries():
    assert spaced_title_keys(["Fast & Slow: Learning (v2)", "Élan vital"]).tolist() == [
        "fast slow learning v2", "elan vital"]


@pytest.mark.parametrize(("text", "urls"), [
    ("Code at https://github.com/a/b.", ["https://github.com/a/b"]),
    ("(available in https://github.com/LZY/Twin-Mergin.)", ["https://github.com/LZY/Twin-Mergin"]),
    ("see www.example.org/page, and github.com/c/d; done", ["https://www.example.org/page", "https://github.com/c/d"]),
    ("HTTPS://Foo.io/x_(y) twice HTTPS://Foo.io/x_(y)", ["HTTPS://Foo.io/x_(y)"]),
    ("input/output and/or 3/4 of https:// nothing", []),
    ('"https://q.org/z" quoted', ["https://q.org/z"]),
    (None, []),
])
def test_find_urls(text, urls):
    assert find_urls(text) == urls


@pytest.mark.parametrize(("url", "host"), [
    ("https://github.com/a/b", "github.com"),
    ("https://toyotaresearchinstitute.github.io/lbm1/", "github.io"),
    ("https://www.ox.ac.uk/x", "ox.ac.uk"),
    ("https://sites.google.com/view/x", "google.com"),
])
def test_url_host(url, host):
    assert url_host(url) == host


@pytest.mark.parametrize(("authors", "count"), [
    ("Ashish Vaswani, Noam Shazeer and Niki Parmar", 3),
    ("He, K.; Zhang, X.; Ren, S.", 3),
    (["a", "b", " "], 2),
    ("", None),
    (None, None),
])
def test_count_authors(authors, count):
    assert count_authors(authors) == count


@pytest.mark.parametrize(("value", "arxiv_id"), [
    ("arXiv:2401.01234v2", "2401.01234"),
    ("https://arxiv.org/abs/2001.08361", "2001.08361"),
    ("hep-th/9901001v3", "hep-th/9901001"),
    ("quant-ph/0210005v1", "quant-ph/0210005"),
    ("arXiv:quant-ph/0210005v2", "quant-ph/0210005"),
    ("http://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136"),
    ("arXiv:2401.00001v2", "2401.00001"),
    ("0704.0001", "0704.0001"),
    ("not an id", None),
    (float("nan"), None),
])
def test_normalize_arxiv_id(value, arxiv_id):
    assert normalize_arxiv_id(value) == arxiv_id


@pytest.mark.parametrize(("value", "doi"), [
    ("10.1000/ABC.12", "10.1000/abc.12"),
    ("https://doi.org/10.1000/ABC.12", "10.1000/abc.12"),
    ("http://dx.doi.org/10.1000/abc.12", "10.1000/abc.12"),
    ("HTTPS://WWW.DOI.ORG/10.1000/abc.12", "10.1000/abc.12"),
    ("doi:10.1000/abc.12", "10.1000/abc.12"),
    ("DOI: 10.1000/abc.12 ", "10.1000/abc.12"),
    ("  10.18653/v1/N19-1423\n", "10.18653/v1/n19-1423"),
    ("N/A", None),  # export placeholders are not DOIs: they must never join records
    ("-", None),
    ("10.1000", None),
    ("", None),
    (None, None),
    (float("nan"), None),
])
def test_normalize_doi(value, doi):
    assert normalize_doi(value) == doi
