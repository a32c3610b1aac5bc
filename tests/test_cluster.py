"""Agglomerative topics on points whose cosine distances are worked out by hand.

Five unit vectors in the plane at angles 0, 8, 90, 100 and 200 degrees; cosine distance is 1 - cos(difference):
  d(0, 8) = 1 - cos 8 = 0.009732             d(90, 100) = 1 - cos 10 = 0.015192
  {0, 8} to {90, 100}: mean of 1 - cos 90, 1 - cos 100, 1 - cos 82, 1 - cos 92
                     = (1 + 1.173648 + 0.860827 + 1.034899) / 4 = 1.017344
  {90, 100} to 200:   (1 - cos 110 + 1 - cos 100) / 2 = (1.342020 + 1.173648) / 2 = 1.257834
  {0, 8} to 200:      (1 - cos 200 + 1 - cos 192) / 2 = (1.939693 + 1.978148) / 2 = 1.958920
so the merges are {0, 8} at 0.009732, {90, 100} at 0.015192, the four at 1.017344, and 200 last at the mean of its
four distances, (1.939693 + 1.978148 + 1.342020 + 1.173648) / 4 = 1.608377.
"""

from __future__ import annotations

import numpy as np
import pytest

from nbkit.cluster import AgglomerativeTopics, condensed_rows, cut_profile, order_clusters
from nbkit.errors import NbkitError

ANGLES = [0, 8, 90, 100, 200]


def _points(angles) -> np.ndarray:
    radians = np.deg2rad(angles)
    return np.column_stack([np.cos(radians), np.sin(radians)]) * 3.0  # length does not matter: cosine


def test_condensed_rows_picks_the_pairs_of_the_chosen_papers():
    # 5 papers: the condensed array lists d(0,1) d(0,2) d(0,3) d(0,4) d(1,2) d(1,3) d(1,4) d(2,3) d(2,4) d(3,4)
    distances = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=float)
    assert condensed_rows(distances, 5, np.array([0, 2, 4])).tolist() == [2, 4, 9]  # d(0,2) d(0,4) d(2,4)
    assert condensed_rows(distances, 5, np.array([1, 3])).tolist() == [6]  # d(1,3)
    assert condensed_rows(distances, 5, np.arange(5)).tolist() == distances.tolist()
    assert condensed_rows(distances, 5, np.array([4])).tolist() == []


def test_order_clusters_by_size_then_first_row():
    # sizes: 3 -> 3 papers, 7 -> 2 (first at row 0), 1 -> 2 (first at row 6), 9 -> 1 (below min_size)
    assert order_clusters(np.array([7, 7, 3, 3, 3, 9, 1, 1]), 2).tolist() == [1, 1, 0, 0, 0, -1, 2, 2]


def test_the_merge_heights_are_the_hand_computed_ones():
    model = AgglomerativeTopics(min_topic_size=2, min_coverage=0.8).fit(_points(ANGLES))
    np.testing.assert_allclose(model.tree_[:, 2], [0.009732, 0.015192, 1.017344, 1.608377], atol=1e-6)


def test_cut_profile_counts_topics_and_coverage_between_merges():
    tree = AgglomerativeTopics(min_topic_size=2).fit(_points(ANGLES)).tree_
    cuts, counts, coverage = cut_profile(tree, 5, 2)
    # midway between merge heights; after the last merge, half a unit above it
    np.testing.assert_allclose(cuts, [0.012462, 0.516268, 1.312861, 2.108377], atol=1e-6)
    assert counts.tolist() == [1, 2, 1, 1]
    np.testing.assert_allclose(coverage, [0.4, 0.8, 0.8, 1.0])


def test_the_cut_is_the_lowest_that_covers_enough_papers():
    model = AgglomerativeTopics(min_topic_size=2, min_coverage=0.8).fit(_points(ANGLES))
    assert model.threshold_ == pytest.approx(0.516268, abs=1e-6)
    assert model.labels_.tolist() == [0, 0, 1, 1, -1]  # equal sizes: the topic met first is topic 0
    whole = AgglomerativeTopics(min_topic_size=2, min_coverage=0.9).fit(_points(ANGLES))
    assert whole.labels_.tolist() == [0, 0, 0, 0, 0]


def test_max_topics_raises_the_cut_and_keeps_the_finer_level():
    model = AgglomerativeTopics(min_topic_size=2, min_coverage=0.8, max_topics=1).fit(_points(ANGLES))
    assert model.threshold_ == pytest.approx(1.312861, abs=1e-6)
    assert model.labels_.tolist() == [0, 0, 0, 0, -1]
    assert model.levels_["fine"].tolist() == [0, 0, 1, 1, -1]  # each fine topic inside one topic


def test_a_fixed_distance_threshold():
    model = AgglomerativeTopics(distance_threshold=0.012, min_topic_size=2).fit(_points(ANGLES))
    assert model.labels_.tolist() == [0, 0, -1, -1, -1]  # only {0, 8} has merged by 0.012


def test_outliers_join_a_topic_only_when_similar_enough():
    # 200 degrees: cos(200 - 95) = -0.2588 to the centre of {90, 100}, cos(200 - 4) = -0.9613 to that of {0, 8}
    joined = AgglomerativeTopics(min_topic_size=2, min_coverage=0.8, assign_similarity=-0.5).fit(_points(ANGLES))
    assert joined.labels_.tolist() == [0, 0, 1, 1, 1]
    kept = AgglomerativeTopics(min_topic_size=2, min_coverage=0.8, assign_similarity=-0.2).fit(_points(ANGLES))
    assert kept.labels_.tolist() == [0, 0, 1, 1, -1]


def test_predict_and_refit():
    model = AgglomerativeTopics(min_topic_size=2, min_coverage=0.8).fit(_points(ANGLES))
    # 3 degrees: nearest centre (4); 45: cos 41 = 0.755 beats cos 50 = 0.643; 270: below 1 - 0.516 to both
    assert model.predict(_points([3, 45, 270])).tolist() == [0, 0, -1]
    assert model.refit(np.array([0, 1, 2, 3])).tolist() == [0, 0, 1, 1]  # the same cut on four of the papers


def test_bad_settings_are_clear_errors():
    with pytest.raises(NbkitError, match="min_coverage is a share"):
        AgglomerativeTopics(min_coverage=0)
    with pytest.raises(NbkitError, match="distance_threshold is a cosine distance"):
        AgglomerativeTopics(distance_threshold=2.5)
    with pytest.raises(NbkitError, match="at least 2 documents"):
        AgglomerativeTopics().fit(np.ones((1, 3)))


def test_two_stage_finds_well_separated_groups_and_nests_its_levels():
    from nbkit.cluster import TwoStageTopics

    rng = np.random.default_rng(0)
    centres = np.eye(10)[[0, 4, 8]] * 5  # three orthogonal directions
    X = np.vstack([c + rng.normal(scale=0.3, size=(20, 10)) for c in centres])
    # 11: a group of 20 cannot hold two topics (the cut rule takes the finest cut that covers 85% of the papers)
    model = TwoStageTopics(micro_size=4, seed=0, min_topic_size=11).fit(X)
    labels = model.labels_
    for group in range(3):  # three pure topics; a few stray micro-clusters stay outliers (at most 15%)
        assert set(labels[20 * group:20 * group + 20].tolist()) <= {group, -1}
    assert labels.max() == 2 and (labels == -1).mean() <= 0.15
    fine, top = model.levels_["fine"], model.levels_["top"]
    for sub in set(fine.tolist()) - {-1}:  # every subtopic inside one topic
        assert len(set(top[fine == sub].tolist())) == 1
    refit = model.refit(np.arange(0, 60, 2), min_topic_size=6)  # the stability check's refits: the same cut
    groups = np.repeat([0, 1, 2], 10)
    assert len(refit) == 30 and all(len(set(groups[refit == t].tolist())) == 1 for t in set(refit.tolist()) - {-1})


def test_a_large_corpus_cut_is_lowered_to_at_least_min_topics():
    # each point stands for 200 papers (1,000 in all), topics need 400: the cut after {0, 8} and {90, 100} merge
    # has 2 topics covering 80% of the papers, the cut after the last merge 1 topic covering all of them
    tree = AgglomerativeTopics(min_topic_size=2).fit(_points(ANGLES)).tree_
    weights = np.full(5, 200)
    coarse = AgglomerativeTopics(min_topic_size=400, min_coverage=0.9, min_topics=None)
    assert coarse.choose_cuts(tree, 5, weights)[0] == pytest.approx(2.108377, abs=1e-6)
    lowered = AgglomerativeTopics(min_topic_size=400, min_coverage=0.9, min_topics=2)
    assert lowered.choose_cuts(tree, 5, weights)[0] == pytest.approx(0.516268, abs=1e-6)
    # 500 papers is not a large corpus (MIN_TOPICS_FROM = 1,000): the coverage rule alone decides
    small = AgglomerativeTopics(min_topic_size=200, min_coverage=0.9, min_topics=2)
    assert small.choose_cuts(tree, 5, np.full(5, 100))[0] == pytest.approx(2.108377, abs=1e-6)
    # a tree of a 500-paper sample of a 1,000-paper corpus: the corpus size decides
    assert small.choose_cuts(tree, 5, np.full(5, 100), papers=1000)[0] == pytest.approx(0.516268, abs=1e-6)
    # no cut with 3 topics: the cut stays where it was
    assert AgglomerativeTopics(min_topic_size=400, min_coverage=0.9, min_topics=3).choose_cuts(
        tree, 5, weights)[0] == pytest.approx(2.108377, abs=1e-6)


def test_sample_rows_takes_the_smallest_keys_or_evenly_spaced_rows():
    from nbkit.cluster import sample_rows

    keys = np.array([b"d", b"a", b"c", b"a", b"b"], dtype="S1")
    assert sample_rows(5, 3, keys).tolist() == [1, 3, 4]  # a (row 1), a (row 3: equal keys by position), b
    assert sample_rows(5, 2, keys).tolist() == [1, 3]
    assert sample_rows(10, 4).tolist() == [0, 2, 5, 7]  # i * 10 // 4
    assert sample_rows(3, 5, keys[:3]).tolist() == [0, 1, 2]


def _groups(rng, sizes=(30, 24, 18), noise=0.02, dim=12) -> np.ndarray:
    """Three tight groups along orthogonal axes, then two stray papers along axes of their own."""
    parts = [np.eye(dim)[2 * g] * 3 + rng.normal(scale=noise, size=(size, dim)) for g, size in enumerate(sizes)]
    return np.vstack([*parts, np.eye(dim)[[9, 11]] * 3])


def test_fit_on_a_sample_assigns_like_the_full_fit_on_well_separated_groups():
    X = _groups(np.random.default_rng(1))
    keys = np.array([f"{i * 7919 % 101:03d}".encode() for i in range(len(X))])  # a fixed shuffle of the rows
    full = AgglomerativeTopics(distance_threshold=0.5, min_topic_size=5, max_fit_papers=None).fit(X)
    assert full.labels_.tolist() == [0] * 30 + [1] * 24 + [2] * 18 + [-1, -1]
    sampled = AgglomerativeTopics(distance_threshold=0.5, min_topic_size=5, max_fit_papers=30)
    sampled.sample_keys = keys
    sampled.fit(X)
    assert len(sampled.sample_) == 30 and len(sampled.distances_) == 30 * 29 // 2  # only the sample's distances
    assert sampled.labels_.tolist() == full.labels_.tolist()  # strays: similarity 0 to every centre, outliers
    fine = sampled.levels_["fine"]
    for sub in set(fine.tolist()) - {-1}:  # subtopics of the noise within a group: each inside one topic
        assert len(set(sampled.labels_[fine == sub].tolist())) == 1
    # the stability refits: the refit's sampled papers are clustered, the rest of the rows assigned
    rows = np.delete(np.arange(74), [0, 31, 60])  # one paper of each group left out
    assert sampled.refit(rows, min_topic_size=3).tolist() == full.labels_[rows].tolist()


def test_without_keys_the_sample_is_evenly_spaced_and_the_levels_stay_nested():
    X = _groups(np.random.default_rng(2), noise=0.25)
    model = AgglomerativeTopics(min_topic_size=4, max_fit_papers=40).fit(X)
    assert model.sample_.tolist() == (np.arange(40) * 74 // 40).tolist()
    top, fine = model.levels_["top"], model.levels_["fine"]
    assert set(top[:72].tolist()) - {-1} and top.max() >= 2
    for sub in set(fine.tolist()) - {-1}:
        assert len(set(top[fine == sub].tolist())) == 1  # every subtopic inside one topic
    sizes = np.bincount(top[top >= 0])
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)  # numbered by size after the assignment
