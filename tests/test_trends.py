"""Trend tables on a 12-paper dated fixture, every expected value counted by hand from tests/fixtures/trends."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from nbkit import load_corpus
from nbkit.errors import NbkitError
from nbkit.trends import (
    cochran_armitage,
    compute_date_coverage,
    compute_dated_by_collection,
    compute_emerging_topics,
    compute_keyword_shares_by_collection,
    compute_keyword_trends,
    compute_period_counts,
    compute_topic_shares,
    compute_topic_trend_calls,
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
    # a: 6 papers, 2 mention agents; b: 6 papers, 3 do. n < 30: exact intervals, 2 of 6 = 0.0433 - 0.7772 and
    # 3 of 6 = 0.1181 - 0.8819 (Clopper-Pearson tables); both collections are under 10 papers: thin
    assert table.to_dict("list") == {
        "collection": ["a", "b"], "keyword": ["agents", "agents"], "papers": [2, 3], "collection_papers": [6, 6],
        "share": [round(2 / 6, 3), 0.5], "share_low": [0.043, 0.118], "share_high": [0.777, 0.882],
        "thin": [True, True]}
    assert not compute_keyword_shares_by_collection(papers, {"agents": ["agent"]}, thin_below=6)["thin"].any()


def test_keyword_shares_carry_intervals_and_thin_periods(papers):
    table = compute_keyword_trends(papers, {"agents": ["agent", "agents"]}, "year").set_index("period")
    # 0 of 1 (2022): [0, 0.975]; 2 of 4: 0.0676 - 0.9324; 1 of 2: 0.0126 - 0.9874 (exact intervals)
    assert table["share_low"].to_dict() == {"2022": 0.0, "2023": 0.068, "2024": 0.068, "2025": 0.013}
    assert table["share_high"].to_dict() == {"2022": 0.975, "2023": 0.932, "2024": 0.932, "2025": 0.987}
    assert table["thin"].all()  # no year has 10 dated papers
    assert compute_keyword_trends(papers, {"agents": ["agent"]}, "year", thin_below=4)["thin"].tolist() == [
        True, False, False, True]
    quarters = compute_keyword_trends(papers, {"agents": ["agent", "agents"]}, "quarter").set_index("period")
    # 2023Q3 has no dated paper: no share, and the interval says nothing is known
    assert math.isnan(quarters.loc["2023Q3", "share"])
    assert (quarters.loc["2023Q3", "share_low"], quarters.loc["2023Q3", "share_high"]) == (0.0, 1.0)
    assert compute_period_counts(papers, "year")["thin"].tolist() == [True] * 4


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


def _rockets(tmp_path):
    """Rockets rise from 1 to 9 of 10 papers a year, 2020-2023; the last paper closes 2023, so every year is
    complete. Topic 0: rockets, 1: other."""
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
    return papers, assignments


def test_an_unstable_topic_is_marked_and_never_called(tmp_path):
    papers, assignments = _rockets(tmp_path)
    topic = assignments["topic"]
    stable = compute_topic_trend_tests(papers, assignments, "year").set_index("topic")
    assert stable.loc["0: rockets", "trend"] == "rising" and stable.loc["1: other", "trend"] == "falling"
    flagged = compute_topic_trend_tests(papers, assignments.assign(unstable=topic == 0), "year").set_index("topic")
    assert flagged.loc["0: rockets (unstable)", "trend"] == "unstable topic: not called"
    assert flagged.loc["1: other", "trend"] == "falling"
    assert list(compute_topic_trends(papers, assignments.assign(unstable=topic == 0), "year").columns) == [
        "0: rockets (unstable)", "1: other"]


def test_topic_shares_per_period_with_intervals(tmp_path):
    papers, assignments = _rockets(tmp_path)
    shares = compute_topic_shares(papers, assignments, "year")
    rockets = shares[shares["topic"] == 0].set_index("period")
    assert rockets["papers"].to_dict() == {"2020": 1, "2021": 3, "2022": 6, "2023": 9}
    assert rockets["period_papers"].tolist() == [10] * 4 and not rockets["thin"].any()
    # exact intervals for 1 of 10 (0.0025 - 0.4450) and 9 of 10 (0.5550 - 0.9975)
    assert (rockets.loc["2020", "share_low"], rockets.loc["2020", "share_high"]) == (0.003, 0.445)
    assert (rockets.loc["2023", "share_low"], rockets.loc["2023", "share_high"]) == (0.555, 0.997)
    assert shares["topic"].tolist()[:2] == [0, 1] and set(shares["label"]) == {"rockets", "other"}


def _refits(assignments, lose_rockets: int, keep: int):
    """`keep` refits that see every paper with the same topics, one that sees every other paper with the topics
    renumbered (matched by their papers, not their numbers), and `lose_rockets` refits in which the rockets
    papers are outliers (the topic does not come back)."""
    reference = assignments["topic"].to_numpy()
    every = np.arange(len(reference))
    half = every[::2]
    refits = [(every, reference.copy()) for _ in range(keep)]
    refits.append((half, np.where(reference[half] == 0, 7, 3)))
    refits += [(every, np.where(reference == 0, -1, reference)) for _ in range(lose_rockets)]
    return refits


def test_a_trend_is_called_only_when_it_holds_in_enough_refits(tmp_path):
    papers, assignments = _rockets(tmp_path)
    calls = compute_topic_trend_calls(papers, assignments, _refits(assignments, lose_rockets=1, keep=2), "year")
    calls = calls.set_index("topic")
    # rockets hold in the 2 full refits and the half one (1, 2, 3, 5 of 5 a year: z = 2.61), not where lost: 3 of 4
    assert calls.loc[0, ["held", "fits", "direction", "call"]].tolist() == [3, 4, "rising", "no call"]
    assert calls.loc[0, "reason"] == "held in 3 of 4 fits (< 80%)" and calls.loc[0, "held_share"] == 0.75
    assert calls.loc[1, ["held", "fits", "call"]].tolist() == [4, 4, "declining"]
    assert calls.loc[0, "papers"] == 19 and calls.loc[0, "slope"] > 0 and calls.loc[0, "p_adjusted"] < 0.05
    relaxed = compute_topic_trend_calls(papers, assignments, _refits(assignments, 1, 2), "year", hold=0.75)
    assert relaxed.set_index("topic").loc[0, "call"] == "rising"
    unstable = compute_topic_trend_calls(papers, assignments.assign(unstable=assignments["topic"] == 0),
                                         _refits(assignments, 0, 4), "year").set_index("topic")
    assert unstable.loc[0, ["held", "fits", "call"]].tolist() == [5, 5, "unstable"]  # held everywhere: not called
    none = compute_topic_trend_calls(papers, assignments, [], "year").set_index("topic")
    assert none["call"].tolist() == ["no call"] * 2 and none.loc[0, "fits"] == 0
    few = compute_topic_trend_calls(papers, assignments, _refits(assignments, 0, 4), "year", min_papers=20)
    assert few.set_index("topic").loc[0, "reason"] == "too few dated papers (< 20)"


@dataclass
class PlantedEmbedder:
    """Stand-in embedding model: a paper about rockets points along axis 0, tides along 1, anything else along 2,
    plus small noise fixed by the text, so the topics are exactly the planted themes."""

    identity: str = "planted"

    def encode(self, texts):
        out = []
        for text in texts:
            rng = np.random.default_rng(zlib.crc32(text.encode()))
            axis = 0 if "rocket" in text else 1 if "tide" in text else 2
            vector = rng.normal(0, 0.03, 16)
            vector[axis] += 1
            out.append(vector)
        return np.array(out, dtype=np.float32)


def _planted_corpus(tmp_path, seed):
    """40 papers a year, 2019-2023: rockets 4, 8, 12, 16, 20 of them (rising); tides drawn at random with
    probability 0.25 each year (noise: no trend); the rest about soil."""
    rng = np.random.default_rng(seed)
    rows = ["title,abstract,date"]
    for y, year in enumerate(range(2019, 2024)):
        rockets = 4 * (y + 1)
        tides = rng.binomial(40 - rockets, 0.25 * 40 / (40 - rockets))
        themes = ["rocket"] * rockets + ["tide"] * tides + ["soil"] * (40 - rockets - tides)
        for i, theme in enumerate(themes):
            date = f"{year}-12-31" if (year, i) == (2023, 39) else f"{year}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
            rows.append(f"{theme.title()} study {year}-{i},A {theme} {theme} survey number {seed}-{year}-{i}.,{date}")
    path = tmp_path / f"planted{seed}.csv"
    path.write_text("\n".join(rows) + "\n")
    return load_corpus([path]).papers


def _planted_settings():
    from nbkit.topics import TopicSettings

    # a fixed cut between the themes (cosine distance about 1) and within them (about 0.03): the planted topics
    return TopicSettings(min_topic_size=5, stability_runs=10, distance_threshold=0.5)


@pytest.mark.parametrize("seed", range(4))
def test_a_planted_rising_topic_is_called_in_every_corpus_and_noise_never(tmp_path, seed):
    from nbkit.topics import topic_summary

    papers = _planted_corpus(tmp_path, seed)
    summary = topic_summary(papers, _planted_settings(),
                            embedder=PlantedEmbedder(), cache_dir=tmp_path / "cache", progress=False)
    assert len(summary.refits) == 10  # the stability check's refits, kept
    assignments = summary.assignments
    theme = papers["title"].str.split().str[0].to_numpy()
    topic_of = {t: int(assignments["topic"][theme == t].mode()[0]) for t in ("Rocket", "Tide", "Soil")}
    assert all((assignments["topic"][theme == t] == k).all() for t, k in topic_of.items())  # the planted themes
    calls = compute_topic_trend_calls(papers, assignments, summary.refits, "year").set_index("topic")
    assert calls.loc[topic_of["Rocket"], ["call", "held", "fits"]].tolist() == ["rising", 10, 10]
    assert calls.loc[topic_of["Tide"], "call"] == "no call"
    # the cached summary brings the same refits back
    again = topic_summary(papers, _planted_settings(), embedder=PlantedEmbedder(),
                          cache_dir=tmp_path / "cache", progress=False)
    assert [(r.tolist(), t.tolist()) for r, t in again.refits] == [(r.tolist(), t.tolist()) for r, t in summary.refits]


def test_emerging_topics_compare_the_last_complete_period_with_the_earlier_ones(tmp_path):
    papers, assignments = _rockets(tmp_path)
    table = compute_emerging_topics(papers, assignments, "year").set_index("topic")
    # earlier 2020-2022: rockets 10 of 30; recent 2023: 9 of 10. Fisher's exact one-sided p for [[9, 1], [10, 20]]
    # = P(X >= 9) with X hypergeometric (40 papers, 19 rockets, 10 drawn): (C(19,9) C(21,1) + C(19,10) C(21,0)) /
    # C(40,10) = (92378 * 21 + 92378) / 847660528 = 0.0023978; BH over the 2 tested topics (other: p = 1) -> 0.0048
    assert table.loc[0, ["earlier_papers", "earlier_total", "recent_papers", "recent_total"]].tolist() == [
        10, 30, 9, 10]
    assert table.loc[0, "p_value"] == pytest.approx(0.0024, abs=1e-4)
    assert table.loc[0, "p_adjusted"] == pytest.approx(0.0048, abs=1e-4)
    assert table.loc[0, "difference"] == round(0.9 - 1 / 3, 3) and table.loc[0, "diff_low"] > 0
    assert table.loc[0, "call"] == "emerging" and table.loc[1, "call"] == "no call"
    assert table.loc[0, "first_period"] == "2020" and table.loc[0, "absent_before"] == ""
    assert table.attrs["note"] == ("recent: 2023 (10 dated papers); earlier: 2020 to 2022 (30 dated papers); "
                                   "only complete years")
    flagged = compute_emerging_topics(papers, assignments.assign(unstable=assignments["topic"] == 0), "year")
    assert flagged.set_index("topic").loc[0, "call"] == "unstable"
    two = compute_emerging_topics(papers, assignments, "year", recent=2).set_index("topic")
    assert two.loc[0, ["earlier_papers", "recent_papers"]].tolist() == [4, 15]


def test_a_topic_absent_before_a_period_is_named_and_an_incomplete_period_left_out(papers):
    # in the 12-paper fixture: "Agentic workflows" (2025-02-14, the incomplete last year) and the 2024 agents
    # papers as topic 0; topic 0 first appears in 2024 after 5 dated papers in 2022-2023
    agents = {"Agents at scale": 0, "Reinforcement learning for agents": 0, "Agentic workflows": 0}
    assignments = _assignments(papers, {**{t: 1 for t in papers["title"]}, **agents})
    table = compute_emerging_topics(papers, assignments, "year", thin_below=4).set_index("topic")
    assert table.loc[0, "first_period"] == "2024" and table.loc[0, "absent_before"] == "2024"
    assert table.loc[0, "recent_total"] == 4  # 2024 only: 2025 is incomplete and left out
    assert table.loc[0, "call"] == "no call"  # 2 of 4 papers: too few to test (min_papers 5)
    default = compute_emerging_topics(papers, assignments, "year").set_index("topic")
    assert default.loc[0, "absent_before"] == "" and default.loc[0, "reason"] == (
        "recent year(s) hold 4 dated papers (< 10)")  # 5 papers before 2024 are too few to call it absent


def test_the_refits_are_stored_once_and_a_summary_whose_refits_are_gone_is_fitted_again(tmp_path, monkeypatch):
    from nbkit import topics

    papers = _planted_corpus(tmp_path, 0)
    cache = tmp_path / "cache"
    first = topics.topic_summary(papers, _planted_settings(), embedder=PlantedEmbedder(), cache_dir=cache,
                                 progress=False)
    # one copy of the 10 refits, shared by the fit's summary and the c-TF-IDF summary stored beside it
    [stored] = (cache / "topics").glob("stability-*-refits.*.npy")
    assert len(list((cache / "topics").glob("*-summary.*.json"))) == 2
    assert not list((cache / "topics").glob("*refits*.parquet"))
    stored.unlink()  # as if the stability entry were lost
    calls = []
    real_fit = topics.fit_topics
    monkeypatch.setattr(topics, "fit_topics", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    again = topics.topic_summary(papers, _planted_settings(), embedder=PlantedEmbedder(), cache_dir=cache,
                                 progress=False)
    assert calls == [1] and len(again.refits) == 10 == len(first.refits)
    assert len(list((cache / "topics").glob("stability-*-refits.*.npy"))) == 1
    topics.topic_summary(papers, _planted_settings(), embedder=PlantedEmbedder(), cache_dir=cache, progress=False)
    assert calls == [1]  # complete again: read from the cache
    for (rows_a, labels_a), (rows_b, labels_b) in zip(again.refits, first.refits, strict=True):
        assert rows_a.tolist() == rows_b.tolist() and labels_a.tolist() == labels_b.tolist()
    pd.testing.assert_frame_equal(again.assignments, first.assignments)
