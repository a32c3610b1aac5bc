"""Comparing collections and topic models: who writes about what, which words set a group apart, how good and how
stable the topics are.

    counts = compute_collection_topic_counts(assignments, papers)   # collections x "topic: label"
    compute_association(counts)                     # chi2, dof, p_value, cramers_v, n, min_expected, warning
    compute_standardized_residuals(counts)          # where the association sits, cell by cell
    compute_collection_jaccard(papers)              # how much the collections share
    compute_distinctive_terms(texts, groups)        # log-odds with an informative Dirichlet prior, per group
    npmi_coherence(topic_words, documents); topic_diversity(topic_words)
    fit_baseline(texts, "lda", 10)                  # LDA / NMF to compare BERTopic with
    compute_model_card([...])                       # one row per model: outliers, NPMI, diversity, seconds
    compute_topic_stability([run0, run1, run2])     # ARI between seeds, and which topics come back

Everything here is a pure function of its arguments (the baselines fit scikit-learn models, nothing else does);
compute_* functions return DataFrames with a fixed row order and rounded floats, so notebook outputs are stable.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError

OUTLIER_TOPIC = -1
BASELINES = ("lda", "nmf")
MODEL_CARD_KEYS = ("model", "topic_words", "doc_topics", "fit_seconds", "documents")


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NbkitError(f"{name} lacks column(s) {', '.join(missing)}")


def _topic_order(topic: int) -> tuple[bool, int]:
    return topic == OUTLIER_TOPIC, topic  # outliers last, like the topic table


# --- collections x topics ------------------------------------------------------------------------------------------

def compute_collection_topic_counts(assignments: pd.DataFrame, papers: pd.DataFrame) -> pd.DataFrame:
    """Papers per collection (rows, sorted) and topic (columns "topic: label", outliers last); a paper listed in
    two collections counts in both, a paper in none counts nowhere."""
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
    labels = dict(zip(topics, assignments["label"].astype(str), strict=True))
    order = sorted(labels, key=_topic_order)

    frame = pd.DataFrame({"paper_id": assignments["paper_id"].to_numpy(), "topic": topics.to_numpy()})
    frame = frame.merge(papers[["paper_id", "collections"]], on="paper_id", how="left")
    frame = frame.explode("collections").dropna(subset=["collections"])
    table = pd.crosstab(frame["collections"].astype(str), frame["topic"])
    table = table.reindex(index=sorted(table.index), columns=order, fill_value=0)
    table.columns = pd.Index([f"{t}: {labels[t]}" for t in order], name="topic")
    table.index.name = "collection"
    return table.astype("int64")


def compute_collection_topic_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """Each row of a counts table as shares of its total (3 decimals); a row with no papers stays NaN."""
    totals = counts.sum(axis=1)
    return counts.div(totals.where(totals > 0), axis=0).astype("float64").round(3)


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


# --- topic quality -------------------------------------------------------------------------------------------------

def _term(word: str) -> str:
    return " ".join(str(word).lower().split())


def _top_terms(words: Sequence[str], n: int) -> list[str]:
    """The first n distinct, non-empty terms, normalized (BERTopic pads short topics with "")."""
    out: list[str] = []
    for word in words:
        term = _term(word)
        if term and term not in out:
            out.append(term)
        if len(out) == n:
            break
    return out


def _document_terms(document: str | Sequence[str] | set[str] | frozenset[str], longest: int) -> set[str]:
    """The terms of up to `longest` words that a document contains."""
    if isinstance(document, str):
        from nbkit.topics import PhraseAnalyzer

        # the tokenizer BERTopic's terms come from: same words, and no phrase across ". " or "("; no stopwords
        # are removed, since a topic term never contains one anyway
        return set(PhraseAnalyzer((), (1, longest))(document))
    if isinstance(document, set | frozenset):
        return {_term(t) for t in document}  # already the document's terms; phrases only if the caller put them
    if not isinstance(document, Iterable):
        raise NbkitError(f"a reference document is a string, a token list or a set of terms, not {document!r}")
    tokens = [str(t).lower() for t in document]
    return {" ".join(tokens[i:i + k]) for k in range(1, longest + 1) for i in range(len(tokens) - k + 1)}


def _npmi(n_a: int, n_b: int, n_ab: int, n_docs: int) -> float:
    if n_ab == 0:
        return -1.0  # never together: the limit of NPMI as p(a, b) -> 0
    if n_ab == n_docs:
        return 1.0  # both in every document: -log p(a, b) = 0, and they always occur together
    pmi = math.log(n_ab * n_docs / (n_a * n_b))
    return min(1.0, max(-1.0, pmi / math.log(n_docs / n_ab)))  # clip float noise at the bounds


def npmi_coherence(topic_words: Sequence[Sequence[str]],
                   documents: Sequence[str | Sequence[str] | set[str] | frozenset[str]],
                   top_n: int = 10) -> list[float]:
    """NPMI coherence of each topic: the mean over pairs of its top_n terms of
    NPMI(a, b) = log(p(a, b) / (p(a) p(b))) / -log p(a, b), with p the share of reference documents that contain
    the term(s) (boolean co-occurrence within a whole document, as in Röder et al. 2015's C_NPMI).

    Conventions: NPMI = -1 when a and b never occur together (the limit as p(a, b) -> 0; this includes a term the
    corpus lacks, which so marks its topic as incoherent), and 1 when both occur in every document (always
    together). A topic with fewer than two terms has no pairs: NaN. Terms are lower-cased; duplicates and empty
    terms are dropped before taking the top_n.

    A document is a string, tokenized like BERTopic's terms (nbkit.topics.PhraseAnalyzer: lower-cased words, no
    phrase across a clause break), a token sequence, or a set of its terms. A multi-word term such as "speech
    recognition" occurs in a string or token sequence when its words occur next to each other, in this order; in a
    set, when the set holds the joined phrase.
    """
    topics = [_top_terms(words, top_n) for words in topic_words]
    n_docs = len(documents)
    if n_docs == 0:
        raise NbkitError("NPMI needs reference documents")
    needed = set().union(*topics) if topics else set()
    longest = max((len(t.split()) for t in needed), default=1)
    presence = {t: np.zeros(n_docs, dtype=bool) for t in needed}
    for i, document in enumerate(documents):
        for term in _document_terms(document, longest) & needed:
            presence[term][i] = True
    counts = {t: int(v.sum()) for t, v in presence.items()}
    scores = []
    for terms in topics:
        pairs = [_npmi(counts[a], counts[b], int((presence[a] & presence[b]).sum()), n_docs)
                 for a, b in itertools.combinations(terms, 2)]
        scores.append(float(np.mean(pairs)) if pairs else math.nan)
    return scores


def topic_diversity(topic_words: Sequence[Sequence[str]], k: int = 10) -> float:
    """Distinct terms among every topic's top k / all those top terms (Dieng et al. 2020): 1 when no two topics
    share a top term. The denominator counts the terms actually taken, which is k * topics unless a topic has
    fewer than k terms; such a topic then does not read as overlap."""
    tops = [_top_terms(words, k) for words in topic_words]
    taken = sum(len(t) for t in tops)
    if taken == 0:
        raise NbkitError("topic diversity needs at least one topic term")
    return len(set().union(*tops)) / taken


# --- baselines and the model card ----------------------------------------------------------------------------------

@dataclass
class BaselineResult:
    """A fitted LDA or NMF: each topic's top words, each document's topic (-1: no known word), fit time."""

    kind: str
    topic_words: list[list[str]]
    doc_topics: np.ndarray
    fit_seconds: float
    model: Any = field(repr=False, default=None)
    vectorizer: Any = field(repr=False, default=None)

    def card_row(self, documents: Sequence[Any], name: str | None = None) -> dict[str, Any]:
        """This model as a row for compute_model_card."""
        return {"model": name or self.kind, "topic_words": self.topic_words, "doc_topics": self.doc_topics,
                "fit_seconds": self.fit_seconds, "documents": documents}


def _baseline_vectorizer() -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    from nbkit.topics import TOKEN_PATTERN, stopwords

    # the words BERTopic's terms are drawn from (same token pattern and stopwords), so top words are comparable
    return CountVectorizer(token_pattern=TOKEN_PATTERN, stop_words=sorted(stopwords()))


def fit_baseline(texts: Sequence[str], kind: str, n_topics: int, seed: int = 0, top_n: int = 10,
                 vectorizer: Any = None) -> BaselineResult:
    """A classic topic model to hold BERTopic against: "lda" (LatentDirichletAllocation on word counts) or "nmf"
    (NMF on TF-IDF of the same counts, init="nndsvda"), both seeded with `seed`.

    `vectorizer` turns texts into word counts (a copy is fitted; default: nbkit's topic tokenizer and stopwords,
    unigrams). A document's topic is its largest weight, or -1 when it has no word in the vocabulary (both models
    would otherwise put it in topic 0). fit_seconds covers counting, fitting and assigning.
    """
    from sklearn.base import clone
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfTransformer

    if kind not in BASELINES:
        raise NbkitError(f"baseline kind {kind!r} is not one of {', '.join(BASELINES)}")
    if n_topics < 1 or top_n < 1:
        raise NbkitError(f"n_topics and top_n must be at least 1, not {n_topics} and {top_n}")
    vec = clone(vectorizer) if vectorizer is not None else _baseline_vectorizer()
    start = time.perf_counter()
    try:
        counts = vec.fit_transform(list(texts))
    except ValueError as exc:
        raise NbkitError(f"no words to model: {exc}") from exc
    if kind == "lda":
        model = LatentDirichletAllocation(n_components=n_topics, random_state=seed)
        weights = model.fit_transform(counts)
    else:
        if n_topics > min(counts.shape):  # nndsvda cannot make more components than documents or words
            raise NbkitError(f"NMF with {n_topics} topics needs at least that many documents and words; "
                             f"there are {counts.shape[0]} and {counts.shape[1]}")
        model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=500)
        weights = model.fit_transform(TfidfTransformer().fit_transform(counts))
    doc_topics = np.argmax(weights, axis=1).astype("int64")
    doc_topics[np.asarray(counts.sum(axis=1)).ravel() == 0] = OUTLIER_TOPIC
    seconds = time.perf_counter() - start
    terms = vec.get_feature_names_out()
    order = np.argsort(-model.components_, axis=1, kind="stable")[:, :top_n]  # ties: vocabulary order
    return BaselineResult(kind=kind, topic_words=[[str(terms[i]) for i in row] for row in order],
                          doc_topics=doc_topics, fit_seconds=seconds, model=model, vectorizer=vec)


def compute_model_card(rows: Iterable[Mapping[str, Any]], top_n: int = 10) -> pd.DataFrame:
    """One row per model, in the order given: model, n_topics, outlier_share, npmi (mean over topics of
    npmi_coherence on the row's reference documents), diversity (topic_diversity with k = top_n), fit_seconds.

    Each row is a mapping with model (its name), topic_words (one list per topic, outlier topic left out),
    doc_topics (-1: outlier), fit_seconds and documents (the reference corpus for NPMI); BaselineResult.card_row
    builds one.
    """
    out = []
    for row in rows:
        missing = [k for k in MODEL_CARD_KEYS if k not in row]
        if missing:
            raise NbkitError(f"model card row {row.get('model', '?')!r} lacks {', '.join(missing)}")
        doc_topics = np.asarray(row["doc_topics"])
        if doc_topics.size == 0:
            raise NbkitError(f"model {row['model']!r} assigns no documents")
        scores = [s for s in npmi_coherence(row["topic_words"], row["documents"], top_n) if not math.isnan(s)]
        out.append({
            "model": str(row["model"]),
            "n_topics": len(row["topic_words"]),
            "outlier_share": round(float(np.mean(doc_topics == OUTLIER_TOPIC)), 3),
            "npmi": round(float(np.mean(scores)), 3) if scores else math.nan,
            "diversity": round(topic_diversity(row["topic_words"], top_n), 3),
            "fit_seconds": round(float(row["fit_seconds"]), 1),
        })
    return pd.DataFrame(out, columns=["model", "n_topics", "outlier_share", "npmi", "diversity", "fit_seconds"])


# --- stability across seeds ----------------------------------------------------------------------------------------

def compute_topic_stability(runs: Sequence[np.ndarray], labels: Mapping[int, str] | None = None,
                            threshold: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How much the topics of the same documents change from one seed to another.

    First table: adjusted Rand index of every pair of runs (run_a, run_b: positions in `runs`), then a row
    run_a = "mean" with their mean; outliers count as one more cluster. Second table: per topic of the first run
    (outliers left out): topic, label, size, match_rate (share of the other runs with a topic whose documents have
    Jaccard >= threshold with it) and mean_best_jaccard (over the other runs, of the best Jaccard there).
    """
    from sklearn.metrics import adjusted_rand_score
    from sklearn.metrics.cluster import contingency_matrix

    arrays = [np.asarray(run).astype("int64") for run in runs]
    if len(arrays) < 2:
        raise NbkitError(f"stability needs at least two runs, not {len(arrays)}")
    if any(a.ndim != 1 or len(a) != len(arrays[0]) for a in arrays):
        raise NbkitError("every run assigns the same documents: one topic per document, equal lengths")
    if not 0 < threshold <= 1:
        raise NbkitError(f"threshold is a Jaccard index in (0, 1], not {threshold}")

    pairs: list[dict[str, Any]] = [{"run_a": i, "run_b": j, "ari": float(adjusted_rand_score(arrays[i], arrays[j]))}
                                   for i, j in itertools.combinations(range(len(arrays)), 2)]
    pairs.append({"run_a": "mean", "run_b": "", "ari": float(np.mean([p["ari"] for p in pairs]))})
    ari = pd.DataFrame(pairs, columns=["run_a", "run_b", "ari"]).round({"ari": 3})

    reference = arrays[0]
    ref_topics, ref_sizes = np.unique(reference, return_counts=True)
    best = []  # per other run: best Jaccard of each reference topic
    for other in arrays[1:]:
        other_topics, other_sizes = np.unique(other, return_counts=True)
        inter = contingency_matrix(reference, other).astype("float64")  # rows, columns: the sorted labels
        jaccard = inter / (ref_sizes[:, None] + other_sizes[None, :] - inter)
        jaccard = jaccard[:, other_topics != OUTLIER_TOPIC]
        best.append(jaccard.max(axis=1) if jaccard.shape[1] else np.zeros(len(ref_topics)))
    best_matrix = np.column_stack(best)
    keep = ref_topics != OUTLIER_TOPIC
    labels = labels or {}
    topics = pd.DataFrame({
        "topic": ref_topics[keep],
        "label": [str(labels.get(int(t), "")) for t in ref_topics[keep]],
        "size": ref_sizes[keep].astype("int64"),
        "match_rate": np.round((best_matrix[keep] >= threshold).mean(axis=1), 3),
        "mean_best_jaccard": np.round(best_matrix[keep].mean(axis=1), 3),
    })
    return ari, topics
