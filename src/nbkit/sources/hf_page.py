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

import numpy as np

from nbkit.clean import clean_text
from nbkit.dates import is_hf_date, parse_hf_date
from nbkit.sources.base import ParsedFile
from nbkit.sources.textio import Chunk

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
SHORT_LINE = 48  # header and date lines are shorter than this
_AUTHORS = re.compile(r"^[•·∙*\-]?\s*(\d[\d,]*)\s+authors?$", re.IGNORECASE)
_DOTS = "·•∙"

TEXT, META, LISTINGS = 0, 1, 2

# The fast path takes a whole well-formed listing in one step, with str.find rather than a regex (a regex spends
# ~4 us walking each 1,500-character abstract): a title line of at most LONG_LINE characters that does not start
# with a space, bullet or digit; a blank line; one abstract line over LONG_LINE characters; and optionally a blank
# line and the usual three-line metadata block (`  • N authors`, `·`, a date of at most 24 characters); then a
# blank line or the end. Anything else goes block by block. Both paths give the same result (a property test
# checks it); the fast one costs a fraction per listing.
_NOT_TITLE_START = frozenset(" \t\f\v\u00a0·•∙0123456789")


def looks_like_hf_page(head: str) -> bool:
    """Whether a file's first bytes show an HF page, by positive evidence only: a page header at the top (two or
    more site and date lines, one of them a site line such as `Subscribe`), site chrome anywhere, a metadata block
    (`• 7 authors`, or a lone `·` over a date such as `Feb 4, 2024 3`), or, for a capture without header, the
    page's shape: a title line, a long prose abstract, optional metadata, and so on for every paragraph of the
    head. Markup, tagged records, code, tables and READMEs show none of these."""
    lines = [line.strip() for line in head.splitlines()[:_SNIFF_LINES]]
    leading, site = 0, False  # the run of header and date lines at the top: two or more, one a site line
    for line in lines:
        if not line:
            continue
        if len(line) >= SHORT_LINE or not (line.lower() in HEADER_LINES or is_hf_date(line)):
            break
        leading, site = leading + 1, site or line.lower() in HEADER_LINES
        if site and leading >= 2:
            return True
    for index, line in enumerate(lines):
        if line.lower() in CHROME_LINES or _BULLET_AUTHORS.match(line):
            return True
        if line in _DOTS and index + 1 < len(lines) and parse_hf_date(lines[index + 1]) is not None:
            return True
    return _has_listing_shape(lines, cut=len(head) >= _CUT_HEAD)


_SNIFF_LINES = 400
_CUT_HEAD = 60000  # a head this long may end inside a paragraph
_SHAPE_PARAGRAPHS = 12  # paragraphs of the head that must all fit the shape
_BULLET_AUTHORS = re.compile(r"^[•∙]\s*\d[\d,]*\s+authors?$", re.IGNORECASE)
_MIN_ABSTRACT = 200  # characters: shorter paragraphs after a title are not evidence of an abstract
_NOT_TEXT_START = tuple("#<>|`*-=+@%;:!/\\~$&_")
_LIST_ITEM = re.compile(r"^(\d+[.)]|[-*+•])\s")
_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9]{1,3}\s*-\s")  # RIS and MEDLINE tags: `TY  - `, `PMID- `
_KEY_LINE = re.compile(r"^[a-z_][\w.-]*\s*[:=]")  # `key: value`, `key = value` (YAML, INI, TOML, code)


def _has_listing_shape(lines: list[str], cut: bool) -> bool:
    """Paragraphs alternate title line / long prose abstract (each title may be followed by a metadata block),
    from the first paragraph on (page dates may come first). A paragraph cut by the sniff window is not judged."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    if cut and len(paragraphs) > 1:
        paragraphs.pop()
    paragraphs = paragraphs[:_SHAPE_PARAGRAPHS]
    while paragraphs and len(paragraphs[0]) == 1 and is_hf_date(paragraphs[0][0]):
        paragraphs.pop(0)
    pairs, expect_abstract = 0, False
    for paragraph in paragraphs:
        if expect_abstract:
            if not _is_prose(paragraph):
                return False
            pairs, expect_abstract = pairs + 1, False
        elif pairs and all(_is_meta_line(line, False) or parse_hf_date(line) for line in paragraph):
            continue  # a metadata block after a listing
        elif len(paragraph) == 1 and _is_title(paragraph[0]):
            expect_abstract = True
        else:
            return False
    return pairs > 0


def _is_title(line: str) -> bool:
    return (len(line) <= LONG_LINE and any(c.isalpha() for c in line) and not line.startswith(_NOT_TEXT_START)
            and not _LIST_ITEM.match(line) and not _TAG_LINE.match(line) and not _KEY_LINE.match(line)
            and not line.endswith(("{", "(", "[", ";", ",", ":", "=", "\\", "-->")))


def _is_prose(paragraph: list[str]) -> bool:
    """A paragraph of sentences: long, mostly letters and spaces, no line that starts like markup, a list item,
    a tag or a key."""
    text = " ".join(paragraph)
    if len(text) < _MIN_ABSTRACT or len(text.split()) < 20:
        return False
    if any(line.startswith(_NOT_TEXT_START) or _LIST_ITEM.match(line) or _TAG_LINE.match(line)
           or _KEY_LINE.match(line) for line in paragraph):
        return False
    plain = sum(c.isalpha() or c.isspace() for c in text)
    return plain >= 0.8 * len(text)


def _is_header_or_date(line: str) -> bool:
    return len(line) < SHORT_LINE and (line.lower() in HEADER_LINES or is_hf_date(line))


def iter_blocks(chunks: Iterator[Chunk], fast: bool = True) -> Iterator[tuple[int, int, object]]:
    """(first line number, TEXT or META, text) for each block: a TEXT block's lines are joined with spaces,
    a META block keeps its lines.

    Whole chunks are split on blank lines, which keeps the per-line work in C; only paragraphs of several lines
    (metadata blocks, wrapped text) are looked at line by line. One flat generator, because this loop runs for
    every block of a million-listing file.
    """
    line = 1  # line number where the next piece starts
    carry, carry_clean, previous = "", True, b""
    chunk: Chunk | None = Chunk("", b"")
    while chunk is not None:
        chunk = next(chunks, None)
        if chunk is not None:
            text = carry + chunk.text
            chunk_clean = fast and _ascii_clean(chunk.raw, previous)
            clean = carry_clean and chunk_clean
            previous = chunk.raw[-1:] if chunk.raw else b""
            cut = text.rfind("\n\n")
            if cut < 0:
                carry, carry_clean = text, clean
                continue
            segment, carry, carry_clean = text[:cut], text[cut + 2:], chunk_clean
        else:
            segment, clean = carry, fast and carry_clean
        line = yield from _segment_blocks(segment, line, fast, clean)


def _ascii_clean(raw: bytes | None, previous: bytes) -> bool:
    """True when no text line in `raw` needs ASCII-level cleaning: no control bytes but line breaks, no two spaces
    in a row and no space at a line's start or end, except the standard metadata indent (`\\n  • `). Lines of
    such a chunk that are also pure ASCII are already what clean_text would return, so the parser skips it:
    checking 4 MB with numpy costs less than clean_text on a hundred abstracts. `previous` is the last byte of
    the chunk before, for pairs that straddle the boundary."""
    if not raw or b"\x7f" in raw:
        return False
    if raw[:1] == b" " and previous in (b"", b" ", b"\n", b"\r"):
        return False  # a space at the start of the file or of a line, or the second of two
    if previous == b" " and raw[:1] in (b" ", b"\n", b"\r"):
        return False
    # Five passes over the bytes; everything else looks only at the line breaks (a few per 100 bytes).
    data = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(data < 32)
    found = data[breaks]
    if not np.all((found == 10) | (found == 13)):
        return False  # a control character (tab, ...) other than a line break
    if np.any(data[breaks[breaks > 0] - 1] == 32):
        return False  # a space at the end of a line
    inside = breaks[breaks + 1 < len(data)]
    indents = inside[data[inside + 1] == 32]  # breaks followed by a space: each must start `  • `
    spaces = data == 32
    if np.count_nonzero(spaces[:-1] & spaces[1:]) != len(indents):
        return False  # a double space that is not a metadata indent
    if not len(indents):
        return True
    if indents[-1] + 6 >= len(data):
        return False
    return bool(np.all((data[indents + 2] == 32) & (data[indents + 3] == 0xE2) & (data[indents + 4] == 0x80)
                       & (data[indents + 5] == 0xA2) & (data[indents + 6] == 32)))


def _segment_blocks(segment: str, line: int, fast: bool, clean: bool) -> Iterator[tuple[int, int, object]]:
    """Blocks of a run of complete paragraphs starting at `line`; returns the line after the run + 2."""
    pos, size = 0, len(segment)
    find, startswith = segment.find, segment.startswith
    batch: list[tuple[int, str, str, tuple | None]] = []  # consecutive fast-path listings go out together
    while pos < size:
        if fast:
            title_end = find("\n", pos)
            if (0 < title_end - pos <= LONG_LINE and startswith("\n", title_end + 1)
                    and segment[pos] not in _NOT_TITLE_START):
                start = title_end + 2
                end = find("\n", start)
                end = size if end < 0 else end
                if end - start > LONG_LINE and (end == size or startswith("\n\n", end)):
                    meta = _fast_meta(segment, end + 2)
                    batch.append((line, segment[pos:title_end], segment[start:end], meta))
                    if meta is None:
                        line, pos = line + 4, end + 2
                    else:
                        line, pos = line + 8, meta[2]
                    continue
        if batch:
            yield batch[0][0], LISTINGS, (batch, clean)
            batch = []
        end = find("\n\n", pos)
        if end < 0:
            end = size
        piece = segment[pos:end]
        pos = end + 2
        newlines = piece.count("\n")
        if not newlines and piece and not piece[0].isspace() and not piece[-1].isspace():
            start, paragraph = line, piece  # the common case: one clean line
        else:
            paragraph = piece.strip()
            start = line + piece[: len(piece) - len(piece.lstrip())].count("\n")
        line += newlines + 2
        if not paragraph:
            continue
        if "\n" in paragraph:
            yield from _split_lines(start, paragraph.split("\n"))
        elif _is_meta_line(paragraph, False):
            yield start, META, [paragraph]
        else:
            yield start, TEXT, paragraph
    if batch:
        yield batch[0][0], LISTINGS, (batch, clean)
    return line if pos > size else line + 2


# A standard metadata block, whole: `  • N authors`, `·`, a date line of at most 24 characters, then a blank line
# or the end of the segment. One match in C instead of a dozen string operations per listing.
_STANDARD_META = re.compile(r"  • ([0-9]+) authors?\n·\n([^\n]{1,24})(?=\n\n|\Z)")


def _fast_meta(segment: str, pos: int) -> tuple[int, str, int] | None:
    """(author count, date line, position after the block) of a standard metadata block at `pos`, else None."""
    match = _STANDARD_META.match(segment, pos)
    if match is None:
        return None
    return int(match.group(1)), match.group(2), match.end() + 2


def _is_meta_line(line: str, date_slot: bool) -> bool:
    first = line[0]
    if first not in _DOTS and not first.isdigit() and not date_slot:
        return False  # the common case: a title or an abstract
    if date_slot and (len(line) <= 24 or parse_hf_date(line) is not None):
        return True  # the line after a lone `·` is the metadata date
    if line in _DOTS:
        return True
    if _AUTHORS.match(line):
        return True
    return first in _DOTS and parse_hf_date(line[1:]) is not None  # `· Aug 15` on one line


def _split_lines(start: int, raw_lines: list[str]) -> Iterator[tuple[int, int, str | list[str]]]:
    """Blocks within one paragraph: split where text meets metadata, and around long or header/date lines."""
    buf: list[str] = []
    first = kind = 0
    date_slot = False
    for offset, raw in enumerate(raw_lines):
        line = raw.strip()
        if not line:  # a line of other whitespace (\u00a0, ...) still separates blocks
            if buf:
                yield _block(first, kind, buf)
                buf = []
            date_slot = False
            continue
        this = META if _is_meta_line(line, date_slot) else TEXT
        alone = this == TEXT and (len(line) > LONG_LINE or _is_header_or_date(line))
        date_slot = line in _DOTS
        if buf and (this != kind or alone or (kind == TEXT and _ends_alone(buf[-1]))):
            yield _block(first, kind, buf)
            buf = []
        if not buf:
            first, kind = start + offset, this
        buf.append(line)
    if buf:
        yield _block(first, kind, buf)


def _block(first: int, kind: int, lines: list[str]) -> tuple[int, int, str | list[str]]:
    return (first, kind, " ".join(lines)) if kind == TEXT else (first, kind, lines)


def _ends_alone(line: str) -> bool:
    """A text line that takes nothing after it into its block: an abstract, a header or a date line."""
    return len(line) > LONG_LINE or _is_header_or_date(line)


def _parse_meta(lines: list[str]) -> dict:
    """Fields of a metadata block: authors_count, date_text, upvotes."""
    out: dict = {}
    for line in lines:
        match = _AUTHORS.match(line)
        if match:
            out["authors_count"] = int(match.group(1).replace(",", ""))
            continue
        text = line.lstrip(_DOTS).strip()
        if not text:
            continue
        out.update(_date_fields(text))
    return out


def _date_fields(text: str) -> dict:
    """date_text (and upvotes) of a metadata date line. Unreadable dates are kept as text; they are flagged
    when dates are resolved."""
    parsed = parse_hf_date(text)
    if parsed is None or parsed[1] is None:
        return {"date_text": text}
    return {"date_text": text.rsplit(None, 1)[0], "upvotes": parsed[1]}


def parse_hf_page(chunks: Iterator[Chunk], parsed: ParsedFile, fast: bool = True) -> ParsedFile:
    """Read one page's text into `parsed` (listings, header lines, rejections). Never raises on content.

    `fast=False` turns off the whole-listing fast path; tests use it to check that both paths agree.
    """
    buffer = parsed.listings
    titles, abstracts = buffer.title, buffer.abstract
    title_lines, abstract_lines = buffer.source_line, buffer.abstract_line
    in_header = True  # at the start of the page, or right after site chrome
    pending: tuple[int, str] | None = None  # a title waiting for its abstract
    last = -1  # index of the newest listing that may still take a metadata block

    def orphan_title() -> int:
        """Keep the waiting title as a listing without abstract."""
        index = buffer.add(pending[0], pending[1], flags=["missing_abstract"])  # type: ignore[index]
        parsed.listing_blocks += 1
        return index

    sparse = buffer.sparse
    meta_lines, author_counts = sparse["meta_line"], sparse["authors_count"]
    date_cache: dict[str, dict] = {}
    abstract_of: dict[str, str] = {}  # title -> abstract, so repeated listings keep one copy of the text
    blocks = iter_blocks(chunks, fast)
    returned: list = []  # blocks of a fast-path listing that has to go the slow way after all

    def pull():
        return returned.pop() if returned else next(blocks, None)

    upcoming = pull()
    while upcoming is not None:
        line, kind, block = upcoming
        upcoming = pull()

        if kind == LISTINGS:
            batch, clean = block  # type: ignore[misc]
            for position, (line, raw_title, raw_abstract, meta) in enumerate(batch):
                title = raw_title if clean and raw_title.isascii() else clean_text(raw_title)
                abstract = raw_abstract if clean and raw_abstract.isascii() else clean_text(raw_abstract)
                short = len(title) < SHORT_LINE
                low = title.lower() if short else ""
                if (not title or len(abstract) <= LONG_LINE or low in CHROME_LINES
                        or (in_header and low in HEADER_LINES) or (short and is_hf_date(title))):
                    # Not an ordinary listing after all (a header word, a date, text that cleans away): replay
                    # it block by block, and the rest of the batch after it.
                    returned.append(upcoming)
                    rest = batch[position + 1:]
                    if rest:
                        returned.append((rest[0][0], LISTINGS, (rest, clean)))
                    if meta is not None:
                        returned.append((line + 4, META, [f"• {meta[0]} authors", "·", meta[1]]))
                    returned.append((line + 2, TEXT, raw_abstract))
                    upcoming = (line, TEXT, raw_title)
                    break
                if pending is not None:
                    orphan_title()
                    pending = None
                in_header = False
                last = len(titles)
                seen = abstract_of.get(title)
                if seen is not None and seen == abstract:
                    abstract = seen  # the same paper listed again: share one copy of its abstract
                else:
                    abstract_of[title] = abstract
                title_lines.append(line)
                titles.append(title)
                abstracts.append(abstract)
                abstract_lines.append(line + 2)
                if meta is None:
                    parsed.blocks += 2
                    parsed.listing_blocks += 2
                    continue
                meta_lines[last] = line + 4
                author_counts[last] = meta[0]
                fields = date_cache.get(meta[1])
                if fields is None:
                    fields = date_cache[meta[1]] = _date_fields(meta[1].strip())
                for name, value in fields.items():
                    sparse[name][last] = value
                parsed.blocks += 3
                parsed.listing_blocks += 3
            continue

        parsed.blocks += 1
        if kind == META:
            fields = _parse_meta(block)  # type: ignore[arg-type]
            keys = set(fields)
            if pending is not None:
                last, pending = orphan_title(), None
            if not keys:
                parsed.reject(line, "metadata block with neither author count nor date", " / ".join(block))
                continue
            if last < 0:
                parsed.reject(line, "metadata block with no listing before it", " / ".join(block))
                continue
            if buffer.get(last, "meta_line") is not None:
                parsed.reject(line, "second metadata block after one listing", " / ".join(block))
                continue
            buffer.set(last, "meta_line", line)
            for name, value in fields.items():
                buffer.set(last, name, value)
            parsed.listing_blocks += 1
            in_header = False
            continue

        text = clean_text(block)  # type: ignore[arg-type]
        short = len(text) < SHORT_LINE
        if pending is None:
            low = text.lower() if short else ""
            if low in CHROME_LINES or (in_header and low in HEADER_LINES):
                parsed.header_lines.append(line)
                in_header = True
            elif in_header and short and is_hf_date(text):
                parsed.header_lines.append(line)
                if parsed.page_date_text is None:
                    parsed.page_date_text = text
            elif not text:
                parsed.reject(line, "block with no text after removing control characters", block)  # type: ignore[arg-type]
            elif short and is_hf_date(text):
                in_header = False
                parsed.reject(line, "date line outside a header or metadata block", text)
            elif len(text) > LONG_LINE:
                in_header = False
                parsed.reject(line, "abstract-like paragraph where a title was expected (title missing?)", text)
            else:
                in_header = False
                pending, last = (line, text), -1
            continue

        # A title is waiting for its abstract.
        if not text or (short and is_hf_date(text)):
            last, pending = orphan_title(), None
            reason = ("date line outside a header or metadata block" if text
                      else "block with no text after removing control characters")
            parsed.reject(line, reason, text or block)  # type: ignore[arg-type]
            continue
        if (len(text) <= LONG_LINE and upcoming is not None and upcoming[1] == TEXT
                and len(upcoming[2]) > LONG_LINE):
            # Short text followed by an abstract: the waiting title lost its abstract; this is the next title.
            orphan_title()
            pending, last = (line, text), -1
            continue
        title_lines.append(pending[0])
        titles.append(pending[1])
        abstracts.append(text)
        abstract_lines.append(line)
        parsed.listing_blocks += 2
        last, pending = len(titles) - 1, None

    if pending is not None:
        orphan_title()  # cut off at the end of the file: kept, flagged missing_abstract

    if not parsed.header_lines and parsed.blocks:
        parsed.warnings.append("no page header (site lines and page date); page date unknown")
        buffer.flag_all("no_page_header")
    return parsed
