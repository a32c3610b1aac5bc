"""Fingerprint what the tagged readers (RIS, Web of Science, MEDLINE) produce, to show a speed-up changed nothing.

    python benchmarks/hash_tagged.py                     # every tagged fixture under tests/fixtures
    python benchmarks/hash_tagged.py --records 20000     # ... and benchmarks/.data/scopus_20000.ris (bench_ris.py)

For each file it prints one line: the file, its format, a hash of the reader's raw output (read_file: every
column of the listing buffer, sparse fields, rejections, header lines, block counts) and a hash of load_corpus's
listings and papers tables and load report. Run it before and after a change and diff the two outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nbkit.corpus import load_corpus  # noqa: E402
from nbkit.errors import NbkitError  # noqa: E402
from nbkit.sources import detect_format, read_file  # noqa: E402
from nbkit.sources.textio import read_head  # noqa: E402

TAGGED = ("ris", "wos", "medline")


def _digest(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reader_hash(path: Path) -> str:
    parsed = read_file(path, path.name)
    buffer = parsed.listings
    return _digest({
        "dense": [buffer.source_line, buffer.title, buffer.abstract, buffer.abstract_line],
        # sparse dicts as (index, value) pairs in insertion order: the order is part of the output
        "sparse": {name: list(values.items()) for name, values in buffer.sparse.items()},
        "rejections": [r.to_dict() for r in parsed.rejections],
        "counts": [parsed.blocks, parsed.header_lines, parsed.listing_blocks, parsed.format, parsed.encoding,
                   parsed.line_endings, parsed.warnings, parsed.page_date_text, parsed.extra],
    })


def load_hash(path: Path) -> str:
    corpus = load_corpus([path])
    corpus.report.check()
    return _digest({
        "listings": corpus.listings.to_json(orient="split", date_format="iso", default_handler=repr),
        "papers": corpus.papers.to_json(orient="split", date_format="iso", default_handler=repr),
        "dtypes": [str(t) for t in (*corpus.listings.dtypes, *corpus.papers.dtypes)],
        "report": corpus.report.to_json(),
    })


def tagged_files(records: list[int]) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*")):
        if not path.is_file():
            continue
        try:
            fmt = detect_format(path, read_head(path), None)
        except NbkitError:
            continue
        if fmt in TAGGED:
            found.append((path, fmt))
    for count in records:
        found.append((ROOT / "benchmarks" / ".data" / f"scopus_{count}.ris", "ris"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, action="append", default=[],
                        help="also hash benchmarks/.data/scopus_N.ris (generate it with bench_ris.py first)")
    args = parser.parse_args()
    os.chdir(ROOT)  # relative paths, so the report (which names its inputs) is the same in any checkout
    for path, fmt in tagged_files(args.records):
        path = path.relative_to(ROOT)
        try:
            hashes = f"reader {reader_hash(path)}  load {load_hash(path)}"
        except NbkitError as exc:  # a fixture that must fail: its message is the output to keep
            hashes = f"error {exc}"
        print(f"{path}  {fmt}  {hashes}", flush=True)


if __name__ == "__main__":
    main()
