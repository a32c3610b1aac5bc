"""Source readers: one per input format, all producing the same raw listing columns (see sources.base).

The format is detected from the content (Parquet magic bytes, a JSON object or array that parses, a delimited
header naming a title column), the extension breaking ties; `fmt=` forces one.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path

from nbkit.errors import NbkitError
from nbkit.sources.arxiv import add_arxiv_record, looks_like_snapshot
from nbkit.sources.base import ParsedFile
from nbkit.sources.hf_page import parse_hf_page
from nbkit.sources.records import (
    FIELD_ALIASES,
    read_delimited,
    read_json_array,
    read_json_lines,
    read_parquet,
)
from nbkit.sources.textio import check_not_binary, decode_head, read_head, read_text

FORMATS = ("hf_page", "csv", "tsv", "jsonl", "json", "parquet", "arxiv")
FORMAT_ALIASES = {"hf": "hf_page", "txt": "hf_page", "ndjson": "jsonl", "pq": "parquet"}
SUPPORTED_SUFFIXES = frozenset({".txt", ".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"})

__all__ = ["FORMATS", "SUPPORTED_SUFFIXES", "ParsedFile", "detect_format", "normalize_format", "read_file"]


def normalize_format(fmt: str | None) -> str | None:
    """None or `auto` -> None (detect); aliases (`hf`, `ndjson`) -> canonical names; unknown -> NbkitError."""
    if fmt is None or fmt == "auto":
        return None
    name = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise NbkitError(f"unknown format {fmt!r}; choose one of auto, {', '.join(FORMATS)}")
    return name


def detect_format(path: Path, head: bytes, mapping: Mapping[str, str] | None = None) -> str:
    """The format of a file from its first bytes (and, to break ties, its extension)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    text = decode_head(head)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            record = None  # a pretty-printed object, a first line cut by the sniff window, or not JSON at all
        if isinstance(record, dict):
            return "arxiv" if looks_like_snapshot(record) else "jsonl"
    suffix = path.suffix.lower()
    if first.startswith(("{", "[")) and (suffix in _JSON_SUFFIXES or _starts_with_json(text.lstrip())):
        return "json"  # under a JSON name, broken JSON stays JSON so the error says what is wrong with it
    title_names = {a.lower() for a in FIELD_ALIASES["title"]}
    if mapping and "title" in mapping:
        title_names.add(mapping["title"].lower())
    for delimiter, name in (("\t", "tsv"), (",", "csv")):
        fields = next(csv.reader([first], delimiter=delimiter), [])
        if len(fields) >= 2 and (suffix == f".{name}" or any(f.strip().lower() in title_names for f in fields)):
            return name
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    return "hf_page"


_JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
# What may remain of a JSON literal or number that the end of the sniff window cut short: `tr`, `fals`, `-1.`
_CUT_TOKEN = re.compile(r"t(r(ue?)?)?|f(a(l(se?)?)?)?|n(u(ll?)?)?|[-+.\deE]+")


def _starts_with_json(head: str) -> bool:
    """Whether a file's first bytes open a JSON value that parses or is only cut short by the sniff window.

    A headerless HF page can start with a title such as `[Re] A Reproducibility Study` or `{Math} Tricks`: JSON
    rejects those at their second character, while a real JSON file cut by the window fails only at its end.
    """
    try:
        _, end = json.JSONDecoder().raw_decode(head)
    except json.JSONDecodeError as exc:
        rest = head[exc.pos:].rstrip()
        return not rest or exc.msg.startswith("Unterminated string") or bool(_CUT_TOKEN.fullmatch(rest))
    rest = head[end:].lstrip()
    return not rest or rest.startswith(("{", "["))  # one value, or the first of several (JSON lines)


def read_file(path: Path, name: str, *, fmt: str | None = None,
              mapping: Mapping[str, str] | None = None) -> ParsedFile:
    """Read one file of any supported format. Bad files raise NbkitError naming the file and the reason."""
    head = read_head(path)
    fmt = normalize_format(fmt) or detect_format(path, head, mapping)
    if fmt == "parquet":
        parsed = ParsedFile(path=str(path), name=name, format=fmt, collection=path.stem, encoding="binary")
        return read_parquet(path, parsed, mapping)
    check_not_binary(path, head)

    def consume(text):  # a fresh ParsedFile each call: textio re-runs this on a fallback decode
        target = ParsedFile(path=str(path), name=name, format=fmt, collection=path.stem)
        if fmt == "hf_page":
            return parse_hf_page(text, target)
        if fmt in ("csv", "tsv"):
            return read_delimited(text, target, "\t" if fmt == "tsv" else ",", mapping)
        if fmt == "jsonl":
            return read_json_lines(text, target, mapping)
        if fmt == "arxiv":
            return read_json_lines(text, target, mapping, add=add_arxiv_record)
        return read_json_array("".join(text), target, mapping)  # lines of the whole file

    parsed, info = read_text(path, consume, chunks=fmt == "hf_page")
    if parsed.blocks == 0:
        raise NbkitError("file has only whitespace", path)
    parsed.encoding = info.encoding
    parsed.line_endings = info.line_endings
    parsed.warnings = info.warnings + parsed.warnings
    if info.fallback:
        parsed.listings.flag_all("encoding_fallback")
    return parsed
