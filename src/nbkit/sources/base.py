"""What every reader returns: raw listings plus a full account of the file's blocks.

A *block* is the unit a reader consumes: a paragraph of an HF page, a line of JSON Lines, a row of a CSV or
Parquet file. Each block ends up in exactly one place: a listing, a recognized header, or a rejection, so
`blocks == len(header_lines) + listing_blocks + len(rejections)` holds for every file.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Fields most listings lack (or, for collection, share with the whole file) are stored sparsely, index -> value:
# a million HF listings then cost four list appends each, not fifteen.
SPARSE_FIELDS = (
    "meta_line",
    "collection",
    "authors",
    "authors_count",
    "date_text",
    "upvotes",
    "arxiv_id",
    "doi",
    "pmid",
    "openalex_id",
    "s2_id",
    "categories",
    "flags",
)
LIST_FIELDS = frozenset({"categories", "flags"})


class ListingBuffer:
    """Raw listings of one file: dense title/abstract columns, sparse everything else.

    `date_text` is the date as written; nbkit.corpus parses it (once per distinct text) after all files are read,
    because HF dates need the corpus-wide year inference.
    """

    def __init__(self) -> None:
        self.source_line: list[int] = []
        self.title: list[str] = []
        self.abstract: list[str | None] = []
        self.abstract_line: list[int | None] = []
        self.sparse: dict[str, dict[int, Any]] = {name: {} for name in SPARSE_FIELDS}

    def __len__(self) -> int:
        return len(self.title)

    def add(self, source_line: int, title: str, abstract: str | None = None, abstract_line: int | None = None,
            **fields: Any) -> int:
        """Append one listing; None and empty values of sparse fields are simply not stored. Returns its index."""
        return self.add_fields(source_line, title, abstract, abstract_line, fields)

    def add_fields(self, source_line: int, title: str, abstract: str | None, abstract_line: int | None,
                   fields: dict[str, Any]) -> int:
        """add() with the sparse fields as a dict: a reader that collects them in a dict (add_fixed_record) saves
        packing them into keyword arguments again, a third of what adding a listing cost it."""
        index = len(self.title)
        self.source_line.append(source_line)
        self.title.append(title)
        self.abstract.append(abstract)
        self.abstract_line.append(abstract_line)
        sparse = self.sparse
        for name, value in fields.items():
            if value is not None and value != []:
                sparse[name][index] = list(value) if name in LIST_FIELDS else value
        return index

    def set(self, index: int, name: str, value: Any) -> None:
        self.sparse[name][index] = value

    def get(self, index: int, name: str) -> Any:
        return self.sparse[name].get(index)

    def flag(self, index: int, name: str) -> None:
        self.sparse["flags"].setdefault(index, []).append(name)

    def flag_all(self, name: str) -> None:
        for index in range(len(self)):
            self.flag(index, name)

    def int_column(self, name: str) -> pd.api.extensions.ExtensionArray:
        """A sparse integer field as a nullable Int64 array, built with numpy rather than element by element."""
        values = self.sparse[name]
        data = np.zeros(len(self), dtype=np.int64)
        mask = np.ones(len(self), dtype=bool)
        if values:
            index = np.fromiter(values.keys(), dtype=np.int64, count=len(values))
            data[index] = np.fromiter(values.values(), dtype=np.int64, count=len(values))
            mask[index] = False
        return pd.arrays.IntegerArray(data, mask)

    def column(self, name: str, default: Any = None) -> np.ndarray:
        """A field as an object array of len(self); list fields get a fresh empty list per row."""
        values = self.sparse[name]
        if name in LIST_FIELDS:  # the empty lists made in C, straight into the array (a comprehension cost ~1.5x)
            out = np.fromiter(map(list, itertools.repeat((), len(self))), dtype=object, count=len(self))
            for index, value in values.items():
                out[index] = value
            return out
        out = np.full(len(self), default, dtype=object)
        if values:
            out[np.fromiter(values.keys(), dtype=np.int64, count=len(values))] = list(values.values())
        return out


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
    collection: str  # default collection of its listings (the file stem)
    listings: ListingBuffer = field(default_factory=ListingBuffer)
    blocks: int = 0
    header_lines: list[int] = field(default_factory=list)
    listing_blocks: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    encoding: str = "utf-8"
    line_endings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    page_date_text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reject(self, line: int, reason: str, text: str) -> None:
        excerpt = " ".join(text.split())
        excerpt = excerpt if len(excerpt) <= 80 else excerpt[:77] + "..."
        self.rejections.append(Rejection(self.name, line, reason, excerpt))


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of long-lived strings are created: reading makes no
    reference cycles, and with the collector on, a million-listing load spends a third of its time in it (a RIS
    file read alone: 100,000 records ran at two thirds of the speed of 20,000; OpenAlex works, whose inverted indexes
    make a list a word: 4-5% less CPU at 100,000 works). Nested uses are fine."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
