"""The RIS reader: each vendor's flavour, against hand-written fixtures."""

from __future__ import annotations

import pandas as pd
import pytest
import rispy

from nbkit.corpus import load_corpus
from nbkit.sources import ris
from nbkit.sources.base import ParsedFile
from nbkit.sources.tagged import split_records
from tests.conftest import FIXTURES, accounted_lines, plain

RIS = FIXTURES / "ris"


def row(corpus, title_start: str) -> pd.Series:
    rows = corpus.listings[corpus.listings["title"].str.startswith(title_start)]
    assert len(rows) == 1, f"expected one listing starting {title_start!r}, found {len(rows)}"
    return rows.iloc[0]


# file -> (listings, their first lines, rejections as (line, reason))
EXPECTED = {
    "scopus.ris": ([2, 28, 47], []),
    "wos_export.ris": ([1, 19, 35], []),
    "ovid.ris": ([1, 25], [(40, "RIS record without a title (TI or T1)")]),
    "proquest.ris": ([1, 26], []),
    "endnote.ris": ([1, 18], []),
    "mixed_endings.ris": ([2, 11], []),
    "cut_off.ris": ([4, 11, 16], [(1, "text outside a RIS record")]),
    "malformed_doi.ris": ([1, 7, 14], []),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_record_is_a_listing_or_a_rejection_with_its_line(name):
    corpus = load_corpus([RIS / name])
    lines, rejections = EXPECTED[name]
    entry = corpus.report.files[0]
    assert entry.format == "ris"
    assert corpus.listings["source_line"].tolist() == lines
    assert [(r.line, r.reason) for r in corpus.report.rejections] == rejections
    assert (entry.blocks, entry.header_lines, entry.listing_blocks, entry.rejected) == (
        len(lines) + len(rejections), [], len(lines), len(rejections))
    assert accounted_lines(corpus, name) == sorted(lines + [line for line, _ in rejections])
    assert corpus.report.totals["listings"] == len(lines) and corpus.report.totals["rejected"] == len(rejections)


def test_all_flavours_in_one_load():
    corpus = load_corpus(sorted(RIS.glob("*.ris")))  # the folder also holds PROVENANCE.md, which is no corpus
    totals = corpus.report.totals
    # 3 + 3 + 2 + 2 + 2 + 2 + 3 + 3 listings; the Ovid record without a title and cut_off's export note rejected.
    assert (totals["files"], totals["blocks"], totals["listings"], totals["rejected"]) == (8, 22, 20, 2)
    assert totals["papers"] == 20  # no two records are the same paper


def test_scopus_fields():
    corpus = load_corpus([RIS / "scopus.ris"])  # starts with a blank line
    cnn = row(corpus, "A sensitivity analysis")
    assert cnn.authors == "Zhang, Y.; Wallace, B.C.; Kuo, T.-T."
    assert cnn.authors_count == 3
    assert cnn.doi == "10.18653/v1/i17-1026"
    assert (cnn.published, cnn.date_precision) == (pd.Timestamp("2017-01-01"), "year")
    assert cnn.categories == ["Convolution", "Natural language processing systems", "Sentence classification"]
    assert cnn.abstract.startswith("Convolutional Neural Networks (CNNs) have recently achieved")
    deep = row(corpus, "Deep learning for screening")
    # PY `2019//`; the DOI lower-cased; a keyword given twice kept once.
    assert (deep.date_text, deep.doi) == ("2019", "10.1016/j.jbi.2019.103190")
    assert deep.categories == ["Systematic reviews", "Deep learning", "Citation screening"]
    letter = row(corpus, "Letter: reply")
    assert letter["flags"] == ["missing_abstract"] and pd.isna(letter.doi)


def test_wos_ris_dates_and_an_unreadable_year():
    corpus = load_corpus([RIS / "wos_export.ris"])  # UTF-8 BOM
    assert corpus.report.files[0].encoding == "utf-8 (with BOM)"
    guide = row(corpus, "Toward systematic review automation")
    # DA `JUL 11 2019` is not a form nbkit reads, so PY's year stands.
    assert (guide.date_text, guide.date_precision, guide.authors_count) == ("2019", "year", 2)
    assert guide.source_line == 1  # the BOM does not shift lines
    kusa = row(corpus, "An analysis of work saved")
    # PY gives the year, DA `MAY 2023` the month of the same year: the finer one is kept.
    assert (kusa.date_text, kusa.published, kusa.date_precision) == ("MAY 2023", pd.Timestamp("2023-05-01"), "month")
    bad = row(corpus, "Screening prioritisation")
    assert bad.date_text == "10 15" and pd.isna(bad.published)
    assert bad["flags"] == ["missing_abstract", "invalid_date"]
    assert pd.isna(bad.pmid)  # AN is a WoS accession number, not a PubMed id


def test_ovid_t1_a1_y1_n2_and_a_pubmed_id_only_from_medline():
    corpus = load_corpus([RIS / "ovid.ris"])
    medline = row(corpus, "Machine learning to reduce")
    assert medline.authors == "Gates, Allison; Johnson, Cydney; Hartling, Lisa"
    assert (medline.authors_count, medline.date_text, medline.pmid) == (3, "2019", "31102345")
    assert medline.abstract.startswith("BACKGROUND: Machine learning tools")
    assert medline.categories == ["Humans", "Machine Learning", "Systematic Reviews as Topic/mt [Methods]"]
    embase = row(corpus, "Active learning for title")
    # An all-digit AN from Embase is an Embase id.
    assert pd.isna(embase.pmid)
    assert (embase.date_text, embase.published) == ("2021-03-09", pd.Timestamp("2021-03-09"))


def test_proquest_doi_url_continued_abstract_and_empty_date_parts():
    corpus = load_corpus([RIS / "proquest.ris"])
    slr = row(corpus, "Automation of systematic literature reviews")
    assert slr.doi == "10.1016/j.infsof.2021.106589"  # from `http://dx.doi.org/...`
    # The abstract's second line has no tag: it continues the AB line.
    assert slr.abstract == ("Context: Systematic literature review (SLR) is a secondary study that identifies, "
                            "evaluates and synthesises the evidence on a topic. Objective: We review the tools "
                            "that automate SLR steps.")
    assert (slr.date_text, slr.authors_count, pd.isna(slr.pmid)) == ("2021", 3, True)  # Y1 `2021///` wins
    thesis = row(corpus, "Text mining for study identification")
    assert (thesis.date_text, thesis.authors) == ("2016", "O'Mara-Eves, Alison")


def test_endnote_editors_pubmed_url_and_arxiv():
    corpus = load_corpus([RIS / "endnote.ris"])
    chapter = row(corpus, "Reducing workload")
    # A2 lines are the book's editors, not authors; DA refines PY's year to a day.
    assert (chapter.authors, chapter.authors_count) == ("Cohen, Aaron M.; Hersh, William R.", 2)
    assert (chapter.date_text, chapter.pmid) == ("2006-03-01", "16357352")
    query = row(corpus, "Can ChatGPT write")
    assert (query.arxiv_id, query.doi, query.authors_count) == ("2302.03495", "10.48550/arxiv.2302.03495", 4)
    assert (query.date_text, query.date_precision) == ("2023-02-09", "day")  # `2023/02/09/`


def test_mixed_line_endings():
    corpus = load_corpus([RIS / "mixed_endings.ris"])
    assert corpus.report.files[0].line_endings == ["CR", "CRLF", "LF"]
    first, second = corpus.listings.iloc[0], corpus.listings.iloc[1]
    assert (first.title, first.authors_count, first.date_text) == ("Mixed line endings in exported records", 2,
                                                                   "2018-07")
    assert (second.title, second.doi) == ("Second record after a carriage return", "10.5555/mixed.2020.2")


def test_records_without_an_end_tag_are_kept_and_flagged():
    corpus = load_corpus([RIS / "cut_off.ris"])
    flags = corpus.listings.set_index("source_line")["flags"].to_dict()
    assert flags == {4: [], 11: ["unterminated_record"], 16: ["unterminated_record", "missing_abstract"]}
    # The record that ran into the next TY line still ends where that record starts.
    assert row(corpus, "A record whose end tag").abstract == "The export stopped before the end tag."
    assert corpus.report.rejections[0].text == "Search results exported 2024-03-02 Database: Scopus"


def test_a_multi_record_file_is_never_one_paper_titled_er(write):
    # The symptom: 25 records read as one paper titled `ER  -`.
    records = "".join(f"TY  - JOUR\nTI  - Paper {i}\nAU  - Author, A.\nPY  - 2020\nER  - \n\n" for i in range(25))
    corpus = load_corpus([write("export.ris", records)])
    assert corpus.listings["title"].tolist() == [f"Paper {i}" for i in range(25)]
    assert corpus.listings["source_line"].tolist() == [1 + 6 * i for i in range(25)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fields_match_rispy(name):
    """The fast field reader gives what rispy.loads gives, for every field nbkit reads."""
    text = (RIS / name).read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    records = list(split_records([text], ParsedFile("x", "x", "ris", "x"), ris.FORMAT))
    for record in records:
        body = record.text if record.terminated else record.text + "\nER  - "
        expected = rispy.loads(body, skip_unknown_tags=True)[0]
        expected = {k: v for k, v in expected.items() if k in ris._READ.values()}
        assert ris.ris_fields(record.text) == expected


@pytest.mark.parametrize(("year", "date", "text"), [
    ("2019", None, "2019"),
    ("2019//", None, "2019"),
    ("2019///", None, "2019"),
    ("2019/05/17", None, "2019-05-17"),
    ("2019/5/", None, "2019-05"),
    ("2019/05/17/Spring", None, "2019-05-17"),
    ("2019", "2019/05/17", "2019-05-17"),  # DA refines the year
    ("2019", "2018/05/17", "2019"),  # ...but not a different year
    ("2019/03/01", "2019/05/17", "2019-03-01"),  # PY already has a day
    (None, "2019/05/", "2019-05"),
    ("10 15", None, "10 15"),  # kept as written, flagged invalid_date by the loader
    (None, None, None),
])
def test_ris_date(year, date, text):
    assert ris.ris_date(year, date) == text


@pytest.mark.parametrize(("head", "expected"), [
    ("TY  - JOUR\nAU  - A\n", True),
    ("\n\nTY  - JOUR\r\nTI  - A\r\n", True),
    ("Exported from Scopus\n\nTY  - JOUR\nTI  - A\n", True),
    ("TY  - JOUR\n", False),  # a type line and nothing after it
    ("TY is a two-letter tag; AU is the author.\nThat is all.\n", False),
    ("The RIS format writes TY  - JOUR first.\nER  - last.\n", False),
])
def test_sniff(head, expected):
    assert ris.looks_like_ris(head, ".txt") is expected


def test_end_to_end_export_fixture():
    """The 90 arXiv papers written as a Scopus-style export (tests/fixtures/exports, from make_exports.py)."""
    corpus = load_corpus([FIXTURES / "exports" / "arxiv_scopus_style.ris"])
    totals = corpus.report.totals
    assert (totals["blocks"], totals["listings"], totals["papers"], totals["rejected"]) == (90, 90, 90, 0)
    first = corpus.listings.iloc[0]
    assert first.title == "The core helium flash revisited: I. One and two-dimensional hydrodynamic simulations"
    assert (first.authors_count, first.date_text, first.doi, first.arxiv_id) == (
        4, "2008-05", "10.48550/arxiv.0805.1355", "0805.1355")  # PY 2008 refined by DA 2008/05
    listings = corpus.listings
    assert listings["arxiv_id"].notna().all() and listings["abstract"].notna().all()
    assert (listings["doi"] == "10.48550/arxiv." + listings["arxiv_id"]).all()


def test_a_do_field_that_is_no_doi_is_flagged_not_dropped():
    rows = plain(load_corpus([RIS / "malformed_doi.ris"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [
        [1, None, ["invalid_doi"]],
        [7, "10.1038/nature14539", []],
        [14, "10.1109/cvpr.2016.90", []],
    ]


def test_plain_records_give_the_same_listing_as_any_other():
    # A plain record (printable ASCII) skips clean_text's per-character test: spaces are still cleaned.
    text = ("TY  - JOUR\nTI  - Two  spaces \nAU  - Doe,  J.\nAB  -\n  indented\nKW  - deep  learning\n"
            "KW  - deep learning\nER  - ")
    record = ris.TaggedRecord(1, text, True, True)
    listing = ris.ris_listing(record)
    assert listing == ris.ris_listing(record._replace(plain=False))
    assert (listing["title"], listing["abstract"], listing["authors"], listing["categories"]) == (
        "Two spaces", "indented", ["Doe, J."], ["deep learning"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_records_read_the_same_plain_or_not(name):
    text = (RIS / name).read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    for record in split_records([text], ParsedFile("x", "x", "ris", "x"), ris.FORMAT):
        if record.text.isascii() and record.text.replace("\n", "").isprintable():
            assert ris.ris_listing(record._replace(plain=True)) == ris.ris_listing(record)
