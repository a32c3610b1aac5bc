"""Readers for record-shaped corpora users bring: CSV, TSV, JSON Lines, JSON arrays and Parquet.

Each record maps onto the listing fields through a column mapping. Without one, common column names are
recognized case-insensitively (see FIELD_ALIASES); a mapping given by the caller (`--column title="Paper Title"`)
wins. Columns that map to nothing are listed in the load report, so nothing is dropped unseen.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from nbkit.clean import clean_text, count_authors, normalize_arxiv_id
from nbkit.errors import NbkitError
from nbkit.sources.base import ParsedFile

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "paper_title", "paper title", "name"),
    "abstract": ("abstract", "summary", "description"),
    "date": ("date", "published", "publication_date", "published_date", "pub_date", "year", "created"),
    "authors": ("authors", "author", "author_names"),
    "authors_count": ("authors_count", "n_authors", "num_authors", "author_count"),
    "upvotes": ("upvotes", "votes", "likes"),
    "arxiv_id": ("arxiv_id", "arxiv", "arxivid", "eprint"),
    "doi": ("doi",),
    "pmid": ("pmid",),
    "openalex_id": ("openalex_id",),
    "s2_id": ("s2_id",),
    "categories": ("categories", "category", "subjects"),
    "collection": ("collection",),
}
FIELDS = tuple(FIELD_ALIASES)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # abstracts are long; the default 128 KiB cap is too low


def resolve_columns(available: Iterable[str], mapping: Mapping[str, str] | None, path: Path) -> dict[str, str]:
    """field -> source column for a table. Raises NbkitError for a mapping that names an unknown field or a missing
    column, and when no column holds titles."""
    available = [str(c) for c in available]
    check_mapping(mapping)
    for field, column in (mapping or {}).items():
        if column not in available:
            raise _missing_column(field, column, available, path)
    resolved = match_columns(available, mapping)
    if "title" not in resolved:
        raise _no_title_column(available, path)
    return resolved


def check_mapping(mapping: Mapping[str, str] | None) -> None:
    """Raise NbkitError for a mapping field that is not a listing field (a typo would otherwise map nothing)."""
    for field in mapping or {}:
        if field not in FIELD_ALIASES:
            raise NbkitError(f"unknown field {field!r} in the column mapping; fields are {', '.join(FIELDS)}")


def match_columns(available: list[str], mapping: Mapping[str, str] | None) -> dict[str, str]:
    """field -> source column among `available`: the caller's mapping where its column is present, else the first
    free alias. A mapped field never falls back to an alias: the caller said where it is."""
    resolved = {field: column for field, column in (mapping or {}).items() if column in available}
    by_lower = {c.strip().lower(): c for c in available}
    taken = set(resolved.values())
    for field, aliases in FIELD_ALIASES.items():
        if mapping and field in mapping:
            continue
        for alias in aliases:
            column = by_lower.get(alias)
            if column is not None and column not in taken:
                resolved[field] = column
                taken.add(column)
                break
    return resolved


def _missing_column(field: str, column: str, available: list[str], path: Path) -> NbkitError:
    return NbkitError(f"column {column!r} (mapped to {field}) not found; columns are: {', '.join(available)}", path)


def _no_title_column(available: list[str], path: Path) -> NbkitError:
    return NbkitError(
        f"no title column among: {', '.join(available) or '(none)'}; pass a mapping such as --column title=NAME",
        path,
    )


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return clean_text("; ".join(str(v) for v in items)) or None
    return clean_text(str(value)) or None


def _as_int(value: Any) -> int | None:
    if _is_missing(value):
        return None
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


def _as_categories(value: Any) -> list[str]:
    if _is_missing(value):
        return []
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return [clean_text(str(v)) for v in items if not _is_missing(v)]
    return [c for c in re.split(r"[\s,;]+", str(value)) if c]


def date_text(value: Any) -> str | None:
    """A date cell as text for nbkit.dates.parse_date_text: years stay years, datetimes become ISO."""
    if _is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return clean_text(str(value)) or None


def add_record(parsed: ParsedFile, record: Mapping[str, Any], place: int, columns: Mapping[str, str]) -> None:
    """Turn one record into a listing, or reject it (no title)."""
    parsed.blocks += 1

    def get(field: str) -> Any:
        column = columns.get(field)
        return None if column is None else record.get(column)

    title = _as_text(get("title"))
    if title is None:
        parsed.reject(place, "record without a title", json.dumps(record, default=str, ensure_ascii=False))
        return
    abstract = _as_text(get("abstract"))
    raw_authors = get("authors")
    authors_count = _as_int(get("authors_count"))
    parsed.listings.add(
        place,
        title,
        abstract,
        collection=_as_text(get("collection")),
        authors=_as_text(raw_authors),
        authors_count=authors_count if authors_count is not None else count_authors(raw_authors),
        date_text=date_text(get("date")),
        upvotes=_as_int(get("upvotes")),
        arxiv_id=normalize_arxiv_id(get("arxiv_id")),
        doi=_as_text(get("doi")),  # normalized, or flagged invalid_doi, with every reader's DOIs in nbkit.corpus
        pmid=_as_text(get("pmid")),
        openalex_id=_as_text(get("openalex_id")),
        s2_id=_as_text(get("s2_id")),
        categories=_as_categories(get("categories")),
        flags=None if abstract is not None else ["missing_abstract"],
    )
    parsed.listing_blocks += 1


def _note_columns(parsed: ParsedFile, available: Iterable[str], columns: Mapping[str, str]) -> None:
    """Record the mapping used and the columns nothing was mapped to (merged over every record shape seen)."""
    used = set(columns.values())
    parsed.extra.setdefault("columns", {}).update(columns)
    ignored = parsed.extra.setdefault("ignored_columns", [])
    ignored += [c for c in available if c not in used and c not in ignored]


class _ColumnsByShape:
    """Column mappings for records whose keys vary from record to record (JSON): one per distinct key set.

    A key set without a title column maps no title, so just its records are rejected ("record without a title");
    `check` then raises, once the file is read, if no record had a title column or the caller's mapping names a
    column no record has.
    """

    def __init__(self, parsed: ParsedFile, mapping: Mapping[str, str] | None) -> None:
        self.parsed, self.mapping = parsed, mapping
        self.known: dict[frozenset, dict[str, str]] = {}
        self.keys: dict[str, None] = {}  # every key seen, in first-seen order for the error message
        self.titled = False

    def __call__(self, record: Mapping[str, Any]) -> dict[str, str]:
        shape = frozenset(record.keys())
        columns = self.known.get(shape)
        if columns is None:
            check_mapping(self.mapping)
            available = [str(k) for k in record]
            columns = self.known[shape] = match_columns(available, self.mapping)
            self.keys.update(dict.fromkeys(available))
            self.titled = self.titled or "title" in columns
            _note_columns(self.parsed, available, columns)
        return columns

    def check(self) -> None:
        """Raise NbkitError for a mapping or a file that matched no record (files with no objects say so anyway)."""
        if not self.known:
            return
        path, available = Path(self.parsed.path), list(self.keys)
        for field, column in (self.mapping or {}).items():
            if column not in self.keys:
                raise _missing_column(field, column, available, path)
        if not self.titled:
            raise _no_title_column(available, path)


def read_delimited(lines: Iterator[str], parsed: ParsedFile, delimiter: str,
                   mapping: Mapping[str, str] | None) -> ParsedFile:
    """CSV or TSV with a header row. Quoted fields may span lines; a record's place is its first line."""
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    columns: dict[str, str] = {}
    previous_end = 0
    for row in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines are not blocks
        if header is None:
            header = [cell.strip() for cell in row]
            header[0] = header[0].lstrip("\ufeff")
            columns = resolve_columns(header, mapping, Path(parsed.path))
            _note_columns(parsed, header, columns)
            parsed.blocks += 1
            parsed.header_lines.append(start)
            continue
        if len(row) != len(header):
            parsed.blocks += 1
            parsed.reject(start, f"row has {len(row)} fields, the header has {len(header)}",
                          delimiter.join(row))
            continue
        add_record(parsed, dict(zip(header, row, strict=True)), start, columns)
    if header is None:
        raise NbkitError("file has only whitespace", parsed.path)
    return parsed


def read_json_lines(lines: Iterator[str], parsed: ParsedFile, mapping: Mapping[str, str] | None,
                    add: Any = None) -> ParsedFile:
    """JSON Lines: one object per line. Lines that are not JSON objects are rejected with their line."""
    columns_for = _ColumnsByShape(parsed, mapping)
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            parsed.blocks += 1
            parsed.reject(number, f"invalid JSON ({exc.msg} at column {exc.colno})", text)
            continue
        if not isinstance(record, dict):
            parsed.blocks += 1
            parsed.reject(number, f"JSON {type(record).__name__} where an object was expected", text)
            continue
        if add is not None:
            add(parsed, record, number)
            continue
        add_record(parsed, record, number, columns_for(record))
    if parsed.blocks == 0:
        raise NbkitError("file has only whitespace", parsed.path)
    columns_for.check()
    return parsed


def read_json_array(text: str, parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """A JSON array of objects; a record's place is its 1-based position in the array."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NbkitError(f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", parsed.path) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise NbkitError("expected a JSON array of objects (or an object holding one array)", parsed.path)
        data = lists[0]
    if not isinstance(data, list):
        raise NbkitError("expected a JSON array of objects", parsed.path)
    _add_records(parsed, data, mapping)
    return parsed


def read_parquet(path: Path, parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """A Parquet table; a record's place is its 1-based row number."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for damaged files; all mean the same to a user
        raise NbkitError(f"not a readable Parquet file ({str(exc).splitlines()[0]})", path) from None
    _add_records(parsed, _rows(table), mapping, table.column_names)
    return parsed


def _rows(table: Any) -> Iterator[dict[str, Any]]:
    for batch in table.to_batches(max_chunksize=65536):
        yield from batch.to_pylist()


def _add_records(parsed: ParsedFile, records: Iterable[Any], mapping: Mapping[str, str] | None,
                 names: list[str] | None = None) -> None:
    fixed: dict[str, str] | None = None
    if names is not None:  # a table: one set of columns for every row
        fixed = resolve_columns(names, mapping, Path(parsed.path))
        _note_columns(parsed, names, fixed)
    columns_for = _ColumnsByShape(parsed, mapping)
    for place, record in enumerate(records, 1):
        if not isinstance(record, dict):
            parsed.blocks += 1
            parsed.reject(place, f"JSON {type(record).__name__} where an object was expected", str(record))
            continue
        add_record(parsed, record, place, fixed if fixed is not None else columns_for(record))
    if parsed.blocks == 0:
        raise NbkitError("no records in file", parsed.path)
    columns_for.check()
