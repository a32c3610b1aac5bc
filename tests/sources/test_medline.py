"""The PubMed MEDLINE reader, against a hand-written `.nbib` export."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources import medline
from tests.conftest import FIXTURES, accounted_lines, plain

NBIB = FIXTURES / "medline" / "pubmed.nbib"


def test_records_and_accounting():
    corpus = load_corpus([NBIB])
    entry = corpus.report.files[0]
    assert entry.format == "medline"
    # The file starts with a blank line; records are separated by blank lines.
    assert corpus.listings["source_line"].tolist() == [2, 41, 52, 58]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(64, "MEDLINE record without a title (TI)")]
    assert (entry.blocks, entry.header_lines, entry.listing_blocks, entry.rejected) == (5, [], 4, 1)
    assert accounted_lines(corpus, "pubmed.nbib") == [2, 41, 52, 58, 64]


def test_fields():
    corpus = load_corpus([NBIB])
    gates, miwa, season, winter = (corpus.listings.iloc[i] for i in range(4))
    # TI and AB continue on lines indented by six spaces.
    assert gates.title == ("Technology-assisted title and abstract screening for systematic reviews: a retrospective "
                           "evaluation of the Abstrackr machine learning tool.")
    assert gates.abstract.endswith("processes by semi-automating citation screening. RESULTS: Abstrackr reduced the "
                                   "screening workload by 59%.")
    # FAU and AU name the same three people: counted once, full names kept.
    assert (gates.authors, gates.authors_count) == ("Gates, Allison; Johnson, Cydney; Hartling, Lisa", 3)
    assert (gates.date_text, gates.published) == ("2019-11-15", pd.Timestamp("2019-11-15"))
    assert (gates.doi, gates.pmid) == ("10.1186/s13643-019-1222-2", "31102345")  # LID; the `278` LID is no DOI
    # `*` (a major MeSH topic) dropped; OT keywords after the MeSH headings.
    assert gates.categories == ["Humans", "Machine Learning", "Retrospective Studies", "automation",
                                "machine learning"]
    assert (miwa.date_text, miwa.date_precision, miwa.doi) == ("2016-01", "month", "10.1093/jamia/ocv044")  # AID
    assert miwa.categories == ["Humans"]
    assert (season.date_text, season.date_precision, season.authors) == ("2018", "year", "Smith J")  # AU only
    assert pd.isna(season.doi)  # the LID is a [pii]
    assert winter.date_text == "Winter 2017" and winter["flags"] == ["missing_abstract", "invalid_date"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2019 May 17", "2019-05-17"), ("2019 May", "2019-05"), ("2019", "2019"), ("2019 Jan-Feb", "2019-01"),
    ("2018 Dec-2019 Jan", "2018-12"), ("2019 Spring", "2019"), ("2019 Sep 3-9", "2019-09-03"),
    ("Winter 2017", "Winter 2017"), ("", None),
])
def test_medline_date(text, expected):
    assert medline.medline_date(text) == expected


@pytest.mark.parametrize(("head", "expected"), [
    ("\nPMID- 31102345\nOWN - NLM\n", True),
    ("PMID- 1\r\nTI  - A\r\n", True),
    ("PMID- 31102345\n", False),
    ("PMID- is the first tag of a record.\nOWN - NLM\n", False),
    ("Papers by PMID: 31102345 and 26754353.\n", False),
])
def test_sniff(head, expected):
    assert medline.looks_like_medline(head, ".txt") is expected


def test_the_doi_is_passed_as_written_so_the_loader_normalizes_or_flags_it():
    # `10.1186/S13643-019-1222-2 [doi]` comes out normalized; `10.1016 [doi]` is no DOI:
    # dropped and flagged, not lost silently.
    rows = plain(load_corpus([FIXTURES / "medline" / "malformed_doi.nbib"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [[1, "10.1186/s13643-019-1222-2", []], [8, None, ["invalid_doi"]]]
