"""Trends: what the dates can support, counts per period, keyword and topic shares, and rising or falling topics.

    coverage = compute_date_coverage(papers)                 # exact, month, year, inferred, no date
    compute_period_counts(papers, "quarter")                 # papers per period; incomplete last period flagged
    compute_keyword_trends(papers, {"agents": ["agent", "agents"], "rl": r"reinforcement learning|rl"}, "year")
    compute_topic_shares(papers, assignments, "year")        # each topic's share per period, 95% interval
    compute_topic_trend_tests(papers, assignments, "year")   # Cochran-Armitage trend test per topic
    compute_topic_trend_calls(papers, assignments, refits)   # rising / declining only if it holds in >= 80% of refits
    compute_emerging_topics(papers, assignments, "year")     # last complete period(s) against the earlier ones

Only dated papers are counted in periods, and every table says how many were left out. A date known only to the
year cannot be placed in a month or a quarter: it is left out of finer periods (and counted as such). Every share
carries a 95% interval (share_low, share_high; nbkit.stats states the rule), and a period with fewer than
`thin_below` dated papers is marked `thin`: its share can be anything in a wide interval.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError
from nbkit.quality import NO_MATCH, OUTLIER_TOPIC, UNSTABLE_MARK, recover_topics, topic_names
from nbkit.stats import THIN_BELOW, adjust_p_values, difference_interval, share_columns

PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
PRECISION_RANK = {"day": 0, "month": 1, "year": 2}
PERIOD_RANK = {"month": 1, "quarter": 1, "year": 2}  # the coarsest date precision each period can place

Keywords = Mapping[str, Sequence[str] | str]


def _check_period(period: str) -> str:
    if period not in PERIODS:
        raise NbkitError(f"period {period!r} is not one of {', '.join(PERIODS)}")
    return PERIODS[period]


def compute_date_coverage(papers: pd.DataFrame) -> pd.DataFrame:
    """How many papers have a date, and how good it is: exact day, month only, year only, a year nbkit inferred
    (the page wrote the date without one), or no date at all. Rows in that order; shares of all papers."""
    has = papers["published"].notna()
    inferred = papers["date_inferred"].fillna(False).astype(bool) & has
    precision = papers["date_precision"].astype(object)
    rows = {
        "exact date (day)": has & ~inferred & (precision == "day"),
        "month only": has & ~inferred & (precision == "month"),
        "year only": has & ~inferred & (precision == "year"),
        "year inferred": inferred,
        "no date": ~has,
    }
    n = len(papers)
    counts = {name: int(mask.sum()) for name, mask in rows.items()}
    out = pd.DataFrame({"papers": counts, "share": {k: round(v / n, 3) if n else 0.0 for k, v in counts.items()}})
    out.index.name = "date"
    return out


def dated_papers(papers: pd.DataFrame, period: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """The papers whose date can be placed in `period`, with a `period` column; and how many were left out, why."""
    code = _check_period(period)
    has = papers["published"].notna()
    rank = papers["date_precision"].astype(object).map(PRECISION_RANK)
    too_coarse = has & (rank > PERIOD_RANK[period])
    keep = has & ~too_coarse
    dated = papers.loc[keep].copy()
    dated["period"] = dated["published"].dt.to_period(code)
    return dated, {"no date": int((~has).sum()), f"date too coarse for a {period}": int(too_coarse.sum())}


def _period_index(dated: pd.DataFrame, period: str) -> pd.PeriodIndex:
    """Every period from the first to the last dated paper, empty ones included (a gap is data, not noise)."""
    if dated.empty:
        return pd.PeriodIndex([], freq=PERIODS[period], name="period")
    return pd.period_range(dated["period"].min(), dated["period"].max(), freq=PERIODS[period], name="period")


def compute_period_counts(papers: pd.DataFrame, period: str = "year", thin_below: int = THIN_BELOW) -> pd.DataFrame:
    """Papers per period, every period from the first to the last included, with `complete` False for a last
    period that the data stops inside (the latest date is before the period's last day): a short last bar is
    then less data, not a drop. `share` is the period's share of all dated papers; `thin` is True for a period
    with fewer than `thin_below` dated papers. Left-out papers are in `.attrs["left_out"]`."""
    dated, left_out = dated_papers(papers, period)
    index = _period_index(dated, period)
    counts = dated.groupby("period").size().reindex(index, fill_value=0)
    complete = np.ones(len(index), dtype=bool)
    if len(index):
        last_day = dated["published"].max().normalize()
        complete[-1] = last_day >= index[-1].end_time.normalize()
    out = pd.DataFrame({"papers": counts.astype("int64"), "complete": complete}, index=index)
    out["share"] = (out["papers"] / max(1, int(out["papers"].sum()))).round(3)
    out["thin"] = out["papers"] < thin_below
    out.index = out.index.astype(str)
    out.index.name = "period"
    out.attrs["left_out"] = left_out
    return out


def keyword_patterns(keywords: Keywords) -> dict[str, re.Pattern[str]]:
    """One case-insensitive whole-word pattern per keyword group: a list is literal words or phrases (any of
    them), a string is a regular expression."""
    patterns = {}
    for name, spec in keywords.items():
        if isinstance(spec, str):
            body = spec
        elif spec:
            body = "|".join(re.escape(term) for term in spec)
        else:
            raise NbkitError(f"keyword group {name!r} is empty")
        try:
            patterns[name] = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
        except re.error as exc:
            raise NbkitError(f"keyword group {name!r}: invalid regular expression ({exc})") from None
    return patterns


def match_keywords(papers: pd.DataFrame, keywords: Keywords) -> pd.DataFrame:
    """Boolean table, one column per keyword group: does the paper's title or abstract mention it?"""
    text = (papers["title"].fillna("").astype(str) + "\n" + papers["abstract"].fillna("").astype(str)).tolist()
    return pd.DataFrame({name: [bool(pattern.search(t)) for t in text]
                         for name, pattern in keyword_patterns(keywords).items()}, index=papers.index)


def compute_keyword_trends(papers: pd.DataFrame, keywords: Keywords, period: str = "year",
                           thin_below: int = THIN_BELOW) -> pd.DataFrame:
    """Long table: period, keyword, papers mentioning it, papers in the period, share with its 95% interval
    (share_low, share_high; NaN share and [0, 1] for an empty period), complete, thin (fewer than `thin_below`
    dated papers in the period)."""
    counts = compute_period_counts(papers, period, thin_below)
    dated, _ = dated_papers(papers, period)
    hits = match_keywords(dated, keywords)
    hits["period"] = dated["period"].astype(str)
    per = hits.groupby("period").sum().reindex(counts.index, fill_value=0)
    names = list(keyword_patterns(keywords))
    out = pd.DataFrame({"period": np.repeat(counts.index.to_numpy(), len(names)),
                        "keyword": names * len(counts),
                        "papers": per[names].to_numpy().ravel().astype("int64"),
                        "period_papers": np.repeat(counts["papers"].to_numpy(), len(names))})
    out = pd.concat([out, share_columns(out["papers"], out["period_papers"])], axis=1)
    out["complete"] = np.repeat(counts["complete"].to_numpy(), len(names))
    out["thin"] = out["period_papers"] < thin_below
    return out


def compute_keyword_shares_by_collection(papers: pd.DataFrame, keywords: Keywords,
                                         thin_below: int = THIN_BELOW) -> pd.DataFrame:
    """Long table, collections sorted, keywords in the order given: collection, keyword, papers of the collection
    mentioning it, collection_papers, share with its 95% interval (share_low, share_high), thin (a collection of
    fewer than `thin_below` papers). All papers, dated or not; a paper in two collections counts in both.
    nbkit.stats.share_matrix(table, "collection", "keyword") gives the collections x keywords view."""
    hits = match_keywords(papers, keywords)
    names = list(hits.columns)
    hits["collection"] = papers["collections"].to_numpy()
    hits = hits.explode("collection").dropna(subset=["collection"])
    hits["collection"] = hits["collection"].astype(str)
    grouped = hits.groupby("collection", sort=True)
    sums, sizes = grouped[names].sum(), grouped.size()
    out = pd.DataFrame({"collection": np.repeat(sums.index.to_numpy(), len(names)),
                        "keyword": names * len(sums),
                        "papers": sums.to_numpy().ravel().astype("int64"),
                        "collection_papers": np.repeat(sizes.to_numpy(), len(names)).astype("int64")})
    out = pd.concat([out, share_columns(out["papers"], out["collection_papers"])], axis=1)
    out["thin"] = out["collection_papers"] < thin_below
    return out


def compute_topic_trends(papers: pd.DataFrame, assignments: pd.DataFrame, period: str = "year") -> pd.DataFrame:
    """Dated papers per period (rows) and topic (columns "id: label", " (unstable)" after the label of a topic the
    assignments flag unstable), outliers included as -1."""
    dated, _ = dated_papers(papers, period)
    names = topic_names(assignments)
    merged = dated[["paper_id", "period"]].merge(assignments[["paper_id", "topic"]], on="paper_id")
    merged["name"] = merged["topic"].astype("int64").map(names)
    table = pd.crosstab(merged["period"].astype(str), merged["name"])
    index = _period_index(dated, period).astype(str)
    order = [names[t] for t in sorted(names, key=lambda t: (t == -1, t))]
    table = table.reindex(index=index, columns=[c for c in order if c in table.columns], fill_value=0)
    table.index.name, table.columns.name = "period", "topic"
    return table.astype("int64")


def cochran_armitage(successes: np.ndarray, totals: np.ndarray, scores: np.ndarray | None = None) -> dict:
    """Cochran-Armitage test for a linear trend in proportions across ordered groups.

    Returns the slope of the proportion per unit score (size-weighted least squares), its standard error under
    no trend, z, and the two-sided normal p-value. z equals the usual Cochran-Armitage statistic.
    """
    from scipy.stats import norm

    x = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    t = np.arange(len(n), dtype=float) if scores is None else np.asarray(scores, dtype=float)
    N = n.sum()
    p = x.sum() / N if N else 0.0
    t_bar = (n * t).sum() / N if N else 0.0
    sxx = (n * (t - t_bar) ** 2).sum()
    if N == 0 or sxx == 0 or p in (0.0, 1.0):
        return {"slope": 0.0, "se": float("nan"), "z": 0.0, "p_value": 1.0}
    slope = ((t - t_bar) * x).sum() / sxx  # = sum n_i (t_i - t_bar)(p_i - p) / sxx
    se = np.sqrt(p * (1 - p) / sxx)
    z = slope / se
    return {"slope": float(slope), "se": float(se), "z": float(z), "p_value": float(2 * norm.sf(abs(z)))}


def _trend_statistics(counts: np.ndarray, totals: np.ndarray, min_papers: int) -> dict[str, np.ndarray]:
    """Cochran-Armitage per row of `counts` (topics x periods) against the periods' totals; p values of rows with
    fewer than min_papers papers are NaN (not tested), the others adjusted together (Benjamini-Hochberg)."""
    tests = [cochran_armitage(row, totals) for row in counts]
    slope = np.array([t["slope"] for t in tests], dtype=float)
    se = np.array([t["se"] for t in tests], dtype=float)
    p_value = np.array([t["p_value"] for t in tests], dtype=float)
    untested = counts.sum(axis=1) < min_papers if len(counts) else np.zeros(0, dtype=bool)
    se[untested] = np.nan
    p_value[untested] = np.nan
    return {"slope": slope, "se": se, "z": np.array([t["z"] for t in tests], dtype=float), "p_value": p_value,
            "p_adjusted": adjust_p_values(p_value)}


def compute_topic_trend_tests(papers: pd.DataFrame, assignments: pd.DataFrame, period: str = "year",
                              min_periods: int = 3, min_papers: int = 5) -> pd.DataFrame:
    """Rising and falling topics: for each topic, the Cochran-Armitage test for a trend in its share of the
    period's papers (periods scored 0, 1, 2, ...; empty periods carry no weight).

    Why this test: it uses every dated paper rather than per-period shares (so small periods weigh little), and it
    is the standard test for a trend in a proportion across ordered groups. slope is the change in share per
    period with a 95% confidence interval (normal approximation); p values are adjusted for testing every topic
    (Benjamini-Hochberg). trend is "rising" or "falling" when the adjusted p is below 0.05, else "no clear trend".
    A topic with fewer than `min_papers` dated papers is not tested (the normal approximation would be too rough;
    trend says so). An incomplete last period is left out: the test would read it as a drop. Sorted by z.
    """
    table = compute_topic_trends(papers, assignments, period)
    counts = compute_period_counts(papers, period)
    if len(counts) and not counts["complete"].iloc[-1]:
        table = table.iloc[:-1]
    columns = ["topic", "papers", "slope", "ci_low", "ci_high", "z", "p_value", "p_adjusted", "trend"]
    totals = table.sum(axis=1).to_numpy()
    if (totals > 0).sum() < min_periods:
        out = pd.DataFrame(columns=columns)
        out.attrs["note"] = (f"only {(totals > 0).sum()} complete {period}(s) with dated papers; a trend needs at "
                             f"least {min_periods}")
        return out
    names = [name for name in table.columns if not name.startswith("-1:")]
    out = pd.DataFrame({"topic": names, "papers": table[names].sum().to_numpy().astype("int64"),
                        **_trend_statistics(table[names].to_numpy().T, totals, min_papers)})
    tested = out["papers"] >= min_papers
    out["ci_low"] = out["slope"] - 1.96 * out["se"]
    out["ci_high"] = out["slope"] + 1.96 * out["se"]
    out["trend"] = np.where(~tested, f"too few dated papers (< {min_papers})",
                            np.where(out["p_adjusted"] >= 0.05, "no clear trend",
                                     np.where(out["topic"].str.endswith(UNSTABLE_MARK), "unstable topic: not called",
                                              np.where(out["slope"] > 0, "rising", "falling"))))
    out = out.sort_values(["z", "topic"], ascending=[False, True]).reset_index(drop=True)
    for column in ("slope", "ci_low", "ci_high"):
        out[column] = out[column].round(3)
    out["z"] = out["z"].round(2)
    out["p_value"] = out["p_value"].round(4)
    out["p_adjusted"] = out["p_adjusted"].round(4)
    out.attrs["note"] = f"{int(totals.sum())} dated papers in {len(table)} complete {period}(s)"
    return out[columns]


# --- topic shares, trend calls over resampled fits, emerging topics -------------------------------------------------

def _topic_info(assignments: pd.DataFrame) -> pd.DataFrame:
    """Per topic id (ascending, outliers last): label, unstable (False when the assignments carry no flag) and
    stability (NaN when not checked)."""
    frame = assignments.assign(topic=assignments["topic"].astype("int64"))
    first = frame.groupby("topic", sort=True).first()
    info = pd.DataFrame({"label": first["label"].astype(str),
                         "unstable": first["unstable"].fillna(False).astype(bool) if "unstable" in first else False,
                         "stability": first.get("topic_stability", np.nan)})
    info.loc[info.index == OUTLIER_TOPIC, "unstable"] = False
    return info.loc[sorted(info.index, key=lambda t: (t == OUTLIER_TOPIC, t))]


def compute_topic_shares(papers: pd.DataFrame, assignments: pd.DataFrame, period: str = "year",
                         thin_below: int = THIN_BELOW) -> pd.DataFrame:
    """Long table, periods in order and topics by id (outliers, -1, last): period, topic, label, unstable, papers
    of the topic, period_papers (dated papers with a topic or outliers), share with its 95% interval (share_low,
    share_high), complete, thin (fewer than `thin_below` dated papers in the period)."""
    dated, _ = dated_papers(papers, period)
    counts = compute_period_counts(papers, period, thin_below)
    info = _topic_info(assignments)
    merged = dated[["paper_id", "period"]].merge(assignments[["paper_id", "topic"]], on="paper_id")
    table = pd.crosstab(merged["period"].astype(str), merged["topic"].astype("int64"))
    table = table.reindex(index=counts.index, columns=info.index, fill_value=0)
    k = len(info)
    out = pd.DataFrame({"period": np.repeat(table.index.to_numpy(), k),
                        "topic": np.tile(info.index.to_numpy(), len(table)),
                        "label": np.tile(info["label"].to_numpy(), len(table)),
                        "unstable": np.tile(info["unstable"].to_numpy(), len(table)),
                        "papers": table.to_numpy().ravel().astype("int64"),
                        "period_papers": np.repeat(table.sum(axis=1).to_numpy(), k).astype("int64")})
    out = pd.concat([out, share_columns(out["papers"], out["period_papers"])], axis=1)
    out["complete"] = np.repeat(counts["complete"].to_numpy(), k)
    out["thin"] = out["period_papers"] < thin_below
    return out


def _complete_period_positions(papers: pd.DataFrame, assignments: pd.DataFrame,
                               period: str) -> tuple[np.ndarray, list[str]]:
    """For each row of `assignments`: the position of its paper's period among the complete periods (-1: no date,
    a date too coarse for the period, or the incomplete last period), and those periods' names."""
    counts = compute_period_counts(papers, period)
    complete = counts.index[counts["complete"].to_numpy()].tolist()
    dated, _ = dated_papers(papers, period)
    period_of = pd.Series(dated["period"].astype(str).to_numpy(), index=dated["paper_id"].to_numpy())
    position = pd.Series(np.arange(len(complete)), index=complete)
    positions = assignments["paper_id"].map(period_of).map(position).fillna(-1).astype("int64").to_numpy()
    return positions, complete


def _counts_by_period(positions: np.ndarray, members: np.ndarray, n_periods: int) -> np.ndarray:
    return np.bincount(positions[members & (positions >= 0)], minlength=n_periods)


TREND_CALL_COLUMNS = ["topic", "label", "unstable", "stability", "papers", "slope", "ci_low", "ci_high",
                      "p_adjusted", "direction", "held", "fits", "held_share", "call", "reason"]


def compute_topic_trend_calls(papers: pd.DataFrame, assignments: pd.DataFrame,
                              refits: Sequence[tuple[np.ndarray, np.ndarray]], period: str = "year",
                              hold: float = 0.8, alpha: float = 0.05, min_papers: int = 5, min_periods: int = 3,
                              match_threshold: float = 0.5) -> pd.DataFrame:
    """Rising and declining topics that survive resampling: compute_topic_trend_tests' test (Cochran-Armitage on
    the complete periods, Benjamini-Hochberg across topics, alpha) repeated in every resampled refit.

    `refits` are the stability check's refits (TopicSummary.refits): pairs (rows, labels), rows the sorted
    positions in `assignments` of the papers a refit saw, labels their topics in that refit. In each refit every
    topic of `assignments` is matched as the stability check does (nbkit.quality.recover_topics: the refit topic
    of best Jaccard >= match_threshold on the shared papers), the refit's papers in the matched topic stand for
    the topic, and the test is run on the refit's dated papers; a topic with no match does not hold in that refit.

    One row per topic (outliers left out), by topic id:
      topic, label, unstable, stability (share of refits in which the topic came back; NaN when not checked);
      papers: the topic's dated papers in complete periods; slope, ci_low, ci_high, p_adjusted: the test on all
      papers (slope: change in share per period, 95% interval);
      direction: "rising", "declining" or "flat", the sign of that slope;
      held: in how many refits the adjusted test held (p_adjusted < alpha) with a slope of that sign; fits: how
      many refits there were; held_share = held / fits;
      call: "rising" or "declining" when held >= hold * fits; "unstable" for a topic the assignments flag
      unstable, whatever the test says (it is never called); "no call" otherwise: a topic with fewer than
      min_papers dated papers, fewer than min_periods complete periods with dated papers, no refits, or a test
      that held too rarely; reason says which, and in how many fits of how many.
    """
    if not 0 < hold <= 1:
        raise NbkitError(f"hold is a share of the fits in (0, 1], not {hold}")
    positions, complete = _complete_period_positions(papers, assignments, period)
    n_periods = len(complete)
    reference = assignments["topic"].astype("int64").to_numpy()
    info = _topic_info(assignments)
    info = info[info.index != OUTLIER_TOPIC]
    topic_ids = info.index.to_numpy()
    everyone = np.ones(len(reference), dtype=bool)
    totals = _counts_by_period(positions, everyone, n_periods)
    counts = np.array([_counts_by_period(positions, reference == t, n_periods) for t in topic_ids]).reshape(
        len(topic_ids), n_periods)
    full = _trend_statistics(counts, totals, min_papers)

    held = np.zeros((2, len(topic_ids)), dtype="int64")  # rows: rising, declining
    for rows, labels in refits:
        rows, labels = np.asarray(rows, dtype="int64"), np.asarray(labels, dtype="int64")
        if len(rows) != len(labels):
            raise NbkitError(f"a refit gives {len(labels)} labels for {len(rows)} papers")
        match_of, _ = recover_topics(reference[rows], labels, match_threshold)
        sample = positions[rows]
        matched = np.array([match_of.get(int(t), NO_MATCH) != NO_MATCH for t in topic_ids], dtype=bool)
        if not matched.any():
            continue
        refit_counts = np.array([_counts_by_period(sample, labels == match_of[int(t)], n_periods)
                                 for t in topic_ids[matched]])
        test = _trend_statistics(refit_counts, _counts_by_period(sample, np.ones(len(rows), bool), n_periods),
                                 min_papers)
        holds = test["p_adjusted"] < alpha  # NaN (not tested) compares False
        held[0, matched] += holds & (test["slope"] > 0)
        held[1, matched] += holds & (test["slope"] < 0)

    fits = len(refits)
    direction = np.where(full["slope"] > 0, "rising", np.where(full["slope"] < 0, "declining", "flat"))
    held_dir = np.where(direction == "declining", held[1], held[0])
    periods_with_papers = int((totals > 0).sum())
    papers_n = counts.sum(axis=1).astype("int64")
    needed = math.ceil(hold * fits - 1e-9)
    calls, reasons = [], []
    for i in range(len(topic_ids)):
        held_text = f"held in {held_dir[i]} of {fits} fits"
        if info["unstable"].iloc[i]:
            calls.append("unstable"), reasons.append(f"topic flagged unstable: never called ({held_text})")
        elif periods_with_papers < min_periods:
            calls.append("no call"), reasons.append(f"only {periods_with_papers} complete {period}(s) with dated "
                                                    f"papers (< {min_periods})")
        elif papers_n[i] < min_papers:
            calls.append("no call"), reasons.append(f"too few dated papers (< {min_papers})")
        elif fits == 0:
            calls.append("no call"), reasons.append("no resampled fits to check the trend against")
        elif direction[i] == "flat":
            calls.append("no call"), reasons.append("no trend on all papers")
        elif held_dir[i] >= needed:
            calls.append(str(direction[i])), reasons.append(held_text)
        else:
            calls.append("no call"), reasons.append(f"{held_text} (< {hold:.0%})")
    se = full["se"]
    out = pd.DataFrame({
        "topic": topic_ids, "label": info["label"].to_numpy(), "unstable": info["unstable"].to_numpy(),
        "stability": info["stability"].to_numpy(dtype=float), "papers": papers_n,
        "slope": np.round(full["slope"], 3), "ci_low": np.round(full["slope"] - 1.96 * se, 3),
        "ci_high": np.round(full["slope"] + 1.96 * se, 3), "p_adjusted": np.round(full["p_adjusted"], 4),
        "direction": direction, "held": held_dir.astype("int64"), "fits": fits,
        "held_share": np.round(held_dir / fits, 2) if fits else np.nan, "call": calls, "reason": reasons,
    }, columns=TREND_CALL_COLUMNS)
    out.attrs["note"] = (f"{int(totals.sum())} dated papers in {n_periods} complete {period}(s); a call needs the "
                         f"adjusted test (p < {alpha}) to hold in at least {hold:.0%} of {fits} resampled fits")
    return out


EMERGING_COLUMNS = ["topic", "label", "unstable", "earlier_papers", "earlier_total", "recent_papers", "recent_total",
                    "earlier_share", "recent_share", "difference", "diff_low", "diff_high", "p_value", "p_adjusted",
                    "first_period", "absent_before", "call", "reason"]


def compute_emerging_topics(papers: pd.DataFrame, assignments: pd.DataFrame, period: str = "year",
                            recent: int = 1, alpha: float = 0.05, min_papers: int = 5,
                            thin_below: int = THIN_BELOW) -> pd.DataFrame:
    """Topics whose share of the last `recent` complete periods clearly exceeds their share of the earlier ones.

    Which periods: only complete ones. The last period is incomplete when its end is after the newest paper date
    (compute_period_counts); it is left out, or a topic would seem to shrink because the data stops. The recent
    window is the last `recent` complete periods, "earlier" every complete period before it.

    The test: Fisher's exact test, one-sided (recent share greater), on the 2 x 2 table of the topic's papers
    and the other dated papers in the two windows; exact, so it holds for a handful of papers. p values are
    adjusted across the tested topics (Benjamini-Hochberg). The difference of the shares has a 95% interval by
    Newcombe's hybrid score method (nbkit.stats.difference_interval).

    One row per topic (outliers left out), by topic id: topic, label, unstable; earlier_papers, earlier_total,
    recent_papers, recent_total (the topic's and all dated papers in each window); earlier_share, recent_share,
    difference (recent - earlier), diff_low, diff_high; p_value, p_adjusted; first_period (the first complete
    period with a paper of the topic); absent_before: that period again when the topic had no paper before it
    although the earlier periods held at least `thin_below` dated papers (a topic that appeared then; "" else);
    call: "emerging" when p_adjusted < alpha and diff_low > 0; "unstable" for a topic flagged unstable (never
    called); "no call" otherwise, with the reason (fewer than min_papers papers in the two windows, a recent
    window of fewer than thin_below dated papers, no earlier period, or no clear rise).
    """
    from scipy.stats import fisher_exact

    if recent < 1:
        raise NbkitError(f"recent is a number of periods, at least 1, not {recent}")
    positions, complete = _complete_period_positions(papers, assignments, period)
    reference = assignments["topic"].astype("int64").to_numpy()
    info = _topic_info(assignments)
    info = info[info.index != OUTLIER_TOPIC]
    n_periods = len(complete)
    totals = _counts_by_period(positions, np.ones(len(reference), dtype=bool), n_periods)
    counts = np.array([_counts_by_period(positions, reference == t, n_periods) for t in info.index]).reshape(
        len(info), n_periods)
    split = n_periods - recent
    if split < 1:
        out = pd.DataFrame(columns=EMERGING_COLUMNS)
        out.attrs["note"] = (f"{n_periods} complete {period}(s): comparing the last {recent} with earlier ones "
                             f"needs at least {recent + 1}")
        return out
    ek, rk = counts[:, :split].sum(axis=1), counts[:, split:].sum(axis=1)
    en, rn = int(totals[:split].sum()), int(totals[split:].sum())
    low, high = difference_interval(rk, rn, ek, en)
    tested = (ek + rk >= min_papers) & (rn >= thin_below) & (en > 0)
    p_value = np.array([fisher_exact([[r, rn - r], [e, en - e]], alternative="greater").pvalue if ok else np.nan
                        for r, e, ok in zip(rk.tolist(), ek.tolist(), tested.tolist(), strict=True)])
    p_adjusted = adjust_p_values(p_value)
    present = counts > 0
    first = np.where(present.any(axis=1), present.argmax(axis=1), -1)
    before = np.concatenate([[0], np.cumsum(totals)])  # dated papers before each period
    absent_before = [complete[f] if f > 0 and before[f] >= thin_below else "" for f in first.tolist()]
    calls, reasons = [], []
    for i in range(len(info)):
        if info["unstable"].iloc[i]:
            calls.append("unstable"), reasons.append("topic flagged unstable: never called")
        elif rn < thin_below:
            calls.append("no call"), reasons.append(f"recent {period}(s) hold {rn} dated papers (< {thin_below})")
        elif ek[i] + rk[i] < min_papers:
            calls.append("no call"), reasons.append(f"too few dated papers (< {min_papers})")
        elif p_adjusted[i] < alpha and low[i] > 0:
            calls.append("emerging"), reasons.append(f"Fisher's exact test, adjusted p = {p_adjusted[i]:.2g}")
        else:
            calls.append("no call"), reasons.append("no clear rise")
    earlier_share = ek / en if en else np.full(len(ek), np.nan)
    recent_share = rk / rn if rn else np.full(len(rk), np.nan)
    out = pd.DataFrame({
        "topic": info.index.to_numpy(), "label": info["label"].to_numpy(), "unstable": info["unstable"].to_numpy(),
        "earlier_papers": ek.astype("int64"), "earlier_total": en, "recent_papers": rk.astype("int64"),
        "recent_total": rn, "earlier_share": np.round(earlier_share, 3), "recent_share": np.round(recent_share, 3),
        "difference": np.round(recent_share - earlier_share, 3), "diff_low": np.round(low, 3),
        "diff_high": np.round(high, 3), "p_value": np.round(p_value, 4), "p_adjusted": np.round(p_adjusted, 4),
        "first_period": [complete[f] if f >= 0 else "" for f in first.tolist()], "absent_before": absent_before,
        "call": calls, "reason": reasons,
    }, columns=EMERGING_COLUMNS)
    window = complete[split] if recent == 1 else f"{complete[split]} to {complete[-1]}"
    out.attrs["note"] = (f"recent: {window} ({rn} dated papers); earlier: {complete[0]} to {complete[split - 1]} "
                         f"({en} dated papers); only complete {period}s")
    return out


def compute_dated_by_collection(listings: pd.DataFrame, papers: pd.DataFrame) -> pd.DataFrame:
    """Per collection (sorted): listings, listings that carry a date on that page, and papers of the collection
    that have a date from any listing (a paper listed on two pages takes its date from either)."""
    own = listings.assign(dated=listings["published"].notna()).groupby("collection", sort=True)["dated"]
    frame = pd.DataFrame({"collection": papers["collections"].to_numpy(), "dated": papers["published"].notna()})
    frame = frame.explode("collection").groupby("collection")["dated"]
    out = pd.DataFrame({"listings": own.size(), "dated_listings": own.sum().astype("int64")})
    out["share_dated"] = (out["dated_listings"] / out["listings"]).round(3)
    out["papers"] = frame.size().reindex(out.index, fill_value=0).astype("int64")
    out["papers_dated"] = frame.sum().reindex(out.index, fill_value=0).astype("int64")
    out.index = out.index.astype(str)
    out.index.name = "collection"
    return out


def coverage_sentence(coverage: pd.DataFrame, by_collection: pd.DataFrame | None = None) -> str:
    """The date coverage in words, for the top of a trends report."""
    total = int(coverage["papers"].sum())
    undated = int(coverage.loc["no date", "papers"])
    inferred = int(coverage.loc["year inferred", "papers"])
    dated = total - undated
    text = (f"{dated} of {total} papers ({dated / total:.0%}) have a date"
            + (f", {inferred} of them with a year nbkit inferred" if inferred else "")
            + f"; {undated} {'has' if undated == 1 else 'have'} none and "
            + f"{'is' if undated == 1 else 'are'} left out of every count over time.") if total else "No papers."
    if by_collection is not None and dated:
        with_dates = by_collection.index[by_collection["dated_listings"] > 0].tolist()
        if len(with_dates) < len(by_collection):
            text += (f" Only {len(with_dates)} of {len(by_collection)} collections "
                     f"{'carries' if len(with_dates) == 1 else 'carry'} dates on their pages "
                     f"({', '.join(with_dates)}): trends over time describe mostly those, not the whole corpus.")
    return text


def keyword_share_table(trend: pd.DataFrame) -> pd.DataFrame:
    """compute_keyword_trends as a wide table: periods (rows) by keywords (columns), shares of the period's papers."""
    table = trend.pivot(index="period", columns="keyword", values="share")
    return table[list(dict.fromkeys(trend["keyword"]))]
