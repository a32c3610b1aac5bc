"""Topic notebook timings on the bundled corpus, end to end through papermill (`nbkit run`), plus the pieces.

    python benchmarks/bench_topics.py [--repeat 3]

Measures, each in fresh processes:
  * embedding throughput of the default model (docs/s, title + abstract, after a short warm-up);
  * UMAP's first fit in a new process with numba's compile cache empty, and with it filled;
  * 02_topics cold: an empty nbkit cache (numba's compile cache filled, as on any run after the first);
  * 02_topics first ever: an empty nbkit cache and an empty numba cache (a fresh venv's first run);
  * 02_topics warm: the same nbkit cache, another min_topic_size each time.
Targets: issue 3 warm <= 15 s, cold <= 45 s wall; issue 11 (agglomerative topics, no UMAP in the fit; UMAP
still draws the 2-D map) cold <= 20 s, warm <= 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBKIT = Path(sys.executable).with_name("nbkit")

EMBED = """
import time
from nbkit import load_corpus
from nbkit.embed import SentenceEmbedder, document_texts
texts = document_texts(load_corpus(["data/raw/hf_papers"]).papers)
model = SentenceEmbedder()
model.encode(texts[:8])
start = time.perf_counter()
model.encode(texts)
print(len(texts) / (time.perf_counter() - start))
"""

UMAP_FIT = """
import time, numpy as np
from nbkit.topics import CachedUMAP
X = np.random.default_rng(0).normal(size=(266, 384)).astype("float32")
start = time.perf_counter()
CachedUMAP(None, n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42).fit_transform(X)
print(time.perf_counter() - start)
"""


def python(code: str, env: dict[str, str] | None = None) -> float:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **(env or {})}, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def notebook(cache: Path, out: Path, env: dict[str, str] | None = None, **params: object) -> float:
    args = [str(NBKIT), "run", "notebooks/02_topics.ipynb", "--out", str(out), "-p", "cache_dir", str(cache)]
    for name, value in params.items():
        args += ["-p", name, str(value)]
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})}, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm runs to take the median of")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="nbkit-bench-") as tmp:
        tmp = Path(tmp)
        rate = statistics.median(python(EMBED) for _ in range(args.repeat))
        rows.append(("embedding throughput (MiniLM, 2 cores)", f"{rate:.1f} docs/s"))
        numba_empty = {"NUMBA_CACHE_DIR": str(tmp / "numba-first")}
        rows.append(("UMAP first fit, numba cache empty", f"{python(UMAP_FIT, numba_empty):.1f} s"))
        rows.append(("UMAP first fit, numba cache filled", f"{python(UMAP_FIT, numba_empty):.1f} s"))

        first = notebook(tmp / "cache-first", tmp / "out", {"NUMBA_CACHE_DIR": str(tmp / "numba-fresh")})
        rows.append(("02_topics first ever (empty nbkit + numba caches)", f"{first:.1f} s"))
        colds = [notebook(tmp / f"cache-{i}", tmp / "out") for i in range(args.repeat)]
        rows.append(("02_topics cold (empty nbkit cache), median", f"{statistics.median(colds):.1f} s "
                     f"({', '.join(f'{c:.1f}' for c in colds)})"))
        sizes = [8, 6, 10, 12, 4][: args.repeat]
        warms = [notebook(tmp / "cache-0", tmp / "out", min_topic_size=size) for size in sizes]
        rows.append((f"02_topics warm, min_topic_size {sizes}, median", f"{statistics.median(warms):.1f} s "
                     f"({', '.join(f'{w:.1f}' for w in warms)})"))
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
