"""Shared test helpers: fixture paths, writing small inputs, and an independent block splitter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HF = FIXTURES / "hf"
BUNDLED = ROOT / "data" / "raw" / "hf_papers"


def paragraph_starts(text: str) -> list[int]:
    """Line numbers where runs of non-blank lines start: the blocks of a capture, counted independently of nbkit
    (plain regex over the text, LF, CRLF or CR line breaks)."""
    lines = re.split(r"\r\n|\r|\n", text)
    starts, previous_blank = [], True
    for number, line in enumerate(lines, 1):
        blank = not line.strip()
        if not blank and previous_blank:
            starts.append(number)
        previous_blank = blank
    return starts


def accounted_lines(corpus, name: str) -> list[int]:
    """Every line the load report says a block of file `name` starts on: header lines, listing parts, rejections."""
    entry = next(f for f in corpus.report.files if f.name == name)
    rows = corpus.listings[corpus.listings["source_file"] == name]
    lines = list(entry.header_lines)
    for column in ("source_line", "abstract_line", "meta_line"):
        lines += [int(v) for v in rows[column].dropna()]
    lines += [r.line for r in corpus.report.rejections if r.file == name]
    return sorted(lines)


def listing(corpus, title: str):
    """The one listing of `corpus` titled `title` (a pandas row)."""
    rows = corpus.listings[corpus.listings["title"] == title]
    assert len(rows) == 1, f"expected one listing titled {title!r}, found {len(rows)}"
    return rows.iloc[0]


@pytest.fixture
def write(tmp_path):
    """write(name, content) -> path; str content is written as UTF-8 with LF, bytes as they are."""
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
        return path
    return _write


def plain(frame):
    """A table with missing values as None (not pd.NA/NaT), so rows compare to plain tuples."""
    return frame.astype(object).where(frame.notna(), None)
