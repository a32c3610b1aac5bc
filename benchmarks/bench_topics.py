"""Topic notebook timings on the bundled corpus, end to end through papermill (`nbkit run`), stage by stage.

    python benchmarks/bench_topics.py [--repeat 3] [--root CHECKOUT] [--warm-cache DIR]

Measures, each in fresh processes:
  * embedding throughput of the default model (docs/s, title + abstract, after a short warm-up);
  * what a fit on cached embeddings costs inside the kernel: importing BERTopic, the fit, the stability refits;
  * 02_topics cold: an empty nbkit cache, so all 266 texts are embedded;
  * 02_topics warm: the same nbkit cache, another min_topic_size each time;
  * for both, the median of each stage, read from the executed notebook (papermill stamps the run and every cell):
    starting `nbkit run` (imports, reading the parameters), starting the kernel plus papermill's work between
    cells and the kernel's shutdown, the setup cell (imports, loading the corpus), the fit cell (embedding,
    BERTopic, stability), the tables and figures, writing the outputs (tables, views, model), and the HTML page
    and manifest `nbkit run` writes after the kernel is done.
Targets (issue 11): cold <= 20 s, warm <= 10 s. `--root` times another checkout of nbkit with this venv (its src/
goes first on PYTHONPATH), to compare two versions back to back on a busy machine. `--warm-cache DIR` (an nbkit
cache that holds the bundled corpus's embeddings already) times warm runs only, with CPU seconds too (this process's
children: `nbkit run` and its kernel), which a busy machine inflates less than wall seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBKIT = Path(sys.executable).with_name("nbkit")

EMBED = """
import time
from nbkit import load_corpus
from nbkit.embed import document_texts, make_embedder
texts = document_texts(load_corpus(["data/raw/hf_papers"]).papers)
model = make_embedder()  # the default backend (its ONNX export made beforehand, as `make setup` does)
model.encode(texts[:8])
start = time.perf_counter()
model.encode(texts)
print(len(texts) / (time.perf_counter() - start))
"""

FIT = """
import json, sys, time
from nbkit import load_corpus, topics
papers = load_corpus(["data/raw/hf_papers"]).papers
start = time.perf_counter()
topics.import_bertopic() if hasattr(topics, "import_bertopic") else __import__("bertopic")
imported = time.perf_counter() - start
result = topics.fit_topics(papers, topics.TopicSettings(), cache_dir=sys.argv[1], progress=False)
print(json.dumps({"import BERTopic": imported, **result.seconds}))
"""

# Stages of the notebook, by the first line of their cells (markdown cells take no time).
STAGES = {"import matplotlib": "setup cell (imports, corpus)",
          "# progress bars": "fit cell (embed, BERTopic, stability)",
          "tables = {": "writing outputs (tables, views, model)"}
OTHER_CELLS = "tables and figures"
BEFORE, KERNEL, AFTER = ("`nbkit run` start (imports, parameters)", "kernel start, papermill between cells",
                         "HTML page and manifest")


def python(code: str, *args: str, root: Path = ROOT) -> str:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=root, env=env, check=True, capture_output=True,
                         text=True)
    return out.stdout.strip().splitlines()[-1]


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def notebook(cache: Path, out: Path, root: Path = ROOT, **params: object) -> dict[str, float]:
    """One `nbkit run` of 02_topics: wall seconds ("total"), CPU seconds ("cpu") and seconds per stage."""
    args = [str(NBKIT), "run", "notebooks/02_topics.ipynb", "--out", str(out), "-p", "cache_dir", str(cache)]
    for name, value in params.items():
        args += ["-p", name, str(value)]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    launched, start, cpu = time.time(), time.perf_counter(), os.times()
    subprocess.run(args, cwd=root, env=env, check=True, capture_output=True)
    total, ended, after = time.perf_counter() - start, time.time(), os.times()
    executed = json.loads((out / "02_topics.ipynb").read_text(encoding="utf-8"))
    stages = dict.fromkeys([BEFORE, KERNEL, *STAGES.values(), OTHER_CELLS, AFTER], 0.0)
    run = executed["metadata"]["papermill"]  # start_time is stamped before papermill starts the kernel
    stages[BEFORE] = _stamp(run["start_time"]) - launched
    stages[AFTER] = ended - _stamp(run["end_time"])
    stages[KERNEL] = run["duration"]
    for cell in executed["cells"]:
        if cell["cell_type"] != "code":
            continue
        first = "".join(cell["source"]).lstrip()
        stage = next((name for prefix, name in STAGES.items() if first.startswith(prefix)), OTHER_CELLS)
        seconds = cell["metadata"]["papermill"]["duration"] or 0.0
        stages[stage] += seconds
        stages[KERNEL] -= seconds
    return {"total": total, "cpu": after.children_user + after.children_system - cpu.children_user
            - cpu.children_system, **stages}


def median_row(runs: list[dict[str, float]], key: str) -> str:
    return f"{statistics.median(r[key] for r in runs):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm runs to take the median of")
    parser.add_argument("--root", type=Path, default=ROOT, help="the nbkit checkout to time (default: this one)")
    parser.add_argument("--warm-cache", type=Path, help="a filled nbkit cache: time warm runs only")
    args = parser.parse_args()
    root = args.root.resolve()
    if args.warm_cache:
        with tempfile.TemporaryDirectory(prefix="nbkit-bench-") as tmp:
            sizes = [8, 6, 10, 12, 4]
            warms = [notebook(args.warm_cache.resolve(), Path(tmp) / "out", root, min_topic_size=sizes[i % len(sizes)])
                     for i in range(args.repeat)]
        print("| stage (median s), warm | wall | runs |\n| --- | --- | --- |")
        for stage in warms[0]:
            print(f"| {stage} | {median_row(warms, stage)} | {', '.join(f'{r[stage]:.1f}' for r in warms)} |")
        return
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="nbkit-bench-") as tmp:
        tmp = Path(tmp)
        rate = statistics.median(float(python(EMBED, root=root)) for _ in range(args.repeat))
        rows.append(("embedding throughput (MiniLM, 2 cores)", f"{rate:.1f} docs/s"))
        colds, warms = [], []
        sizes = [8, 6, 10, 12, 4]
        for i in range(args.repeat):  # cold, then warm on the cache the cold run filled
            colds.append(notebook(tmp / f"cache-{i}", tmp / "out", root))
            warms.append(notebook(tmp / f"cache-{i}", tmp / "out", root, min_topic_size=sizes[i % len(sizes)]))
        fit = json.loads(python(FIT, str(tmp / "cache-0"), root=root))
        rows.append(("in a fresh process, cached embeddings: import BERTopic / fit / stability refits",
                     f"{fit['import BERTopic']:.1f} s / {fit['fit']:.1f} s / {fit['stability']:.1f} s"))
        for name, runs in (("cold (empty nbkit cache)", colds), ("warm (same cache, another min_topic_size)", warms)):
            each = ", ".join(f"{r['total']:.1f}" for r in runs)
            rows.append((f"02_topics {name}, median", f"{median_row(runs, 'total')} s ({each})"))
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print("\n| stage (median s) | cold | warm |\n| --- | --- | --- |")
    for stage in colds[0]:
        print(f"| {stage} | {median_row(colds, stage)} | {median_row(warms, stage)} |")


if __name__ == "__main__":
    main()
