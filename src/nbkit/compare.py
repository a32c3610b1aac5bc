"""Comparing the parts of a corpus: who writes about what, and which words set a group apart.

    counts = compute_collection_topic_counts(assignments, papers)   # collections x "topic: label"
    compute_collection_topic_shares(counts)         # long: share of each collection's papers, 95% interval
    compute_association(counts)                     # chi2, dof, p_value, cramers_v, n, min_expected, warning
    compute_standardized_residuals(counts)          # where the association sits, cell by cell
    compute_collection_jaccard(papers)              # how much the collections share
    compute_distinctive_terms(texts, groups)        # log-odds with an informative Dirichlet prior, per group

How good and how stable the topics themselves are is nbkit.quality's job. Everything here is a pure function of
its arguments; compute_* functions return DataFrames with a fixed row order and rounded floats, so notebook outputs
are stable.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError
from nbkit.quality import OUTLIER_TOPIC, topic_names
from nbkit.stats import THIN_BELOW, share_columns


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NbkitError(f"{name} lacks column(s) {', '.join(missing)}")


def _topic_order(topic: int) -> tuple[bool, int]:
    return topic == OUTLIER_TOPIC, topic  # outliers last, like the topic table


# --- collections x topics ------------------------------------------------------------------------------------------

def compute_collection_topic_counts(assignments: pd.DataFrame, papers: pd.DataFrame) -> pd.DataFrame:
    """Papers per collection (rows, sorted) and topic (columns "topic: label", outliers last, " (unstable)" after
    the label of a topic the assignments flag unstable); a paper listed in two collections counts in both, a paper
    in none counts nowhere."""
    _require_columns(assignments, ("paper_id", "topic", "label"), "assignments")
    _require_columns(papers, ("paper_id", "collections"), "papers")
    for frame, name in ((assignments, "assignments"), (papers, "papers")):
        if frame["paper_id"].duplicated().any():
            raise NbkitError(f"{name} lists some paper_id more than once")
    unknown = set(assignments["paper_id"]) - set(papers["paper_id"])
    if unknown:  # a silent inner join would drop them from every count
        raise NbkitError(f"{len(unknown)} assigned paper(s) are not in papers, e.g. {sorted(map(str, unknown))[0]}")
    topics = assignments["topic"].astype("int64")
    label_counts = assignments.groupby(topics)["label"].nunique()
    if (label_counts > 1).any():
        raise NbkitError(f"topic {int(label_counts[label_counts > 1].index[0])} has more than one label")
    names = topic_names(assignments)
    order = sorted(names, key=_topic_order)

    frame = pd.DataFrame({"paper_id": assignments["paper_id"].to_numpy(), "topic": topics.to_numpy()})
    frame = frame.merge(papers[["paper_id", "collections"]], on="paper_id", how="left")
    frame = frame.explode("collections").dropna(subset=["collections"])
    table = pd.crosstab(frame["collections"].astype(str), frame["topic"])
    table = table.reindex(index=sorted(table.index), columns=order, fill_value=0)
    table.columns = pd.Index([names[t] for t in order], name="topic")
    table.index.name = "collection"
    return table.astype("int64")


def compute_collection_topic_shares(counts: pd.DataFrame, thin_below: int = THIN_BELOW) -> pd.DataFrame:
    """A counts table (compute_collection_topic_counts) as a long table of row shares, rows then columns in the
    table's order: collection, topic, papers, collection_papers (the row's total), share with its 95% interval
    (share_low, share_high; nbkit.stats states the rule; NaN share and [0, 1] for a row with no papers), thin (a
    collection of fewer than `thin_below` papers). nbkit.stats.share_matrix(table, "collection", "topic") gives
    the collections x topics view."""
    values = _whole_counts(counts)
    rows, columns = counts.index.astype(str).to_numpy(), counts.columns.astype(str).to_numpy()
    totals = values.sum(axis=1)
    out = pd.DataFrame({"collection": np.repeat(rows, len(columns)), "topic": np.tile(columns, len(rows)),
                        "papers": values.ravel(), "collection_papers": np.repeat(totals, len(columns))})
    out = pd.concat([out, share_columns(out["papers"], out["collection_papers"])], axis=1)
    out["thin"] = out["collection_papers"] < thin_below
    return out


def _whole_counts(counts: pd.DataFrame | np.ndarray) -> np.ndarray:
    values = np.asarray(counts, dtype="float64")
    if values.ndim != 2:
        raise NbkitError(f"a contingency table has two dimensions, not {values.ndim}")
    if not np.isfinite(values).all() or (values < 0).any() or (values != np.round(values)).any():
        raise NbkitError("a contingency table holds counts: whole numbers of zero or more")
    return values.astype("int64")


def compute_association(counts: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """Chi-square test of independence of rows and columns, and Cramér's V, as one row.

    Rows or columns with no papers are left out first (they carry no information, and scipy cannot test a zero
    expected count). No Yates continuity correction, even for 2 x 2 tables: Cramér's V and the standardized
    residuals are defined on the uncorrected statistic, and all three should tell the same story. `warning` is
    empty unless more than 20% of the expected counts are below 5 (Cochran's rule), when the chi-square p-value is
    unreliable. p_value keeps 4 significant digits, since 4 decimals would print most real p-values as 0.
    """
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    observed = _whole_counts(counts)
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    if observed.shape[0] < 2 or observed.shape[1] < 2:  # one collection (or topic): nothing to compare, say so
        return pd.DataFrame([{"chi2": math.nan, "dof": 0, "p_value": math.nan, "cramers_v": math.nan,
                              "n": int(observed.sum()), "min_expected": math.nan,
                              "warning": f"no test: a chi-square test needs two non-empty rows and columns; "
                                         f"the table has {observed.shape[0]} x {observed.shape[1]}"}])
    result = chi2_contingency(observed, correction=False)
    expected = result.expected_freq
    small = int((expected < 5).sum())
    warning = ""
    if small > 0.2 * expected.size:
        warning = (f"{small} of {expected.size} expected counts ({small / expected.size:.0%}) are below 5: "
                   f"the chi-square p-value is unreliable; merge small rows or columns")
    return pd.DataFrame([{
        "chi2": round(float(result.statistic), 3),
        "dof": int(result.dof),
        "p_value": float(f"{result.pvalue:.4g}"),
        "cramers_v": round(float(association(observed, method="cramer", correction=False)), 3),
        "n": int(observed.sum()),
        "min_expected": round(float(expected.min()), 3),
        "warning": warning,
    }])


def compute_standardized_residuals(counts: pd.DataFrame) -> pd.DataFrame:
    """Adjusted standardized residuals (Agresti): (O - E) / sqrt(E (1 - row/n) (1 - col/n)), 2 decimals.

    Under independence each is roughly standard normal, so |r| > 2 marks a cell with clearly more (or fewer)
    papers than the margins predict. Cells of an empty row or column, where the formula divides by zero, are NaN.
    """
    observed = _whole_counts(counts).astype("float64")
    n = observed.sum()
    if n == 0:
        raise NbkitError("the table holds no counts")
    rows = observed.sum(axis=1, keepdims=True)
    cols = observed.sum(axis=0, keepdims=True)
    expected = rows @ cols / n
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = (observed - expected) / np.sqrt(expected * (1 - rows / n) * (1 - cols / n))
    residuals[~np.isfinite(residuals)] = np.nan
    index = getattr(counts, "index", None)
    columns = getattr(counts, "columns", None)
    return pd.DataFrame(residuals, index=index, columns=columns).round(2)


def compute_collection_jaccard(papers: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of collections (sorted): papers in each, papers in both, in either, and their Jaccard
    index (3 decimals)."""
    _require_columns(papers, ("paper_id", "collections"), "papers")
    exploded = papers[["paper_id", "collections"]].explode("collections").dropna()
    members = {str(name): set(group["paper_id"]) for name, group in exploded.groupby("collections")}
    rows = []
    for a, b in itertools.combinations(sorted(members), 2):
        shared, union = len(members[a] & members[b]), len(members[a] | members[b])
        rows.append({"collection_a": a, "collection_b": b, "papers_a": len(members[a]),
                     "papers_b": len(members[b]), "shared": shared, "union": union,
                     "jaccard": round(shared / union, 3)})
    columns = ["collection_a", "collection_b", "papers_a", "papers_b", "shared", "union", "jaccard"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({c: "int64" for c in ("papers_a", "papers_b", "shared", "union")})


# --- distinctive terms ---------------------------------------------------------------------------------------------

def _memberships(groups: Sequence[str | Sequence[str]]) -> list[frozenset[str]]:
    out = []
    for entry in groups:
        if isinstance(entry, str):
            out.append(frozenset([entry]))
        elif isinstance(entry, Iterable):
            out.append(frozenset(str(g) for g in entry))
        else:
            raise NbkitError(f"a text's groups are a name or a list of names, not {entry!r}")
    return out


def compute_distinctive_terms(texts: Sequence[str], groups: Sequence[str | Sequence[str]], top_n: int = 15,
                              alpha0: float | None = None, vectorizer: Any = None) -> pd.DataFrame:
    """The words that most set each group apart from the rest of the corpus: weighted log-odds ratios with an
    informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eq. 16-22).

    groups gives each text's group, or a list of them (a text in two groups counts in both; in no group, only in
    the rests). Word counts come from `vectorizer` (a copy is fitted; default: scikit-learn's CountVectorizer with
    English stopwords, lower-cased unigrams). The prior is the corpus itself: a_w = alpha0 * (count of w / all
    counts). alpha0 defaults to the corpus token count, so a_w is w's corpus count, the paper's informative prior;
    it shrinks rare words strongly towards "not distinctive" and still lets a frequent word score. A smaller alpha0
    trusts the group counts more. Per group: group, rank, term, count_in_group, count_in_rest, log_odds (delta),
    z = delta / sqrt(var); top_n terms that occur in the group, largest z first, ties by term.
    """
    from sklearn.base import clone
    from sklearn.feature_extraction.text import CountVectorizer

    texts = list(texts)
    members = _memberships(groups)
    if len(members) != len(texts):
        raise NbkitError(f"{len(texts)} texts but {len(members)} group entries")
    if top_n < 1:
        raise NbkitError(f"top_n must be at least 1, not {top_n}")
    vec = clone(vectorizer) if vectorizer is not None else CountVectorizer(stop_words="english")
    try:
        X = vec.fit_transform(texts).tocsr()
    except ValueError as exc:  # "empty vocabulary; perhaps the documents only contain stop words"
        raise NbkitError(f"no words to count: {exc}") from exc
    terms = np.asarray(vec.get_feature_names_out())
    y = np.asarray(X.sum(axis=0), dtype="float64").ravel()
    used = y > 0  # a fixed vocabulary can hold words the corpus never uses; they have no prior and no counts
    X, terms, y = X[:, used], terms[used], y[used]
    if len(terms) < 2:
        raise NbkitError("the log-odds ratio needs a vocabulary of at least two words")
    n = y.sum()
    a0 = n if alpha0 is None else float(alpha0)
    if a0 <= 0:
        raise NbkitError(f"alpha0 must be positive, not {alpha0}")
    a = a0 * y / n

    frames = []
    columns = ["group", "rank", "term", "count_in_group", "count_in_rest", "log_odds", "z"]
    for group in sorted(set().union(*members)):
        mask = np.fromiter((group in m for m in members), dtype=bool, count=len(members))
        y_i = np.asarray(X[mask].sum(axis=0), dtype="float64").ravel()
        y_j = y - y_i
        n_i, n_j = y_i.sum(), y_j.sum()
        if n_j == 0:  # the group is the whole corpus: there is no rest to set it apart from
            continue
        delta = np.log((y_i + a) / (n_i + a0 - y_i - a)) - np.log((y_j + a) / (n_j + a0 - y_j - a))
        z = delta / np.sqrt(1 / (y_i + a) + 1 / (y_j + a))
        frame = pd.DataFrame({"group": group, "term": terms, "count_in_group": y_i.astype("int64"),
                              "count_in_rest": y_j.astype("int64"), "log_odds": np.round(delta, 3),
                              "z": np.round(z, 3)})
        # a word the group never uses describes the rest, not the group; sorting on the rounded z makes ties
        # that differ only in the last float bits fall back to the term, the same on every machine
        frame = (frame[frame["count_in_group"] > 0]
                 .sort_values(["z", "term"], ascending=[False, True], kind="stable")
                 .head(top_n))
        frames.append(frame.assign(rank=np.arange(1, len(frame) + 1)))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
