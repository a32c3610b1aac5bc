"""Property tests: whatever text a capture holds, loading it either succeeds with every block accounted for, or
fails with nbkit's one documented error; and the reader's fast path agrees with its block-by-block path."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from tests.conftest import accounted_lines, paragraph_starts
from tests.sources.test_hf_page import _parse

HEADER = ["new", "Get trending papers in your email inbox!", "Subscribe", "Daily Papers",
          "byAK and the research community", "Mar 11", "Dec 8"]
META = ["  • 3 authors", "·", "Feb 4 3", "Jun 9, 2022", "May 19", "• 1 author", "· Aug 15"]
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
LONG = st.builds(lambda w, n: (" ".join([w] * n))[:900], st.text("abcdef xyz.", min_size=3, max_size=12),
                 st.integers(30, 90))
LINE = st.one_of(st.sampled_from(HEADER + META), WORDS, LONG, st.just(""), st.just("   "))
SEPARATOR = st.sampled_from(["\n", "\n\n", "\r\n", "\r", "\n\n\n"])


@st.composite
def capture(draw) -> str:
    lines = draw(st.lists(LINE, max_size=30))
    return "".join(line + draw(SEPARATOR) for line in lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(capture())
def test_any_text_loads_with_every_block_accounted_for_or_fails_cleanly(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.txt"
        path.write_bytes(text.encode("utf-8"))
        try:
            corpus = load_corpus([path], fmt="hf_page", reference_year=2025)
        except NbkitError as error:
            assert "\n" not in str(error)
            return
        corpus.report.check()
        assert accounted_lines(corpus, "page.txt") == paragraph_starts_with_splits(corpus, text)
        assert corpus.report.totals["listings"] - corpus.report.totals["papers"] == \
            corpus.report.totals["merged_duplicates"]


def paragraph_starts_with_splits(corpus, text: str) -> list[int]:
    """Blocks as the accounting sees them. A paragraph may hold several blocks (metadata lines next to text, a
    header line or a long line on its own), so every paragraph start must be among the accounted lines, and every
    accounted line must be a non-blank line of the file."""
    accounted = accounted_lines(corpus, "page.txt")
    starts = paragraph_starts(text)
    assert set(starts) <= set(accounted), "a paragraph vanished"
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    assert all(lines[n - 1].strip() for n in accounted), "a block starts on a blank line"
    assert len(accounted) == len(set(accounted)), "a line was accounted twice"
    return accounted


LISTING = st.builds(
    lambda title, abstract, meta, gap: f"{title}\n\n{abstract}" + (f"\n\n{meta}" if meta else "") + gap,
    st.one_of(st.text("ABCdef Ünï:-", min_size=1, max_size=60), st.sampled_from(HEADER)),
    st.one_of(LONG, st.text("abc ", min_size=1, max_size=50)),
    st.one_of(st.none(), st.sampled_from(["  • 7 authors\n·\nFeb 4 3", "  • 2 authors\n·\nJun 9, 2022",
                                          "  • 5 authors\n·\nnot a date at all", "·\nMar 3"])),
    st.sampled_from(["\n\n", "\n\n\n", "\n", "\n  \n"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(HEADER), max_size=4), st.lists(LISTING, max_size=8), st.integers(1, 400))
def test_fast_and_block_paths_agree_on_page_like_text(header, listings, chunk):
    text = "".join(h + "\n\n" for h in header) + "".join(listings)
    assert _parse(text, fast=True, chunk_bytes=chunk) == _parse(text, fast=False)


# Pieces that sit on the edges of the reader's rules: metadata split over paragraphs or glued to text, bullets and
# counts that are not metadata, header words after the header, impossible dates, padded or tabbed lines, lines of
# other whitespace, text that cleans away, and titles over the long-line limit.
ABSTRACT = "An abstract long enough for the fast path, with some words. " * 7
EDGE_PIECES = [
    *HEADER, "Trending Papers", "  • 7 authors\n·\nFeb 4 3", "  • 2 authors\n·", "·\nMar 3", "3 authors",
    "1,234 authors", "- 2 authors", "Sept 31", "Feb 30, 2023 5", "May 19 1,024", "3D Title", "·Title",
    "Title  with  doubled  spaces", "title\twith a tab", " Leading space title", "A Title ", "\u00a0", "\x0c",
    "\x01", "x" * 301, ABSTRACT.strip(), "  " + ABSTRACT.strip(), ABSTRACT.strip().replace("words", "wörds"),
    "Ünïcode Title", "Title\n" + ABSTRACT.strip(),
]


@st.composite
def edge_page(draw) -> str:
    pieces = draw(st.lists(st.sampled_from(EDGE_PIECES), max_size=25))
    return "".join(piece + draw(st.sampled_from(["\n", "\n\n", "\n\n\n", "\n \n", "\n\t\n"])) for piece in pieces)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edge_page(), st.integers(1, 300))
def test_edge_pages_agree_on_both_paths_and_give_every_block_its_own_line(text, chunk):
    slow = _parse(text, fast=False)
    assert _parse(text, fast=True) == slow
    assert _parse(text, fast=True, chunk_bytes=chunk) == slow
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.txt"
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
        try:
            corpus = load_corpus([path], fmt="hf_page", reference_year=2025)
        except NbkitError as error:
            assert str(error).endswith(("empty file", "file has only whitespace")) or "no paper listings" in str(error)
            return
        accounted = paragraph_starts_with_splits(corpus, text)
        assert corpus.report.files[0].blocks == len(accounted)  # no block without a line of its own
