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


def save_figure(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write a figure as PNG (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    return path
