"""Cleaning rules: text normalization, the title key used for matching, URLs, authors and arXiv ids.

Text is kept as written except for three things: Unicode NFC, stray control and invisible characters removed,
and runs of whitespace folded to one space. Titles that look like markup (`<script>`, `**bold**`) are real
titles and stay verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# C0/C1 controls, DEL, and invisible format characters that copy-paste leaves in text (zero-width space, word
# joiner, BOM, soft hyphen). Zero-width joiners stay: they are part of emoji and some scripts.
_STRAY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")


def clean_text(text: str) -> str:
    """NFC, no stray control characters, single spaces, no leading or trailing space."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # isprintable() is False for every control and every whitespace but " ", so most text skips the rewrite.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_STRAY.sub(" ", text).split())


def title_keys(titles: pd.Series | Iterable[str]) -> pd.Series:
    """Matching keys: accents stripped (NFKD), case folded, every character that is not a letter or digit dropped.

    Spacing and punctuation vanish entirely, so "Multi-task Learning", "Multitask learning" and
    "MULTI TASK LEARNING" share one key. A title with no letter or digit keys on its lower-cased text instead,
    so punctuation-only titles never merge with each other.
    """
    series = _as_string_series(titles)
    compact = pc.replace_substring(_spaced(pa.array(series.array)), " ", "")
    keys = pd.Series(pd.array(compact, dtype="string"), index=series.index)
    empty = keys.fillna("") == ""
    if empty.any():
        keys[empty] = "raw:" + series[empty].str.lower()
    return keys


def spaced_title_keys(titles: pd.Series | Iterable[str]) -> pd.Series:
    """Like title_keys but with single spaces between words: the tokens near-duplicate detection compares."""
    series = _as_string_series(titles)
    return pd.Series(pd.array(_spaced(pa.array(series.array)), dtype="string"), index=series.index)


def _as_string_series(values: pd.Series | Iterable[str]) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return series.astype("string")


def _spaced(arr: pa.Array) -> pa.Array:
    arr = pc.utf8_normalize(arr, form="NFKD")
    arr = pc.replace_substring_regex(arr, r"\p{Mn}+", "")
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring(arr, "ß", "ss")  # the one common case fold that lower() misses
    arr = pc.replace_substring_regex(arr, r"[^\p{L}\p{N}]+", " ")
    return pc.utf8_trim_whitespace(arr)


# Where a URL can start: a scheme, www., or a bare code-host path. Found with str.find, because a regex that
# tries these alternatives at every position of a 1,500-character abstract costs ~100 us.
_URL_MARKERS = ("http://", "https://", "www.", "github.com/", "gitlab.com/", "huggingface.co/")
_URL_BODY = re.compile(r"[^\s<>\"'`]+")
_TRAILING = ".,;:!?'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def find_urls(text: str | None) -> list[str]:
    """URLs in a text, trailing punctuation trimmed, bare hosts given https://, in order, without repeats."""
    if not isinstance(text, str) or ("://" not in text and "www." not in text.lower() and ".co" not in text):
        return []
    lower = text.lower()
    starts = []
    for marker in _URL_MARKERS:
        at = lower.find(marker)
        while at >= 0:
            if marker.startswith("http") or at == 0 or not (lower[at - 1].isalnum() or lower[at - 1] in "./_"):
                starts.append(at)
            at = lower.find(marker, at + 1)
    found: dict[str, None] = {}
    for start in sorted(starts):
        url = _trim_url(_URL_BODY.match(text, start).group(0))  # type: ignore[union-attr]
        if "://" not in url:
            url = "https://" + url
        if urlsplit(url).hostname:
            found.setdefault(url, None)
    return list(found)


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
    if not text:
        return None
    parts = text.split(";") if ";" in text else re.split(r",|\band\b|&", text)
    return len([p for p in parts if p.strip()]) or None


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
