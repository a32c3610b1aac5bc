"""Reader for plain-text captures of Hugging Face "Daily Papers" listing pages.

A page is a header (site lines such as `new`, `Subscribe`, `Daily Papers`, and the page date `Mar 11`), then
listings: a title paragraph, an abstract paragraph, and on some pages a metadata block of three lines
(`  • 7 authors`, `·`, `Feb 4, 2024 3`: date with optional year, optional upvote count).

Blocks are paragraphs (runs of non-blank lines) with three refinements that make other people's captures work:
metadata lines never share a block with text; a text line over 300 characters (an unwrapped abstract) is a block
of its own; a site header line or a date line is a block of its own. So captures that lost their blank lines still
parse, and hard-wrapped paragraphs are joined.

Every block becomes part of a listing, a header line, or a rejection with its line and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nbkit.clean import clean_text
from nbkit.dates import is_hf_date, parse_hf_date
from nbkit.sources.base import ParsedFile

# Site lines recognized in a page header (compared case-insensitively).
HEADER_LINES = frozenset({
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "trending papers",
    "byak and the research community",
})
# Lines that can only be site chrome, so they start a (new) header wherever they appear.
CHROME_LINES = frozenset({"get trending papers in your email inbox!", "byak and the research community"})

LONG_LINE = 300  # longer text is an abstract, never a title
_AUTHORS = re.compile(r"^[•·∙*\-]?\s*(\d[\d,]*)\s+authors?$", re.IGNORECASE)
_DOTS = "·•∙"

TEXT, META = 0, 1


def _is_header_or_date(line: str) -> bool:
    return len(line) < 48 and (line.lower() in HEADER_LINES or is_hf_date(line))


def iter_blocks(lines: Iterator[str]) -> Iterator[tuple[int, int, list[str]]]:
    """(first line number, TEXT or META, stripped lines) for each block."""
    buf: list[str] = []
    start = kind = 0
    date_slot = False  # the line after a lone `·` is the metadata date
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            if buf:
                yield start, kind, buf
                buf = []
            date_slot = False
            continue
        alone = False
        if (date_slot and (len(line) <= 24 or parse_hf_date(line) is not None)) or line in _DOTS or ((line[0] in _DOTS or line[0].isdigit()) and _AUTHORS.match(line)):
            this = META
        elif line[0] in _DOTS and parse_hf_date(line[1:]) is not None:
            this = META  # `· Aug 15` on one line
        else:
            this = TEXT
            alone = len(line) > LONG_LINE or _is_header_or_date(line)
        date_slot = line in _DOTS
        if buf and (this != kind or alone or (kind == TEXT and _ends_alone(buf))):
            yield start, kind, buf
            buf = []
        if not buf:
            start, kind = number, this
        buf.append(line)
    if buf:
        yield start, kind, buf


def _ends_alone(buf: list[str]) -> bool:
    """A text block holding a long line or a header/date line takes nothing after it."""
    last = buf[-1]
    return len(last) > LONG_LINE or _is_header_or_date(last)


def _parse_meta(lines: list[str]) -> dict:
    """Fields of a metadata block: authors_count, date_text, date parts, upvotes, flags."""
    out: dict = {"flags": []}
    for index, line in enumerate(lines):
        match = _AUTHORS.match(line)
        if match:
            out["authors_count"] = int(match.group(1).replace(",", ""))
            continue
        text = line.lstrip(_DOTS).strip()
        if not text:
            continue
        if index == 0 and line[0] not in _DOTS:
            continue  # not reachable by iter_blocks' rules; kept defensive
        out["date_text"] = text
        parsed = parse_hf_date(text)
        if parsed is None:
            out["flags"].append("invalid_date")
        else:
            out["date"], out["upvotes"] = parsed
    return out


def parse_hf_page(lines: Iterator[str], parsed: ParsedFile, collection: str) -> ParsedFile:
    """Read one page's lines into `parsed` (listings, header lines, rejections). Never raises on content."""
    cols = parsed.listings.columns
    in_header = True  # at the start of the page, or right after site chrome
    pending: tuple[int, str] | None = None  # a title waiting for its abstract
    last: int | None = None  # index of the newest listing that may still take a metadata block
    meta_fields: set[str] = set()

    def emit(title_line: int, title: str, abstract_line: int | None, abstract: str | None) -> int:
        cols["source_line"].append(title_line)
        cols["abstract_line"].append(abstract_line)
        cols["meta_line"].append(None)
        cols["collection"].append(collection)
        cols["title"].append(title)
        cols["abstract"].append(abstract)
        for name in ("authors", "authors_count", "date_text", "date_year", "date_month", "date_day",
                     "date_precision", "upvotes", "arxiv_id"):
            cols[name].append(None)
        cols["categories"].append([])
        cols["flags"].append([] if abstract is not None else ["missing_abstract"])
        parsed.listing_blocks += 1 if abstract is None else 2
        return len(cols["title"]) - 1

    blocks = iter_blocks(lines)
    upcoming = next(blocks, None)
    while upcoming is not None:
        line, kind, block = upcoming
        upcoming = next(blocks, None)
        parsed.blocks += 1

        if kind == META:
            fields = _parse_meta(block)
            keys = {k for k in fields if k != "flags"}
            if pending is not None:
                last = emit(*pending, None, None)
                pending = None
                meta_fields = set()
            if last is None or keys & meta_fields:
                parsed.reject(line, "metadata block with no listing before it", " / ".join(block))
                continue
            _attach_meta(parsed, last, line, fields)
            parsed.listing_blocks += 1
            meta_fields |= keys
            in_header = False
            continue

        text = clean_text(block[0] if len(block) == 1 else " ".join(block))
        if pending is None:
            low = text.lower() if len(text) < 48 else ""
            if low in CHROME_LINES or (in_header and low in HEADER_LINES):
                parsed.header_lines.append(line)
                in_header = True
                continue
            if in_header and is_hf_date(text):
                parsed.header_lines.append(line)
                if parsed.page_date_text is None:
                    parsed.page_date_text = text
                    parsed.page_date_parts = parse_hf_date(text)[0]  # type: ignore[index]
                continue
            in_header = False
            if not text:
                parsed.reject(line, "block with no text after removing control characters", " ".join(block))
            elif is_hf_date(text):
                parsed.reject(line, "date line outside a header or metadata block", text)
            elif len(text) > LONG_LINE:
                parsed.reject(line, "abstract-like paragraph where a title was expected (title missing?)", text)
            else:
                pending = (line, text)
                last = None
            continue

        # A title is waiting for its abstract.
        if is_hf_date(text) or not text:
            last = emit(*pending, None, None)
            pending = None
            meta_fields = set()
            parsed.reject(line, "date line outside a header or metadata block" if text else
                          "block with no text after removing control characters", text or " ".join(block))
            continue
        if (len(text) <= LONG_LINE and upcoming is not None and upcoming[1] == TEXT
                and len(upcoming[2][0]) > LONG_LINE):
            # Short text followed by an abstract: the waiting title lost its abstract; this is the next title.
            last = emit(*pending, None, None)
            pending = (line, text)
            meta_fields = set()
            continue
        last = emit(pending[0], pending[1], line, text)
        pending = None
        meta_fields = set()

    if pending is not None:
        emit(*pending, None, None)  # cut off at the end of the file: kept, flagged missing_abstract

    if not parsed.header_lines and parsed.blocks:
        parsed.warnings.append("no page header (site lines and page date); page date unknown")
        for flags in cols["flags"]:
            flags.append("no_page_header")
    return parsed


def _attach_meta(parsed: ParsedFile, index: int, line: int, fields: dict) -> None:
    cols = parsed.listings.columns
    if cols["meta_line"][index] is None:
        cols["meta_line"][index] = line
    if "authors_count" in fields:
        cols["authors_count"][index] = fields["authors_count"]
    if "date_text" in fields:
        cols["date_text"][index] = fields["date_text"]
    if "date" in fields:
        year, month, day, precision = fields["date"]
        cols["date_year"][index] = year
        cols["date_month"][index] = month
        cols["date_day"][index] = day
        cols["date_precision"][index] = precision
        cols["upvotes"][index] = fields["upvotes"]
    cols["flags"][index].extend(fields["flags"])
