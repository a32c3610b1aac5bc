"""Explorer responsiveness on a synthetic corpus of 100,000 papers: one filter change, table and chart included.

    python benchmarks/bench_explorer.py [--papers 100000]

The papers repeat the bundled corpus's titles and abstracts with new ids, 20 collections, 40 topics, dates over
five years and random 384-d embeddings. Each measurement is the median of 15 changes of one control, timed from
setting the widget value to the updated table, chart and detail view. Target (issue 7): at most 200 ms.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    from nbkit import load_corpus

    base = load_corpus([ROOT / "data" / "raw" / "hf_papers"]).papers
    rng = np.random.default_rng(0)
    take = rng.integers(0, len(base), n)
    papers = base.iloc[take].reset_index(drop=True)
    papers["paper_id"] = [f"s{i:07d}" for i in range(n)]
    papers["collections"] = [[f"c{c:02d}"] for c in rng.integers(0, 20, n)]
    papers["published"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    topics = rng.integers(-1, 40, n)
    assignments = pd.DataFrame({"paper_id": papers["paper_id"], "topic": topics,
                                "label": [f"topic {t}" if t >= 0 else "outliers" for t in topics]})
    return papers, assignments, rng.normal(size=(n, 384)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    args = parser.parse_args()
    from nbkit.widgets import ALL, Explorer

    papers, assignments, vectors = synthetic(args.papers)
    start = time.perf_counter()
    explorer = Explorer(papers, assignments, vectors)
    build = time.perf_counter() - start
    changes = {
        "collection": (explorer.collection, [f"c{i:02d}" for i in range(15)], ALL),
        "topic": (explorer.topic, list(range(15)), None),
        "date range (start)": (explorer.start, [datetime.date(2021 + i % 5, 1 + i % 12, 1) for i in range(15)], None),
        "text search": (explorer.search, ["reinforcement", "agent", "multimodal", "reasoning", "robot"] * 3, ""),
    }
    rows = []
    for name, (control, values, reset) in changes.items():
        times = []
        for value in values:
            begin = time.perf_counter()
            control.value = value
            times.append((time.perf_counter() - begin) * 1000)
        control.value = reset
        rows.append((name, statistics.median(times), max(times)))
    print(f"{args.papers:,} papers; building the explorer: {build:.1f} s\n")
    print("| filter change | median ms | max ms |\n| --- | --- | --- |")
    for name, median, worst in rows:
        print(f"| {name} | {median:.0f} | {worst:.0f} |")


if __name__ == "__main__":
    main()
