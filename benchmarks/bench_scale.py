"""02_topics at 2,000, 10,000 and 100,000 papers on precomputed embeddings: seconds per stage and peak memory.

    python benchmarks/bench_scale.py --cache-dir DIR [--sizes 2000 10000 100000] [--out benchmarks/results]
    python benchmarks/bench_scale.py --cache-dir DIR --quality      # sample-fit-assign against the full fit

DIR is an nbkit cache holding the default model's embeddings of benchmarks/corpora/arxiv_sample (embed it once,
e.g. by running 02_topics on it with NBKIT_CACHE_DIR=DIR): embedding is not timed here.

Larger corpora are the 2,000 arXiv papers repeated with new ids: copy c of a paper has paper_id "<id>~c", its
abstract followed by c times " the" (a stopword: the topic terms and NPMI are unchanged, but every text, and so
its text hash, is distinct) and as embedding the paper's own plus deterministic Gaussian noise (numpy's generator
seeded with c, 0.01 per dimension, cosine about 0.98 to the original). Copy 0 is the real paper.

Each size runs in a fresh process that makes the notebook's calls in order (fit_topics with the default settings,
stability refits included, then every table, figure, view and the saved model) and reports the seconds of each and
the peak resident memory (ru_maxrss) and CPU time. The machine is shared with other jobs: times are noisy.

--quality compares, at 2,000 papers (real) and 10,000 (copies), the fit on a sample (max_fit_papers) with the fit
on all papers: adjusted Rand index of the two partitions, topics, outlier share and NPMI of each.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "corpora" / "arxiv_sample" / "papers.jsonl"
NOISE = 0.01


class TableEmbedder:
    """An nbkit embedder that looks the vectors up (identity "bench-scale"; never cached)."""

    identity = "bench-scale"

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


def scaled_corpus(n: int, cache_dir: str):
    """The first n papers of the repeated arXiv sample and an embedder that knows their vectors."""
    import pandas as pd

    from nbkit import load_corpus
    from nbkit.embed import EmbeddingCache, SentenceEmbedder, document_texts, text_keys

    papers = load_corpus([str(CORPUS)]).papers.reset_index(drop=True)
    texts = document_texts(papers)
    vectors, found = EmbeddingCache(cache_dir).lookup(SentenceEmbedder().identity, text_keys(texts))
    if vectors is None or not found.all():
        sys.exit(f"bench_scale: {cache_dir} lacks embeddings of {CORPUS}; embed it first (see the docstring)")
    copies = []
    for c in range(-(-n // len(papers))):
        copy = papers.copy()
        if c:
            copy["paper_id"] = copy["paper_id"].astype(str) + f"~{c}"
            copy["abstract"] = copy["abstract"].fillna("").astype(str) + " the" * c
        copies.append(copy)
    big = pd.concat(copies, ignore_index=True).iloc[:n].reset_index(drop=True)
    base = vectors.astype(np.float64)
    table = {}
    for c, copy in enumerate(copies):
        noisy = base + (np.random.default_rng(c).normal(scale=NOISE, size=base.shape) if c else 0.0)
        table.update(zip(document_texts(copy), noisy.astype(np.float32), strict=True))
    return big, TableEmbedder(table)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process (user + system, all threads): on a shared machine, steadier than wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_size(n: int, cache_dir: str, out: Path) -> dict:
    """The 02_topics notebook's calls on n papers, timed one by one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nbkit import describe, plots, topics

    stages: dict[str, float] = {}

    def timed(name, call):
        start = time.perf_counter()
        value = call()
        stages[name] = round(time.perf_counter() - start, 1)
        print(f"{n}: {name} {stages[name]} s, peak {peak_mb():.0f} MB", file=sys.stderr, flush=True)
        return value

    papers, embedder = timed("make corpus", lambda: scaled_corpus(n, cache_dir))
    timed("import BERTopic", topics.import_bertopic)
    result = timed("fit_topics", lambda: topics.fit_topics(papers, topics.TopicSettings(), embedder=embedder,
                                                            progress=False))
    stages.update({f"  {k}": round(v, 1) for k, v in result.seconds.items()})
    table = timed("topic table", lambda: topics.compute_topic_table(result))
    timed("sizes figure", lambda: (plots.plot_topic_sizes(table), plots.save_figure(plt.gcf(), out / "s.png", dpi=80)))
    subtopics = timed("subtopics", lambda: topics.compute_subtopics(result))
    points = timed("topic map", lambda: topics.compute_topic_map(result))
    timed("map figure", lambda: (plots.plot_topic_map(points), plots.save_figure(plt.gcf(), out / "m.png", dpi=80)))
    terms = timed("terms", lambda: topics.compute_topic_terms(result))
    timed("terms figure", lambda: plots.save_figure(plots.plot_topic_terms(terms), out / "t.png", dpi=80))
    plt.close("all")
    per_collection = timed("per collection", lambda: topics.compute_topics_per_collection(result))
    assignments = timed("assignments", lambda: topics.compute_assignments(result))
    quality = timed("quality (NPMI)", lambda: topics.compute_topic_quality(result))
    timed("write tables", lambda: describe.write_tables(
        {"topics": table, "topic_terms": terms, "subtopics": subtopics, "topics_per_collection": per_collection,
         "assignments": assignments, "topic_map": points, "quality": quality}, out))
    timed("views", lambda: topics.write_interactive_views(result, points, out))
    timed("save model", lambda: topics.save_topic_model(result, out / "model"))
    card = quality.iloc[0]
    return {"papers": n, "stages": stages, "total_seconds": round(sum(v for k, v in stages.items()
                                                                       if not k.startswith(" ")), 1),
            "peak_rss_mb": round(peak_mb()), "cpu_seconds": round(cpu_seconds()),
            "n_topics": int(card["n_topics"]), "subtopics": len(subtopics),
            "outlier_share": float(card["outlier_share"]), "npmi": float(card["npmi"])}


def compare_fits(n: int, cache_dir: str, sample: int) -> dict:
    """Fit on a sample of `sample` papers and assign the rest, against the fit on all n papers."""
    from dataclasses import replace

    from sklearn.metrics import adjusted_rand_score

    from nbkit import topics

    papers, embedder = scaled_corpus(n, cache_dir)
    base = topics.TopicSettings(stability_runs=0)
    row = {"papers": n, "sample": sample}
    fits = {}
    for name, settings in (("full", replace(base, max_fit_papers=None)),
                           ("sampled", replace(base, max_fit_papers=sample))):
        start = time.perf_counter()
        result = topics.fit_topics(papers, settings, embedder=embedder, progress=False)
        seconds = time.perf_counter() - start
        card = topics.compute_topic_quality(result).iloc[0]
        fits[name] = result.topics
        row.update({f"{name}_topics": int(card["n_topics"]), f"{name}_outliers": float(card["outlier_share"]),
                    f"{name}_npmi": float(card["npmi"]), f"{name}_seconds": round(seconds, 1)})
    row["ari"] = round(float(adjusted_rand_score(fits["full"], fits["sampled"])), 3)
    row["peak_rss_mb"] = round(peak_mb())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 100000])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    parser.add_argument("--compare", nargs=2, type=int, help=argparse.SUPPRESS)  # child: papers, sample
    args = parser.parse_args()
    if args.one:
        work = Path(f"/tmp/bench_scale_{args.one}")
        work.mkdir(exist_ok=True)
        print(json.dumps(run_size(args.one, args.cache_dir, work)))
        return
    if args.compare:
        print(json.dumps(compare_fits(args.compare[0], args.cache_dir, args.compare[1])))
        return
    jobs = ([["--compare", "2000", "1000"], ["--compare", "2000", "500"], ["--compare", "10000", "5000"]]
            if args.quality else [["--one", str(n)] for n in args.sizes])
    rows = []
    for job in jobs:
        done = subprocess.run([sys.executable, __file__, "--cache-dir", args.cache_dir, *job],
                              stdout=subprocess.PIPE, text=True, check=False)  # progress goes to stderr
        if done.returncode:
            sys.exit(f"bench_scale {' '.join(job)} failed")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "scale_quality.json" if args.quality else "scale.json"
    (args.out / name).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
