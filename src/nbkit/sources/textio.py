"""Opening input files as text: byte-order marks, binary files, line endings and the non-UTF-8 fallback.

Decoding rule (documented in the README):
1. A UTF-8 byte-order mark is accepted and dropped (`utf-8-sig`); UTF-16 and UTF-32 files need their BOM.
2. Otherwise the file must be UTF-8. If it is not, it is decoded as cp1252 (the Windows code page that most
   mis-saved Western text uses), or latin-1 where cp1252 has no character for a byte; the load report warns and
   every listing from the file is flagged `encoding_fallback`.
3. A NUL byte in the first 64 KiB (and no UTF-16/32 BOM) means a binary file: an error.
Line endings: LF, CRLF and bare CR are all read as line breaks (Python's universal newlines) and the report says
which ones the file used.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

import numpy as np

from nbkit.errors import NbkitError

SNIFF_BYTES = 65536
FALLBACK_ENCODINGS = ("cp1252", "latin-1")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NEWLINE_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}

T = TypeVar("T")


@dataclass
class TextInfo:
    """What reading a file as text found out about it."""

    encoding: str = "utf-8"
    fallback: bool = False
    line_endings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_head(path: Path) -> bytes:
    """The first bytes of a file, with missing, unreadable and empty files turned into NbkitError."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise NbkitError("no such file", path) from None
    except IsADirectoryError:
        raise NbkitError("is a directory, expected a file", path) from None
    except OSError as exc:
        raise NbkitError(f"cannot read file ({exc.strerror or exc})", path) from None
    if not head:
        raise NbkitError("empty file", path)
    return head


def bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def check_not_binary(path: Path, head: bytes) -> None:
    if bom_encoding(head) in ("utf-16", "utf-32"):
        return
    nul = head.find(b"\x00")
    if nul >= 0:
        raise NbkitError(
            f"binary file (NUL byte at offset {nul}); expected text (UTF-16 text needs a byte-order mark)", path
        )


def decode_head(head: bytes) -> str:
    """Best-effort text of a file's first bytes, for format sniffing only."""
    encoding = bom_encoding(head) or "utf-8"
    text = head.decode(encoding, errors="replace")
    return text.lstrip("\ufeff")


CHUNK_BYTES = 1 << 20  # bytes per chunk: big enough to amortize, small enough to reuse freed memory


class Chunk(NamedTuple):
    """A piece of decoded text with newlines as LF, and the raw bytes it came from (None unless the encoding is
    ASCII-compatible), so readers can run cheap byte-level checks over it."""

    text: str
    raw: bytes | None


def read_text(path: Path, consume: Callable[[Iterator], T], *, chunks: bool = False) -> tuple[T, TextInfo]:
    """Run `consume` over the file's text and say how it was decoded.

    `consume` receives lines (str, each ending in a newline but the last) or, with `chunks=True`, Chunk pieces of
    about 4 MB. CRLF and bare CR arrive as LF either way. `consume` is called again from scratch if the file turns
    out not to be UTF-8 part way through, so it must not keep state between calls. The text is streamed, so a
    file is never held in memory whole.
    """
    head = read_head(path)
    check_not_binary(path, head)
    bom = bom_encoding(head)
    encodings = [bom] if bom else ["utf-8", *FALLBACK_ENCODINGS]
    first_error = ""
    for encoding in encodings:
        info = TextInfo(encoding=encoding if encoding != "utf-8-sig" else "utf-8 (with BOM)")
        try:
            if chunks:
                seen: set[str] = set()
                with path.open("rb") as handle:
                    result = consume(_chunks(handle, encoding, seen))
                newlines: tuple[str, ...] = tuple(seen)
            else:
                with path.open(encoding=encoding, errors="strict", newline=None) as handle:
                    result = consume(iter(handle))
                    found = handle.newlines
                newlines = (found,) if isinstance(found, str) else tuple(found or ())
        except UnicodeDecodeError as exc:
            if bom:
                raise NbkitError(f"not valid {bom} text ({exc.reason})", path) from None
            first_error = first_error or f"not valid UTF-8 (line {_first_bad_utf8_line(path)})"
            continue
        except OSError as exc:
            raise NbkitError(f"cannot read file ({exc.strerror or exc})", path) from None
        info.line_endings = sorted(_NEWLINE_NAMES[n] for n in newlines)
        if first_error:
            info.fallback = True
            info.warnings.append(f"{first_error}; decoded as {encoding} (check accented characters)")
        return result, info
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _chunks(handle: BinaryIO, encoding: str, newlines: set[str]) -> Iterator[Chunk]:
    """Decoded chunks with universal newlines; records the newline kinds seen in `newlines`."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    ascii_compatible = encoding not in ("utf-16", "utf-32")
    held_cr = False  # a chunk ending in CR may be the first half of a CRLF
    while True:
        raw = handle.read(CHUNK_BYTES)
        if ascii_compatible:
            # Line breaks are made LF in the bytes, before decoding: a CR byte is a CR in UTF-8, cp1252 and
            # latin-1 alike (never part of a multi-byte character).
            data = b"\r" + raw if held_cr else raw
            held_cr = bool(raw) and data.endswith(b"\r")
            text = decoder.decode(_lf_bytes(data[:-1] if held_cr else data, newlines), final=not raw)
        else:
            text = decoder.decode(raw, final=not raw)
            if held_cr:
                text = "\r" + text
            held_cr = bool(raw) and text.endswith("\r")
            text = _lf_text(text[:-1] if held_cr else text, newlines)
        if text:
            yield Chunk(text, raw if ascii_compatible else None)
        if not raw:
            return


def _lf_bytes(data: bytes, newlines: set[str]) -> bytes:
    """`data` with CRLF and bare CR made LF, adding the kinds seen to `newlines`.

    The CRs are found with numpy (a CR followed by an LF is a CRLF) and, when each is part of a CRLF, deleted with
    one bytes.translate: about a third of what bytes.replace or str.replace cost, which call a search and a copy
    for every line. LFs are counted with numpy too (bytes.count steps through the bytes one by one).
    """
    if b"\r" not in data:
        if "\n" not in newlines and b"\n" in data:
            newlines.add("\n")
        return data
    codes = np.frombuffer(data, dtype=np.uint8)
    crs = np.flatnonzero(codes == 13)
    inner = crs[:-1] if crs[-1] == len(codes) - 1 else crs  # a CR at the very end has no byte after it
    crlf = int(np.count_nonzero(codes[inner + 1] == 10))
    if crlf:
        newlines.add("\r\n")
    if "\n" not in newlines and np.count_nonzero(codes == 10) > crlf:
        newlines.add("\n")
    if crlf == len(crs):
        return data.translate(None, b"\r")
    newlines.add("\r")
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _lf_text(text: str, newlines: set[str]) -> str:
    """_lf_bytes for text decoded from UTF-16 or UTF-32."""
    if "\r" not in text:
        if "\n" in text:
            newlines.add("\n")
        return text
    # The CRLF count is the length the replace saves, a bare CR is one left after it (a memchr), and LF is
    # counted only until one is seen: two fewer passes over the text than counting each kind.
    joined = text.replace("\r\n", "\n")
    crlf = len(text) - len(joined)
    if crlf:
        newlines.add("\r\n")
    if "\r" in joined:
        newlines.add("\r")
        joined = joined.replace("\r", "\n")
    if "\n" not in newlines and text.count("\n") > crlf:
        newlines.add("\n")
    return joined


def _first_bad_utf8_line(path: Path) -> int:
    """The line holding the first byte sequence that is not UTF-8 (LF, CRLF or CR line breaks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    previous_cr = False
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                block = block[: max(exc.start, 0)]
                return lines + _count_breaks(block, previous_cr)
            lines += _count_breaks(block, previous_cr)
            previous_cr = block.endswith(b"\r")
    return lines


def _count_breaks(block: bytes, previous_cr: bool) -> int:
    crlf = block.count(b"\r\n") + (1 if previous_cr and block.startswith(b"\n") else 0)
    return block.count(b"\n") + block.count(b"\r") - crlf
