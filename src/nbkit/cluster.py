"""Clustering document embeddings into topics without a seed and without amplifying float noise.

    clusterer = AgglomerativeTopics(min_topic_size=5)
    clusterer.fit(embeddings)        # labels_: 0, 1, ... by size (largest first), -1 for outliers
    clusterer.levels_["fine"]        # the same tree cut lower: subtopics, each inside one topic

Why agglomerative: the same float32 embeddings computed on two CPUs differ in the last bit, and a UMAP + HDBSCAN
fit turns that into another partition (and so does another seed). Average-linkage clustering of the cosine
distances between the unit vectors has no seed, and a merge only changes when two distances are within float noise
of each other or of the threshold, which real corpora almost never have (nbkit's cross-CPU test checks it).
Distances are computed by scipy in float64 with plain C loops (no BLAS, no runtime SIMD dispatch), and every
ordering breaks ties explicitly, so identical decisions give identical labels everywhere.

The clusterer takes BERTopic's clustering slot (fit, labels_, predict), so BERTopic still does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nbkit.errors import NbkitError

OUTLIER = -1
# Above this many papers the tree is built on a sample of this many and the rest join their nearest topic
# (AgglomerativeTopics.max_fit_papers): all pairwise distances of 5,000 papers take 100 MB (float64, condensed) and
# average linkage on them a few seconds; of 100,000 papers they would take 40 GB.
MAX_FIT_PAPERS = 5000
# The top level has at least this many topics when the tree has a cut with that many (AgglomerativeTopics.min_topics)
MIN_TOPICS = 10
MIN_TOPICS_FROM = 1000  # ...in corpora of at least this many papers (a small corpus may well hold fewer themes)
ASSIGN_CHUNK = 8192  # rows per block when assigning papers to centres: bounds the rows x centres similarity block


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 in float64 (a zero row stays zero)."""
    X = np.asarray(X, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    return X / np.where(norms > 0, norms, 1.0)[:, None]


def cosine_condensed(unit: np.ndarray) -> np.ndarray:
    """Condensed cosine distances of unit rows (scipy's pdist: float64, the same bits on every CPU)."""
    from scipy.spatial.distance import pdist

    return np.clip(pdist(unit, metric="cosine"), 0.0, 2.0)


def order_clusters(raw: np.ndarray, min_size: int) -> np.ndarray:
    """Relabel clusters 0, 1, ... by size (largest first, ties by their first row), clusters smaller than
    min_size as OUTLIER."""
    raw = np.asarray(raw)
    values, first, sizes = np.unique(raw, return_index=True, return_counts=True)
    keep = sizes >= min_size
    order = np.lexsort((first[keep], -sizes[keep]))  # lexsort is stable: explicit keys, no tie left to chance
    mapping = np.full(len(values), OUTLIER, dtype=np.int64)
    mapping[np.flatnonzero(keep)[order]] = np.arange(len(order))
    return mapping[np.searchsorted(values, raw)]


def centroids(unit: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit-length mean vector of each topic 0..k-1."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    out = np.zeros((k, unit.shape[1]))
    for topic in range(k):
        out[topic] = unit[labels == topic].mean(axis=0)
    return unit_rows(out)


def nearest_topic(unit: np.ndarray, centres: np.ndarray, min_similarity: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's most similar centre (cosine; ties: the lower topic) and that similarity, OUTLIER below
    min_similarity. Similarities are rounded to 9 decimals first, so float noise cannot pick another topic. Rows
    are taken ASSIGN_CHUNK at a time, so memory stays bounded at any corpus size."""
    if len(centres) == 0:
        return np.full(len(unit), OUTLIER, dtype=np.int64), np.zeros(len(unit))
    best = np.empty(len(unit), dtype=np.int64)
    best_sim = np.empty(len(unit))
    for start in range(0, len(unit), ASSIGN_CHUNK):
        block = slice(start, start + ASSIGN_CHUNK)
        sims = np.round(np.einsum("ik,jk->ij", unit[block], centres, optimize=False), 9)
        best[block] = np.argmax(sims, axis=1)  # argmax returns the first maximum: ties go to the lower topic
        best_sim[block] = sims[np.arange(len(sims)), best[block]]
    return np.where(best_sim >= min_similarity, best, OUTLIER).astype(np.int64), best_sim


def sample_rows(n: int, size: int, keys: np.ndarray | None = None) -> np.ndarray:
    """Sorted positions of the `size` of n papers the tree is built on: those with the smallest keys (nbkit passes
    each paper's text hash, nbkit.embed.text_keys: the same papers on every machine and run, unrelated to their
    order or topic; equal keys, i.e. identical texts, by position), or without keys every (n / size)-th row."""
    if size >= n:
        return np.arange(n)
    if keys is None:
        return np.arange(size, dtype=np.int64) * n // size
    keys = np.asarray(keys)
    if len(keys) != n:
        raise NbkitError(f"{len(keys)} sample keys for {n} papers")
    return np.sort(np.argsort(keys, kind="stable")[:size])


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Topics renumbered 0, 1, ... by size (largest first, ties by their first row); OUTLIER stays OUTLIER."""
    out = np.full(len(labels), OUTLIER, dtype=np.int64)
    inside = labels != OUTLIER
    out[inside] = order_clusters(labels[inside], 1)
    return out


def cut_profile(tree: np.ndarray, n: int, min_size: int,
                weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every way to cut an average-linkage tree: the cut (midway between two merge heights, as far from
    either as possible, so float noise cannot move a merge across it), the number of clusters of at least
    min_size papers there, and the share of papers in them. One pass over the merges, O(n). `weights` gives the
    papers each leaf stands for (a micro-cluster's size; default 1 each)."""
    sizes = np.ones(2 * n - 1, dtype=np.int64)
    if weights is not None:
        sizes[:n] = np.asarray(weights, dtype=np.int64)
    total = int(sizes[:n].sum())
    leaves = sizes[:n] >= min_size  # a leaf can already be a topic: a micro-cluster of min_size papers
    big, covered = int(leaves.sum()), int(sizes[:n][leaves].sum())
    heights, counts, coverage = [], [], []
    for i, (a, b, height, _) in enumerate(tree):
        a, b = int(a), int(b)
        for child in (a, b):
            if sizes[child] >= min_size:
                big, covered = big - 1, covered - sizes[child]
        size = sizes[n + i] = sizes[a] + sizes[b]
        if size >= min_size:
            big, covered = big + 1, covered + size
        if i + 1 < len(tree) and tree[i + 1, 2] == height:
            continue  # a cut cannot fall between merges of the same height
        upper = tree[i + 1, 2] if i + 1 < len(tree) else height + 1.0
        heights.append((height + upper) / 2)
        counts.append(big)
        coverage.append(covered / total)
    return np.array(heights), np.array(counts), np.array(coverage)


def condensed_rows(distances: np.ndarray, n: int, rows: np.ndarray) -> np.ndarray:
    """The condensed distances among the papers at sorted positions `rows`, taken from those of all n papers.

    Row by row: paper a's distances to the later papers b are at (start of a's run) + b in the condensed array, so
    each row is one gather (no index arrays of all pairs: at 4,000 rows those took 2 s and 260 MB a refit)."""
    rows = np.asarray(rows, dtype=np.int64)
    m = len(rows)
    out = np.empty(m * (m - 1) // 2, dtype=distances.dtype)
    at = 0
    for i, a in enumerate(rows[:-1].tolist()):
        later = rows[i + 1:]  # all > a because rows are sorted
        out[at:at + len(later)] = distances[(n * a - a * (a + 1) // 2 - a - 1) + later]
        at += len(later)
    return out


@dataclass
class AgglomerativeTopics:
    """Average-linkage clustering of cosine distances between the papers' embeddings, cut where topics begin.

    Where to cut the tree is read from the tree, so that it suits any corpus (a narrow field merges at small
    distances, a whole discipline at large ones): the lowest cut at which at least min_coverage of the papers are
    in topics of min_topic_size papers or more, raised while there are more than max_topics topics. A
    distance_threshold (a cosine distance) fixes the cut instead. The rule uses the tree alone: no seed, and the
    same choice on every machine. (Choosing the cut by resampled stability was tried: it made the partition
    depend on the random draws.) In a corpus of MIN_TOPICS_FROM papers or more, a cut with fewer than min_topics
    topics is lowered to the nearest cut with at least min_topics (when the tree has one), so that the top level
    of a large corpus has between min_topics and max_topics topics (10-40 by default) and the fine level below it.

    Above max_fit_papers papers the tree is built on a sample of max_fit_papers of them (sample_rows: the papers
    with the smallest sample_keys, which fit_topics sets to the text hashes; none set: evenly spaced rows), and
    every other paper joins the topic, and the subtopic, with the nearest centre (cosine) when its similarity is
    at least 1 - the cut (as predict), else it is an outlier. Memory and time then grow linearly with the papers
    beyond the sample.

    Clusters under min_topic_size papers are outliers; an outlier joins its nearest topic when its cosine
    similarity to the topic's centre is at least assign_similarity (None: outliers stay outliers).
    levels_["fine"] is a finer cut of the same tree (the cut with the most topics below the chosen one): each fine
    topic lies inside one topic, so the two levels form a hierarchy.
    """

    distance_threshold: float | None = None
    min_coverage: float = 0.85
    min_topic_size: int = 5
    assign_similarity: float | None = None
    max_topics: int | None = 40
    min_topics: int | None = MIN_TOPICS
    max_fit_papers: int | None = MAX_FIT_PAPERS

    def __post_init__(self) -> None:
        if self.distance_threshold is not None and not 0 < self.distance_threshold < 2:
            raise NbkitError(f"distance_threshold is a cosine distance in (0, 2), not {self.distance_threshold}")
        if not 0 < self.min_coverage <= 1:
            raise NbkitError(f"min_coverage is a share of the papers in (0, 1], not {self.min_coverage}")
        if self.min_topic_size < 2:
            raise NbkitError(f"min_topic_size must be at least 2, not {self.min_topic_size}")
        if self.max_topics is not None and self.max_topics < 1:
            raise NbkitError(f"max_topics must be at least 1 or None, not {self.max_topics}")
        if self.min_topics is not None and self.min_topics < 1:
            raise NbkitError(f"min_topics must be at least 1 or None, not {self.min_topics}")
        if self.max_fit_papers is not None and self.max_fit_papers < 2 * self.min_topic_size:
            raise NbkitError(f"max_fit_papers must be None or at least twice min_topic_size, not "
                             f"{self.max_fit_papers}")
        self.sample_keys: np.ndarray | None = None  # per paper: what orders the sample (fit_topics: text hashes)

    # -- fitting ---------------------------------------------------------------------------------------------------

    def _cut(self, tree: np.ndarray, threshold: float, min_size: int | None = None) -> np.ndarray:
        from scipy.cluster.hierarchy import fcluster

        return order_clusters(fcluster(tree, t=threshold, criterion="distance"), min_size or self.min_topic_size)

    def choose_cuts(self, tree: np.ndarray, n: int, weights: np.ndarray | None = None,
                    papers: int | None = None) -> tuple[float, float]:
        """The cut and the fine cut (see the class docstring); `papers`: the corpus size when the tree holds a
        sample of it (default: the leaves' weights)."""
        heights, counts, coverage = cut_profile(tree, n, self.min_topic_size, weights)
        if self.distance_threshold is not None:
            top = min(int(np.searchsorted(heights, self.distance_threshold)), len(heights) - 1)
            chosen = self.distance_threshold
        else:
            covered = coverage >= self.min_coverage
            top = int(np.argmax(covered)) if covered.any() else len(heights) - 1
            while self.max_topics is not None and top < len(heights) - 1 and counts[top] > self.max_topics:
                top += 1
            papers = papers or (int(np.sum(weights)) if weights is not None else n)
            least = min(self.min_topics or 0, self.max_topics or len(heights))
            if papers >= MIN_TOPICS_FROM and counts[top] < least:
                # too coarse to read as a map of the field: the nearest lower cut with enough topics, if any
                enough = np.flatnonzero(counts[:top] >= least)
                top = int(enough[-1]) if len(enough) else top
            chosen = float(heights[top])
        fine = int(np.argmax(counts[:top + 1]))  # the first cut with the most topics: ties go to the lower cut
        return chosen, min(chosen, float(heights[fine])) if counts[fine] > counts[top] else chosen

    def fit(self, X: np.ndarray, y: object = None) -> AgglomerativeTopics:
        from scipy.cluster.hierarchy import linkage

        unit = unit_rows(X)
        if len(unit) < 2:
            raise NbkitError(f"clustering needs at least 2 documents, not {len(unit)}")
        self.unit_ = unit
        keys = self.sample_keys if self.sample_keys is not None and len(self.sample_keys) == len(unit) else None
        self.sample_ = sample_rows(len(unit), self.max_fit_papers or len(unit), keys)
        self.distances_ = cosine_condensed(unit[self.sample_])
        self.tree_ = linkage(self.distances_, method="average")
        self.threshold_, self.fine_threshold_ = self.choose_cuts(self.tree_, len(self.sample_), papers=len(unit))
        top = self._extend(unit, self.sample_, self._cut(self.tree_, self.threshold_))
        fine = self._extend(unit, self.sample_, self._cut(self.tree_, self.fine_threshold_), top)
        labels, similarity = self._assign(unit, top)
        self.labels_ = labels
        self.similarity_ = similarity
        self.centroids_ = centroids(unit, labels)
        self.levels_ = {"top": labels, "fine": fine}
        return self

    def _extend(self, unit: np.ndarray, sample: np.ndarray, labels: np.ndarray,
                parents: np.ndarray | None = None) -> np.ndarray:
        """Labels of all rows of `unit` from those of the rows at `sample`: each other row joins the nearest centre
        when its similarity reaches 1 - the cut, else it is an outlier; topics then numbered by size again. With
        `parents` (the top level of all rows), a row whose nearest subtopic lies in another topic is in none."""
        if len(sample) == len(unit):
            return labels
        rest = np.ones(len(unit), dtype=bool)
        rest[sample] = False
        out = np.full(len(unit), OUTLIER, dtype=np.int64)
        out[sample] = labels
        out[rest] = nearest_topic(unit[rest], centroids(unit[sample], labels), 1 - self.threshold_)[0]
        if parents is not None:
            inside = out >= 0
            parent = np.full(int(out.max()) + 1 if inside.any() else 0, OUTLIER, dtype=np.int64)
            parent[out[sample][labels >= 0]] = parents[sample][labels >= 0]  # a subtopic lies in one topic
            out[inside & (parent[np.maximum(out, 0)] != parents)] = OUTLIER
        return relabel_by_size(out)

    def _assign(self, unit: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outliers joined to their nearest topic where similar enough; every paper's similarity to its topic."""
        centres = centroids(unit, labels)
        labels = labels.copy()
        nearest, sims = nearest_topic(unit, centres, self.assign_similarity if self.assign_similarity is not None
                                      else np.inf)
        outliers = labels == OUTLIER
        labels[outliers] = nearest[outliers]
        own = np.round(np.einsum("ij,ij->i", unit, centres[np.maximum(labels, 0)]), 9) if len(centres) else sims
        return labels, np.where(labels >= 0, own, sims)

    def refit(self, rows: np.ndarray, min_topic_size: int | None = None) -> np.ndarray:
        """Labels of the papers at sorted positions `rows`, clustered alone with the fitted cut (the stability
        check's refits): the distances are taken from the fit, not computed again."""
        from scipy.cluster.hierarchy import linkage

        rows = np.asarray(rows)
        # the refit's own sample: the papers of the fit's sample among `rows` (all of them below max_fit_papers)
        at = np.minimum(np.searchsorted(self.sample_, rows), len(self.sample_) - 1)
        sampled = self.sample_[at] == rows
        tree = linkage(condensed_rows(self.distances_, len(self.sample_), at[sampled]), method="average")
        unit = self.unit_[rows]
        labels = self._extend(unit, np.flatnonzero(sampled), self._cut(tree, self.threshold_, min_topic_size))
        if self.assign_similarity is None:  # _assign would leave every label as it is: skip its two passes
            return labels
        return self._assign(unit, labels)[0]

    def fit_predict(self, X: np.ndarray, y: object = None) -> np.ndarray:
        return self.fit(X).labels_

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Topics of new documents: the nearest topic centre, or OUTLIER when none is similar enough."""
        if not hasattr(self, "centroids_"):
            raise NbkitError("the clusterer was not fitted")
        threshold = self.assign_similarity if self.assign_similarity is not None else 1 - self.threshold_
        return nearest_topic(unit_rows(X), self.centroids_, threshold)[0]


@dataclass
class TwoStageTopics(AgglomerativeTopics):
    """AgglomerativeTopics for corpora too large for all pairwise distances (quadratic memory): k-means first
    groups the papers into micro-clusters of about micro_size papers (seeded), then average linkage clusters the
    micro-clusters' centres, and the cut is chosen as in AgglomerativeTopics with each centre weighing as many
    papers as it holds. Memory grows with (n / micro_size)^2. The k-means stage has a seed, and its assignments
    come from BLAS distances: measured, not assumed, in benchmarks/bench_candidates.py."""

    micro_size: int = 20
    seed: int = 0

    def _micro(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.cluster import KMeans

        k = max(2, min(len(unit) - 1, -(-len(unit) // self.micro_size)))
        kmeans = KMeans(n_clusters=k, n_init=1, random_state=self.seed).fit(unit)
        members = kmeans.labels_.astype(np.int64)
        return members, unit_rows(np.array([unit[members == c].mean(axis=0) for c in range(k)]))

    def _labels(self, unit: np.ndarray, threshold: float | None = None,
                min_size: int | None = None) -> tuple[np.ndarray, np.ndarray, tuple]:
        from scipy.cluster.hierarchy import fcluster, linkage

        members, centres = self._micro(unit)
        tree = linkage(cosine_condensed(centres), method="average")
        weights = np.bincount(members, minlength=len(centres))
        cuts = (threshold, threshold) if threshold is not None else self.choose_cuts(tree, len(centres), weights)
        label = [order_clusters(fcluster(tree, t=cut, criterion="distance")[members], min_size or self.min_topic_size)
                 for cut in cuts]
        return label[0], label[1], cuts

    def fit(self, X: np.ndarray, y: object = None) -> TwoStageTopics:
        unit = unit_rows(X)
        if len(unit) < 3:
            raise NbkitError(f"two-stage clustering needs at least 3 documents, not {len(unit)}")
        self.unit_ = unit
        top, fine, (self.threshold_, self.fine_threshold_) = self._labels(unit)
        self.labels_, self.similarity_ = self._assign(unit, top)
        self.centroids_ = centroids(unit, self.labels_)
        self.levels_ = {"top": self.labels_, "fine": fine}
        return self

    def refit(self, rows: np.ndarray, min_topic_size: int | None = None) -> np.ndarray:
        unit = self.unit_[np.asarray(rows)]
        return self._assign(unit, self._labels(unit, self.threshold_, min_topic_size)[0])[0]
