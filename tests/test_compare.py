"""Comparison tables, on toy inputs whose answers are worked out by hand below."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from nbkit.compare import (
    compute_association,
    compute_collection_jaccard,
    compute_collection_topic_counts,
    compute_collection_topic_shares,
    compute_distinctive_terms,
    compute_standardized_residuals,
)
from nbkit.errors import NbkitError
from nbkit.stats import share_matrix

# Five papers: a lists P1, P2, P5; b lists P2, P3, P4; P6 is in no collection.
PAPERS = pd.DataFrame({
    "paper_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    "collections": [["a"], ["a", "b"], ["b"], ["b"], ["a"], []],
})
# Topic ids 2 and 10 check numeric (not string) order; -1 are the outliers and go last.
ASSIGNMENTS = pd.DataFrame({
    "paper_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    "topic": [2, 10, -1, 10, 2, 2],
    "label": ["cats", "rockets", "outliers", "rockets", "cats", "cats"],
})


# --- collections x topics ------------------------------------------------------------------------------------------

def test_collection_topic_counts():
    table = compute_collection_topic_counts(ASSIGNMENTS, PAPERS)
    assert table.columns.tolist() == ["2: cats", "10: rockets", "-1: outliers"]
    assert table.index.tolist() == ["a", "b"]
    # a: P1 (2), P2 (10), P5 (2); b: P2 (10, counted again), P3 (-1), P4 (10); P6 is in no collection
    assert table.to_numpy().tolist() == [[2, 1, 0], [0, 2, 1]]


def test_collection_topic_shares():
    shares = compute_collection_topic_shares(compute_collection_topic_counts(ASSIGNMENTS, PAPERS))
    assert share_matrix(shares, "collection", "topic").to_numpy().tolist() == [
        [0.667, 0.333, 0.0], [0.0, 0.667, 0.333]]  # 2/3, 1/3 per row
    assert shares["topic"].tolist()[:3] == ["2: cats", "10: rockets", "-1: outliers"]
    assert shares["collection_papers"].tolist() == [3] * 6 and shares["thin"].all()
    # exact intervals: 0 of 3 [0, 1 - 0.025^(1/3)] = [0, 0.708]; 1 of 3 [0.0084, 0.9057]; 2 of 3 [0.0943, 0.9916]
    assert shares["share_low"].tolist() == [0.094, 0.008, 0.0, 0.0, 0.094, 0.008]
    assert shares["share_high"].tolist() == [0.992, 0.906, 0.708, 0.708, 0.992, 0.906]
    empty = compute_collection_topic_shares(pd.DataFrame({"2: cats": [0]}, index=["c"]))
    assert math.isnan(empty["share"].iloc[0]) and empty[["share_low", "share_high"]].iloc[0].tolist() == [0, 1]


def test_collection_topic_counts_refuses_papers_it_cannot_place():
    stray = pd.concat([ASSIGNMENTS, pd.DataFrame({"paper_id": ["P9"], "topic": [2], "label": ["cats"]})])
    with pytest.raises(NbkitError, match="not in papers"):
        compute_collection_topic_counts(stray, PAPERS)
    relabelled = ASSIGNMENTS.assign(label=["cats", "rockets", "outliers", "rockets", "cats", "kittens"])
    with pytest.raises(NbkitError, match="topic 2 has more than one label"):
        compute_collection_topic_counts(relabelled, PAPERS)


# 2 x 2 table [[10, 20], [30, 40]]: n = 100, row totals 30, 70, column totals 40, 60.
# Expected E = row * col / n = [[12, 18], [28, 42]]; every |O - E| = 2.
# chi2 = 4/12 + 4/18 + 4/28 + 4/42 = 4 * (21 + 14 + 9 + 6) / 252 = 200/252 = 0.793651 (no Yates correction)
# Cramér's V = sqrt(chi2 / (n * (min(2, 2) - 1))) = sqrt(0.00793651) = 0.089087
# p for chi2 with 1 dof = P(|Z| > sqrt(chi2)) = erfc(sqrt(chi2 / 2)) = erfc(0.629941) = 0.3730
# Adjusted residual of cell (0, 0): (10 - 12) / sqrt(12 * (1 - 30/100) * (1 - 40/100)) = -2 / sqrt(5.04)
# = -2 / 2.244994 = -0.8909; in a 2 x 2 table every cell has the same size, sign by O - E, and its square is chi2.
TWO_BY_TWO = pd.DataFrame([[10, 20], [30, 40]], index=["a", "b"], columns=["0: x", "1: y"])


def test_association_two_by_two():
    row = compute_association(TWO_BY_TWO).iloc[0]
    assert row["chi2"] == 0.794
    assert row["dof"] == 1
    assert row["p_value"] == pytest.approx(math.erfc(math.sqrt(200 / 252 / 2)), abs=1e-4)
    assert round(row["p_value"], 3) == 0.373
    assert row["cramers_v"] == 0.089
    assert row["n"] == 100
    assert row["min_expected"] == 12.0
    assert row["warning"] == ""


def test_association_leaves_out_empty_columns():
    # a topic no paper of these collections has changes nothing (and would make scipy fail on E = 0)
    padded = TWO_BY_TWO.assign(**{"2: z": 0})
    assert compute_association(padded).iloc[0].to_dict() == compute_association(TWO_BY_TWO).iloc[0].to_dict()


def test_association_warns_on_small_expected_counts():
    # [[1, 2], [3, 4]]: n = 10, rows 3, 7, columns 4, 6 -> E = [[1.2, 1.8], [2.8, 4.2]], all four below 5
    row = compute_association(pd.DataFrame([[1, 2], [3, 4]])).iloc[0]
    assert row["min_expected"] == 1.2
    assert row["warning"].startswith("4 of 4 expected counts (100%) are below 5")
    assert "unreliable" in row["warning"]


def test_association_of_a_single_column_is_no_test_and_says_why():
    # the empty second column is dropped: 2 x 1 left, nothing to test (one collection or one topic)
    row = compute_association(pd.DataFrame([[3, 0], [4, 0]])).iloc[0]
    assert row["n"] == 7 and row["dof"] == 0 and np.isnan(row["chi2"]) and np.isnan(row["p_value"])
    assert row["warning"] == ("no test: a chi-square test needs two non-empty rows and columns; the table has "
                              "2 x 1")


def test_a_group_that_is_the_whole_corpus_has_no_distinctive_terms():
    assert compute_distinctive_terms(["cats purr", "dogs bark"], ["all", "all"]).empty


def test_standardized_residuals_two_by_two():
    residuals = compute_standardized_residuals(TWO_BY_TWO)
    assert residuals.index.tolist() == ["a", "b"] and residuals.columns.tolist() == ["0: x", "1: y"]
    assert residuals.to_numpy().tolist() == [[-0.89, 0.89], [0.89, -0.89]]


def test_standardized_residuals_of_an_empty_column_are_nan():
    residuals = compute_standardized_residuals(TWO_BY_TWO.assign(**{"2: z": 0}))
    assert residuals["2: z"].isna().all()
    assert residuals["0: x"].tolist() == [-0.89, 0.89]  # E and the margins do not change


def test_collection_jaccard():
    papers = pd.DataFrame({"paper_id": ["P1", "P2", "P3", "P4"],
                           "collections": [["a"], ["a", "b"], ["b", "c"], ["c"]]})
    table = compute_collection_jaccard(papers)
    # a = {P1, P2}, b = {P2, P3}, c = {P3, P4}
    assert table.to_dict("records") == [
        {"collection_a": "a", "collection_b": "b", "papers_a": 2, "papers_b": 2, "shared": 1, "union": 3,
         "jaccard": 0.333},
        {"collection_a": "a", "collection_b": "c", "papers_a": 2, "papers_b": 2, "shared": 0, "union": 4,
         "jaccard": 0.0},
        {"collection_a": "b", "collection_b": "c", "papers_a": 2, "papers_b": 2, "shared": 1, "union": 3,
         "jaccard": 0.333},
    ]


# --- distinctive terms ---------------------------------------------------------------------------------------------

# Corpus counts: cat 3, dog 3, fish 1, bird 1; n = 8. Default prior: alpha0 = 8, a_w = corpus count of w.
# Group x (texts 1, 2): cat 3, dog 1, fish 1, bird 0, n_i = 5. Rest (text 3): cat 0, dog 2, fish 0, bird 1, n_j = 3.
# cat:  delta = log((3+3) / (5+8-3-3)) - log((0+3) / (3+8-0-3)) = log(6/7) - log(3/8) = log(16/7) = 0.826679
#       var = 1/(3+3) + 1/(0+3) = 0.5 -> z = 0.826679 / 0.707107 = 1.169102
# fish: delta = log(2/11) - log(1/10) = log(20/11) = 0.597837; var = 1/2 + 1/1 = 1.5 -> z = 0.488135
# dog:  delta = log(4/9) - log(5/6) = log(24/45) = -0.628609; var = 1/4 + 1/5 = 0.45 -> z = -0.937067
# bird: never in group x, so not listed for it.
# Group y: dog delta = +0.628609 (the mirror of x's), z = 0.937067;
#          bird delta = log(2/9) - log(1/12) = log(8/3) = 0.980829, var = 1.5 -> z = 0.800853
TOY_TEXTS = ["cat cat dog", "cat fish", "dog dog bird"]


def test_distinctive_terms_by_hand():
    table = compute_distinctive_terms(TOY_TEXTS, ["x", ["x"], "y"])
    x = table[table["group"] == "x"]
    assert x["term"].tolist() == ["cat", "fish", "dog"]
    assert x["rank"].tolist() == [1, 2, 3]
    assert x["count_in_group"].tolist() == [3, 1, 1]
    assert x["count_in_rest"].tolist() == [0, 0, 2]
    assert x["z"].tolist() == [1.169, 0.488, -0.937]
    assert x["log_odds"].tolist() == [0.827, 0.598, -0.629]
    assert x["z"].iloc[0] == round(math.log(16 / 7) / math.sqrt(0.5), 3)
    y = table[table["group"] == "y"]
    assert y["term"].tolist() == ["dog", "bird"]
    assert y["z"].tolist() == [0.937, 0.801]


def test_distinctive_terms_with_a_weaker_prior():
    # alpha0 = 4: a_cat = 4 * 3/8 = 1.5, a0 = 4.
    # cat in x: delta = log(4.5 / (5+4-3-1.5)) - log(1.5 / (3+4-0-1.5)) = log(1) - log(1.5/5.5) = 1.299283
    #           var = 1/4.5 + 1/1.5 = 0.888889 -> z = 1.299283 / 0.942809 = 1.378096
    table = compute_distinctive_terms(TOY_TEXTS, ["x", "x", "y"], alpha0=4)
    cat = table[(table["group"] == "x") & (table["term"] == "cat")].iloc[0]
    assert cat["log_odds"] == 1.299
    assert cat["z"] == 1.378


def test_distinctive_terms_texts_in_several_groups():
    table = compute_distinctive_terms(["cat dog", "cat", "dog"], [["x", "y"], "x", "y"])
    counts = {(r.group, r.term): (r.count_in_group, r.count_in_rest) for r in table.itertuples()}
    # x = texts 1, 2 (cat 2, dog 1), its rest text 3 (dog 1); y = texts 1, 3 (cat 1, dog 2), its rest text 2
    assert counts == {("x", "cat"): (2, 0), ("x", "dog"): (1, 1), ("y", "dog"): (2, 0), ("y", "cat"): (1, 1)}


def test_distinctive_terms_ties_by_term_and_top_n():
    # apple and banana have the same counts everywhere, so the same z: alphabetical
    table = compute_distinctive_terms(["banana apple", "cherry"], ["g", "h"], top_n=1)
    assert table[["group", "rank", "term"]].to_dict("records") == [
        {"group": "g", "rank": 1, "term": "apple"}, {"group": "h", "rank": 1, "term": "cherry"}]


def test_distinctive_terms_uses_a_copy_of_the_vectorizer():
    vectorizer = CountVectorizer(ngram_range=(1, 2))
    table = compute_distinctive_terms(TOY_TEXTS, ["x", "x", "y"], vectorizer=vectorizer)
    assert "cat dog" in set(table["term"])
    assert not hasattr(vectorizer, "vocabulary_")  # the caller's object is left unfitted


def test_distinctive_terms_needs_one_group_entry_per_text():
    with pytest.raises(NbkitError, match="3 texts but 2 group entries"):
        compute_distinctive_terms(TOY_TEXTS, ["x", "y"])
