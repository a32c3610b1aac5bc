"""Digests of everything a load gives, to check that a speed-up changes no output.

    PYTHONPATH=<old clone>/src python benchmarks/hash_load.py INPUT... > old.txt
    PYTHONPATH=<new clone>/src python benchmarks/hash_load.py INPUT... > new.txt
    diff old.txt new.txt

One line per load: the target, its listing and paper counts, and a SHA-256 (first 16 hex digits) each of the
listings table, the papers table, the near duplicates, the rejections, the conflicts and the rest of the report.
A directory INPUT is loaded whole and each file under it is also loaded alone (as scripts/snapshot_loads.py
does), so a change in one reader shows up on its own fixture. Unlike snapshot_loads.py nothing is written to disk,
so a million-listing load can be compared too. Column names, dtypes, values, missing values and the order of rows
and of list items all count; which Python object holds a value does not (HF listings share abstract strings).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

_MISSING = "\x00<NA>"  # stands for a missing string; no loaded text holds a NUL


def column_digest(values: pd.Series) -> bytes:
    """SHA-256 of one column's dtype and values, in row order."""
    digest = hashlib.sha256(str(values.dtype).encode())
    array = values.array
    if values.dtype == object:  # list columns (or object scalars): each cell spelled out with its type
        cells = [("L" + "\x1f".join(map(str, v))) if isinstance(v, list)
                 else _MISSING if v is None or v is pd.NA else f"{type(v).__name__}:{v}"
                 for v in values.to_numpy(dtype=object)]
        digest.update(pd.util.hash_array(np.array(cells, dtype=object), categorize=False).tobytes())
    elif isinstance(values.dtype, pd.StringDtype):
        cells = values.to_numpy(dtype=object, na_value=_MISSING)
        digest.update(pd.util.hash_array(cells, categorize=False).tobytes())
    elif hasattr(array, "_data") and hasattr(array, "_mask"):  # Int64, boolean: values where present, and the mask
        mask = np.asarray(array._mask)
        digest.update(np.where(mask, 0, np.asarray(array._data)).tobytes())
        digest.update(mask.tobytes())
    else:  # numpy columns (datetime64, int64, float64): their bytes
        digest.update(np.ascontiguousarray(values.to_numpy()).tobytes())
    return digest.digest()


def frame_digest(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256(f"{list(frame.columns)}|{len(frame)}|{type(frame.index).__name__}".encode())
    for name in frame.columns:
        digest.update(column_digest(frame[name]))
    return digest.hexdigest()[:16]


def text_digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def load_digests(target: Path) -> str:
    from nbkit.corpus import load_corpus
    from nbkit.errors import NbkitError

    try:
        corpus = load_corpus([target])
    except NbkitError as exc:
        return f"error {text_digest(str(exc))}"
    report = corpus.report
    rest = report.to_dict()
    for capped in ("conflicts", "near_duplicates"):
        rest.pop(capped)
    parts = {
        "listings": frame_digest(corpus.listings),
        "papers": frame_digest(corpus.papers),
        "near": frame_digest(report.near_duplicates.reset_index(drop=True)),
        "rejections": text_digest([r.to_dict() for r in report.rejections]),
        "conflicts": text_digest(report.conflicts),
        "report": text_digest(rest),
    }
    counts = f"{len(corpus.listings)} {len(corpus.papers)}"
    return counts + " " + " ".join(f"{k}={v}" for k, v in parts.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="files or directories")
    parser.add_argument("--whole-only", action="store_true", help="load a directory whole, not also file by file")
    args = parser.parse_args()
    for given in map(Path, args.inputs):
        targets = [given]
        if given.is_dir() and not args.whole_only:
            targets += sorted(p for p in given.rglob("*") if p.is_file() and not p.name.startswith("."))
        for target in targets:
            print(f"{target} {load_digests(target)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
