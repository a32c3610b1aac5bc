"""Trends: what the dates can support, counts per period, keyword and topic shares, and rising or falling topics.

    coverage = compute_date_coverage(papers)                 # exact, month, year, inferred, no date
    compute_period_counts(papers, "quarter")                 # papers per period; incomplete last period flagged
    compute_keyword_trends(papers, {"agents": ["agent", "agents"], "rl": r"reinforcement learning|rl"}, "year")
    compute_topic_trend_tests(papers, assignments, "year")   # Cochran-Armitage trend test per topic

Only dated papers are counted in periods, and every table says how many were left out. A date known only to the
year cannot be placed in a month or a quarter: it is left out of finer periods (and counted as such).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError
from nbkit.quality import UNSTABLE_MARK, topic_names

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


def compute_period_counts(papers: pd.DataFrame, period: str = "year") -> pd.DataFrame:
    """Papers per period, every period from the first to the last included, with `complete` False for a last
    period that the data stops inside (the latest date is before the period's last day): a short last bar is
    then less data, not a drop. Left-out papers are in `.attrs["left_out"]`."""
    dated, left_out = dated_papers(papers, period)
    index = _period_index(dated, period)
    counts = dated.groupby("period").size().reindex(index, fill_value=0)
    complete = np.ones(len(index), dtype=bool)
    if len(index):
        last_day = dated["published"].max().normalize()
        complete[-1] = last_day >= index[-1].end_time.normalize()
    out = pd.DataFrame({"papers": counts.astype("int64"), "complete": complete}, index=index)
    out["share"] = (out["papers"] / max(1, int(out["papers"].sum()))).round(3)
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


def compute_keyword_trends(papers: pd.DataFrame, keywords: Keywords, period: str = "year") -> pd.DataFrame:
    """Long table: period, keyword, papers mentioning it, papers in the period, share (3 decimals), complete."""
    counts = compute_period_counts(papers, period)
    dated, _ = dated_papers(papers, period)
    hits = match_keywords(dated, keywords)
    hits["period"] = dated["period"].astype(str)
    per = hits.groupby("period").sum().reindex(counts.index, fill_value=0)
    rows = [{"period": p, "keyword": k, "papers": int(per.at[p, k]), "period_papers": int(counts.at[p, "papers"]),
             "share": round(per.at[p, k] / counts.at[p, "papers"], 3) if counts.at[p, "papers"] else 0.0,
             "complete": bool(counts.at[p, "complete"])}
            for p in counts.index for k in keyword_patterns(keywords)]
    return pd.DataFrame(rows, columns=["period", "keyword", "papers", "period_papers", "share", "complete"])


def compute_keyword_shares_by_collection(papers: pd.DataFrame, keywords: Keywords) -> pd.DataFrame:
    """Share of each collection's papers (rows, sorted) that mention each keyword group (columns); all papers,
    dated or not. A paper in two collections counts in both."""
    hits = match_keywords(papers, keywords)
    hits["collection"] = papers["collections"].to_numpy()
    hits = hits.explode("collection")
    grouped = hits.groupby("collection", sort=True)
    out = grouped.mean().round(3)
    out.insert(0, "papers", grouped.size())
    out.index = out.index.astype(str)
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
    from scipy.stats import false_discovery_control

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
    rows = []
    for name in table.columns:
        if name.startswith("-1:"):
            continue
        test = cochran_armitage(table[name].to_numpy(), totals)
        rows.append({"topic": name, "papers": int(table[name].sum()), **test})
    out = pd.DataFrame(rows)
    tested = out["papers"] >= min_papers
    out.loc[~tested, ["p_value", "se"]] = np.nan
    out["ci_low"] = out["slope"] - 1.96 * out["se"]
    out["ci_high"] = out["slope"] + 1.96 * out["se"]
    out["p_adjusted"] = np.nan
    if tested.any():
        out.loc[tested, "p_adjusted"] = false_discovery_control(out.loc[tested, "p_value"].to_numpy())
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
