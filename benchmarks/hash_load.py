"""Digests of everything a load gives, to check that a change (a speed-up, a refactor) changes no output.

    PYTHONPATH=<old clone>/src python benchmarks/hash_load.py tests/fixtures data/raw/hf_papers > old.txt
    PYTHONPATH=<new clone>/src python benchmarks/hash_load.py tests/fixtures data/raw/hf_papers > new.txt
    diff old.txt new.txt
    python benchmarks/hash_load.py --ris-records 20000 --openalex-works 20000 tests/fixtures   # + benchmark files

Run the same script from the same directory both times, with PYTHONPATH choosing the code under test: the load
report names its inputs as they were given, so the paths must match. One line per load: the target, its listing
and paper counts, and a SHA-256 (first 16 hex digits) each of the listings table, the papers table, the near
duplicates, the rejections, the conflicts and the rest of `load_corpus`'s report; for a file also `reader=`, the
digest of `read_file`'s raw ParsedFile (dense columns, sparse fields with their insertion order, rejections,
header lines, block counts, encoding, line endings, warnings, page date, extra), so a reader change shows even
where the later stages would hide it. A load that fails prints `error`, the digests of its message and of the
reader's result, then the message.

A directory INPUT is loaded whole (skipping files it cannot read, which its report lists) and each file under it
is also loaded alone, so a change in one reader shows up on its own fixture. `--columns` adds a digest per column
of the two tables (a diff then names the column that changed). `--ris-records N` adds
benchmarks/.data/scopus_N.ris and `--openalex-works N` adds benchmarks/.data/openalex_N.jsonl and openalex_N.json
(the same works as JSON Lines and as one JSON array), each generated first if missing by bench_ris.py's or
bench_openalex.py's generator. Nothing else is written, so a million-listing load can be compared too. Column
names, dtypes, values, missing values and the order of rows and of list items all count; which Python object
holds a value does not (HF listings share abstract strings).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
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


def reader_digest(target: Path) -> str:
    """Digest of read_file's ParsedFile: what the reader alone gives, before load_corpus combines and cleans it."""
    from nbkit.errors import NbkitError
    from nbkit.sources import read_file

    try:
        parsed = read_file(target, target.name)
    except NbkitError as exc:
        return f"error:{text_digest(str(exc))}"
    buffer = parsed.listings
    digest = hashlib.sha256(str(len(buffer)).encode())
    for values in (buffer.source_line, buffer.title, buffer.abstract, buffer.abstract_line):
        digest.update(column_digest(pd.Series(values, dtype=object)))
    for name, values in buffer.sparse.items():  # (index, value) pairs in insertion order: the order is output too
        digest.update(name.encode())
        digest.update(np.fromiter(values.keys(), dtype=np.int64, count=len(values)).tobytes())
        digest.update(column_digest(pd.Series(list(values.values()), dtype=object)))
    rest = {f.name: getattr(parsed, f.name) for f in dataclasses.fields(parsed) if f.name != "listings"}
    rest["rejections"] = [r.to_dict() for r in parsed.rejections]
    digest.update(text_digest(rest).encode())
    return digest.hexdigest()[:16]


def load_digests(target: Path, columns: bool) -> str:
    from nbkit.corpus import load_corpus
    from nbkit.errors import NbkitError

    reader = f" reader={reader_digest(target)}" if target.is_file() else ""  # a directory is read file by file
    try:
        # a directory whole skips unreadable files (a PROVENANCE.md) so they do not hide the rest; the report,
        # hashed below, lists them, and each file's own line shows its error
        corpus = load_corpus([target], skip_bad_files=target.is_dir())
    except NbkitError as exc:
        message = " ".join(str(exc).split())
        return f"error load={text_digest(str(exc))}{reader} | {message}"
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
    line = f"{len(corpus.listings)} {len(corpus.papers)} " + " ".join(f"{k}={v}" for k, v in parts.items()) + reader
    if columns:
        for table in ("listings", "papers"):
            frame = getattr(corpus, table)
            line += "".join(f"\n    {table}.{name}={column_digest(frame[name]).hex()[:16]}" for name in frame.columns)
    return line


def _bench_module(name: str):
    """benchmarks/<name>.py, for its generate(). nbkit is imported first: bench_ris.py puts its own checkout's src/
    first on sys.path when imported, which must not replace the nbkit that PYTHONPATH chose."""
    import nbkit.corpus  # noqa: F401

    saved = list(sys.path)
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path[:] = saved
    return module


def generated_inputs(ris_records: list[int], openalex_works: list[int]) -> list[Path]:
    """The benchmark files asked for, generated into benchmarks/.data/ if missing (the generators are seeded)."""
    wanted = [(DATA / f"scopus_{n}.ris", "bench_ris", n, ()) for n in ris_records]
    wanted += [(DATA / f"openalex_{n}.{shape}", "bench_openalex", n, (shape,))
               for n in openalex_works for shape in ("jsonl", "json")]
    paths = []
    for path, module, count, shape in wanted:
        if not path.exists():
            DATA.mkdir(parents=True, exist_ok=True)
            print(f"(generating {path.name})", file=sys.stderr, flush=True)
            _bench_module(module).generate(path, count, *shape)
        # relative to the working directory where possible, as an INPUT would be given
        paths.append(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", help="files or directories")
    parser.add_argument("--whole-only", action="store_true", help="load a directory whole, not also file by file")
    parser.add_argument("--columns", action="store_true", help="also a digest per column of listings and papers")
    parser.add_argument("--ris-records", type=int, action="append", default=[], metavar="N",
                        help="also benchmarks/.data/scopus_N.ris (bench_ris.py's file); may be repeated")
    parser.add_argument("--openalex-works", type=int, action="append", default=[], metavar="N",
                        help="also benchmarks/.data/openalex_N.jsonl and .json (bench_openalex.py's); may be repeated")
    args = parser.parse_args()
    inputs = [Path(p) for p in args.inputs] + generated_inputs(args.ris_records, args.openalex_works)
    if not inputs:
        parser.error("give an INPUT, --ris-records or --openalex-works")
    for given in inputs:
        targets = [given]
        if given.is_dir() and not args.whole_only:
            targets += sorted(p for p in given.rglob("*") if p.is_file() and not p.name.startswith("."))
        for target in targets:
            print(f"{target} {load_digests(target, args.columns)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
