"""Dates: reading the many ways sources write them, and inferring the year HF pages leave out.

Dates are read into parts (year, month, day, precision) first. HF pages write dates of the current year as
`Mon D`, so the year is filled in afterwards, once all files are read:

1. `reference_year`, when the caller gives one;
2. else the latest year the same page writes out, plus one (the page shows a year only for earlier years, so
   this is the smallest year the page is consistent with);
3. else the latest year written on any HF page of the same load, plus one;
4. else the current calendar year (the site omits the year for this year's dates), with a warning.

Dates whose year was inferred are flagged `year_inferred` (`date_inferred` is True). An inferred date that would
fall after the page's own date is moved to the previous year and flagged `year_rolled_back`.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple

import pandas as pd

MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
         ("nov", "november"), ("dec", "december")),
        start=1,
    )
    for name in names
}

# `Mar 11`, `Jun 9, 2022`, and on listings an optional upvote count after a space: `Feb 4 3`, `Jun 9, 2022 1`.
HF_DATE = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:,\s*(\d{4}))?(?:\s+(\d[\d,]*))?$")


class DateParts(NamedTuple):
    year: int | None
    month: int | None
    day: int | None
    precision: str  # day, month or year


@lru_cache(maxsize=4096)
def parse_hf_date(text: str) -> tuple[DateParts, int | None] | None:
    """An HF page date (`Mon D`, `Mon D, YYYY`, each with an optional upvote count) -> parts and upvotes."""
    match = HF_DATE.match(text.strip())
    if not match:
        return None
    month = MONTHS.get(match.group(1).lower())
    if month is None:
        return None
    year = int(match.group(3)) if match.group(3) else None
    upvotes = int(match.group(4).replace(",", "")) if match.group(4) else None
    return DateParts(year, month, int(match.group(2)), "day"), upvotes


def is_hf_date(text: str) -> bool:
    """A page-date line such as `Mar 11` (no upvote count)."""
    parsed = parse_hf_date(text)
    return parsed is not None and parsed[1] is None


_ISO = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[T ]\d.*)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
# `5/17/2019` as spreadsheets and US exports write it, optionally with a time (`5/17/2019 10:32`).
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d.*)?$")


def parse_slashed(text: str) -> DateParts | None:
    """A `M/D/YYYY` date: month first (US order) unless the first number cannot be a month (`17/5/2019` is
    17 May). None if the text is not such a date."""
    match = _SLASHED.match(text.strip())
    if not match:
        return None
    first, second, year = (int(g) for g in match.groups())
    month, day = (second, first) if first > 12 else (first, second)
    return DateParts(year, month, day, "day")


def is_ambiguous_day_month(text: str) -> bool:
    """Whether a `M/D/YYYY` date could be read either way (`5/6/2019`): both numbers 1-12 and different."""
    match = _SLASHED.match(text.strip()) if "/" in text else None
    if not match:
        return False
    first, second = int(match.group(1)), int(match.group(2))
    return first != second and 1 <= first <= 12 and 1 <= second <= 12


@lru_cache(maxsize=65536)
def parse_date_text(text: str) -> DateParts | None:
    """A date as tabular sources write it. None if it cannot be read.

    Accepted: `2021`, `2021-05`, `2021-05-17` (also with `/` or `.`), ISO timestamps, `May 17, 2021`,
    `17 May 2021`, `May 2021`, `May 17` (year inferred later), `5/17/2021` (month first; day first only when the
    first number is over 12, see slashed_day_month), and RFC 2822 (`Mon, 2 Apr 2007 19:18:42 GMT`, as in the
    arXiv snapshot). Deliberately no free-form guessing: a parser that fills gaps from today's date would make
    results depend on the day they were computed.
    """
    text = text.strip()
    if not text:
        return None
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) if g else None for g in match.groups())
        precision = "day" if day else "month" if month else "year"
        return DateParts(year, month, day, precision)
    slashed = parse_slashed(text) if "/" in text else None
    if slashed is not None:
        return slashed
    hf = parse_hf_date(text)
    if hf is not None and hf[1] is None:
        return hf[0]
    match = _DAY_MONTH_YEAR.match(text)
    if match and match.group(2).lower() in MONTHS:
        return DateParts(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)), "day")
    match = _MONTH_YEAR.match(text)
    if match and match.group(1).lower() in MONTHS:
        return DateParts(int(match.group(2)), MONTHS[match.group(1).lower()], None, "month")
    if "," in text and ":" in text:
        try:
            stamp = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        return DateParts(stamp.year, stamp.month, stamp.day, "day")
    return None


def latest_year(years: pd.Series) -> int | None:
    """The latest written year, or None."""
    known = years.dropna()
    return int(known.max()) if len(known) else None


def build_dates(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Vectorized parts -> datetime64[s]; missing or impossible dates (Feb 30) become NaT."""
    frame = pd.DataFrame({
        "year": pd.to_numeric(year, errors="coerce"),
        "month": pd.to_numeric(month, errors="coerce").fillna(1),
        "day": pd.to_numeric(day, errors="coerce").fillna(1),
    })
    valid = frame["year"].between(1, 9999)
    out = pd.Series(pd.NaT, index=year.index, dtype="datetime64[s]")
    if valid.any():
        out[valid] = pd.to_datetime(frame[valid].astype("int64"), errors="coerce").astype("datetime64[s]")
    return out


def this_year() -> int:
    return dt.date.today().year
