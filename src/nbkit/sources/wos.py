"""Reader for Web of Science plain-text exports ("Other file formats" -> Plain text, `savedrecs.txt`).

The file opens with `FN Clarivate Analytics Web of Science` and `VR 1.0` (header lines) and closes with `EF`.
A record runs from `PT J` to `ER`; each field is a two-letter tag, a space and a value, continued on lines that
start with three spaces. rispy's WokParser reads each record's fields: AU and AF give one author per line, TI and
AB continued lines are joined with spaces. Read here: TI, AB, AU (else AF), PY with PD (`MAY 17`, `MAY`; a season
such as `SPR` leaves the year alone), DI, PM, WC and SC as categories. UT (the WoS accession number) has no
column yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from rispy import WokParser

from nbkit.clean import clean_text
from nbkit.dates import MONTHS
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

SUFFIXES: frozenset[str] = frozenset()  # saved as .txt, which other formats share: recognised by content only
FORMAT = TaggedFormat("Web of Science", start="PT ", end="ER", header=r"(?:FN|VR) .*|EF\s*", title_tags="TI")
_PARSER = WokParser()
_FILE_NAME = re.compile(r"FN \S")
_VERSION = re.compile(r"VR \d")
_RECORD_START = re.compile(r"PT [A-Z]\s*$")
_TAG_LINE = re.compile(r"[A-Z][A-Z0-9] \S")
_MONTH_DAY = re.compile(r"([A-Za-z]{3})[A-Za-z]*\.?(?:-[A-Za-z]+)?(?:\s+(\d{1,2}))?")  # MAY 17, MAY, MAY-JUN


def looks_like_wos(head: str, suffix: str) -> bool:
    """Near the top, `FN <name>` followed by `VR <version>`, or a record's `PT J` followed by a tag line."""
    return opens_record(head, _FILE_NAME, _VERSION) or opens_record(head, _RECORD_START, _TAG_LINE)


def read_wos(chunks: Iterator[Chunk], parsed: ParsedFile, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    return read_records(chunks, parsed, FORMAT, wos_listing)


def wos_listing(record: TaggedRecord) -> dict[str, Any]:
    lines = record.text.split("\n")
    if not record.terminated:
        lines.append("ER")  # rispy keeps a record only when it sees its end
    fields = _PARSER.parse_lines(iter(lines))[0]
    doi_text = fields.get("doi")
    categories = [c.strip() for key in ("wos_categories", "research_areas") for c in (fields.get(key) or "").split(";")]
    pmid = (fields.get("pubmed_id") or "").strip()
    return {
        "title": clean_text(fields.get("document_title") or ""),
        "abstract": clean_text(fields.get("abstract") or ""),
        "authors": clean_all([a for a in fields.get("authors") or fields.get("author_full_name") or () if a]),
        "date_text": wos_date(fields.get("publication_year"), fields.get("publication_date")),
        "doi": clean_text(doi_text or "") or None,  # as written: corpus checks and normalizes
        "pmid": pmid if pmid.isdigit() else None,
        "arxiv_id": arxiv_id_from([doi_text]),
        "categories": unique(clean_all(categories)),
    }


def wos_date(year: str | None, day: str | None) -> str | None:
    """PY `2019` with PD `MAY 17` -> `2019-05-17`; PD `MAY` or `MAY-JUN` -> `2019-05` (a range: its first month);
    PD `SPR` or none -> `2019`. A PY that is not a year is kept as written (the loader flags it invalid_date)."""
    year = clean_text(year or "")
    if not year:
        return None
    match = _MONTH_DAY.fullmatch(clean_text(day or ""))
    month = MONTHS.get(match.group(1).lower()) if match else None
    if not (len(year) == 4 and year.isdigit()) or month is None:
        return year
    return f"{year}-{month:02d}-{int(match.group(2)):02d}" if match.group(2) else f"{year}-{month:02d}"
