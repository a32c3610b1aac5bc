"""Loading a corpus end to end: which files are read and under what names, load order, collections, the block
accounting over a whole load, and writing and reading the tables back."""

from __future__ import annotations

import gc
import re

import numpy as np
import pandas as pd
import pytest

from nbkit.corpus import _append_each, expand_inputs, load_corpus, read_corpus, write_corpus
from nbkit.errors import NbkitError
from tests.conftest import HF, accounted_lines, paragraph_starts

ABSTRACT = "An abstract long enough to be taken for one, written out in plain words. " * 5


def _page(*titles: str, date: str = "Mar 11") -> str:
    """A small HF page: a header (`Subscribe`, the page date) and one listing per title, without metadata."""
    return f"Subscribe\n\n{date}\n\n" + "".join(f"{t}\n\n{ABSTRACT.strip()}\n\n" for t in titles)


def test_directories_are_walked_in_sorted_order_with_names_relative_to_their_parent(write, tmp_path):
    write("in/sub/a.txt", _page("Paper A"))
    write("in/b.txt", _page("Paper B"))
    write("in/notes.md", "# not a corpus")
    write("in/.hidden.txt", _page("Hidden Paper"))
    write("in/.cache/c.txt", _page("Cached Paper"))
    files, skipped = expand_inputs([tmp_path / "in"])
    # Sorted paths: in/b.txt < in/sub/a.txt (b < s); hidden files and folders are passed over without a word.
    # Every other file is read, whatever its extension: its content decides, as for a file named on its own.
    assert [name for _, name in files] == ["in/b.txt", "in/notes.md", "in/sub/a.txt"]
    assert skipped == []


def test_a_file_given_twice_is_read_once(write, tmp_path):
    path = write("in/page.txt", _page("Paper A"))
    write("in/other.txt", _page("Paper B"))
    files, skipped = expand_inputs([path, tmp_path / "in"])
    assert [name for _, name in files] == ["page.txt", "in/other.txt"]
    assert skipped == [{"path": "in/page.txt", "reason": "given more than once"}]
    corpus = load_corpus([path, path], reference_year=2025)
    assert corpus.report.totals["listings"] == 1
    assert corpus.report.skipped_files == [{"path": "page.txt", "reason": "given more than once"}]


def test_a_directory_given_twice_is_read_once(write, tmp_path):
    write("in/page.txt", _page("Paper A"))
    files, skipped = expand_inputs([tmp_path / "in", tmp_path / "in"])
    assert [name for _, name in files] == ["in/page.txt"]
    assert skipped == [{"path": "in/page.txt", "reason": "given more than once"}]


def test_a_file_named_directly_is_read_whatever_its_extension(write):
    corpus = load_corpus(write("capture.md", _page("Paper A")), reference_year=2025)  # one path, not a list
    assert corpus.report.files[0].format == "hf_page"
    assert corpus.listings["title"].tolist() == ["Paper A"]


def test_no_paths_and_no_listings_are_errors(write):
    with pytest.raises(NbkitError, match=r"^no input paths given$"):
        load_corpus([])
    header_only = write("header.txt", "new\n\nSubscribe\n\nMar 11\n")
    with pytest.raises(NbkitError, match=rf"^no paper listings found in {header_only}$"):
        load_corpus([header_only])


def test_listings_are_numbered_in_load_order_across_files(write, tmp_path):
    write("in/1.txt", _page("First Paper", "Shared Paper"))
    write("in/2.txt", _page("shared paper!", "Last Paper"))
    corpus = load_corpus([tmp_path / "in"], reference_year=2025)
    listings = corpus.listings
    assert listings["listing_id"].tolist() == [0, 1, 2, 3]
    assert listings["source_file"].tolist() == ["in/1.txt", "in/1.txt", "in/2.txt", "in/2.txt"]
    # Paragraph lines: Subscribe 1, Mar 11 3, then title/abstract pairs at 5/7 and 9/11.
    assert listings["source_line"].tolist() == [5, 9, 5, 9]
    assert listings["abstract_line"].tolist() == [7, 11, 7, 11]
    papers = corpus.papers
    assert papers["title"].tolist() == ["First Paper", "Shared Paper", "Last Paper"]  # order of first listing
    assert papers["collections"].tolist() == [["1"], ["1", "2"], ["2"]]
    assert papers["first_seen"].tolist() == ["in/1.txt:5", "in/1.txt:9", "in/2.txt:9"]
    assert listings["paper_id"].tolist()[1] == listings["paper_id"].tolist()[2]


def test_collections_renamed_and_unmatched_renames_warned(write):
    a = write("a.txt", _page("Paper A"))
    b = write("b.txt", _page("Paper B"))
    corpus = load_corpus([a, b], reference_year=2025, collections={"a": "robots", "b": "robots", "zzz": "other"})
    assert corpus.listings["collection"].tolist() == ["robots", "robots"]
    assert [f.collections for f in corpus.report.files] == [["robots"], ["robots"]]
    assert corpus.report.warnings == ["collection rename 'zzz' -> 'other' matched no file or column value"]


def test_a_mistyped_rename_is_warned_even_when_its_target_exists(write):
    a = write("a.txt", _page("Paper A"))
    b = write("b.txt", _page("Paper B"))
    corpus = load_corpus([a, b], reference_year=2025, collections={"a": "robots", "bb": "robots"})
    assert corpus.listings["collection"].tolist() == ["robots", "b"]
    assert corpus.report.warnings == ["collection rename 'bb' -> 'robots' matched no file or column value"]


def test_the_whole_fixture_folder_is_accounted_for():
    """Hand count over tests/fixtures/hf (see each file): listings 2, 2, 2, 4, 1, 1 = 12; in mixed_metadata.txt
    `Tool Learning with Small Models` and `TOOL LEARNING with small models!` share a title key, so 11 papers; one
    rejection (the orphan metadata block on line 7 of orphan_metadata.txt); flagged: `Lost Blank Lines` and both
    Tool Learning listings (year_inferred), the cut-off title (missing_abstract), the headerless page's one listing
    (no_page_header) = 5."""
    corpus = load_corpus([HF], reference_year=2025)
    totals = corpus.report.totals
    assert [f.listings for f in corpus.report.files] == [2, 2, 2, 4, 1, 1]
    assert (totals["listings"], totals["papers"], totals["merged_duplicates"]) == (12, 11, 1)
    assert (totals["rejected"], totals["flagged_listings"], totals["files"]) == (1, 5, 6)
    assert totals["listings"] - totals["papers"] == totals["merged_duplicates"]
    assert totals["blocks"] == totals["header_lines"] + sum(f.listing_blocks for f in corpus.report.files) + \
        totals["rejected"]
    assert corpus.papers["n_listings"].sum() == totals["listings"]
    for entry in corpus.report.files:
        if entry.name != "hf/blank_lines_lost.txt":  # its single paragraph holds all its blocks
            text = (HF.parent / entry.name).read_text(encoding="utf-8")
            assert accounted_lines(corpus, entry.name) == paragraph_starts(text), entry.name
    # The two Tool Learning dates (Feb 4 and Oct 1, both 2025 here) disagree: kept as a conflict, not merged away.
    tool = corpus.papers.set_index("title").loc["Tool Learning with Small Models"]
    assert tool["flags"] == ["year_inferred", "conflict:published"]
    assert tool.published == pd.Timestamp("2025-02-04")


def test_text_columns_keep_python_string_storage():
    """Every text column of both tables holds Python str objects (StringDtype("python")): a column left to
    pandas' inference, or wrapped with the default dtype, is pyarrow-backed, copying every string (its repr and the
    output digests would not show it). Checked on a load with both storage-prone paths: all-missing id columns
    and paper_id."""
    from nbkit.schema import LISTING_COLUMNS, PAPER_COLUMNS, STRING

    corpus = load_corpus([HF], reference_year=2025)
    for frame, columns in ((corpus.listings, LISTING_COLUMNS), (corpus.papers, PAPER_COLUMNS)):
        text = [c.name for c in columns if c.dtype == "string"]
        assert len(text) >= 10
        for name in text:
            assert frame[name].dtype == STRING and frame[name].dtype.storage == "python", name
    assert corpus.listings["doi"].isna().all() and corpus.listings["paper_id"].notna().all()


def test_string_columns_are_wrapped_with_python_storage_and_missing_as_na():
    """_strings wraps the reader's object array (None -> NA) with Python storage; the default StringDtype would be
    pyarrow's, and the tables' final cast would then copy every string back. Values that are not text take
    pd.array's converting path (the int becomes "7")."""
    import numpy as np

    from nbkit.corpus import _strings
    from nbkit.schema import STRING

    for values, expected in (([None, None], [None, None]), (["a", None], ["a", None]), ([7, None], ["7", None])):
        out = _strings(np.array(values, dtype=object))
        assert out.dtype == STRING and out.dtype.storage == "python"
        assert [None if v is pd.NA else v for v in out] == expected


def test_a_text_field_no_listing_has_is_an_all_missing_column_of_the_same_type():
    """_text builds an unused field's column without validation (pandas' _from_backing_data): same dtype, same
    missing values as the validated path, and its own array per call (columns must not share storage)."""
    from nbkit.corpus import _text
    from nbkit.schema import STRING
    from nbkit.sources.base import ListingBuffer

    buffer = ListingBuffer()
    for line in (1, 5, 9):
        buffer.add(line, f"Title {line}", "An abstract.", line + 2, doi="10.1/x" if line == 5 else None)
    empty, other, used = _text(buffer, "pmid"), _text(buffer, "s2_id"), _text(buffer, "doi")
    assert empty.dtype == STRING and empty.dtype.storage == "python" and len(empty) == 3
    assert empty.isna().tolist() == [True, True, True] and empty._ndarray is not other._ndarray
    assert used.dtype == STRING and [None if v is pd.NA else v for v in used] == [None, "10.1/x", None]


def test_loading_restores_the_garbage_collector_even_on_error(write):
    assert gc.isenabled()
    with pytest.raises(NbkitError):
        load_corpus([write("empty.txt", b"")])
    assert gc.isenabled()


def test_written_tables_read_back_equal(tmp_path):
    corpus = load_corpus([HF / "mixed_metadata.txt"], reference_year=2025)
    written = write_corpus(corpus, tmp_path / "out" / "c.parquet", report_out=tmp_path / "out" / "r.json")
    assert [p.name for p in written] == ["c.parquet", "c.listings.parquet", "r.json"]
    papers, listings = read_corpus(tmp_path / "out" / "c.parquet")
    pd.testing.assert_frame_equal(papers, corpus.papers)
    pd.testing.assert_frame_equal(listings, corpus.listings)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c.listings.parquet", "c.parquet", "r.json"]


def test_reading_without_the_listings_table_names_it(tmp_path):
    corpus = load_corpus([HF / "no_header.txt"])
    write_corpus(corpus, tmp_path / "c.parquet", listings_out=tmp_path / "elsewhere.parquet")
    with pytest.raises(NbkitError, match=r"c\.listings\.parquet: no such file$"):
        read_corpus(tmp_path / "c.parquet")
    papers, listings = read_corpus(tmp_path / "c.parquet", listings_path=tmp_path / "elsewhere.parquet")
    assert (len(papers), len(listings)) == (1, 1)


def test_a_failed_write_leaves_no_outputs(tmp_path):
    corpus = load_corpus([HF / "no_header.txt"])
    (tmp_path / "r.json").mkdir()  # the report cannot replace a directory
    with pytest.raises(NbkitError) as error:
        write_corpus(corpus, tmp_path / "c.parquet", report_out=tmp_path / "r.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # neither table appeared
    assert str(error.value).startswith(f"{tmp_path / 'r.json'}: cannot write output")


def test_a_failed_write_puts_the_previous_outputs_back(tmp_path):
    corpus = load_corpus([HF / "no_header.txt"])
    for name in ("c.parquet", "c.listings.parquet"):
        (tmp_path / name).write_text(f"previous {name}", encoding="utf-8")
    (tmp_path / "r.json").mkdir()
    with pytest.raises(NbkitError, match=r"r\.json: cannot write output"):
        write_corpus(corpus, tmp_path / "c.parquet", report_out=tmp_path / "r.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.listings.parquet", "c.parquet", "r.json"]
    for name in ("c.parquet", "c.listings.parquet"):  # the old files, not the new tables
        assert (tmp_path / name).read_text(encoding="utf-8") == f"previous {name}"


def test_a_directory_given_twice_reads_its_files_once(write, tmp_path):
    write("in/page.txt", _page("Paper A"))
    write("in/notes.md", "# not a corpus")
    files, skipped = expand_inputs([tmp_path / "in", tmp_path / "in"])
    assert [name for _, name in files] == ["in/notes.md", "in/page.txt"]
    assert skipped == [{"path": "in/notes.md", "reason": "given more than once"},
                       {"path": "in/page.txt", "reason": "given more than once"}]


@pytest.mark.parametrize("name", ["papers.dat", "papers.csv"])
def test_a_file_in_a_folder_is_read_like_the_same_file_named(write, tmp_path, name):
    # Content decides in both cases: a CSV saved as .dat is read, in a folder and named alike.
    path = write(f"in/{name}", "title,abstract\nA Paper,An abstract.\n")
    named, walked = load_corpus([path]), load_corpus([tmp_path / "in"])
    assert named.report.files[0].format == walked.report.files[0].format == "csv"
    assert named.listings["title"].tolist() == walked.listings["title"].tolist() == ["A Paper"]


def test_unknown_content_is_the_same_error_in_a_folder_and_named(write, tmp_path):
    write("in/page.txt", _page("Paper A"))
    notes = write("in/notes.md", "# Notes\n\n- not a corpus\n")
    reason = rf"{re.escape(str(notes))}: unrecognised format \(tried hf_page, "
    for paths in ([notes], [tmp_path / "in"]):
        with pytest.raises(NbkitError, match=reason):
            load_corpus(paths)
    for paths in ([notes, tmp_path / "in" / "page.txt"], [tmp_path / "in"]):  # or skipped, with the same reason
        corpus = load_corpus(paths, skip_bad_files=True)
        assert corpus.listings["title"].tolist() == ["Paper A"]
        [skip] = corpus.report.skipped_files
        assert skip["path"] == ("in/notes.md" if len(paths) == 1 else "notes.md")
        assert re.match(reason, skip["reason"])


def test_code_urls_of_a_repeated_abstract_are_found_once_and_kept_per_row(write):
    # Three listings, two sharing an abstract with a link: each row has the link, in a list of its own.
    url_abstract = ABSTRACT.strip() + " Code: https://github.com/a/b."
    page = (f"Subscribe\n\nMar 11\n\nPaper A\n\n{url_abstract}\n\nPaper B\n\n{ABSTRACT.strip()}\n\n"
            f"Paper C\n\n{url_abstract}\n\n")
    urls = load_corpus([write("p.txt", page)], reference_year=2025).listings["code_urls"].tolist()
    assert urls == [["https://github.com/a/b"], [], ["https://github.com/a/b"]]
    assert urls[0] is not urls[2]


def test_append_each_appends_to_every_list_given():
    rows = [[], ["missing_abstract"], []]
    chosen = np.empty(2, dtype=object)
    chosen[:] = rows[:2]
    _append_each(chosen, "year_inferred")
    assert rows == [["year_inferred"], ["missing_abstract", "year_inferred"], []]
