"""The corpus notebook's tables, on a toy corpus whose answers are counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit import describe
from nbkit.corpus import load_corpus

# Three collections and four papers: a lists P1, P2; b lists P1, P3; c lists P3 and P4 twice (`paper four` is the
# same title in lower case).
ROWS = [
    ("a", "Paper One", "2021-05-01", 3, "", "see https://github.com/x/one"),
    ("a", "Paper Two", "", "", 5, "no link"),
    ("b", "Paper One", "2021-05-01", 3, "", "see https://github.com/x/one"),
    ("b", "Paper Three", "2022", "", "", "https://x.github.io/three/ and https://github.com/x/three"),
    ("c", "Paper Three", "2022", "", "", "https://x.github.io/three/ and https://github.com/x/three"),
    ("c", "Paper Four", "2023-01-02", 2, "", "nothing"),
    ("c", "paper four", "2023-01-02", 2, "", "nothing"),
]


@pytest.fixture
def corpus(write):
    lines = ["collection,title,date,authors_count,upvotes,abstract"]
    lines += [",".join(str(v) for v in row) for row in ROWS]
    return load_corpus([write("toy.csv", "\n".join(lines) + "\n")])


def test_listings_per_collection(corpus):
    table = describe.compute_listings_per_collection(corpus.listings, corpus.papers)
    assert table.to_dict("index") == {
        # a: P1 (also in b), P2 (only here); b: P1, P3 (also in c); c: P3, P4 twice (P4 only here).
        "a": {"listings": 2, "papers": 2, "papers_only_here": 1, "dated_listings": 1},
        "b": {"listings": 2, "papers": 2, "papers_only_here": 0, "dated_listings": 2},
        "c": {"listings": 3, "papers": 2, "papers_only_here": 1, "dated_listings": 3},
    }


def test_field_coverage(corpus):
    table = describe.compute_field_coverage(corpus.papers)
    # 4 papers: dates on P1, P3, P4 (3/4 = 0.75); authors on P1, P4 (0.5); upvotes on P2 (0.25);
    # abstracts on all; URLs on P1 and P3 (0.5); no arXiv ids. Every year here is written: exact = 0.75.
    assert table["papers_with"].tolist() == [3, 3, 2, 1, 4, 2, 0]
    assert table["share"].tolist() == [0.75, 0.75, 0.5, 0.25, 1.0, 0.5, 0.0]


def test_collection_overlap(corpus):
    table = describe.compute_collection_overlap(corpus.papers)
    assert table.loc[["a", "b", "c"], ["a", "b", "c"]].to_numpy().tolist() == [
        [2, 1, 0],   # a holds P1, P2; shares P1 with b
        [1, 2, 1],   # b holds P1, P3; shares P3 with c
        [0, 1, 2],   # c holds P3, P4
    ]


def test_year_counts(corpus):
    table = describe.compute_year_counts(corpus.papers)
    assert table.to_dict("index") == {2021: {"papers": 1, "exact": 1, "inferred": 0},
                                      2022: {"papers": 1, "exact": 1, "inferred": 0},
                                      2023: {"papers": 1, "exact": 1, "inferred": 0}}


def test_year_counts_without_dates(corpus):
    undated = corpus.papers.assign(published=pd.NaT)
    table = describe.compute_year_counts(undated)
    assert table.empty and list(table.columns) == ["papers", "exact", "inferred"]


def test_code_hosts(corpus):
    table = describe.compute_code_hosts(corpus.papers)
    # github.com: P1 and P3 (one URL each); github.io: P3.
    assert table.to_dict("records") == [{"host": "github.com", "papers": 2, "urls": 2},
                                        {"host": "github.io", "papers": 1, "urls": 1}]


def test_write_tables(corpus, tmp_path):
    written = describe.write_tables({"coverage": describe.compute_field_coverage(corpus.papers),
                                     "hosts": describe.compute_code_hosts(corpus.papers)}, tmp_path / "t")
    assert [p.name for p in written] == ["coverage.csv", "hosts.csv"]
    assert pd.read_csv(written[0])["papers_with"].tolist() == [3, 3, 2, 1, 4, 2, 0]
    # A named index (field) is a column of the file; a plain row number is not.
    assert written[0].read_text().splitlines()[0] == "field,papers_with,share"
    assert written[1].read_text().splitlines()[0] == "host,papers,urls"
