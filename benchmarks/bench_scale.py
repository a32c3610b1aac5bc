"""02_topics at 2,000, 10,000 and 100,000 papers on precomputed embeddings: seconds per stage and peak memory.

    python benchmarks/bench_scale.py --cache-dir DIR [--sizes 2000 10000 100000] [--out benchmarks/results]
    python benchmarks/bench_scale.py --cache-dir DIR --quality      # sample-fit-assign against the full fit

DIR is an nbkit cache holding the default model's embeddings of benchmarks/corpora/arxiv_sample (embed it once,
e.g. `nbkit embed benchmarks/corpora/arxiv_sample/papers.jsonl --cache-dir DIR`): embedding is not timed here.

Larger corpora are the 2,000 arXiv papers repeated: copy c (c >= 1) of a paper has no arXiv id, its title
followed by " c" (a number: no topic term, but another title, so the copies are not merged as duplicates) and its
abstract by c times " the" (a stopword), and as embedding the paper's own plus deterministic Gaussian noise
(numpy's generator seeded with c, 0.01 per dimension, cosine about 0.98 to the original). Copy 0 is the real
paper. The n records are written once as an arXiv JSON Lines file under benchmarks/.data/.

Each size runs in a fresh process that makes the notebook's calls in order: load_corpus on that file, then (not
timed) the vectors are written to a fresh cache as `nbkit embed` would, then fit_topics with that cache (its embed
stage is the cache lookup of a warm cache), stability refits included, and every table, figure, view and the saved
model. It reports the wall and CPU seconds (user + system) of each, the peak resident memory (ru_maxrss) and the
CPU seconds of the whole process (the untimed cache filling included). The machine is shared with other jobs:
wall times are noisy, CPU seconds less so.

--quality compares, at 2,000 papers (real) and 10,000 (copies), the fit on a sample (max_fit_papers) with the fit
on all papers: adjusted Rand index of the two partitions, topics, outlier share and NPMI of each.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "corpora" / "arxiv_sample" / "papers.jsonl"
DATA = ROOT / "benchmarks" / ".data"
NOISE = 0.01
IDENTITY = "bench-scale"


class TableEmbedder:
    """An nbkit embedder that looks the vectors up by text (identity "bench-scale")."""

    identity = IDENTITY

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


def scaled_records(n: int) -> Path:
    """The JSON Lines file of the first n papers of the repeated arXiv sample (written once)."""
    path = DATA / f"scale_{n}.jsonl"
    if path.exists():
        return path
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for i in range(n):
            c, record = divmod(i, len(records))[0], dict(records[i % len(records)])
            if c:
                record.update(id="", title=f"{record['title']} {c}", abstract=f"{record['abstract']}" + " the" * c)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def base_vectors(cache_dir: str) -> np.ndarray:
    """The default model's vectors of the 2,000 real papers, in file order, from `cache_dir`."""
    from nbkit import load_corpus
    from nbkit.embed import EmbeddingCache, SentenceEmbedder, document_texts, text_keys

    papers = load_corpus([str(CORPUS)]).papers.reset_index(drop=True)
    vectors, found = EmbeddingCache(cache_dir).lookup(SentenceEmbedder().identity,
                                                     text_keys(document_texts(papers)))
    if vectors is None or not found.all():
        sys.exit(f"bench_scale: {cache_dir} lacks embeddings of {CORPUS}; embed it first (see the docstring)")
    return vectors.astype(np.float64)


def copy_vectors(n: int, base: np.ndarray) -> np.ndarray:
    """The vectors of the first n papers: copy c of paper i is base[i] plus noise seeded with c."""
    blocks = [base + (np.random.default_rng(c).normal(scale=NOISE, size=base.shape) if c else 0.0)
              for c in range(-(-n // len(base)))]
    return np.concatenate(blocks).astype(np.float32)[:n]


def load_scaled(n: int) -> pd.DataFrame:
    """load_corpus of the n-paper file, checked to keep every record as a paper, in file order."""
    from nbkit import load_corpus

    papers = load_corpus([str(scaled_records(n))]).papers.reset_index(drop=True)
    if len(papers) != n:
        sys.exit(f"bench_scale: {n} records loaded as {len(papers)} papers")
    return papers


def warm_cache(papers: pd.DataFrame, vectors: np.ndarray, cache_dir: str) -> TableEmbedder:
    """Store the papers' vectors in `cache_dir` as `nbkit embed` does (shards of 4,096, merged); the embedder
    returned knows no texts, so fit_topics must find every vector in the cache."""
    from nbkit.embed import EmbeddingCache, document_texts, embed_texts

    texts = document_texts(papers)
    embed_texts(texts, TableEmbedder(dict(zip(texts, vectors, strict=True))), EmbeddingCache(cache_dir),
                progress=False, return_vectors=False)
    return TableEmbedder({})


def scaled_corpus(n: int, cache_dir: str, work: Path) -> tuple[pd.DataFrame, TableEmbedder, str]:
    """The first n papers of the repeated sample (loaded from their file), an embedder and a fresh cache under
    `work` that holds their vectors."""
    papers = load_scaled(n)
    vectors = copy_vectors(n, base_vectors(cache_dir))
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    return papers, warm_cache(papers, vectors, str(cache)), str(cache)


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
    cpu: dict[str, float] = {}

    def timed(name, call):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        value = call()
        stages[name] = round(time.perf_counter() - start, 1)
        cpu[name] = round(cpu_seconds() - start_cpu, 1)
        print(f"{n}: {name} {stages[name]} s ({cpu[name]} s CPU), peak {peak_mb():.0f} MB", file=sys.stderr,
              flush=True)
        return value

    papers = timed("load corpus", lambda: load_scaled(n))
    vectors = copy_vectors(n, base_vectors(cache_dir))  # not timed: the embeddings, precomputed
    cache = out / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    embedder = warm_cache(papers, vectors, str(cache))
    del vectors
    timed("import BERTopic", topics.import_bertopic)
    result = timed("fit_topics", lambda: topics.fit_topics(papers, topics.TopicSettings(), embedder=embedder,
                                                            cache_dir=cache, progress=False))
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
            "stage_cpu_seconds": cpu, "total_cpu_seconds": round(sum(cpu.values()), 1),
            "peak_rss_mb": round(peak_mb()), "cpu_seconds": round(cpu_seconds()),
            "n_topics": int(card["n_topics"]), "subtopics": len(subtopics),
            "outlier_share": float(card["outlier_share"]), "npmi": float(card["npmi"])}


def compare_fits(n: int, cache_dir: str, sample: int) -> dict:
    """Fit on a sample of `sample` papers and assign the rest, against the fit on all n papers."""
    from dataclasses import replace

    from sklearn.metrics import adjusted_rand_score

    from nbkit import topics

    papers, embedder, cache = scaled_corpus(n, cache_dir, Path(f"/tmp/bench_scale_compare_{n}"))
    base = topics.TopicSettings(stability_runs=0)
    row = {"papers": n, "sample": sample}
    fits = {}
    for name, settings in (("full", replace(base, max_fit_papers=None)),
                           ("sampled", replace(base, max_fit_papers=sample))):
        start = time.perf_counter()
        result = topics.fit_topics(papers, settings, embedder=embedder, cache_dir=cache, progress=False)
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
