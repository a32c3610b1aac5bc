"""Source readers: one per input format, all producing the same raw listing columns (see sources.base).

The format is detected from the content, by positive evidence only: Parquet magic bytes, the tagged lines of a
bibliographic export (TEXT_READERS, each with its own `sniff`), the first record of a JSON source with fixed
fields (JSON_READERS: OpenAlex, Semantic Scholar, CSL-JSON), a JSON object or array that parses, a delimited
header naming a title column, an HF page's header or listing shape; the extension breaks ties. Text that matches
no format is an error naming the formats tried, never a best guess. `fmt=` forces one.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbkit.errors import NbkitError
from nbkit.sources import bibtex, csl_json, medline, openalex, ris, semantic_scholar, wos
from nbkit.sources.arxiv import add_arxiv_record, looks_like_snapshot
from nbkit.sources.arxiv_atom import looks_like_arxiv_atom, read_arxiv_atom
from nbkit.sources.base import ParsedFile, bulk_allocation
from nbkit.sources.hf_markdown import looks_like_hf_markdown, read_hf_markdown
from nbkit.sources.hf_page import looks_like_hf_page, parse_hf_page
from nbkit.sources.records import (
    TITLE_NAMES,
    container_records,
    normalize_name,
    read_delimited,
    read_json_array,
    read_json_lines,
    read_json_records,
    read_parquet,
)
from nbkit.sources.textio import SNIFF_BYTES, check_not_binary, decode_head, read_head, read_text


@dataclass(frozen=True)
class TextReader:
    """A line-oriented text format: how to recognise it and how to read it.

    sniff: (decoded first 64 KiB, lower-case suffix) -> True only on positive evidence of this format (its tags or
        markers), never because nothing else matched.
    read: (lines, ParsedFile, column mapping or None) -> the ParsedFile, every block accounted for.
    chunks: read receives textio Chunk pieces of about 1 MB instead of lines (for readers that split the text
        with regular expressions rather than line by line).
    """

    name: str
    suffixes: frozenset[str]
    sniff: Callable[[str, str], bool]
    read: Callable[[Iterator[Any], ParsedFile, Mapping[str, str] | None], ParsedFile]
    aliases: tuple[str, ...] = ()
    chunks: bool = False


# Tried in order before the JSON, delimited and HF page checks; a new format is a module plus one entry here.
TEXT_READERS: tuple[TextReader, ...] = (
    TextReader("ris", ris.SUFFIXES, ris.looks_like_ris, ris.read_ris, chunks=True),
    TextReader("wos", wos.SUFFIXES, wos.looks_like_wos, wos.read_wos, aliases=("web_of_science",), chunks=True),
    TextReader("medline", medline.SUFFIXES, medline.looks_like_medline, medline.read_medline,
               aliases=("pubmed", "nbib"), chunks=True),
    TextReader("bibtex", bibtex.SUFFIXES, bibtex.looks_like_bibtex, bibtex.read_bibtex, aliases=("bib",)),
    TextReader("arxiv_atom", frozenset({".atom", ".xml"}), looks_like_arxiv_atom, read_arxiv_atom, ("atom",)),
    TextReader("hf_markdown", frozenset({".md", ".markdown"}), looks_like_hf_markdown, read_hf_markdown, ("md",)),
)
_TEXT_READERS = {r.name: r for r in TEXT_READERS}


@dataclass(frozen=True)
class JsonReader:
    """A JSON source with fixed field names, in any of its shapes (a list, an API page, JSON Lines).

    looks_like: a parsed record -> True only when it carries this format's own keys.
    evidence: a pattern for the same keys in the raw text, for a first record too long for the sniff window.
    add: (ParsedFile, record, place) -> one listing or rejection.
    null_reason: the rejection reason for a JSON null where a record was expected (batch responses).
    fields: every key `looks_like` and `add` read, so JSON Lines records are decoded without the rest
        (records.field_decoder); empty: decoded whole.
    fast: reads one record from its JSON text when it fits a typed shape, else returns False (records.py,
        read_json_records).
    """

    name: str
    looks_like: Callable[[dict], bool]
    evidence: re.Pattern
    add: Callable[[ParsedFile, dict, int], None]
    null_reason: str | None = None
    aliases: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    fast: Callable[[ParsedFile, Any, int], bool] | None = None  # (ParsedFile, JSON text, place) -> read it?


# Tried in order on the first record of a JSON file, before the arXiv snapshot and the generic readers.
JSON_READERS: tuple[JsonReader, ...] = (
    JsonReader("openalex", openalex.looks_like_work, openalex.EVIDENCE, openalex.add_work, fields=openalex.FIELDS,
               fast=openalex.add_typed_work),
    JsonReader("s2", semantic_scholar.looks_like_paper, semantic_scholar.EVIDENCE, semantic_scholar.add_paper,
               semantic_scholar.NULL_REASON, aliases=("semantic_scholar", "semanticscholar"),
               fields=semantic_scholar.FIELDS),
    JsonReader("csl_json", csl_json.looks_like_item, csl_json.EVIDENCE, csl_json.add_item,
               aliases=("csl", "csljson", "zotero"), fields=csl_json.FIELDS),
)
_JSON_READERS = {r.name: r for r in JSON_READERS}

FORMATS = ("hf_page", "csv", "tsv", "jsonl", "json", "parquet", "arxiv", *_TEXT_READERS, *_JSON_READERS)
FORMAT_ALIASES = {"hf": "hf_page", "txt": "hf_page", "ndjson": "jsonl", "pq": "parquet",
                  **{alias: r.name for r in (*TEXT_READERS, *JSON_READERS) for alias in r.aliases}}

__all__ = ["FORMATS", "JSON_READERS", "TEXT_READERS", "JsonReader", "ParsedFile",
           "TextReader", "detect_format", "normalize_format", "read_file"]


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
    suffix = path.suffix.lower()
    for reader in TEXT_READERS:
        if reader.sniff(text, suffix):
            return reader.name
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith(("{", "[")):
        fixed = _fixed_json_format(text.lstrip(), suffix)
        if fixed is not None:
            return fixed
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            record = None  # a pretty-printed object, a first line cut by the sniff window, or not JSON at all
        if isinstance(record, dict):
            if looks_like_snapshot(record):
                return "arxiv"
            # One line holding many records (`{"2401.00001": {...}, ...}`) is a JSON document; more lines are not.
            one_line = not text.lstrip().partition("\n")[2].strip()
            return "json" if one_line and container_records(record) is not None else "jsonl"
    if first.startswith(("{", "[")) and (suffix in _JSON_SUFFIXES or _starts_with_json(text.lstrip())):
        return "json"  # under a JSON name, broken JSON stays JSON so the error says what is wrong with it
    title_names = set(TITLE_NAMES)
    if mapping and "title" in mapping:
        title_names.add(normalize_name(mapping["title"]))
    for delimiter, name in (("\t", "tsv"), (",", "csv")):
        fields = next(csv.reader([first], delimiter=delimiter), [])
        if len(fields) >= 2 and (suffix == f".{name}" or any(normalize_name(f) in title_names for f in fields)):
            return name
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    if looks_like_hf_page(text):
        return "hf_page"
    raise NbkitError(f"unrecognised format (tried {', '.join(FORMATS)}); pass --format to force one", path)


_JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s*")
# Where an API page's records start, when the page is longer than the sniff window.
_PAGE_ARRAY = re.compile(r'"(?:results|data)"\s*:\s*\[')


def _fixed_json_format(head: str, suffix: str) -> str | None:
    """The JSON_READERS format whose keys the file's first record carries, or None.

    The first record is parsed from the sniff window: the first line (JSON Lines), the whole document, or the
    first element of its array or of its `results`/`data` page array; leading nulls (batch responses) are
    skipped. A record cut off by the window is judged by each format's evidence pattern instead."""
    record, cut = _first_json_record(head)
    if record is not None:
        return next((r.name for r in JSON_READERS if r.looks_like(record)), None)
    if cut and (suffix in _JSON_SUFFIXES or _starts_with_json(head)):
        return next((r.name for r in JSON_READERS if r.evidence.search(head)), None)
    return None


def _first_json_record(head: str) -> tuple[dict | None, bool]:
    """(first record, None if there is none) and whether the sniff window cut it off."""
    if head.startswith("["):
        return _first_array_record(head, 1)
    try:
        value = json.loads(head.split("\n", 1)[0])
    except json.JSONDecodeError:
        try:
            value = _DECODER.raw_decode(head)[0]
        except json.JSONDecodeError:
            page = _PAGE_ARRAY.search(head)
            return _first_array_record(head, page.end()) if page else (None, True)
    if isinstance(value, dict) and not any(r.looks_like(value) for r in JSON_READERS):
        records = container_records(value) or []
        value = next((v for _, v in records if isinstance(v, dict)), value)
    return (value if isinstance(value, dict) else None), False


def _first_array_record(head: str, pos: int) -> tuple[dict | None, bool]:
    """The first object among the elements of a JSON array whose first element starts at `pos`, skipping nulls."""
    while True:
        pos = _SPACE.match(head, pos).end()
        if pos >= len(head):
            return None, True
        try:
            value, pos = _DECODER.raw_decode(head, pos)
        except json.JSONDecodeError:
            return None, True  # cut by the window (or broken JSON, which the reader will describe)
        if value is not None:
            return (value if isinstance(value, dict) else None), False
        pos = _SPACE.match(head, pos).end()
        if head[pos:pos + 1] != ",":
            return None, pos >= len(head)
        pos += 1
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
    fmt = normalize_format(fmt)
    if fmt == "parquet" or (fmt is None and head.startswith(b"PAR1")):
        parsed = ParsedFile(path=str(path), name=name, format="parquet", collection=path.stem, encoding="binary")
        return read_parquet(path, parsed, mapping)
    check_not_binary(path, head)
    if len(head) < SNIFF_BYTES and not decode_head(head).strip():
        raise NbkitError("file has only whitespace", path)  # its own reason, not "unrecognised format"
    fmt = fmt or detect_format(path, head, mapping)

    def consume(text):  # a fresh ParsedFile each call: textio re-runs this on a fallback decode
        target = ParsedFile(path=str(path), name=name, format=fmt, collection=path.stem)
        if fmt in _TEXT_READERS:
            return _TEXT_READERS[fmt].read(text, target, mapping)
        if fmt in _JSON_READERS:
            reader = _JSON_READERS[fmt]
            if mapping:
                target.warnings.append(f"column mapping not used: {fmt} records have fixed fields (pass "
                                       "--format json to map them yourself)")
            return read_json_records(text, target, reader.add, reader.looks_like, reader.null_reason, reader.fields,
                                     reader.fast)
        if fmt == "hf_page":
            return parse_hf_page(text, target)
        if fmt in ("csv", "tsv"):
            return read_delimited(text, target, "\t" if fmt == "tsv" else ",", mapping)
        if fmt == "jsonl":
            return read_json_lines(text, target, mapping)
        if fmt == "arxiv":
            return read_json_lines(text, target, mapping, add=add_arxiv_record)
        return read_json_array("".join(text), target, mapping)  # lines of the whole file

    chunks = fmt == "hf_page" or (fmt in _TEXT_READERS and _TEXT_READERS[fmt].chunks)
    with bulk_allocation():
        parsed, info = read_text(path, consume, chunks=chunks)
    if parsed.blocks == 0:
        raise NbkitError("file has only whitespace", path)
    parsed.encoding = info.encoding
    parsed.line_endings = info.line_endings
    parsed.warnings = info.warnings + parsed.warnings
    if info.fallback:
        parsed.listings.flag_all("encoding_fallback")
    return parsed
