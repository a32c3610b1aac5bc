"""Benchmark: load a synthetic HF papers capture with N listings; report listings/s and peak RSS.

    python benchmarks/bench_load.py                 # 1,000,000 listings (the issue's target size)
    python benchmarks/bench_load.py --sizes 100000 300000 1000000   # also shows how the time scales

The capture is generated once into benchmarks/.data/ from the bundled corpus's words and abstracts: a page
header, then listings with realistic lengths, 20% of them repeats of an earlier listing (so deduplication has
work), and every other listing with a metadata block (author count, a date with or without year, upvotes).
Each load runs in a fresh process so that its peak RSS is its own; each size is loaded --repeat times and the
median wall time is reported with the median CPU time and the highest peak RSS (timings on a shared VM vary by
+-20%; CPU seconds vary less when other jobs share the cores). --stages splits the CPU time of the load by stage.
Targets (2 cores): >= 50,000 listings/s and peak RSS < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from machine import calibration, describe  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "raw" / "hf_papers"
DATA = ROOT / "benchmarks" / ".data"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def generate(path: Path, listings: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    abstracts = [p for p in paragraphs if len(p) > 300]
    words = sorted({w for p in paragraphs if len(p) <= 300 for w in p.split() if w.isalpha()})
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write("new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
                  "byAK and the research community\n\nDec 8\n\n")
        earlier: list[tuple[str, str]] = []
        for i in range(listings):
            if earlier and rng.random() < 0.2:
                title, abstract = rng.choice(earlier)
            else:
                title = " ".join(rng.choices(words, k=rng.randint(5, 12))) + f" {i}"
                abstract = rng.choice(abstracts)
                if len(earlier) < 50_000:
                    earlier.append((title, abstract))
            out.write(f"{title}\n\n{abstract}\n\n")
            if i % 2:
                day = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
                date = day if rng.random() < 0.5 else f"{day}, {rng.randint(2015, 2024)}"
                votes = f" {rng.randint(1, 300)}" if rng.random() < 0.3 else ""
                out.write(f"  • {rng.randint(1, 40)} authors\n·\n{date}{votes}\n\n")
    tmp.replace(path)


# Functions of the load whose CPU time --stages reports, as (module, attribute, label). A stage nested in another
# (dates inside combining, title keys inside deriving) is subtracted from it, so the labels add up to the load.
STAGES = (
    ("nbkit.corpus", "read_file", "read"),
    ("nbkit.corpus", "_combine", "combine"),
    ("nbkit.corpus", "_file_dates", "combine: dates"),
    ("nbkit.corpus", "_derive", "derive"),
    ("nbkit.dates", "build_dates", "derive: build dates"),
    ("nbkit.corpus", "_normalize_ids", "derive: ids"),
    ("nbkit.corpus", "spaced_title_keys", "derive: title words"),
    ("nbkit.corpus", "title_keys", "derive: title keys"),
    ("nbkit.corpus", "_code_urls", "derive: code urls"),
    ("nbkit.corpus", "group_listings", "group"),
    ("nbkit.schema", "listings_frame", "listings frame"),
    ("nbkit.corpus", "find_near_duplicates", "near duplicates"),
    ("nbkit.corpus", "merge_listings", "merge"),
    ("nbkit.schema", "papers_frame", "papers frame"),
)


def time_stages() -> dict[str, float]:
    """Wrap the STAGES functions so each call adds its CPU seconds (less those of the stages it calls) to the
    returned dict. For the child process of --stages; costs microseconds per call."""
    import importlib

    spent: dict[str, float] = {}
    running: list[float] = []  # CPU seconds taken by stages nested in each running stage

    def wrap(function, label):
        def timed(*args, **kwargs):
            started = time.process_time()
            running.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                total = time.process_time() - started
                nested = running.pop()
                spent[label] = spent.get(label, 0.0) + total - nested
                if running:
                    running[-1] += total
        return timed

    for module, name, label in STAGES:
        target = importlib.import_module(module)
        if hasattr(target, name):  # older commits lack some stages
            setattr(target, name, wrap(getattr(target, name), label))
    return spent


def measure(path: Path, stages: bool = False) -> dict:
    """Load in a child process: wall and CPU seconds of load_corpus, the child's peak RSS, and with `stages` the
    CPU seconds of each stage."""
    code = (
        "import json, resource, sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from nbkit.corpus import load_corpus\n"
        f"spent = __import__('bench_load').time_stages() if {stages} else {{}}\n"
        "t, cpu = time.perf_counter(), time.process_time()\n"
        f"c = load_corpus([{str(path)!r}])\n"
        "wall, cpu = time.perf_counter() - t, time.process_time() - cpu\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': wall, 'cpu_seconds': cpu, 'peak_rss_mb': rss, 'stages': spent,\n"
        "                  **c.report.totals}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"load failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="loads per size; the median is shown (VMs are noisy)")
    parser.add_argument("--stages", action="store_true", help="also show the CPU seconds of each stage (median run)")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    print(describe())
    print(f"{'listings':>10} {'papers':>9} {'seconds':>8} {'listings/s':>11} {'CPU s':>7} {'per CPU s':>10} "
          f"{'peak RSS MB':>12} {'MB on disk':>11}  runs (s)")
    for size in args.sizes:
        path = DATA / f"synthetic_{size}.txt"
        if not path.exists():
            started = time.perf_counter()
            generate(path, size)
            print(f"(generated {path.name} in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
        runs = sorted((measure(path, args.stages) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        result = runs[len(runs) // 2]
        rate = result["listings"] / result["seconds"]
        cpu = sorted(r["cpu_seconds"] for r in runs)[len(runs) // 2]
        peak = max(r["peak_rss_mb"] for r in runs)
        times = ", ".join(f"{r['seconds']:.1f} ({r['cpu_seconds']:.1f} CPU)" for r in runs)
        print(f"{result['listings']:>10} {result['papers']:>9} {result['seconds']:>8.1f} {rate:>11,.0f} "
              f"{cpu:>7.1f} {result['listings'] / cpu:>10,.0f} {peak:>12,.0f} "
              f"{path.stat().st_size / 1e6:>11,.0f}  {times}")
        if args.stages:
            spent = result["stages"]
            spent["other"] = result["cpu_seconds"] - sum(spent.values())
            for label, seconds in spent.items():
                print(f"    {label:<22} {seconds:>7.2f} CPU s  {seconds / result['cpu_seconds']:>5.1%}")
    print(f"calibration after: {calibration():.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
