"""Trend tables on a 12-paper dated fixture, every expected value counted by hand from tests/fixtures/trends."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from nbkit import load_corpus
from nbkit.errors import NbkitError
from nbkit.trends import (
    cochran_armitage,
    compute_date_coverage,
    compute_dated_by_collection,
    compute_keyword_shares_by_collection,
    compute_keyword_trends,
    compute_period_counts,
    compute_topic_trend_tests,
    compute_topic_trends,
    coverage_sentence,
    match_keywords,
)
from tests.conftest import FIXTURES

# The fixture: 9 day dates (2023: Jan 15, Feb 10, May 3, Nov 20; 2024: Mar 1, Apr 12, Jun 30; 2025: Jan 5,
# Feb 14), one month date (2024-05), one year date (2022), one paper without a date.


@pytest.fixture(scope="module")
def papers():
    return load_corpus([FIXTURES / "trends" / "dated.csv"]).papers


def test_date_coverage_counts_each_kind_of_date(papers):
    coverage = compute_date_coverage(papers)
    assert coverage["papers"].to_dict() == {"exact date (day)": 9, "month only": 1, "year only": 1,
                                            "year inferred": 0, "no date": 1}
    assert coverage.loc["no date", "share"] == round(1 / 12, 3)


def test_year_counts_and_an_incomplete_last_year(papers):
    years = compute_period_counts(papers, "year")
    # 2022: the year-only paper; 2023: 4; 2024: 3 days + the month date; 2025: 2 (data stops on Feb 14)
    assert years["papers"].to_dict() == {"2022": 1, "2023": 4, "2024": 4, "2025": 2}
    assert years["complete"].tolist() == [True, True, True, False]
    assert years.loc["2023", "share"] == round(4 / 11, 3)
    assert years.attrs["left_out"] == {"no date": 1, "date too coarse for a year": 0}


def test_quarters_leave_out_year_only_dates_and_keep_empty_quarters(papers):
    quarters = compute_period_counts(papers, "quarter")
    assert quarters["papers"].to_dict() == {
        "2023Q1": 2, "2023Q2": 1, "2023Q3": 0, "2023Q4": 1, "2024Q1": 1, "2024Q2": 3, "2024Q3": 0, "2024Q4": 0,
        "2025Q1": 2}
    assert not quarters.loc["2025Q1", "complete"] and quarters.loc["2024Q4", "complete"]
    assert quarters.attrs["left_out"] == {"no date": 1, "date too coarse for a quarter": 1}


def test_months_place_the_month_date_and_flag_february_2025(papers):
    months = compute_period_counts(papers, "month")
    assert months.loc["2024-05", "papers"] == 1 and len(months) == 26  # Jan 2023 .. Feb 2025
    assert months["complete"].tolist() == [True] * 25 + [False]


def test_keywords_match_whole_words_case_insensitively(papers):
    hits = match_keywords(papers, {"agents": ["agent", "agents"], "rl": r"reinforcement learning|rl"})
    # "Agentic workflows ... Agentic systems" is not the word agent
    assert papers.loc[hits["agents"], "title"].tolist() == [
        "Agents that plan", "Agent benchmarks", "Agents at scale", "Reinforcement learning for agents",
        "Agents everywhere"]
    assert papers.loc[hits["rl"], "title"].tolist() == ["Reinforcement learning for agents"]


def test_keyword_trends_give_counts_and_shares_of_the_period(papers):
    table = compute_keyword_trends(papers, {"agents": ["agent", "agents"]}, "year").set_index("period")
    assert table["papers"].to_dict() == {"2022": 0, "2023": 2, "2024": 2, "2025": 1}
    assert table["share"].to_dict() == {"2022": 0.0, "2023": 0.5, "2024": 0.5, "2025": 0.5}
    assert table.loc["2025", "complete"] == False  # noqa: E712 - a numpy bool


def test_keyword_shares_by_collection_use_every_paper(papers):
    table = compute_keyword_shares_by_collection(papers, {"agents": ["agent", "agents"]})
    # a: 6 papers, 2 mention agents; b: 6 papers, 3 do
    assert table.to_dict() == {"papers": {"a": 6, "b": 6}, "agents": {"a": round(2 / 6, 3), "b": 0.5}}


def test_bad_keyword_groups_and_periods_are_clear_errors(papers):
    with pytest.raises(NbkitError, match="keyword group 'x': invalid regular expression"):
        match_keywords(papers, {"x": "(unclosed"})
    with pytest.raises(NbkitError, match="keyword group 'y' is empty"):
        match_keywords(papers, {"y": []})
    with pytest.raises(NbkitError, match="period 'week' is not one of month, quarter, year"):
        compute_period_counts(papers, "week")


def test_cochran_armitage_against_a_hand_computation():
    # successes 1, 2, 4 of 4 each at scores 0, 1, 2: N = 12, p = 7/12, mean score 1, Sxx = 4 + 0 + 4 = 8,
    # slope = (-1*1 + 0*2 + 1*4) / 8 = 0.375, se = sqrt(7/12 * 5/12 / 8) = 0.174303, z = 2.151411
    # (textbook form: sum t_i (x_i - n_i p) / sqrt(p(1-p) (sum n_i t_i^2 - (sum n_i t_i)^2 / N)) = 3 / 1.394433)
    result = cochran_armitage([1, 2, 4], [4, 4, 4])
    assert result["slope"] == pytest.approx(0.375)
    assert result["se"] == pytest.approx(math.sqrt(35 / 1152))
    assert result["z"] == pytest.approx(2.151411, abs=1e-6)
    assert result["p_value"] == pytest.approx(0.031444, abs=2e-6)  # 2 * (1 - Phi(2.151411)), normal table
    assert cochran_armitage([0, 0, 0], [3, 3, 3])["p_value"] == 1.0  # no successes: nothing to test


def _assignments(papers, topics_by_title):
    topic = papers["title"].map(topics_by_title).fillna(-1).astype(int)
    return pd.DataFrame({"paper_id": papers["paper_id"], "topic": topic,
                         "label": topic.map({0: "agents", 1: "other", -1: "outliers"})})


def test_topic_trends_and_tests_skip_the_incomplete_last_period(papers):
    agents = {"Agents that plan": 0, "Agent benchmarks": 0, "Agents at scale": 0,
              "Reinforcement learning for agents": 0, "Agents everywhere": 0, "Agentic workflows": 0}
    assignments = _assignments(papers, {**{t: 1 for t in papers["title"]}, **agents})
    table = compute_topic_trends(papers, assignments, "year")
    assert table.to_dict("list") == {"0: agents": [0, 2, 2, 2], "1: other": [1, 2, 2, 0]}
    tests = compute_topic_trend_tests(papers, assignments, "year", min_papers=4).set_index("topic")
    # complete years 2022-2024: agents 0/1, 2/4, 2/4 -> Cochran-Armitage by hand: N = 9, p = 4/9, mean score
    # (0 + 4 + 8) / 9 = 4/3, Sxx = 1*(16/9) + 4*(1/9) + 4*(4/9) = 36/9 = 4, slope = (-4/3*0 - 1/3*2 + 2/3*2)/4
    # = 1/6, se = sqrt(4/9 * 5/9 / 4) = sqrt(5)/9, z = (1/6) / (sqrt(5)/9) = 0.670820
    assert tests.loc["0: agents", "z"] == pytest.approx(0.67, abs=0.005)
    assert tests.loc["0: agents", "slope"] == pytest.approx(0.167, abs=0.0005)
    assert tests.loc["0: agents", "trend"] == "no clear trend"
    assert tests.attrs["note"] == "9 dated papers in 3 complete year(s)"
    # "other" has 5 dated papers in complete years, agents 4: at the default minimum of 5 agents is not tested
    default = compute_topic_trend_tests(papers, assignments, "year").set_index("topic")
    assert default.loc["0: agents", "trend"] == "too few dated papers (< 5)"
    assert pd.isna(default.loc["0: agents", "p_value"]) and default.loc["1: other", "p_value"] > 0


def test_too_few_periods_for_a_trend_is_said_not_guessed(papers):
    one_year = papers[papers["published"].dt.year == 2023]
    assignments = _assignments(one_year, {t: 0 for t in one_year["title"]})
    tests = compute_topic_trend_tests(one_year, assignments, "year")
    assert tests.empty and "a trend needs at least 3" in tests.attrs["note"]


def test_dated_by_collection_and_the_coverage_sentence():
    corpus = load_corpus([FIXTURES / "trends" / "dated.csv"])
    table = compute_dated_by_collection(corpus.listings, corpus.papers)
    # a: six listings, all dated; b: six listings, "Undated survey" has no date
    assert table.to_dict("list") == {"listings": [6, 6], "dated_listings": [6, 5], "share_dated": [1.0, 0.833],
                                     "papers": [6, 6], "papers_dated": [6, 5]}
    sentence = coverage_sentence(compute_date_coverage(corpus.papers), table)
    assert sentence == ("11 of 12 papers (92%) have a date; 1 has none and is left out of every count over time.")
    only_a = table.assign(dated_listings=[6, 0])
    assert coverage_sentence(compute_date_coverage(corpus.papers), only_a).endswith(
        "Only 1 of 2 collections carries dates on their pages (a): trends over time describe mostly those, "
        "not the whole corpus.")


def test_an_unstable_topic_is_marked_and_never_called(tmp_path):
    # rockets rise from 1 to 9 of 10 papers a year, 2020-2023; the last paper closes 2023, so every year is complete
    rows = ["title,abstract,date"]
    for year, rockets in ((2020, 1), (2021, 3), (2022, 6), (2023, 9)):
        for i in range(10):
            day = "12-31" if (year, i) == (2023, 9) else f"06-{i + 1:02d}"
            rows.append(f"Paper {year} {i} {'rocket' if i < rockets else 'other'},Text {year} {i}.,{year}-{day}")
    (tmp_path / "rise.csv").write_text("\n".join(rows) + "\n")
    papers = load_corpus([tmp_path / "rise.csv"]).papers
    topic = papers["title"].str.endswith("rocket").map({True: 0, False: 1})
    assignments = pd.DataFrame({"paper_id": papers["paper_id"], "topic": topic,
                                "label": topic.map({0: "rockets", 1: "other"}), "unstable": False})
    stable = compute_topic_trend_tests(papers, assignments, "year").set_index("topic")
    assert stable.loc["0: rockets", "trend"] == "rising" and stable.loc["1: other", "trend"] == "falling"
    flagged = compute_topic_trend_tests(papers, assignments.assign(unstable=topic == 0), "year").set_index("topic")
    assert flagged.loc["0: rockets (unstable)", "trend"] == "unstable topic: not called"
    assert flagged.loc["1: other", "trend"] == "falling"
    assert list(compute_topic_trends(papers, assignments.assign(unstable=topic == 0), "year").columns) == [
        "0: rockets (unstable)", "1: other"]
