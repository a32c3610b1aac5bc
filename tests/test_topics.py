"""Topic modeling with the real packaged model on a 36-paper fixture: three themes, twelve papers each; and the
stable term ranking, labels and topic numbering on small inputs worked out by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from nbkit import load_corpus
from nbkit.cache import CacheWarning
from nbkit.embed import SentenceEmbedder
from nbkit.errors import NbkitError
from nbkit.text import stopwords
from nbkit.topics import (
    CachedUMAP,
    TopicSettings,
    compute_assignments,
    compute_subtopics,
    compute_topic_map,
    compute_topic_table,
    compute_topic_terms,
    compute_topics_per_collection,
    fit_topics,
    load_topic_model,
    make_clusterer,
    make_label,
    make_stable_terms,
    project_2d,
    ranked_terms,
    save_topic_model,
    share_idf,
)
from tests.conftest import FIXTURES

# 6: a theme of 12 papers cannot split into two topics (at 5, proteins and robots split into their sub-themes)
SETTINGS = TopicSettings(min_topic_size=6)
UMAP_SETTINGS = TopicSettings(method="umap-hdbscan", min_topic_size=5, n_neighbors=10, stability_runs=0)


@pytest.fixture(scope="module")
def papers():
    return load_corpus([FIXTURES / "topics" / "papers.jsonl"]).papers


@pytest.fixture(scope="module")
def minilm():
    return SentenceEmbedder()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def fitted(papers, minilm, cache_dir):
    return fit_topics(papers, SETTINGS, embedder=minilm, cache_dir=cache_dir, progress=False)


def test_each_theme_becomes_one_topic(fitted):
    table = compute_topics_per_collection(fitted)
    assert set(table.columns) == {"proteins", "robots", "speech"} and table.to_numpy().sum() == 36
    topics = table[~table.index.str.startswith("-1:")]
    assert len(topics) == 3 and ((topics > 0).sum(axis=1) == 1).all()  # three topics, none mixes two themes
    assert topics.max().to_dict() == {"proteins": 12, "robots": 11, "speech": 12}  # one robot paper stands apart
    labels = " ".join(compute_topic_table(fitted)["label"])
    for word in ("protein", "speech", "robot"):
        assert word in labels


def test_labels_and_terms_contain_no_stopwords(fitted):
    stop = stopwords()
    assert {"model", "propose", "paper", "approach", "the", "and"} <= stop
    table = compute_topic_table(fitted)
    texts = table["label"].tolist() + table["top_terms"].tolist()
    words = {w for text in texts for w in text.replace(",", " ").split()}
    assert words and not words & stop
    assert "outliers" not in table["label"].tolist() or -1 in table.index


def test_the_same_topics_whatever_the_seed(papers, minilm):
    # no cache: every fit clusters from scratch; the seed only draws the stability check's samples
    first = fit_topics(papers, SETTINGS, embedder=minilm, progress=False)
    second = fit_topics(papers, SETTINGS, embedder=minilm, progress=False)
    np.testing.assert_array_equal(first.topics, second.topics)
    pd.testing.assert_frame_equal(compute_topic_terms(first), compute_topic_terms(second))
    pd.testing.assert_frame_equal(compute_topic_table(first), compute_topic_table(second))
    other_seed = fit_topics(papers, replace(SETTINGS, seed=7), embedder=minilm, progress=False)
    np.testing.assert_array_equal(other_seed.topics, first.topics)
    pd.testing.assert_frame_equal(compute_topic_terms(other_seed), compute_topic_terms(first))


def test_the_umap_pipeline_is_still_there_and_seeded(papers, minilm):
    first = fit_topics(papers, UMAP_SETTINGS, embedder=minilm, progress=False)
    second = fit_topics(papers, UMAP_SETTINGS, embedder=minilm, progress=False)
    np.testing.assert_array_equal(first.topics, second.topics)
    assert first.model.umap_model.__class__.__name__ == "CachedUMAP"
    assert compute_assignments(first)["confidence"].isna().all()  # stability_runs=0: not checked


def test_a_warm_fit_reads_embeddings_and_reductions_from_the_cache(papers, minilm, cache_dir, fitted):
    again = fit_topics(papers, SETTINGS, embedder=minilm, cache_dir=cache_dir, progress=False)
    assert again.embedding_summary == "36 texts: 0 embedded, 36 from the cache"
    np.testing.assert_array_equal(again.topics, fitted.topics)
    fit_topics(papers, UMAP_SETTINGS, embedder=minilm, cache_dir=cache_dir, progress=False)
    other = fit_topics(papers, replace(UMAP_SETTINGS, min_topic_size=6), embedder=minilm, cache_dir=cache_dir,
                       progress=False)
    assert other.model.umap_model.from_cache  # another min_topic_size reuses the reduction


def test_a_corrupted_reduction_is_recomputed(tmp_path):
    X = np.random.default_rng(0).normal(size=(30, 8)).astype(np.float32)
    params = dict(n_neighbors=5, n_components=2, random_state=1)
    expected = CachedUMAP(tmp_path, **params).fit_transform(X)
    (stored,) = (tmp_path / "reduced").glob("umap-*.npy")
    stored.write_bytes(stored.read_bytes()[:-8])
    reducer = CachedUMAP(tmp_path, **params)
    with pytest.warns(CacheWarning, match="do not match"):
        again = reducer.fit_transform(X)
    assert not reducer.from_cache
    np.testing.assert_allclose(again, expected, atol=1e-5)


def test_tables_agree_with_the_assignments(fitted):
    table, assignments = compute_topic_table(fitted), compute_assignments(fitted)
    assert list(assignments.columns) == ["paper_id", "title", "topic", "label", "confidence", "topic_stability",
                                         "unstable"]
    assert len(assignments) == 36 and table["size"].sum() == 36
    assert assignments["topic"].value_counts().sort_index().to_dict() == table["size"].sort_index().to_dict()
    assert table["share"].sum() == pytest.approx(1.0, abs=0.01)
    assert assignments["confidence"].between(0, 1).all()
    # three clear themes come back in every resampled refit, and so does nearly every paper
    assert table.loc[table.index >= 0, "stability"].tolist() == [1.0, 1.0, 1.0]
    assert not table["unstable"].any() and assignments["confidence"].mean() > 0.9
    assert table.loc[-1, "size"] == 1 and table.loc[-1, "top_terms"]  # one paper: its own words, none shared
    per_topic = assignments.groupby("topic")["topic_stability"].first().dropna()
    assert per_topic.to_dict() == table["stability"].dropna().to_dict()
    reps = table["representative_titles"].str.split(" | ", regex=False)
    for topic, titles in reps.items():
        assert len(titles) == min(3, table.loc[topic, "size"])
        assert set(titles) <= set(assignments.loc[assignments["topic"] == topic, "title"])
    points = compute_topic_map(fitted)
    assert points.shape == (36, 6) and points[["x", "y"]].notna().all().all()


def test_the_map_is_the_first_two_principal_components_oriented_by_their_largest_value():
    X = np.array([[3.0, 0, 0], [-1.0, 0, 0], [-2.0, 0, 0], [0, 0.6, 0], [0, -0.2, 0], [0, -0.4, 0]])  # centred
    np.testing.assert_allclose(project_2d(X), X[:, :2], atol=1e-12)
    np.testing.assert_allclose(project_2d(-X + 5.0), X[:, :2], atol=1e-12)  # centred; signs do not show


def test_the_map_decomposes_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    real = np.linalg.eigh

    def eigh(matrix):
        seen.append({info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"})
        return real(matrix)

    monkeypatch.setattr(np.linalg, "eigh", eigh)
    X = np.array([[3.0, 0, 0], [-1.0, 0, 0], [-2.0, 0, 0], [0, 0.6, 0], [0, -0.2, 0], [0, -0.4, 0]])
    np.testing.assert_allclose(project_2d(X), X[:, :2], atol=1e-12)
    assert seen == [{1}]  # a second thread only spins on a matrix of dimensions x dimensions


def test_save_and_reload_give_the_same_topics(fitted, minilm, tmp_path):
    folder = save_topic_model(fitted, tmp_path / "model")
    assert (folder / "topic_embeddings.safetensors").is_file() and (folder / "ctfidf.safetensors").is_file()
    assert not list(tmp_path.glob(".model-*"))  # the temporary folder is gone
    loaded = load_topic_model(folder, embedder=minilm)
    assert _terms(loaded) == _terms(fitted.model)
    assert loaded.topic_sizes_ == fitted.model.topic_sizes_
    new_topics, _ = loaded.transform(["Robotic arms grasp objects with tactile sensing."])
    robot_topic = compute_topics_per_collection(fitted)["robots"].to_numpy().argmax()
    assert new_topics[0] == sorted(set(fitted.topics.tolist()) - {-1})[robot_topic]
    save_topic_model(fitted, folder)  # saving over an existing model replaces it
    assert _terms(load_topic_model(folder, embedder=minilm)) == _terms(fitted.model)


def _terms(model) -> dict[int, list[tuple[str, float]]]:
    return {t: [(w, round(float(s), 6)) for w, s in terms] for t, terms in model.get_topics().items()}


def test_loading_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(NbkitError, match="not a topic model saved by nbkit"):
        load_topic_model(tmp_path)


def test_components_can_be_replaced(papers, minilm):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    result = fit_topics(papers, SETTINGS, embedder=minilm, progress=False, umap_model=PCA(n_components=5),
                        hdbscan_model=KMeans(n_clusters=4, n_init=10, random_state=0), representation_model=None)
    assert sorted(set(result.topics.tolist())) == [0, 1, 2, 3]  # k-means: four clusters, no outliers


@pytest.mark.parametrize(("terms", "label"), [
    (["speech", "speech recognition", "audio", "tts"], "speech recognition, audio, tts"),
    (["robot arm", "robot", "arm", "grasp", "tactile"], "robot arm, grasp, tactile"),
    (["protein"], "protein"),
    ([], "(no terms)"),
])
def test_make_label_keeps_terms_that_add_a_word(terms, label):
    assert make_label(terms) == label


def test_settings_are_checked():
    with pytest.raises(NbkitError, match="representation 'bogus' is not one of share-idf"):
        TopicSettings(representation="bogus")
    with pytest.raises(NbkitError, match="min_topic_size must be at least 2"):
        TopicSettings(min_topic_size=1)
    with pytest.raises(NbkitError, match="method 'lda' is not one of agglomerative, umap-hdbscan"):
        TopicSettings(method="lda")
    with pytest.raises(NbkitError, match="stability_runs must be 0"):
        TopicSettings(stability_runs=1)
    with pytest.raises(NbkitError, match="embedding_backend 'cuda' is not one of onnx-int8, onnx-fp32, static, torch"):
        TopicSettings(embedding_backend="cuda")
    assert TopicSettings().embedding_backend == "torch"
    with pytest.raises(NbkitError, match=r"unknown topic setting.*colour"):
        TopicSettings.from_parameters(colour="red")
    assert TopicSettings.from_parameters(ngram_range=[1, 3]).ngram_range == (1, 3)
    with pytest.raises(NbkitError, match="min_topics must be at least 1 or None, not 0"):
        TopicSettings(min_topics=0)
    with pytest.raises(NbkitError, match="max_fit_papers must be None or at least twice min_topic_size, not 9"):
        TopicSettings(max_fit_papers=9)
    clusterer = make_clusterer(TopicSettings(min_topics=12, max_fit_papers=3000))
    assert (clusterer.min_topics, clusterer.max_fit_papers) == (12, 3000)


def test_too_few_papers_is_a_clear_error(papers, minilm):
    with pytest.raises(NbkitError, match="too few papers for a topic model: 4"):
        fit_topics(papers.head(4), SETTINGS, embedder=minilm)


def test_warm_up_puts_umap_functions_on_numba_disk_cache():
    import umap.umap_

    from nbkit.topics import warm_up

    warm_up()
    assert umap.umap_.smooth_knn_dist._cache.__class__.__name__ != "NullCache"
    assert umap.umap_.smooth_knn_dist.signatures  # compiled (or loaded from disk)


def test_topic_assignments_are_shared_through_the_cache(papers, minilm, cache_dir, fitted, monkeypatch):
    from nbkit import topics

    calls = []
    real_fit = topics.fit_topics
    monkeypatch.setattr(topics, "fit_topics", lambda *a, **k: calls.append(1) or real_fit(*a, **k))
    shared = topics.topic_assignments(papers, SETTINGS, cache_dir=cache_dir, embedder=minilm)
    assert calls == []  # the module-level fit stored its assignments; nothing is fitted again
    pd.testing.assert_frame_equal(shared, compute_assignments(fitted))
    summary = topics.topic_summary(papers, SETTINGS, cache_dir=cache_dir, embedder=minilm)
    pd.testing.assert_frame_equal(summary.terms, compute_topic_terms(fitted))
    assert summary.fit_seconds == round(fitted.seconds["fit"], 2) and calls == []
    assert summary.topic_words()[0] == compute_topic_terms(fitted).query("topic == 0")["term"].tolist()
    other = topics.topic_assignments(papers, TopicSettings(min_topic_size=7), cache_dir=cache_dir,
                                     embedder=minilm, progress=False)
    assert calls == [1] and len(other) == 36  # other settings: fitted once


def test_a_share_idf_fit_caches_the_ctfidf_summary_of_its_topics(papers, minilm, cache_dir, fitted, monkeypatch):
    from nbkit import topics

    plain_settings = replace(SETTINGS, representation="ctfidf")
    plain = topics.summarize(fit_topics(papers, plain_settings, embedder=minilm, progress=False))  # no cache
    monkeypatch.setattr(topics, "fit_topics", lambda *a, **k: pytest.fail("fitted again"))
    read = topics.topic_summary(papers, plain_settings, cache_dir=cache_dir, embedder=minilm)  # 04's ctfidf row
    pd.testing.assert_frame_equal(read.assignments, plain.assignments)
    pd.testing.assert_frame_equal(read.terms, plain.terms)
    assert read.terms["term"].tolist() != compute_topic_terms(fitted)["term"].tolist()  # other terms, same topics
    assert read.fit_seconds == round(fitted.seconds["fit"], 2) and len(read.refits) == len(fitted.refits) == 20


def test_other_seeds_and_representations_reuse_the_cached_partition_and_refits(papers, minilm, cache_dir, fitted,
                                                                              monkeypatch):
    from nbkit import topics

    monkeypatch.setattr(topics, "fit_topics", lambda *a, **k: pytest.fail("fitted again"))
    for seed in (43, 44):  # agglomerative has no seed: every seed reads the one cached partition
        partition = topics.topic_partition(papers, replace(SETTINGS, seed=seed), cache_dir=cache_dir, embedder=minilm)
        assert partition.tolist() == fitted.topics.tolist()
    monkeypatch.undo()
    monkeypatch.setattr(topics, "resample_stability", lambda *a, **k: pytest.fail("refitted"))
    plain = fit_topics(papers, replace(SETTINGS, representation="ctfidf"), embedder=minilm, cache_dir=cache_dir,
                       progress=False)  # the same partition and seed: the stability refits are read back
    assert plain.topics.tolist() == fitted.topics.tolist()
    np.testing.assert_array_equal(plain.confidence, fitted.confidence)
    assert plain.stability == fitted.stability and list(plain.stability) == list(fitted.stability)
    monkeypatch.undo()
    calls = []
    real = topics.resample_stability
    monkeypatch.setattr(topics, "resample_stability", lambda *a, **k: calls.append(1) or real(*a, **k))
    fit_topics(papers, replace(SETTINGS, seed=43), embedder=minilm, cache_dir=cache_dir, progress=False)
    assert calls == [1]  # another seed draws other samples: refitted


def test_ranked_terms_break_ties_by_term_not_by_float_noise():
    vocabulary = np.array(["b", "a", "c", "d", "e"])
    scores = np.array([0.5, 0.5, 0.7, 0.0, 0.5 + 1e-13])  # e ties with a and b at 10 significant digits
    assert ranked_terms(scores, vocabulary, 4) == [2, 1, 0, 4]  # c, then a, b, e alphabetically; d scores 0


def test_share_idf_by_hand():
    # topic 0: 2 papers, both use term x; topic 1: 4 papers, 1 uses x and 3 use y; 6 papers, 3 use each term
    scores = share_idf(np.array([[2, 0], [1, 3]]), np.array([2, 4]), np.array([3, 3]), 6, min_papers=1)
    ln3 = np.log(3)  # log(1 + 6 / 3)
    np.testing.assert_allclose(scores, [[ln3, 0], [ln3 / 4, 3 * ln3 / 4]])
    # by default a term needs two of the topic's papers: x in topic 1 (one paper) scores 0
    np.testing.assert_allclose(share_idf(np.array([[2, 0], [1, 3]]), np.array([2, 4]), np.array([3, 3]), 6),
                               [[ln3, 0], [0, 3 * ln3 / 4]])


def test_topics_of_equal_size_are_numbered_by_their_previous_number():
    from bertopic.dimensionality import BaseDimensionalityReduction

    from nbkit.topics import make_vectorizer, stable_bertopic

    class Fixed:  # a clusterer whose labels are given
        def fit(self, X, y=None):
            self.labels_ = np.array([3, 3, 1, 1, 2, 2, 2])
            return self

    docs = ["cats purr", "cats nap", "rockets fly", "rockets launch", "tea brews", "tea steeps", "tea cools"]
    model = stable_bertopic()(umap_model=BaseDimensionalityReduction(), hdbscan_model=Fixed(),
                              vectorizer_model=make_vectorizer(TopicSettings()), min_topic_size=2,
                              representation_model=make_stable_terms(3))
    topics, _ = model.fit_transform(docs, embeddings=np.eye(7))
    # sizes 3 (tea), 2 (cats, old id 3), 2 (rockets, old id 1): the tie goes to the lower old id
    assert list(topics) == [2, 2, 1, 1, 0, 0, 0]
    assert model.get_topic(0)[0][0] == "tea" and model.get_topic(2)[0][0] == "cats"


def test_labels_say_a_phrase_once():
    assert make_label(["forgetting", "catastrophic", "continual", "catastrophic forgetting"]) == \
        "catastrophic forgetting, continual"
    assert make_label(["agents", "planning", "agent", "tools"]) == "agents, planning, tools"  # a plural adds nothing


def test_subtopics_lie_inside_one_topic(fitted):
    subtopics = compute_subtopics(fitted)
    fine = fitted.model.hdbscan_model.levels_["fine"]
    assert len(subtopics) >= 3 and subtopics["size"].sum() <= 36
    for row in subtopics.itertuples():
        members = fine == row.subtopic
        assert row.size == members.sum() and set(fitted.topics[members].tolist()) == {row.topic}
        assert row.label and "," in row.top_terms


def test_refits_survive_the_stability_cache_round_trip():
    from nbkit.topics import pack_refits, unpack_refits

    refits = [(np.array([0, 2, 5]), np.array([1, -1, 0])), (np.array([1, 2]), np.array([0, 0]))]
    packed = pack_refits(refits)
    assert packed.tolist() == [[0, 0, 0, 1, 1], [0, 2, 5, 1, 2], [1, -1, 0, 0, 0]]
    back = unpack_refits(packed)
    assert [(r.tolist(), lab.tolist()) for r, lab in back] == [([0, 2, 5], [1, -1, 0]), ([1, 2], [0, 0])]
    assert unpack_refits(pack_refits([])) == []
