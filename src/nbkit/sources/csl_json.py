"""Reader for CSL-JSON, the citation format Zotero (and Mendeley, pandoc, Better BibTeX) exports: a list of items.

Fields: `title`, `abstract`, `author` [{family, given} or {literal}] (named and counted), `issued`
({"date-parts": [[2019, 5, 17]]}, shorter for month or year precision, or {"raw": "..."} / {"literal": "..."},
kept as written), `DOI`, the arXiv id from an arxiv.org `URL`, an arXiv DOI or a `number` such as
`arXiv:2401.00001`, and `keyword` (Zotero joins tags with `, `) as categories.
"""

from __future__ import annotations

import re
from typing import Any

from nbkit.clean import arxiv_id_from_link, clean_text, exact_arxiv_id, normalize_pmid
from nbkit.sources.base import ParsedFile
from nbkit.sources.records import add_fixed_record, as_authors, as_categories, text_value

# The item types of CSL 1.0.2 (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types)
CSL_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast", "chapter",
    "classic", "collection", "dataset", "document", "entry", "entry-dictionary", "entry-encyclopedia", "event",
    "figure", "graphic", "hearing", "interview", "legal_case", "legislation", "manuscript", "map",
    "motion_picture", "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review", "review-book", "software",
    "song", "speech", "standard", "thesis", "treaty", "webpage",
})
_CSL_KEYS = ("issued", "container-title", "citation-key")
# Every key read here, for JSON Lines decoding that skips the rest of an item.
FIELDS = ("type", *_CSL_KEYS, "author", "title", "abstract", "URL", "DOI", "number", "PMID", "keyword")
_TYPE_NAMES = "|".join(re.escape(t) for t in sorted(CSL_TYPES))
# A CSL type and, in the same object, a CSL key (for a first item longer than the sniff window).
EVIDENCE = re.compile(rf'"type"\s*:\s*"(?:{_TYPE_NAMES})"[^{{}}]*"(?:issued|container-title|citation-key)"\s*:')


def looks_like_item(record: dict[str, Any]) -> bool:
    """A CSL item: a CSL `type` and a key of CSL's own (`issued`, `container-title`, `citation-key`), or authors
    as CSL names ({family, given} or {literal})."""
    if not isinstance(record.get("type"), str) or record["type"] not in CSL_TYPES:
        return False
    if any(key in record for key in _CSL_KEYS):
        return True
    authors = record.get("author")
    return isinstance(authors, list) and any(isinstance(a, dict) and ("family" in a or "literal" in a)
                                             for a in authors)


def issued_text(issued: Any) -> str | None:
    """A CSL date as text: date-parts as `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (parts may be strings: Zotero), else
    `raw` or `literal` as written. A range keeps its start."""
    if not isinstance(issued, dict):
        return clean_text(issued) or None if isinstance(issued, str) else None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            numbers = [int(p) for p in parts[0][:3]]
        except (TypeError, ValueError):
            numbers = []
        if numbers:
            return "-".join([f"{numbers[0]:04d}", *(f"{n:02d}" for n in numbers[1:])])
    for key in ("raw", "literal"):
        if isinstance(issued.get(key), str) and issued[key].strip():
            return clean_text(issued[key])
    return None


def _arxiv_id(item: dict[str, Any]) -> str | None:
    for value in (item.get("URL"), item.get("DOI")):
        found = arxiv_id_from_link(value)
        if found:
            return found
    number = item.get("number")
    if isinstance(number, str) and number.lower().startswith("arxiv:"):
        return exact_arxiv_id(number)
    return None


def add_item(parsed: ParsedFile, item: dict[str, Any], place: int) -> None:
    """One CSL item -> a listing, or a rejection (no title)."""
    authors, authors_count = as_authors(item.get("author"))
    add_fixed_record(
        parsed, item, place, "CSL item", text_value(item.get("title")), text_value(item.get("abstract")),
        authors=authors,
        authors_count=authors_count,
        date_text=issued_text(item.get("issued")),
        arxiv_id=_arxiv_id(item),
        doi=text_value(item.get("DOI")),  # as written: corpus checks and normalizes
        pmid=normalize_pmid(item.get("PMID")),
        categories=as_categories(item.get("keyword")),
    )
