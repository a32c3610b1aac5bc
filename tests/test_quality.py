"""Topic-quality measures (coherence, diversity, baselines, model card, stability), on toy inputs whose answers are
worked out by hand below."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nbkit.errors import NbkitError
from nbkit.quality import (
    NO_MATCH,
    StabilityTally,
    compute_model_card,
    compute_topic_stability,
    fit_baseline,
    npmi_coherence,
    recover_topics,
    resample_rows,
    resample_stability,
    term_cooccurrence,
    topic_diversity,
    topic_names,
)

# --- topic quality -------------------------------------------------------------------------------------------------

# d1 {cat, dog}, d2 {cat, dog, fish}, d3 {cat, bird}, d4 {fish, bird}: p(cat) = 3/4, p(dog) = p(fish) = p(bird) = 1/2
# NPMI(cat, dog): p = 2/4 -> log(0.5 / (0.75 * 0.5)) / -log(0.5) = log(4/3) / log(2) = 0.415037
# NPMI(dog, bird): never together -> -1
# NPMI(dog, fish) = NPMI(fish, bird): p = 1/4 = p * p -> log(1) = 0
# so [dog, fish, bird] averages (0 - 1 + 0) / 3 = -1/3
DOCS = ["cat dog", "cat dog fish", "cat bird", "fish bird"]


def test_npmi_by_hand():
    scores = npmi_coherence([["cat", "dog"], ["dog", "bird"], ["dog", "fish", "bird"]], DOCS)
    assert scores == pytest.approx([math.log(4 / 3) / math.log(2), -1.0, -1 / 3])
    assert round(scores[0], 6) == 0.415037


def test_npmi_token_lists_and_top_n():
    tokens = [d.split() for d in DOCS]
    # top_n = 2 keeps [dog, fish] of the last topic: 0; "" (BERTopic's padding) and the repeat are dropped
    assert npmi_coherence([["dog", "", "dog", "fish", "bird"]], tokens, top_n=2) == [0.0]


def test_npmi_conventions():
    # x and y in every document: p(x, y) = 1, -log p = 0 -> defined as 1
    assert npmi_coherence([["x1", "y1"]], ["x1 y1", "y1 x1"]) == [1.0]
    # always together in half the documents: log(0.5 / 0.25) / -log(0.5) = 1
    assert npmi_coherence([["x1", "y1"]], ["x1 y1", "other"]) == [pytest.approx(1.0)]
    # a term the corpus lacks never co-occurs: -1; a topic with one term has no pairs: NaN
    none, single = npmi_coherence([["cat", "unicorn"], ["cat"]], DOCS)
    assert none == -1.0 and math.isnan(single)
    with pytest.raises(NbkitError, match="a reference document is"):
        npmi_coherence([["cat", "dog"]], ["cat dog", float("nan")])


def test_npmi_multi_word_terms():
    # "speech recognition" occurs where the two words are adjacent, in order, inside one clause: d1 and d3 (d2 has
    # them apart, d4 across a full stop); "works" only in d1. p(sr) = 1/2, p(works) = p(both) = 1/4
    # NPMI = log(0.25 / (0.5 * 0.25)) / -log(0.25) = log(2) / log(4) = 0.5
    strings = ["Speech recognition works.", "recognition of speech", "speech recognition again", "speech. Recognition"]
    assert npmi_coherence([["speech recognition", "works"]], strings) == [pytest.approx(0.5)]
    # token lists know no clause breaks: d4 has the phrase too, p(sr) = 3/4
    # NPMI = log(0.25 / (0.75 * 0.25)) / log(4) = log(4/3) / log(4) = 0.207519
    tokens = [s.lower().replace(".", "").split() for s in strings]
    assert npmi_coherence([["speech recognition", "works"]], tokens) == [pytest.approx(math.log(4 / 3) / math.log(4))]
    # a set holds the document's terms; a phrase counts only if the set holds it
    sets = [{"speech recognition", "works"}, {"speech", "recognition"}, {"speech recognition"}, set()]
    assert npmi_coherence([["speech recognition", "works"]], sets) == [pytest.approx(0.5)]


def test_topic_diversity_by_hand():
    topics = [["a", "b", "c"], ["a", "d", "e"]]
    assert topic_diversity(topics, k=3) == 5 / 6  # a, b, c, d, e among 6 top terms
    assert topic_diversity(topics, k=2) == 3 / 4  # a, b, a, d
    assert topic_diversity([["a", "b"], ["c"]], k=2) == 1.0  # a short topic is not overlap: 3 of 3 taken


def test_model_card_by_hand():
    rows = [
        {"model": "toy", "topic_words": [["cat", "dog"], ["dog", "bird"]], "doc_topics": [0, 1, -1, 0],
         "fit_seconds": 1.26, "documents": DOCS},
        {"model": "one topic", "topic_words": [["cat", "dog"]], "doc_topics": np.array([0, 0, 0, 0]),
         "fit_seconds": 0.04, "documents": DOCS},
    ]
    card = compute_model_card(rows)
    assert card.to_dict("records") == [
        # npmi (0.415037 - 1) / 2 = -0.292; diversity: cat, dog, bird among 4 terms = 0.75; 1 outlier in 4
        {"model": "toy", "n_topics": 2, "outlier_share": 0.25, "npmi": -0.292, "diversity": 0.75, "fit_seconds": 1.3},
        {"model": "one topic", "n_topics": 1, "outlier_share": 0.0, "npmi": 0.415, "diversity": 1.0,
         "fit_seconds": 0.0},
    ]
    with pytest.raises(NbkitError, match="lacks documents"):
        compute_model_card([{k: v for k, v in rows[0].items() if k != "documents"}])


def test_term_cooccurrence_counts_documents_with_both_terms():
    # DOCS: cat in 3, dog in 2, fish in 2, bird in 2; cat+dog 2, cat+fish 1, cat+bird 1, dog+fish 1, fish+bird 1
    index, together, n_docs = term_cooccurrence(DOCS, {"dog", "cat", "fish", "bird", "unicorn"})
    assert list(index) == ["bird", "cat", "dog", "fish", "unicorn"] and n_docs == 4
    assert together.tolist() == [[2, 1, 0, 1, 0], [1, 3, 2, 1, 0], [0, 2, 2, 1, 0], [1, 1, 1, 2, 0], [0, 0, 0, 0, 0]]


TERM_DOCS = ["Graph neural networks learn. Neural networks generalize.", "Graph learning with neural networks",
             "Protein folding"]


def test_term_cooccurrence_from_a_topic_vectorizers_counts_equals_tokenizing():
    from nbkit.terms import PhraseVectorizer
    from nbkit.text import PhraseAnalyzer, stopwords

    vectorizer = PhraseVectorizer(analyzer=PhraseAnalyzer(stopwords(), (1, 2))).fit(TERM_DOCS)
    counts = (vectorizer.transform(TERM_DOCS), vectorizer.vocabulary_)
    terms = {"graph", "neural networks", "protein"}
    index, together, n_docs = term_cooccurrence(TERM_DOCS, terms, counts)
    # graph: documents 0 and 1; neural networks: 0 and 1; protein: 2
    assert list(index) == ["graph", "neural networks", "protein"] and n_docs == 3
    assert together.tolist() == [[2, 2, 0], [2, 2, 0], [0, 0, 1]]
    assert together.tolist() == term_cooccurrence(TERM_DOCS, terms)[1].tolist()
    # "with neural" holds a stopword, so the vocabulary lacks it: the documents are tokenized (it is in document 1)
    index, together, _ = term_cooccurrence(TERM_DOCS, terms | {"with neural"}, counts)
    assert index["with neural"] == 3 and together[3].tolist() == [1, 1, 0, 1]


def test_model_card_rows_sharing_documents_tokenize_them_once(monkeypatch):
    from nbkit import quality

    calls = []
    real = quality.term_cooccurrence
    monkeypatch.setattr(quality, "term_cooccurrence",
                        lambda docs, terms, *counts: calls.append(sorted(terms)) or real(docs, terms, *counts))
    rows = [{"model": name, "topic_words": words, "doc_topics": np.array([0, 0, 1, 1]), "fit_seconds": 1.0,
             "documents": DOCS} for name, words in (("a", [["cat", "dog"]]), ("b", [["dog", "bird"]]))]
    card = compute_model_card(rows)
    assert calls == [["bird", "cat", "dog"]]  # one pass for the union of both rows' terms
    assert card["npmi"].tolist() == [0.415, -1.0]  # as npmi_coherence alone (test_npmi_by_hand)


def test_a_cached_baseline_is_read_back_not_fitted(tmp_path, monkeypatch):
    from nbkit import quality

    first = fit_baseline(THEMES, "nmf", n_topics=2, seed=0, top_n=5, cache_dir=tmp_path)
    monkeypatch.setattr(quality, "_fit_baseline", lambda *a: pytest.fail("fitted again"))
    again = fit_baseline(THEMES, "nmf", n_topics=2, seed=0, top_n=5, cache_dir=tmp_path)
    assert again.topic_words == first.topic_words and again.doc_topics.tolist() == first.doc_topics.tolist()
    assert again.fit_seconds == first.fit_seconds and again.model is None
    monkeypatch.undo()
    other = fit_baseline(THEMES, "nmf", n_topics=2, seed=1, top_n=5, cache_dir=tmp_path)  # another seed: a new fit
    assert other.model is not None and len(list((tmp_path / "baselines").glob("baseline-*.json"))) == 2


# --- baselines -----------------------------------------------------------------------------------------------------

CAT_WORDS = ["cat", "kitten", "purr", "whiskers", "meow", "fur", "litter", "paw"]
ROCKET_WORDS = ["rocket", "launch", "orbit", "fuel", "booster", "thrust", "payload", "engine"]
# ten documents per theme, each five of its theme's eight words (a different window each time)
THEMES = ([" ".join(CAT_WORDS[(i + k) % 8] for k in range(5)) for i in range(10)]
          + [" ".join(ROCKET_WORDS[(i + k) % 8] for k in range(5)) for i in range(10)]
          + ["the and of"])  # nothing but stopwords: no topic


@pytest.mark.parametrize("kind", ["lda", "nmf"])
def test_baseline_recovers_two_themes(kind):
    result = fit_baseline(THEMES, kind, n_topics=2, seed=0, top_n=5)
    themes = [set(CAT_WORDS), set(ROCKET_WORDS)]
    owners = [next(i for i, theme in enumerate(themes) if set(words) <= theme) for words in result.topic_words]
    assert sorted(owners) == [0, 1]  # each topic's top five words come from one theme, a different one each
    cats, rockets, empty = result.doc_topics[:10], result.doc_topics[10:20], result.doc_topics[20]
    assert len(set(cats)) == 1 and len(set(rockets)) == 1 and cats[0] != rockets[0]
    assert empty == -1
    assert result.fit_seconds > 0
    again = fit_baseline(THEMES, kind, n_topics=2, seed=0, top_n=5)
    assert again.topic_words == result.topic_words  # the seed fixes the fit
    card = compute_model_card([result.card_row(THEMES)])
    assert card.loc[0, "model"] == kind and card.loc[0, "outlier_share"] == round(1 / 21, 3)


@pytest.mark.parametrize("kind", ["lda", "nmf"])
def test_a_large_baseline_is_fitted_on_the_texts_of_smallest_hash_and_assigns_the_rest(kind, tmp_path):
    texts = [*THEMES, "zebra giraffe okapi"]  # 22 texts; the last shares no word with the others
    # the 12 texts of smallest SHA-256 (hashlib.sha256(text.encode()).digest(), sorted): the zebra text has the
    # largest of all 22, the stopwords-only text 20 is among the 12
    sample = [2, 4, 5, 6, 7, 10, 14, 15, 16, 17, 18, 20]
    size = len(sample)
    result = fit_baseline(texts, kind, n_topics=2, seed=0, top_n=5, max_fit_documents=size)
    words = {w for i in sample for w in texts[i].split()} - {"the", "and", "of"}
    assert set(result.vectorizer.get_feature_names_out()) == words  # the vocabulary is the sample's
    assert len(result.doc_topics) == 22 and result.doc_topics[21] == -1  # assigned, but no word it knows
    assert result.doc_topics[20] == -1  # stopwords only, as without the limit
    cats, rockets = result.doc_topics[:10], result.doc_topics[10:20]  # sampled or not, each theme one topic
    assert len(set(cats)) == 1 and len(set(rockets)) == 1 and cats[0] != rockets[0]
    # at or under the limit nothing changes: the full fit, as with no limit at all
    full = fit_baseline(texts, kind, n_topics=2, seed=0, top_n=5, max_fit_documents=None)
    assert fit_baseline(texts, kind, n_topics=2, seed=0, top_n=5, max_fit_documents=22).topic_words == full.topic_words
    assert "zebra" in full.vectorizer.get_feature_names_out()
    # cached apart: the sampled fit is not read back for the full one
    fit_baseline(texts, kind, n_topics=2, seed=0, top_n=5, cache_dir=tmp_path, max_fit_documents=size)
    fit_baseline(texts, kind, n_topics=2, seed=0, top_n=5, cache_dir=tmp_path, max_fit_documents=None)
    assert len(list((tmp_path / "baselines").glob("baseline-*.json"))) == 2


@pytest.mark.parametrize("kind", ["lda", "nmf"])
def test_baselines_fit_on_one_blas_thread(kind, monkeypatch):
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from threadpoolctl import threadpool_info

    model = {"lda": LatentDirichletAllocation, "nmf": NMF}[kind]
    seen = []
    real = model.fit_transform

    def fit_transform(self, *args, **kwargs):
        seen.append({info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(model, "fit_transform", fit_transform)
    fit_baseline(THEMES, kind, n_topics=2, seed=0, top_n=5)
    assert seen == [{1}]


def test_baseline_rejects_unknown_kinds():
    with pytest.raises(NbkitError, match="not one of lda, nmf"):
        fit_baseline(THEMES, "lsa", n_topics=2)


# --- stability -----------------------------------------------------------------------------------------------------

# r0: topic 0 = {0, 1, 2}, topic 1 = {3, 4}, doc 5 an outlier. r1 is r0 with the ids swapped. r2: {0, 1}, {2..5}.
# ARI(r0, r1) = 1. ARI(r0, r2): cells (0,0)=2, (0,1)=1, (1,1)=2, (-1,1)=1 -> sum C(n_ij, 2) = 1 + 1 = 2;
# rows 3, 2, 1 -> sum C = 3 + 1 = 4; columns 2, 4 -> 1 + 6 = 7; C(6, 2) = 15; expected = 4 * 7 / 15 = 28/15;
# max = (4 + 7) / 2 = 5.5 -> ARI = (2 - 28/15) / (5.5 - 28/15) = (2/15) / (54.5/15) = 2/54.5 = 0.036697.
# ARI(r1, r2) is the same (r1 only renames r0). Mean = (1 + 2 * 0.036697) / 3 = 0.357798.
# Reference topic 0 {0,1,2}: r1 -> 1; r2 -> best of {0,1}: 2/3, {2,3,4,5}: 1/6 = 2/3.
# Reference topic 1 {3,4}:   r1 -> 1; r2 -> best of {0,1}: 0, {2,3,4,5}: 2/4 = 0.5.
RUNS = [np.array([0, 0, 0, 1, 1, -1]), np.array([1, 1, 1, 0, 0, -1]), np.array([0, 0, 1, 1, 1, 1])]


def test_topic_stability_by_hand():
    ari, topics = compute_topic_stability(RUNS, labels={0: "cats", 1: "rockets"}, threshold=0.6)
    assert ari.to_dict("records") == [
        {"run_a": 0, "run_b": 1, "ari": 1.0},
        {"run_a": 0, "run_b": 2, "ari": 0.037},
        {"run_a": 1, "run_b": 2, "ari": 0.037},
        {"run_a": "mean", "run_b": "", "ari": 0.358},
    ]
    assert topics.to_dict("records") == [
        # topic 0: 1 and 2/3 both reach 0.6; topic 1: 0.5 does not. Means (1 + 2/3) / 2, (1 + 0.5) / 2
        {"topic": 0, "label": "cats", "size": 3, "match_rate": 1.0, "mean_best_jaccard": 0.833},
        {"topic": 1, "label": "rockets", "size": 2, "match_rate": 0.5, "mean_best_jaccard": 0.75},
    ]


def test_topic_stability_threshold_is_inclusive():
    _, topics = compute_topic_stability(RUNS, threshold=0.5)
    assert topics["match_rate"].tolist() == [1.0, 1.0]  # topic 1's Jaccard of exactly 0.5 counts
    assert topics["label"].tolist() == ["", ""]


def test_topic_stability_needs_runs_of_equal_length():
    with pytest.raises(NbkitError, match="equal lengths"):
        compute_topic_stability([np.array([0, 1]), np.array([0, 1, 1])])
    with pytest.raises(NbkitError, match="at least two runs"):
        compute_topic_stability([np.array([0, 1])])


# --- stability under resampling ------------------------------------------------------------------------------------

def test_recover_topics_by_hand():
    # topic 0 (3 papers) vs refit topic 5 (5 papers, 3 shared): Jaccard 3/5 = 0.6, it comes back;
    # topic 1 (2 papers) vs 5: 2/5 = 0.4, it does not; the outlier stays an outlier
    match_of, kept = recover_topics(np.array([0, 0, 0, 1, 1, -1]), np.array([5, 5, 5, 5, 5, -1]))
    assert match_of == {-1: -1, 0: 5, 1: NO_MATCH}
    assert kept.tolist() == [True, True, True, False, False, True]


def test_a_topic_never_comes_back_as_the_outliers():
    match_of, kept = recover_topics(np.array([0, 0, 1, 1]), np.array([-1, -1, 2, 2]))
    assert match_of == {0: NO_MATCH, 1: 2} and kept.tolist() == [False, False, True, True]


def test_stability_tally_by_hand():
    tally = StabilityTally(np.array([0, 0, 0, 1, 1, 1]))
    tally.add(np.array([0, 1, 2, 3, 4]), np.array([7, 7, 7, 8, 8]))  # both topics come back whole
    tally.add(np.array([1, 2, 3, 4, 5]), np.array([7, 7, 7, 7, 7]))  # one cluster: J = 2/5 and 3/5
    result = tally.result()
    assert result.topics.tolist() == [0, 1] and result.runs == 2
    assert result.stability.tolist() == [0.5, 1.0]
    # paper 0 seen once and kept; papers 1, 2 lost the second time; 3, 4 kept twice; 5 kept once
    assert result.confidence.tolist() == [1.0, 0.5, 0.5, 1.0, 1.0, 1.0]


def test_resample_stability_of_a_refit_that_always_agrees():
    labels = np.array([0] * 6 + [1] * 6 + [-1] * 2)
    result = resample_stability(labels, lambda rows: labels[rows], runs=5, fraction=0.8, seed=3)
    assert result.stability.tolist() == [1.0, 1.0] and np.all(result.confidence[~np.isnan(result.confidence)] == 1)


def test_resample_rows_are_sorted_seeded_samples():
    draws = resample_rows(10, 3, 0.8, seed=1)
    assert [len(rows) for rows in draws] == [8, 8, 8]
    assert all(np.all(np.diff(rows) > 0) for rows in draws)
    assert all(np.array_equal(a, b) for a, b in zip(draws, resample_rows(10, 3, 0.8, seed=1), strict=True))
    with pytest.raises(NbkitError, match="at least 2 runs"):
        resample_rows(10, 1, 0.8, seed=1)


def test_topic_names_mark_unstable_topics():
    assignments = pd.DataFrame({"topic": [0, 0, 1, -1], "label": ["cats", "cats", "rockets", "outliers"],
                                "unstable": [False, False, True, False]})
    assert topic_names(assignments) == {0: "0: cats", 1: "1: rockets (unstable)", -1: "-1: outliers"}
    assert topic_names(assignments.drop(columns="unstable"))[1] == "1: rockets"
