"""Cleaning rules, each against values worked out by hand."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbkit.clean import (
    arxiv_id_from_link,
    clean_text,
    count_authors,
    exact_arxiv_id,
    find_urls,
    normalize_arxiv_id,
    normalize_doi,
    normalize_openalex_id,
    normalize_pmid,
    normalize_s2_id,
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


_STRAY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")


@given(st.text(alphabet=st.sampled_from(["a", "Z", " ", "~", "\t", "\n", "\x00", "\x1f", "\x7f", "\x85", "\u00e9",
                                         "\u0301", "\u200b", "\u00a0"]), max_size=12))
def test_clean_text_fast_checks_agree_with_the_rule(raw):
    # ASCII text is tested for printability with bytes.translate, other text with isprintable(): both must give
    # what the rule gives (NFC, stray characters to spaces, whitespace runs folded, ends trimmed), and a text
    # that needs nothing must come back as the same object.
    expected = " ".join(_STRAY.sub(" ", unicodedata.normalize("NFC", raw)).split())
    assert clean_text(raw) == expected
    if raw.isascii() and raw == expected:
        assert clean_text(raw) is raw


def test_title_keys_ignore_case_punctuation_spacing_and_accents():
    keys = title_keys(pd.Series(["Multi-task Learning", "MULTITASK learning!", "Multi Task  Learning",
                                 "TÜLU 3", "Tulu 3", "Straße", "!!!"]))
    assert keys.tolist() == ["multitasklearning"] * 3 + ["tulu3", "tulu3", "strasse", pd.NA]


def test_spaced_title_keys_keep_word_boundaries():
    assert spaced_title_keys(["Fast & Slow: Learning (v2)", "Élan vital"]).tolist() == [
        "fast slow learning v2", "elan vital"]


def test_title_words_of_mixed_titles_match_each_title_alone():
    # ASCII titles are worked on together as one text, the others one by one: a missing title, one holding a
    # newline, one of spaces only and ones with accents or other scripts must each come out as they would alone.
    titles = ["Fast & Slow: Learning (v2)", None, "Naïve Bayes — Über Alles", "Two\nLines  here", "  ",
              "漢字 Model", "Élan vital"]
    assert spaced_title_keys(titles).tolist() == [
        "fast slow learning v2", pd.NA, "naive bayes uber alles", "two lines here", "", "漢字 model", "elan vital"]
    assert title_keys(titles).tolist() == [
        "fastslowlearningv2", pd.NA, "naivebayesuberalles", "twolineshere", pd.NA, "漢字model", "elanvital"]


def test_title_words_of_all_ascii_titles():
    assert spaced_title_keys(["-A  b-", "C3PO's (Droid)", "x"]).tolist() == ["a b", "c3po s droid", "x"]
    assert title_keys(["-A  b-", "C3PO's (Droid)", "x"]).tolist() == ["ab", "c3posdroid", "x"]
    assert spaced_title_keys([]).tolist() == []


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
    ("A. Smith (MIT, Cambridge), B. Jones (ETH)", 2),  # commas inside affiliations are not separators
    ("Smith, John (57193456789); Jones, Bob (Dept. A, Univ. B)", 2),
    ("(MIT)", None),
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
    ("https://arxiv.org/pdf/2401.00001v2", "2401.00001"),
    ("http://arxiv.org/abs/quant-ph/0210005v1", "quant-ph/0210005"),
    ("arXiv:quant-ph/0210005v2", "quant-ph/0210005"),
    ("http://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136"),
    ("arXiv:2401.00001v2", "2401.00001"),
    ("0704.0001", "0704.0001"),
    ("not an id", None),
    (float("nan"), None),
])
def test_normalize_arxiv_id(value, arxiv_id):
    assert normalize_arxiv_id(value) == arxiv_id


@pytest.mark.parametrize(("value", "arxiv_id"), [
    ("2401.00001v2", "2401.00001"),
    ("arXiv:quant-ph/0210005v1", "quant-ph/0210005"),
    ("see 2401.00001", None),  # an id inside other text is not taken from an `id` field
    ("W2741809807", None),
    (12, None),
])
def test_exact_arxiv_id(value, arxiv_id):
    assert exact_arxiv_id(value) == arxiv_id


@pytest.mark.parametrize(("value", "arxiv_id"), [
    ("https://arxiv.org/abs/2401.00001v2", "2401.00001"),
    ("http://export.arxiv.org/pdf/quant-ph/0210005v1", "quant-ph/0210005"),
    ("https://doi.org/10.48550/arXiv.2401.02954", "2401.02954"),
    ("10.48550/ARXIV.1412.6980", "1412.6980"),
    ("https://link.springer.com/article/10.1007/1234.56789", None),  # looks like an id, but not arxiv.org
    ("https://www.scopus.com/inward/record.uri?eid=2-s2.0-85059783441", None),
    (None, None),
])
def test_arxiv_id_from_link(value, arxiv_id):
    assert arxiv_id_from_link(value) == arxiv_id


@pytest.mark.parametrize(("value", "doi"), [
    ("10.1038/nature14539", "10.1038/nature14539"),
    ("https://doi.org/10.7717/PEERJ.4375", "10.7717/peerj.4375"),
    ("http://dx.doi.org/10.1109/5.726791", "10.1109/5.726791"),
    ("doi:10.1000/ABC", "10.1000/abc"),
    ("DOI 10.1000/abc", "10.1000/abc"),
    ("11.1000/abc", None),
    ("10.1000", None),
    ("", None),
    (None, None),
])
def test_normalize_doi(value, doi):
    assert normalize_doi(value) == doi


@pytest.mark.parametrize(("value", "pmid"), [
    ("29456894", "29456894"),
    ("https://pubmed.ncbi.nlm.nih.gov/29456894", "29456894"),
    ("https://pubmed.ncbi.nlm.nih.gov/29456894/", "29456894"),
    ("PMID: 33000001", "33000001"),
    (30617339, "30617339"),
    (30617339.0, "30617339"),
    ("abc12", None),
    (0, None),
    (True, None),
])
def test_normalize_pmid(value, pmid):
    assert normalize_pmid(value) == pmid


def test_openalex_and_semantic_scholar_ids():
    assert normalize_openalex_id("https://openalex.org/W2741809807") == "W2741809807"
    assert normalize_openalex_id("w123") == "W123"
    assert normalize_openalex_id("https://openalex.org/A5048491430") is None  # an author, not a work
    assert normalize_s2_id("204E3073870FAE3D05BCBC2F6A8E263D9B72E776") == "204e3073870fae3d05bcbc2f6a8e263d9b72e776"
    assert normalize_s2_id("CorpusId:13756489") is None


@pytest.mark.parametrize(("raw", "doi"), [
    ("10.1016/J.JBI.2019.103190", "10.1016/j.jbi.2019.103190"),
    ("https://doi.org/10.48550/arXiv.2302.03495", "10.48550/arxiv.2302.03495"),
    ("http://dx.doi.org/10.1016/j.infsof.2021.106589", "10.1016/j.infsof.2021.106589"),
    ("https://doi.org/10.18653%2Fv1%2FI17-1026", "10.18653/v1/i17-1026"),  # percent-encoded
    ("doi:10.1186/s13643-019-1074-9.", "10.1186/s13643-019-1074-9"),  # prefix and a sentence's full stop
    ("DOI 10.1186/2046-4053-4-5", "10.1186/2046-4053-4-5"),
    ("10.1002/(SICI)1097-4636(199711)37:2<251::AID-JBM15>3.0.CO;2-F",
     "10.1002/(sici)1097-4636(199711)37:2<251::aid-jbm15>3.0.co;2-f"),
    # A DOI inside another URL's query string is not taken apart; not-DOIs give None.
    ("https://www.scopus.com/inward/record.uri?doi=10.1016%2fj.x&partnerID=40", None),
    ("see 10.1000/abc", None),
    ("10.12/too-short-registrant", None),
    ("", None),
    (None, None),
    (float("nan"), None),
])
def test_normalize_doi_forms_from_exports(raw, doi):
    assert normalize_doi(raw) == doi


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
def test_normalize_doi_placeholders_and_prefixes(value, doi):
    assert normalize_doi(value) == doi
