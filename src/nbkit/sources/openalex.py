"""Reader for OpenAlex works: the API's JSON (a list of works or a `{"meta": ..., "results": [...]}` page) and
the snapshot's JSON Lines.

A work maps onto a listing as follows:
- title: `title`, else `display_name` (OpenAlex keeps inline markup such as `<i>`; kept as written);
- abstract: rebuilt from `abstract_inverted_index` (word -> positions); null means the work has no abstract;
- authors: `authorships[].author.display_name` (else `raw_author_name`), counted;
- date: `publication_date`, else `publication_year`;
- ids: `doi` (as written: the loader normalizes it or flags it invalid_doi), `openalex_id` (`W...`), `pmid` from
  `ids.pmid`, the arXiv id from an arxiv.org location or an arXiv DOI (10.48550/arXiv....);
- categories: the display names of `topics` (OpenAlex's current classification), or of `concepts` in older
  exports that have no topics; `keywords` are not used.
"""

from __future__ import annotations

import re
from typing import Any

from nbkit.clean import arxiv_id_from_link, clean_text, normalize_openalex_id, normalize_pmid
from nbkit.sources.base import ParsedFile
from nbkit.sources.records import add_fixed_record, as_categories, person_name, text_value

# Positive evidence in a file's first bytes when its first work is too long to parse there.
EVIDENCE = re.compile(r'"id"\s*:\s*"https://openalex\.org/W\d+"|"abstract_inverted_index"\s*:')
# Every key read here, for JSON Lines decoding that skips the rest of a work (references, counts by year, ...).
FIELDS = ("id", "doi", "title", "display_name", "publication_date", "publication_year", "ids", "authorships",
          "abstract_inverted_index", "abstract", "locations", "primary_location", "best_oa_location", "topics",
          "concepts")


def looks_like_work(record: dict[str, Any]) -> bool:
    """An OpenAlex work: an `https://openalex.org/W...` id, or an inverted-index abstract or authorships."""
    work_id = record.get("id")
    return ((isinstance(work_id, str) and work_id.startswith("https://openalex.org/W"))
            or "abstract_inverted_index" in record or "authorships" in record)


def rebuild_abstract(index: Any) -> str | None:
    """The text of an inverted-index abstract ({word: [positions]}); None when there is none.

    Positions are normally 0..n-1; a gap (a position no word holds) is skipped, never filled."""
    if not isinstance(index, dict) or not index:
        return None
    try:  # the plain loop is the fastest way found (sorting or itertools are 2-3x slower)
        words: list[str | None] = [None] * sum(map(len, index.values()))
        for word, positions in index.items():
            for position in positions:
                words[position] = word
    except (IndexError, TypeError):  # positions beyond the word count, or not lists of integers
        return _rebuild_sparse(index)
    text = " ".join(words) if None not in words else " ".join(w for w in words if w is not None)
    return clean_text(text) or None


def _rebuild_sparse(index: dict[str, Any]) -> str | None:
    placed = sorted((p, w) for w, ps in index.items() if isinstance(ps, list)
                    for p in ps if isinstance(p, int) and not isinstance(p, bool) and p >= 0)
    return clean_text(" ".join(w for _, w in placed)) or None


def _arxiv_id(work: dict[str, Any]) -> str | None:
    """The arXiv id from the DOI (arXiv's DataCite DOIs) or from any location on arxiv.org."""
    found = arxiv_id_from_link(work.get("doi"))
    if found:
        return found
    locations = work.get("locations")
    candidates = list(locations) if isinstance(locations, list) else []
    candidates += [work.get("primary_location"), work.get("best_oa_location")]
    for location in candidates:
        if isinstance(location, dict):
            for key in ("landing_page_url", "pdf_url"):
                found = arxiv_id_from_link(location.get(key))
                if found:
                    return found
    return None


def _author_names(authorships: list) -> list[str]:
    try:  # the usual shape, read directly: a load spends a fifth of its time here otherwise
        names = [a["author"]["display_name"] for a in authorships]
        if all(type(n) is str and n and n.isprintable() and n == n.strip() for n in names):
            return names
    except (KeyError, TypeError):
        pass
    return [n for n in (person_name(a) for a in authorships) if n]


def add_work(parsed: ParsedFile, work: dict[str, Any], place: int) -> None:
    """One work -> a listing, or a rejection (no title)."""
    title = text_value(work.get("title")) or text_value(work.get("display_name"))
    # A plain `abstract`: works reshaped by other tools.
    abstract = rebuild_abstract(work.get("abstract_inverted_index")) or text_value(work.get("abstract"))
    authorships = work.get("authorships")
    names = _author_names(authorships) if isinstance(authorships, list) else []
    date = work.get("publication_date") or work.get("publication_year")
    ids = work.get("ids") if isinstance(work.get("ids"), dict) else {}
    topics = work.get("topics") or work.get("concepts")
    add_fixed_record(
        parsed, work, place, "OpenAlex work", title, abstract,
        authors="; ".join(names) or None,
        authors_count=len(authorships) if isinstance(authorships, list) and authorships else None,
        date_text=str(date) if date else None,
        arxiv_id=_arxiv_id(work),
        doi=text_value(work.get("doi")) or text_value(ids.get("doi")),  # as written: corpus checks and normalizes
        pmid=normalize_pmid(ids.get("pmid")),
        openalex_id=normalize_openalex_id(work.get("id")) or normalize_openalex_id(ids.get("openalex")),
        categories=as_categories(topics) if isinstance(topics, list) else [],
    )
