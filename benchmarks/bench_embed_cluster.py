"""Benchmark: embedding on a Dask LocalCluster with 1 and with 2 workers, and in one process; docs/s, CPU seconds,
peak RSS of every process, cache size, and the time 1,000,000 papers would take on N such machines, computed from
those measurements.

    python benchmarks/bench_embed_cluster.py                  # 2,000 texts, torch, workers 1 and 2
    python benchmarks/bench_embed_cluster.py --sample 600 --workers 1 2 --out benchmarks/results/embed_cluster.md
    python benchmarks/bench_embed_cluster.py --million --out benchmarks/results/embed_cluster_1m.md

`--million` is the whole measurement of issue 13 in one command: 1,000,000 texts with the static backend on 1 and
on 2 workers and in one process, then 2,000 texts with torch (the default backend) on 1 and on 2 workers.

Texts: the analysis texts (title + abstract, nbkit.embed.document_texts) of the bundled arXiv sample
(benchmarks/corpora/arxiv_sample, 2,000 papers), repeated as needed with " [copy K]" appended to every text of the
K-th repeat (K >= 1), so that every text is distinct and the content-addressed cache cannot serve a repeat (the
cache keys hash the text; ids play no part). Each configuration runs in a process of its own (so peak RSS is its
own) and starts from an empty cache folder; models are warmed up on every worker first (a one-off per worker).

Measured per configuration: cluster start-up and model load; the cold run (docs/s wall, CPU seconds of the
workers and of the client process, which also hosts the LocalCluster's scheduler); a warm rerun that must compute
nothing, as nbkit runs it (the client checks every key against the cache's key index and starts no task), and the
same check done the other way, by one task per partition on the workers (fresh workers' caches: each reads the key
indexes once); the scheduler's overhead per partition (the stand-in HashEmbedder, which costs microseconds, on
partitions of 50 texts); peak RSS (VmHWM) of the client (which also runs the nannies and the scheduler) and of
every worker process; the cache's size on disk (shards and key indexes).

The machine is shared with other jobs (2 cores): wall timings are noisy, so CPU seconds are written beside them,
and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "benchmarks" / "corpora" / "arxiv_sample"
TARGET = 1_000_000
MACHINES = (1, 2, 4, 8, 16)
MODELS = {"torch": "torch", "static": "static: its model2vec table", "onnx-int8": "ONNX Runtime, int8"}


def sample_texts(n: int) -> list[str]:
    from nbkit.corpus import load_corpus
    from nbkit.embed import document_texts

    base = document_texts(load_corpus([SAMPLE / "papers.jsonl"]).papers)
    return [text if k == 0 else f"{text} [copy {k}]" for k in range(math.ceil(n / len(base))) for text in base][:n]


def cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def peak_rss_mib(pid: int | str = "self") -> float:
    """Peak resident memory of a process (Linux VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load() -> float:
    return os.getloadavg()[0]


def cache_mib(cache: str) -> dict:
    files = list(Path(cache).rglob("*.npy"))
    return {"shards_mib": sum(p.stat().st_size for p in files if p.name.startswith("shard.")) / 2**20,
            "key_index_mib": sum(p.stat().st_size for p in files if p.name.startswith("keys.")) / 2**20,
            "files": len(files)}


def processes(worker_pids: set[int]) -> list[dict]:
    """Peak RSS and CPU seconds of this process's children: the LocalCluster's workers (its nannies and
    scheduler run in this process), and any helper such as multiprocessing's resource tracker."""
    import psutil

    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            role = "worker" if child.pid in worker_pids else "other"
            out.append({"pid": child.pid, "role": role, "peak_rss_mib": peak_rss_mib(child.pid),
                        "cpu_s": times.user + times.system})
        except (psutil.NoSuchProcess, FileNotFoundError):
            continue
    return out


def check_by_tasks(client, texts: list[str], spec, cache: str, partition_size: int) -> dict:
    """The other design: no check on the client, one task per partition looking its texts up on a worker (as
    embed_corpus did before the client-side check). Workers' caches are emptied first, as in a fresh cluster."""
    import numpy as np

    from nbkit import distributed
    from nbkit.distributed import embed_partition, partitions
    from nbkit.embed import text_keys

    client.run(distributed._caches.clear)
    start = time.perf_counter()
    keys = text_keys(texts)
    unique_keys, first = np.unique(keys, return_index=True)
    root = str(Path(cache).resolve())
    identity = spec.build().identity
    futures = [client.submit(embed_partition, spec, identity, root, [texts[first[i]] for i in rows], False,
                             pure=False) for rows in partitions(unique_keys, partition_size)]
    computed = sum(f.result().computed for f in futures)
    assert computed == 0, computed
    return {"rerun_by_tasks_s": time.perf_counter() - start, "rerun_by_tasks_partitions": len(futures)}


def measure(workers: int, texts: list[str], partition_size: int, overhead_texts: int, backend: str) -> dict:
    from nbkit.distributed import EmbedderSpec, embed_corpus, open_scheduler, worker_embedder

    spec = EmbedderSpec(backend=backend)
    out: dict = {"workers": workers, "texts": len(texts), "partition_size": partition_size, "load_before": load()}
    start = time.perf_counter()
    with open_scheduler(f"local:{workers}") as client:
        client.wait_for_workers(workers, timeout=300)
        out["startup_s"] = time.perf_counter() - start
        start = time.perf_counter()
        client.run(lambda: worker_embedder(spec).encode(["warm up"]).shape)
        out["model_load_s"] = time.perf_counter() - start
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as cache:
            workers_cpu, client_cpu = sum(client.run(cpu_s).values()), cpu_s()
            start = time.perf_counter()
            first = embed_corpus(texts, spec, cache, client=client, partition_size=partition_size,
                                 return_vectors=False, progress=False)
            out["embed_s"] = time.perf_counter() - start
            assert first.computed == len(texts), first
            out["docs_per_s"] = len(texts) / out["embed_s"]
            # CPU seconds: on a shared machine wall time also counts other jobs' use of the cores
            out["worker_cpu_s"] = sum(client.run(cpu_s).values()) - workers_cpu
            out["client_cpu_s"] = cpu_s() - client_cpu
            out["docs_per_worker_cpu_s"] = len(texts) / out["worker_cpu_s"]
            out["load_after_embed"] = load()
            out |= cache_mib(cache)
            client_cpu = cpu_s()
            start = time.perf_counter()
            again = embed_corpus(texts, spec, cache, client=client, partition_size=partition_size,
                                 return_vectors=False, progress=False)
            out["rerun_s"] = time.perf_counter() - start
            out["rerun_client_cpu_s"] = cpu_s() - client_cpu
            assert again.computed == 0 and again.cached == len(texts), again
            out |= check_by_tasks(client, texts, spec, cache, partition_size)
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
        out["processes"] = processes(set(client.run(os.getpid).values()))
    out["client_peak_rss_mib"] = peak_rss_mib()
    out["load_after"] = load()
    return out


def in_process(texts: list[str], backend: str) -> dict:
    from nbkit.distributed import EmbedderSpec, embed_corpus

    spec = EmbedderSpec(backend=backend)
    spec.build().encode(["warm up"])  # loads the backend's libraries; embed_corpus builds its own embedder
    out: dict = {"texts": len(texts), "load_before": load()}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as cache:
        cpu = cpu_s()
        start = time.perf_counter()
        result = embed_corpus(texts, spec, cache, progress=False, return_vectors=False)
        out["embed_s"] = time.perf_counter() - start
        out["cpu_s"] = cpu_s() - cpu
        assert result.computed == len(texts)
        out |= cache_mib(cache)
        start = time.perf_counter()
        again = embed_corpus(texts, spec, cache, progress=False, return_vectors=False)
        out["rerun_s"] = time.perf_counter() - start
        assert again.computed == 0
    out |= {"docs_per_s": len(texts) / out["embed_s"], "docs_per_cpu_s": len(texts) / out["cpu_s"],
            "peak_rss_mib": peak_rss_mib(), "load_after": load()}
    return out


def stage(args: argparse.Namespace) -> None:
    """One configuration in this process: prints its measurements as one JSON line."""
    texts = sample_texts(args.sample)
    if args.stage == "in-process":
        print(json.dumps({"in_process": in_process(texts, args.backend)}), flush=True)
    else:
        print(json.dumps(measure(int(args.stage), texts, args.partition_size, args.overhead_texts, args.backend)),
              flush=True)


def run_stage(backend: str, sample: int, stage_name: str, partition_size: int, overhead_texts: int) -> dict:
    command = [sys.executable, __file__, "--stage", stage_name, "--backend", backend, "--sample", str(sample),
               "--partition-size", str(partition_size), "--overhead-texts", str(overhead_texts)]
    print(f"{time.strftime('%H:%M:%S')} {' '.join(command[1:])} (load {load():.1f})", flush=True)
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def extrapolate(runs: list[dict]) -> list[dict]:
    """Minutes for 1M texts on N machines like this one, computed from the run with the most workers.

    Per worker: the measured docs per worker CPU-second (the rate of a worker with a core to itself; it includes
    the worker's cache checks and writes), or the measured wall docs/s divided by the workers (this shared
    machine's rate). N machines have N times the workers. Added once: the measured client-side cost (hashing and
    checking every key: the warm rerun's wall time at this size, scaled to 1M), cluster start-up and model load.
    Added per partition: the measured scheduler overhead, for ceil(1M / 2,048) partitions spread over every worker."""
    from nbkit.distributed import PARTITION_SIZE

    best = max(runs, key=lambda r: r["workers"])
    parts = math.ceil(TARGET / PARTITION_SIZE)
    fixed = best["rerun_s"] * TARGET / best["texts"] + best["startup_s"] + best["model_load_s"]
    rows = []
    for machines in MACHINES:
        workers = machines * best["workers"]
        overhead = parts * best["overhead_per_partition_s"] / workers
        rows.append({"machines": machines, "workers": workers,
                     "minutes_idle_cores": (TARGET / (best["docs_per_worker_cpu_s"] * workers) + overhead + fixed) / 60,
                     "minutes_measured_rate": (TARGET / (best["docs_per_s"] / best["workers"] * workers) + overhead
                                               + fixed) / 60})
    return rows


def cluster_table(runs: list[dict]) -> list[str]:
    lines = ["| workers | texts | start-up s | model load s | embed s | docs/s | worker CPU s | docs per worker CPU-s "
             "| client CPU s | rerun s (client check) | rerun s (a task per partition) | overhead s/partition "
             "| cache MiB (shards + key index) | peak RSS MiB: client; workers; other | load before/after |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in runs:
        workers = ", ".join(f"{p['peak_rss_mib']:.0f}" for p in r["processes"] if p["role"] == "worker")
        others = ", ".join(f"{p['peak_rss_mib']:.0f}" for p in r["processes"] if p["role"] != "worker")
        rss = f"{r['client_peak_rss_mib']:.0f}; {workers}; {others or '-'}"
        lines.append(
            f"| {r['workers']} | {r['texts']:,} | {r['startup_s']:.1f} | {r['model_load_s']:.1f} | "
            f"{r['embed_s']:.1f} | {r['docs_per_s']:.1f} | {r['worker_cpu_s']:.1f} | {r['docs_per_worker_cpu_s']:.1f} "
            f"| {r['client_cpu_s']:.1f} | {r['rerun_s']:.2f} | {r['rerun_by_tasks_s']:.2f} "
            f"({r['rerun_by_tasks_partitions']} tasks) | {r['overhead_per_partition_s']:.3f} | "
            f"{r['shards_mib']:.1f} + {r['key_index_mib']:.1f} | {rss} | "
            f"{r['load_before']:.1f} / {r['load_after']:.1f} |")
    return lines


def in_process_line(alone: dict, backend: str) -> str:
    return (f"In process ({backend}, no Dask, the backend's own threads): {alone['texts']:,} texts in "
            f"{alone['embed_s']:.1f} s, {alone['docs_per_s']:.1f} docs/s, {alone['cpu_s']:.1f} CPU-s "
            f"({alone['docs_per_cpu_s']:.1f} docs per CPU-s), rerun with everything cached {alone['rerun_s']:.2f} s, "
            f"peak RSS {alone['peak_rss_mib']:.0f} MiB, cache {alone['shards_mib']:.1f} + "
            f"{alone['key_index_mib']:.1f} MiB (load avg {alone['load_before']:.1f} / {alone['load_after']:.1f}).")


def report(sections: list[dict]) -> str:
    from nbkit.distributed import PARTITION_SIZE

    lines = [f"# Embedding on a LocalCluster ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, shared machine)",
             "", "Texts: the arXiv sample's title + abstract, repeats suffixed \"[copy K]\" so every text is distinct; "
             "packaged all-MiniLM-L6-v2; one thread per worker; empty cache for each configuration, each in its "
             "own process. Rerun (client check): the same call again, as nbkit runs it (every key checked against "
             "the cache's key index on the client, no task started); rerun (a task per partition): the other design, "
             "each partition checked on a worker. CPU seconds are the steadier measure on this shared machine.", ""]
    for section in sections:
        lines += [f"## {section['backend']} ({MODELS[section['backend']]}), partitions of {section['partition_size']}",
                  "", *cluster_table(section["runs"]), ""]
        if section.get("in_process"):
            lines += [in_process_line(section["in_process"], section["backend"]), ""]
        rows = extrapolate(section["runs"])
        best = max(section["runs"], key=lambda r: r["workers"])
        lines += [f"1,000,000 texts on N machines like this one ({best['workers']} workers each), computed from the "
                  f"{best['workers']}-worker run above: 1M / (docs per worker CPU-second x workers) (a machine with "
                  "its cores to itself) or 1M / (measured docs/s per worker x workers) (as loaded as this one), "
                  f"plus the measured overhead per partition x {math.ceil(TARGET / PARTITION_SIZE)} partitions of "
                  f"{PARTITION_SIZE} / workers, plus once the client's check (the measured warm rerun, scaled to 1M "
                  "texts), start-up and model load. Assumes the cache's file system keeps up and the client sends "
                  "texts faster than the workers embed them.", "",
                  "| machines | workers | minutes, idle cores | minutes, measured rate |", "|---:|---:|---:|---:|"]
        lines += [f"| {r['machines']} | {r['workers']} | {r['minutes_idle_cores']:.1f} | "
                  f"{r['minutes_measured_rate']:.1f} |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=2000, help="texts embedded per run (default: 2000)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts (none: in process only)")
    parser.add_argument("--partition-size", type=int, default=100,
                        help="texts a partition here (default: 100, so that 2 workers share even a small sample)")
    parser.add_argument("--overhead-texts", type=int, default=10_000)
    parser.add_argument("--in-process", action=argparse.BooleanOptionalAction, default=True,
                        help="also embed the sample in one process, no Dask (default: yes)")
    parser.add_argument("--backend", default="torch", choices=list(MODELS), help="embedding backend (default: torch)")
    parser.add_argument("--million", action="store_true",
                        help="issue 13's measurement: static on 1M texts (1, 2 workers, in process; partitions of "
                             "2,048), then torch on 2,000 (1, 2 workers; partitions of 100); --sample sets the "
                             "static part's size, --torch-sample the torch part's")
    parser.add_argument("--torch-sample", type=int, default=2000, help="with --million: torch texts (default: 2000)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # one configuration, run in a process of its own
    parser.add_argument("--out", type=Path, help="write the results as Markdown here (and .json beside it)")
    args = parser.parse_args()
    if args.stage:
        return stage(args)

    from nbkit.distributed import PARTITION_SIZE

    if args.million:
        sample = args.sample if args.sample != 2000 else TARGET
        plans = [("static", sample, PARTITION_SIZE, [1, 2], True), ("torch", args.torch_sample, 100, [1, 2], False)]
    else:
        plans = [(args.backend, args.sample, args.partition_size, args.workers, args.in_process)]
    sections = []
    for backend, sample, partition_size, workers, alone in plans:
        runs = [run_stage(backend, sample, str(w), partition_size, args.overhead_texts) for w in workers]
        section = {"backend": backend, "sample": sample, "partition_size": partition_size, "runs": runs}
        if alone:
            section["in_process"] = run_stage(backend, sample, "in-process", partition_size, 0)["in_process"]
        sections.append(section)
        if args.out:  # after each section, so a long run keeps what it measured
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.with_suffix(".json").write_text(json.dumps(sections, indent=1) + "\n")
    text = report([s for s in sections if s["runs"]])
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
