"""What every reader returns: raw listing columns plus a full account of the file's blocks.

A *block* is the unit a reader consumes: a paragraph of an HF page, a line of JSON Lines, a row of a CSV or
Parquet file. Each block ends up in exactly one place: a listing, a recognized header, or a rejection. The
accounting invariant `blocks == header_blocks + listing_blocks + rejected` is checked for every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Raw per-listing fields a reader fills. Dates stay as parts (year may be None) until the corpus-wide year
# inference has run; text is already cleaned (nbkit.clean.clean_text).
RAW_FIELDS = (
    "source_line",
    "abstract_line",
    "meta_line",
    "collection",
    "title",
    "abstract",
    "authors",
    "authors_count",
    "date_text",
    "date_year",
    "date_month",
    "date_day",
    "date_precision",
    "upvotes",
    "arxiv_id",
    "categories",
    "flags",
)


class ListingBuffer:
    """Column-wise storage of raw listings: one list per field, so a million listings stay cheap."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in RAW_FIELDS}

    def __len__(self) -> int:
        return len(self.columns["title"])

    def add(self, **values: Any) -> int:
        """Append one listing; unknown field names are a bug. Returns its index in this buffer."""
        unknown = set(values) - set(RAW_FIELDS)
        if unknown:
            raise TypeError(f"unknown listing fields {sorted(unknown)}")
        for name, column in self.columns.items():
            default: Any = [] if name in ("categories", "flags") else None
            column.append(values.get(name, default))
        return len(self) - 1


@dataclass(frozen=True)
class Rejection:
    """A block that could not be used, with its place and the reason."""

    file: str
    line: int
    reason: str
    text: str  # the start of the block, so a reader of the report can find and judge it

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason, "text": self.text}


@dataclass
class ParsedFile:
    """One input file, read."""

    path: str  # as found on disk
    name: str  # display name, relative to the input path it was found under
    format: str
    listings: ListingBuffer = field(default_factory=ListingBuffer)
    blocks: int = 0
    header_lines: list[int] = field(default_factory=list)
    listing_blocks: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    encoding: str = "utf-8"
    line_endings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    page_date_text: str | None = None
    page_date_parts: tuple[int | None, int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reject(self, line: int, reason: str, text: str) -> None:
        excerpt = text if len(text) <= 80 else text[:77] + "..."
        self.rejections.append(Rejection(self.name, line, reason, excerpt))

    @property
    def accounted(self) -> bool:
        return self.blocks == len(self.header_lines) + self.listing_blocks + len(self.rejections)
