"""Reader for Semantic Scholar Academic Graph paper objects: a list (batch responses may hold `null` for ids not
found: each is rejected with its place), JSON Lines (datasets), or a search page `{"total", "data": [...]}`.

Fields: `paperId` -> s2_id, `title`, `abstract` (often null), `authors` [{authorId, name}] (named and counted),
`externalIds` {DOI, ArXiv, PubMed}, `publicationDate` (else `year`), categories from `fieldsOfStudy`, else the
distinct `s2FieldsOfStudy[].category`. `venue`, citation counts and `tldr` are not listing fields.
"""

from __future__ import annotations

import re
from typing import Any

from nbkit.clean import exact_arxiv_id, normalize_pmid, normalize_s2_id
from nbkit.sources.base import ParsedFile
from nbkit.sources.records import add_fixed_record, as_authors, as_categories, text_value

EVIDENCE = re.compile(r'"paperId"\s*:')
NULL_REASON = "null paper (id not found)"
# Every key read here, for JSON Lines decoding that skips the rest of a paper (citations, tldr, venue objects).
FIELDS = ("paperId", "title", "abstract", "authors", "externalIds", "publicationDate", "year", "fieldsOfStudy",
          "s2FieldsOfStudy")


def looks_like_paper(record: dict[str, Any]) -> bool:
    """A Semantic Scholar paper object: it has a `paperId` key (the API always returns it)."""
    return "paperId" in record


def add_paper(parsed: ParsedFile, paper: dict[str, Any], place: int) -> None:
    """One paper -> a listing, or a rejection (no title)."""
    authors, authors_count = as_authors(paper.get("authors"))
    external = paper.get("externalIds") if isinstance(paper.get("externalIds"), dict) else {}
    date = paper.get("publicationDate") or paper.get("year")
    categories = as_categories(paper.get("fieldsOfStudy")) or as_categories(paper.get("s2FieldsOfStudy"))
    add_fixed_record(
        parsed, paper, place, "Semantic Scholar paper", text_value(paper.get("title")),
        text_value(paper.get("abstract")),
        authors=authors,
        authors_count=authors_count,
        date_text=str(date) if date else None,
        arxiv_id=exact_arxiv_id(external.get("ArXiv")),
        doi=text_value(external.get("DOI")),  # as written: corpus checks and normalizes
        pmid=normalize_pmid(external.get("PubMed")),
        s2_id=normalize_s2_id(paper.get("paperId")),
        categories=categories,
    )
