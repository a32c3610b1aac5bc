"""The load report: where every block of every input went, and what was merged, flagged or rejected.

Per file it gives the format, encoding, line endings, blocks read and their fate (header lines, blocks in
listings, rejections); over the load the totals of listings, papers, merged duplicates and rejections, the merge
conflicts and the near-duplicate candidates. `LoadReport.check()` asserts the accounting invariant.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from nbkit.sources.base import Rejection

JSON_ROW_CAP = 1000  # near-duplicate and conflict rows written to report.json (totals are always complete)


@dataclass
class FileReport:
    path: str
    name: str
    format: str
    encoding: str
    line_endings: list[str]
    collections: list[str]
    blocks: int
    header_lines: list[int]
    listing_blocks: int
    listings: int
    rejected: int
    page_date: str | None = None
    reference_year: int | None = None
    reference_year_rule: str | None = None
    warnings: list[str] = field(default_factory=list)
    columns: dict[str, str] | None = None
    ignored_columns: list[str] | None = None

    @property
    def accounted(self) -> bool:
        return self.blocks == len(self.header_lines) + self.listing_blocks + self.rejected


@dataclass
class LoadReport:
    inputs: list[str]
    files: list[FileReport]
    rejections: list[Rejection]
    skipped_files: list[dict[str, str]]
    totals: dict[str, int]
    conflicts: list[dict[str, Any]]
    near_duplicates: pd.DataFrame
    near_duplicate_buckets_skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Raise AssertionError unless every block of every file is accounted for."""
        for entry in self.files:
            if not entry.accounted:
                raise AssertionError(
                    f"{entry.name}: {entry.blocks} blocks but {len(entry.header_lines)} header + "
                    f"{entry.listing_blocks} in listings + {entry.rejected} rejected"
                )

    def files_frame(self) -> pd.DataFrame:
        """One row per file: format, encoding, blocks and where they went."""
        rows = [{
            "file": f.name, "format": f.format, "encoding": f.encoding,
            "line_endings": "+".join(f.line_endings) or "-", "blocks": f.blocks,
            "header_lines": len(f.header_lines), "listing_blocks": f.listing_blocks, "rejected": f.rejected,
            "listings": f.listings, "page_date": f.page_date or "", "warnings": len(f.warnings),
        } for f in self.files]
        return pd.DataFrame(rows)

    def totals_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"count": pd.Series(self.totals, dtype="int64")})

    def rejections_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_dict() for r in self.rejections], columns=["file", "line", "reason", "text"])

    def conflicts_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.conflicts, columns=["paper_id", "field", "values"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "totals": self.totals,
            "files": [asdict(f) for f in self.files],
            "rejections": [r.to_dict() for r in self.rejections],
            "skipped_files": self.skipped_files,
            "conflicts": self.conflicts[:JSON_ROW_CAP],
            "near_duplicates": self.near_duplicates.head(JSON_ROW_CAP).to_dict(orient="records"),
            "near_duplicate_buckets_skipped": self.near_duplicate_buckets_skipped,
            "warnings": self.warnings,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"

    def summary(self) -> str:
        """A short human summary, as `nbkit load` prints it."""
        t = self.totals
        formats = pd.Series([f.format for f in self.files]).value_counts()
        lines = [
            f"Read {t['files']} file(s) ({', '.join(f'{k}: {v}' for k, v in formats.items())}): "
            f"{t['listings']} listings -> {t['papers']} papers ({t['merged_duplicates']} merged duplicates), "
            f"{t['rejected']} rejected block(s), {t['flagged_listings']} flagged listing(s).",
        ]
        width = max((len(f.name) for f in self.files), default=0)
        for f in self.files:
            lines.append(
                f"  {f.name:<{width}}  {f.format:<7} {f.encoding:<8} blocks {f.blocks} = {len(f.header_lines)} "
                f"header + {f.listing_blocks} in {f.listings} listings + {f.rejected} rejected"
            )
        lines.append(f"Near-duplicate titles reported, not merged: {t['near_duplicate_candidates']}; "
                     f"merge conflicts: {t['conflicts']}.")
        for r in self.rejections[:10]:
            lines.append(f"  rejected {r.file}:{r.line}: {r.reason}")
        if len(self.rejections) > 10:
            lines.append(f"  ... and {len(self.rejections) - 10} more rejections (see the report)")
        for s in self.skipped_files:
            lines.append(f"  skipped {s['path']}: {s['reason']}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)
