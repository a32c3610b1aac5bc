"""`nbkit run` of all five notebooks on the 2,000-paper arXiv sample: seconds per notebook and per cell, peak memory.

    python benchmarks/bench_run.py --embeddings DIR [--backend torch] [--modes warm cold] [--out FILE.json]

Modes (each a fresh `nbkit run` in a new process, with its own new nbkit cache):
  * warm (the default): the cache starts with only the `embeddings/` folder of DIR (an nbkit cache holding
    this backend's vectors of the sample: `nbkit embed benchmarks/corpora/arxiv_sample --cache-dir DIR`, or a
    cache a run filled), so everything but the embedding model runs as on a first run: topic fit, stability
    refits, figures, maps, views, trends, baselines, explorer;
  * cold: an empty cache, so the notebooks embed all 2,000 texts too (torch: ~160 s of it on 2 cores).

Per notebook: papermill's wall seconds; per cell: the seconds papermill stamps on every cell, named by the cell's
first line that is not a comment. Peak RSS is the largest resident set of any one process of the run (the
kernel, usually: ru_maxrss of the waited-for children), CPU seconds are the user + system time of the run and its
kernels. The machine is shared: wall seconds are noisy, CPU seconds less so; compare versions back to back
(`--root` runs another checkout with this venv).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBKIT = Path(sys.executable).with_name("nbkit")
CORPUS = "benchmarks/corpora/arxiv_sample/papers.jsonl"
# runs a command and prints its children's resource use: each run measured alone, whatever ran before it
MEASURE = """
import json, resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "cpu": use.ru_utime + use.ru_stime, "rss_kb": use.ru_maxrss}))
"""


def cell_name(source: str) -> str:
    """The first line of a cell that is not a comment (or its first line), shortened."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    code = [line for line in lines if not line.startswith("#")] or lines or [""]
    return code[0][:70]


def read_cells(executed: Path) -> tuple[float, list[dict]]:
    """Papermill's duration of the notebook and of each code cell (index, name, seconds)."""
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    cells = [{"cell": i, "name": cell_name("".join(c["source"])),
              "seconds": round(c["metadata"].get("papermill", {}).get("duration") or 0.0, 2)}
             for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    return round(notebook["metadata"]["papermill"]["duration"], 1), cells


def run(cache: Path, out: Path, backend: str, root: Path) -> dict:
    """One `nbkit run` of every notebook on the sample into `out`, with `cache` as the nbkit cache."""
    args = [str(NBKIT), "run", "--out", str(out), "-p", "input_paths", json.dumps([CORPUS]),
            "-p", "cache_dir", str(cache), "-p", "embedding_backend", backend]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=root, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    use = json.loads(done.stdout.strip().splitlines()[-1])
    if use["code"]:
        sys.exit(f"nbkit run failed ({use['code']}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    notebooks = {}
    for executed in sorted(out.glob("0*.ipynb")):
        seconds, cells = read_cells(executed)
        notebooks[executed.stem] = {"seconds": seconds, "cells": cells}
    return {"wall_seconds": round(wall, 1),
            "cpu_seconds": round(use["cpu"], 1), "peak_rss_mb": round(use["rss_kb"] / 1024),
            "notebooks": notebooks}


def print_table(results: dict[str, dict], top: int = 12) -> None:
    modes = list(results)
    print("| | " + " | ".join(modes) + " |\n| --- |" + " --- |" * len(modes))
    for key in ("wall_seconds", "cpu_seconds", "peak_rss_mb"):
        print(f"| {key} | " + " | ".join(str(results[m][key]) for m in modes) + " |")
    for name in results[modes[0]]["notebooks"]:
        print(f"| {name} (s) | " + " | ".join(str(results[m]["notebooks"][name]["seconds"]) for m in modes) + " |")
    for mode in modes:
        cells = [(c["seconds"], nb, c["cell"], c["name"]) for nb, data in results[mode]["notebooks"].items()
                 for c in data["cells"]]
        print(f"\nslowest cells, {mode}:\n| notebook | cell | s | first line |\n| --- | --- | --- | --- |")
        for seconds, nb, index, name in sorted(cells, reverse=True)[:top]:
            print(f"| {nb} | {index} | {seconds} | `{name}` |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embeddings", type=Path,
                        help="an nbkit cache with this backend's embeddings of the sample (its embeddings/ is copied)")
    parser.add_argument("--backend", default="torch", help="embedding_backend parameter (default: torch)")
    parser.add_argument("--modes", nargs="+", choices=["warm", "cold"], default=["warm"],
                        help="warm: embeddings cached, nothing else; cold: an empty cache (default: warm)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the nbkit checkout to time (default: this one)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    root = args.root.resolve()
    source = args.embeddings.resolve() / "embeddings" if args.embeddings else None
    if "warm" in args.modes and (source is None or not source.is_dir()):
        sys.exit("warm needs --embeddings: an nbkit cache that holds the sample's embeddings")
    results = {}
    with tempfile.TemporaryDirectory(prefix="nbkit-bench-run-") as tmp:
        tmp = Path(tmp)
        for mode in args.modes:
            if mode == "warm":
                shutil.copytree(source, tmp / "warm" / "embeddings")
            results[mode] = run(tmp / mode, tmp / f"out-{mode}", args.backend, root)
    results = {mode: {"backend": args.backend, "papers": 2000, **data} for mode, data in results.items()}
    print_table(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
