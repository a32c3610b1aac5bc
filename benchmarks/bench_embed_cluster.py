"""Benchmark: embedding on a Dask LocalCluster with 1 and with 2 workers; docs/s, overheads, peak RSS, and the time
1,000,000 papers would take on N such machines, extrapolated from those measurements.

    python benchmarks/bench_embed_cluster.py                  # 2,000 texts, workers 1 and 2
    python benchmarks/bench_embed_cluster.py --sample 600 --workers 1 2 --out benchmarks/results/embed_cluster.md
    python benchmarks/bench_embed_cluster.py --backend static --sample 1000000 --partition-size 2048 \
        --in-process 100000 --out benchmarks/results/embed_cluster_static.md

Texts: the analysis texts (title + abstract, nbkit.embed.document_texts) of the bundled arXiv sample
(benchmarks/corpora/arxiv_sample, 2,000 papers), repeated as needed with " [copy K]" appended to every text of the
K-th repeat (K >= 1), so that every text is distinct and the content-addressed cache cannot serve a repeat. Each run
starts from an empty cache folder. Models are warmed up on every worker first (loading MiniLM is a one-off per
worker, not throughput).

Measured per worker count: cluster start-up, embedding throughput (docs/s, the real packaged MiniLM, torch, one
thread per worker; or --backend static, the model2vec table distilled from it, made beforehand by `nbkit warm-up
--backend static`), a rerun on the filled cache (nothing computed: the cost of the cache checks), and the scheduler
overhead per partition (the stand-in HashEmbedder, which costs microseconds, on many small partitions). Peak RSS of
this process (the client) and of each worker (ru_maxrss). Also the in-process path (no Dask, torch's own threads)
on the same texts, for the threshold below which Dask is not worth starting.

The machine is shared with other jobs (2 cores): timings are noisy, and the load average is written next to them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "benchmarks" / "corpora" / "arxiv_sample"
TARGET = 1_000_000
MODELS = {"torch": "torch", "static": "static: its model2vec table", "onnx-int8": "ONNX Runtime, int8"}


def sample_texts(n: int) -> list[str]:
    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts

    base = document_texts(load_corpus([SAMPLE / "papers.jsonl"]).papers)
    return [text if k == 0 else f"{text} [copy {k}]" for k in range(math.ceil(n / len(base))) for text in base][:n]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def load() -> float:
    return os.getloadavg()[0]


def measure(workers: int, texts: list[str], partition_size: int, overhead_texts: int, backend: str) -> dict:
    from nbkit.distributed import EmbedderSpec, embed_corpus, open_scheduler, worker_embedder

    spec = EmbedderSpec(backend=backend)
    out: dict = {"workers": workers, "load_before": load()}
    start = time.perf_counter()
    with open_scheduler(f"local:{workers}") as client:
        client.wait_for_workers(workers, timeout=300)
        out["startup_s"] = time.perf_counter() - start
        start = time.perf_counter()
        client.run(lambda: worker_embedder(spec).encode(["warm up"]).shape)
        out["model_load_s"] = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as cache:
            cpu_before = sum(client.run(worker_cpu_s).values())
            start = time.perf_counter()
            first = embed_corpus(texts, spec, cache, client=client, partition_size=partition_size,
                                 return_vectors=False, progress=False)
            out["embed_s"] = time.perf_counter() - start
            assert first.computed == len(texts), first
            out["docs_per_s"] = len(texts) / out["embed_s"]
            # CPU seconds the workers spent: on a shared machine, wall time also counts other jobs' use of the cores
            out["worker_cpu_s"] = sum(client.run(worker_cpu_s).values()) - cpu_before
            out["docs_per_cpu_s"] = len(texts) / out["worker_cpu_s"]
            start = time.perf_counter()
            again = embed_corpus(texts, spec, cache, client=client, partition_size=partition_size,
                                 return_vectors=False, progress=False)
            out["rerun_s"] = time.perf_counter() - start
            assert again.computed == 0 and again.cached == len(texts), again
            out["cache_mib"] = sum(p.stat().st_size for p in Path(cache).rglob("*.npy")) / 2**20
        # scheduler overhead: a model that costs ~nothing, on partitions of 50 texts
        hash_texts = [f"overhead {i}" for i in range(overhead_texts)]
        hash_spec = EmbedderSpec(backend="hash", options=(("dim", 384),))
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            embed_corpus(hash_texts, hash_spec, cache, progress=False)
            alone = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as cache:
            parts = math.ceil(overhead_texts / 50)
            start = time.perf_counter()
            embed_corpus(hash_texts, hash_spec, cache, client=client, partition_size=50, return_vectors=False,
                         progress=False)
            clustered = time.perf_counter() - start
        # wall time per partition beyond the work itself, with `workers` partitions running at once
        out["overhead_per_partition_s"] = max(0.0, clustered - alone / workers) / parts
        out["worker_peak_rss_mib"] = sorted(v / 1024 for v in client.run(
            lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())
    out["load_after"] = load()
    return out


def in_process(texts: list[str], backend: str) -> dict:
    from nbkit.distributed import EmbedderSpec, embed_corpus

    spec = EmbedderSpec(backend=backend)
    spec.build().encode(["warm up"])  # not this one: embed_corpus builds its own; this loads torch only
    with tempfile.TemporaryDirectory() as cache:
        cpu = worker_cpu_s()
        start = time.perf_counter()
        result = embed_corpus(texts, spec, cache, progress=False, return_vectors=False)
        seconds = time.perf_counter() - start
        cpu = worker_cpu_s() - cpu
    assert result.computed == len(texts)
    return {"texts": len(texts), "embed_s": seconds, "docs_per_s": len(texts) / seconds, "cpu_s": cpu,
            "docs_per_cpu_s": len(texts) / cpu, "load": load()}


def extrapolate(runs: list[dict]) -> list[dict]:
    """Hours for 1M texts on N machines like this one (its workers each), from the run with the most workers:
    N machines embed N times as fast; the measured overhead per partition is paid for every partition of the
    default size, spread over all workers; start-up and model load once. Two rates: the wall-clock docs/s measured
    here (this shared machine, other jobs included), and docs per worker CPU-second x workers (the same machine
    with its cores to itself)."""
    from nbkit.distributed import PARTITION_SIZE

    best = max(runs, key=lambda r: r["workers"])
    parts = math.ceil(TARGET / PARTITION_SIZE)
    rows = []
    for machines in (1, 10, 100):
        fixed = parts * best["overhead_per_partition_s"] / machines + best["startup_s"] + best["model_load_s"]
        rows.append({"machines": machines, "workers": machines * best["workers"],
                     "hours_measured_rate": (TARGET / (best["docs_per_s"] * machines) + fixed) / 3600,
                     "hours_idle_cores": (TARGET / (best["docs_per_cpu_s"] * best["workers"] * machines) + fixed)
                     / 3600})
    return rows


def main() -> None:
    from nbkit.distributed import PARTITION_SIZE

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=2000, help="texts embedded per run (default: 2000)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts (none: in process only)")
    parser.add_argument("--partition-size", type=int, default=100,
                        help="texts a partition here (default: 100, so that 2 workers share even a small sample; "
                             "the extrapolation uses nbkit's default partition size)")
    parser.add_argument("--overhead-texts", type=int, default=10_000)
    parser.add_argument("--in-process", type=int, default=None,
                        help="texts for the in-process comparison (default: the sample; 0: skip)")
    parser.add_argument("--backend", default="torch", choices=["torch", "static", "onnx-int8"],
                        help="embedding backend (default: torch)")
    parser.add_argument("--out", type=Path, help="write the results as Markdown here (and .json beside it)")
    args = parser.parse_args()

    texts = sample_texts(args.sample)
    print(f"{len(texts)} distinct texts, mean {sum(map(len, texts)) / len(texts):.0f} characters", flush=True)
    runs = []
    for workers in args.workers:
        runs.append(measure(workers, texts, args.partition_size, args.overhead_texts, args.backend))
        print(json.dumps(runs[-1]), flush=True)
    alone = None
    if args.in_process != 0:
        alone = in_process(texts[: args.in_process or len(texts)], args.backend)
        print(json.dumps({"in_process": alone}), flush=True)
    if not runs:  # the in-process comparison alone
        return
    rows = extrapolate(runs)
    client_rss = rss_mib()
    from nbkit.embed import make_embedder

    dim = make_embedder(backend=args.backend).encode(["dimensions"]).shape[1]
    lines = [
        f"# Embedding on a LocalCluster ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, shared machine)",
        "",
        f"{len(texts)} distinct texts (the arXiv sample's title + abstract, repeats suffixed \"[copy K]\"), "
        f"packaged all-MiniLM-L6-v2 ({MODELS[args.backend]}, one thread per worker), empty cache each run, "
        f"partitions of {args.partition_size} texts.",
        "",
        "| workers | start-up s | model load s | embed s | docs/s | docs per worker CPU-s | rerun (all cached) s "
        "| overhead s/partition | worker peak RSS MiB | load avg before/after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(f"| {r['workers']} | {r['startup_s']:.1f} | {r['model_load_s']:.1f} | {r['embed_s']:.1f} | "
                     f"{r['docs_per_s']:.1f} | {r['docs_per_cpu_s']:.1f} | {r['rerun_s']:.2f} | "
                     f"{r['overhead_per_partition_s']:.3f} | "
                     f"{', '.join(f'{v:.0f}' for v in r['worker_peak_rss_mib'])} | "
                     f"{r['load_before']:.1f} / {r['load_after']:.1f} |")
    if alone:
        lines += ["", f"In process (no Dask, the backend's own threads): {alone['texts']} texts in "
                      f"{alone['embed_s']:.1f} s, "
                      f"{alone['docs_per_s']:.1f} docs/s, {alone['docs_per_cpu_s']:.1f} docs per CPU-s "
                      f"(load avg {alone['load']:.1f})."]
    lines += ["", f"Client (this process) peak RSS: {client_rss:.0f} MiB.", "",
              f"1,000,000 texts on N machines like this one ({max(r['workers'] for r in runs)} workers each), "
              "extrapolated: docs/s per machine x N (as measured here, or docs per worker CPU-second x workers: the "
              "machine's cores to itself), plus the measured overhead per partition for "
              f"{math.ceil(TARGET / PARTITION_SIZE)} partitions of {PARTITION_SIZE} spread over the workers, plus "
              "start-up and model load once. Assumes the cache on a shared file system keeps up "
              f"({TARGET * (16 + 4 * dim) / 1e9:.1f} GB written in all) and texts reach the workers faster than they "
              "are embedded (~1 GB in all).", "",
              "| machines | workers | hours at the measured rate | hours with idle cores |", "|---:|---:|---:|---:|"]
    lines += [f"| {r['machines']} | {r['workers']} | {r['hours_measured_rate']:.2f} | {r['hours_idle_cores']:.2f} |"
              for r in rows]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps({"backend": args.backend,
                                                             "runs": runs, "in_process": alone, "extrapolation": rows,
                                                             "client_peak_rss_mib": client_rss}, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
