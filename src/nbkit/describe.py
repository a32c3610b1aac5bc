"""Descriptive tables of a loaded corpus, as the corpus notebook shows them.

Each compute_* function takes the papers (and listings) tables and returns a DataFrame with a fixed row order and
floats rounded to 3 decimals, so notebook outputs are stable; nbkit.plots draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from nbkit.clean import url_host


def compute_listings_per_collection(listings: pd.DataFrame, papers: pd.DataFrame) -> pd.DataFrame:
    """Per collection (sorted by name): listings, distinct papers, papers listed in no other collection, and
    listings that carry a date."""
    shared = papers.set_index("paper_id")["collections"].map(len)
    frame = listings.assign(_only_here=listings["paper_id"].map(shared).to_numpy() == 1,
                            _dated=listings["published"].notna())
    grouped = frame.groupby("collection", sort=True)
    out = pd.DataFrame({
        "listings": grouped.size(),
        "papers": grouped["paper_id"].nunique(),
        "papers_only_here": frame[frame["_only_here"]].groupby("collection")["paper_id"].nunique(),
        "dated_listings": grouped["_dated"].sum(),
    }).fillna(0).astype("int64")
    out.index = out.index.astype(str)
    out.index.name = "collection"
    return out


def compute_field_coverage(papers: pd.DataFrame) -> pd.DataFrame:
    """How many papers have each field, and the share of all papers."""
    n = len(papers)
    has = {
        "published date": papers["published"].notna(),
        "exact date (year written)": papers["published"].notna() & ~papers["date_inferred"].fillna(False),
        "author count": papers["authors_count"].notna(),
        "upvotes": papers["upvotes"].notna(),
        "abstract": papers["abstract"].notna(),
        "code/project URL": papers["code_urls"].map(len) > 0,
        "arXiv id": papers["arxiv_id"].notna(),
    }
    counts = pd.Series({field: int(mask.sum()) for field, mask in has.items()}, dtype="int64")
    out = pd.DataFrame({"papers_with": counts, "share": (counts / n if n else counts * 0.0).round(3)})
    out.index.name = "field"
    return out


def compute_collection_overlap(papers: pd.DataFrame) -> pd.DataFrame:
    """Collections x collections: papers listed in both (the diagonal: papers in that collection)."""
    exploded = papers[["paper_id", "collections"]].explode("collections").dropna()
    names = sorted(exploded["collections"].unique())
    if not names:
        return pd.DataFrame(dtype="int64")
    rows = pd.factorize(exploded["paper_id"])[0]
    cols = pd.Index(names).get_indexer(exploded["collections"])
    incidence = np.zeros((rows.max() + 1, len(names)), dtype=np.int64)
    incidence[rows, cols] = 1
    out = pd.DataFrame(incidence.T @ incidence, index=names, columns=names)
    out.index.name = "collection"
    return out


def compute_year_counts(papers: pd.DataFrame) -> pd.DataFrame:
    """Papers per publication year, split into years written in the source and years inferred."""
    dated = papers[papers["published"].notna()]
    if dated.empty:
        return pd.DataFrame({"papers": [], "exact": [], "inferred": []}, dtype="int64").rename_axis("year")
    year = dated["published"].dt.year.rename("year")
    inferred = dated["date_inferred"].fillna(False).astype(bool)
    out = pd.DataFrame({
        "papers": year.value_counts(),
        "exact": year[~inferred].value_counts(),
        "inferred": year[inferred].value_counts(),
    }).fillna(0).astype("int64").sort_index()
    out.index.name = "year"
    return out


def compute_code_hosts(papers: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The hosts of code and project URLs: papers linking there and URLs, most papers first."""
    pairs = papers[["paper_id", "code_urls"]].explode("code_urls").dropna()
    if pairs.empty:
        return pd.DataFrame({"host": [], "papers": [], "urls": []}).astype({"papers": "int64", "urls": "int64"})
    pairs["host"] = pairs["code_urls"].map(url_host)
    out = (pairs.groupby("host")
           .agg(papers=("paper_id", "nunique"), urls=("code_urls", "size"))
           .reset_index()
           .sort_values(["papers", "host"], ascending=[False, True], kind="stable")
           .head(top)
           .reset_index(drop=True))
    return out.astype({"papers": "int64", "urls": "int64"})


def write_tables(tables: Mapping[str, pd.DataFrame], output_dir: str | Path) -> list[Path]:
    """Each table as `<name>.csv` in output_dir (created if needed)."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=not isinstance(table.index, pd.RangeIndex))  # a plain row number is noise
        written.append(path)
    return written
