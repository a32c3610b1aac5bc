"""Topics: BERTopic with defaults for paper listings that give the same topics on every machine, cached
embeddings, stability measured by resampling, and readable labels.

    result = fit_topics(corpus.papers, TopicSettings(min_topic_size=8), cache_dir="data/cache")
    compute_topic_table(result)          # topic, size, share, stability, unstable, label, top_terms, titles
    compute_assignments(result)          # paper_id, topic, label, confidence, topic_stability, unstable
    save_topic_model(result, "reports/02_topics/model")   # BERTopic's safetensors format

The default pipeline clusters the embeddings themselves (nbkit.cluster.AgglomerativeTopics: no seed, no UMAP)
and ranks terms with explicit tie-breaks; the former UMAP + HDBSCAN pipeline is `method="umap-hdbscan"`. Every
BERTopic component can be replaced by passing it to fit_topics (a test passes trivial stand-ins); the defaults are
built from TopicSettings, whose fields are the notebook's parameters.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import logging
import math
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbkit.cache import digest_bytes, find_array, find_file, write_array, write_file
from nbkit.cluster import MAX_FIT_PAPERS, MIN_TOPICS, OUTLIER, AgglomerativeTopics, unit_rows
from nbkit.embed import (
    BACKENDS,
    DEFAULT_BACKEND,
    DEFAULT_FIELDS,
    EmbeddingCache,
    Embeddings,
    document_texts,
    embed_texts,
    make_embedder,
    text_keys,
)
from nbkit.errors import NbkitError
from nbkit.lazyimport import OnDemandModule, hidden_modules, lazy_packages
from nbkit.quality import resample_stability
from nbkit.text import PhraseAnalyzer, stopwords

METHODS = ("agglomerative", "umap-hdbscan")
REPRESENTATIONS = ("share-idf", "ctfidf", "keybert+mmr", "keybert", "mmr")
OUTLIER_STRATEGIES = ("embeddings", "c-tf-idf", "distributions")
OUTLIER_LABEL = "outliers"
ASSIGNMENT_COLUMNS = ["paper_id", "title", "topic", "label", "confidence", "topic_stability", "unstable"]

@dataclass(frozen=True)
class TopicSettings:
    """Everything that shapes a topic model; the defaults suit corpora of a few hundred to a few thousand papers."""

    embedding_model: str | None = None  # sentence-transformers name or folder; None: packaged all-MiniLM-L6-v2
    embedding_backend: str = DEFAULT_BACKEND  # torch, onnx-int8 (~1.6x faster), onnx-fp32, static (huge corpora)
    embed_fields: tuple[str, ...] = DEFAULT_FIELDS  # paper fields joined into the embedded text
    method: str = "agglomerative"  # agglomerative (no seed, the same topics on every CPU) or umap-hdbscan
    min_topic_size: int = 5  # smallest topic; smaller clusters are outliers (or join a topic, see assign_similarity)
    min_coverage: float = 0.85  # agglomerative: cut the tree where this share of papers is in topics
    max_topics: int | None = 40  # agglomerative: at most this many topics (cut higher if more; subtopics kept)
    min_topics: int | None = MIN_TOPICS  # agglomerative, 1,000+ papers: at least this many (cut lower if fewer)
    max_fit_papers: int | None = MAX_FIT_PAPERS  # agglomerative: above this, fit on a sample, assign the rest
    distance_threshold: float | None = None  # agglomerative: cut at this cosine distance instead (None: as above)
    assign_similarity: float | None = None  # agglomerative: an outlier joins the nearest topic this similar
    nr_topics: int | str | None = None  # merge down to this many topics ("auto": HDBSCAN on topic vectors)
    seed: int = 42  # seeds UMAP, KeyBERT and the resampling of the stability check
    n_neighbors: int = 15  # umap-hdbscan: UMAP neighbourhood, smaller finds local themes, larger broad ones
    n_components: int = 5  # umap-hdbscan: UMAP dimensions HDBSCAN clusters in
    min_dist: float = 0.0  # umap-hdbscan: UMAP packing; 0 keeps clusters tight
    representation: str = "share-idf"  # topic terms: share-idf, ctfidf, keybert+mmr, keybert or mmr
    mmr_diversity: float = 0.3  # 0: most relevant words, 1: most diverse
    top_n_words: int = 10  # terms kept per topic
    ngram_range: tuple[int, int] = (1, 2)  # words and two-word phrases
    extra_stopwords: tuple[str, ...] = ()  # more words to leave out of topic terms
    reduce_outliers: str | None = None  # None, or embeddings / c-tf-idf / distributions: assign outliers a topic
    outlier_threshold: float = 0.0  # minimum similarity for an outlier to be assigned
    stability_runs: int = 20  # refits on resampled papers behind the stability and confidence columns; 0: none
    stability_fraction: float = 0.8  # share of the papers each resampled fit sees
    unstable_below: float = 0.5  # a topic found again in fewer of the refits than this is flagged unstable

    def __post_init__(self) -> None:
        problems = []
        if self.embedding_backend not in BACKENDS:
            problems.append(f"embedding_backend {self.embedding_backend!r} is not one of {', '.join(BACKENDS)}")
        if self.method not in METHODS:
            problems.append(f"method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.representation not in REPRESENTATIONS:
            problems.append(f"representation {self.representation!r} is not one of {', '.join(REPRESENTATIONS)}")
        if self.reduce_outliers not in (None, *OUTLIER_STRATEGIES):
            problems.append(f"reduce_outliers {self.reduce_outliers!r} is not None or one of "
                            f"{', '.join(OUTLIER_STRATEGIES)}")
        if self.min_topic_size < 2:
            problems.append(f"min_topic_size must be at least 2, not {self.min_topic_size}")
        if self.n_neighbors < 2:
            problems.append(f"n_neighbors must be at least 2, not {self.n_neighbors}")
        if self.distance_threshold is not None and not 0 < self.distance_threshold < 2:
            problems.append(f"distance_threshold is a cosine distance between 0 and 2, not {self.distance_threshold}")
        if not 0 < self.min_coverage <= 1:
            problems.append(f"min_coverage is a share of the papers in (0, 1], not {self.min_coverage}")
        if self.max_topics is not None and self.max_topics < 1:
            problems.append(f"max_topics must be at least 1 or None, not {self.max_topics}")
        if self.min_topics is not None and self.min_topics < 1:
            problems.append(f"min_topics must be at least 1 or None, not {self.min_topics}")
        if self.max_fit_papers is not None and self.max_fit_papers < 2 * self.min_topic_size:
            problems.append(f"max_fit_papers must be None or at least twice min_topic_size, not {self.max_fit_papers}")
        if self.stability_runs < 0 or self.stability_runs == 1:
            problems.append(f"stability_runs must be 0 (no check) or at least 2, not {self.stability_runs}")
        if not 0 < self.stability_fraction < 1:
            problems.append(f"stability_fraction must be between 0 and 1, not {self.stability_fraction}")
        if not (isinstance(self.nr_topics, int) or self.nr_topics in (None, "auto")):
            problems.append(f"nr_topics must be a number, 'auto' or None, not {self.nr_topics!r}")
        if problems:
            raise NbkitError("; ".join(problems))

    @classmethod
    def from_parameters(cls, **params: Any) -> TopicSettings:
        """Settings from notebook parameters: unknown names are an error, lists become tuples."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise NbkitError(f"unknown topic setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- BERTopic components -------------------------------------------------------------------------------------------

class CachedUMAP:
    """UMAP whose reduced vectors are cached on disk, keyed by the input vectors and the UMAP parameters.

    BERTopic calls fit_transform on the document vectors; when the same vectors were reduced with the same
    parameters before (another min_topic_size, another notebook), the stored result comes back without running
    UMAP at all. transform on other vectors fits the real UMAP (same seed, same result) when needed.
    """

    def __init__(self, cache_dir: str | Path | None = None, **params: Any) -> None:
        self.cache_dir = Path(cache_dir) / "reduced" if cache_dir is not None else None
        self.params = params
        self.embedding_: np.ndarray | None = None
        self.from_cache = False
        self._train: np.ndarray | None = None
        self._train_key: str | None = None
        self._umap: Any = None

    def _key(self, X: np.ndarray) -> str:
        X = np.ascontiguousarray(X, dtype=np.float32)
        params = json.dumps(self.params, sort_keys=True, default=str)
        return "umap-" + digest_bytes(X.tobytes(), str(X.shape), params, version("umap-learn"))[:32]

    def _fit_umap(self, X: np.ndarray) -> np.ndarray:
        from umap import UMAP

        enable_umap_compile_cache()
        self._umap = UMAP(**self.params)
        with warnings.catch_warnings():
            # a seed makes UMAP single-threaded and it says so on every fit; reproducibility is the point here
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            return np.asarray(self._umap.fit_transform(X), dtype=np.float32)

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        key = self._key(X)
        self._train, self._train_key = X, key
        stored = find_array(self.cache_dir, key) if self.cache_dir is not None else None
        self.from_cache = stored is not None and stored.shape[0] == len(X)
        if self.from_cache:
            self.embedding_ = stored
        else:
            self.embedding_ = self._fit_umap(X)
            if self.cache_dir is not None:
                write_array(self.cache_dir, key, self.embedding_)
        return self.embedding_

    def fit(self, X: np.ndarray, y: Any = None) -> CachedUMAP:
        self.fit_transform(X)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self._train_key is not None and len(X) == len(self._train) and self._key(X) == self._train_key:
            return self.embedding_
        if self._umap is None:
            if self._train is None:
                raise NbkitError("the reduction was not fitted")
            self._fit_umap(self._train)
        return np.asarray(self._umap.transform(X), dtype=np.float32)


_UMAP_CACHE_ENABLED = False


def enable_umap_compile_cache() -> bool:
    """Let numba keep UMAP's compiled functions on disk, so only the first process ever pays the ~10 s compile.

    umap-learn compiles its numba functions without `cache=True`; enabling numba's own cache on them (the same
    mechanism `cache=True` uses) stores the machine code in umap's __pycache__, or numba's user cache when that is
    not writable. Functions numba cannot cache are left as they are.
    """
    global _UMAP_CACHE_ENABLED
    if _UMAP_CACHE_ENABLED:
        return True
    import umap.layouts
    import umap.umap_
    import umap.utils
    from numba.core.registry import CPUDispatcher

    for module in (umap.umap_, umap.utils, umap.layouts):
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher) and obj._cache.__class__.__name__ == "NullCache":
                try:
                    obj.enable_caching()
                except RuntimeError:  # no writable cache location: compile in memory as before
                    continue
    _UMAP_CACHE_ENABLED = True
    return True


def warm_up() -> None:
    """Fit UMAP once on a small random set, so numba compiles and caches its code now rather than in the first
    notebook run (about 10 s for UMAP, more when pynndescent's own cache is also empty, as in a new venv)."""
    X = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
    CachedUMAP(None, n_neighbors=10, n_components=5, min_dist=0.0, metric="cosine", random_state=0).fit_transform(X)


def make_backend(embedder: Any, cache: EmbeddingCache | None, progress: bool = False) -> Any:
    """A BERTopic embedding backend that goes through the cache (KeyBERT and MMR embed words with it too)."""
    import_bertopic()
    from bertopic.backend import BaseEmbedder

    class CachedBackend(BaseEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.embedder, self.cache = embedder, cache

        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return embed_texts(documents, self.embedder, self.cache, progress=progress).vectors

    return CachedBackend()


def make_vectorizer(settings: TopicSettings) -> Any:
    from nbkit.terms import PhraseVectorizer

    # min_df stays 1: BERTopic fits the vectorizer on one document per topic, so min_df=2 would drop every term
    # that belongs to a single topic, which are the ones worth showing. PhraseVectorizer: CountVectorizer's
    # counts, each paper tokenized once for the representation, the subtopics and NPMI.
    return PhraseVectorizer(analyzer=PhraseAnalyzer(stopwords(settings.extra_stopwords), settings.ngram_range))


def ranked_terms(scores: np.ndarray, vocabulary: np.ndarray, n: int) -> list[int]:
    """Positions of the n best-scoring terms: by score rounded to 10 significant digits (so float noise cannot
    reorder near-ties), then alphabetically. numpy's own sorts order ties differently on different CPUs."""
    candidates = np.flatnonzero(scores > 0)
    rounded = np.array([float(f"{x:.10g}") for x in scores[candidates]])
    return candidates[np.lexsort((vocabulary[candidates], -rounded))][:n].tolist()


def share_idf(papers_with_term: np.ndarray, topic_sizes: np.ndarray, document_frequency: np.ndarray,
              n_papers: int, min_papers: int = 2) -> np.ndarray:
    """Term scores per topic: the share of the topic's papers that use the term, times its inverse document
    frequency log(1 + papers / papers using it); 0 for a term fewer than min_papers of the topic's papers use (one
    abstract's word says nothing about a topic). A term most of a topic's papers use, and few others, ranks first:
    such terms co-occur (high NPMI) and name what the papers share, where c-TF-IDF's raw counts favour words one
    long abstract repeats."""
    idf = np.log1p(n_papers / np.maximum(document_frequency, 1))
    scores = papers_with_term / np.maximum(topic_sizes, 1)[:, None] * idf
    return np.where(papers_with_term >= min_papers, scores, 0.0)


def make_stable_terms(top_n_words: int, scoring: str = "share-idf") -> Any:
    """A BERTopic representation: each topic's terms scored by share_idf ("share-idf") or by BERTopic's c-TF-IDF
    ("ctfidf"), ranked with explicit tie-breaks (ranked_terms)."""
    import_bertopic()
    from bertopic.representation._base import BaseRepresentation

    class StableTerms(BaseRepresentation):
        def extract_topics(self, topic_model: Any, documents: pd.DataFrame, c_tf_idf: Any,
                           topics: Mapping[int, Any]) -> dict[int, list[tuple[str, float]]]:
            import scipy.sparse as sp

            vocabulary = np.asarray(topic_model.vectorizer_model.get_feature_names_out())
            labels = sorted(int(t) for t in documents["Topic"].unique())  # c_tf_idf has one row per label, in order
            if scoring == "ctfidf":
                return ctfidf_terms(sp.csr_matrix(c_tf_idf), vocabulary, labels, top_n_words)
            present = (topic_model.vectorizer_model.transform(documents["Document"]) > 0).astype(np.int64)
            rows = np.searchsorted(labels, documents["Topic"].to_numpy().astype(np.int64))
            membership = sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, np.arange(len(rows)))),
                                       shape=(len(labels), len(rows)))
            counts = (membership @ present).toarray()
            args = (counts, np.bincount(rows, minlength=len(labels)), np.asarray(present.sum(axis=0)).ravel(),
                    len(rows))
            scores, fallback = share_idf(*args), share_idf(*args, min_papers=1)
            out = {}
            for row, topic in enumerate(labels):
                # a topic of one paper (the outliers can be) has no term two papers share: take its own words
                use = scores if (scores[row] > 0).any() else fallback
                best = ranked_terms(use[row], vocabulary, top_n_words)
                # BERTopic needs at least one (term, score) per topic; it pads the same way
                out[topic] = [(str(vocabulary[i]), float(use[row, i])) for i in best] or [("", 1e-05)]
            return out

    return StableTerms()


def ctfidf_terms(c_tf_idf: Any, vocabulary: np.ndarray, labels: Sequence[int],
                 n: int) -> dict[int, list[tuple[str, float]]]:
    """Each topic's n best terms by its row of the c-TF-IDF matrix (sparse, one row per label in order), ranked
    by ranked_terms: the "ctfidf" representation. A row at a time, so memory is one vocabulary, not topics x
    vocabulary."""
    out = {}
    for row, topic in enumerate(labels):
        scores = c_tf_idf[row].toarray().ravel()
        best = ranked_terms(scores, vocabulary, n)
        # BERTopic needs at least one (term, score) per topic; it pads the same way
        out[int(topic)] = [(str(vocabulary[i]), float(scores[i])) for i in best] or [("", 1e-05)]
    return out


def make_representation(settings: TopicSettings) -> Any:
    if settings.representation in ("share-idf", "ctfidf"):
        return make_stable_terms(settings.top_n_words, settings.representation)
    import_bertopic()
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    # KeyBERT and MMR re-rank candidate terms: the stable ranking supplies them (30, as BERTopic would)
    candidates = make_stable_terms(max(30, settings.top_n_words), "ctfidf")
    keybert = KeyBERTInspired(top_n_words=settings.top_n_words, random_state=settings.seed)
    mmr = MaximalMarginalRelevance(diversity=settings.mmr_diversity, top_n_words=settings.top_n_words)
    return {"keybert+mmr": [candidates, keybert, mmr], "keybert": [candidates, keybert],
            "mmr": [candidates, mmr]}[settings.representation]


# bertopic's packages whose __init__ imports every optional integration: UMAP, numba and plotly's figure factory
# for the twelve views, sentence-transformers for a vision backend, transformers' pipelines for LLM labels
LAZY_BERTOPIC_PACKAGES = ("bertopic.plotting", "bertopic.backend", "bertopic.representation")


def import_bertopic() -> Any:
    """The bertopic package, with LAZY_BERTOPIC_PACKAGES imported lazily (nbkit.lazyimport): a name from them is
    imported when first used, so a fit on cached embeddings never loads UMAP, numba or transformers and writing
    two views loads only those two. torch, too, is left for when it is used: bertopic._save_utils imports it at
    once for its legacy pytorch format only (safetensors needs none), and it is ~2 s of CPU. huggingface_hub is not
    imported at all: _save_utils imports six of its functions for BERTopic's Hub upload and download, which nbkit
    never uses, and with the locked huggingface_hub one of them no longer exists, so _save_utils turns the Hub off
    anyway, after ~0.3 s of importing the rest. Call this before any `from bertopic... import`."""
    if "bertopic" in sys.modules:
        return sys.modules["bertopic"]
    torch_hidden = "torch" not in sys.modules
    with lazy_packages(LAZY_BERTOPIC_PACKAGES), hidden_modules({"torch", "huggingface_hub"}):
        import bertopic
        import bertopic._save_utils as save_utils
    if torch_hidden and not save_utils._has_torch and importlib.util.find_spec("torch") is not None:
        save_utils.torch, save_utils._has_torch = OnDemandModule("torch"), True
    return bertopic


_STABLE_BERTOPIC: Any = None


def stable_bertopic() -> Any:
    """BERTopic, except that topics are numbered by size with ties broken by their previous number: BERTopic's
    own numbering sorts sizes with numpy's default sort, which orders equal sizes differently on different CPUs."""
    global _STABLE_BERTOPIC
    if _STABLE_BERTOPIC is None:
        import_bertopic()
        from bertopic import BERTopic

        class StableBERTopic(BERTopic):
            def _sort_mappings_by_frequency(self, documents: pd.DataFrame) -> pd.DataFrame:
                if self._is_zeroshot and not self.nr_topics and len(self._topic_id_to_zeroshot_topic_idx) > 0:
                    return documents  # as BERTopic: no sorting in the first pass of zero-shot modelling
                self._update_topic_size(documents)
                sizes = pd.DataFrame(self.topic_sizes_.items(), columns=["Old_Topic", "Size"])
                sizes = sizes[sizes.Old_Topic != -1].sort_values(["Size", "Old_Topic"], ascending=[False, True],
                                                                  kind="stable")
                mapping = {-1: -1, **dict(zip(sizes.Old_Topic, range(len(sizes)), strict=True))}
                self.topic_mapper_.add_mappings(mapping, topic_model=self)
                documents.Topic = documents.Topic.map(mapping).fillna(documents.Topic).astype(int)
                self._update_topic_size(documents)
                return documents

        _STABLE_BERTOPIC = StableBERTopic
    return _STABLE_BERTOPIC


def make_clusterer(settings: TopicSettings) -> Any:
    """The clustering step for settings.method: nbkit's AgglomerativeTopics, or HDBSCAN for umap-hdbscan."""
    if settings.method == "agglomerative":
        return AgglomerativeTopics(distance_threshold=settings.distance_threshold, min_coverage=settings.min_coverage,
                                   min_topic_size=settings.min_topic_size, assign_similarity=settings.assign_similarity,
                                   max_topics=settings.max_topics, min_topics=settings.min_topics,
                                   max_fit_papers=settings.max_fit_papers)
    from hdbscan import HDBSCAN

    return HDBSCAN(min_cluster_size=settings.min_topic_size, metric="euclidean", cluster_selection_method="eom",
                   prediction_data=True)


def make_reducer(settings: TopicSettings, cache_dir: str | Path | None = None) -> Any:
    """The reduction step: none for agglomerative (it clusters the embeddings themselves), seeded UMAP else."""
    if settings.method == "agglomerative":
        import_bertopic()
        from bertopic.dimensionality import BaseDimensionalityReduction

        return BaseDimensionalityReduction()
    return CachedUMAP(cache_dir, n_neighbors=settings.n_neighbors, n_components=settings.n_components,
                      min_dist=settings.min_dist, metric="cosine", random_state=settings.seed)


def build_topic_model(settings: TopicSettings, backend: Any, *, cache_dir: str | Path | None = None,
                      umap_model: Any = None, hdbscan_model: Any = None, vectorizer_model: Any = None,
                      ctfidf_model: Any = None, representation_model: Any = "default") -> Any:
    """A BERTopic with nbkit's defaults; any component given replaces the default one."""
    import_bertopic()
    from bertopic.vectorizers import ClassTfidfTransformer

    return stable_bertopic()(
        embedding_model=backend,
        umap_model=umap_model if umap_model is not None else make_reducer(settings, cache_dir),
        hdbscan_model=hdbscan_model if hdbscan_model is not None else make_clusterer(settings),
        vectorizer_model=vectorizer_model or make_vectorizer(settings),
        ctfidf_model=ctfidf_model or ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=make_representation(settings) if representation_model == "default"
        else representation_model,
        top_n_words=settings.top_n_words,
        min_topic_size=settings.min_topic_size,
        nr_topics=settings.nr_topics,
    )


# --- fitting -------------------------------------------------------------------------------------------------------

@dataclass
class TopicResult:
    """A fitted topic model and what it says about each paper (rows in the order of `papers`)."""

    model: Any  # bertopic.BERTopic
    papers: pd.DataFrame
    texts: list[str]
    embeddings: np.ndarray
    topics: np.ndarray
    confidence: np.ndarray  # per paper: share of resampled refits that kept it with its topic (NaN: not checked)
    stability: dict[int, float]  # per topic: share of resampled refits in which it came back (empty: not checked)
    settings: TopicSettings
    seconds: dict[str, float] = field(default_factory=dict)
    embedding_summary: str = ""
    cache_dir: Path | None = None
    refits: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # stability check: (rows, labels)

    def labels(self) -> dict[int, str]:
        """topic id -> readable label (outliers: "outliers")."""
        out = {}
        for topic in sorted(set(self.topics.tolist())):
            terms = [w for w, _ in (self.model.get_topic(topic) or [])]
            out[topic] = OUTLIER_LABEL if topic == -1 else make_label(terms)
        return out


def _stem(word: str) -> str:
    """"agents" and "agent" name the same thing in a label."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def make_label(terms: Sequence[str], n: int = 3) -> str:
    """The first `n` terms that add a word (a plural adds none): "speech, speech recognition" becomes "speech
    recognition", and a phrase of words already chosen replaces them ("forgetting, catastrophic" and then
    "catastrophic forgetting" give "catastrophic forgetting")."""
    chosen: list[str] = []
    for term in terms:
        words = {_stem(w) for w in term.split()}
        if not term:
            continue
        if words <= {_stem(w) for c in chosen for w in c.split()}:
            parts = [c for c in chosen if {_stem(w) for w in c.split()} <= words]
            if len(words) > 1 and len(parts) > 1:  # the phrase the chosen words come from: say it once
                at = chosen.index(parts[0])
                chosen = [c for c in chosen if c not in parts]
                chosen.insert(at, term)
            continue
        if len(chosen) == n:
            continue  # full; a later phrase may still merge words and make room
        chosen = [c for c in chosen if not {_stem(w) for w in c.split()} <= words]  # a phrase replaces its words
        chosen.append(term)
    return ", ".join(chosen) if chosen else "(no terms)"


def _refit_function(model: Any, settings: TopicSettings, embeddings: np.ndarray,
                    custom: bool) -> Callable[[np.ndarray], np.ndarray] | None:
    """Refit the clustering on some of the papers, for the stability check: AgglomerativeTopics reuses its
    distances and cut; umap-hdbscan fits a new UMAP (another seed each time) and HDBSCAN; custom components that
    cannot refit get no check."""
    # a resample holds fewer papers, so the smallest topic shrinks with it (or a topic at the limit would vanish)
    min_size = max(2, int(settings.min_topic_size * settings.stability_fraction))
    clusterer = model.hdbscan_model
    if hasattr(clusterer, "refit"):
        return lambda rows: clusterer.refit(rows, min_size)
    if custom:
        return None
    seeds = itertools.count(settings.seed + 1)  # each refit its own UMAP seed: the seed is part of what varies

    def refit(rows: np.ndarray) -> np.ndarray:
        trial = replace(settings, seed=next(seeds), min_topic_size=min_size)
        reduced = make_reducer(trial).fit_transform(embeddings[rows])
        return make_clusterer(trial).fit(reduced).labels_

    return refit


def _embed_on_cluster(texts: list[str], settings: TopicSettings, embedder: Any, cache_dir: str | Path | None,
                      scheduler: Any, progress: bool) -> Embeddings:
    from nbkit.distributed import EmbedderSpec, embed_corpus, open_scheduler

    if cache_dir is None:
        raise NbkitError("embedding on a scheduler needs a cache_dir the workers share")
    # workers build their own model from its name (and find the ONNX export where nbkit.paths.model_path says)
    spec = EmbedderSpec(settings.embedding_model, settings.embedding_backend)
    if spec.build().identity != embedder.identity:
        raise NbkitError("embedding on a scheduler needs the model by name (settings.embedding_model and "
                         "settings.embedding_backend), not an embedder object")
    with open_scheduler(scheduler) as client:
        return embed_corpus(texts, spec, cache_dir, client=client, progress=progress)


def fit_topics(papers: pd.DataFrame, settings: TopicSettings | None = None, *, embedder: Any = None,
               cache_dir: str | Path | None = None, progress: bool = True, scheduler: Any = None,
               **components: Any) -> TopicResult:
    """Fit a topic model on the papers (title + abstract by default).

    `embedder` defaults to make_embedder(settings.embedding_model, settings.embedding_backend); `cache_dir` (None:
    no cache) holds the embedding and reduction caches (the ONNX export is kept apart: nbkit.paths.model_path);
    `scheduler` (None: this process; "local:N" or a cluster address, see
    nbkit.distributed) embeds on Dask into that cache, with the same vectors; `components` (umap_model,
    hdbscan_model, vectorizer_model, ctfidf_model, representation_model) replace nbkit's defaults.
    """
    settings = settings or TopicSettings()
    if len(papers) < max(3, settings.min_topic_size):
        raise NbkitError(f"too few papers for a topic model: {len(papers)} (min_topic_size is "
                         f"{settings.min_topic_size})")
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    embedder = embedder or make_embedder(settings.embedding_model, settings.embedding_backend)
    cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
    texts = document_texts(papers, settings.embed_fields)
    if scheduler is None:
        embedded: Embeddings = embed_texts(texts, embedder, cache, progress=progress)
    else:
        embedded = _embed_on_cluster(texts, settings, embedder, cache_dir, scheduler, progress)
    seconds["embed"] = time.perf_counter() - start

    model = build_topic_model(settings, make_backend(embedder, cache), cache_dir=cache_dir, **components)
    if hasattr(model.hdbscan_model, "sample_keys"):  # a large corpus is fitted on the papers of smallest text hash
        model.hdbscan_model.sample_keys = text_keys(texts)
    start = time.perf_counter()  # after building: importing BERTopic (~8 s) is not fitting
    topics, _ = model.fit_transform(texts, embeddings=embedded.vectors)
    topics = np.asarray(topics)
    if settings.reduce_outliers and (topics == -1).any():
        topics = np.asarray(model.reduce_outliers(texts, topics, strategy=settings.reduce_outliers,
                                                  threshold=settings.outlier_threshold,
                                                  embeddings=embedded.vectors))
        model.update_topics(texts, topics=topics.tolist(), top_n_words=settings.top_n_words,
                            vectorizer_model=model.vectorizer_model, ctfidf_model=model.ctfidf_model,
                            representation_model=model.representation_model)
        topics = np.asarray(model.topics_)
    seconds["fit"] = time.perf_counter() - start
    start = time.perf_counter()
    confidence, stability = np.full(len(topics), np.nan), {}
    refit = _refit_function(model, settings, embedded.vectors, custom=bool(components))
    refits: list[tuple[np.ndarray, np.ndarray]] = []  # kept: 03's trend calls repeat their test on them
    # the refits depend on the partition and the stability settings only: another representation reuses them
    stability_key = (None if cache_dir is None or components else
                     "stability-" + digest_bytes(_partition_key(texts, settings, embedder),
                                                 topics.astype(np.int64).tobytes(),
                                                 json.dumps([settings.seed, settings.stability_runs,
                                                             settings.stability_fraction]))[:32])
    stored = find_array(Path(cache_dir) / "topics", stability_key) if stability_key else None
    stored_refits = find_array(Path(cache_dir) / "topics", stability_key + "-refits") if stored is not None else None
    if stored is not None and stored.shape == (2, len(topics)) and stored_refits is not None:
        confidence = stored[0]
        stability = {int(t): float(v) for t, v in sorted(zip(topics.tolist(), stored[1].tolist(), strict=True))
                     if t != OUTLIER and v == v}  # v == v: not NaN
        refits = unpack_refits(stored_refits)
    elif refit is not None and settings.stability_runs and len(np.unique(topics)) > 1:
        def kept(rows: np.ndarray) -> np.ndarray:
            labels = np.asarray(refit(rows)).astype("int64")
            refits.append((np.asarray(rows).astype("int64"), labels))
            return labels

        checked = resample_stability(topics, kept, settings.stability_runs, settings.stability_fraction,
                                     seed=settings.seed, progress=progress)
        confidence = checked.confidence
        stability = dict(zip(checked.topics.tolist(), checked.stability.tolist(), strict=True))
        if stability_key:
            per_paper = np.array([stability.get(int(t), np.nan) for t in topics])
            write_array(Path(cache_dir) / "topics", stability_key, np.vstack([confidence, per_paper]))
            write_array(Path(cache_dir) / "topics", stability_key + "-refits", pack_refits(refits))
    seconds["stability"] = time.perf_counter() - start
    result = TopicResult(model=model, papers=papers.reset_index(drop=True), texts=texts,
                         embeddings=embedded.vectors, topics=topics, confidence=confidence, stability=stability,
                         settings=settings, seconds=seconds, embedding_summary=embedded.summary(),
                         cache_dir=Path(cache_dir) if cache_dir is not None else None, refits=refits)
    if cache_dir is not None and not components:  # custom components are not described by the settings
        _store_summary(Path(cache_dir), _summary_key(papers, texts, settings, embedder), summarize(result),
                       stability_key)
        write_array(Path(cache_dir) / "topics", _partition_key(texts, settings, embedder), topics.astype(np.int64))
        plain = ctfidf_summary(result) if settings.representation == "share-idf" else None
        if plain is not None:  # 04_compare shows these topics' c-TF-IDF terms too: read, not fitted again
            _store_summary(Path(cache_dir), _summary_key(papers, texts, replace(settings, representation="ctfidf"),
                                                         embedder), plain, stability_key)
    return result


def pack_refits(refits: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The refits as one int64 array of three rows (refit number, paper row, label), for the cache."""
    if not refits:
        return np.zeros((3, 0), dtype=np.int64)
    number = np.concatenate([np.full(len(rows), i, dtype=np.int64) for i, (rows, _) in enumerate(refits)])
    return np.vstack([number, np.concatenate([r for r, _ in refits]), np.concatenate([lab for _, lab in refits])])


def unpack_refits(packed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """pack_refits undone: (rows, labels) per refit, in their order."""
    packed = np.asarray(packed, dtype=np.int64)
    cuts = np.flatnonzero(np.diff(packed[0])) + 1
    return [(rows, labels) for rows, labels in zip(np.split(packed[1], cuts), np.split(packed[2], cuts), strict=True)
            if len(rows)]


# Settings that do not change which papers form which topic: terms, labels and the stability check (and, for the
# seedless agglomerative method, the seed). Fits that differ only in these share one partition.
NOT_PARTITION = ("representation", "mmr_diversity", "top_n_words", "ngram_range", "extra_stopwords",
                 "stability_runs", "stability_fraction", "unstable_below")


def _partition_key(texts: Sequence[str], settings: TopicSettings, embedder: Any) -> str:
    shaping = {k: v for k, v in settings.to_dict().items()
               if k not in NOT_PARTITION and not (k == "seed" and settings.method == "agglomerative")}
    if settings.reduce_outliers == "c-tf-idf":  # assigns outliers by their words: the terms matter
        shaping["terms"] = [settings.ngram_range, settings.extra_stopwords]
    return "partition-" + digest_bytes(embedder.identity, json.dumps(shaping, sort_keys=True, default=str),
                                       version("bertopic"), *texts)[:32]


def topic_partition(papers: pd.DataFrame, settings: TopicSettings | None = None, *,
                    cache_dir: str | Path | None = None, embedder: Any = None, progress: bool = True) -> np.ndarray:
    """Each paper's topic (-1: outlier) under `settings`, in the order of `papers`: read from the cache when any
    fit there had the same partition settings (the agglomerative method has no seed, so every seed shares one
    partition), otherwise fitted without the stability check. What 04_compare's seed comparison needs."""
    settings = settings or TopicSettings()
    embedder = embedder or make_embedder(settings.embedding_model, settings.embedding_backend)
    if cache_dir is not None:
        key = _partition_key(document_texts(papers, settings.embed_fields), settings, embedder)
        found = find_array(Path(cache_dir) / "topics", key)
        if found is not None and len(found) == len(papers):
            return found
    return fit_topics(papers, replace(settings, stability_runs=0), embedder=embedder, cache_dir=cache_dir,
                      progress=progress).topics


# --- topic results shared between notebooks -------------------------------------------------------------------------

@dataclass
class TopicSummary:
    """What later notebooks need from a fitted model, without the model: small, cached, no BERTopic import."""

    assignments: pd.DataFrame  # compute_assignments
    terms: pd.DataFrame  # compute_topic_terms
    fit_seconds: float  # BERTopic's fit (UMAP, HDBSCAN, representation), embedding excluded
    # the stability check's refits, (rows, labels) with rows positions in `assignments`: for trend calls
    refits: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def topic_words(self) -> list[list[str]]:
        """Each topic's terms in rank order (outliers left out), in topic order."""
        return [group.sort_values("rank")["term"].tolist() for _, group in self.terms.groupby("topic", sort=True)]


class _TermsOnly:
    """What the tables read of a fitted model (get_topic), for terms computed apart from it."""

    def __init__(self, terms: Mapping[int, list[tuple[str, float]]]) -> None:
        self.terms = terms

    def get_topic(self, topic: int) -> list[tuple[str, float]] | bool:
        return self.terms.get(topic, False)  # as BERTopic.get_topic


def ctfidf_summary(result: TopicResult) -> TopicSummary | None:
    """The summary a fit with representation="ctfidf" gives for the same settings otherwise: the same partition,
    stability and refits, each topic's terms ranked by the c-TF-IDF matrix this fit computed anyway (BERTopic
    computes it whatever the representation, and the "ctfidf" representation only ranks its rows). None when the
    model has no such matrix row for every topic."""
    import scipy.sparse as sp

    matrix = getattr(result.model, "c_tf_idf_", None)
    labels = np.unique(result.topics).tolist()
    if matrix is None or matrix.shape[0] != len(labels):
        return None
    vocabulary = np.asarray(result.model.vectorizer_model.get_feature_names_out())
    terms = ctfidf_terms(sp.csr_matrix(matrix), vocabulary, labels, result.settings.top_n_words)
    return summarize(replace(result, model=_TermsOnly(terms),
                             settings=replace(result.settings, representation="ctfidf")))


def summarize(result: TopicResult) -> TopicSummary:
    return TopicSummary(compute_assignments(result), compute_topic_terms(result), round(result.seconds["fit"], 2),
                        result.refits)


def _summary_key(papers: pd.DataFrame, texts: Sequence[str], settings: TopicSettings, embedder: Any) -> str:
    return "topics-" + digest_bytes(embedder.identity, json.dumps(settings.to_dict(), sort_keys=True, default=str),
                                    version("bertopic"), *papers["paper_id"].astype(str), *texts)[:32]


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _store_summary(cache_dir: Path, key: str, summary: TopicSummary, refits_key: str | None) -> None:
    """The summary's tables under `key`. Its refits are not copied: its index names the stability check's entry
    that holds them (`refits_key`, stored by fit_topics), so they are kept once however many views are cached.
    (An older nbkit's summary, with `-meta` and its own refits, is no longer read: it is fitted again once.)"""
    folder = cache_dir / "topics"
    # the index is written last and the first fit stays: refits differ only in timing
    if find_file(folder, f"{key}-summary", ".json") is not None:
        return
    write_file(folder, f"{key}-assignments", _parquet_bytes(summary.assignments), ".parquet")
    write_file(folder, f"{key}-terms", _parquet_bytes(summary.terms), ".parquet")
    index = {"fit_seconds": summary.fit_seconds, "refits": refits_key if summary.refits else None}
    write_file(folder, f"{key}-summary", json.dumps(index).encode(), ".json")


def _load_summary(cache_dir: Path, key: str, n_papers: int) -> TopicSummary | None:
    folder = cache_dir / "topics"
    parts = [find_file(folder, f"{key}-{name}", suffix)
             for name, suffix in (("assignments", ".parquet"), ("terms", ".parquet"), ("summary", ".json"))]
    if any(part is None for part in parts):
        return None
    index = json.loads(parts[2][1])
    refits: list[tuple[np.ndarray, np.ndarray]] = []
    if index["refits"] is not None:
        packed = find_array(folder, index["refits"] + "-refits")
        if packed is None:  # the stability check's entry is gone: fitted again
            return None
        refits = unpack_refits(packed)
    assignments = pd.read_parquet(io.BytesIO(parts[0][1]))
    if len(assignments) != n_papers or list(assignments.columns) != ASSIGNMENT_COLUMNS:
        return None
    return TopicSummary(assignments, pd.read_parquet(io.BytesIO(parts[1][1])), float(index["fit_seconds"]), refits)


def topic_summary(papers: pd.DataFrame, settings: TopicSettings | None = None, *,
                  cache_dir: str | Path | None = None, embedder: Any = None, progress: bool = True) -> TopicSummary:
    """The assignments and terms of the topic model for `papers` under `settings`, and the stability check's
    refits: read from the cache when a notebook or run already fitted the same model there (same embedding model,
    settings and paper texts), otherwise fitted now and cached. Later notebooks use it to show the topics of
    02_topics without fitting, or importing BERTopic, again; 03 repeats its trend test on the refits."""
    settings = settings or TopicSettings()
    embedder = embedder or make_embedder(settings.embedding_model, settings.embedding_backend)
    if cache_dir is not None:
        key = _summary_key(papers, document_texts(papers, settings.embed_fields), settings, embedder)
        found = _load_summary(Path(cache_dir), key, len(papers))
        if found is not None:
            return found
    return summarize(fit_topics(papers, settings, embedder=embedder, cache_dir=cache_dir, progress=progress))


def topic_assignments(papers: pd.DataFrame, settings: TopicSettings | None = None, *,
                      cache_dir: str | Path | None = None, embedder: Any = None,
                      progress: bool = True) -> pd.DataFrame:
    """compute_assignments of the (cached or fitted) topic model: see topic_summary."""
    return topic_summary(papers, settings, cache_dir=cache_dir, embedder=embedder, progress=progress).assignments


# --- tables --------------------------------------------------------------------------------------------------------

def representative_papers(result: TopicResult, n: int = 3) -> dict[int, list[int]]:
    """Row positions of the `n` papers closest (cosine) to each topic's mean embedding, best first; ties by row."""
    unit = result.embeddings / np.maximum(np.linalg.norm(result.embeddings, axis=1, keepdims=True), 1e-12)
    out = {}
    for topic in sorted(set(result.topics.tolist())):
        rows = np.flatnonzero(result.topics == topic)
        centre = unit[rows].mean(axis=0)
        score = np.round(unit[rows] @ centre, 6)  # rounded: float noise must not reorder near-ties
        out[topic] = rows[np.lexsort((rows, -score))][:n].tolist()
    return out


def compute_topic_table(result: TopicResult, n_terms: int = 10, n_titles: int = 3) -> pd.DataFrame:
    """One row per topic (outliers as topic -1, last): size, share of papers, stability (share of resampled
    refits in which the topic came back; NaN: not checked), unstable (stability below settings.unstable_below),
    label, top terms, representative titles."""
    labels = result.labels()
    reps = representative_papers(result, n_titles)
    sizes = pd.Series(result.topics).value_counts()
    rows = []
    for topic in sorted(labels, key=lambda t: (t == -1, t)):
        terms = [w for w, _ in (result.model.get_topic(topic) or [])][:n_terms]
        rows.append({
            "topic": topic, "size": int(sizes[topic]), "share": round(sizes[topic] / len(result.topics), 3),
            "stability": round(result.stability.get(topic, math.nan), 2) if topic != -1 else math.nan,
            "unstable": topic != -1 and result.stability.get(topic, 1.0) < result.settings.unstable_below,
            "label": labels[topic], "top_terms": ", ".join(terms),
            "representative_titles": " | ".join(result.papers["title"].iloc[reps[topic]].astype(str)),
        })
    return pd.DataFrame(rows).set_index("topic")


def compute_topic_quality(result: TopicResult, top_n: int = 10) -> pd.DataFrame:
    """One row: n_topics, outlier_share, npmi (mean NPMI of each topic's top words, the papers as reference),
    diversity (unique top words over all), fit_seconds. What a sweep summary compares across runs."""
    from nbkit.quality import compute_model_card

    summary = summarize(result)
    row = {"model": "bertopic", "topic_words": summary.topic_words(), "doc_topics": result.topics,
           "fit_seconds": summary.fit_seconds, "documents": result.texts}
    vectorizer = result.model.vectorizer_model
    if isinstance(getattr(vectorizer, "analyzer", None), PhraseAnalyzer) and hasattr(vectorizer, "vocabulary_"):
        # the papers' terms as the fit counted them (remembered by PhraseVectorizer): no second tokenizing
        row["term_counts"] = (vectorizer.transform(result.texts), vectorizer.vocabulary_)
    return compute_model_card([row], top_n=top_n).drop(columns="model")


def compute_assignments(result: TopicResult) -> pd.DataFrame:
    """One row per paper: paper_id, title, topic, label; confidence (share of the resampled refits that kept the
    paper with its topic), topic_stability (share of refits in which its topic came back) and unstable (the
    topic's stability is below settings.unstable_below). 2 decimals; NaN and False when not checked."""
    labels = result.labels()
    stability = np.array([result.stability.get(int(t), np.nan) for t in result.topics], dtype=float)
    return pd.DataFrame({
        "paper_id": result.papers["paper_id"].to_numpy(),
        "title": result.papers["title"].to_numpy(),
        "topic": result.topics.astype("int64"),
        "label": [labels[t] for t in result.topics],
        "confidence": np.round(result.confidence, 2),
        "topic_stability": np.round(stability, 2),
        "unstable": np.nan_to_num(stability, nan=1.0) < result.settings.unstable_below,
    })


def compute_subtopics(result: TopicResult, n_terms: int = 6) -> pd.DataFrame:
    """The level below the topics: the same tree cut lower (AgglomerativeTopics' fine level), one row per
    subtopic with its topic, size, label and top terms (share-idf over the subtopics), ordered by topic, then size.
    Papers in no subtopic are left out. Empty when the clustering has no finer level (umap-hdbscan, custom)."""
    import scipy.sparse as sp

    columns = ["subtopic", "topic", "size", "label", "top_terms"]
    levels = getattr(result.model.hdbscan_model, "levels_", None)
    if levels is None or not np.array_equal(levels["top"], result.topics):
        return pd.DataFrame(columns=columns)
    fine = levels["fine"]
    vectorizer = result.model.vectorizer_model
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    present = (vectorizer.transform(result.texts) > 0).astype(np.int64).tocsr()
    document_frequency = np.asarray(present.sum(axis=0)).ravel()
    n_sub = int(fine.max()) + 1 if (fine >= 0).any() else 0
    # papers using each term, per subtopic: one sparse product (a boolean row selection per subtopic took a
    # minute at 100,000 papers)
    inside = np.flatnonzero(fine >= 0)
    membership = sp.csr_matrix((np.ones(len(inside), dtype=np.int64), (fine[inside], inside)),
                               shape=(n_sub, len(fine)))
    used_by = (membership @ present).tocsr()
    sizes = np.bincount(fine[inside], minlength=n_sub)
    rows = []
    for sub in range(n_sub):
        members = fine == sub
        used = used_by[sub].toarray()
        scores = share_idf(used, sizes[sub:sub + 1], document_frequency, len(fine))[0]
        terms = [str(vocabulary[i]) for i in ranked_terms(scores, vocabulary, max(n_terms, 10))]
        parents = np.unique(result.topics[members])
        rows.append({"subtopic": sub, "topic": int(parents[0]) if len(parents) == 1 else OUTLIER,
                     "size": int(sizes[sub]), "label": make_label(terms), "top_terms": ", ".join(terms[:n_terms])})
    table = pd.DataFrame(rows, columns=columns)
    order = np.lexsort((table["subtopic"], -table["size"], table["topic"].where(table["topic"] >= 0, 1 << 30)))
    return table.iloc[order].reset_index(drop=True)


def compute_topic_terms(result: TopicResult, n_terms: int = 10) -> pd.DataFrame:
    """Long table of each topic's terms: topic, label, rank (1 = best), term, weight (outliers left out)."""
    labels = result.labels()
    rows = [{"topic": t, "label": labels[t], "rank": rank, "term": term, "weight": round(float(weight), 4)}
            for t in sorted(labels) if t != -1
            for rank, (term, weight) in enumerate((result.model.get_topic(t) or [])[:n_terms], start=1)]
    return pd.DataFrame(rows, columns=["topic", "label", "rank", "term", "weight"])


def compute_topics_per_collection(result: TopicResult) -> pd.DataFrame:
    """Papers per topic (rows, labelled) and collection (columns); a paper listed in two collections counts in
    both. Sorted like the topic table."""
    from nbkit.compare import compute_collection_topic_counts

    return compute_collection_topic_counts(compute_assignments(result), result.papers).T


def project_2d(unit: np.ndarray) -> np.ndarray:
    """The first two principal components of unit vectors (classical MDS of their cosine distances): a linear,
    seedless projection. Each axis is oriented so that its largest coordinate is positive (an eigenvector may
    come with either sign). The axes are the top eigenvectors of the dimensions x dimensions scatter matrix, so
    the cost grows linearly with the papers (an SVD of the papers x dimensions matrix took 2-30 s at 2,000 papers
    on 2 busy cores, and 300 MB for its left factor at 100,000). The eigendecomposition runs on one BLAS thread:
    on a 384 x 384 matrix a second OpenBLAS thread only spins (2.4 CPU s instead of 0.03 on 2 busy cores), and one
    thread gives the same bits whatever the machine's core count."""
    from threadpoolctl import threadpool_limits

    centred = unit - unit.mean(axis=0)
    with threadpool_limits(limits=1, user_api="blas"):
        _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    xy = centred @ vectors[:, ::-1][:, :2]
    if xy.shape[1] < 2:  # a single paper or dimension: nothing to spread along the second axis
        xy = np.column_stack([xy, np.zeros((len(xy), 2 - xy.shape[1]))])
    flip = np.sign(xy[np.argmax(np.abs(xy), axis=0), [0, 1]])
    return xy * np.where(flip == 0, 1.0, flip)


def compute_topic_map(result: TopicResult) -> pd.DataFrame:
    """2-D coordinates of every paper (project_2d of the unit embeddings: a picture only, not used by the topics),
    with its topic, label and title."""
    xy = project_2d(unit_rows(result.embeddings))
    labels = result.labels()
    return pd.DataFrame({"paper_id": result.papers["paper_id"].to_numpy(), "x": xy[:, 0], "y": xy[:, 1],
                         "topic": result.topics, "label": [labels[t] for t in result.topics],
                         "title": result.papers["title"].to_numpy()})


# --- saving --------------------------------------------------------------------------------------------------------

def save_topic_model(result: TopicResult, folder: str | Path) -> Path:
    """Save the model in BERTopic's safetensors format (topics, c-TF-IDF, config; the embedding model by name),
    replacing `folder` whole, plus nbkit's settings in nbkit_settings.json."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        # No embedding-model pointer in BERTopic's config: BERTopic.load would hand it to SentenceTransformer,
        # which goes to the network for a name. nbkit_settings.json names the model; load_topic_model reads it.
        bertopic_log = logging.getLogger("BERTopic")
        level = bertopic_log.level
        bertopic_log.setLevel(logging.ERROR)  # its "saving without an embedding model" warning is expected here
        try:
            result.model.save(tmp, serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
        finally:
            bertopic_log.setLevel(level)
        (tmp / "nbkit_settings.json").write_text(json.dumps(result.settings.to_dict(), indent=2) + "\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is an ordinary output
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def load_topic_model(folder: str | Path, *, embedder: Any = None, cache_dir: str | Path | None = None) -> Any:
    """A BERTopic saved by save_topic_model, with its embedding model loaded offline through the cache."""
    folder = Path(folder)
    settings_file = folder / "nbkit_settings.json"
    if not settings_file.is_file():
        raise NbkitError("not a topic model saved by nbkit (no nbkit_settings.json)", folder)
    settings = load_settings(folder)
    embedder = embedder or make_embedder(settings.embedding_model, settings.embedding_backend)
    cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
    try:
        return stable_bertopic().load(str(folder), embedding_model=make_backend(embedder, cache))
    except Exception as exc:  # BERTopic raises many types for damaged folders
        raise NbkitError(f"cannot load topic model ({exc.__class__.__name__}: {exc})", folder) from None


def load_settings(folder: str | Path) -> TopicSettings:
    data = json.loads((Path(folder) / "nbkit_settings.json").read_text())
    return replace(TopicSettings(), **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def write_interactive_views(result: TopicResult, points: pd.DataFrame, folder: str | Path) -> list[Path]:
    """BERTopic's plotly views as HTML files next to the other outputs (kept out of the notebook: they are large):
    topic_map.html (papers in 2-D, titles on hover) and topic_terms.html (term bars). plotly.js is written once
    beside them, so the pages work offline."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    labels = result.labels()
    result.model.set_topic_labels({t: f"{t}: {label}" for t, label in labels.items()})
    views = {
        "topic_map.html": result.model.visualize_documents(
            result.papers["title"].astype(str).tolist(), reduced_embeddings=points[["x", "y"]].to_numpy(),
            hide_annotations=True, custom_labels=True, title="Papers by topic"),
        "topic_terms.html": result.model.visualize_barchart(top_n_topics=min(12, len(labels)), n_words=8,
                                                            custom_labels=True, title="Top terms per topic"),
    }
    for name, figure in views.items():
        figure.write_html(folder / name, include_plotlyjs="directory", full_html=True)
    return [folder / name for name in views]
