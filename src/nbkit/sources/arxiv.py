"""Reader for the arXiv metadata snapshot (Kaggle's `arxiv-metadata-oai-snapshot.json`: JSON Lines).

Each record has `id`, `title`, `abstract`, `authors` (one string), often `authors_parsed` (a list of
[last, first, suffix]), `categories` (space-separated), `versions` (list of {version, created}) and `update_date`.
The publication date is the first version's `created`; without versions, `update_date` (flagged).
"""

from __future__ import annotations

import json
from typing import Any

from nbkit.clean import clean_text, count_authors, normalize_arxiv_id
from nbkit.sources.base import ParsedFile

SNAPSHOT_KEYS = frozenset({"id", "title", "abstract"})


def looks_like_snapshot(record: dict[str, Any]) -> bool:
    return record.keys() >= SNAPSHOT_KEYS and ("versions" in record or "update_date" in record)


def add_arxiv_record(parsed: ParsedFile, record: dict[str, Any], line: int) -> None:
    parsed.blocks += 1
    title = clean_text(str(record.get("title") or ""))
    if not title:
        parsed.reject(line, "arXiv record without a title", json.dumps(record, ensure_ascii=False))
        return
    flags: list[str] = []
    abstract = clean_text(str(record.get("abstract") or "")) or None
    if abstract is None:
        flags.append("missing_abstract")

    date_text = None
    versions = record.get("versions") or []
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        date_text = versions[0].get("created")
    if not date_text and record.get("update_date"):
        date_text = record["update_date"]
        flags.append("date_from_update")

    parsed_authors = record.get("authors_parsed")
    authors_count = len(parsed_authors) if isinstance(parsed_authors, list) and parsed_authors else None
    authors = clean_text(str(record.get("authors") or "")) or None
    parsed.listings.add(
        line,
        title,
        abstract,
        authors=authors,
        authors_count=authors_count if authors_count is not None else count_authors(authors),
        date_text=clean_text(str(date_text)) if date_text else None,
        arxiv_id=normalize_arxiv_id(record.get("id")),
        categories=str(record.get("categories") or "").split(),
        flags=flags,
    )
    parsed.listing_blocks += 1
