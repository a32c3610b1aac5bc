"""Readers for record-shaped corpora users bring: CSV, TSV, JSON Lines, JSON arrays and Parquet.

Each record maps onto the listing fields through a column mapping. Without one, common column names are
recognized (see FIELD_ALIASES), whatever their case or spelling: `publicationDate`, `Publication Date` and
`publication_date` are one name; the exports of Scopus, IEEE Xplore and Springer Link are covered. In JSON, a
column may be a dotted path into nested objects (`details.abstract`), and the aliases are also looked for one
level down (`paper.title` in Hugging Face daily-papers dumps) when the top level lacks them. A mapping given by
the caller (`--column title="Paper Title"`) wins. Columns that map to nothing are listed in the load report, so
nothing is dropped unseen.

Values are read leniently but never silently: `"['cs.CL', 'cs.LG']"` strings are lists, `2.71k` is 2710
(flagged `count_abbreviated`), `5/6/2019` is read month first (flagged `day_month_ambiguous`), authors may be
lists of objects ({name}, {family, given}), and arXiv ids also come from arxiv.org links and arXiv DOIs.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from nbkit.clean import (
    arxiv_id_from_link,
    clean_text,
    count_authors,
    exact_arxiv_id,
    normalize_arxiv_id,
    normalize_doi,
    normalize_openalex_id,
    normalize_pmid,
    normalize_s2_id,
)
from nbkit.dates import is_ambiguous_day_month
from nbkit.errors import NbkitError
from nbkit.sources.base import ParsedFile

# Matched after normalize_name (case, spaces, `_` and `-` ignored), so `paperTitle` and `Paper Title` are
# `paper_title`. Scopus CSV: Title, Abstract, Authors, Year, DOI, Link, Author Keywords, PubMed ID; IEEE Xplore:
# Document Title, Publication Year, Author Keywords, PDF Link; Springer Link: Item Title, Item DOI, URL.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "paper_title", "document_title", "item_title", "article_title", "name"),
    "abstract": ("abstract", "summary", "description", "abstract_note"),
    "date": ("date", "published", "publication_date", "published_date", "published_at", "pub_date",
             "publication_year", "year", "created", "created_at"),
    "authors": ("authors", "author", "author_names", "author_full_names"),
    "authors_count": ("authors_count", "n_authors", "num_authors", "author_count"),
    "upvotes": ("upvotes", "votes", "likes"),
    "arxiv_id": ("arxiv_id", "arxiv", "arxivid", "eprint", "id"),  # `id` only when it holds an arXiv id
    "doi": ("doi", "item_doi"),
    "pmid": ("pmid", "pubmed_id"),
    "openalex_id": ("openalex_id", "openalex"),
    "s2_id": ("s2_id", "paper_id", "s2_paper_id"),  # only 40-hex Semantic Scholar ids are kept
    "categories": ("categories", "category", "subjects", "keywords", "author_keywords", "fields_of_study",
                   "tags"),
    "url": ("url", "link", "pdf_link", "pdf_url", "landing_page_url", "abs_url"),  # for arXiv ids only
    "collection": ("collection",),
}
FIELDS = tuple(FIELD_ALIASES)
# Aliases too vague to trust one level down: `submittedBy.name` is a user, `journal.name` a venue.
_TOP_LEVEL_ONLY = frozenset({("title", "name")})
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_name(name: str) -> str:
    """A column name as aliases are matched: lower case, without spaces, `_` or `-` (`Publication Date`,
    `publicationDate` and `publication_date` all give `publicationdate`)."""
    return _SEPARATORS.sub("", name.lstrip("\ufeff")).lower()


_ALIASES = {field: tuple(normalize_name(a) for a in aliases) for field, aliases in FIELD_ALIASES.items()}
TITLE_NAMES = frozenset(_ALIASES["title"])

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
    free alias, top-level columns before dotted ones (`paper.title`). A mapped field never falls back to an alias:
    the caller said where it is."""
    resolved = {field: column for field, column in (mapping or {}).items() if column in available}
    top: dict[str, str] = {}
    nested: dict[str, str] = {}
    for column in available:  # the first of several columns with one normalized name wins
        top.setdefault(normalize_name(column), column)  # a key may hold a dot itself (`Art. No.`)
        if "." in column:
            nested.setdefault(normalize_name(column.rsplit(".", 1)[1]), column)
    taken = set(resolved.values())
    for by_name in (top, nested):
        for field, aliases in _ALIASES.items():
            if field in resolved or (mapping and field in mapping):
                continue
            for alias in aliases:
                column = by_name.get(alias)
                if column is not None and column not in taken and not (by_name is nested and
                                                                       (field, alias) in _TOP_LEVEL_ONLY):
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


def _as_list(value: Any) -> list | None:
    """A list value: a JSON or Parquet list, or a string that spells a Python or JSON list (`"['a', 'b']"`)."""
    if isinstance(value, list | tuple):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, str):
        items = value.tolist()
        return items if isinstance(items, list) else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) >= 2 and text[0] == "[" and text[-1] == "]" and len(text) < 100_000:
            try:
                items = ast.literal_eval(text)  # literals only: never runs code
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return None
            if isinstance(items, list) and all(isinstance(v, str | int | float) for v in items):
                return items
    return None


def as_text(value: Any) -> str | None:
    """A cell as cleaned text; list values joined with `; `."""
    if _is_missing(value):
        return None
    if isinstance(value, str):
        return clean_text(value) or None
    items = _as_list(value)
    if items is not None:
        return clean_text("; ".join(str(v) for v in items)) or None
    return clean_text(str(value)) or None


def person_name(item: Any) -> str | None:
    """One author as text: a string, or an object as the sources write them ({name}, {display_name},
    {literal}, {family, given}, or OpenAlex's {author: {display_name}})."""
    if isinstance(item, str):
        return clean_text(item) or None
    if not isinstance(item, dict):
        return None if _is_missing(item) else clean_text(str(item)) or None
    for key in ("name", "display_name", "literal", "full_name", "fullname"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return clean_text(value)
    if isinstance(item.get("author"), dict) and (name := person_name(item["author"])):
        return name
    parts = [item[k].strip() for k in ("given", "family") if isinstance(item.get(k), str) and item[k].strip()]
    if parts:
        return clean_text(" ".join(parts))
    raw = item.get("raw_author_name")  # OpenAlex: the name as the paper printed it, when no author was matched
    return clean_text(raw) or None if isinstance(raw, str) else None


def as_authors(value: Any, *, countable: bool = True) -> tuple[str | None, int | None]:
    """Author names as `; `-joined text, and their number. A list counts its entries; a string is split on `;`,
    `,` or `and` (see clean.count_authors) unless `countable` is False (names run together, as in Springer)."""
    if _is_missing(value):
        return None, None
    items = _as_list(value)
    if items is None:
        text = as_text(value)
        return text, count_authors(text) if countable else None
    names = [n for n in map(person_name, items or []) if n]
    return ("; ".join(names) or None), (len(names) or None)


def as_count(value: Any) -> tuple[int | None, bool]:
    """A non-negative count and whether it was abbreviated (`2.71k` -> 2710, `1.2M` -> 1200000: digits lost)."""
    if type(value) is int:
        return (value if 0 <= value <= _MAX_COUNT else None), False
    if _is_missing(value) or isinstance(value, bool):
        return None, False
    text = str(value).replace(",", "").strip()
    scale = _SCALES.get(text[-1:].lower(), 1)
    try:
        number = float(text[:-1].strip() if scale > 1 else text) * scale
    except ValueError:
        return None, False
    if not 0 <= number <= _MAX_COUNT:  # also NaN; counts are stored as int64
        return None, False
    if scale > 1:
        return round(number), True
    return (int(number), False) if number.is_integer() else (None, False)


_SCALES = {"k": 1_000, "m": 1_000_000}
_MAX_COUNT = 2**53  # beyond this a float count has lost digits, and int64 ends soon after


def as_categories(value: Any) -> list[str]:
    """Categories or keywords: a list (of strings, or objects with a name), else a string split on `;` if it has
    one (keyword lists), else on `,`, else on whitespace when the words are arXiv categories (`cs.CL cs.LG`);
    other text is one keyword (`Computer Science - Machine Learning`)."""
    if _is_missing(value):
        return []
    items = _as_list(value)
    if items is not None:
        names = (_category_name(v) for v in items)
        return list(dict.fromkeys(n for n in names if n))
    text = str(value)
    separator = ";" if ";" in text else "," if "," in text else None
    if separator is None and not _arxiv_categories(text):
        return [clean_text(text)]
    return list(dict.fromkeys(c for c in (clean_text(p) for p in text.split(separator)) if c))


_ARXIV_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z-]+)?")  # cs.CL, hep-th, physics.comp-ph


def _arxiv_categories(text: str) -> bool:
    """Whether whitespace-separated words are arXiv categories (at least one with its `.` or `-`, so plain words
    such as `deep learning` stay one keyword)."""
    words = text.split()
    return all(_ARXIV_CATEGORY.fullmatch(w) for w in words) and any("." in w or "-" in w for w in words)


def _category_name(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("display_name", "category", "name", "term", "label"):
            if isinstance(item.get(key), str) and item[key].strip():
                return clean_text(item[key])
        return None
    return None if _is_missing(item) else clean_text(str(item)) or None


def date_text(value: Any) -> str | None:
    """A date cell as text for nbkit.dates.parse_date_text: years stay years, datetimes become ISO."""
    if _is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return clean_text(str(value)) or None


def date_flags(text: str | None) -> list[str]:
    """Flags a date text earns as written: `day_month_ambiguous` for `5/6/2019` (read month first)."""
    return ["day_month_ambiguous"] if text and "/" in text and is_ambiguous_day_month(text) else []


def get_path(record: Mapping[str, Any], column: str) -> Any:
    """record[column], or for a dotted column missing at the top level, the value at that path (`paper.id`)."""
    value = record.get(column)
    if value is None and "." in column and column not in record:
        value = record
        for part in column.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
    return value


def _has_path(record: Mapping[str, Any], path: str) -> bool:
    """Whether a dotted path leads to a key (its value may be null)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def add_record(parsed: ParsedFile, record: Mapping[str, Any], place: int, columns: Mapping[str, str], *,
               key: str | None = None, flags: list[str] | None = None, countable_authors: bool = True) -> None:
    """Turn one record into a listing, or reject it (no title). `key`: the record's key in a JSON object keyed by
    id (kept as its arXiv id or DOI when it is one); `flags`: flags the reader already knows of."""
    parsed.blocks += 1

    def get(field: str) -> Any:
        column = columns.get(field)
        return None if column is None else get_path(record, column)

    title = as_text(get("title"))
    if title is None:
        parsed.reject(place, "record without a title", json.dumps(record, default=str, ensure_ascii=False))
        return
    flags = list(flags or [])
    abstract = as_text(get("abstract"))
    if abstract is not None and abstract.lower() in _NO_ABSTRACT:
        abstract = None
    if abstract is None:
        flags.append("missing_abstract")
    authors, counted = as_authors(get("authors"), countable=countable_authors)
    authors_count, abbreviated = as_count(get("authors_count"))
    upvotes, upvotes_abbreviated = as_count(get("upvotes"))
    if abbreviated or upvotes_abbreviated:
        flags.append("count_abbreviated")
    written_date = date_text(get("date"))
    flags += date_flags(written_date)
    raw_doi = get("doi")
    # As written: nbkit.corpus normalizes every reader's DOIs in one place and flags text that is no DOI.
    doi = as_text(raw_doi) or normalize_doi(key)
    parsed.listings.add(
        place,
        title,
        abstract,
        collection=as_text(get("collection")),
        authors=authors,
        authors_count=authors_count if authors_count is not None else counted,
        date_text=written_date,
        upvotes=upvotes,
        arxiv_id=_arxiv_id(get("arxiv_id"), columns.get("arxiv_id")) or arxiv_id_from_link(get("url"))
        or arxiv_id_from_link(raw_doi) or exact_arxiv_id(key),
        doi=doi,
        pmid=normalize_pmid(get("pmid")),
        openalex_id=normalize_openalex_id(get("openalex_id")),
        s2_id=normalize_s2_id(get("s2_id")),
        categories=as_categories(get("categories")),
        flags=flags,
    )
    parsed.listing_blocks += 1


# What exports write where a record has no abstract (Scopus: `[No abstract available]`).
_NO_ABSTRACT = frozenset({"[no abstract available]", "no abstract available", "[no abstract]"})


def _arxiv_id(value: Any, column: str | None) -> str | None:
    if value is None:
        return None
    if column is not None and normalize_name(column.rsplit(".", 1)[-1]) == "id":
        return exact_arxiv_id(value)  # a bare `id` column holds an arXiv id only sometimes
    return normalize_arxiv_id(value)


def _note_columns(parsed: ParsedFile, available: Iterable[str], columns: Mapping[str, str]) -> None:
    """Record the mapping used and the columns nothing was mapped to (merged over every record shape seen).

    An object some of whose keys are used (`paper` of `paper.title`) lists its unused keys (`paper.thumbnail`);
    an object none of whose keys are used is listed by its own name only."""
    available = list(available)
    keys = set(available)
    used = set(columns.values())
    parents = {c.split(".", 1)[0] for c in used if "." in c}
    parsed.extra.setdefault("columns", {}).update(columns)
    ignored = parsed.extra.setdefault("ignored_columns", [])
    for column in available:
        parent = column.split(".", 1)[0]
        inside_unused_object = "." in column and parent in keys and parent not in parents  # not `Art. No.`
        if column in used or column in ignored or column in parents or inside_unused_object:
            continue
        ignored.append(column)


class _ColumnsByShape:
    """Column mappings for records whose keys vary from record to record (JSON): one per distinct key set.

    A record's columns are its keys and, for values that are objects, `key.subkey`. A key set without a title
    column maps no title, so just its records are rejected ("record without a title"); `check` then raises, once
    the file is read, if no record had a title column or the caller's mapping names a column no record has.
    """

    def __init__(self, parsed: ParsedFile, mapping: Mapping[str, str] | None) -> None:
        self.parsed, self.mapping = parsed, mapping
        self.known: dict[frozenset, dict[str, str]] = {}
        self.keys: dict[str, None] = {}  # every column seen, in first-seen order for the error message
        self.titled = False
        check_mapping(mapping)
        # Mapped paths below the first level: mapped in every shape (a shape only lists the first level), and
        # remembered once some record has them, for `check`.
        self.deep = [c for c in (mapping or {}).values() if c.count(".") > 1]

    def __call__(self, record: Mapping[str, Any]) -> dict[str, str]:
        shape = frozenset(record)
        nested = [k for k, v in record.items() if type(v) is dict]
        if nested:
            shape = shape | {f"{k}.{s}" for k in nested for s in record[k]}
        for path in self.deep:
            if path not in self.keys and _has_path(record, path):
                self.keys[path] = None
        columns = self.known.get(shape)
        if columns is None:
            available = [str(k) for k in record]
            available += [f"{k}.{s}" for k in nested for s in record[k]]
            available += [c for c in self.deep if c not in available]
            columns = self.known[shape] = match_columns(available, self.mapping)
            self.keys.update(dict.fromkeys(c for c in available if c not in self.deep))
            self.titled = self.titled or "title" in columns
            _note_columns(self.parsed, available, columns)
        return columns

    def check(self) -> None:
        """Raise NbkitError for a mapping or a file that matched no record (files with no objects say so anyway)."""
        if not self.known:
            return
        path, available = Path(self.parsed.path), [k for k in self.keys if "." not in k]
        for field, column in (self.mapping or {}).items():
            if column not in self.keys:
                raise _missing_column(field, column, available, path)
        if not self.titled:
            raise _no_title_column(available, path)


def _springer(header: list[str]) -> bool:
    """Springer Link's CSV export, whose Authors cell runs the names together (`Datong WeiCan Liu`)."""
    return {"itemtitle", "itemdoi"} <= {normalize_name(h) for h in header}


def read_delimited(lines: Iterator[str], parsed: ParsedFile, delimiter: str,
                   mapping: Mapping[str, str] | None) -> ParsedFile:
    """CSV or TSV with a header row. Quoted fields may span lines; a record's place is its first line.

    A row with more fields than the header (Scopus ends rows with a comma) is read from its first fields and
    flagged `extra_fields`; extra fields that are not empty are quoted in a warning. Rows with fewer fields are
    rejected.
    """
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    columns: dict[str, str] = {}
    countable = True
    previous_end = 0
    extra_rows: list[tuple[int, list[str]]] = []  # rows with non-empty extra fields: (line, extra values)
    padded = 0  # rows whose extra fields were all empty
    for row in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines are not blocks
        if header is None:
            header = [cell.strip() for cell in row]
            header[0] = header[0].lstrip("\ufeff")
            columns = resolve_columns(header, mapping, Path(parsed.path))
            countable = not (_springer(header) and "authors_count" not in columns)
            _note_columns(parsed, header, columns)
            parsed.blocks += 1
            parsed.header_lines.append(start)
            continue
        flags = None
        if len(row) > len(header):
            extra = row[len(header):]
            if any(cell.strip() for cell in extra):
                extra_rows.append((start, extra))
            else:
                padded += 1
            row, flags = row[:len(header)], ["extra_fields"]
        elif len(row) < len(header):
            parsed.blocks += 1
            parsed.reject(start, f"row has {len(row)} fields, the header has {len(header)}",
                          delimiter.join(row))
            continue
        add_record(parsed, dict(zip(header, row, strict=True)), start, columns, flags=flags,
                   countable_authors=countable)
    if header is None:
        raise NbkitError("file has only whitespace", parsed.path)
    if padded:
        parsed.warnings.append(f"{padded} rows had empty fields beyond the header's {len(header)} (dropped; "
                               "flagged extra_fields)")
    if extra_rows:
        shown = "; ".join(f"line {line}: {', '.join(repr(c) for c in extra[:3])}" for line, extra in extra_rows[:3])
        parsed.warnings.append(f"{len(extra_rows)} rows had values beyond the header's {len(header)} fields, "
                               f"read from their first {len(header)} (flagged extra_fields; {shown})")
    return parsed


def read_json_lines(lines: Iterator[str], parsed: ParsedFile, mapping: Mapping[str, str] | None,
                    add: Any = None) -> ParsedFile:
    """JSON Lines: one object per line. Lines that are not JSON objects are rejected with their line."""
    columns_for = _ColumnsByShape(parsed, mapping)
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        record = _json_line(parsed, text, number)
        if record is _INVALID:
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


# Keys under which API pages hold their records: OpenAlex `results`, Semantic Scholar `data`.
_PAGE_KEYS = ("results", "data")


def container_records(value: Any) -> list[tuple[str | None, Any]] | None:
    """The records of a JSON value that holds several, as (key or None, record); None for a single record.

    Holders: an array; an object with a `results` or `data` array (API pages) or with exactly one array; an
    object keyed by paper id whose values are all objects with a title-like key (`{"2401.00001": {...}}`).
    """
    if isinstance(value, list):
        return [(None, v) for v in value]
    if not isinstance(value, dict) or not value:
        return None
    for key in _PAGE_KEYS:
        if isinstance(value.get(key), list) and not _titled(value, nested=False):  # not a record with `data`
            return [(None, v) for v in value[key]]
    lists = [v for v in value.values() if isinstance(v, list)]
    if len(lists) == 1 and all(isinstance(v, dict) for v in lists[0][:1]) and not _titled(value):
        return [(None, v) for v in lists[0]]
    if all(isinstance(v, dict) and _titled(v) for v in value.values()):
        return [(str(k), v) for k, v in value.items()]
    return None


def _titled(record: dict, nested: bool = True) -> bool:
    """Whether an object has a title-like key (`name` aside), or one of its objects has (`paper.title`)."""
    names = {normalize_name(str(k)) for k in record} - {"name"}
    return bool(names & TITLE_NAMES) or (nested and any(isinstance(v, dict) and _titled(v) for v in record.values()))


def read_json_array(text: str, parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """A JSON array of objects, an object holding one, or an object keyed by id; a record's place is its 1-based
    position."""
    if text.lstrip().startswith("["):
        _add_records(parsed, ((None, v) for v in array_elements(text, parsed)), mapping)
        return parsed
    data = _load_json(text, parsed)
    records = container_records(data)
    if records is None and isinstance(data, dict) and _titled(data):
        records = [(None, data)]  # a file holding one record
    if records is None:
        raise NbkitError("expected a JSON array of objects (or an object holding one array, objects keyed by id, "
                         "or one record)", parsed.path)
    _add_records(parsed, records, mapping)
    return parsed


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def array_elements(text: str, parsed: ParsedFile) -> Iterator[Any]:
    """The elements of a JSON document that is an array, decoded one at a time, so a large export is never held
    as Python objects whole (json.loads would build all of them first). Invalid JSON raises NbkitError like
    json.loads would, with its line and column."""
    pos = _JSON_SPACE.match(text).end() + 1  # past the `[`
    pos = _JSON_SPACE.match(text, pos).end()
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            try:
                value, pos = _DECODER.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise _invalid_json(exc, parsed) from None
            yield value
            pos = _JSON_SPACE.match(text, pos).end()
            if text.startswith(",", pos):
                pos = _JSON_SPACE.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise _invalid_json(json.JSONDecodeError("Expecting ',' delimiter", text, pos), parsed)
    end = _JSON_SPACE.match(text, pos).end()
    if end < len(text):
        raise _invalid_json(json.JSONDecodeError("Extra data", text, end), parsed)


def _load_json(text: str, parsed: ParsedFile) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid_json(exc, parsed) from None


def _invalid_json(exc: json.JSONDecodeError, parsed: ParsedFile) -> NbkitError:
    return NbkitError(f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", parsed.path)


AddRecord = Callable[[ParsedFile, dict, int], None]
AddText = Callable[[ParsedFile, "str | bytes | msgspec.Raw", int], bool]


def text_value(value: Any, clean: Callable[[str], str] = clean_text) -> str | None:
    """A string field as cleaned text; None for anything else (null, numbers, objects) or empty text. `clean`:
    clean_text, or clean_plain for a value known to be printable ASCII."""
    return (clean(value) or None) if isinstance(value, str) else None


def add_fixed_record(parsed: ParsedFile, record: Mapping[str, Any], place: int, what: str, title: str | None,
                     abstract: str | None, **fields: Any) -> None:
    """The listing of one record of a fixed-format source (OpenAlex, Semantic Scholar, CSL), or its rejection
    (`<what> without a title`); a missing abstract is flagged."""
    parsed.blocks += 1
    if not title:
        whole = json.loads(record.line) if isinstance(record, PartialRecord) else record  # quote all of it
        parsed.reject(place, f"{what} without a title", json.dumps(whole, ensure_ascii=False, default=str)[:200])
        return
    if "flags" in fields:
        raise TypeError("add_fixed_record sets the flags itself")  # as a repeated keyword argument would
    fields["flags"] = None if abstract is not None else ["missing_abstract"]
    parsed.listings.add_fields(place, title, abstract, None, fields)
    parsed.listing_blocks += 1


def read_json_records(lines: Iterator[str], parsed: ParsedFile, add: AddRecord, is_record: Callable[[dict], bool],
                      null_reason: str | None = None, fields: tuple[str, ...] = (),
                      fast: AddText | None = None) -> ParsedFile:
    """Records of a fixed-format JSON source (OpenAlex, Semantic Scholar, CSL-JSON) in any of its shapes.

    JSON Lines (the first line is a whole object) give each record its line; a line holding a page of records
    gives each of them that line. One document (an array, an API page, records keyed by id, or one record) gives
    each record its 1-based position. `is_record` tells a record of the format from a holder of records;
    `add(parsed, record, place)` reads one record. A value that is not an object is rejected here (a JSON null
    with `null_reason` when one is given). `fields` (every key `add` and `is_record` read): JSON Lines records are
    decoded with only those keys (see field_decoder), about twice as fast on OpenAlex works. `fast(parsed, json
    text, place)`: reads a JSON Lines record or an array element from its text when it can (typed decoding) and
    returns True, else False and the record is read as above. (read_file pauses the garbage collector meanwhile.)
    """
    lines = iter(lines)
    number, first = _first_content_line(lines)
    try:
        head = json.loads(first) if first.lstrip().startswith("{") else None
    except json.JSONDecodeError:
        head = None  # a pretty-printed document, or broken JSON that the document parse will describe
    if isinstance(head, dict) and is_record(head):
        decode = field_decoder(fields) if fields else _no_decoder
        for line_number, line in enumerate(_chain(first, lines), number):
            if fast is not None and fast(parsed, line, line_number):  # msgspec ignores the surrounding space
                continue
            text = line.strip()
            if not text:
                continue
            record = decode(text)
            if record is not None and is_record(record):
                add(parsed, record, line_number)
            else:  # not a record, a page of records or invalid: decoded whole, as before
                _add_line(parsed, text, line_number, add, is_record, null_reason)
    elif first.lstrip().startswith("["):
        text = "".join(_chain("\n" * (number - 1) + first, lines))  # one join: no copy of the whole text again
        # msgspec reads ASCII text in place but keeps a UTF-8 copy of other text as long as the text lives
        data = text if fast is None or text.isascii() else text.encode()
        elements = _raw_elements(data) if fast is not None else None
        if elements is None:
            for place, value in enumerate(array_elements(text, parsed), 1):
                _add_value(parsed, value, place, add, null_reason)
        else:
            del text, data  # the elements hold the bytes they came from
            for place, raw in enumerate(elements, 1):
                if not fast(parsed, raw, place):
                    _add_value(parsed, json.loads(bytes(raw)), place, add, null_reason)
    elif first.strip():
        text = "\n" * (number - 1) + first + "".join(lines)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            if not isinstance(head, dict):
                raise _invalid_json(exc, parsed) from None
            document = None  # pages saved one per line
        if document is None:
            for line_number, line in enumerate(text.split("\n"), 1):
                if line.strip():
                    _add_line(parsed, line.strip(), line_number, add, is_record, null_reason)
        else:
            records = None if isinstance(document, dict) and is_record(document) else container_records(document)
            for place, (_, record) in enumerate(records if records is not None else [(None, document)], 1):
                _add_value(parsed, record, place, add, null_reason)
    if parsed.blocks == 0:
        raise NbkitError("no records in file", parsed.path)
    return parsed


_RAW_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])


def _raw_elements(text: str | bytes) -> list[msgspec.Raw] | None:
    """The elements of a JSON array as their undecoded JSON text (msgspec checks the syntax and builds no values);
    None when msgspec does not take the document (invalid JSON, NaN, not an array): then array_elements reads it
    and reports any error as before."""
    try:
        return _RAW_ARRAY.decode(text)
    except msgspec.DecodeError:
        return None


class PartialRecord(dict):
    """The keys a reader uses of one JSON Lines record; `line` is the record's text, parsed whole only when a
    rejection quotes the record."""

    __slots__ = ("line",)


def field_decoder(keys: tuple[str, ...]) -> Callable[[str], PartialRecord | None]:
    """A decoder of one JSON object that keeps only `keys`, as json would decode their values: msgspec skips the
    other keys without building Python objects for them (it still checks their syntax). Returns None where the
    line is not such an object (invalid JSON, an array; msgspec is also stricter than json: NaN, lone surrogates)
    so that the caller decodes it whole as before. Absent keys stay absent."""
    struct = msgspec.defstruct("Fields", [(f"f{i}", Any, msgspec.field(default=msgspec.UNSET, name=key))
                                          for i, key in enumerate(keys)], gc=False)
    decoder = msgspec.json.Decoder(struct)
    unset = msgspec.UNSET
    astuple = msgspec.structs.astuple

    def decode(line: str) -> PartialRecord | None:
        try:
            values = astuple(decoder.decode(line))
        except msgspec.DecodeError:  # also ValidationError (an array), its subclass
            return None
        record = PartialRecord({key: value for key, value in zip(keys, values, strict=True) if value is not unset})
        record.line = line
        return record

    return decode


def _no_decoder(line: str) -> None:
    return None


def _first_content_line(lines: Iterator[str]) -> tuple[int, str]:
    """(line number, text) of the first non-blank line, consumed from `lines`; (0, "") if there is none."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            return number, line
    return 0, ""


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


_INVALID = object()


def _json_line(parsed: ParsedFile, text: str, number: int) -> Any:
    """The JSON value of a line, or _INVALID after rejecting the line with the parser's reason."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        parsed.blocks += 1
        parsed.reject(number, f"invalid JSON ({exc.msg} at column {exc.colno})", text)
        return _INVALID


def _add_line(parsed: ParsedFile, text: str, number: int, add: AddRecord, is_record: Callable[[dict], bool],
              null_reason: str | None) -> None:
    value = _json_line(parsed, text, number)
    if value is _INVALID:
        return
    records = None if isinstance(value, dict) and is_record(value) else container_records(value)
    for _, record in records if records is not None else [(None, value)]:
        _add_value(parsed, record, number, add, null_reason)


def _add_value(parsed: ParsedFile, value: Any, place: int, add: AddRecord, null_reason: str | None) -> None:
    if isinstance(value, dict):
        add(parsed, value, place)
        return
    parsed.blocks += 1
    if value is None and null_reason:
        parsed.reject(place, null_reason, "null")
    else:
        parsed.reject(place, f"JSON {type(value).__name__} where an object was expected",
                      json.dumps(value, default=str, ensure_ascii=False))


def read_parquet(path: Path, parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """A Parquet table; a record's place is its 1-based row number."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for damaged files; all mean the same to a user
        raise NbkitError(f"not a readable Parquet file ({str(exc).splitlines()[0]})", path) from None
    _add_records(parsed, ((None, row) for row in _rows(table)), mapping, table.column_names)
    return parsed


def _rows(table: Any) -> Iterator[dict[str, Any]]:
    for batch in table.to_batches(max_chunksize=65536):
        yield from batch.to_pylist()


def _add_records(parsed: ParsedFile, records: Iterable[tuple[str | None, Any]], mapping: Mapping[str, str] | None,
                 names: list[str] | None = None) -> None:
    fixed: dict[str, str] | None = None
    if names is not None:  # a table: one set of columns for every row
        fixed = resolve_columns(names, mapping, Path(parsed.path))
        _note_columns(parsed, names, fixed)
    columns_for = _ColumnsByShape(parsed, mapping)
    for place, (key, record) in enumerate(records, 1):
        if not isinstance(record, dict):
            parsed.blocks += 1
            parsed.reject(place, f"JSON {type(record).__name__} where an object was expected", str(record))
            continue
        add_record(parsed, record, place, fixed if fixed is not None else columns_for(record), key=key)
    if parsed.blocks == 0:
        raise NbkitError("no records in file", parsed.path)
    columns_for.check()
