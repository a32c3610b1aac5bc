"""Each plot draws its table: one bar per row, one cell per pair."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

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


def test_show_figure_shows_the_png_it_wrote_and_closes_the_figure(tmp_path, monkeypatch):
    """One render: the notebook shows the file's own bytes, and the closed figure is not drawn again at the cell's
    end by Jupyter's inline backend."""
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    years = pd.DataFrame({"papers": [3, 1], "exact": [2, 1], "inferred": [1, 0]}, index=[2024, 2025])
    figure = plots.plot_year_counts(years).figure
    assert plots.show_figure(figure, tmp_path / "fig" / "years.png", dpi=50) is None  # no Path echoed in a cell
    written = (tmp_path / "fig" / "years.png").read_bytes()
    [image] = shown
    assert image.format == "png" and image.data == written
    assert int.from_bytes(written[16:20], "big") == 6 * 50  # PNG width: the 6-inch figure at dpi=50
    assert not plt.fignum_exists(figure.number)


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


def test_the_terms_panels_are_placed_so_that_long_terms_and_titles_stay_clear_of_each_other():
    """plot_topic_terms places its panels by fixed measures (no layout engine): terms cut at 22 characters,
    their ticks and titles, must fit inside the figure and never run into the next panel."""
    long = ["reinforcement learning", "catastrophic forgetting in continual learning", "mmmmmmmmmmmmmmmmmmmmmmmm",
            "test-time scaling", "wide", "pretraining distribution"]
    terms = pd.DataFrame([{"topic": t, "label": "x", "rank": r + 1, "term": term, "weight": 2.5 - r * 0.3}
                          for t in range(8) for r, term in enumerate(long)])
    figure = plots.plot_topic_terms(terms)
    renderer = FigureCanvasAgg(figure).get_renderer()
    boxes = [ax.get_tightbbox(renderer) for ax in figure.axes]
    assert len(boxes) == 8
    inside = figure.bbox
    for box in boxes:
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    title = figure._suptitle.get_window_extent(renderer)
    assert all(not title.overlaps(box) for box in boxes)


def test_trend_plots_mark_the_incomplete_period():
    periods = pd.DataFrame({"papers": [4, 6, 2], "complete": [True, True, False]}, index=["2023", "2024", "2025"])
    ax = plots.plot_period_counts(periods)
    assert [p.get_height() for p in ax.patches] == [4, 6, 2]
    assert [p.get_hatch() for p in ax.patches] == [None, None, "//"]
    assert [t.get_text() for t in ax.texts] == ["incomplete"]
    trend = pd.DataFrame({"period": ["2023", "2024", "2025"], "keyword": "agents", "share": [0.1, 0.2, 0.3],
                          "share_low": [0.0, 0.1, 0.05], "share_high": [0.4, 0.3, 0.7],
                          "complete": [True, True, False], "thin": [False, True, True]})
    ax = plots.plot_keyword_trends(trend)
    solid, dashed = ax.lines
    assert list(solid.get_ydata()) == [0.1, 0.2] and list(dashed.get_ydata()) == [0.2, 0.3]
    assert dashed.get_linestyle() == "--"
    band = ax.collections[0].get_paths()[0].vertices  # the 95% band: lows then highs, closed
    assert {(x, y) for x, y in band} >= {(0, 0.0), (1, 0.1), (2, 0.05), (0, 0.4), (1, 0.3), (2, 0.7)}
    assert [t.get_text() for t in ax.texts] == ["thin", "thin"]  # 2024 and 2025, shaded
    assert len(ax.patches) == 2
    periods["thin"] = [False, True, False]
    assert [t.get_text() for t in plots.plot_period_counts(periods).texts] == ["thin", "incomplete"]
    shares = pd.DataFrame({"collection": ["a", "a", "b", "b"], "keyword": ["x", "y", "x", "y"],
                           "papers": [1, 4, 2, 0], "share": [0.25, 0.75, 0.5, 0.0],
                           "share_low": [0.01, 0.2, 0.1, 0.0], "share_high": [0.8, 0.99, 0.9, 0.6],
                           "thin": [True, True, False, False]})
    ax = plots.plot_share_intervals(shares, "collection", "keyword", "t", top=1)
    # the top category is y (4 papers against 3): one series of dots at its shares, error bars to its ends
    (bars,) = ax.containers
    assert list(bars.lines[0].get_xdata()) == [0.75, 0.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a (thin)", "b"]
    topic_shares = pd.DataFrame({"period": ["2023"] * 3 + ["2024"] * 3, "topic": [0, 1, -1] * 2,
                                 "label": ["a", "b", "outliers"] * 2, "unstable": [False, True, False] * 2,
                                 "papers": [1, 5, 9, 1, 5, 9], "share": [0.1, 0.5, 0.4, 0.1, 0.5, 0.4],
                                 "share_low": 0.0, "share_high": 0.9, "complete": True, "thin": False})
    ax = plots.plot_topic_shares(topic_shares, top=1)
    # the largest topic (1, 10 papers) only, outliers never; its unstable flag in the legend
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1: b (unstable)"]
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
