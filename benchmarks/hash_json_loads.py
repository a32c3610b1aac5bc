"""Hash what the JSON readers give, to check that a speed-up of the OpenAlex reader changes no output.

    PYTHONPATH=<clone>/src python benchmarks/hash_json_loads.py [--works 20000] > hashes.txt

One line per input: the file, its listing count, a hash of the reader's ParsedFile (listings, sparse fields,
blocks, rejections, warnings), of `load_corpus`'s listings and papers tables and of its load report. Inputs: every
.json/.jsonl fixture under tests/fixtures, plus the benchmark's OpenAlex file of --works works in both shapes
(JSON Lines and one JSON array, made from benchmarks/.data/openalex_<N>.jsonl if missing). `diff` two outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False).encode()).hexdigest()[:16]


def _table(frame) -> list:  # a DataFrame as plain values with its dtypes: lists, NA and floats all compared
    return [list(map(str, frame.columns)), list(map(str, frame.dtypes)),
            [[repr(v) for v in row] for row in frame.itertuples(index=False)]]


def hashes(path: Path) -> str:
    from nbkit.corpus import load_corpus
    from nbkit.errors import NbkitError
    from nbkit.sources import read_file

    try:
        parsed = read_file(path, path.name)
    except NbkitError as exc:
        return f"{path.relative_to(ROOT)} error {exc}"
    buffer = parsed.listings
    reader = [buffer.source_line, buffer.title, buffer.abstract, buffer.abstract_line,
              {k: sorted(v.items()) for k, v in buffer.sparse.items()}, parsed.format, parsed.blocks,
              parsed.header_lines, parsed.listing_blocks, [r.to_dict() for r in parsed.rejections],
              parsed.warnings, parsed.extra]
    corpus = load_corpus([path])
    report = corpus.report.to_dict()
    return (f"{path.relative_to(ROOT)} listings={len(buffer)} reader={_digest(reader)} "
            f"listings_table={_digest(_table(corpus.listings))} papers={_digest(_table(corpus.papers))} "
            f"report={_digest(report)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=20_000, help="benchmark file size; 0 for fixtures only")
    args = parser.parse_args()
    inputs = sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*") if p.suffix in (".json", ".jsonl"))
    if args.works:
        lines = DATA / f"openalex_{args.works}.jsonl"
        array = DATA / f"openalex_{args.works}.json"
        if not lines.exists():
            raise SystemExit(f"{lines} is missing: run benchmarks/bench_openalex.py --works {args.works} first")
        if not array.exists():
            with lines.open(encoding="utf-8") as f, array.open("w", encoding="utf-8") as out:
                out.write("[\n" + ",\n".join(line.rstrip("\n") for line in f) + "\n]\n")
        inputs += [lines, array]
    for path in inputs:
        print(hashes(path), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
