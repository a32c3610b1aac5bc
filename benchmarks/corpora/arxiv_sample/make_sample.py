#!/usr/bin/env python3
"""Build papers.jsonl (arXiv metadata snapshot format) from a public arXiv sample.

Source: GitHub repository Goldyvaiiii/AgenticResearchAssistant, file data/arxiv_sample.csv
at commit f0e7190994457f007c89d437d44bf4251329866f (git blob 736b91376de6c4d58b79a9ac5843898a371e42af).
That CSV holds 2,000 records drawn (reservoir sampling, seed 42) from the first 100,000 lines of
Cornell University's arXiv metadata snapshot (Kaggle "arxiv-metadata-oai-snapshot.json", CC0 1.0),
with the columns id, title, abstract, categories, authors, update_date.

Usage:
    python make_sample.py MIRROR_GIT_DIR [--out papers.jsonl] [--commit SHA]

MIRROR_GIT_DIR is a (bare) git directory of that repository, e.g. the one the search tool's
`fetch` produced: /work/.mirror/Goldyvaiiii+AgenticResearchAssistant/repo

Selection rule (deterministic): every row of the CSV, in file order; rows with an empty id, title
or abstract are dropped; duplicate ids keep their first row. (In the pinned file no row is dropped.)

Conversion: each row becomes one JSON object with the snapshot keys id, title, abstract, authors,
categories, update_date. Field values are copied verbatim from the CSV cells (no whitespace or
text changes). Nothing is invented: the CSV has no `versions`, `authors_parsed`, `doi` etc., so
those keys are absent, and nbkit's reader takes the date from `update_date` (flagged
`date_from_update`).
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

SOURCE_REPO = "Goldyvaiiii/AgenticResearchAssistant"
SOURCE_COMMIT = "f0e7190994457f007c89d437d44bf4251329866f"
SOURCE_PATH = "data/arxiv_sample.csv"
SOURCE_BLOB = "736b91376de6c4d58b79a9ac5843898a371e42af"
KEYS = ("id", "title", "abstract", "authors", "categories", "update_date")


def git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mirror", help="git directory of the fetched source repository")
    ap.add_argument("--commit", default=SOURCE_COMMIT)
    ap.add_argument("--out", default=str(Path(__file__).with_name("papers.jsonl")))
    args = ap.parse_args(argv)

    blob = git(args.mirror, "rev-parse", f"{args.commit}:{SOURCE_PATH}").decode().strip()
    if args.commit == SOURCE_COMMIT and blob != SOURCE_BLOB:
        sys.exit(f"unexpected blob {blob} for {SOURCE_PATH} at {args.commit}")
    raw = git(args.mirror, "cat-file", "blob", blob)
    print(f"source {SOURCE_REPO}@{args.commit}:{SOURCE_PATH} blob {blob} "
          f"({len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()})")

    reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    missing = [k for k in KEYS if k not in (reader.fieldnames or [])]
    if missing:
        sys.exit(f"source CSV lacks columns {missing}")

    seen: set[str] = set()
    kept: list[dict[str, str]] = []
    dropped = collections.Counter()
    rows = 0
    for row in reader:
        rows += 1
        if not (row["id"].strip() and row["title"].strip() and row["abstract"].strip()):
            dropped["empty id/title/abstract"] += 1
            continue
        if row["id"] in seen:
            dropped["duplicate id"] += 1
            continue
        seen.add(row["id"])
        kept.append({k: row[k] for k in KEYS})

    out = Path(args.out)
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in kept:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    primary = collections.Counter(r["categories"].split()[0] for r in kept)
    archive = collections.Counter(r["categories"].split()[0].split(".")[0] for r in kept)
    ym = sorted(r["id"][:4] for r in kept)
    upd = sorted(r["update_date"] for r in kept)
    print(f"rows read {rows}; kept {len(kept)}; dropped {dict(dropped) or 0}")
    print(f"wrote {out} ({out.stat().st_size} bytes, sha256 "
          f"{hashlib.sha256(out.read_bytes()).hexdigest()})")
    print(f"submission yymm (from id) {ym[0]}..{ym[-1]}; update_date {upd[0]}..{upd[-1]}")
    print(f"distinct primary categories {len(primary)}; top 15:")
    for cat, n in primary.most_common(15):
        print(f"  {cat:22s} {n}")
    print("primary archive (before the dot):")
    for cat, n in archive.most_common():
        print(f"  {cat:22s} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
