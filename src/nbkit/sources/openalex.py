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
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from nbkit.clean import arxiv_id_from_link, clean_plain, clean_text, normalize_openalex_id, normalize_pmid
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


def rebuild_abstract(index: Any, clean: Callable[[str], str] = clean_text) -> str | None:
    """The text of an inverted-index abstract ({word: [positions]}); None when there is none.

    Positions are normally 0..n-1; a gap (a position no word holds) is skipped, never filled. `clean`: clean_text,
    or clean_plain when the words are known to be printable ASCII."""
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
    return clean(text) or None


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
        if _printable_names(names):
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


def add_typed_work(parsed: ParsedFile, text: str | bytes | msgspec.Raw, place: int) -> bool:
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
    plain = _plain(text)
    clean = clean_plain if plain else clean_text
    title = text_value(work.title, clean) or text_value(work.display_name, clean)
    if not title:
        return False  # rejected by add_work, which quotes the whole record
    authorships = work.authorships
    authors = None
    if authorships:
        try:
            names = [a.author.display_name for a in authorships]  # type: ignore[union-attr]
            authors = "; ".join(names)  # type: ignore[arg-type]
        except (AttributeError, TypeError):  # an authorship without an author or a name: person_name's fallbacks
            return False
        # _author_names takes the names as they are only when all are plain; else person_name decides.
        if not (_plain_names(authors) if plain else _printable_names(names)):
            return False
    categories = _categories(work.topics or work.concepts)
    if categories is None:
        return False  # as_categories would look at other keys
    ids = work.ids
    date = work.publication_date or work.publication_year
    abstract = rebuild_abstract(work.abstract_inverted_index, clean) or text_value(work.abstract, clean)
    add_fixed_record(
        parsed, work, place, "OpenAlex work", title, abstract,  # type: ignore[arg-type]  # never quoted: titled
        authors=authors,
        authors_count=len(authorships) if authorships else None,
        date_text=str(date) if date else None,
        arxiv_id=_typed_arxiv_id(work),
        doi=text_value(work.doi, clean) or (text_value(ids.doi) if ids else None),
        pmid=normalize_pmid(ids.pmid) if ids else None,
        openalex_id=normalize_openalex_id(work_id) or (normalize_openalex_id(ids.openalex) if ids else None),
        categories=categories,
    )
    return True


def _plain(text: str | bytes | msgspec.Raw) -> bool:
    """Whether a work's JSON text is printable ASCII without escapes: then every string decoded from it is printable
    ASCII (JSON allows no raw control character in a string but DEL), so cleaning it is only a matter of spaces
    (clean_plain: two substring tests, where clean_text also passes over every character)."""
    if isinstance(text, str):
        return text.isascii() and "\\" not in text and "\x7f" not in text
    data = bytes(text)
    return data.isascii() and b"\\" not in data and b"\x7f" not in data


def _plain_names(joined: str) -> bool:
    """For names of a plain work joined with `; `: whether each is non-empty and has no space at either end (an
    empty or unstripped name shows as a leading `;` or space, a trailing space, or `  ` or ` ;` inside).
    A few C passes instead of a test per name; a name holding ` ;` or starting with `;` merely goes the generic way."""
    return joined[:1] not in ("", " ", ";") and joined[-1] != " " and "  " not in joined and " ;" not in joined


def _printable_names(names: list) -> bool:
    """Whether every name is a non-empty printable str without spaces at either end: then it is taken as written
    (both paths); otherwise person_name decides."""
    return all(type(n) is str and n and n.isprintable() and n == n.strip() for n in names)


# clean_text of topic and concept names, which repeat across works (OpenAlex has ~4,500 topics): a dict lookup
# instead of cleaning each again. Bounded, so a file of odd labels cannot grow it without end.
_LABELS: dict[str, str] = {}
_MAX_LABELS = 100_000


def _categories(named: Sequence[_Named] | None) -> list[str] | None:
    """The categories as_categories gives for topics or concepts; None when a name is missing or blank (then
    as_categories would look at other keys: the generic path)."""
    if not named:
        return []
    try:
        cleaned = [_LABELS[t.display_name] for t in named]  # type: ignore[index]
    except KeyError:  # a name not seen before (or None)
        labels = [t.display_name for t in named]
        if not all(type(n) is str and n.strip() for n in labels):
            return None
        cleaned = [clean_text(n) for n in labels]  # type: ignore[arg-type]
        if len(_LABELS) < _MAX_LABELS:
            _LABELS.update(zip(labels, cleaned, strict=True))  # type: ignore[arg-type]
    unique = dict.fromkeys(cleaned)
    unique.pop("", None)  # a name of invisible characters only
    return list(unique)


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
