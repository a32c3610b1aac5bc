"""The candidates table of the reproducible-topics issue: which clustering of the paper embeddings gives the same
topics on every CPU and for every seed, and what the topics are worth.

    python benchmarks/bench_candidates.py [--corpus bundled|arxiv|both]

For each corpus (the bundled 266 papers in data/raw/hf_papers; the 2,000 real arXiv papers in
benchmarks/corpora/arxiv_sample) the parent starts one child process per CPU configuration of nbkit.emulate
("native", "avx2", "generic"; one after the other), each with empty numba and nbkit caches and HF_HUB_OFFLINE=1,
because the settings only take effect when a process starts. Each child embeds the papers (title + abstract) with
the packaged MiniLM, without a cache, and clusters the embeddings with every candidate, seeds 0-4 (a candidate
without a seed once); min topic size 5 everywhere, label -1 = outlier:

  * umap+hdbscan (old default): UMAP to 5 dimensions (15 neighbours, min_dist 0, cosine), then HDBSCAN (eom);
  * agglomerative average (default): nbkit.cluster.AgglomerativeTopics(), the cut read from the tree;
  * agglomerative average, fixed cut 0.45: the same tree cut at cosine distance 0.45;
  * ward: scipy's Ward linkage of the unit vectors, cut by AgglomerativeTopics' rule (the lowest cut with >= 85%
    of the papers in clusters of >= 5 papers, raised while there are more than 40 of them);
  * evoc: evoc.EVoC(random_state=seed) on the unit vectors in float32, its default layer (labels_);
  * two-stage: nbkit.cluster.TwoStageTopics(micro_size=20): seeded k-means micro-clusters, then average linkage.

How to read the table (one per corpus):
  * identical across CPUs: the seed-0 partition is the same under all three configurations. "papers moved" is, for
    avx2 and for generic against native, the papers outside the best one-to-one matching of their topics (so a mere
    renumbering moves nothing; outliers only match outliers). The embeddings themselves are compared too (line
    above each table): they usually differ in the last bits, which is what a candidate must not amplify.
  * mean ARI over seeds: mean adjusted Rand index of the 10 pairs of seeds 0-4 (native; outliers count as one
    cluster). 1.0 by construction for a candidate without a seed ("no seed" in the notes).
  * NPMI@10, diversity@10: every partition is described by the same terms, nbkit's share-idf over nbkit's topic
    vectorizer (words and two-word phrases), so the columns compare partitions, not term scorers. NPMI is the mean
    over topics (nbkit.quality.npmi_coherence on the texts), diversity is nbkit.quality.topic_diversity.
  * outlier share, topics (outliers excluded), NPMI and diversity: mean over seeds 0-4 for a seeded candidate
    (topics: the range when it varies). fit s: native, median over the seeds, clustering only (embeddings
    excluded); the first seed of a numba-based candidate (UMAP, EVoC) also pays for compiling, hence the median.
    The machine is shared: timings are indicative.
  * NMF (reference): nbkit.quality.fit_baseline(texts, "nmf", topics of the default, seed=42), fitted in the parent,
    its top words scored the same way; not a partition of the embeddings, so the CPU and seed columns are empty.

Results: printed as Markdown and written to benchmarks/results/candidates.md and candidates.csv.
The child mode (`--child CONFIG CORPUS OUTFILE`) is what the parent runs; it writes labels and seconds to an npz.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CORPORA = {"bundled": "data/raw/hf_papers", "arxiv": "benchmarks/corpora/arxiv_sample/papers.jsonl"}
CONFIGS = ("native", "avx2", "generic")
SEEDS = (0, 1, 2, 3, 4)
MIN_SIZE = 5
TOP_N = 10


# --- the candidates (run in the child) ----------------------------------------------------------------------------

def umap_hdbscan(X: np.ndarray, seed: int) -> np.ndarray:
    import hdbscan

    from nbkit.topics import CachedUMAP

    reduced = CachedUMAP(None, n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                         random_state=seed).fit_transform(X)
    return hdbscan.HDBSCAN(min_cluster_size=MIN_SIZE, metric="euclidean",
                           cluster_selection_method="eom").fit(reduced).labels_


def agglomerative(X: np.ndarray, seed: int) -> np.ndarray:
    from nbkit.cluster import AgglomerativeTopics

    return AgglomerativeTopics(min_topic_size=MIN_SIZE).fit(X).labels_


def agglomerative_fixed(X: np.ndarray, seed: int) -> np.ndarray:
    from nbkit.cluster import AgglomerativeTopics

    return AgglomerativeTopics(distance_threshold=0.45, min_topic_size=MIN_SIZE).fit(X).labels_


def ward(X: np.ndarray, seed: int, min_coverage: float = 0.85, max_topics: int = 40) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage

    from nbkit.cluster import cut_profile, order_clusters, unit_rows

    tree = linkage(unit_rows(X), method="ward")
    heights, counts, coverage = cut_profile(tree, len(X), MIN_SIZE)
    covered = coverage >= min_coverage
    top = int(np.argmax(covered)) if covered.any() else len(heights) - 1
    while top < len(heights) - 1 and counts[top] > max_topics:
        top += 1
    return order_clusters(fcluster(tree, t=float(heights[top]), criterion="distance"), MIN_SIZE)


def evoc_labels(X: np.ndarray, seed: int) -> np.ndarray:
    import evoc

    from nbkit.cluster import unit_rows

    return evoc.EVoC(random_state=seed).fit_predict(unit_rows(X).astype(np.float32))


def two_stage(X: np.ndarray, seed: int) -> np.ndarray:
    from nbkit.cluster import TwoStageTopics

    return TwoStageTopics(seed=seed, micro_size=20, min_topic_size=MIN_SIZE).fit(X).labels_


# key, name in the table, has a seed, fit
CANDIDATES: list[tuple[str, str, bool, Callable[[np.ndarray, int], np.ndarray]]] = [
    ("umap_hdbscan", "umap+hdbscan (old default)", True, umap_hdbscan),
    ("agglomerative", "agglomerative average (default)", False, agglomerative),
    ("agglomerative_045", "agglomerative average, fixed cut 0.45", False, agglomerative_fixed),
    ("ward", "ward", False, ward),
    ("evoc", "evoc", True, evoc_labels),
    ("two_stage", "two-stage (k-means micro-clusters + average linkage)", True, two_stage),
]


def corpus_texts(corpus: str) -> list[str]:
    from nbkit import load_corpus
    from nbkit.embed import document_texts

    return document_texts(load_corpus([str(ROOT / CORPORA[corpus])]).papers)


def child(config: str, corpus: str, outfile: str) -> None:
    """Embed and cluster under the configuration this process was started with; labels and seconds to outfile."""
    from nbkit.embed import SentenceEmbedder, embed_texts

    texts = corpus_texts(corpus)
    start = time.perf_counter()
    X = embed_texts(texts, SentenceEmbedder(), None, progress=False).vectors
    arrays: dict[str, np.ndarray] = {"embeddings": X}
    meta: dict[str, object] = {"config": config, "corpus": corpus, "n": len(texts),
                               "embed_seconds": time.perf_counter() - start, "seconds": {}, "errors": {}}
    for key, _, seeded, fit in CANDIDATES:
        for seed in SEEDS if seeded else (0,):
            start = time.perf_counter()
            try:
                labels = np.asarray(fit(X, seed), dtype=np.int64)
            except Exception as exc:  # a candidate that fails is a row of the table, not the end of the run
                meta["errors"][key] = f"{exc.__class__.__name__}: {exc}"
                print(f"[{config}] {key} seed {seed} failed: {meta['errors'][key]}", file=sys.stderr)
                break
            meta["seconds"][f"{key}/{seed}"] = time.perf_counter() - start
            arrays[f"{key}/{seed}"] = labels
    np.savez_compressed(outfile, meta=np.array(json.dumps(meta)), **arrays)


def run_child(config: str, corpus: str, folder: Path) -> dict:
    """The child under `config` in a new process with empty caches; its labels, seconds and embeddings."""
    from nbkit.emulate import emulated_environment

    out = folder / f"{corpus}-{config}.npz"
    env = emulated_environment(config, numba_cache_dir=str(folder / f"numba-{corpus}-{config}"),
                               nbkit_cache_dir=str(folder / f"cache-{corpus}-{config}"))
    env["HF_HUB_OFFLINE"] = "1"
    start = time.perf_counter()
    command = [sys.executable, str(Path(__file__).resolve()), "--child", config, corpus, str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    print(f"  {corpus} / {config}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    if done.returncode != 0:
        raise SystemExit(f"child {config} {corpus} failed:\n{done.stderr[-3000:]}")
    with np.load(out) as data:
        result = {k: data[k] for k in data.files if k != "meta"}
        result["meta"] = json.loads(str(data["meta"]))
    return result


# --- the table (in the parent) ------------------------------------------------------------------------------------

def papers_moved(a: np.ndarray, b: np.ndarray) -> int:
    """Papers outside the best one-to-one matching of the topics of a and b (outliers only match outliers)."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics.cluster import contingency_matrix

    rows, cols = np.unique(a), np.unique(b)
    overlap = contingency_matrix(a, b).astype(np.int64)
    overlap[(rows == -1)[:, None] != (cols == -1)[None, :]] = 0
    i, j = linear_sum_assignment(overlap, maximize=True)
    return len(a) - int(overlap[i, j].sum())


def topic_words(labels: np.ndarray, presence, vocabulary: np.ndarray) -> list[list[str]]:
    """Each topic's (outliers left out) top terms by share-idf over the presence matrix of all the papers."""
    import scipy.sparse as sp

    from nbkit.topics import ranked_terms, share_idf

    topics = np.unique(labels[labels >= 0])
    rows = np.searchsorted(topics, labels)
    inside = labels >= 0
    membership = sp.csr_matrix((np.ones(int(inside.sum()), dtype=np.int64), (rows[inside], np.flatnonzero(inside))),
                               shape=(len(topics), len(labels)))
    scores = share_idf((membership @ presence).toarray(), np.bincount(rows[inside], minlength=len(topics)),
                       np.asarray(presence.sum(axis=0)).ravel(), len(labels))
    return [[str(vocabulary[i]) for i in ranked_terms(scores[t], vocabulary, TOP_N)] for t in range(len(topics))]


def describe(words: list[list[str]], texts: list[str]) -> tuple[float, float]:
    from nbkit.quality import npmi_coherence, topic_diversity

    if not words:
        return math.nan, math.nan
    scores = [s for s in npmi_coherence(words, texts, TOP_N) if not math.isnan(s)]
    return (float(np.mean(scores)) if scores else math.nan), topic_diversity(words, TOP_N)


def corpus_rows(corpus: str, runs: dict[str, dict]) -> tuple[list[dict], str]:
    from sklearn.metrics import adjusted_rand_score

    from nbkit.quality import fit_baseline
    from nbkit.topics import TopicSettings, make_vectorizer

    texts = corpus_texts(corpus)
    vectorizer = make_vectorizer(TopicSettings())
    presence = (vectorizer.fit_transform(texts) > 0).astype(np.int64).tocsr()
    vocabulary = np.asarray(vectorizer.get_feature_names_out())

    native = runs["native"]
    embed_notes = []
    for config in CONFIGS[1:]:
        diff = np.abs(runs[config]["embeddings"].astype(np.float64) - native["embeddings"].astype(np.float64))
        rows_differing = int((diff.max(axis=1) > 0).sum())
        embed_notes.append(f"{config}: {rows_differing}/{len(diff)} papers' vectors differ, max |diff| "
                           f"{diff.max():.1e}")
    seconds = {c: runs[c]["meta"]["embed_seconds"] for c in CONFIGS}
    embed_line = (f"Embeddings vs native: {'; '.join(embed_notes)}. Embedding seconds: "
                  + ", ".join(f"{c} {s:.0f}" for c, s in seconds.items()) + ".")

    rows: list[dict] = []
    default_topics = None
    for key, name, seeded, _ in CANDIDATES:
        row: dict = {"corpus": corpus, "candidate": name}
        errors = {c: runs[c]["meta"]["errors"][key] for c in CONFIGS if key in runs[c]["meta"]["errors"]}
        notes = [] if seeded else ["no seed"]
        if f"{key}/0" not in native:
            row.update(notes="; ".join([*notes, f"failed: {errors.get('native', '?')}"]))
            rows.append(row)
            continue
        seeds = [s for s in (SEEDS if seeded else (0,)) if f"{key}/{s}" in native]
        moved = {c: papers_moved(native[f"{key}/0"], runs[c][f"{key}/0"]) if f"{key}/0" in runs[c] else None
                 for c in CONFIGS[1:]}
        if any(m is None for m in moved.values()):
            notes.append("failed under " + ", ".join(f"{c} ({errors.get(c, '?')})" for c, m in moved.items()
                                                    if m is None))
        elif all(m == 0 for m in moved.values()) and not all(
                np.array_equal(native[f"{key}/0"], runs[c][f"{key}/0"]) for c in CONFIGS[1:]):
            notes.append("same partition across CPUs, other numbering")
        if seeded:  # the other seeds across CPUs too, for the notes
            same = sum(all(f"{key}/{s}" in runs[c] and papers_moved(native[f"{key}/{s}"], runs[c][f"{key}/{s}"]) == 0
                           for c in CONFIGS[1:]) for s in seeds)
            notes.append(f"identical across CPUs for {same}/{len(seeds)} seeds")
        labels = [native[f"{key}/{s}"] for s in seeds]
        quality = [describe(topic_words(lab, presence, vocabulary), texts) for lab in labels]
        n_topics = [len(np.unique(lab[lab >= 0])) for lab in labels]
        if key == "agglomerative":
            default_topics = n_topics[0]
        row.update(
            identical="yes" if all(m == 0 for m in moved.values()) else "no",
            moved_avx2=moved["avx2"], moved_generic=moved["generic"],
            mean_ari=(float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(labels, 2)]))
                      if len(labels) > 1 else 1.0),
            npmi=float(np.nanmean([q[0] for q in quality])), diversity=float(np.nanmean([q[1] for q in quality])),
            outlier_share=float(np.mean([np.mean(lab == -1) for lab in labels])),
            n_topics=str(n_topics[0]) if min(n_topics) == max(n_topics) else f"{min(n_topics)}-{max(n_topics)}",
            fit_seconds=statistics.median(native["meta"]["seconds"][f"{key}/{s}"] for s in seeds),
            notes="; ".join(notes))
        rows.append(row)

    if default_topics:
        nmf = fit_baseline(texts, "nmf", default_topics, seed=42)
        npmi, diversity = describe(nmf.topic_words, texts)
        rows.append({"corpus": corpus, "candidate": "NMF (reference)", "npmi": npmi, "diversity": diversity,
                     "outlier_share": float(np.mean(nmf.doc_topics == -1)), "n_topics": str(default_topics),
                     "fit_seconds": nmf.fit_seconds,
                     "notes": "fit_baseline(texts, 'nmf', topics of the default, seed=42) on word counts; "
                              "its own top words (NMF components), not share-idf"})
    return rows, embed_line


COLUMNS = [("candidate", "candidate"), ("identical", "identical across CPUs"), ("moved_avx2", "moved avx2"),
           ("moved_generic", "moved generic"), ("mean_ari", "mean ARI seeds 0-4"), ("npmi", "NPMI@10"),
           ("diversity", "diversity@10"), ("outlier_share", "outlier share"), ("n_topics", "topics"),
           ("fit_seconds", "fit s"), ("notes", "notes")]


def cell(value: object, key: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}" if key == "fit_seconds" else f"{value:.3f}"
    return str(value)


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(row.get(k), k) for k, _ in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="both")
    parser.add_argument("--child", nargs=3, metavar=("CONFIG", "CORPUS", "OUTFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    start = time.perf_counter()
    corpora = list(CORPORA) if args.corpus == "both" else [args.corpus]
    sections, all_rows = [], []
    with tempfile.TemporaryDirectory(prefix="nbkit-candidates-") as folder:
        for corpus in corpora:
            runs = {config: run_child(config, corpus, Path(folder)) for config in CONFIGS}
            rows, embed_line = corpus_rows(corpus, runs)
            n = runs["native"]["meta"]["n"]
            sections.append(f"## {corpus}: {CORPORA[corpus]} ({n} papers)\n\n{embed_line}\n\n{markdown(rows)}\n")
            all_rows += rows
    total = time.perf_counter() - start
    header = (f"# Clustering candidates\n\nMachine: {cpu_model()}, {os.cpu_count()} cores. "
              f"Date: {datetime.date.today().isoformat()}. Total time: {total / 60:.1f} min. "
              f"Produced by benchmarks/bench_candidates.py (its docstring says how to read the columns).\n")
    text = header + "\n" + "\n".join(sections)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "candidates.md").write_text(text)
    with open(RESULTS / "candidates.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["corpus"] + [k for k, _ in COLUMNS])
        writer.writeheader()
        for row in all_rows:
            writer.writerow({k: ("" if v is None else round(v, 4) if isinstance(v, float) else v)
                             for k, v in row.items()})


if __name__ == "__main__":
    main()
