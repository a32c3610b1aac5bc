"""Cleaning rules: text normalization, the title key used for matching, URLs, authors, arXiv ids and DOIs.

Text is kept as written except for three things: Unicode NFC, stray control and invisible characters removed,
and runs of whitespace folded to one space. Titles that look like markup (`<script>`, `**bold**`) are real
titles and stay verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd

from nbkit.schema import STRING

# C0/C1 controls, DEL, and invisible format characters that copy-paste leaves in text (zero-width space, word
# joiner, BOM, soft hyphen). Zero-width joiners stay: they are part of emoji and some scripts.
_STRAY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")


# Printable ASCII, " " to "~": an ASCII text is printable exactly when deleting these bytes leaves nothing.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def clean_text(text: str) -> str:
    """NFC, no stray control characters, single spaces, no leading or trailing space."""
    if text.isascii():
        # The same test as isprintable() below, in a C loop about 5x cheaper than isprintable's per-character
        # Unicode lookup: it was a tenth of the RIS reader's time, on its abstracts.
        printable = not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    else:
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        printable = text.isprintable()
    # isprintable() is False for every control and every whitespace but " ", so most text skips the rewrite.
    if printable and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_STRAY.sub(" ", text).split())


def clean_plain(value: str) -> str:
    """clean_text of a value known to be printable ASCII (a value of a plain RIS record or of a plain OpenAlex
    work): only spaces can need cleaning, so the common case is two substring tests instead of clean_text's pass
    over every character."""
    if "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    return clean_text(value)


def title_keys(titles: pd.Series | Iterable[str], spaced: pd.Series | None = None) -> pd.Series:
    """Matching keys: accents stripped (NFKD), case folded, every character that is not a letter or digit dropped.

    Spacing and punctuation vanish entirely, so "Multi-task Learning", "Multitask learning" and
    "MULTI TASK LEARNING" share one key. A title with no letter or digit (`[`, `ER  -`'s dash, `***`) has no key
    (missing): such a title says nothing about which paper it is, so it must never merge listings. Pass `spaced`
    (spaced_title_keys of the same titles) if you have it already.
    """
    series = _as_string_series(titles)
    words = (spaced if spaced is not None else spaced_title_keys(series)).to_numpy(dtype=object)
    keys = _each_text(words, _no_spaces, lambda text: text.replace(" ", ""))
    keys[keys == ""] = None
    return pd.Series(pd.array(keys, dtype=STRING), index=series.index)


def spaced_title_keys(titles: pd.Series | Iterable[str]) -> pd.Series:
    """Like title_keys but with single spaces between words: the tokens near-duplicate detection compares."""
    series = _as_string_series(titles)
    out = _each_text(series.to_numpy(dtype=object), _blob_words, title_words)
    return pd.Series(pd.array(out, dtype=STRING), index=series.index)


def _each_text(values: np.ndarray, on_blob: Callable[[bytes], bytes], one: Callable[[str], str]) -> np.ndarray:
    """`one` of each text (None where a value is missing). ASCII texts are worked on in blobs: `on_blob` maps a
    blob of them, joined by newlines, to the blob of their results (a few C passes and one split, ~10x faster
    than text by text)."""
    out = np.full(len(values), None, dtype=object)
    rows = _ascii_rows(values)
    if rows.any():
        out[rows] = _in_blobs(values[rows].tolist(), on_blob, one)
    for index in np.flatnonzero(~rows):
        if isinstance(values[index], str):
            out[index] = one(values[index])
    return out


def _ascii_rows(values: np.ndarray) -> np.ndarray:
    """Which values are ASCII text."""
    try:  # isascii mapped in C, ~2x cheaper than a comprehension; a missing value raises
        return np.fromiter(map(str.isascii, values), dtype=bool, count=len(values))
    except TypeError:
        return np.array([isinstance(v, str) and v.isascii() for v in values], dtype=bool)


# Blobs of this many texts (~1 MB) stay in the CPU cache between passes and their memory is reused; one blob of
# all titles (~80 MB at a million) was slower, and each pass took new pages.
_BLOB_TEXTS = 16_384


def _in_blobs(texts: list[str], on_blob: Callable[[bytes], bytes], one: Callable[[str], str]) -> list[str]:
    out: list[str] = []
    for start in range(0, len(texts), _BLOB_TEXTS):
        part = texts[start:start + _BLOB_TEXTS]
        blob = "\n".join(part)
        if blob.count("\n") != len(part) - 1:  # a text holds a newline (a cleaned title never does)
            out += map(one, part)
            continue
        out += on_blob(blob.encode("ascii")).decode("ascii").split("\n")
    return out


def _blob_words(blob: bytes) -> bytes:
    """title_words of each line of an ASCII blob."""
    blob = blob.translate(_ASCII_WORDS_KEEP_NEWLINE)
    # Runs of spaces are single spaces now, so each line edge has at most one; replace() drops them ~15x faster
    # than a multiline `^ +| +$` regex, which tries every space as a line end.
    return _SPACE_RUNS.sub(b" ", blob).replace(b" \n", b"\n").replace(b"\n ", b"\n").strip(b" ")


def _no_spaces(blob: bytes) -> bytes:
    return blob.translate(None, b" ")  # str.replace cost ~4x


_SPACE_RUNS = re.compile(rb"  +")


# ASCII bytes -> themselves for a-z and 0-9, lower case for A-Z, a space for everything else (as lower() then
# keeping a-z and 0-9 would give, in one pass).
_ASCII_WORD_BYTES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else c + 32 if 65 <= c <= 90 else 32
                          for c in range(256))
_ASCII_WORDS_KEEP_NEWLINE = _ASCII_WORD_BYTES[:10] + b"\n" + _ASCII_WORD_BYTES[11:]
_NON_WORD = re.compile(r"[\W_]+")


def title_words(title: str) -> str:
    """The words of a title: accents stripped (NFKD), case folded, punctuation and spacing reduced to one space."""
    if title.isascii():  # most titles: byte operations in C, ~1 us
        return b" ".join(title.encode().translate(_ASCII_WORD_BYTES).split()).decode()
    text = unicodedata.normalize("NFKD", title)
    # drop the combining marks (accents): the few distinct non-ASCII characters are looked up, not every one
    for ch in set(text).difference(_ASCII):
        if unicodedata.category(ch) == "Mn":
            text = text.replace(ch, "")
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


_ASCII = frozenset(map(chr, range(128)))


def _as_string_series(values: pd.Series | Iterable[str]) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return series.astype(STRING)


# Where a URL can start. A URL here always has a "/" (after its scheme, or in its path), so the search visits only
# the slashes of a text (a single-character search is ~10x cheaper than a substring search) and looks at the
# word around each: a bare `www.example.org` with no path and no scheme is not taken for a URL.
_URL_PREFIXES = ("https://", "http://", "www.", "github.com/", "gitlab.com/", "huggingface.co/")
_URL_END = re.compile(r"[<>\"'`]")
_TRAILING = ".,;:!?'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def find_urls(text: str | None) -> list[str]:
    """URLs in a text, trailing punctuation trimmed, bare hosts given https://, in order, without repeats."""
    if not isinstance(text, str) or "/" not in text:
        return []
    if "\n" in text or "\t" in text or "\r" in text:  # cleaned text has single spaces only; other text gets them
        text = " ".join(text.split())
    found: dict[str, None] = {}
    slash = text.find("/")
    while slash >= 0:
        start = text.rfind(" ", 0, slash) + 1
        end = text.find(" ", slash)
        end = len(text) if end < 0 else end
        url = _url_in_word(text[start:end])
        if url:
            found.setdefault(url, None)
        slash = text.find("/", end)
    return list(found)


def _url_in_word(word: str) -> str | None:
    if "." not in word:  # every URL has a dotted host; `and/or` does not
        return None
    lower = word.lower()
    for prefix in _URL_PREFIXES:
        at = lower.find(prefix)
        if at < 0:
            continue
        if not prefix.startswith("http") and at > 0 and (lower[at - 1].isalnum() or lower[at - 1] in "./_-"):
            continue  # `www.` or `github.com/` inside another host or path
        url = word[at:]
        cut = _URL_END.search(url)
        url = _trim_url(url[: cut.start()] if cut else url)
        if "://" not in url:
            url = "https://" + url
        host = url.split("://", 1)[1].split("/", 1)[0]
        if "." in host or host.startswith("localhost"):
            return url
    return None


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


# Registrable domains with a two-label public suffix that show up in paper abstracts.
_TWO_LABEL_SUFFIXES = {"ac.uk", "co.uk", "ac.jp", "co.jp", "edu.cn", "com.cn", "ac.cn", "edu.au", "com.au",
                       "ac.kr", "co.kr", "edu.hk", "edu.sg", "ac.il"}


def url_host(url: str) -> str:
    """The registrable domain of a URL: `github.com`, `github.io` for every project page hosted there."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    labels = host.split(".")
    keep = 3 if ".".join(labels[-2:]) in _TWO_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def count_authors(authors: object) -> int | None:
    """Count authors in a list, or in a string separated by semicolons, commas or ' and '."""
    if authors is None or (isinstance(authors, float) and authors != authors):
        return None
    if isinstance(authors, list | tuple):
        return len([a for a in authors if str(a).strip()]) or None
    if hasattr(authors, "tolist"):  # numpy arrays from Parquet list columns
        return count_authors(authors.tolist())
    text = str(authors).strip()
    if "(" in text:  # affiliations or ids in parentheses hold commas of their own: "A. Smith (MIT, Cambridge)"
        text = _PARENTHESIZED.sub(" ", text).strip()
    if not text:
        return None
    parts = text.split(";") if ";" in text else re.split(r",|\band\b|&", text)
    return len([p for p in parts if p.strip()]) or None


_PARENTHESIZED = re.compile(r"\([^()]*\)")


_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_ARXIV_OLD = re.compile(r"([a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")


def normalize_arxiv_id(value: object) -> str | None:
    """`arXiv:2401.01234v2`, `https://arxiv.org/abs/2401.01234` -> `2401.01234`; old ids like `hep-th/9901001`."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _ARXIV_NEW.search(text) or _ARXIV_OLD.search(text)
    return match.group(1) if match else None


# An arXiv id and nothing else (optionally `arXiv:` and a version): for fields such as `id` that may hold other ids.
_ARXIV_EXACT = re.compile(r"(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
# arXiv's DataCite DOIs (10.48550/arXiv.2401.00001), which OpenAlex and Zotero give for preprints.
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)


def exact_arxiv_id(value: object) -> str | None:
    """The arXiv id when `value` is one (`2401.00001v2`, `arXiv:quant-ph/0210005`), else None: never an id found
    inside other text, so an `id` field holding something else maps to nothing."""
    if not isinstance(value, str):
        return None
    match = _ARXIV_EXACT.fullmatch(value.strip())
    return match.group(1) if match else None


def arxiv_id_from_link(value: object) -> str | None:
    """The arXiv id of an arxiv.org URL (`/abs/`, `/pdf/`, any version) or of an arXiv DOI; None for other links."""
    if not isinstance(value, str) or "arxiv" not in value.lower():  # most links: one C-level search
        return None
    text = value.strip()
    doi = normalize_doi(text)
    if doi is not None:
        match = _ARXIV_DOI.fullmatch(doi)
        return exact_arxiv_id(match.group(1)) if match else None
    host = (urlsplit(text if "://" in text else "https://" + text).hostname or "").lower()
    if host != "arxiv.org" and not host.endswith(".arxiv.org"):
        return None
    return normalize_arxiv_id(text)


# A DOI alone, after `doi:`, or in a resolver URL; the DOI itself is `10.<registrant>/<suffix>`.
_DOI = re.compile(r"(?:doi\s*:?\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.IGNORECASE)


def normalize_doi(value: object) -> str | None:
    """`https://doi.org/10.1000/ABC`, `doi:10.1000/abc`, `10.1000/abc.` -> `10.1000/abc`; None if not a DOI.

    Only a whole value is read (a DOI, with a `doi:` prefix or as a doi.org URL), never a DOI inside some other
    URL or text: a publisher link with `doi=...&partnerID=...` in its query is not taken apart. DOIs are case
    insensitive, so the key is lower case; a percent-encoded resolver URL is decoded first.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if "%" in text:
        text = unquote(text)
    match = _DOI.fullmatch(text.rstrip(".,;"))
    return match.group(1).lower() if match else None


_PMID = re.compile(r"(?:.*[/:\s])?(\d{1,9})/?")


def normalize_pmid(value: object) -> str | None:
    """A PubMed id as digits: `29456894`, `PMID: 29456894`, `https://pubmed.ncbi.nlm.nih.gov/29456894` (or an
    integer); None when the value does not end in such a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(int(value)) if value == value and float(value).is_integer() and value > 0 else None
    match = _PMID.fullmatch(str(value).strip())
    return match.group(1) if match else None


_OPENALEX_ID = re.compile(r"(?:https?://(?:api\.)?openalex\.org/(?:works/)?)?([Ww]\d+)")
_S2_ID = re.compile(r"[0-9a-f]{40}")


def normalize_openalex_id(value: object) -> str | None:
    """An OpenAlex work id as `W` + digits (`https://openalex.org/W2741809807` -> `W2741809807`); None otherwise."""
    if not isinstance(value, str):
        return None
    match = _OPENALEX_ID.fullmatch(value.strip())
    return match.group(1).upper() if match else None


def normalize_s2_id(value: object) -> str | None:
    """A Semantic Scholar paper id (40 hex digits, as the API gives it); None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text if _S2_ID.fullmatch(text) else None
