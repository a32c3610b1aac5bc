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
from nbkit.schema import STRING

NEAR_DUPLICATE_COLUMNS = ["paper_id_a", "title_a", "paper_id_b", "title_b", "similarity"]


def assign_paper_ids(listings: pd.DataFrame) -> pd.Series:
    """paper_id for each listing: listings sharing a title key or an arXiv id, directly or through a chain."""
    n = len(listings)
    if n == 0:
        return pd.Series([], dtype=STRING, index=listings.index)
    title_codes, title_uniques = pd.factorize(listings["title_key"], use_na_sentinel=True)
    arxiv_codes, _ = pd.factorize(listings["arxiv_id"], use_na_sentinel=True)
    has_arxiv = arxiv_codes >= 0
    rows = np.concatenate([np.arange(n), np.flatnonzero(has_arxiv)])
    cols = np.concatenate([n + title_codes, n + len(title_uniques) + arxiv_codes[has_arxiv]])
    size = n + len(title_uniques) + int(arxiv_codes.max(initial=-1)) + 1
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)

    arxiv_key = _group_min(listings["arxiv_id"], labels[:n])
    title_key = _group_min(listings["title_key"], labels[:n])
    keys = [f"arxiv:{a}" if a is not None else f"title:{t}" for a, t in zip(arxiv_key, title_key, strict=True)]
    ids = np.array([_paper_id(k) for k in keys], dtype=object)
    if len(set(ids)) != len(ids):  # 64-bit digests: a collision would be astronomically unlucky, but never silent
        raise RuntimeError("paper_id hash collision; please report this corpus")
    return pd.Series(pd.array(ids[labels[:n]], dtype=STRING), index=listings.index)


def _group_min(values: pd.Series, groups: np.ndarray) -> list[str | None]:
    """Smallest non-missing value per group 0..max(groups), None where a group has none.

    Most groups hold one distinct value, which is then its minimum; only the rest are compared in Python.
    (A string groupby-min would fall back to Python for every group.)
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    n_groups = int(groups.max()) + 1
    present = codes >= 0
    pairs = pd.DataFrame({"g": groups[present], "c": codes[present]}).drop_duplicates()
    out: list[str | None] = [None] * n_groups
    single = ~pairs["g"].duplicated(keep=False).to_numpy()
    for group, code in zip(pairs["g"].to_numpy()[single], pairs["c"].to_numpy()[single], strict=True):
        out[group] = uniques[code]
    several = pairs[~single]
    for group, found in several.groupby("g")["c"]:
        out[group] = min(uniques[c] for c in found)
    return out


def _paper_id(key: str) -> str:
    return "p" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _group_lists(paper_codes: np.ndarray, values: pd.Series, n_groups: int) -> list[list]:
    """For each group code 0..n_groups-1: the distinct values (or list items) in order of first appearance.

    Groups of one listing (most of them) just copy that listing's value; only the rest go through explode and
    drop_duplicates.
    """
    vals = values.to_numpy(dtype=object)
    is_list = len(vals) > 0 and isinstance(vals[0], list)
    sizes = np.bincount(paper_codes, minlength=n_groups)
    out: list[list] = [[] for _ in range(n_groups)]
    single_rows = np.flatnonzero(sizes[paper_codes] == 1)
    for code, value in zip(paper_codes[single_rows].tolist(), vals[single_rows].tolist(), strict=True):
        out[code] = list(value) if is_list else ([] if value is None or value is pd.NA else [value])
    multi_rows = np.flatnonzero(sizes[paper_codes] > 1)
    if len(multi_rows):
        frame = pd.DataFrame({"g": paper_codes[multi_rows], "v": vals[multi_rows]})
        if is_list:
            frame = frame.explode("v")
        frame = frame[frame["v"].notna()].drop_duplicates()
        for code, items in zip(*_runs(frame["g"].to_numpy(), frame["v"].to_numpy(dtype=object)), strict=True):
            out[code] = items
    return out


def _runs(groups: np.ndarray, values: np.ndarray) -> tuple[list[int], list[list]]:
    """Split values into runs of equal group code (groups need not be sorted; order within a group is kept)."""
    order = np.argsort(groups, kind="stable")
    groups, values = groups[order], values[order]
    if not len(groups):
        return [], []
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    return groups[starts].tolist(), [values[a:b].tolist() for a, b in zip(starts, ends, strict=True)]


_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


def merge_listings(listings: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The papers table (one row per paper_id, in order of first listing) and the list of merge conflicts.

    Rules: title, abstract, authors, author count and arXiv id come from the first listing that has them; the
    date is the most precise one, a written year beating an inferred one, the earliest breaking ties (with its
    precision and inferred flag); upvotes the highest; collections, URLs,
    categories and flags are unions in order of appearance. Listings that disagree on the author count, the date
    or the abstract add `conflict:<field>` to the paper's flags and an entry to the returned conflicts.
    """
    ordered = listings if listings["listing_id"].is_monotonic_increasing else listings.sort_values("listing_id")
    ordered = ordered.reset_index(drop=True)
    codes, uniques = pd.factorize(ordered["paper_id"].to_numpy(dtype=object))  # codes follow first appearance
    n_groups = len(uniques)
    grouped = ordered.groupby(codes, sort=True)

    columns: dict[str, object] = {"paper_id": pd.array(uniques, dtype=STRING)}
    first = grouped[["title", "abstract", "authors", "authors_count", "arxiv_id", "title_key"]].first()
    for column in first.columns:
        columns[column] = first[column].array
    dated = ordered[ordered["published"].notna()]
    dated = (dated.assign(_code=codes[dated.index.to_numpy()],
                          _rank=dated["date_precision"].map(_PRECISION_RANK).fillna(3),
                          _inferred=dated["date_inferred"].fillna(True).astype(bool))
             .sort_values(["_rank", "_inferred", "published", "listing_id"], kind="stable")
             .drop_duplicates("_code")
             .set_index("_code")
             .reindex(range(n_groups)))
    for column in ("published", "date_precision", "date_inferred"):
        columns[column] = dated[column].array
    columns["upvotes"] = grouped["upvotes"].max().array
    sizes = np.bincount(codes, minlength=n_groups)
    columns["n_listings"] = sizes
    first_rows = np.unique(codes, return_index=True)[1]
    places = ordered["source_file"].to_numpy(dtype=object)[first_rows]
    lines = ordered["source_line"].to_numpy(dtype=object)[first_rows]
    columns["first_seen"] = pd.array([f"{f}:{n}" for f, n in zip(places, lines, strict=True)], dtype=STRING)
    for target, source in (("collections", "collection"), ("code_urls", "code_urls"),
                           ("categories", "categories"), ("flags", "flags")):
        columns[target] = _group_lists(codes, ordered[source], n_groups)
    flags: list[list[str]] = columns["flags"]  # type: ignore[assignment]

    conflicts: list[dict] = []
    in_multi = sizes[codes] > 1
    if in_multi.any():
        subset = ordered[in_multi]
        sub_codes = codes[in_multi]
        abstract_hash = pd.Series(pd.util.hash_array(subset["abstract"].to_numpy(dtype=object)),
                                  index=subset.index).where(subset["abstract"].notna())
        disagree = {
            "authors_count": subset["authors_count"].groupby(sub_codes).nunique() > 1,
            "abstract": abstract_hash.groupby(sub_codes).nunique() > 1,
        }
        start, end = _date_span(subset)
        # Dates conflict only if no single day fits them all: `May 2021` and `May 3, 2021` agree.
        disagree["published"] = (start.groupby(sub_codes).max() >= end.groupby(sub_codes).min()).fillna(False)
        for field in ("authors_count", "published", "abstract"):
            bad = disagree[field].index.to_numpy()[disagree[field].to_numpy(dtype=bool)]
            if not len(bad):
                continue
            rows = subset.loc[np.isin(sub_codes, bad), field].dropna()
            found = rows.astype(str).groupby(codes[rows.index.to_numpy()], sort=True).unique()
            for code, values in found.items():
                flags[code] = [*flags[code], f"conflict:{field}"]
                conflicts.append({"paper_id": str(uniques[code]), "field": field,
                                  "values": [v if len(v) <= 80 else v[:77] + "..." for v in values]})
    has_abstract = ~pd.isna(columns["abstract"])
    for code in np.flatnonzero(has_abstract):
        if "missing_abstract" in flags[code]:  # another listing of the paper had the abstract
            flags[code] = [f for f in flags[code] if f != "missing_abstract"]
    for column in ("collections", "code_urls", "categories", "flags"):
        columns[column] = pd.Series(columns[column], dtype=object)
    return pd.DataFrame(columns), conflicts


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
    has_tokens = lengths > 0
    if has_tokens.any():  # owner is sorted, so each title's token hashes are one contiguous run
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[has_tokens]
        total[has_tokens] = np.add.reduceat(token_hash, starts)

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
