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
