"""Benchmark: read a synthetic OpenAlex file of N works; report records/s for the reader alone and for load_corpus.

    python benchmarks/bench_openalex.py                    # 100,000 works as JSON Lines (the snapshot's form)
    python benchmarks/bench_openalex.py --shape json       # the same works as one JSON array (an API dump)
    python benchmarks/bench_openalex.py --works 20000 --repeat 1

The json.loads row is the floor a reader on the standard library's decoder cannot beat. Each work looks like one
from the API: an inverted-index abstract of ~200 words drawn from the bundled corpus's
abstracts, 5 authorships with institutions, ids, a primary location, 3 topics, 20 referenced works and counts by
year (~5 KB of JSON). The file is generated once into benchmarks/.data/. Each measurement runs in a fresh process
so its peak RSS is its own; the median of --repeat runs is shown (timings on a shared VM vary by +-20%), with
records per CPU second beside records per wall second: on a busy machine the first is the steadier figure.
Target (2 cores): >= 20,000 records/s.
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


def _abstract_words() -> list[list[str]]:
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    abstracts = [p.split() for p in re.split(r"\n\s*\n", text) if len(p) > 600]
    return abstracts or [("lorem ipsum dolor sit amet " * 40).split()]


def _inverted(words: list[str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        index.setdefault(word, []).append(position)
    return index


def work(i: int, rng: random.Random, abstracts: list[list[str]]) -> dict:
    words = rng.choice(abstracts)
    start = rng.randrange(max(1, len(words) - 200))
    wid = 4_000_000_000 + i
    return {
        "id": f"https://openalex.org/W{wid}",
        "doi": f"https://doi.org/10.{rng.randint(1000, 9999)}/synthetic.{i}",
        "title": " ".join(rng.sample(words, min(10, len(words)))) + f" {i}",
        "display_name": None,
        "publication_year": 2015 + i % 10,
        "publication_date": f"{2015 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "ids": {"openalex": f"https://openalex.org/W{wid}", "pmid": f"https://pubmed.ncbi.nlm.nih.gov/{30000000 + i}"},
        "language": "en",
        "type": "article",
        "primary_location": {"is_oa": i % 2 == 0, "landing_page_url": f"https://example.org/article/{i}",
                             "pdf_url": None, "source": {"id": "https://openalex.org/S1", "display_name": "Journal",
                                                         "type": "journal"}},
        "authorships": [{
            "author_position": "first" if a == 0 else "middle",
            "author": {"id": f"https://openalex.org/A{5_000_000_000 + i * 5 + a}",
                       "display_name": f"Author {rng.randint(1, 99999)}", "orcid": None},
            "institutions": [{"id": "https://openalex.org/I1", "display_name": "Some University",
                              "country_code": "US", "type": "education"}],
            "countries": ["US"], "is_corresponding": a == 0, "raw_author_name": f"A. Author{a}",
            "raw_affiliation_strings": ["Some University, Somewhere"],
        } for a in range(5)],
        "cited_by_count": rng.randint(0, 500),
        "topics": [{"id": f"https://openalex.org/T{10000 + t}", "display_name": f"Topic {t}", "score": 0.9}
                   for t in rng.sample(range(200), 3)],
        "referenced_works": [f"https://openalex.org/W{rng.randint(1, 4_000_000_000)}" for _ in range(20)],
        "abstract_inverted_index": _inverted(words[start:start + 200]) if i % 10 else None,  # 10% without
        "counts_by_year": [{"year": 2024, "cited_by_count": rng.randint(0, 50)}],
        "updated_date": "2024-05-01T00:00:00",
    }


def generate(path: Path, works: int, shape: str, seed: int = 0) -> None:
    rng = random.Random(seed)
    abstracts = _abstract_words()
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        if shape == "json":
            out.write("[\n")
        for i in range(works):
            if shape == "json" and i:
                out.write(",\n")
            out.write(json.dumps(work(i, rng, abstracts)))
            if shape == "jsonl":
                out.write("\n")
        if shape == "json":
            out.write("\n]\n")
    tmp.replace(path)


CALLS = {
    # The floor: the standard library's JSON decoder alone, no reader (JSON Lines files only).
    "json.loads": "n = 0\nwith open({path!r}, encoding='utf-8') as f:\n    for line in f:\n"
                  "        json.loads(line); n += 1",
    "reader": "p = read_file(Path({path!r}), 'works'); n = len(p.listings)",
    "load_corpus": "c = load_corpus([{path!r}]); n = c.report.totals['listings']",
}


def measure(path: Path, what: str) -> dict:
    """Run one of CALLS (the JSON decoder alone, the reader alone, the whole load) in a child process."""
    call = CALLS[what].format(path=str(path))
    code = (
        "import json, resource, time\n"
        "from pathlib import Path\n"
        "from nbkit.corpus import load_corpus\n"
        "from nbkit.sources import read_file\n"
        "t, cpu = time.perf_counter(), time.process_time()\n"
        f"{call}\n"
        "wall, cpu = time.perf_counter() - t, time.process_time() - cpu\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'seconds': wall, 'cpu_seconds': cpu,\n"
        "                  'peak_rss_mb': usage.ru_maxrss / 1024, 'records': n}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--shape", choices=("jsonl", "json"), default="jsonl")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"openalex_{args.works}.{args.shape}"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.works, args.shape)
        print(f"(generated {path.name} in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    print(describe())
    print(f"{path.name}: {path.stat().st_size / 1e6:,.0f} MB")
    print(f"{'measured':>12} {'records':>8} {'seconds':>8} {'records/s':>10} {'per CPU s':>10} {'peak RSS MB':>12}"
          "  runs (s)")
    for what in ("json.loads", "reader", "load_corpus") if args.shape == "jsonl" else ("reader", "load_corpus"):
        runs = sorted((measure(path, what) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        result = runs[len(runs) // 2]
        times = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        print(f"{what:>12} {result['records']:>8} {result['seconds']:>8.1f} "
              f"{result['records'] / result['seconds']:>10,.0f} {result['records'] / result['cpu_seconds']:>10,.0f} "
              f"{max(r['peak_rss_mb'] for r in runs):>12,.0f}  {times}")
    print(f"calibration after: {calibration():.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
