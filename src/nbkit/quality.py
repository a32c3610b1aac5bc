"""Topic quality: how coherent, how diverse and how stable topics are, and the classic models to hold them against.

    npmi_coherence(topic_words, documents); topic_diversity(topic_words)
    fit_baseline(texts, "lda", 10)                  # LDA / NMF to compare a topic model with
    compute_model_card([...])                       # one row per model: outliers, NPMI, diversity, seconds
    compute_topic_stability([run0, run1, run2])     # ARI between runs, and which topics come back

Pure functions of their arguments (the baselines fit scikit-learn models); tables have a fixed row order and rounded
floats, so notebook outputs are stable.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError
from nbkit.text import TOKEN_PATTERN, PhraseAnalyzer, stopwords

OUTLIER_TOPIC = -1
BASELINES = ("lda", "nmf")
# Baselines on more documents than this are fitted on a sample of this many and assign the rest (fit_baseline):
# NMF's time grows with documents x words x topics, and the baselines are a reference, not the result.
MAX_BASELINE_DOCUMENTS = 5000
MODEL_CARD_KEYS = ("model", "topic_words", "doc_topics", "fit_seconds", "documents")


UNSTABLE_MARK = " (unstable)"


def topic_names(assignments: pd.DataFrame) -> dict[int, str]:
    """Topic id -> "id: label" for tables, with " (unstable)" appended when the assignments flag the topic
    unstable (column `unstable`), so every count, share, test or trend that rests on it carries the warning."""
    topics = assignments["topic"].astype("int64").to_numpy()
    labels = assignments["label"].astype(str).to_numpy()
    unstable = (assignments["unstable"].astype(bool).to_numpy() if "unstable" in assignments.columns
                else np.zeros(len(topics), dtype=bool))
    names: dict[int, str] = {}
    for topic, label, flag in zip(topics.tolist(), labels.tolist(), unstable.tolist(), strict=True):
        names.setdefault(topic, f"{topic}: {label}" + (UNSTABLE_MARK if flag and topic != OUTLIER_TOPIC else ""))
    return names


# --- coherence and diversity ----------------------------------------------------------------------------------------

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

    A document is a string, tokenized like BERTopic's terms (nbkit.text.PhraseAnalyzer: lower-cased words, no
    phrase across a clause break), a token sequence, or a set of its terms. A multi-word term such as "speech
    recognition" occurs in a string or token sequence when its words occur next to each other, in this order; in a
    set, when the set holds the joined phrase.
    """
    topics = [_top_terms(words, top_n) for words in topic_words]
    return _npmi_scores(topics, *term_cooccurrence(documents, set().union(*topics) if topics else set()))


def term_cooccurrence(documents: Sequence[str | Sequence[str] | set[str] | frozenset[str]],
                      terms: Iterable[str], term_counts: tuple[Any, Mapping[str, int]] | None = None,
                      ) -> tuple[dict[str, int], np.ndarray, int]:
    """Each term's position, the documents-containing-both counts of every pair of terms (the diagonal: documents
    containing the term; a terms x terms int64 array) and the number of documents. Each document is tokenized
    once and only its indicator row for `terms` is kept (a sparse documents x terms matrix), so memory grows
    with the documents' terms, not with documents x terms.

    term_counts: (counts, vocabulary), the documents x vocabulary counts of these same string documents by a
    vectorizer whose analyzer is a PhraseAnalyzer (stopwords allowed; a topic model's vectorizer), and its
    {term: column}. When the vocabulary holds every term, the documents are not tokenized again: such an analyzer
    emits a term free of its stopwords exactly where the stopword-free tokenizing here finds it, and every term
    of its vocabulary is free of them."""
    import scipy.sparse as sp

    n_docs = len(documents)
    if n_docs == 0:
        raise NbkitError("NPMI needs reference documents")
    index = {t: i for i, t in enumerate(sorted(terms))}
    if term_counts is not None:
        counts, vocabulary = term_counts
        if counts.shape[0] == n_docs and all(t in vocabulary for t in index):
            presence = sp.csr_matrix(counts[:, [vocabulary[t] for t in index]] > 0, dtype=np.int64)
            return index, (presence.T @ presence).toarray(), n_docs
    longest = max((len(t.split()) for t in index), default=1)
    columns: list[int] = []
    indptr = [0]
    for document in documents:
        columns += sorted(index[t] for t in _document_terms(document, longest) & index.keys())
        indptr.append(len(columns))
    presence = sp.csr_matrix((np.ones(len(columns), dtype=np.int64), np.array(columns, dtype=np.int64), indptr),
                             shape=(n_docs, len(index)))
    return index, (presence.T @ presence).toarray(), n_docs


def _npmi_scores(topics: Sequence[Sequence[str]], index: Mapping[str, int], together: np.ndarray,
                 n_docs: int) -> list[float]:
    scores = []
    for terms in topics:
        at = [index[t] for t in terms]
        pairs = [_npmi(int(together[a, a]), int(together[b, b]), int(together[a, b]), n_docs)
                 for a, b in itertools.combinations(at, 2)]
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

    # the words BERTopic's terms are drawn from (same token pattern and stopwords), so top words are comparable
    return CountVectorizer(token_pattern=TOKEN_PATTERN, stop_words=sorted(stopwords()))


def fit_baseline(texts: Sequence[str], kind: str, n_topics: int, seed: int = 0, top_n: int = 10,
                 vectorizer: Any = None, cache_dir: str | Path | None = None,
                 max_fit_documents: int | None = MAX_BASELINE_DOCUMENTS) -> BaselineResult:
    """A classic topic model to hold BERTopic against: "lda" (LatentDirichletAllocation on word counts) or "nmf"
    (NMF on TF-IDF of the same counts, init="nndsvda"), both seeded with `seed`.

    `vectorizer` turns texts into word counts (a copy is fitted; default: nbkit's topic tokenizer and stopwords,
    unigrams). A document's topic is its largest weight, or -1 when it has no word in the vocabulary (both models
    would otherwise put it in topic 0). fit_seconds covers counting, fitting and assigning.

    Above `max_fit_documents` texts (None: no limit), the vocabulary and the model are fitted on a sample of that
    many, the texts of smallest hash (as the topic fit samples: the same texts on every machine, whatever their
    order), and every text is then assigned by the fitted model (its transform); a text with no word of the
    sample's vocabulary is -1. At or below the limit every text is fitted, as before.

    With `cache_dir` (and the default vectorizer), the words and topics of a fit are stored there, keyed by the
    texts and arguments, and a later call with the same ones reads them back (model and vectorizer then None,
    fit_seconds the original fit's): NMF on 2,000 abstracts and 40 topics takes ~10 CPU seconds.
    """
    from nbkit.cache import digest_bytes, find_file, write_file

    key = None
    if cache_dir is not None and vectorizer is None:
        from sklearn import __version__ as sklearn_version

        settings = [kind, n_topics, seed, top_n, sklearn_version]
        if max_fit_documents is not None and len(texts) > max_fit_documents:  # sampled: a fit of its own
            settings.append(max_fit_documents)
        key = "baseline-" + digest_bytes(json.dumps(settings), *texts)[:32]
        found = find_file(Path(cache_dir) / "baselines", key, ".json")
        if found is not None:
            data = json.loads(found[1])
            return BaselineResult(kind=kind, topic_words=data["topic_words"],
                                  doc_topics=np.array(data["doc_topics"], dtype="int64"),
                                  fit_seconds=data["fit_seconds"])
    result = _fit_baseline(texts, kind, n_topics, seed, top_n, vectorizer, max_fit_documents)
    if key is not None:
        data = {"topic_words": result.topic_words, "doc_topics": result.doc_topics.tolist(),
                "fit_seconds": result.fit_seconds}
        write_file(Path(cache_dir) / "baselines", key, json.dumps(data).encode(), ".json")
    return result


def _fit_baseline(texts: Sequence[str], kind: str, n_topics: int, seed: int, top_n: int,
                  vectorizer: Any, max_fit_documents: int | None = None) -> BaselineResult:
    from sklearn.base import clone
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfTransformer
    from threadpoolctl import threadpool_limits

    from nbkit.cluster import sample_rows
    from nbkit.embed import text_keys

    if kind not in BASELINES:
        raise NbkitError(f"baseline kind {kind!r} is not one of {', '.join(BASELINES)}")
    if n_topics < 1 or top_n < 1:
        raise NbkitError(f"n_topics and top_n must be at least 1, not {n_topics} and {top_n}")
    if max_fit_documents is not None and max_fit_documents < 1:
        raise NbkitError(f"max_fit_documents must be at least 1 or None, not {max_fit_documents}")
    texts = list(texts)
    vec = clone(vectorizer) if vectorizer is not None else _baseline_vectorizer()
    start = time.perf_counter()
    sampled = max_fit_documents is not None and len(texts) > max_fit_documents
    fitted = ([texts[i] for i in sample_rows(len(texts), max_fit_documents, text_keys(texts))] if sampled
              else texts)
    try:
        counts = vec.fit_transform(fitted)
    except ValueError as exc:
        raise NbkitError(f"no words to model: {exc}") from exc
    # One BLAS thread: the products here are thin (documents x topics), too small to share out, and a second
    # OpenBLAS thread only spins waiting: NMF on the 2,000-paper arXiv sample took 80 CPU s with two threads, 10
    # with one, on the same iterations and the same topics.
    with threadpool_limits(limits=1, user_api="blas"):
        if kind == "lda":
            model = LatentDirichletAllocation(n_components=n_topics, random_state=seed)
            weights = model.fit_transform(counts)
            if sampled:
                counts = vec.transform(texts)
                weights = model.transform(counts)
        else:
            if n_topics > min(counts.shape):  # nndsvda cannot make more components than documents or words
                raise NbkitError(f"NMF with {n_topics} topics needs at least that many documents and words; "
                                 f"there are {counts.shape[0]} and {counts.shape[1]}")
            model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=500)
            tfidf = TfidfTransformer()
            weights = model.fit_transform(tfidf.fit_transform(counts))
            if sampled:
                counts = vec.transform(texts)
                weights = model.transform(tfidf.transform(counts))
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
    builds one. An optional term_counts saves tokenizing the documents again (see term_cooccurrence).
    """
    rows = list(rows)
    for row in rows:
        missing = [k for k in MODEL_CARD_KEYS if k not in row]
        if missing:
            raise NbkitError(f"model card row {row.get('model', '?')!r} lacks {', '.join(missing)}")
    # rows that share their reference documents (the same object) tokenize them once, for all their terms
    words = [[_top_terms(w, top_n) for w in row["topic_words"]] for row in rows]
    needed: dict[int, set[str]] = {}
    for row, topics in zip(rows, words, strict=True):
        needed.setdefault(id(row["documents"]), set()).update(*topics)
    counted = {}
    out = []
    for row, topics in zip(rows, words, strict=True):
        doc_topics = np.asarray(row["doc_topics"])
        if doc_topics.size == 0:
            raise NbkitError(f"model {row['model']!r} assigns no documents")
        key = id(row["documents"])
        if key not in counted:
            counted[key] = term_cooccurrence(row["documents"], needed[key], row.get("term_counts"))
        scores = [s for s in _npmi_scores(topics, *counted[key]) if not math.isnan(s)]
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


# --- stability under resampling ------------------------------------------------------------------------------------

NO_MATCH = np.iinfo("int64").min


def resample_rows(n: int, runs: int, fraction: float, seed: int) -> list[np.ndarray]:
    """The sorted row positions of `runs` random samples of round(fraction * n) of n papers, without replacement.
    numpy's seeded integer generator draws them, so they are the same on every machine."""
    size = round(fraction * n)
    if runs < 2 or not 1 < size < n:
        raise NbkitError(f"resampling needs at least 2 runs of between 2 and {n - 1} papers, not {runs} of {size}")
    rng = np.random.default_rng(seed)
    return [np.sort(rng.choice(n, size=size, replace=False)) for _ in range(runs)]


def recover_topics(reference: np.ndarray, refit: np.ndarray,
                   threshold: float = 0.5) -> tuple[dict[int, int], np.ndarray]:
    """One refit against the reference labels of the same papers: each reference topic's match (the refit topic
    of best Jaccard, ties to the lower refit topic, if Jaccard >= threshold; else NO_MATCH; outliers match
    outliers), and which papers landed in their topic's match."""
    from sklearn.metrics.cluster import contingency_matrix

    ref_ids, ref_sizes = np.unique(reference, return_counts=True)
    new_ids, new_sizes = np.unique(refit, return_counts=True)
    inter = contingency_matrix(reference, refit).astype("float64")  # rows, columns: the sorted labels
    jaccard = inter / (ref_sizes[:, None] + new_sizes[None, :] - inter)  # exact ratios of counts: no float noise
    jaccard[:, new_ids == OUTLIER_TOPIC] = -1  # a topic does not "come back" as the outliers
    best = np.argmax(jaccard, axis=1)  # the first maximum: ties go to the lower refit topic
    matched = np.where(jaccard[np.arange(len(ref_ids)), best] >= threshold, new_ids[best], NO_MATCH)
    matched[ref_ids == OUTLIER_TOPIC] = OUTLIER_TOPIC
    match_of = dict(zip(ref_ids.tolist(), matched.tolist(), strict=True))
    return match_of, refit == np.array([match_of[t] for t in reference.tolist()], dtype="int64")


@dataclass
class Resampled:
    """How often each topic and each paper's assignment come back when the papers are resampled."""

    topics: np.ndarray  # the reference topics (outliers left out), ascending
    stability: np.ndarray  # per topic: share of refits with a topic of Jaccard >= threshold on the shared papers
    confidence: np.ndarray  # per paper: share of the refits that saw it where it stayed with its topic's match
    runs: int


class StabilityTally:
    """Accumulates recover_topics over refits of one reference partition."""

    def __init__(self, labels: np.ndarray, threshold: float = 0.5) -> None:
        self.labels = np.asarray(labels).astype("int64")
        self.threshold = threshold
        self.topics = np.unique(self.labels[self.labels != OUTLIER_TOPIC])
        self.found = np.zeros(len(self.topics))
        self.hits = np.zeros(len(self.labels))
        self.seen = np.zeros(len(self.labels))
        self.runs = 0

    def add(self, rows: np.ndarray, refit: np.ndarray) -> None:
        match_of, kept = recover_topics(self.labels[rows], np.asarray(refit).astype("int64"), self.threshold)
        self.found += [match_of.get(int(t), NO_MATCH) != NO_MATCH for t in self.topics]
        self.hits[rows] += kept
        self.seen[rows] += 1
        self.runs += 1

    def result(self) -> Resampled:
        with np.errstate(invalid="ignore", divide="ignore"):
            confidence = np.where(self.seen > 0, self.hits / np.maximum(self.seen, 1), np.nan)
        return Resampled(topics=self.topics, stability=self.found / max(self.runs, 1), confidence=confidence,
                         runs=self.runs)


def resample_stability(labels: np.ndarray, refit: Callable[[np.ndarray], np.ndarray], runs: int = 20,
                       fraction: float = 0.8, seed: int = 0, threshold: float = 0.5,
                       progress: bool = False) -> Resampled:
    """Refit the clustering `runs` times on a random `fraction` of the papers and see what comes back.

    refit(rows) clusters the papers at the sorted positions `rows` and returns their labels (-1: outlier). A topic
    of `labels` comes back in a refit when some refit topic holds papers with Jaccard >= threshold against the
    topic's papers among those sampled (recover_topics). A paper is confirmed in a refit that saw it when it lands
    in its topic's match (an outlier: when it is an outlier again). Samples: resample_rows.
    """
    from tqdm.auto import tqdm

    tally = StabilityTally(labels, threshold)
    for rows in tqdm(resample_rows(len(tally.labels), runs, fraction, seed), desc="stability refits",
                     disable=not progress, leave=False):
        tally.add(rows, refit(rows))
    return tally.result()


def compute_topic_confidence(assignments: pd.DataFrame) -> pd.DataFrame:
    """One row per topic (outliers left out) from assignments with resampling columns: topic, label, size,
    stability (share of refits in which the topic came back), mean_confidence (of its papers: the share of refits
    in which a paper stayed with its topic), unstable. 2 decimals."""
    topics = assignments[assignments["topic"] >= 0]
    table = (topics.groupby(["topic", "label"], sort=True)
             .agg(size=("paper_id", "size"), stability=("topic_stability", "first"),
                  mean_confidence=("confidence", "mean"), unstable=("unstable", "first"))
             .reset_index())
    return table.astype({"size": "int64", "unstable": bool}).round({"stability": 2, "mean_confidence": 2})
