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

Speed: a JSON Lines work (or an element of a JSON array) is first decoded into typed Structs (`_Work`) that hold
only the values read here, so msgspec skips institutions, affiliations, sources and the like in C without building
Python objects for them; `add_typed_work` reads it. A work that does not fit that shape (a null or a number where
a string or an object is expected, an author without a plain display name, a topic without one, no title) is
read by `add_work` from its generic decoding instead, so both paths give the same listing or rejection.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

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


class _Author(msgspec.Struct, gc=False):
    display_name: str | None = None


class _Authorship(msgspec.Struct, gc=False):
    author: _Author | None = None


class _Location(msgspec.Struct, gc=False):
    landing_page_url: str | None = None
    pdf_url: str | None = None


class _Named(msgspec.Struct, gc=False):  # a topic or a concept
    display_name: str | None = None


class _Ids(msgspec.Struct, gc=False):
    doi: str | None = None
    pmid: str | None = None
    openalex: str | None = None


class _Work(msgspec.Struct, gc=False):
    """The values add_typed_work reads; absent keys are UNSET where looks_like_work asks whether a key is there.
    The inverted index stays generic (Any): typing it as dict[str, list[int]] decodes no faster, and rebuild_abstract
    then sees exactly what add_work sees."""

    id: str | None = None
    doi: str | None = None
    title: str | None = None
    display_name: str | None = None
    publication_date: str | None = None
    publication_year: int | None = None
    ids: _Ids | None = None
    authorships: list[_Authorship] | msgspec.UnsetType | None = msgspec.UNSET
    abstract_inverted_index: Any = msgspec.UNSET
    abstract: str | None = None
    locations: list[_Location] | None = None
    primary_location: _Location | None = None
    best_oa_location: _Location | None = None
    topics: list[_Named] | None = None
    concepts: list[_Named] | None = None


_WORK = msgspec.json.Decoder(_Work)
_UNSET = msgspec.UNSET


def add_typed_work(parsed: ParsedFile, text: str | bytes, place: int) -> bool:
    """Read one work from its JSON text through the typed Structs; False (nothing added) when it does not fit
    them, so the caller reads it the generic way (add_work)."""
    try:
        work = _WORK.decode(text)
    except msgspec.DecodeError:  # not JSON, not an object, or a value of another type: the generic path
        return False
    work_id = work.id
    if not ((work_id is not None and work_id.startswith("https://openalex.org/W"))
            or work.abstract_inverted_index is not _UNSET or work.authorships is not _UNSET):
        return False  # not a work (a page of works, another record): looks_like_work decides
    title = text_value(work.title) or text_value(work.display_name)
    if not title:
        return False  # rejected by add_work, which quotes the whole record
    authorships = work.authorships
    names: list[str] = []
    if authorships:
        try:
            names = [a.author.display_name for a in authorships]  # type: ignore[union-attr]
        except AttributeError:  # an authorship without an author: person_name's fallbacks
            return False
        # _author_names takes these names as they are only when all are plain; else person_name decides.
        if not all(type(n) is str and n and n.isprintable() and n == n.strip() for n in names):
            return False
    categories: list[str] = []
    topics = work.topics or work.concepts
    if topics:
        labels = [t.display_name for t in topics]
        if not all(type(n) is str and n.strip() for n in labels):
            return False  # as_categories would look at other keys
        categories = list(dict.fromkeys(c for c in map(clean_text, labels) if c))
    ids = work.ids
    date = work.publication_date or work.publication_year
    abstract = rebuild_abstract(work.abstract_inverted_index) or text_value(work.abstract)
    add_fixed_record(
        parsed, work, place, "OpenAlex work", title, abstract,  # type: ignore[arg-type]  # never quoted: titled
        authors="; ".join(names) or None,
        authors_count=len(authorships) if authorships else None,
        date_text=str(date) if date else None,
        arxiv_id=_typed_arxiv_id(work),
        doi=text_value(work.doi) or (text_value(ids.doi) if ids else None),
        pmid=normalize_pmid(ids.pmid) if ids else None,
        openalex_id=normalize_openalex_id(work_id) or (normalize_openalex_id(ids.openalex) if ids else None),
        categories=categories,
    )
    return True


def _typed_arxiv_id(work: _Work) -> str | None:
    """_arxiv_id of a typed work."""
    found = arxiv_id_from_link(work.doi)
    if found:
        return found
    for location in (*(work.locations or ()), work.primary_location, work.best_oa_location):
        if location is not None:
            found = arxiv_id_from_link(location.landing_page_url) or arxiv_id_from_link(location.pdf_url)
            if found:
                return found
    return None
