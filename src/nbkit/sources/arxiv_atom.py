"""Reader for arXiv API responses: Atom feeds (`http://export.arxiv.org/api/query?...`).

A feed is a `<feed>` (Atom namespace) holding feed-level elements (`title`, `id`, `updated`, `link`, the
OpenSearch counts) and one `<entry>` per paper:

    <entry>
      <id>http://arxiv.org/abs/quant-ph/0210005v1</id>      -> arxiv_id quant-ph/0210005 (version dropped)
      <published>2002-10-01T17:37:59Z</published>           -> date_text
      <title>...</title> <summary>...</summary>              -> title, abstract (whitespace folded)
      <author><name>...</name></author>...                   -> authors ("; "-separated), authors_count
      <arxiv:doi>10.1103/...</arxiv:doi>                     -> doi (lower case)
      <arxiv:primary_category term="quant-ph"/> <category term="..."/>...  -> categories, primary first
    </entry>

Blocks are the feed's children: each feed-level element is a header block, each entry a listing or a rejection
(no title; or the API's error entry, whose id is `http://arxiv.org/api/errors#...`), all at the line where the
element starts. The file is parsed as it streams (ElementTree's XMLPullParser fed line by line, so a big feed is
never held whole and every event has its line); malformed XML is a one-line error with the line expat reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from nbkit.clean import clean_text, normalize_arxiv_id
from nbkit.errors import NbkitError
from nbkit.sources.base import ParsedFile

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_FEED = re.compile(r"<feed\b[^>]*\bxmlns\s*=\s*[\"']http://www\.w3\.org/2005/Atom[\"']")
_ARXIV_ID = re.compile(r"<id>\s*https?://arxiv\.org/abs/")
_API_ERROR = "arxiv.org/api/errors"


def looks_like_arxiv_atom(head: str, suffix: str) -> bool:
    """An Atom `<feed>` whose entries have arxiv.org ids (the extension plays no part)."""
    return bool(_FEED.search(head)) and bool(_ARXIV_ID.search(head))


def read_arxiv_atom(lines: Iterator[str], parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """Every feed-level element becomes a header block, every entry a listing or a rejection, each at its line."""
    parser = XMLPullParser(events=("start", "end"))
    feed: Element | None = None
    depth = 0  # 1 inside <feed>, 2 inside one of its children
    start_line = 0  # line where the current child of <feed> started
    number = 0
    try:
        for number, line in enumerate(lines, 1):
            parser.feed(line)
            for event, element in parser.read_events():
                if event == "start":
                    depth += 1
                    if depth == 1 and element.tag != f"{ATOM}feed":
                        raise NbkitError(f"line {number}: expected an Atom <feed>, found <{_local(element.tag)}>",
                                         parsed.path)
                    if depth == 1:
                        feed = element
                    if depth == 2:
                        start_line = number
                    continue
                depth -= 1
                if depth == 1:
                    parsed.blocks += 1
                    if element.tag == f"{ATOM}entry":
                        _add_entry(parsed, element, start_line)
                    else:
                        parsed.header_lines.append(start_line)
                    feed.remove(element)  # type: ignore[union-attr]  # one entry at a time: a big feed never piles up
        parser.close()
    except ParseError as exc:
        line = exc.position[0] if exc.position else number
        reason = str(exc).split(":")[0]  # expat's message without its own position
        raise NbkitError(f"malformed XML at line {line}: {reason}", parsed.path) from None
    return parsed


def _add_entry(parsed: ParsedFile, entry: Element, line: int) -> None:
    entry_id = _text(entry, f"{ATOM}id")
    title = clean_text(_text(entry, f"{ATOM}title"))
    summary = clean_text(_text(entry, f"{ATOM}summary")) or None
    if _API_ERROR in entry_id:
        parsed.reject(line, "arXiv API error entry", summary or entry_id)
        return
    if not title:
        parsed.reject(line, "feed entry without a title", entry_id or summary or "")
        return
    names = [clean_text(a.findtext(f"{ATOM}name") or "") for a in entry.iter(f"{ATOM}author")]
    names = [n for n in names if n]
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term")] if primary is not None else []
    terms += [c.get("term") for c in entry.iter(f"{ATOM}category")]
    doi = clean_text(_text(entry, f"{ARXIV}doi")).lower()
    parsed.listings.add(
        line,
        title,
        summary,
        authors="; ".join(names) or None,
        authors_count=len(names) or None,
        date_text=clean_text(_text(entry, f"{ATOM}published")) or None,
        arxiv_id=normalize_arxiv_id(entry_id),
        doi=doi or None,
        categories=list(dict.fromkeys(t for t in terms if t)),  # primary first, each once
        flags=None if summary else ["missing_abstract"],
    )
    parsed.listing_blocks += 1


def _text(element: Element, tag: str) -> str:
    return element.findtext(tag) or ""  # clean_text folds the line breaks and indentation arXiv wraps text with


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
