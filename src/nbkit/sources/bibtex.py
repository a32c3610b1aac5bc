"""Reader for BibTeX and BibLaTeX files (`.bib`: Zotero, JabRef, Google Scholar, arXiv exports).

bibtexparser (v2) splits the file into blocks and resolves `@string` macros and month names (`month = may`,
`month = {5}`); pylatexenc turns LaTeX into Unicode (`{\\"u}` -> ü, `\\'{e}` -> é, `{Ty}pe` -> Type) and keeps
math (`$O(n^2)$`) as written. Every block is accounted for: an entry is a listing (or a rejection when it has no
title), `@string`, `@preamble`, `@comment` and `%` comment lines are header lines, a block bibtexparser could
not parse is rejected with its line, and other text between entries (which BibTeX ignores) is rejected too.

Read: title, abstract, author (split on ` and ` outside braces), date (BibLaTeX) or year with month, doi,
eprint with archivePrefix/eprinttype arXiv (or an arXiv url or DOI), pmid, keywords (`,` or `;`) as categories.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

import bibtexparser
from bibtexparser import middlewares
from bibtexparser.library import Library
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    Entry,
    ExplicitComment,
    ImplicitComment,
    ParsingFailedBlock,
    Preamble,
    String,
)
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexwalker import LatexWalkerError

from nbkit.clean import clean_text, normalize_arxiv_id
from nbkit.sources.base import ParsedFile
from nbkit.sources.tagged import arxiv_id_from, unique

SUFFIXES = frozenset({".bib"})
_ENTRY_START = re.compile(r"@\s*[A-Za-z]+\s*[{(]")


def _decoder() -> LatexNodes2Text:
    """pylatexenc as bibtexparser's LatexDecodingMiddleware sets it up: math kept verbatim, \\url{x} -> x."""
    context = get_default_latex_context_db()
    # pylatexenc drops macros it does not know; these logos are common in titles.
    logos = [MacroTextSpec(name, simplify_repl=name) for name in ("LaTeX", "TeX", "BibTeX", "LaTeXe")]
    context.add_context_category("nbkit-bibtex", prepend=True,
                                 macros=[MacroTextSpec("url", simplify_repl="%s"), *logos])
    return LatexNodes2Text(latex_context=context, math_mode="verbatim")


_LATEX = _decoder()


def looks_like_bibtex(head: str, suffix: str) -> bool:
    """The first line that is neither blank nor a `%` comment opens an entry: `@article{`, `@string(`..."""
    for line in head.lstrip("\ufeff").splitlines()[:200]:
        stripped = line.strip()
        if stripped and not stripped.startswith("%"):
            return _ENTRY_START.match(stripped) is not None
    return False


def _parse(text: str) -> Library:
    """The file's blocks with field values resolved: `@string` macros, `#` concatenation (which bibtexparser 2.1
    leaves as written), enclosing braces or quotes removed, months as numbers, authors as a list (split before
    LaTeX is decoded, so braces still protect an ` and ` inside a name)."""
    # bibtexparser logs each broken block as an error, which without logging set up lands on stderr; the load
    # report already lists it as a rejection with its line and reason.
    log = logging.getLogger("bibtexparser.splitter")
    was_disabled, log.disabled = log.disabled, True
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    finally:
        log.disabled = was_disabled
    # A key used twice is not a broken entry (two merged .bib files often repeat keys): the second entry stays in
    # place under a key of its own, and deduplication decides whether it is the same paper.
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            entry = block.ignore_error_block
            entry.key = f"{entry.key} (line {(block.start_line or 0) + 1})"
            library.replace(block, entry, fail_on_duplicate_key=False)
    macros = {**_MONTH_MACROS, **{key.lower(): s.value for key, s in library.strings_dict.items()}}
    for entry in library.entries:
        for field in entry.fields:
            if isinstance(field.value, str) and "#" in field.value:
                field.value = _concatenate(field.value, macros)
    for middleware in (middlewares.ResolveStringReferencesMiddleware(True), middlewares.RemoveEnclosingMiddleware(True),
                       middlewares.MonthIntMiddleware(True), middlewares.SeparateCoAuthors(True)):
        library = middleware.transform(library)
    return library


_MONTH_MACROS = {m: f"{{{m}}}" for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                         "dec")}
_CONCAT_PART = re.compile(r'\s*(\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|"[^"]*"|[^\s#{}"]+)\s*(?:#|$)')


def _concatenate(value: str, macros: dict[str, str]) -> str:
    """`t # " Two"` -> `{Macro Title Two}`: each part unenclosed or looked up, joined, enclosed again. A value
    whose `#` is inside braces or quotes (a title with `#1`) is returned as it is."""
    parts, pos = [], 0
    while pos < len(value):
        match = _CONCAT_PART.match(value, pos)
        if not match:
            return value
        part = match.group(1)
        if part[0] not in "{\"" and not part.isdigit():
            part = macros.get(part.lower())
            if part is None:
                return value
        parts.append(part[1:-1] if part[0] in "{\"" else part)
        pos = match.end()
    return "{" + "".join(parts) + "}" if len(parts) > 1 else value


def read_bibtex(lines: Iterator[str], parsed: ParsedFile, mapping: Mapping[str, str] | None = None) -> ParsedFile:
    """Every block becomes a listing, a header line or a rejection with its line."""
    library = _parse("".join(lines))
    for block in library.blocks:
        parsed.blocks += 1
        line = (block.start_line or 0) + 1
        if isinstance(block, Entry):
            add_bibtex_entry(parsed, block, line)
        elif isinstance(block, ParsingFailedBlock):
            reason = " ".join(str(getattr(block.error, "abort_reason", None) or block.error).split())
            parsed.reject(line, f"BibTeX block could not be parsed: {reason}", block.raw or "")
        elif isinstance(block, String | Preamble | ExplicitComment) or _is_comment(block):
            parsed.header_lines.append(line)
        else:
            parsed.reject(line, "text outside a BibTeX entry (BibTeX ignores it)", getattr(block, "raw", "") or "")
    return parsed


def _is_comment(block: Any) -> bool:
    """`%` lines between entries: what JabRef and others write as file comments."""
    return isinstance(block, ImplicitComment) and all(
        line.lstrip().startswith("%") for line in block.comment.splitlines() if line.strip())


def add_bibtex_entry(parsed: ParsedFile, entry: Entry, line: int) -> None:
    fields = {f.key.lower(): f.value for f in entry.fields}
    flags: list[str] = []

    def text(value: Any) -> str:
        if not isinstance(value, str) or not value:
            return ""
        try:
            decoded = _LATEX.latex_to_text(value)
        except LatexWalkerError:
            flags.append("latex_undecoded")
            decoded = value
        return clean_text(decoded)

    title = text(fields.get("title"))
    if not title:
        parsed.reject(line, f"BibTeX entry {entry.key!r} without a title", entry.raw or "")
        return
    abstract = text(fields.get("abstract")) or None
    if abstract is None:
        flags.append("missing_abstract")
    authors = fields.get("author") or []
    names = [n for n in (text(a) for a in (authors if isinstance(authors, list) else [authors])) if n]
    doi_text = text(fields.get("doi"))
    archive = str(fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    arxiv_id = normalize_arxiv_id(fields.get("eprint")) if archive == "arxiv" else None
    keywords = re.split(r"[;,]", text(fields.get("keywords")))
    pmid = str(fields.get("pmid") or "").strip()
    parsed.listings.add(
        line,
        title,
        abstract,
        authors="; ".join(names) or None,
        authors_count=len(names) or None,
        date_text=bibtex_date(fields),
        doi=doi_text or None,  # as written: corpus checks and normalizes
        pmid=pmid if pmid.isdigit() else None,
        arxiv_id=arxiv_id or arxiv_id_from([str(fields.get("url") or ""), doi_text, str(fields.get("journal") or "")]),
        categories=unique(k.strip() for k in keywords),
        flags=list(dict.fromkeys(flags)),
    )
    parsed.listing_blocks += 1


def bibtex_date(fields: dict[str, Any]) -> str | None:
    """BibLaTeX `date` as written; else `year` with `month` (an int once bibtexparser read it): `2019-05`.
    A month that is not a month name or number (`Spring`) leaves the year alone."""
    date = clean_text(str(fields.get("date") or ""))
    if date:
        return date
    year = clean_text(str(fields.get("year") or "").strip("{}"))
    if not year:
        return None
    month = fields.get("month")
    if isinstance(month, int) and 1 <= month <= 12 and len(year) == 4 and year.isdigit():
        return f"{year}-{month:02d}"
    return year
