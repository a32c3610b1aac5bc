"""Reader for Semantic Scholar Academic Graph paper objects: a list (batch responses may hold `null` for ids not
found: each is rejected with its place), JSON Lines (datasets), or a search page `{"total", "data": [...]}`.

Fields: `paperId` -> s2_id, `title`, `abstract` (often null), `authors` [{authorId, name}] (named and counted),
`externalIds` {DOI, ArXiv, PubMed}, `publicationDate` (else `year`), categories from `fieldsOfStudy`, else the
distinct `s2FieldsOfStudy[].category`. `venue`, citation counts and `tldr` are not listing fields.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nbkit.clean import clean_text, exact_arxiv_id, normalize_doi, normalize_pmid, normalize_s2_id
from nbkit.sources.base import ParsedFile
from nbkit.sources.records import as_authors, as_categories

EVIDENCE = re.compile(r'"paperId"\s*:')
NULL_REASON = "null paper (id not found)"


def looks_like_paper(record: dict[str, Any]) -> bool:
    """A Semantic Scholar paper object: it has a `paperId` key (the API always returns it)."""
    return "paperId" in record


def add_paper(parsed: ParsedFile, paper: dict[str, Any], place: int) -> None:
    """One paper -> a listing, or a rejection (no title)."""
    parsed.blocks += 1
    title = clean_text(paper["title"]) if isinstance(paper.get("title"), str) else ""
    if not title:
        parsed.reject(place, "Semantic Scholar paper without a title", json.dumps(paper, ensure_ascii=False)[:200])
        return
    abstract = clean_text(paper["abstract"]) or None if isinstance(paper.get("abstract"), str) else None
    authors, authors_count = as_authors(paper.get("authors"))
    external = paper.get("externalIds") if isinstance(paper.get("externalIds"), dict) else {}
    date = paper.get("publicationDate") or paper.get("year")
    categories = as_categories(paper.get("fieldsOfStudy")) or as_categories(paper.get("s2FieldsOfStudy"))
    parsed.listings.add(
        place,
        title,
        abstract,
        authors=authors,
        authors_count=authors_count,
        date_text=str(date) if date else None,
        arxiv_id=exact_arxiv_id(external.get("ArXiv")),
        doi=normalize_doi(external.get("DOI")),
        pmid=normalize_pmid(external.get("PubMed")),
        s2_id=normalize_s2_id(paper.get("paperId")),
        categories=categories,
        flags=None if abstract is not None else ["missing_abstract"],
    )
    parsed.listing_blocks += 1
