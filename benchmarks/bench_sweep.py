"""A sweep of 6 topic runs with --jobs 2 against one cold run of the same notebook, on the bundled corpus.

    python benchmarks/bench_sweep.py

Both start from an empty nbkit cache (numba's compile cache filled, as after `make`). Target (issue 5): the whole
sweep takes at most 2x one cold run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBKIT = Path(sys.executable).with_name("nbkit")
SWEEP = "min_topic_size: [5, 10, 15]\nseed: [0, 1]\n"


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(NBKIT), "run", "notebooks/02_topics.ipynb", *args], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="pairs of (cold run, sweep) to take medians of")
    args = parser.parse_args()
    colds, sweeps = [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="nbkit-bench-") as tmp:
            tmp = Path(tmp)
            colds.append(timed(["-p", "cache_dir", str(tmp / "cache-cold"), "--out", str(tmp / "cold")]))
            (tmp / "sweep.yml").write_text(SWEEP)
            sweeps.append(timed(["-f", str(tmp / "sweep.yml"), "-p", "cache_dir", str(tmp / "cache-sweep"),
                                 "--jobs", "2", "--out", str(tmp / "sweep")]))
            runs = len(list((tmp / "sweep" / "runs").iterdir()))
            print(f"round {i + 1}: cold {colds[-1]:.1f} s, sweep {sweeps[-1]:.1f} s", file=sys.stderr)
    cold, sweep = statistics.median(colds), statistics.median(sweeps)
    print("| measurement | seconds (median) | runs |\n| --- | --- | --- |")
    print(f"| one cold run of 02_topics | {cold:.1f} | {', '.join(f'{c:.1f}' for c in colds)} |")
    print(f"| sweep of {runs} runs, --jobs 2, empty cache | {sweep:.1f} | {', '.join(f'{s:.1f}' for s in sweeps)} |")
    print(f"| ratio (target <= 2) | {sweep / cold:.2f} | |")


if __name__ == "__main__":
    main()
