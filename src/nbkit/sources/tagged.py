"""Splitting tagged bibliographic exports (RIS, Web of Science, MEDLINE) into records, with their line numbers.

These formats write one field per line behind a short tag, continue long values on indented lines, and mark
where a record starts (`TY  -`, `PT `, `PMID-`) and ends (`ER  -`, `ER`, a blank line). The splitter only finds
the records; each format's module reads their fields. Every block is accounted for: a record is one block (a
listing or a rejection, decided by the reader), a file header line (`FN`, `VR`, `EF`) is a header line, and a
run of other text outside any record is rejected with its first line.

The text arrives in pieces of about 1 MB and records are found with regular expressions over a whole piece, so
the per-line work runs in C: a Python loop over every line took as long as reading all the records' fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from nbkit.clean import clean_text, normalize_arxiv_id
from nbkit.sources.base import ParsedFile
from nbkit.sources.textio import Chunk


class TaggedRecord(NamedTuple):
    line: int  # 1-based line of the start tag
    text: str  # from the start tag to the end of the end line (or of the last line when there is no end tag)
    terminated: bool  # False when the next start tag or the end of the file came before an end tag
    plain: bool = False  # True when every character of text is printable ASCII or a line break (see plain_ascii)


class TaggedFormat:
    """How one tagged format marks its records, as line prefixes.

    start: the first line of a record (`TY  -`). end: its last line (`ER  -`), or None when a blank line ends a
    record (MEDLINE, where the next start line or the end of the file also ends one properly). header: a pattern
    for whole file lines that are not records (Web of Science `FN ...`, `VR ...`, `EF`). name: the format's name
    in rejection reasons; title_tags: where its records keep the title, for the reason a record without one is
    rejected.
    """

    def __init__(self, name: str, start: str, end: str | None, header: str | None = None,
                 title_tags: str = "TI") -> None:
        self.name, self.start, self.title_tags = name, start, title_tags
        self.header = re.compile(header) if header else None
        # Start and end tags are found with str.find of "\n" + tag: a substring search that skips ahead, several
        # times cheaper than a regular expression, which steps through every character of a record; the first
        # line of a text is checked on its own.
        self.start_after_newline = "\n" + start
        self.end_after_newline = "\n" + end if end else None
        self.end_line = re.compile(r"\n[ \t]*(?:\n|$)")  # a blank line (or the end), when there is no end tag
        self.blank_ends = end is None

    def starts(self, text: str) -> list[int]:
        found = [0] if text.startswith(self.start) else []
        needle, find = self.start_after_newline, text.find
        at = find(needle)
        while at >= 0:
            found.append(at + 1)
            at = find(needle, at + len(needle))
        return found

    def record_end(self, text: str, begin: int, stop: int) -> tuple[int, bool]:
        """Where the record starting at `begin` ends (before `stop`, the next start), and whether an end line
        ended it: past the end line, or at a blank line (also when there is none: the next record ends it)."""
        if self.end_after_newline is None:
            match = self.end_line.search(text, begin, stop)
            return (match.start() if match else stop), True
        at = text.find(self.end_after_newline, begin, stop)
        if at < 0:
            return stop, False
        line_end = text.find("\n", at + len(self.end_after_newline), stop)  # the rest of the end line
        return (stop if line_end < 0 else line_end), True


def read_records(chunks: Iterator[Chunk], parsed: ParsedFile, form: TaggedFormat,
                 listing: Callable[[TaggedRecord], dict[str, Any]]) -> ParsedFile:
    """Every record becomes a listing, or a rejection with its line when it has no title.

    listing(record) gives the listing's fields: title and abstract (cleaned; empty when missing), authors (a list
    of cleaned names), and any sparse field (date_text, doi, pmid, arxiv_id, categories). Flags added here:
    unterminated_record, missing_abstract.
    """
    for record in split_records(chunks, parsed, form):
        parsed.blocks += 1
        fields = listing(record)
        title = fields.pop("title")
        if not title:
            parsed.reject(record.line, f"{form.name} record without a title ({form.title_tags})", record.text[:200])
            continue
        abstract = fields.pop("abstract") or None
        flags = [] if record.terminated else ["unterminated_record"]
        if abstract is None:
            flags.append("missing_abstract")
        names = fields.pop("authors")
        parsed.listings.add(record.line, title, abstract, authors="; ".join(names) or None,
                            authors_count=len(names) or None, flags=flags, **fields)
        parsed.listing_blocks += 1
    return parsed


def split_records(pieces: Iterable[str | Chunk], parsed: ParsedFile, form: TaggedFormat) -> Iterator[TaggedRecord]:
    """The records of a tagged file, in order; counts header lines and rejects stray text in `parsed`.

    pieces: the file's text in consecutive pieces (newlines as LF), as str or as textio Chunks, whose raw bytes
    tell which records are plain (TaggedRecord.plain). A record may straddle pieces: the text from the last start
    line of a piece on is carried over to the next.
    """
    gap = _Gap(parsed, form)
    carry, carry_plain = "", True
    line = 1  # line number of text[0]
    for piece in _with_end(pieces):
        final = piece is None
        if isinstance(piece, Chunk):
            piece, piece_plain = piece.text, plain_ascii(piece.raw)
        else:
            piece_plain = False
        carried = len(carry)
        text = carry + (piece or "")
        plain = carry_plain and (piece_plain or final)
        starts = form.starts(text)
        if not starts and not final:  # no record start yet: settle the complete lines, keep the partial one
            cut = text.rfind("\n") + 1
            if cut:
                gap.add(text[:cut - 1], line)
                line += text.count("\n", 0, cut)
            carry, carry_plain = text[cut:], _tail_plain(plain, piece_plain, cut >= carried)
            continue
        keep = len(text) if final else starts.pop()  # where the carry for the next piece begins
        gap.add(text[:starts[0] if starts else keep], line)
        # Plain text is ASCII, one byte a character: its line breaks are found at once with numpy and each
        # record's line looked up, where str.count stepped through every character of every record.
        breaks = _line_breaks(text) if plain else None
        lines = None if breaks is None else (np.searchsorted(breaks, starts) + line).tolist()
        pos, pos_line = 0, line  # every line break before pos is counted once: pos_line is the line at pos
        for index, (begin, stop) in enumerate(zip(starts, [*starts[1:], keep][:len(starts)], strict=True)):
            record_line = pos_line + text.count("\n", pos, begin) if lines is None else lines[index]
            end, terminated = form.record_end(text, begin, stop)
            gap.flush()
            yield TaggedRecord(record_line, text[begin:end].rstrip("\n"), terminated, plain)
            if lines is None or stop - end > 2:
                pos, pos_line = end, record_line + text.count("\n", begin, end)
            if stop - end > 2 or text[end:stop].strip():  # not just the line break(s) before the next record
                gap.add(text[end:stop], pos_line)
        if breaks is None:
            line = pos_line + text.count("\n", pos, keep)
        else:
            line += int(np.searchsorted(breaks, keep))
        carry, carry_plain = text[keep:], _tail_plain(plain, piece_plain, keep >= carried)
    gap.flush()


def _line_breaks(text: str) -> np.ndarray:
    """Where the line breaks of an ASCII text are (their character offsets, ascending)."""
    return np.flatnonzero(np.frombuffer(text.encode("ascii"), dtype=np.uint8) == 10)


def _tail_plain(plain: bool, piece_plain: bool, in_piece: bool) -> bool:
    """Whether the text carried over is plain: as plain as the piece if it lies within it, else as the text."""
    return piece_plain if in_piece else plain


def plain_ascii(raw: bytes | None) -> bool:
    """True when the bytes are all printable ASCII, LF or CR. Their text then needs no cleaning but of spaces:
    numpy's four passes over a 1 MB chunk cost a tenth of the per-value test clean_text makes (bytes.translate),
    which was 5% of the RIS reader."""
    if not raw:
        return False
    codes = np.frombuffer(raw, dtype=np.uint8)
    if np.any(codes > 126):
        return False
    return int(np.count_nonzero(codes < 32)) == int(np.count_nonzero(codes == 10)) + int(np.count_nonzero(codes == 13))


def _with_end(pieces: Iterable[str]) -> Iterator[str | None]:
    yield from pieces
    yield None


class _Gap:
    """Text between records: blank lines are skipped, header lines counted, other runs of lines rejected."""

    def __init__(self, parsed: ParsedFile, form: TaggedFormat) -> None:
        self.parsed, self.form = parsed, form
        self.stray: list[str] = []
        self.stray_line = 0

    def add(self, text: str, line: int) -> None:
        """Lines of `text`, the first one numbered `line`. The first may be the rest of a record's end line and
        the last the start of a record's line: both are empty, and an empty line ends a run of stray text."""
        if not text.strip():
            self.flush()
            return
        for number, row in enumerate(text.split("\n"), line):
            if not row.strip():
                self.flush()
            elif self.form.header and self.form.header.fullmatch(row):
                self.flush()
                self.parsed.blocks += 1
                self.parsed.header_lines.append(number)
            else:
                if not self.stray:
                    self.stray_line = number
                self.stray.append(row)

    def flush(self) -> None:
        if self.stray:
            self.parsed.blocks += 1
            self.parsed.reject(self.stray_line, f"text outside a {self.form.name} record", " ".join(self.stray[:3]))
            self.stray = []


def opens_record(head: str, first: re.Pattern[str], second: re.Pattern[str], within: int = 20) -> bool:
    """Sniffing: among the first `within` non-blank lines, the first that matches `first` (a record's start line)
    is followed by a line that matches `second` (a field line). Export notes above the first record are allowed."""
    lines = [line for line in head.splitlines()[:400] if line.strip()]
    for index, line in enumerate(lines[:within]):
        if first.match(line):
            return index + 1 < len(lines) and second.match(lines[index + 1]) is not None
    return False


def clean_all(values: list[str], plain: bool = False) -> list[str]:
    """clean_text of each value, with one check of them all first: the values of tagged fields are single stripped
    lines, and a run of them that is printable ASCII without double spaces is clean already (most are). plain:
    the values are known to be printable ASCII (taken from a plain record)."""
    joined = "|".join(values)
    if (plain or (joined.isascii() and joined.isprintable())) and "  " not in joined:
        return values
    return [clean_text(v) for v in values]


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values in order, each once (keywords repeat across KW, MH and OT lines)."""
    kept = dict.fromkeys(values)
    kept.pop("", None)
    return list(kept)


_ARXIV_DOI = re.compile(r"arxiv\.(?=\d)", re.IGNORECASE)  # the new-style id in `10.48550/arXiv.2401.01234`


def arxiv_id_from(texts: Iterable[str | None]) -> str | None:
    """An arXiv id from the first URL or DOI that points to arXiv (`arxiv.org/abs/...`, `10.48550/arXiv.X`)."""
    for text in texts:
        if text and "arxiv" in text.lower():
            found = normalize_arxiv_id(_ARXIV_DOI.sub("arXiv:", text))
            if found:
                return found
    return None
