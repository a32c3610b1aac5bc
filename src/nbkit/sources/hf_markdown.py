"""Reader for markdown and crawler captures of Hugging Face paper pages and paper searches.

What browsers' "save as markdown", html2text, reader services and scraping notebooks make of an HF papers page:

    ### [Scaling Rectified Flow Transformers][12]            a title linking to its paper page: a reference ...
    ### [Scaling Rectified Flow Transformers](https://huggingface.co/papers/2403.03206)    ... or an inline link
    1. Scaling Rectified Flow Transformers                    a crawler export: a title line, then the bare URL
       https://huggingface.co/papers/2403.03206
    [                                                         a block link (a link around a heading, as
    ### Scaling Rectified Flow Transformers                   turndown writes it; blank lines may come between)
    ](https://huggingface.co/papers/2403.03206)

    Diffusion models create data from noise ...               the abstract: the prose paragraph(s) after it

    Published on Mar 5, 2024 · 12 comments                    metadata lines: date, `Submitted by x`,
    Upvote 59                                                 `Upvote 59` / `59 upvotes`, `· 7 authors`

    [12]: https://huggingface.co/papers/2403.03206            link references, usually at the end

The arXiv id comes from the huggingface.co/papers/ or arxiv.org link. Blocks are paragraphs (runs of non-blank
lines). A paragraph is part of a listing (its title, an abstract paragraph, a metadata paragraph), or a header
block: site chrome (navigation lists, images, headings that link elsewhere, text before the first paper) and the
link reference definitions; or a rejection: a paper heading whose reference is never defined, a paper link
without title text. A title's link must be the paper page itself (`/papers/2403.03206`, not `/papers/trending`
or `…#community`); upvote and comment-count links are chrome. Link references are resolved at the end of the
file, so listings wait for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from nbkit.clean import clean_text, normalize_arxiv_id
from nbkit.sources.base import ParsedFile

# A paper page itself, named by its arXiv id: not /papers/trending, and not a link with a query or fragment
# (`#community`: the comment count).
_PAPER_URL = (r"https?://(?:www\.)?(?:huggingface\.co/papers/\d{4}\.\d{4,5}|arxiv\.org/(?:abs|pdf)/"
              r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?(?:\.pdf)?")
# A title line: optional heading hashes, list marker or number, emphasis; then [text](url) or [text][ref].
_LEAD = r"^\s{0,3}(?:#{1,6}\s+|(?:[-*+]|\d+[.)])\s+)?(?:\*\*|__)?"
_INLINE = re.compile(_LEAD + r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_REFERENCE = re.compile(_LEAD + r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\[(?P<ref>[^\]]+)\]")
_DEFINITION = re.compile(r"^\s{0,3}\[(?P<ref>[^\]]+)\]:\s*<?(?P<url>\S+?)>?(?:\s+[\"'(].*)?$")
_BARE_URL = re.compile(r"^\s*(?:(?:url|link|paper|hf)\s*:\s*)?<?(?P<url>" + _PAPER_URL + r")>?\s*$", re.IGNORECASE)
_PLAIN_TITLE = re.compile(r"^\s*(?:#{1,6}\s+|(?:[-*+]|\d+[.)])\s+)?(?:title\s*:\s*)?(?P<text>.+?)\s*$",
                          re.IGNORECASE)
_IS_PAPER = re.compile(_PAPER_URL + r"/?$")

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?P<year>,\s*\d{{4}})?(?P<after>\d?)")
_META = re.compile(
    rf"^(?:[·•∙|]\s*)*(?:published on\b|submitted by\b|upvotes?\b|\d[\d,.]*k?\s+(?:upvotes?|comments?|authors?)\b"
    rf"|{_MONTH}\s+\d|▲|authors?\s*:)", re.IGNORECASE)
_UPVOTES = re.compile(r"(?:\bupvotes?\s*:?\s*(?P<a>\d[\d,]*)|(?P<b>\d[\d,]*)\s+upvotes?\b|▲\s*(?P<c>\d[\d,]*))",
                      re.IGNORECASE)
_AUTHORS = re.compile(r"(?P<n>\d[\d,]*)\s+authors?\b", re.IGNORECASE)
_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\](?:\([^)]*\)|\[[^\]]*\])")
_CHROME_LINE = re.compile(r"^\s*(?:[-*+|>]|#{1,6}\s|!\[|\[!\[|\[[^\]]*\]\([^)]*\)\s*$|={3,}|-{3,}|`{3})")
_MARKUP = re.compile(r"(\*\*|__|`)")
_REF_HEADING = re.compile(r"^#{1,6}\s+\[[^\]\n]+\]\[[^\]\n]+\]\s*$", re.MULTILINE)
_PUBLISHED = re.compile(rf"^(?:[·•]\s*)?Published on {_MONTH}\s+\d", re.MULTILINE)
_LINE_END = re.compile(r"\s*(?:\*\*|__)?\s*$")
_CLOSE = re.compile(r"^\s*\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)\s*$")


def looks_like_hf_markdown(head: str, suffix: str) -> bool:
    """A line that links a title to an HF paper page or arXiv abstract (inline or through a reference defined as
    such), or a bare paper-page URL line under a title line (crawler exports). JSON and CSV quote or separate
    their URLs, so they never show a line like these. A long capture with link references has its definitions
    at the end, past the sniffed head: there, headings with references and the site's `Published on` lines are
    the evidence."""
    if len(_REF_HEADING.findall(head)) >= 2 and _PUBLISHED.search(head):
        return True
    previous = ""
    for line in head.splitlines():
        match = _INLINE.match(line)
        if (match and _IS_PAPER.match(match.group("url")) and "huggingface.co/papers/" in line
                and _LINE_END.match(line, match.end())):  # the link is the whole line: not a CSV row's first field
            return True
        definition = _DEFINITION.match(line)
        if definition and "huggingface.co/papers/" in definition.group("url"):
            return True
        if _BARE_URL.match(line) and "huggingface.co/papers/" in line and _title_text(previous):
            return True
        close = _CLOSE.match(line)
        if close and "huggingface.co/papers/" in close.group("url"):  # the end of a block link
            return True
        previous = line if line.strip() else ""
    return False


@dataclass
class _Listing:
    line: int
    title: str
    url: str | None = None
    ref: str | None = None
    parts: list[int] = field(default_factory=list)  # first lines of the paragraphs after the title's
    abstract: list[str] = field(default_factory=list)
    abstract_line: int | None = None
    meta_line: int | None = None
    fields: dict = field(default_factory=dict)


LATE_ABSTRACT = 100  # characters: a second prose paragraph shorter than this is page chrome (a footer line)


def read_hf_markdown(lines: Iterator[str], parsed: ParsedFile, mapping: Mapping[str, str] | None) -> ParsedFile:
    """Paragraph by paragraph; listings are added at the end, once every link reference is known."""
    definitions: dict[str, str] = {}
    listings: list[_Listing] = []
    current: _Listing | None = None
    for numbers, paragraph, starts in _joined(_paragraphs(lines)):
        start = numbers[0]
        parsed.blocks += len(starts)
        if len(starts) > 1 and _title(paragraph) is None:  # a block link that is not a paper's: chrome
            parsed.header_lines += starts
            continue
        if all(_DEFINITION.match(line) for line in paragraph):
            for line in paragraph:
                match = _DEFINITION.match(line)
                definitions.setdefault(match.group("ref").lower(), match.group("url"))  # type: ignore[union-attr]
            parsed.header_lines.append(start)
            continue
        found = _title(paragraph)
        if found is not None:
            title, url, ref, used = found
            current = _Listing(start, title, url, ref, parts=starts[1:])
            listings.append(current)
            # A crawler export may hold title, URL, metadata lines and the abstract in one paragraph.
            meta = next((i for i, line in enumerate(paragraph[used:], used) if not _is_meta(line)), len(paragraph))
            if meta > used:
                current.meta_line = numbers[used]
                _read_meta(current, paragraph[used:meta])
            if meta < len(paragraph):
                current.abstract_line = numbers[meta]
                current.abstract.append(" ".join(line.strip() for line in paragraph[meta:]))
            continue
        if current is not None and all(_is_meta(line) for line in paragraph):
            current.meta_line = current.meta_line or start
            current.parts.append(start)
            _read_meta(current, paragraph)
            continue
        text = " ".join(line.strip() for line in paragraph)
        if current is not None and _is_prose(paragraph) and (not current.abstract or len(text) >= LATE_ABSTRACT):
            current.abstract_line = current.abstract_line or start
            current.abstract.append(text)
            current.parts.append(start)
            continue
        parsed.header_lines.append(start)  # site chrome: navigation, images, headings linking elsewhere, intro text
    for listing in listings:
        _add(parsed, listing, definitions)
    parsed.header_lines.sort()
    return parsed


def _paragraphs(lines: Iterator[str]) -> Iterator[tuple[list[int], list[str]]]:
    """(line numbers, lines) of each run of non-blank lines."""
    numbers: list[int] = []
    buf: list[str] = []
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if line.strip():
            numbers.append(number)
            buf.append(line)
        elif buf:
            yield numbers, buf
            numbers, buf = [], []
    if buf:
        yield numbers, buf


BLOCK_LINK_PARAGRAPHS = 6  # a block link open longer than this is not one


def _joined(paragraphs: Iterator[tuple[list[int], list[str]]]) -> Iterator[tuple[list[int], list[str], list[int]]]:
    """Paragraphs, with a block link (what HTML-to-markdown converters make of a link around a heading: `[`, the
    heading, `](https://huggingface.co/papers/…)`, often with blank lines between) joined into one; each comes
    with the first lines of the paragraphs it was made of."""
    held: list[tuple[list[int], list[str]]] = []
    for numbers, lines in paragraphs:
        if not held and lines[0].strip() != "[":
            yield numbers, lines, [numbers[0]]
            continue
        held.append((numbers, lines))
        if any(_CLOSE.match(line) for line in lines):
            yield [n for ns, _ in held for n in ns], [line for _, ls in held for line in ls], [ns[0] for ns, _ in held]
            held = []
        elif len(held) == BLOCK_LINK_PARAGRAPHS:  # never closed: a stray `[`, and paragraphs of their own
            yield from ((ns, ls, [ns[0]]) for ns, ls in held)
            held = []
    yield from ((ns, ls, [ns[0]]) for ns, ls in held)


def _title(paragraph: list[str]) -> tuple[str, str | None, str | None, int] | None:
    """(title, url, reference, lines used) when the paragraph opens a listing, else None."""
    first = paragraph[0]
    if first.strip() == "[":  # a block link: `[`, the heading (and maybe a thumbnail), `](url)`
        close = next((i for i, line in enumerate(paragraph) if _CLOSE.match(line)), None)
        url = _CLOSE.match(paragraph[close]).group("url") if close is not None else ""  # type: ignore[union-attr]
        if close is None or not _IS_PAPER.match(url):
            return None
        inner = [line for line in paragraph[1:close] if not _CHROME_LINE.match(line) or line.lstrip().startswith("#")]
        heading = next((line for line in inner if line.lstrip().startswith("#")), inner[0] if inner else "")
        return heading.strip().lstrip("#").strip(), url, None, close + 1
    if not first.lstrip().startswith("#") and not any(c.isalpha() for c in _LINK.sub(r"\1", first)):
        return None  # a lone link without words (an upvote count `[59](…/papers/…)`) is page chrome, no title
    match = _INLINE.match(first)
    if match and _IS_PAPER.match(match.group("url")) and not match.group("text").startswith("!["):
        return match.group("text"), match.group("url"), None, 1  # (a linked thumbnail image is no title)
    match = _REFERENCE.match(first)
    if match and not _DEFINITION.match(first) and not match.group("text").startswith("!["):
        return match.group("text"), None, match.group("ref"), 1
    if len(paragraph) > 1:
        url = _BARE_URL.match(paragraph[1])
        if url and _title_text(first):
            return _title_text(first), url.group("url"), None, 2
    return None


def _title_text(line: str) -> str:
    """The title of a crawler export's title line (numbering, heading marks and `Title:` removed), or ''."""
    if not line.strip() or _BARE_URL.match(line) or _DEFINITION.match(line) or _is_meta(line):
        return ""
    match = _PLAIN_TITLE.match(line)
    return _MARKUP.sub("", match.group("text")) if match else ""


def _is_meta(line: str) -> bool:
    return bool(_META.match(line.strip()))


def _is_prose(paragraph: list[str]) -> bool:
    """Text rather than chrome: not every line is a list item, quote, image, heading, rule or lone link."""
    return not all(_CHROME_LINE.match(line) for line in paragraph)


def _read_meta(listing: _Listing, lines: list[str]) -> None:
    for line in lines:
        text = line.strip()
        if "date_text" not in listing.fields:
            date = _DATE.search(text)
            if date is not None:
                # `Jan 3, 202412 comments`: the year takes four digits, the rest is the count. Without a year,
                # `Jan 312 comments` could be the 3rd or the 31st: kept as written, so it is flagged invalid_date.
                ambiguous = not date.group("year") and date.group("after")
                listing.fields["date_text"] = text[date.start():] if ambiguous else \
                    f"{date.group('month')} {date.group('day')}{date.group('year') or ''}"
        votes = _UPVOTES.search(text)
        if votes is not None and "upvotes" not in listing.fields:
            listing.fields["upvotes"] = int(next(g for g in votes.groups() if g).replace(",", ""))
        authors = _AUTHORS.search(text)
        if authors is not None and "authors_count" not in listing.fields:
            listing.fields["authors_count"] = int(authors.group("n").replace(",", ""))


def _add(parsed: ParsedFile, listing: _Listing, definitions: dict[str, str]) -> None:
    url = listing.url
    if listing.ref is not None:
        url = definitions.get(listing.ref.lower())
        if url is None:
            _reject(parsed, listing, f"title links to reference [{listing.ref}], which is never defined")
            return
        if not _IS_PAPER.match(url):
            parsed.header_lines += [listing.line, *listing.parts]  # a heading that links elsewhere: site chrome
            return
    title = clean_text(_MARKUP.sub("", _LINK.sub(r"\1", listing.title)))
    if not any(c.isalpha() for c in title):
        _reject(parsed, listing, "paper heading without a title text")
        return
    abstract = clean_text(" ".join(listing.abstract)) or None
    parsed.listings.add(
        listing.line, title, abstract, listing.abstract_line, meta_line=listing.meta_line,
        arxiv_id=normalize_arxiv_id(url), flags=None if abstract else ["missing_abstract"], **listing.fields)
    parsed.listing_blocks += 1 + len(listing.parts)


def _reject(parsed: ParsedFile, listing: _Listing, reason: str) -> None:
    parsed.reject(listing.line, reason, listing.title)
    for line in listing.parts:
        parsed.reject(line, f"part of the listing rejected at line {listing.line}", " ".join(listing.abstract))
