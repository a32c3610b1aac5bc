"""Topic modeling with the real packaged model on a 36-paper fixture: three themes, twelve papers each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nbkit import load_corpus
from nbkit.cache import CacheWarning
from nbkit.embed import SentenceEmbedder
from nbkit.errors import NbkitError
from nbkit.topics import (
    CachedUMAP,
    PhraseAnalyzer,
    TopicSettings,
    compute_assignments,
    compute_topic_map,
    compute_topic_table,
    compute_topic_terms,
    compute_topics_per_collection,
    fit_topics,
    load_topic_model,
    make_label,
    save_topic_model,
    stopwords,
)
from tests.conftest import FIXTURES

SETTINGS = TopicSettings(min_topic_size=5, n_neighbors=10)


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
    assert table.shape == (3, 3) and set(table.columns) == {"proteins", "robots", "speech"}
    assert sorted(table.max(axis=1)) == [12, 12, 12] and table.to_numpy().sum() == 36  # one theme per topic
    labels = " ".join(compute_topic_table(fitted)["label"])
    for word in ("protein", "speech", "grasp"):
        assert word in labels


def test_labels_and_terms_contain_no_stopwords(fitted):
    stop = stopwords()
    assert {"model", "propose", "paper", "approach", "the", "and"} <= stop
    table = compute_topic_table(fitted)
    texts = table["label"].tolist() + table["top_terms"].tolist()
    words = {w for text in texts for w in text.replace(",", " ").split()}
    assert words and not words & stop
    assert "outliers" not in table["label"].tolist() or -1 in table.index


def test_the_same_seed_gives_the_same_topics(papers, minilm):
    # no cache: both fits run UMAP and HDBSCAN from scratch
    first = fit_topics(papers, SETTINGS, embedder=minilm, progress=False)
    second = fit_topics(papers, SETTINGS, embedder=minilm, progress=False)
    np.testing.assert_array_equal(first.topics, second.topics)
    pd.testing.assert_frame_equal(compute_topic_terms(first), compute_topic_terms(second))
    pd.testing.assert_frame_equal(compute_topic_table(first), compute_topic_table(second))


def test_a_warm_fit_reads_embeddings_and_reductions_from_the_cache(papers, minilm, cache_dir, fitted):
    again = fit_topics(papers, SETTINGS, embedder=minilm, cache_dir=cache_dir, progress=False)
    assert again.embedding_summary == "36 texts: 0 embedded, 36 from the cache"
    assert again.model.umap_model.from_cache
    np.testing.assert_array_equal(again.topics, fitted.topics)
    other = fit_topics(papers, TopicSettings(min_topic_size=6, n_neighbors=10), embedder=minilm,
                       cache_dir=cache_dir, progress=False)
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
    assert list(assignments.columns) == ["paper_id", "title", "topic", "label", "probability"]
    assert len(assignments) == 36 and table["size"].sum() == 36
    assert assignments["topic"].value_counts().sort_index().to_dict() == table["size"].sort_index().to_dict()
    assert table["share"].sum() == pytest.approx(1.0, abs=0.01)
    assert assignments["probability"].between(0, 1).all()
    reps = table["representative_titles"].str.split(" | ", regex=False)
    for topic, titles in reps.items():
        assert len(titles) == 3
        assert set(titles) <= set(assignments.loc[assignments["topic"] == topic, "title"])
    points = compute_topic_map(fitted)
    assert points.shape == (36, 6) and points[["x", "y"]].notna().all().all()


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


def test_phrases_never_span_a_stopword_or_a_sentence_break():
    analyzer = PhraseAnalyzer({"are", "the", "models"}, (1, 2))
    assert analyzer("Large robots are the best. Robot arms (RA) models") == [
        "large", "robots", "best", "large robots", "robot", "arms", "robot arms", "ra"]


def test_settings_are_checked():
    with pytest.raises(NbkitError, match="representation 'bogus' is not one of keybert"):
        TopicSettings(representation="bogus")
    with pytest.raises(NbkitError, match="min_topic_size must be at least 2"):
        TopicSettings(min_topic_size=1)
    with pytest.raises(NbkitError, match=r"unknown topic setting.*colour"):
        TopicSettings.from_parameters(colour="red")
    assert TopicSettings.from_parameters(ngram_range=[1, 3]).ngram_range == (1, 3)


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
    other = topics.topic_assignments(papers, TopicSettings(min_topic_size=7, n_neighbors=10), cache_dir=cache_dir,
                                     embedder=minilm, progress=False)
    assert calls == [1] and len(other) == 36  # other settings: fitted once
