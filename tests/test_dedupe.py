"""Deduplication: grouping, merge rules, conflicts and near-duplicate candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nbkit.clean import title_keys
from nbkit.corpus import load_corpus
from nbkit.dedupe import (
    SAME_TITLE_DOIS_DIFFER,
    _group_min,
    _id_texts,
    _repeated,
    find_near_duplicates,
    group_listings,
    paper_ids_for,
)
from tests.conftest import FIXTURES

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
        pd.Series(["papers.csv:2", "papers.csv:3", "papers.csv:4"]), arxiv="place").tolist()
    assert corpus.papers["title"].tolist() == ["[", "[", "-", "["]  # the first listing's, as for any paper


# --- identity across sources: DOI, arXiv id, title key -----------------------------------------------------------

def _values(column: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in column]


def _ids(write, rows: list[str]):
    return load_corpus([_csv(write, rows, header="title,abstract,doi,arxiv_id,pmid")])


def test_doi_case_and_prefix_variants_merge(write):
    corpus = _ids(write, ["A First Title,a,10.1000/ABC,,", "Another Title,a,https://doi.org/10.1000/abc,,",
                          "Third Title,a,doi:10.1000/Abc,,", "Unrelated,a,,,"])
    assert corpus.papers["n_listings"].tolist() == [3, 1]
    paper = corpus.papers.iloc[0]
    assert (paper.title, paper.doi) == ("A First Title", "10.1000/abc")
    # no arXiv id: the id hashes the DOI, so it survives title changes too
    assert paper.paper_id == paper_ids_for(pd.Series(["10.1000/abc"]), arxiv="doi")[0]
    assert _values(corpus.listings["doi"]) == ["10.1000/abc"] * 3 + [None]  # stored normalized
    assert corpus.report.conflicts == []


def test_same_title_with_different_dois_is_reported_not_merged(write):
    corpus = _ids(write, ["Deep Learning for Graphs,a,10.1000/one,,", "Deep learning for graphs.,b,10.1000/two,,"])
    assert len(corpus.papers) == 2
    near = corpus.report.near_duplicates
    assert len(near) == 1
    assert {near.title_a[0], near.title_b[0]} == {"Deep Learning for Graphs", "Deep learning for graphs."}
    assert (near.similarity[0], near.reason[0]) == (100.0, SAME_TITLE_DOIS_DIFFER)


def test_a_title_without_doi_joins_one_doi_group_but_not_two(write):
    # A (DOI x) and B (no DOI) share a title: one paper.
    corpus = _ids(write, ["Graph Learning,a,10.1000/x,,", "Graph Learning,b,,,"])
    assert corpus.papers["n_listings"].tolist() == [2]
    assert corpus.papers.iloc[0].doi == "10.1000/x"
    # With C (DOI y, same title) too, B could belong to either: three papers, every pair reported.
    corpus = _ids(write, ["Graph Learning,a,10.1000/x,,", "Graph Learning,b,,,", "graph learning,c,10.1000/y,,",
                          "GRAPH LEARNING,d,,,"])
    assert corpus.papers["n_listings"].tolist() == [1, 2, 1]  # B and D (no DOI, same title) are one paper
    assert _values(corpus.papers["doi"]) == ["10.1000/x", None, "10.1000/y"]
    near = corpus.report.near_duplicates
    assert len(near) == 3 and set(near["similarity"]) == {100.0} and set(near["reason"]) == {SAME_TITLE_DOIS_DIFFER}
    assert corpus.report.totals["papers"] == 3
    # A title shared by more papers than max_bucket (an "Editorial" in every journal) is counted, not paired:
    # its same-title bucket and its word-bag bucket, 2.
    near, skipped = find_near_duplicates(corpus.listings, max_bucket=2)
    assert near.empty and skipped == 2


def test_old_style_arxiv_versions_merge(write):
    corpus = _ids(write, ["Quantum Title One,a,,quant-ph/0210005v1,", "Quantum Title Two,a,,arXiv:quant-ph/0210005v2,",
                          "Quantum Title Three,a,,quant-ph/0210005,", "New Style,a,,arXiv:2401.00001v2,",
                          "New Style Renamed,a,,2401.00001,"])
    assert corpus.papers["n_listings"].tolist() == [3, 2]
    assert corpus.papers["arxiv_id"].tolist() == ["quant-ph/0210005", "2401.00001"]
    assert corpus.papers["paper_id"].tolist() == paper_ids_for(pd.Series(["quant-ph/0210005", "2401.00001"]),
                                                               arxiv=True).tolist()


def test_an_arxiv_id_joins_different_dois_and_flags_them(write):
    # A preprint (arXiv DOI) and its journal version share the arXiv id: one paper, the DOI conflict reported.
    corpus = _ids(write, ["Preprint Title,a,10.48550/arxiv.2401.00001,2401.00001,111",
                          "Journal Title,a,10.1000/journal.5,2401.00001,222"])
    paper = corpus.papers.iloc[0]
    assert (len(corpus.papers), paper.doi, paper.pmid) == (1, "10.48550/arxiv.2401.00001", "111")
    assert paper["flags"] == ["conflict:doi", "conflict:pmid"]
    assert corpus.report.conflicts == [
        {"paper_id": paper.paper_id, "field": "doi", "values": ["10.48550/arxiv.2401.00001", "10.1000/journal.5"]},
        {"paper_id": paper.paper_id, "field": "pmid", "values": ["111", "222"]},
    ]


def test_a_doi_field_without_a_doi_is_flagged_and_never_joins(write):
    corpus = _ids(write, ["One Paper,a,N/A,,", "Another Paper,a,N/A,,"])
    assert len(corpus.papers) == 2
    assert corpus.listings["doi"].isna().all()
    assert corpus.listings["flags"].tolist() == [["invalid_doi"], ["invalid_doi"]]


def test_listings_without_a_title_key_are_papers_of_their_own():
    # A title with no letters or digits has no title key: each such listing is its own paper, its id from its
    # place (file:line), so they never share one.
    listings = pd.DataFrame({"title_key": [None, None, "graphs", "graphs"], "arxiv_id": [None] * 4,
                             "doi": [None] * 4, "source_file": ["a.csv"] * 4, "source_line": [2, 3, 4, 5]})
    grouping = group_listings(listings)
    assert grouping.codes.tolist() == [0, 1, 2, 2]
    assert grouping.paper_ids.tolist() == [
        *paper_ids_for(pd.Series(["a.csv:2", "a.csv:3"]), arxiv="place"),
        paper_ids_for(pd.Series(["graphs"]), arxiv=False)[0]]


def test_two_exports_of_the_same_papers_dedup_by_doi():
    # scopus_style.csv and openalex_style.csv hold the same four papers (see their PROVENANCE.md): BERT and ResNet
    # join by DOI (the ResNet titles differ), Adam by title (no DOI), Attention carries two DOIs and stays two
    # papers, reported. 8 listings -> 5 papers.
    folder = FIXTURES / "identity"
    corpus = load_corpus([folder / "scopus_style.csv", folder / "openalex_style.csv"])
    assert (corpus.report.totals["listings"], corpus.report.totals["papers"]) == (8, 5)
    papers = corpus.papers
    assert papers["title"].tolist() == [
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Deep Residual Learning for Image Recognition", "Attention Is All You Need",
        "Adam: A Method for Stochastic Optimization", "Attention is All you Need"]
    assert papers["n_listings"].tolist() == [2, 2, 1, 2, 1]
    assert _values(papers["doi"]) == ["10.18653/v1/n19-1423", "10.1109/cvpr.2016.90", "10.5555/3295222.3295349",
                                      None, "10.48550/arxiv.1706.03762"]
    assert papers["published"].tolist()[:2] == [pd.Timestamp("2019-06-02"), pd.Timestamp("2016-06-27")]
    assert corpus.report.conflicts == [{"paper_id": papers.paper_id[3], "field": "published",
                                        "values": ["2015-01-01", "2014-12-22"]}]
    near = corpus.report.near_duplicates
    assert len(near) == 1 and set(near[["title_a", "title_b"]].iloc[0]) == {"Attention Is All You Need",
                                                                            "Attention is All you Need"}
    assert near.iloc[0][["similarity", "reason"]].tolist() == [100.0, SAME_TITLE_DOIS_DIFFER]


def test_a_ris_and_an_openalex_export_of_the_same_papers_dedup_by_doi():
    corpus = load_corpus([FIXTURES / "identity" / "same_papers.ris",
                          FIXTURES / "identity" / "same_papers_openalex.json"])
    assert corpus.listings["source_format"].tolist() == ["ris", "ris", "openalex", "openalex"]
    assert corpus.listings["title_key"].nunique() == 3  # BERT's titles differ: only the DOI joins them
    papers = corpus.papers.set_index("doi")
    assert len(corpus.papers) == 2
    bert = papers.loc["10.18653/v1/n19-1423"]
    assert (bert.n_listings, bert.openalex_id, bert.authors_count) == (2, "W2963341956", 4)
    attention = papers.loc["10.5555/3295222.3295349"]  # the OpenAlex listing has no DOI: joined by its title
    assert (attention.n_listings, attention.openalex_id) == (2, "W2626778328")
    assert attention.abstract.startswith("The dominant sequence transduction models")


def test_near_duplicate_keys_of_titles_of_every_length_find_their_titles():
    # Titles of two or three words give only their word bag, longer ones also each bag less one word: "deep" left
    # out of title 1 gives title 0's bag, "epsilon" left out of title 3 gives title 4's. The pairs' titles must be
    # found from the keys' positions whatever the lengths of the titles before them.
    titles = ["Graph neural nets", "Deep graph neural nets", "X y", "Alpha beta gamma delta epsilon",
              "Alpha beta gamma delta", "Solo"]
    listings = pd.DataFrame({"paper_id": list("abcdef"), "title": titles, "title_key": title_keys(titles)})
    near, skipped = find_near_duplicates(listings, threshold=0)
    assert skipped == 0
    # ratio: 1 - (characters inserted) / (both lengths): 1 - 5/39 and 1 - 8/52
    assert near[["paper_id_a", "paper_id_b", "similarity"]].values.tolist() == [["a", "b", 87.2],
                                                                                 ["d", "e", 84.6]]


def test_repeated_keys_get_codes_by_value_and_a_mask():
    keys = np.array([5, 7, 5, 9, 7, 7, 11], dtype=np.uint64)
    codes, shared = _repeated(keys)
    assert codes.tolist() == [0, 1, 0, 1, 1] and shared.tolist() == [True, True, True, False, True, True, False]
    # the same low bits, a different key: only the real repeats count
    codes, shared = _repeated(np.array([5, 5 + 2**40, 5], dtype=np.uint64))
    assert codes.tolist() == [0, 0] and shared.tolist() == [True, False, True]
    codes, shared = _repeated(np.array([1, 2, 3], dtype=np.uint64))
    assert codes.tolist() == [] and shared.tolist() == [False, False, False]


def test_paper_id_texts_are_p_and_sixteen_hex_digits():
    hashes = np.array([0, 1, 0xFEDCBA9876543210], dtype=np.uint64)
    assert _id_texts(hashes).tolist() == ["p0000000000000000", "p0000000000000001", "pfedcba9876543210"]
    assert _id_texts(np.zeros(0, dtype=np.uint64)).tolist() == []


def test_group_min_takes_the_smallest_value_of_each_group():
    uniques = np.array(["b", "a", "c"], dtype=object)
    # group 0: "c" then "b"; group 1: none, then "b"; group 2: "c", none; group 3: none at all
    value_codes = np.array([2, -1, 0, 2, -1, 0, -1])
    groups = np.array([0, 1, 1, 2, 2, 0, 3])
    assert _group_min(value_codes, uniques, groups, 4).tolist() == ["b", "b", "c", None]


def test_groups_are_numbered_in_order_of_first_listing():
    # title keys alone come numbered already; a listing without a key (a group of its own) is renumbered into place
    for keys, codes in ((["b", "a", "b", "c"], [0, 1, 0, 2]), (["b", None, "a", "b"], [0, 1, 2, 0])):
        n = len(keys)
        listings = pd.DataFrame({"title_key": keys, "arxiv_id": [None] * n, "doi": [None] * n,
                                 "source_file": ["a.csv"] * n, "source_line": list(range(2, n + 2))})
        grouping = group_listings(listings)
        assert grouping.codes.tolist() == codes and grouping.codes.dtype == np.int64
