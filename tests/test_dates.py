"""Date parsing and the year inference rule."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.dates import DateParts, is_ambiguous_day_month, parse_date_text, parse_hf_date

ABSTRACT = "An abstract long enough to be one. " * 10


@pytest.mark.parametrize(("text", "parsed"), [
    ("Mar 11", (DateParts(None, 3, 11, "day"), None)),
    ("Feb 4 3", (DateParts(None, 2, 4, "day"), 3)),
    ("Jun 9, 2022", (DateParts(2022, 6, 9, "day"), None)),
    ("Jun 9, 2022 1", (DateParts(2022, 6, 9, "day"), 1)),
    ("September 30", (DateParts(None, 9, 30, "day"), None)),
    ("Foo 3", None),
    ("Mar", None),
])
def test_parse_hf_date(text, parsed):
    assert parse_hf_date(text) == parsed


@pytest.mark.parametrize(("text", "parts"), [
    ("2021", DateParts(2021, None, None, "year")),
    ("2021-05", DateParts(2021, 5, None, "month")),
    ("2021/05/17", DateParts(2021, 5, 17, "day")),
    ("2021-05-17T10:00:00Z", DateParts(2021, 5, 17, "day")),
    ("May 17, 2021", DateParts(2021, 5, 17, "day")),
    ("17 May 2021", DateParts(2021, 5, 17, "day")),
    ("May 2021", DateParts(2021, 5, None, "month")),
    ("Mon, 2 Apr 2007 19:18:42 GMT", DateParts(2007, 4, 2, "day")),
    ("5/17/2019", DateParts(2019, 5, 17, "day")),
    ("17/5/2019", DateParts(2019, 5, 17, "day")),  # the first number cannot be a month: day first
    ("5/6/2019", DateParts(2019, 5, 6, "day")),  # either order: month first (flagged by the reader)
    ("05/17/2019 10:32", DateParts(2019, 5, 17, "day")),
    ("5/17/19", None),  # two-digit years are not guessed
    ("yesterday", None),
    ("12", None),
])
def test_parse_date_text(text, parts):
    assert parse_date_text(text) == parts


def _page(date_line: str, page_date: str = "Dec 8", extra: str = "") -> str:
    return (f"Subscribe\n\n{page_date}\n\nA Paper\n\n{ABSTRACT}\n\n  • 2 authors\n·\n{date_line}\n\n{extra}")


def test_latest_year_in_the_corpus_plus_one(write):
    # b.txt writes no year itself; a.txt writes 2021, so b's `Mar 3` becomes 2022 (rule 3).
    a = write("a.txt", _page("Jan 5, 2021"))
    b = write("b.txt", _page("Mar 3").replace("A Paper", "Another Paper"))
    corpus = load_corpus([a, b])
    rows = corpus.listings.set_index("source_file")
    assert rows.loc["b.txt", "published"] == pd.Timestamp("2022-03-03")
    assert {f.name: f.reference_year_rule for f in corpus.report.files} == {
        "a.txt": "latest year on the page + 1", "b.txt": "latest year in the corpus + 1"}


def test_no_year_anywhere_uses_the_current_year_and_warns(write):
    corpus = load_corpus([write("a.txt", _page("Mar 3", page_date="Dec 31"))])
    year = pd.Timestamp.today().year
    assert corpus.listings["published"].iloc[0] == pd.Timestamp(f"{year}-03-03")
    assert corpus.report.warnings == [
        f"a.txt: dates without a year and no year written anywhere; assumed {year} (pass reference_year to fix it)"]


def test_inferred_date_after_the_page_date_rolls_back_a_year(write):
    corpus = load_corpus([write("a.txt", _page("Dec 20", page_date="Jan 3"))], reference_year=2025)
    row = corpus.listings.iloc[0]
    assert row.published == pd.Timestamp("2024-12-20")
    assert row["flags"] == ["year_inferred", "year_rolled_back"]


def test_impossible_and_unreadable_dates_are_flagged_and_kept(write):
    page = _page("Feb 30, 2024") + f"Second Paper\n\n{ABSTRACT}\n\n  • 1 author\n·\nsoon\n"
    corpus = load_corpus([write("a.txt", page)])
    first, second = corpus.listings.iloc[0], corpus.listings.iloc[1]
    assert pd.isna(first.published) and first.date_text == "Feb 30, 2024" and first["flags"] == ["invalid_date"]
    assert pd.isna(second.published) and second.date_text == "soon" and second["flags"] == ["invalid_date"]
    assert second.authors_count == 1


def test_rule_three_reads_only_hf_pages(write):
    page = write("page.txt", _page("Mar 3", page_date="Mar 11"))
    snapshot = write("snapshot.jsonl", '{"id": "0704.0001", "title": "Old Paper", "abstract": "a", "versions": '
                                       '[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]}\n')
    corpus = load_corpus([page, snapshot])
    year = pd.Timestamp.today().year  # no HF page writes a year: rule 4, the current year
    assert corpus.report.files[0].reference_year_rule == "current year"
    assert corpus.listings["published"].tolist() == [pd.Timestamp(f"{year}-03-03"), pd.Timestamp("2007-04-02")]


@pytest.mark.parametrize(("text", "ambiguous"), [
    ("5/6/2019", True), ("5/17/2019", False), ("17/5/2019", False), ("5/5/2019", False), ("2019-05-06", False),
])
def test_is_ambiguous_day_month(text, ambiguous):
    assert is_ambiguous_day_month(text) is ambiguous
