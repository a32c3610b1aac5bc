"""Each plot draws its table: one bar per row, one cell per pair."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from nbkit import plots


def test_plots_draw_their_tables(tmp_path):
    per = pd.DataFrame({"listings": [2, 3], "papers": [2, 2]}, index=["a", "b"])
    ax = plots.plot_listings_per_collection(per)
    assert len(ax.patches) == 4 and [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    overlap = pd.DataFrame([[2, 1], [1, 2]], index=["a", "b"], columns=["a", "b"])
    ax = plots.plot_collection_overlap(overlap)
    assert [t.get_text() for t in ax.texts] == ["2", "1", "1", "2"]
    years = pd.DataFrame({"papers": [3, 1], "exact": [2, 1], "inferred": [1, 0]}, index=[2024, 2025])
    ax = plots.plot_year_counts(years)
    assert [p.get_height() for p in ax.patches] == [2, 1, 1, 0]
    hosts = pd.DataFrame({"host": ["github.com", "github.io"], "papers": [5, 2], "urls": [6, 2]})
    ax = plots.plot_code_hosts(hosts)
    assert sorted(p.get_width() for p in ax.patches) == [2, 5]
    path = plots.save_figure(ax.figure, tmp_path / "fig" / "hosts.png", dpi=50)
    assert path.read_bytes()[:4] == b"\x89PNG"
    plt.close("all")


def test_topic_plots_draw_their_tables():
    table = pd.DataFrame({"size": [5, 3, 2], "label": ["speech", "robots", "outliers"]}, index=[0, 1, -1])
    ax = plots.plot_topic_sizes(table)
    assert [p.get_width() for p in ax.patches] == [5, 3, 2]
    assert ax.patches[2].get_facecolor()[:3] == matplotlib.colors.to_rgb("lightgrey")  # outliers grey
    points = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "topic": [0, 1, -1],
                           "label": ["speech", "robots", "outliers"]})
    ax = plots.plot_topic_map(points)
    assert [len(c.get_offsets()) for c in ax.collections] == [1, 1, 1]
    terms = pd.DataFrame({"topic": [0, 0, 1], "label": "x", "rank": [1, 2, 1], "term": ["a", "b", "c"],
                          "weight": [0.5, 0.25, 0.75]})
    figure = plots.plot_topic_terms(terms, columns=2)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [[p.get_width() for p in ax.patches] for ax in visible] == [[0.5, 0.25], [0.75]]
    plt.close("all")


def test_trend_plots_mark_the_incomplete_period():
    periods = pd.DataFrame({"papers": [4, 6, 2], "complete": [True, True, False]}, index=["2023", "2024", "2025"])
    ax = plots.plot_period_counts(periods)
    assert [p.get_height() for p in ax.patches] == [4, 6, 2]
    assert [p.get_hatch() for p in ax.patches] == [None, None, "//"]
    assert [t.get_text() for t in ax.texts] == ["incomplete"]
    shares = pd.DataFrame({"agents": [0.1, 0.2, 0.3]}, index=["2023", "2024", "2025"])
    ax = plots.plot_keyword_trends(shares, periods["complete"])
    solid, dashed = ax.lines
    assert list(solid.get_ydata()) == [0.1, 0.2] and list(dashed.get_ydata()) == [0.2, 0.3]
    assert dashed.get_linestyle() == "--"
    ax = plots.plot_share_heatmap(pd.DataFrame({"agents": [0.25, 0.5]}, index=["a", "b"]), "t")
    assert [t.get_text() for t in ax.texts] == ["0.25", "0.50"]
    trend = pd.DataFrame({"0: a": [1, 2], "1: b": [1, 3], "-1: outliers": [1, 1]}, index=["2023", "2024"])
    ax = plots.plot_topic_trends(trend, top=1)
    # topic 1 (4 papers) kept, topic 0 and the outliers as "other": bars 1, 3, then 1+1, 2+1
    assert [p.get_height() for p in ax.patches] == [1, 3, 2, 3]
    residuals = pd.DataFrame({"0: a": [2.5, -2.5], "1: b": [-0.4, 0.4]}, index=["x", "y"])
    ax = plots.plot_residuals(residuals)
    assert [(t.get_text(), t.get_fontweight()) for t in ax.texts] == [
        ("2.5", "bold"), ("-0.4", "normal"), ("-2.5", "bold"), ("0.4", "normal")]
    plt.close("all")
