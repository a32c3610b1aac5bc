"""Figures for the tables nbkit.describe computes. Each plot_* only draws a table it is given onto an Axes (a new
figure when none is passed) and returns the Axes; nothing here changes matplotlib's global state."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _short(label: object, width: int = 18) -> str:
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_listings_per_collection(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bars of listings and distinct papers per collection (compute_listings_per_collection)."""
    ax = _axes(ax, (7, 3.2))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["listings"], width=0.4, label="listings")
    ax.bar(x + 0.2, table["papers"], width=0.4, label="papers")
    ax.set_xticks(x, [_short(c) for c in table.index], rotation=30, ha="right")
    ax.set_ylabel("count")
    ax.set_title("Listings and papers per collection")
    ax.legend(frameon=False)
    return ax


def plot_collection_overlap(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Heatmap of shared papers between collections (compute_collection_overlap), counts written in the cells."""
    ax = _axes(ax, (5.5, 4.5))
    values = table.to_numpy()
    image = ax.imshow(values, cmap="Blues")
    labels = [_short(c, 14) for c in table.index]
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    limit = values.max() / 2 if values.size else 0
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, str(value), ha="center", va="center", color="white" if value > limit else "black", fontsize=8)
    ax.set_title("Papers shared between collections")
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return ax


def plot_year_counts(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Stacked bars of papers per year, written year vs inferred year (compute_year_counts)."""
    ax = _axes(ax, (6, 3))
    years = [str(y) for y in table.index]
    ax.bar(years, table["exact"], label="year written")
    ax.bar(years, table["inferred"], bottom=table["exact"], label="year inferred")
    ax.set_ylabel("papers")
    ax.set_title("Papers per publication year")
    ax.legend(frameon=False)
    return ax


def plot_code_hosts(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Horizontal bars of papers per code host (compute_code_hosts), most common on top."""
    ax = _axes(ax, (6, 0.4 * max(len(table), 3) + 1))
    ax.barh(table["host"][::-1], table["papers"][::-1])
    ax.set_xlabel("papers linking there")
    ax.set_title("Code and project hosts")
    return ax


def plot_topic_sizes(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Horizontal bars of papers per topic, largest on top, outliers grey (compute_topic_table)."""
    ax = _axes(ax, (7, 0.3 * len(table) + 1.2))
    names = [f"{t}: {_short(label, 45)}" for t, label in zip(table.index, table["label"], strict=True)]
    colours = ["lightgrey" if t == -1 else "tab:blue" for t in table.index]
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["size"], color=colours)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("papers")
    ax.set_title("Papers per topic", y=1.0)  # y given: no search for a place clear of top ticks (there are none)
    return ax


def plot_topic_map(points: pd.DataFrame, ax: Axes | None = None, max_legend: int = 12) -> Axes:
    """Papers in 2-D (compute_topic_map), coloured by topic; outliers as small grey dots."""
    ax = _axes(ax, (7.5, 5.5))
    outliers = points[points["topic"] == -1]
    ax.scatter(outliers["x"], outliers["y"], s=6, color="lightgrey", label="outliers")
    colours = plt.get_cmap("tab20")
    for i, (topic, group) in enumerate(points[points["topic"] != -1].groupby("topic", sort=True)):
        ax.scatter(group["x"], group["y"], s=12, color=colours(i % 20),
                   label=f"{topic}: {_short(group['label'].iloc[0], 30)}" if i < max_legend else None)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Papers by topic (principal components of the embeddings)", y=1.0)  # as plot_topic_sizes
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    return ax


def plot_topic_terms(terms: pd.DataFrame, n_topics: int = 8, n_terms: int = 6, columns: int = 4) -> Figure:
    """One small bar chart of top terms per topic (compute_topic_terms), for the first `n_topics` topics.

    The panels are placed by measures in inches, with room on the left of each for its widest term, rather than by
    a constrained layout: that measured every label of every panel again on each of its passes, which cost more CPU
    than drawing the figure. Titles are given their place too (nothing is drawn above a panel)."""
    from matplotlib.ticker import MaxNLocator

    topics = sorted(terms["topic"].unique())[:n_topics]
    parts = [terms[terms["topic"] == topic].nsmallest(n_terms, "rank") for topic in topics]
    names = [[_short(t, 22) for t in part["term"]] for part in parts]
    rows = max(1, -(-len(topics) // columns))
    # inches: a panel holds its terms (the widest, measured, plus 0.2 for the ticks), bars 1.75 wide, a gap of 0.15, and
    # in its height of 2 its title (0.25) and x ticks (0.25); the figure's title takes 0.35 on top
    labels = _text_width([name for panel in names for name in panel], size=7) + 0.2
    bars, gap, row_height, title, ticks, top = 1.75, 0.15, 2.0, 0.25, 0.25, 0.35
    panel = labels + bars + gap
    width, height = panel * columns, row_height * rows + top
    figure = Figure(figsize=(width, height))
    for i, (topic, part, panel_names) in enumerate(zip(topics, parts, names, strict=True)):
        row, column = divmod(i, columns)
        left, bottom = panel * column + labels, height - top - row_height * (row + 1) + ticks
        ax = figure.add_axes((left / width, bottom / height, bars / width, (row_height - title - ticks) / height))
        y = np.arange(len(part))[::-1]
        ax.barh(y, part["weight"], color="tab:blue")
        ax.set_yticks(y, panel_names, fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        ax.tick_params(axis="x", labelsize=6)
        ax.set_title(f"topic {topic}", fontsize=9, y=1.0, pad=4)
    figure.suptitle("Top terms per topic", y=1 - 0.08 / height, va="top")
    return figure


def _text_width(texts: list[str], size: float) -> float:
    """Width in inches of the widest of `texts` in matplotlib's default font at `size` points (0 for none)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer, font = RendererAgg(1, 1, 72), FontProperties(size=size)  # at 72 dpi a pixel is a point
    widths = [renderer.get_text_width_height_descent(t, font, ismath=False)[0] for t in set(texts)]
    return max(widths, default=0.0) / 72


def _shade_thin(ax: Axes, thin: np.ndarray) -> None:
    """Grey bands behind thin periods (too few dated papers to say much), each labelled "thin" at the top."""
    transform = ax.get_xaxis_transform()  # x in data, y in axes fractions
    for x in np.flatnonzero(thin):
        ax.axvspan(x - 0.5, x + 0.5, color="0.9", zorder=0, linewidth=0)
        ax.text(x, 0.98, "thin", transform=transform, ha="center", va="top", fontsize=7, color="0.4")


def _period_ticks(ax: Axes, periods: list[str]) -> None:
    x = np.arange(len(periods))
    step = max(1, len(periods) // 16)
    ax.set_xticks(x[::step], periods[::step], rotation=45, ha="right", fontsize=8)


def plot_period_counts(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bars of dated papers per period (compute_period_counts); an incomplete last period is hatched and labelled,
    thin periods are shaded and labelled."""
    ax = _axes(ax, (7, 3))
    x = np.arange(len(table))
    bars = ax.bar(x, table["papers"], color="tab:blue")
    if "thin" in table:
        _shade_thin(ax, table["thin"].to_numpy())
    for bar, complete in zip(bars, table["complete"], strict=True):
        if not complete:
            bar.set_facecolor("white")
            bar.set_edgecolor("tab:blue")
            bar.set_hatch("//")
            ax.annotate("incomplete", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=7)
    _period_ticks(ax, list(table.index))
    ax.set_ylabel("dated papers")
    ax.set_title("Papers per period (grey: thin)" if "thin" in table and table["thin"].any() else "Papers per period")
    return ax


def _share_lines(ax: Axes, table: pd.DataFrame, series: str, names: list) -> None:
    """One line per name (rows of `table` where `series` equals it, in period order) with its 95% band; the
    segment into an incomplete last period dashed; thin periods shaded."""
    periods = list(dict.fromkeys(table["period"]))
    first = table[table[series] == table[series].iloc[0]] if len(table) else table
    complete = first["complete"].to_numpy() if len(first) else np.zeros(0, dtype=bool)
    last_ok = len(periods) - (1 if len(complete) and not complete[-1] else 0)
    x = np.arange(len(periods))
    for i, name in enumerate(names):
        rows = table[table[series] == name]
        colour = plt.get_cmap("tab10")(i % 10)
        share = rows["share"].to_numpy(dtype=float)
        ax.fill_between(x, rows["share_low"].to_numpy(dtype=float), rows["share_high"].to_numpy(dtype=float),
                        color=colour, alpha=0.15, linewidth=0)
        ax.plot(x[:last_ok], share[:last_ok], marker="o", color=colour, label=_short(name, 40))
        if 0 < last_ok < len(periods):
            ax.plot(x[last_ok - 1:], share[last_ok - 1:], linestyle="--", marker="o", color=colour)
    _shade_thin(ax, first["thin"].to_numpy() if len(first) else np.zeros(0, dtype=bool))
    _period_ticks(ax, periods)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the period's papers")
    if names:  # no dated paper: an empty frame, and no legend to complain about
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))


def plot_keyword_trends(trend: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Lines of each keyword's share of the period's papers with 95% bands (compute_keyword_trends); an
    incomplete last period dashed, thin periods shaded and labelled."""
    ax = _axes(ax, (7, 3.2))
    _share_lines(ax, trend, "keyword", list(dict.fromkeys(trend["keyword"])))
    ax.set_title("Keyword shares over time, 95% bands (dashed: incomplete period)")
    return ax


def plot_topic_shares(shares: pd.DataFrame, top: int = 6, ax: Axes | None = None) -> Axes:
    """Lines of the `top` largest topics' shares of the period's papers with 95% bands (compute_topic_shares);
    an incomplete last period dashed, thin periods shaded and labelled; "(unstable)" after an unstable topic."""
    ax = _axes(ax, (7.5, 3.5))
    named = shares[shares["topic"] != -1]
    sizes = named.groupby("topic", sort=True)["papers"].sum().sort_values(ascending=False, kind="stable")
    keep = sizes.index[:top].tolist()
    table = shares[shares["topic"].isin(keep)].copy()
    table["name"] = (table["topic"].astype(str) + ": " + table["label"].astype(str)
                     + np.where(table["unstable"], " (unstable)", ""))
    names = [table.loc[table["topic"] == t, "name"].iloc[0] for t in keep]
    _share_lines(ax, table, "name", names)
    ax.set_title(f"Shares of the {len(keep)} largest topics, 95% bands")
    return ax


def plot_share_intervals(table: pd.DataFrame, group: str, category: str, title: str, top: int | None = 8,
                         ax: Axes | None = None) -> Axes:
    """Dots with 95% error bars: each group's (rows) share of each category (colours), from a long share table
    (compute_keyword_shares_by_collection, compare.compute_collection_topic_shares); the `top` categories with
    most papers (None: all); a thin group is labelled so."""
    categories = table.groupby(category, sort=False)["papers"].sum()
    if top is not None:
        categories = categories.sort_values(ascending=False, kind="stable").iloc[:top]
    names = list(categories.index)
    groups = list(dict.fromkeys(table[group]))
    ax = _axes(ax, (7.5, 0.45 * len(groups) * max(1, len(names)) ** 0.5 + 1.5))
    step = 0.8 / max(1, len(names))
    y = np.arange(len(groups))[::-1]
    for i, name in enumerate(names):
        rows = table[table[category] == name].set_index(group).reindex(groups)
        share = rows["share"].to_numpy(dtype=float)
        errors = np.vstack([share - rows["share_low"].to_numpy(dtype=float),
                            rows["share_high"].to_numpy(dtype=float) - share])
        ax.errorbar(share, y + 0.4 - step * (i + 0.5), xerr=np.nan_to_num(errors), fmt="o", markersize=3,
                    capsize=2, color=plt.get_cmap("tab10")(i % 10), label=_short(name, 40))
    thin = table.drop_duplicates(group).set_index(group)["thin"].reindex(groups).fillna(False).to_numpy()
    ax.set_yticks(y, [_short(g, 22) + (" (thin)" if t else "") for g, t in zip(groups, thin, strict=True)],
                  fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the group's papers (95% interval)")
    ax.set_title(title)
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    return ax


def plot_share_heatmap(table: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """Heatmap of a rows x columns table of shares (0-1), values written in the cells."""
    ax = _axes(ax, (1.2 * len(table.columns) + 3, 0.45 * len(table) + 1.5))
    values = table.to_numpy(dtype=float)
    ax.imshow(values, cmap="Blues", vmin=0, vmax=max(values.max(), 1e-9) if values.size else 1, aspect="auto")
    ax.set_xticks(range(len(table.columns)), [_short(c, 22) for c in table.columns], rotation=30, ha="right",
                  fontsize=8)
    ax.set_yticks(range(len(table)), [_short(r, 22) for r in table.index], fontsize=8)
    limit = values.max() / 2 if values.size else 0
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                color="white" if value > limit else "black")
    ax.set_title(title)
    return ax


def plot_topic_trends(table: pd.DataFrame, top: int = 8, ax: Axes | None = None) -> Axes:
    """Stacked bars of dated papers per period by topic (compute_topic_trends): the `top` largest topics, the
    rest as "other"."""
    ax = _axes(ax, (7.5, 3.5))
    named = [c for c in table.columns if not str(c).startswith("-1:")]
    keep = table[named].sum().sort_values(ascending=False).index[:top].tolist()
    rest = table.drop(columns=keep).sum(axis=1)
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for i, column in enumerate(keep):
        ax.bar(x, table[column], bottom=bottom, color=plt.get_cmap("tab10")(i % 10), label=_short(column, 40))
        bottom += table[column].to_numpy()
    ax.bar(x, rest, bottom=bottom, color="lightgrey", label="other topics and outliers")
    step = max(1, len(table) // 16)
    ax.set_xticks(x[::step], table.index[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("dated papers")
    ax.set_title("Topics over time")
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    return ax


def plot_residuals(residuals: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Diverging heatmap of adjusted standardized residuals (collections x topics); |r| > 2 written in bold."""
    ax = _axes(ax, (0.9 * len(residuals.columns) + 3, 0.5 * len(residuals) + 2))
    values = residuals.to_numpy(dtype=float)
    limit = max(2.5, float(np.nanmax(np.abs(values)))) if values.size else 2.5
    ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(residuals.columns)), [_short(c, 20) for c in residuals.columns], rotation=45,
                  ha="right", fontsize=7)
    ax.set_yticks(range(len(residuals)), [_short(r, 22) for r in residuals.index], fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=7,
                    fontweight="bold" if abs(value) > 2 else "normal")
    ax.set_title("Adjusted standardized residuals: collection x topic")
    return ax


def save_figure(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write a figure as PNG (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    return path


def show_figure(figure: Figure, path: str | Path, dpi: int = 100) -> None:
    """Write a figure as PNG (save_figure), close it and show that same PNG in the notebook: the figure is drawn
    once. Left open, Jupyter's inline backend would draw it again for the notebook (a second render at another
    resolution, 0.3-1.5 s of CPU per figure); the notebook now shows exactly the file written."""
    from IPython.display import Image, display

    save_figure(figure, path, dpi)
    plt.close(figure)  # or the inline backend draws it again when the cell ends
    display(Image(data=Path(path).read_bytes(), format="png"))
