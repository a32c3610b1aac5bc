"""Deduplication: grouping, merge rules, conflicts and near-duplicate candidates."""

from __future__ import annotations

import pandas as pd

from nbkit.corpus import load_corpus
from nbkit.dedupe import find_near_duplicates, paper_ids_for

ABSTRACT = "An abstract long enough to be one. " * 10


def _csv(write, rows: list[str], header: str = "title,abstract,date,authors_count,upvotes,arxiv_id,collection"):
    return write("papers.csv", "\n".join([header, *rows]) + "\n")


def test_same_title_in_other_case_punctuation_and_spacing_merges(write):
    path = _csv(write, ["Multi-task Learning,a,,,,,x", "MULTITASK learning!,a,,,,,y", "Multi Task  Learning,a,,,,,x"])
    corpus = load_corpus([path])
    assert len(corpus.papers) == 1
    paper = corpus.papers.iloc[0]
    assert (paper.title, paper.n_listings, paper.collections) == ("Multi-task Learning", 3, ["x", "y"])
    assert paper.first_seen == "papers.csv:2"
    assert corpus.listings["paper_id"].nunique() == 1


def test_arxiv_ids_chain_listings_with_different_titles(write):
    # Row 2 and 3 share an arXiv id; row 3 and 4 share a title: all three are one paper.
    path = _csv(write, ["Old Title,a,,,,2101.00001,x", "New Title,a,,,,arXiv:2101.00001v2,x", "new title,a,,,,,x",
                        "Unrelated,a,,,,,x"])
    corpus = load_corpus([path])
    assert corpus.papers["n_listings"].tolist() == [3, 1]
    assert corpus.papers["arxiv_id"].tolist()[0] == "2101.00001"
    # The id of a paper with an arXiv id hashes the id, so it survives title changes.
    assert corpus.papers["paper_id"].tolist()[0] == paper_ids_for(pd.Series(["2101.00001"]), arxiv=True)[0]


def test_paper_ids_are_pinned():
    # SipHash-2-4 with nbkit's keys. Pinned: a change here changes every paper_id users have stored.
    assert paper_ids_for(pd.Series(["attentionisallyouneed"]), arxiv=False).tolist() == ["p17d9c0d333b80504"]
    assert paper_ids_for(pd.Series(["1706.03762"]), arxiv=True).tolist() == ["p15c22d13c4700b67"]


def test_merge_rules_keep_every_value_somewhere(write):
    path = _csv(write, [
        "A Paper,,2021,5,3,,x",           # first listing: no abstract, year only
        "a paper,The abstract.,2021-05-17,5,10,,y",
        "A PAPER,The abstract.,May 2021,,7,,y",
    ])
    corpus = load_corpus([path])
    paper = corpus.papers.iloc[0]
    assert paper.abstract == "The abstract."              # first non-missing
    assert paper.authors_count == 5
    assert paper.published == pd.Timestamp("2021-05-17")   # the most precise date; the others agree with it
    assert paper.date_precision == "day"
    assert paper.upvotes == 10                             # highest
    assert paper["flags"] == []                            # missing_abstract dropped: another listing had one
    assert corpus.report.conflicts == []
    assert corpus.listings["upvotes"].tolist() == [3, 10, 7]  # every listing keeps its own values


def test_conflicting_listings_are_flagged_and_reported(write):
    path = _csv(write, ["A Paper,One abstract.,2021-01-01,5,,,x", "A Paper,Another abstract.,2022-02-02,6,,,x"])
    corpus = load_corpus([path])
    paper = corpus.papers.iloc[0]
    assert paper["flags"] == ["conflict:authors_count", "conflict:published", "conflict:abstract"]
    assert paper.published == pd.Timestamp("2021-01-01")  # equal precision: the earliest
    assert corpus.report.conflicts == [
        {"paper_id": paper.paper_id, "field": "authors_count", "values": ["5", "6"]},
        {"paper_id": paper.paper_id, "field": "published", "values": ["2021-01-01", "2022-02-02"]},
        {"paper_id": paper.paper_id, "field": "abstract", "values": ["One abstract.", "Another abstract."]},
    ]


def test_near_duplicates_are_reported_not_merged(write):
    path = _csv(write, [
        "Language Models are Few-Shot Learners,a,,,,,x",
        "Language Modles are Few-Shot Learners,b,,,,,x",             # a typo: one word differs
        "LLaMA 2: Open Foundation and Fine-Tuned Chat Models,c,,,,,x",
        "LLaMA 3: Open Foundation and Fine-Tuned Chat Models,d,,,,,x",
        "Language Models are Few-Shot Learners and More,e,,,,,x",     # two words added: not a candidate
        "Totally Different Paper About Graphs,f,,,,,x",
    ])
    corpus = load_corpus([path])
    assert len(corpus.papers) == 6
    near = corpus.report.near_duplicates
    pairs = {frozenset((a, b)) for a, b in zip(near["title_a"], near["title_b"], strict=True)}
    assert pairs == {
        frozenset({"Language Models are Few-Shot Learners", "Language Modles are Few-Shot Learners"}),
        frozenset({"LLaMA 2: Open Foundation and Fine-Tuned Chat Models",
                   "LLaMA 3: Open Foundation and Fine-Tuned Chat Models"}),
    }
    # rapidfuzz ratio of the normalized titles: 2 * matches / total length; one swapped character in 50 -> 98.0
    assert near.set_index("title_a")["similarity"].max() == 98.0


def test_generic_buckets_are_skipped_and_counted(write):
    # 60 titles that are one word apart from each other: one bucket of 60 > max_bucket 50.
    rows = [f"Deep Learning For Graph Number{i},a,,,,,x" for i in range(60)]
    corpus = load_corpus([_csv(write, rows)])
    near, skipped = find_near_duplicates(corpus.listings, max_bucket=50)
    assert skipped == 1 and near.empty
    near, skipped = find_near_duplicates(corpus.listings, max_bucket=100, threshold=0)
    assert skipped == 0 and len(near) == 60 * 59 // 2


def test_titles_without_letters_or_digits_never_merge_by_title(write):
    # `[` and `ER  -` are what broken captures leave as titles: four unrelated papers, not one. The third `[`
    # shares an arXiv id with a real title, so it joins that paper through the id.
    path = _csv(write, ["[,first,,,,,x", "[,second,,,,,x", "-,third,,,,,x", "[,fourth,,,,2101.00001,x",
                        "A Real Title,fifth,,,,2101.00001,x"])
    corpus = load_corpus([path])
    assert corpus.listings["title_key"].isna().tolist() == [True, True, True, True, False]
    assert corpus.papers["n_listings"].tolist() == [1, 1, 1, 2]
    assert corpus.papers["abstract"].tolist() == ["first", "second", "third", "fourth"]
    # The ids of keyless papers hash the listing's place, so they differ and stay stable across loads.
    assert corpus.papers["paper_id"].tolist()[:3] == paper_ids_for(
        pd.Series(["listing:papers.csv:2", "listing:papers.csv:3", "listing:papers.csv:4"]), arxiv=False).tolist()
    assert corpus.papers["title"].tolist() == ["[", "[", "-", "["]  # the first listing's, as for any paper
