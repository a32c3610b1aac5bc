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
element starts. The file is parsed as it streams, with the stdlib's expat (batches of lines, so a big feed is never
held whole; expat's CurrentLineNumber gives every element its line); malformed XML is a one-line error with the
line expat reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from xml.parsers import expat

from nbkit.clean import clean_text, normalize_arxiv_id
from nbkit.errors import NbkitError
from nbkit.sources.base import ParsedFile

# Element names as expat gives them with namespace_separator=" ": the namespace, a space, the local name.
ATOM_NS = "http://www.w3.org/2005/Atom "
ARXIV_NS = "http://arxiv.org/schemas/atom "
_FEED = re.compile(r"<feed\b[^>]*\bxmlns\s*=\s*[\"']http://www\.w3\.org/2005/Atom[\"']")
_ARXIV_ID = re.compile(r"<id>\s*https?://arxiv\.org/abs/")
_API_ERROR = "arxiv.org/api/errors"


def looks_like_arxiv_atom(head: str, suffix: str) -> bool:
    """An Atom `<feed>` whose entries have arxiv.org ids (the extension plays no part)."""
    return bool(_FEED.search(head)) and bool(_ARXIV_ID.search(head))


def read_arxiv_atom(lines: Iterator[str], parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """Every feed-level element becomes a header block, every entry a listing or a rejection, each at its line."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True  # one text event per run of text, not one per line
    feed = _Feed(parsed, parser)
    parser.StartElementHandler, parser.EndElementHandler = feed.start, feed.end
    parser.CharacterDataHandler = feed.text
    try:
        batch: list[str] = []
        for line in lines:  # parsed in batches of lines: expat keeps the line numbers
            batch.append(line)
            if len(batch) == 4096:
                parser.Parse("".join(batch), False)
                batch = []
        parser.Parse("".join(batch), True)
    except expat.ExpatError as exc:
        raise NbkitError(f"malformed XML at line {exc.lineno}: {expat.ErrorString(exc.code)}", parsed.path) from None
    return parsed


# Text kept from an entry's children: Atom id, title, summary, published; arXiv doi; an author's name.
_FIELDS = {ATOM_NS + "id": "id", ATOM_NS + "title": "title", ATOM_NS + "summary": "summary",
           ATOM_NS + "published": "published", ARXIV_NS + "doi": "doi"}


class _Feed:
    """expat handlers: the children of <feed> as blocks, the fields of each <entry>."""

    def __init__(self, parsed: ParsedFile, parser: expat.XMLParserType) -> None:
        self.parsed, self.parser = parsed, parser
        self.depth = 0  # 1 inside <feed>, 2 inside one of its children, 3 inside an entry's child
        self.line = 0  # where the current child of <feed> starts
        self.entry: dict | None = None
        self.child = ""  # the entry's child being read (an <author> holds a <name>)
        self.field: str | None = None  # the field whose text is being read
        self.buffer: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1 and name != ATOM_NS + "feed":
            raise NbkitError(f"line {self.parser.CurrentLineNumber}: expected an Atom <feed>, found "
                             f"<{name.rsplit(' ', 1)[-1]}>", self.parsed.path)
        if self.depth == 2:
            self.line = self.parser.CurrentLineNumber
            self.entry = {"authors": [], "terms": []} if name == ATOM_NS + "entry" else None
        elif self.entry is not None:
            if self.depth == 3:
                self.child = name
            if (self.depth == 3 and name in _FIELDS) or (self.depth == 4 and name == ATOM_NS + "name"
                                                         and self.child == ATOM_NS + "author"):
                self.field, self.buffer = _FIELDS.get(name, "author"), []
            elif name == ARXIV_NS + "primary_category":
                self.entry["terms"].insert(0, attrs.get("term"))
            elif name == ATOM_NS + "category":
                self.entry["terms"].append(attrs.get("term"))

    def text(self, data: str) -> None:
        if self.field is not None:
            self.buffer.append(data)

    def end(self, name: str) -> None:
        self.depth -= 1
        if self.field is not None and self.entry is not None:
            text = clean_text("".join(self.buffer))  # folds the line breaks and indentation arXiv wraps text with
            if self.field == "author":
                self.entry["authors"].append(text)
            else:
                self.entry[self.field] = text
            self.field = None
        if self.depth == 1:
            self.parsed.blocks += 1
            if self.entry is None:
                self.parsed.header_lines.append(self.line)
            else:
                _add_entry(self.parsed, self.entry, self.line)
                self.entry = None


def _add_entry(parsed: ParsedFile, entry: dict, line: int) -> None:
    entry_id, title, summary = entry.get("id", ""), entry.get("title", ""), entry.get("summary") or None
    if _API_ERROR in entry_id:
        parsed.reject(line, "arXiv API error entry", summary or entry_id)
        return
    if not title:
        parsed.reject(line, "feed entry without a title", entry_id or summary or "")
        return
    names = [n for n in entry["authors"] if n]
    parsed.listings.add(
        line,
        title,
        summary,
        authors="; ".join(names) or None,
        authors_count=len(names) or None,
        date_text=entry.get("published") or None,
        arxiv_id=normalize_arxiv_id(entry_id),
        doi=entry.get("doi", "").lower() or None,
        categories=list(dict.fromkeys(t for t in entry["terms"] if t)),  # primary first, each once
        flags=None if summary else ["missing_abstract"],
    )
    parsed.listing_blocks += 1
