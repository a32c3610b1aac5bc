"""Load many inputs and pickle what each load gives (tables, report or error), to compare two versions of nbkit.

    PYTHONPATH=<old clone>/src python scripts/snapshot_loads.py /tmp/old INPUT...
    PYTHONPATH=<new clone>/src python scripts/snapshot_loads.py /tmp/new INPUT...
    python scripts/snapshot_loads.py --compare /tmp/old /tmp/new

A directory INPUT is loaded whole and each file under it is also loaded alone, so a change in one reader shows
up on its own fixture. Used to check that a speed-up changes no output.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import pandas as pd


def snapshot(out: Path, inputs: list[str]) -> None:
    from nbkit.corpus import load_corpus
    from nbkit.errors import NbkitError

    out.mkdir(parents=True, exist_ok=True)
    targets = []
    for given in map(Path, inputs):
        targets.append(given)
        if given.is_dir():
            targets += sorted(p for p in given.rglob("*") if p.is_file() and not p.name.startswith("."))
    for target in targets:
        try:
            corpus = load_corpus([target])
            report = corpus.report.to_dict()
            result = {"papers": corpus.papers, "listings": corpus.listings, "report": report}
        except NbkitError as exc:
            result = {"error": str(exc)}
        name = str(target).strip("/").replace("/", "__")
        (out / f"{name}.pkl").write_bytes(pickle.dumps(result))
        print(name, "error" if "error" in result else len(result["listings"]), flush=True)


def compare(old: Path, new: Path) -> int:
    different = 0
    for path in sorted(old.glob("*.pkl")):
        other = new / path.name
        if not other.exists():
            print(f"MISSING {path.name}")
            different += 1
            continue
        a, b = pickle.loads(path.read_bytes()), pickle.loads(other.read_bytes())
        problems = []
        if a.keys() != b.keys() or a.get("error") != b.get("error"):
            problems.append(f"error {a.get('error')!r} vs {b.get('error')!r}")
        for table in ("papers", "listings"):
            if table in a and table in b:
                try:
                    pd.testing.assert_frame_equal(a[table], b[table])
                except AssertionError as exc:
                    problems.append(f"{table}: {' '.join(str(exc).split())[:300]}")
        if "report" in a and "report" in b:
            ra, rb = a["report"], b["report"]
            for key in ra:
                if ra[key] != rb.get(key):
                    problems.append(f"report[{key}] differs")
        print(f"{'DIFF' if problems else 'same'} {path.name}" + "".join(f"\n    {p}" for p in problems))
        different += bool(problems)
    print(f"{different} of {len(list(old.glob('*.pkl')))} differ")
    return 1 if different else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="compare two snapshot folders")
    parser.add_argument("out")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()
    if args.compare:
        return compare(Path(args.out), Path(args.inputs[0]))
    snapshot(Path(args.out), args.inputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
