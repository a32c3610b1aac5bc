"""Property tests: text of no format is never loaded as records by a reader whose format it does not match.

Random documents of prose, markup (HTML, XML, Markdown, LaTeX, tables) and `key: value` lines go through every
reader of the registry (TEXT_READERS, so readers added later are covered too): no sniffer claims them, detection
ends in the one-line "unrecognised format" error (only the HF page reader may take text of an HF page's shape), and
a reader forced onto them gives rejections, header blocks or an NbkitError, never a listing titled with markup.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkit.errors import NbkitError
from nbkit.sources import TEXT_READERS, detect_format, read_file

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9)
WORDS = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
PROSE = st.lists(WORD, min_size=3, max_size=40).map(lambda ws: " ".join(ws).capitalize() + ".")
MARKUP = st.one_of(
    st.builds("<{0}>{1}</{0}>".format, WORD, WORDS),
    st.builds('<div class="{}">'.format, WORD),
    st.builds("<{} />".format, WORD),
    st.builds("{} {}".format, st.sampled_from(["#", "##", "###", "-", "*", ">", "1."]), WORDS),
    st.builds("[{}](https://example.org/{})".format, WORDS, WORD),
    st.builds("### [{}][{}]".format, WORDS, st.integers(1, 9)),
    st.builds("[{}]: https://example.org/{}".format, st.integers(1, 9), WORD),
    st.builds("![{}]({}.png)".format, WORDS, WORD),
    st.builds("| {} | {} |".format, WORDS, WORDS),
    st.builds("\\begin{{{}}}".format, WORD),
    st.builds("\\{}{{{}}}".format, WORD, WORDS),
    st.just("```"),
    st.just("---"),
)
KEY_VALUE = st.builds("{}{}{}".format, st.one_of(WORD, WORD.map(str.capitalize)),
                      st.sampled_from([": ", " = ", ":\t"]), WORDS)
FOREIGN_LINE = st.one_of(MARKUP, KEY_VALUE)


@st.composite
def documents(draw) -> str:
    """Lines of markup, key/value pairs and prose, in paragraphs; the first line is never prose, so the text does
    not open like an HF page (a title line over an abstract)."""
    rest = draw(st.lists(st.one_of(MARKUP, KEY_VALUE, PROSE, st.just("")), max_size=30))
    return "\n".join([draw(FOREIGN_LINE), *rest]) + "\n"


@st.composite
def prose_documents(draw) -> str:
    """Paragraphs of prose only: the one kind of foreign text an HF page capture can look like."""
    paragraphs = draw(st.lists(st.lists(PROSE, min_size=1, max_size=4).map("\n".join), min_size=1, max_size=8))
    return "\n\n".join(paragraphs) + "\n"


_MARKUP_TITLE = re.compile(r"^[<#\[!|>*`\\{@-]|</|/>|\]\(|^\w+\s*[:=]\s")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _write(text: str, name: str) -> tuple[tempfile.TemporaryDirectory, Path]:
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / name
    path.write_text(text, encoding="utf-8")
    return folder, path


def _hf_shaped(text: str) -> bool:
    """Independent of the sniffer: a one-line first paragraph over a long second one (a title over an abstract)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return len(paragraphs) >= 2 and "\n" not in paragraphs[0].strip() and len(paragraphs[1]) >= 200


@pytest.mark.parametrize("reader", TEXT_READERS, ids=lambda r: r.name)
@SETTINGS
@given(text=st.one_of(documents(), prose_documents()))
def test_no_sniffer_claims_foreign_text(reader, text):
    for suffix in sorted(reader.suffixes | {".txt"}):
        assert not reader.sniff(text, suffix), (reader.name, suffix)


@SETTINGS
@given(text=st.one_of(documents(), prose_documents()))
def test_foreign_text_is_an_unrecognised_format_or_an_hf_shaped_page(text):
    folder, path = _write(text, "foreign.txt")
    with folder:
        try:
            found = detect_format(path, path.read_bytes())
        except NbkitError as exc:
            assert "unrecognised format" in str(exc) and "\n" not in str(exc)
        else:
            assert found == "hf_page" and _hf_shaped(text), found


@pytest.mark.parametrize("reader", TEXT_READERS, ids=lambda r: r.name)
@SETTINGS
@given(text=st.one_of(documents(), prose_documents()))
def test_a_forced_reader_never_makes_listings_of_markup(reader, text):
    folder, path = _write(text, f"foreign{min(reader.suffixes, default='.txt')}")
    with folder:
        try:
            parsed = read_file(path, path.name, fmt=reader.name)
        except NbkitError as exc:
            assert "\n" not in str(exc)
            return
    assert parsed.blocks == len(parsed.header_lines) + parsed.listing_blocks + len(parsed.rejections)
    for title in parsed.listings.title:
        assert not _MARKUP_TITLE.search(title), (reader.name, title)
