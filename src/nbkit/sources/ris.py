"""Reader for RIS exports (Scopus, Web of Science, Ovid, ProQuest, EndNote, Zotero, ...).

A record runs from `TY  - JOUR` to `ER  -`; every other line is `XX  - value` or continues the value above it.
Records are split here (sources.tagged: each record keeps its first line, records cut short are seen). Fields are
read as rispy reads them, with rispy's tables (tag names, list tags, the `;`-separated UR): the first of a
repeated single tag wins, continued lines are joined with spaces, each line of a list tag (AU, A1, KW, UR) is an
item. rispy's own parser is not used per record: on the benchmark (benchmarks/bench_ris.py) it took about 50 us
a record, the whole budget of 20,000 records/s, while one regular-expression pass per record over the tags
nbkit reads takes a third of that; tests check that both give the same fields (every fixture record, and random
records against rispy as the oracle).

Flavours differ in which tag carries a field, so each field is read from the first tag present:
title TI, T1 (Ovid, ProQuest); abstract AB, N2 (Ovid, EndNote); authors AU, else A1 (Ovid) — A2 and A3 are
editors and series editors, not authors; date PY, else Y1, else DA, with DA used when PY gives only the year it
refines. RIS dates are `YYYY/MM/DD/other` with empty parts (`2019//`, `2019///`), written out as `2019`,
`2019-05-17`; anything else is kept as written, so `10 15` ends up flagged `invalid_date`, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from rispy.config import DELIMITED_TAG_MAPPING, LIST_TYPE_TAGS, TAG_KEY_MAPPING

from nbkit.clean import clean_plain, clean_text, normalize_doi
from nbkit.dates import parse_date_text
from nbkit.sources.base import ParsedFile
from nbkit.sources.tagged import (
    TaggedFormat,
    TaggedRecord,
    arxiv_id_from,
    clean_all,
    opens_record,
    read_records,
    unique,
)
from nbkit.sources.textio import Chunk

SUFFIXES = frozenset({".ris"})
FORMAT = TaggedFormat("RIS", start="TY  -", end="ER  -", title_tags="TI or T1")
_TYPE_LINE = re.compile(r"TY  - ?\S")
_TAG_LINE = re.compile(r"[A-Z][A-Z0-9]  -(?: |$)")
# The tags nbkit reads, with rispy's names for them; a field is its tag line and the lines after it up to the next
# tag line (rispy's test for one: two capitals or a capital and a digit, two spaces, a dash). The record's first
# line (TY) is never read, so every field follows a line break. The quantifiers are possessive (`*+`): a value
# never gives characters back, and the engine then keeps no backtracking state (13% fewer instructions a record).
_READ = {tag: TAG_KEY_MAPPING[tag] for tag in ("TI", "T1", "AB", "N2", "AU", "A1", "PY", "Y1", "DA", "DO", "UR",
                                              "KW", "AN", "DB", "DP")}
_READ_FIELD = re.compile(r"\n(" + "|".join(_READ) + r")  -([^\n]*+(?:\n(?![A-Z][A-Z0-9]  -)[^\n]*+)*+)")
_LIST_TAGS = frozenset(LIST_TYPE_TAGS)
_DELIMITED = DELIMITED_TAG_MAPPING
_PUBMED_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})(?!\d)")
_RIS_DATE = re.compile(r"(\d{4})(?:/(\d{0,2})(?:/(\d{0,2})(?:/.*)?)?)?")


def looks_like_ris(head: str, suffix: str) -> bool:
    """Near the top, a `TY  - <type>` line followed by another RIS tag line."""
    return opens_record(head, _TYPE_LINE, _TAG_LINE)


def read_ris(chunks: Iterator[Chunk], parsed: ParsedFile, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    return read_records(chunks, parsed, FORMAT, ris_listing)


def ris_fields(text: str) -> dict[str, Any]:
    """The fields nbkit reads from a record, under rispy's names (`title`, `primary_title`, `authors`,
    `keywords`, `urls`, ...) and with the values rispy.loads gives them. Other tags are skipped unread."""
    fields: dict[str, Any] = {}
    for tag, value in _READ_FIELD.findall(text):
        name = _READ[tag]
        if tag in _LIST_TAGS:
            items = [v.strip() for v in value.split("\n")] if "\n" in value else [value.strip()]
            if tag in _DELIMITED:
                items = [item.strip() for v in items for item in v.split(_DELIMITED[tag])]
            known = fields.get(name)
            if known is None:
                fields[name] = items
            else:
                known += items
        elif name not in fields:
            fields[name] = " ".join([v.strip() for v in value.split("\n")]) if "\n" in value else value.strip()
    return fields


def ris_listing(record: TaggedRecord) -> dict[str, Any]:
    fields = ris_fields(record.text)
    urls = fields.get("urls") or []
    doi_text = fields.get("doi")
    clean = clean_plain if record.plain else clean_text
    return {
        "title": clean(fields.get("title") or fields.get("primary_title") or ""),
        "abstract": clean(fields.get("abstract") or fields.get("notes_abstract") or ""),
        "authors": clean_all([a for a in fields.get("authors") or fields.get("first_authors") or () if a],
                             record.plain),
        "date_text": ris_date(fields.get("year") or fields.get("publication_year"), fields.get("date")),
        # A DO nbkit cannot read falls back to a DOI link; failing that it goes on as written, so the loader
        # flags it invalid_doi instead of dropping it.
        "doi": normalize_doi(doi_text) or next((d for d in map(normalize_doi, urls) if d), None) or doi_text,
        "pmid": _pmid(fields, urls),
        "arxiv_id": arxiv_id_from([doi_text, *urls]),
        "categories": unique(clean_all(fields.get("keywords") or (), record.plain)),
    }


@lru_cache(maxsize=8192)  # an export repeats a few hundred PY/DA values across thousands of records
def ris_date(year: str | None, date: str | None) -> str | None:
    """The date text of a record from PY (or Y1) and DA: `2019/05/17` -> `2019-05-17`, `2019//` -> `2019`."""
    main = _normalize_date(year)
    finer = _normalize_date(date)
    if main is None:
        return finer
    if finer is not None and finer != main:
        coarse, fine = parse_date_text(main), parse_date_text(finer)
        if coarse and fine and coarse.precision == "year" and fine.precision != "year" and fine.year == coarse.year:
            return finer
    return main


def _normalize_date(text: str | None) -> str | None:
    if not text or (len(text) == 4 and text.isdigit()):  # most records: `PY  - 2019`
        return text or None
    text = clean_text(text)
    match = _RIS_DATE.fullmatch(text)
    if not match:
        return text or None  # kept as written: parse_date_text reads `MAY 2019` or flags it
    year, month, day = match.group(1), match.group(2), match.group(3)
    if not month or int(month) == 0:
        return year
    if not day or int(day) == 0:
        return f"{year}-{int(month):02d}"
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _pmid(fields: dict, urls: list[str]) -> str | None:
    """A PubMed id only where it cannot be something else: a PubMed URL, or an all-digit accession number (AN)
    in a record whose database (DB or DP) is MEDLINE or PubMed. Elsewhere AN holds Scopus, WoS or ProQuest ids."""
    for url in urls:
        match = _PUBMED_URL.search(url) if "pubmed" in url else None
        if match:
            return match.group(1)
    accession = fields.get("accession_number") or ""
    if not (accession.isdigit() and len(accession) <= 9):  # most records: no AN, or not a number
        return None
    database = f"{fields.get('name_of_database') or ''} {fields.get('database_provider') or ''}".lower()
    return accession if "medline" in database or "pubmed" in database else None

