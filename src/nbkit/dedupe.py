"""Deduplication: listings of the same paper become one paper, near-identical titles become candidates.

Exact matching is linear: listings are linked to their title key and to their arXiv id, and the connected
components of that graph (scipy.sparse.csgraph) are the papers, so "same title" and "same arXiv id" chain
without any pairwise comparison.

Near duplicates are titles that differ by one word (a typo, a word added or dropped). They are found by blocking,
not by comparing all pairs: each title emits an order-free hash of its word bag and, for titles of four words or
more, one hash per word left out. Titles sharing a hash are compared with rapidfuzz's ratio; pairs at or above
the threshold are reported as candidates and never merged. Buckets larger than `max_bucket` (very generic word
bags) are skipped and counted, which keeps the work linear in the number of titles.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nbkit.clean import spaced_title_keys

NEAR_DUPLICATE_COLUMNS = ["paper_id_a", "title_a", "paper_id_b", "title_b", "similarity"]


def assign_paper_ids(listings: pd.DataFrame) -> pd.Series:
    """paper_id for each listing: listings sharing a title key or an arXiv id, directly or through a chain."""
    n = len(listings)
    if n == 0:
        return pd.Series([], dtype="string", index=listings.index)
    title_codes, title_uniques = pd.factorize(listings["title_key"], use_na_sentinel=True)
    arxiv_codes, _ = pd.factorize(listings["arxiv_id"], use_na_sentinel=True)
    has_arxiv = arxiv_codes >= 0
    rows = np.concatenate([np.arange(n), np.flatnonzero(has_arxiv)])
    cols = np.concatenate([n + title_codes, n + len(title_uniques) + arxiv_codes[has_arxiv]])
    size = n + len(title_uniques) + int(arxiv_codes.max(initial=-1)) + 1
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    group = pd.Series(labels[:n], index=listings.index)

    arxiv_key = listings["arxiv_id"].groupby(group).min()
    title_key = listings["title_key"].groupby(group).min()
    keys = ("title:" + title_key).where(arxiv_key.isna(), "arxiv:" + arxiv_key)
    ids = pd.Series([_paper_id(k) for k in keys], index=keys.index, dtype="string")
    if ids.duplicated().any():  # 64-bit digests: a collision would be astronomically unlucky, but never silent
        raise RuntimeError("paper_id hash collision; please report this corpus")
    return ids.reindex(group.to_numpy()).set_axis(listings.index)


def _paper_id(key: str) -> str:
    return "p" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _group_lists(paper_codes: np.ndarray, values: pd.Series, n_groups: int) -> list[list]:
    """For each group code 0..n_groups-1: the distinct values in order of first appearance."""
    frame = pd.DataFrame({"g": paper_codes, "v": values.to_numpy(dtype=object)})
    if values.map(lambda v: isinstance(v, list)).any():
        frame = frame.explode("v")
    frame = frame[frame["v"].notna()].drop_duplicates()
    frame = frame.sort_values("g", kind="stable")
    groups = frame["g"].to_numpy()
    vals = frame["v"].to_numpy(dtype=object)
    bounds = np.searchsorted(groups, np.arange(n_groups + 1))
    return [vals[bounds[i]:bounds[i + 1]].tolist() for i in range(n_groups)]


_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


def merge_listings(listings: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The papers table (one row per paper_id, in order of first listing) and the list of merge conflicts.

    Rules: title, abstract, authors, author count and arXiv id come from the first listing that has them; the
    date is the most precise one, a written year beating an inferred one, the earliest breaking ties (with its
    precision and inferred flag); upvotes the highest; collections, URLs,
    categories and flags are unions in order of appearance. Listings that disagree on the author count, the date
    or the abstract add `conflict:<field>` to the paper's flags and an entry to the returned conflicts.
    """
    ordered = listings.sort_values("listing_id", kind="stable")
    codes, uniques = pd.factorize(ordered["paper_id"])  # codes follow first appearance
    n_groups = len(uniques)
    by = pd.Series(codes, index=ordered.index)
    grouped = ordered.groupby(by, sort=True)

    first = grouped[["title", "abstract", "authors", "authors_count", "arxiv_id", "title_key"]].first()
    first_row = ordered.drop_duplicates("paper_id")
    dated = ordered[ordered["published"].notna()]
    dated = (dated.assign(_rank=dated["date_precision"].map(_PRECISION_RANK).fillna(3),
                          _inferred=dated["date_inferred"].fillna(True).astype(bool))
             .sort_values(["_rank", "_inferred", "published", "listing_id"], kind="stable")
             .drop_duplicates("paper_id")
             .set_index("paper_id")[["published", "date_precision", "date_inferred"]])

    papers = pd.DataFrame({"paper_id": pd.array(uniques, dtype="string")})
    for column in first.columns:
        papers[column] = first[column].to_numpy()
    papers = papers.join(dated, on="paper_id")
    papers["date_inferred"] = papers["date_inferred"].astype("boolean")
    papers["upvotes"] = grouped["upvotes"].max().to_numpy()
    papers["n_listings"] = grouped.size().to_numpy()
    papers["first_seen"] = (first_row["source_file"] + ":" + first_row["source_line"].astype("string")).to_numpy()
    for target, source in (("collections", "collection"), ("code_urls", "code_urls"),
                           ("categories", "categories"), ("flags", "flags")):
        papers[target] = _group_lists(codes, ordered[source], n_groups)

    conflicts: list[dict] = []
    multi = papers["n_listings"].to_numpy() > 1
    if multi.any():
        disagree = grouped[["authors_count", "abstract"]].nunique() > 1
        start, end = _date_span(ordered)
        # Dates conflict only if no single day fits them all: `May 2021` and `May 3, 2021` agree.
        disagree["published"] = (start.groupby(by).max() >= end.groupby(by).min()).fillna(False)
        for field in ("authors_count", "published", "abstract"):
            for code in np.flatnonzero(multi & disagree[field].to_numpy(dtype=bool)):
                papers.at[code, "flags"] = [*papers.at[code, "flags"], f"conflict:{field}"]
                values = ordered.loc[codes == code, field].dropna().astype(str).unique().tolist()
                conflicts.append({"paper_id": str(uniques[code]), "field": field,
                                  "values": [v if len(v) <= 80 else v[:77] + "..." for v in values]})
    has_abstract = papers["abstract"].notna().to_numpy()
    papers["flags"] = [
        [f for f in flags if f != "missing_abstract"] if keep else flags
        for flags, keep in zip(papers["flags"], has_abstract, strict=True)
    ]
    return papers, conflicts


def _date_span(listings: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The [start, end) range of days each listing's date allows, given its precision."""
    start = listings["published"]
    precision = listings["date_precision"].fillna("day").to_numpy()
    end = start + pd.Timedelta(days=1)
    for code, freq in (("month", "M"), ("year", "Y")):
        rows = precision == code
        if rows.any():
            end[rows] = (start[rows].dt.to_period(freq) + 1).dt.to_timestamp().astype(start.dtype)
    return start, end


def find_near_duplicates(listings: pd.DataFrame, threshold: float = 90.0,
                         max_bucket: int = 50) -> tuple[pd.DataFrame, int]:
    """Pairs of different papers whose titles nearly match, and the number of buckets skipped as too generic."""
    variants = listings.drop_duplicates(["paper_id", "title_key"])[["paper_id", "title"]].reset_index(drop=True)
    spaced = spaced_title_keys(variants["title"])
    words = pa.array(spaced.array)
    words = pc.if_else(pc.equal(words, ""), pa.scalar(None, words.type), words)
    tokens = pc.split_pattern(words, " ")
    lengths = pc.fill_null(pc.list_value_length(tokens), 0).to_numpy()
    flat = pc.list_flatten(tokens).to_numpy(zero_copy_only=False)
    owner = np.repeat(np.arange(len(variants)), lengths)
    token_hash = pd.util.hash_array(flat.astype(object))
    total = np.zeros(len(variants), dtype=np.uint64)
    np.add.at(total, owner, token_hash)

    full_owners = np.flatnonzero(lengths >= 2)
    drop = lengths[owner] >= 4
    keys = np.concatenate([total[full_owners], total[owner[drop]] - token_hash[drop]])
    owners = np.concatenate([full_owners, owner[drop]])
    buckets = pd.DataFrame({"key": keys, "owner": owners}).drop_duplicates()
    sizes = buckets["key"].map(buckets["key"].value_counts())
    skipped = int(buckets.loc[sizes > max_bucket, "key"].nunique())
    buckets = buckets[(sizes >= 2) & (sizes <= max_bucket)]
    pairs = buckets.merge(buckets, on="key")
    pairs = pairs[pairs["owner_x"] < pairs["owner_y"]][["owner_x", "owner_y"]].drop_duplicates()
    a, b = pairs["owner_x"].to_numpy(), pairs["owner_y"].to_numpy()
    ids = variants["paper_id"].to_numpy(dtype=object)
    different = ids[a] != ids[b]
    a, b = a[different], b[different]
    if len(a) == 0:
        return pd.DataFrame(columns=NEAR_DUPLICATE_COLUMNS), skipped
    texts = spaced.to_numpy(dtype=object)
    scores = process.cpdist(texts[a].tolist(), texts[b].tolist(), scorer=fuzz.ratio)
    out = pd.DataFrame({
        "paper_id_a": ids[a], "title_a": variants["title"].to_numpy(dtype=object)[a],
        "paper_id_b": ids[b], "title_b": variants["title"].to_numpy(dtype=object)[b],
        "similarity": np.round(scores.astype(float), 1),
    })
    out = out[out["similarity"] >= threshold]
    swap = out["paper_id_a"] > out["paper_id_b"]  # one row per unordered pair of papers
    out.loc[swap, NEAR_DUPLICATE_COLUMNS[:4]] = out.loc[swap, ["paper_id_b", "title_b", "paper_id_a", "title_a"]].to_numpy()
    out = (out.sort_values(["similarity", "paper_id_a", "paper_id_b"], ascending=[False, True, True])
              .drop_duplicates(["paper_id_a", "paper_id_b"])
              .reset_index(drop=True))
    return out, skipped
