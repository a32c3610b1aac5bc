"""The HF "Daily Papers" capture reader: every format variant, against hand-written fixtures."""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources.base import ParsedFile
from nbkit.sources.hf_page import _fast_meta, parse_hf_page
from nbkit.sources.textio import Chunk
from tests.conftest import BUNDLED, HF, accounted_lines, listing, paragraph_starts


def test_header_lines_page_date_and_mixed_metadata():
    corpus = load_corpus([HF / "mixed_metadata.txt"])
    entry = corpus.report.files[0]
    # new, Get trending..., Subscribe, Daily Papers, byAK..., Dec 8: the six header paragraphs on lines 1-11.
    assert entry.header_lines == [1, 3, 5, 7, 9, 11]
    assert entry.format == "hf_page"
    assert corpus.report.totals["listings"] == 4
    tool = listing(corpus, "Tool Learning with Small Models")
    assert (tool.source_line, tool.abstract_line, tool.meta_line) == (13, 15, 17)
    assert (tool.authors_count, tool.date_text, tool.upvotes) == (7, "Feb 4", 3)
    plain = listing(corpus, "Curriculum Learning Revisited")  # a listing without metadata on the same page
    assert (plain.source_line, plain.abstract_line) == (21, 23)
    assert pd.isna(plain.meta_line) and pd.isna(plain.authors_count) and pd.isna(plain.published)
    big = listing(corpus, "Beyond the Imitation Game")
    assert (big.authors_count, big.date_text, big.upvotes) == (445, "Jun 9, 2022", 1)
    assert big.published == pd.Timestamp("2022-06-09") and not big.date_inferred
    no_votes = listing(corpus, "TOOL LEARNING with small models!")
    assert (no_votes.date_text, no_votes.meta_line) == ("Oct 1", 37) and pd.isna(no_votes.upvotes)


def test_dates_without_year_take_the_latest_written_year_plus_one():
    corpus = load_corpus([HF / "mixed_metadata.txt"])
    # The page writes 2022 (Jun 9, 2022), so its `Mon D` dates are 2023, flagged as inferred.
    tool = listing(corpus, "Tool Learning with Small Models")
    assert tool.published == pd.Timestamp("2023-02-04")
    assert bool(tool.date_inferred) and "year_inferred" in tool["flags"]
    assert corpus.report.files[0].page_date == "2023-12-08"
    assert corpus.report.files[0].reference_year_rule == "latest year on the page + 1"


def test_reference_year_parameter_wins():
    corpus = load_corpus([HF / "mixed_metadata.txt"], reference_year=2019)
    assert listing(corpus, "Tool Learning with Small Models").published == pd.Timestamp("2019-02-04")
    assert listing(corpus, "Beyond the Imitation Game").published == pd.Timestamp("2022-06-09")  # written year


def test_collection_is_the_file_stem_and_can_be_renamed():
    corpus = load_corpus([HF / "mixed_metadata.txt"])
    assert set(corpus.listings["collection"]) == {"mixed_metadata"}
    renamed = load_corpus([HF / "mixed_metadata.txt"], collections={"mixed_metadata": "tools"})
    assert set(renamed.listings["collection"]) == {"tools"}
    assert renamed.papers["collections"].map(tuple).tolist() == [("tools",)] * 3


def test_titles_that_look_like_markup_are_kept_verbatim():
    corpus = load_corpus([HF / "markup_titles.txt"])
    assert corpus.listings["title"].tolist() == [
        '<script>alert("x")</script> Is a Real Title',
        "**Bold** Claims & <b>Tags</b>: $O(n^2)$ Is Fine",
    ]
    assert corpus.listings["title_key"].tolist() == ["scriptalertxscriptisarealtitle", "boldclaimsbtagsbon2isfine"]


def test_page_without_header_is_read_and_flagged():
    corpus = load_corpus([HF / "no_header.txt"])
    row = listing(corpus, "A Paper Without a Page Header")
    assert row["flags"] == ["no_page_header"]
    assert corpus.report.files[0].page_date is None
    assert any("no page header" in w for w in corpus.report.warnings)


def test_listing_cut_off_at_end_of_file_is_kept_and_flagged():
    corpus = load_corpus([HF / "cut_off.txt"])
    assert corpus.report.totals["listings"] == 2
    row = listing(corpus, "A Listing Cut Off After Its Title")
    assert row.source_line == 11 and pd.isna(row.abstract) and row["flags"] == ["missing_abstract"]
    assert corpus.papers.set_index("title").loc["A Listing Cut Off After Its Title", "flags"] == ["missing_abstract"]


def test_metadata_block_with_no_listing_before_it_is_rejected_with_its_line():
    corpus = load_corpus([HF / "orphan_metadata.txt"])
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (7, "metadata block with no listing before it")]
    row = listing(corpus, "Listing After an Orphan Block")
    assert pd.isna(row.authors_count) and pd.isna(row.date_text)


def test_capture_that_lost_its_blank_lines():
    corpus = load_corpus([HF / "blank_lines_lost.txt"], reference_year=2025)
    assert corpus.report.files[0].header_lines == [1, 2, 3]
    first = listing(corpus, "Lost Blank Lines")
    assert (first.source_line, first.abstract_line, first.meta_line, first.authors_count) == (4, 5, 6, 2)
    assert first.published == pd.Timestamp("2025-03-03")
    second = listing(corpus, "A Second Listing")
    assert (second.source_line, second.abstract_line) == (9, 10) and second["flags"] == []


def test_title_whose_abstract_is_missing_before_the_next_listing(write):
    abstract = "An abstract that is long enough to be taken for one. " * 7
    path = write("page.txt", f"Subscribe\n\nMar 11\n\nLonely Title\n\nNext Title\n\n{abstract}\n")
    corpus = load_corpus([path], reference_year=2025)
    assert corpus.listings["title"].tolist() == ["Lonely Title", "Next Title"]
    assert corpus.listings["flags"].tolist()[0] == ["missing_abstract"]
    assert corpus.listings["abstract_line"].tolist()[1] == 9


def test_text_where_a_title_was_expected_is_rejected(write):
    abstract = "A stray abstract whose title was lost when the page was copied. " * 6
    path = write("page.txt", f"Subscribe\n\nMar 11\n\n{abstract.strip()}\n\nA Title\n\n{abstract.strip()}\n")
    corpus = load_corpus([path], reference_year=2025)
    assert [(r.line, r.reason[:30]) for r in corpus.report.rejections] == [(5, "abstract-like paragraph where ")]
    assert corpus.listings["title"].tolist() == ["A Title"]


@pytest.mark.parametrize("name", ["mixed_metadata.txt", "no_header.txt", "cut_off.txt", "orphan_metadata.txt",
                                  "markup_titles.txt"])
def test_every_paragraph_is_accounted_for(name):
    corpus = load_corpus([HF / name])
    text = (HF / name).read_text(encoding="utf-8")
    assert accounted_lines(corpus, name) == paragraph_starts(text)


def _parse(text: str, fast: bool, chunk_bytes: int | None = None) -> tuple:
    raw = text.encode("utf-8")
    pieces = [raw] if chunk_bytes is None else [raw[i:i + chunk_bytes] for i in range(0, len(raw), chunk_bytes)]
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunks = iter([Chunk(decoder.decode(p, final=i == len(pieces) - 1), p) for i, p in enumerate(pieces)])
    parsed = parse_hf_page(chunks, ParsedFile("x", "x", "hf_page", "x"), fast=fast)
    buffer = parsed.listings
    return (buffer.title, buffer.abstract, buffer.source_line, buffer.abstract_line,
            {k: dict(v) for k, v in buffer.sparse.items()}, parsed.header_lines,
            [(r.line, r.reason) for r in parsed.rejections], parsed.blocks, parsed.listing_blocks)


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*.txt")) + sorted(HF.glob("*.txt")), ids=lambda p: p.name)
def test_fast_path_and_block_path_agree(path):
    text = path.read_text(encoding="utf-8")
    slow = _parse(text, fast=False)
    assert _parse(text, fast=True) == slow
    assert _parse(text, fast=True, chunk_bytes=997) == slow  # chunk boundaries anywhere, even inside a character


@pytest.mark.parametrize(("text", "expected"), [
    ("ab\n\n  • 3 authors\n·\nDec 8\n\nNext", (3, "Dec 8", 27)),  # 4 + 13 + 3 + 5, and the blank line
    ("ab\n\n  • 1 author\n·\nDec 8, 2024 12", (1, "Dec 8, 2024 12", 35)),  # the end of the segment
    ("ab\n\n  • 3 authors\n·\n" + "x" * 24 + "\n\n", (3, "x" * 24, 46)),
    ("ab\n\n  • 3 authors\n·\n" + "x" * 25 + "\n\n", None),  # a date line is at most 24 characters
    ("ab\n\n  • 3 authors\n·\nDec 8\nmore\n\n", None),  # a fourth line: not the standard block
    ("ab\n\n  • 3 authors\n·\nDec 8\n", None),  # a line break but no blank line after the date
    ("ab\n\n  • 3  authors\n·\nDec 8", None),
    ("ab\n\n  • ² authors\n·\nDec 8", None),  # a digit, but not an ASCII one
    ("ab\n\n  • 3 authors\n•\nDec 8", None),
    ("ab\n\n• 3 authors\n·\nDec 8", None),
])
def test_the_standard_metadata_block_read_at_once(text, expected):
    assert _fast_meta(text, 4) == expected
