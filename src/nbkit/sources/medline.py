"""Reader for PubMed MEDLINE exports (PubMed "Save" -> Format: PubMed, `pubmed-*.txt`; citation manager `.nbib`).

A record starts with `PMID- 31234567` and ends at a blank line. Each field is a tag padded to four characters, a
dash and a space (`TI  - `, `FAU - `); long values continue on lines indented by six spaces, joined here with
spaces. No maintained Python parser for the format exists that keeps line numbers, so the tags are read here.

Read: TI (BTI for books), AB, FAU (else AU: every author has both lines, so each is counted once), DP, the DOI
from LID or AID (`10.1000/xyz [doi]`), PMID, MH (without the `*` of a major topic) and OT as categories. DP is
written `2019 May 17`, `2019 May`, `2019 Jan-Feb` (a range: its first month), `2019 Spring` (a season: the year);
a DP that does not start with a year is kept as written and flagged invalid_date by the loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from nbkit.clean import clean_text
from nbkit.dates import MONTHS
from nbkit.sources.base import ParsedFile
from nbkit.sources.tagged import TaggedFormat, TaggedRecord, clean_all, opens_record, read_records, unique
from nbkit.sources.textio import Chunk

SUFFIXES = frozenset({".nbib", ".medline"})
FORMAT = TaggedFormat("MEDLINE", start="PMID-", end=None, title_tags="TI")
# A field: its tag line and the lines after it that are not tag lines (the record's first line is PMID, read
# apart, so every other field follows a line break).
_FIELD = re.compile(r"\n([A-Z][A-Z0-9 ]{3})- ?([^\n]*(?:\n(?![A-Z][A-Z0-9 ]{3}- )[^\n]*)*)")
_PMID = re.compile(r"PMID- *(\d+)")
_PMID_LINE = re.compile(r"PMID- *\d+\s*$")
_TAG_LINE = re.compile(r"[A-Z][A-Z0-9 ]{3}- ")
_DOI_ID = re.compile(r"(\S+)\s*\[doi\]")


def looks_like_medline(head: str, suffix: str) -> bool:
    """Near the top, a `PMID- <digits>` line followed by another MEDLINE tag line."""
    return opens_record(head, _PMID_LINE, _TAG_LINE)


def read_medline(chunks: Iterator[Chunk], parsed: ParsedFile, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    return read_records(chunks, parsed, FORMAT, medline_listing)


def medline_fields(text: str) -> dict[str, list[str]]:
    """tag (without padding) -> its values in order, continued lines joined with spaces."""
    fields: dict[str, list[str]] = {}
    for tag, value in _FIELD.findall(text):
        if "\n" in value:
            value = " ".join(part.strip() for part in value.split("\n"))
        fields.setdefault(tag.rstrip(), []).append(value.strip())
    return fields


def medline_listing(record: TaggedRecord) -> dict[str, Any]:
    fields = medline_fields(record.text)
    doi = next((m.group(1) for v in (*fields.get("LID", ()), *fields.get("AID", ()))
                if (m := _DOI_ID.fullmatch(v))), None)
    pmid = _PMID.match(record.text)
    return {
        "title": clean_text(" ".join(fields.get("TI") or fields.get("BTI") or ())),
        "abstract": clean_text(" ".join(fields.get("AB") or ())),
        "authors": clean_all([a for a in fields.get("FAU") or fields.get("AU") or () if a]),
        "date_text": medline_date(" ".join(fields.get("DP") or ())),
        "doi": doi,
        "pmid": pmid.group(1) if pmid else None,
        # `*` marks a major MeSH topic; the heading is the same one either way.
        "categories": unique(c.lstrip("*") for c in clean_all([*fields.get("MH", ()), *fields.get("OT", ())])),
    }


def medline_date(text: str) -> str | None:
    """`2019 May 17` -> `2019-05-17`, `2019 Jan-Feb` -> `2019-01`, `2019 Spring` -> `2019`; otherwise as written."""
    parts = clean_text(text).split()
    if not parts:
        return None
    year = parts[0]
    if not (len(year) == 4 and year.isdigit()):
        return " ".join(parts)
    month = MONTHS.get(parts[1].split("-")[0].rstrip(".").lower()) if len(parts) > 1 else None
    if month is None:
        return year
    day = parts[2].split("-")[0] if len(parts) > 2 and "-" not in parts[1] else ""
    return f"{year}-{month:02d}-{int(day):02d}" if day.isdigit() else f"{year}-{month:02d}"
