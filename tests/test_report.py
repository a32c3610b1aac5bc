"""The load report: the printed summary, the JSON form, the tables, and the accounting check."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nbkit import report as report_module
from nbkit.corpus import load_corpus
from nbkit.report import FileReport, LoadReport
from tests.conftest import HF


def test_summary_of_a_small_load():
    # orphan_metadata.txt: header lines 1, 3, 5; the metadata block on line 7 is rejected; title 11, abstract 13.
    # no_header.txt: title 1, abstract 3, no header.
    corpus = load_corpus([HF / "orphan_metadata.txt", HF / "no_header.txt"], reference_year=2025)
    assert corpus.report.summary().splitlines() == [
        "Read 2 file(s) (hf_page: 2): 2 listings -> 2 papers (0 merged duplicates), 1 rejected block(s), "
        "1 flagged listing(s).",
        "  orphan_metadata.txt  hf_page utf-8    blocks 6 = 3 header + 2 in 1 listings + 1 rejected",
        "  no_header.txt        hf_page utf-8    blocks 2 = 0 header + 2 in 1 listings + 0 rejected",
        "Near-duplicate titles reported, not merged: 0; merge conflicts: 0.",
        "  rejected orphan_metadata.txt:7: metadata block with no listing before it",
        "  warning: no_header.txt: no page header (site lines and page date); page date unknown",
    ]


def test_summary_shows_ten_rejections_and_counts_the_rest(write):
    rows = ["title,abstract", *[f",abstract {i} without a title" for i in range(12)], "A Paper,Its abstract."]
    corpus = load_corpus([write("r.csv", "\n".join(rows) + "\n")])
    lines = corpus.report.summary().splitlines()
    rejected = [line for line in lines if line.startswith("  rejected ")]
    # Rows 2-13 have no title; the first ten are listed, the other two counted.
    assert rejected == [f"  rejected r.csv:{n}: record without a title" for n in range(2, 12)]
    assert lines[-1] == "  ... and 2 more rejections (see the report)"
    assert lines[1] == "  r.csv  csv     utf-8    blocks 14 = 1 header + 1 in 1 listings + 12 rejected"


def test_skipped_files_are_in_the_summary_and_the_json(write, tmp_path):
    write("in/good.txt", "Subscribe\n\nMar 11\n\nA Paper\n\nIts abstract.\n")
    write("in/bad.txt", b"\x00\x01")
    corpus = load_corpus([tmp_path / "in"], skip_bad_files=True, reference_year=2025)
    reason = f"{tmp_path / 'in' / 'bad.txt'}: binary file (NUL byte at offset 0); expected text (UTF-16 text needs " \
             "a byte-order mark)"
    assert f"  skipped in/bad.txt: {reason}" in corpus.report.summary().splitlines()
    assert json.loads(corpus.report.to_json())["skipped_files"] == [{"path": "in/bad.txt", "reason": reason}]
    assert corpus.report.totals["skipped_files"] == 1


def test_json_report_holds_totals_files_and_rejections():
    corpus = load_corpus([HF / "orphan_metadata.txt"], reference_year=2025)
    data = json.loads(corpus.report.to_json())
    assert set(data) == {"inputs", "totals", "files", "rejections", "skipped_files", "conflicts", "near_duplicates",
                         "near_duplicate_buckets_skipped", "warnings"}
    assert data["inputs"] == [str(HF / "orphan_metadata.txt")]
    assert data["totals"] == corpus.report.totals
    assert data["rejections"] == [{"file": "orphan_metadata.txt", "line": 7,
                                   "reason": "metadata block with no listing before it",
                                   "text": "• 3 authors / · / Feb 4"}]
    entry = data["files"][0]
    assert (entry["format"], entry["encoding"], entry["line_endings"]) == ("hf_page", "utf-8", ["LF"])
    assert (entry["blocks"], entry["header_lines"], entry["listing_blocks"], entry["rejected"]) == (6, [1, 3, 5], 2, 1)
    assert (entry["page_date"], entry["reference_year"], entry["reference_year_rule"]) == ("2025-03-11", 2025, "given")


def test_json_caps_long_tables_but_not_the_totals(write, monkeypatch):
    path = write("p.csv", "title,abstract,date\n"
                          "Language Models are Few-Shot Learners,a,2020\n"
                          "Language Modles are Few-Shot Learners,b,2020\n"
                          "LLaMA 2: Open Foundation and Fine-Tuned Chat Models,c,2023\n"
                          "LLaMA 3: Open Foundation and Fine-Tuned Chat Models,d,2024\n")
    corpus = load_corpus([path])
    assert len(corpus.report.near_duplicates) == 2
    monkeypatch.setattr(report_module, "JSON_ROW_CAP", 1)
    data = json.loads(corpus.report.to_json())
    assert len(data["near_duplicates"]) == 1 and data["totals"]["near_duplicate_candidates"] == 2
    assert set(data["near_duplicates"][0]) == {"paper_id_a", "title_a", "paper_id_b", "title_b", "similarity",
                                             "reason"}


def test_tables_of_the_report():
    corpus = load_corpus([HF / "no_header.txt"])
    files = corpus.report.files_frame()
    assert files.to_dict("records") == [{
        "file": "no_header.txt", "format": "hf_page", "encoding": "utf-8", "line_endings": "LF", "blocks": 2,
        "header_lines": 0, "listing_blocks": 2, "rejected": 0, "listings": 1, "page_date": "", "warnings": 1}]
    assert corpus.report.totals_frame().loc["listings", "count"] == 1
    rejections = corpus.report.rejections_frame()
    assert rejections.empty and rejections.columns.tolist() == ["file", "line", "reason", "text"]
    assert corpus.report.conflicts_frame().columns.tolist() == ["paper_id", "field", "values"]


def _file_report(blocks: int, header: list[int], listing_blocks: int, rejected: int) -> FileReport:
    return FileReport(path="p.txt", name="p.txt", format="hf_page", encoding="utf-8", line_endings=["LF"],
                      collections=["p"], blocks=blocks, header_lines=header, listing_blocks=listing_blocks,
                      listings=1, rejected=rejected)


def test_check_catches_a_block_that_went_nowhere():
    def report(entry: FileReport) -> LoadReport:
        return LoadReport(inputs=["p.txt"], files=[entry], rejections=[], skipped_files=[], totals={},
                          conflicts=[], near_duplicates=pd.DataFrame())

    report(_file_report(5, [1, 3], 2, 1)).check()  # 2 + 2 + 1 = 5
    with pytest.raises(AssertionError, match=r"^p\.txt: 6 blocks but 2 header \+ 2 in listings \+ 1 rejected$"):
        report(_file_report(6, [1, 3], 2, 1)).check()
