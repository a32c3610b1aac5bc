"""Benchmark: read a synthetic RIS export of N records; report records/s for the RIS reader alone and for
load_corpus (reader + dates + cleaning + dedup).

    python benchmarks/bench_ris.py                  # 100,000 records
    python benchmarks/bench_ris.py --records 20000 --repeat 1

Records look like a Scopus export: TY, 4 AU lines, TI, T2, PY (`2019` or `2019/05/17/`), VL, SP, EP, DO, UR,
a ~1,200-character AB, 5 KW lines, DB, N1, ER, a blank line between records. The file is generated once into
benchmarks/.data/. Each measurement runs --repeat times in this process and the median is reported (a shared
VM: expect +-20%). Target (issue 12): >= 20,000 records/s for the reader.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from machine import calibration, describe  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nbkit.corpus import load_corpus  # noqa: E402
from nbkit.sources import read_file  # noqa: E402

DATA = ROOT / "benchmarks" / ".data"
WORDS = ["model", "learning", "network", "data", "method", "results", "analysis", "performance", "training",
         "neural", "graph", "attention", "transformer", "language", "vision", "robust", "efficient", "sparse",
         "adaptive", "inference", "benchmark", "evaluation", "large", "scale", "dataset", "propose", "show",
         "approach", "task", "tasks", "deep", "optimization", "stochastic", "gradient"]


def generate(path: Path, records: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="\r\n") as out:  # Scopus writes CRLF
        out.write("\n")
        for i in range(records):
            abstract = " ".join(rng.choices(WORDS, k=150))[:1200]
            title = " ".join(rng.choices(WORDS, k=rng.randint(6, 12))).capitalize() + f" {i}"
            year = rng.randint(2000, 2024)
            date = str(year) if i % 2 else f"{year}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/"
            lines = ["TY  - JOUR"]
            lines += [f"AU  - {rng.choice(WORDS).capitalize()}, {chr(65 + j)}.{chr(66 + j)}." for j in range(4)]
            lines += [f"TI  - {title}", "T2  - Journal of Synthetic Results", f"PY  - {date}", "VL  - 12",
                      "SP  - 100", "EP  - 117", f"DO  - 10.1016/j.jsr.{year}.{i:06d}",
                      f"UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-85{i:09d}&partnerID=40",
                      f"AB  - {abstract}"]
            lines += [f"KW  - {' '.join(rng.choices(WORDS, k=2))}" for _ in range(5)]
            lines += ["DB  - Scopus", "N1  - Export Date: 17 May 2019; Cited By: 3", "ER  - ", ""]
            out.write("\n".join(lines) + "\n")
    tmp.replace(path)


def timed(function, repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process: on a shared machine the CPU time says more about
    the code, the wall time more about what a user waits."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"scopus_{args.records}.ris"
    if not path.exists():
        generate(path, args.records)
    print(describe())
    results = {"reader (read_file)": timed(lambda: read_file(path, path.name), args.repeat),
               "load_corpus": timed(lambda: load_corpus([path]), args.repeat)}
    after = calibration()
    size = path.stat().st_size / 1e6
    print(f"{args.records:,} RIS records ({size:.0f} MB), median of {args.repeat}; "
          f"calibration after: {after:.1f} us")
    for name, (wall, cpu) in results.items():
        print(f"  {name:20s} wall {wall:6.2f} s {args.records / wall:9,.0f} records/s   "
              f"cpu {cpu:6.2f} s {args.records / cpu:9,.0f} records/s")


if __name__ == "__main__":
    main()
