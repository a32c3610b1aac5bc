"""The Web of Science plain-text reader, against a hand-written `savedrecs.txt`."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources import wos
from tests.conftest import FIXTURES, accounted_lines, plain

SAVEDRECS = FIXTURES / "wos" / "savedrecs.txt"


def test_records_header_lines_and_accounting():
    corpus = load_corpus([SAVEDRECS])
    entry = corpus.report.files[0]
    assert (entry.format, entry.encoding) == ("wos", "utf-8 (with BOM)")
    # FN and VR open the file, EF closes it: header lines. Three records, PT on lines 3, 47 and 65.
    assert entry.header_lines == [1, 2, 77]
    assert corpus.listings["source_line"].tolist() == [3, 47, 65]
    assert (entry.blocks, entry.listing_blocks, entry.rejected) == (6, 3, 0)
    assert accounted_lines(corpus, "savedrecs.txt") == [1, 2, 3, 47, 65, 77]
    assert (corpus.report.totals["listings"], corpus.report.totals["papers"]) == (3, 3)


def test_fields():
    corpus = load_corpus([SAVEDRECS])
    first, second, third = (corpus.listings.iloc[i] for i in range(3))
    # TI continued on a second line; AU one author per line (AF, the full names, not counted again).
    assert first.title == ("Using text mining for study identification in systematic reviews: a systematic review "
                           "of current approaches")
    assert first.authors == "O'Mara-Eves, A; Thomas, J; McNaught, J; Miwa, M; Ananiadou, S"
    assert first.authors_count == 5
    assert first.abstract.endswith("for inclusion in systematic reviews both complex and time consuming.")
    assert (first.date_text, first.published) == ("2015-01-14", pd.Timestamp("2015-01-14"))  # PY 2015 + PD JAN 14
    assert (first.doi, first.pmid) == ("10.1186/2046-4053-4-5", "25588314")
    assert first.categories == ["Medicine, General & Internal", "General & Internal Medicine"]
    # PD `SPR`: a season, so the year alone; WC and SC overlap and each category is kept once.
    assert (second.date_text, second.date_precision) == ("2014", "year")
    assert second.categories == ["Medicine, General & Internal", "Health Care Sciences & Services",
                                 "General & Internal Medicine"]
    # PD `SEP-OCT`: the first month; no AB.
    assert (third.date_text, third["flags"]) == ("2017-09", ["missing_abstract"])
    assert pd.isna(third.doi) and pd.isna(third.pmid)


def test_stray_text_and_a_record_without_title_or_end(write):
    text = ("FN Clarivate Analytics Web of Science\nVR 1.0\nnote pasted here\nPT J\nAU Doe, J\nPY 2020\nER\n\n"
            "PT J\nTI A record cut short\n")
    corpus = load_corpus([write("savedrecs.txt", text)])
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (3, "text outside a Web of Science record"), (4, "Web of Science record without a title (TI)")]
    only = corpus.listings.iloc[0]
    assert (only.source_line, only.title, only["flags"]) == (9, "A record cut short",
                                                             ["unterminated_record", "missing_abstract"])


@pytest.mark.parametrize(("year", "day", "text"), [
    ("2019", "MAY 17", "2019-05-17"), ("2019", "MAY", "2019-05"), ("2019", "NOV-DEC", "2019-11"),
    ("2019", "SPR", "2019"), ("2019", None, "2019"), ("19", "MAY", "19"), (None, "MAY", None),
])
def test_wos_date(year, day, text):
    assert wos.wos_date(year, day) == text


@pytest.mark.parametrize(("head", "expected"), [
    ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\n", True),
    ("FN Thomson Reuters Web of Science\nVR 1.0\n", True),
    ("PT J\nAU Smith, J\nTI A title\n", True),
    ("PT J\n", False),
    ("FN is short for file name.\nVR headsets are popular.\n", False),
    ("PT Barnum was a showman.\nHe said many things.\n", False),
])
def test_sniff(head, expected):
    assert wos.looks_like_wos(head, ".txt") is expected


def test_the_doi_is_passed_as_written_so_the_loader_normalizes_or_flags_it():
    # `10.1038/NATURE14539` comes out normalized; `nature16961` is no DOI:
    # dropped and flagged, not lost silently.
    rows = plain(load_corpus([FIXTURES / "wos" / "malformed_doi.txt"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [[3, "10.1038/nature14539", []], [12, None, ["invalid_doi"]]]
