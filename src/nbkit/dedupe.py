"""Deduplication: listings of the same paper become one paper, near-identical titles become candidates.

Exact matching is linear: listings are linked to their DOI, their arXiv id and their title key, and the connected
components of that graph (scipy.sparse.csgraph) are the papers, so "same DOI", "same arXiv id" and "same title"
chain without any pairwise comparison.

Identifiers outrank titles. Two listings with the same title key but different DOIs are different papers (an
erratum, a conference and a journal paper, "Editorial"): a title link never joins two DOIs. The rule, exactly:

1. Strong groups: listings joined by DOI or arXiv id (directly or through a chain). A strong group can hold two
   DOIs only through an arXiv id (a preprint and its journal version): it stays one paper, flagged `conflict:doi`.
2. Title links join strong groups unless that would put two different DOIs in one paper. Where a title key is
   shared by strong groups with different DOIs, those groups stay apart; the groups without a DOI that share
   the title key (directly or through each other) are merged among themselves and join a DOI group only if they
   touch exactly one; touching several, they stay a paper of their own. Example: A (DOI x, title t),
   B (title t, no DOI), C (DOI y, title t) give three papers; with C absent, A and B are one paper.
3. Papers left apart by rule 2 that share a title key are reported as near duplicates with similarity 100 and
   reason `same title, DOIs differ` (never merged).

Components whose listings hold at most one distinct DOI (nearly all) are final after the linear pass; only the
others are re-grouped by the rule above, in Python.

Near duplicates are titles that differ by one word (a typo, a word added or dropped). They are found by blocking,
not by comparing all pairs: each title emits an order-free hash of its word bag and, for titles of four words or
more, one hash per word left out. Titles sharing a hash are compared with rapidfuzz's ratio; pairs at or above
the threshold are reported as candidates and never merged. Buckets larger than `max_bucket` (very generic word
bags) are skipped and counted, which keeps the work linear in the number of titles.

Everything here works on integer codes in numpy and pandas; Python loops run only over the papers that have more
than one listing.
"""

from __future__ import annotations

import itertools
import operator
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nbkit.clean import spaced_title_keys
from nbkit.schema import STRING

NEAR_DUPLICATE_COLUMNS = ["paper_id_a", "title_a", "paper_id_b", "title_b", "similarity", "reason"]
SIMILAR_TITLE = "similar title"
SAME_TITLE_DOIS_DIFFER = "same title, DOIs differ"

# SipHash-2-4 keys for paper ids (16 bytes each; changing them changes every paper_id).
_ID_KEY_TITLE = "nbkit:title:v1.."
_ID_KEY_ARXIV = "nbkit:arxiv:v1.."
_ID_KEY_DOI = "nbkit:doi:v1...."
_ID_KEY_PLACE = "nbkit:place:v1.."


class Grouping(NamedTuple):
    """Which paper each listing belongs to."""

    codes: np.ndarray  # per listing: paper number, numbered in order of first listing
    paper_ids: np.ndarray  # per paper number: its paper_id
    title_codes: np.ndarray  # per listing: number of its title key (-1: no title key)


def paper_ids_for(keys: pd.Series, arxiv: bool | str) -> np.ndarray:
    """Stable ids: `p` + 16 hex digits of SipHash-2-4 (64 bits) over the title key, the arXiv id or the DOI.

    `arxiv` names what the keys are: True (arXiv ids), False (title keys), or "doi" / "place" (DOIs; `file:line`
    of a listing that has no title key). Computed in C by pandas' hash_array with nbkit's own hash keys, so the
    ids do not depend on the platform, on Python's per-process string hashing, or on pandas' default key.
    """
    return _id_texts(_id_hashes(keys, arxiv))


def _id_hashes(keys: pd.Series, arxiv: bool | str) -> np.ndarray:
    hash_key = {True: _ID_KEY_ARXIV, False: _ID_KEY_TITLE, "doi": _ID_KEY_DOI, "place": _ID_KEY_PLACE}[arxiv]
    return pd.util.hash_array(keys.to_numpy(dtype=object), hash_key=hash_key, categorize=False)


def _id_texts(hashes: np.ndarray) -> np.ndarray:
    """`p` + the 16 hex digits of each uint64, written by numpy into one ASCII buffer and split in C (an f-string
    per id cost ~0.2 s a million)."""
    digits = hashes.astype(">u8").view(np.uint8).reshape(-1, 8)  # big-endian: the first byte holds the top digits
    text = np.empty((len(hashes), 18), dtype=np.uint8)
    text[:, 0] = ord("p")
    text[:, 1:17:2] = _HEX_DIGITS[digits >> 4]
    text[:, 2:17:2] = _HEX_DIGITS[digits & 15]
    text[:, 17] = ord("\n")
    out = np.empty(len(hashes), dtype=object)
    out[:] = text.tobytes().decode("ascii").split("\n")[:-1]
    return out


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if not values.notna().any():  # most corpora lack most identifiers: skip hashing a column of NAs
        return np.full(len(values), -1, dtype=np.int64), np.zeros(0, dtype=object)
    return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)


def _components(n: int, links: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Connected components of listings 0..n-1 joined by shared codes: `links` holds (codes per listing, -1 for
    none; number of distinct codes). A listing with no code at all is a component of its own."""
    links = [(codes, count) for codes, count in links if count]
    if not links:
        return np.arange(n)
    if len(links) == 1:  # one kind of link (the title key alone, as on HF pages): its codes are the components
        codes, count = links[0]
        missing = codes < 0
        if not missing.any():
            return codes
        out = codes.copy()
        out[missing] = count + np.arange(int(missing.sum()))
        return out
    rows, cols, size = [], [], n
    for codes, count in links:
        present = np.flatnonzero(codes >= 0)
        rows.append(present)
        cols.append(size + codes[present])
        size += count
    rows_all, cols_all = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(rows_all), dtype=np.int8), (rows_all, cols_all)), shape=(size, size))
    return connected_components(graph, directed=False)[1][:n]


def group_listings(listings: pd.DataFrame) -> Grouping:
    """Group listings that share a DOI, an arXiv id or a title key, directly or through a chain; a title never
    joins two different DOIs (see the module docstring)."""
    n = len(listings)
    if n == 0:
        return Grouping(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64))
    title_codes, title_uniques = _codes(listings["title_key"])
    arxiv_codes, arxiv_uniques = _codes(listings["arxiv_id"])
    doi_codes, doi_uniques = _codes(listings["doi"]) if "doi" in listings else _codes(pd.Series([None] * n))
    labels = _components(n, [(title_codes, len(title_uniques)), (arxiv_codes, len(arxiv_uniques)),
                             (doi_codes, len(doi_uniques))])
    if len(doi_uniques) > 1:
        labels = _split_doi_conflicts(labels, title_codes, arxiv_codes, doi_codes)
    # Number the groups in order of first appearance. Title codes alone (an HF page: no ids) are numbered so
    # already, which a running maximum that never steps by more than one shows without sorting.
    running = np.maximum.accumulate(labels)
    if labels[0] == 0 and not (np.diff(running) > 1).any():
        codes, n_groups = labels.astype(np.int64, copy=False), int(running[-1]) + 1
    else:
        unique_labels, first_index, inverse = np.unique(labels, return_index=True, return_inverse=True)
        rank = np.empty(len(unique_labels), dtype=np.int64)
        rank[np.argsort(first_index, kind="stable")] = np.arange(len(unique_labels))
        codes = rank[inverse]
        n_groups = len(unique_labels)

    title_key = _group_min(title_codes, title_uniques, codes, n_groups)
    hashes = np.zeros(n_groups, dtype=np.uint64)
    keyless = title_key.isna().to_numpy()
    hashes[~keyless] = _id_hashes(title_key[~keyless], arxiv=False)
    if keyless.any():  # no title key (a title without letters or digits): the place of the first listing
        first = _first_rows(codes, n_groups)[keyless]
        places = listings["source_file"].take(first).astype(str).to_numpy(dtype=object) + ":" \
            + listings["source_line"].take(first).astype(str).to_numpy(dtype=object)
        hashes[keyless] = _id_hashes(pd.Series(places, dtype=object), arxiv="place")
    for kind, value_codes, uniques in (("doi", doi_codes, doi_uniques), (True, arxiv_codes, arxiv_uniques)):
        if len(uniques):  # the arXiv id, written last, wins over the DOI, which wins over the title key
            key = _group_min(value_codes, uniques, codes, n_groups)
            known = key.notna().to_numpy()
            hashes[known] = _id_hashes(key[known], arxiv=kind)
    ordered = np.sort(hashes)
    if (ordered[1:] == ordered[:-1]).any():  # 64-bit ids: a collision is astronomically unlikely, but never silent
        raise RuntimeError("paper_id hash collision; please report this corpus")
    ids = _id_texts(hashes)
    return Grouping(codes, ids, title_codes)


def _split_doi_conflicts(labels: np.ndarray, title_codes: np.ndarray, arxiv_codes: np.ndarray,
                         doi_codes: np.ndarray) -> np.ndarray:
    """Re-group the components that hold two or more distinct DOIs by the module docstring's rule. Returns new
    labels (the other components keep theirs)."""
    has_doi = doi_codes >= 0
    pairs = pd.DataFrame({"label": labels[has_doi], "doi": doi_codes[has_doi]}).drop_duplicates()
    counts = pairs["label"].value_counts()
    bad = counts.index.to_numpy()[counts.to_numpy() > 1]
    if not len(bad):
        return labels
    rows = np.flatnonzero(np.isin(labels, bad))
    # 1. strong groups within those components: DOI and arXiv links only
    strong = _components(len(rows), [_local(arxiv_codes[rows]), _local(doi_codes[rows])])
    with_doi = set(strong[doi_codes[rows] >= 0].tolist())
    # 2. groups without a DOI joined by title keys among themselves (a union-find over the few rows here)
    parent = {g: g for g in set(strong.tolist())}

    def root(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    by_title: dict[int, list[int]] = {}
    for group, title in zip(strong.tolist(), title_codes[rows].tolist(), strict=True):
        if title >= 0:
            by_title.setdefault(title, []).append(group)
    for groups in by_title.values():
        plain = [g for g in groups if g not in with_doi]
        for g in plain[1:]:
            parent[root(g)] = root(plain[0])
    # 3. each merged DOI-less group joins the one DOI group it shares a title with, or stays alone
    touches: dict[int, set[int]] = {}
    for groups in by_title.values():
        doi_groups = {g for g in groups if g in with_doi}
        for g in groups:
            if g not in with_doi:
                touches.setdefault(root(g), set()).update(doi_groups)
    joins = {plain: next(iter(doi_groups)) for plain, doi_groups in touches.items() if len(doi_groups) == 1}
    final = {g: joins.get(root(g), root(g)) for g in parent}
    out = labels.copy()
    # fresh labels beyond every existing one, so the re-grouped parts never join another component
    out[rows] = labels.max() + 1 + np.array([final[g] for g in strong.tolist()], dtype=np.int64)
    return out


def _local(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes renumbered 0..k-1 over a subset of listings (-1 stays -1), and k."""
    uniques, inverse = np.unique(codes, return_inverse=True)
    shift = int(uniques[0] < 0) if len(uniques) else 0
    return inverse.astype(np.int64) - shift, len(uniques) - shift


def _group_min(value_codes: np.ndarray, uniques: np.ndarray, groups: np.ndarray, n_groups: int) -> pd.Series:
    """Smallest value per group (by string order), missing where a group has none. Most groups hold a single
    distinct value, that of their first listing, which is then their minimum; only the others are compared in
    Python."""
    out = np.full(n_groups, None, dtype=object)
    present = value_codes >= 0
    first = value_codes[_first_rows(groups, n_groups)]  # code of each group's first listing (-1: none)
    others = np.unique(groups[present & (value_codes != first[groups])])  # groups with another value, or a later one
    single = first >= 0
    single[others] = False
    out[single] = uniques[first[single]]
    rows = present & np.isin(groups, others)
    pairs = pd.DataFrame({"g": groups[rows], "c": value_codes[rows]}).drop_duplicates()
    for group, found in pairs.groupby("g")["c"]:
        out[group] = min(uniques[found.to_numpy()].tolist())
    return pd.Series(out, dtype=object)


def _first_rows(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Row of each group's first listing."""
    first = np.empty(n_groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # with repeated indices the last write wins
    return first


_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}
ID_COLUMNS = ("doi", "pmid", "openalex_id", "s2_id")  # source identifiers: first non-missing, conflicts flagged
_MULTI_COLUMNS = ("listing_id", "abstract", "authors", "authors_count", "arxiv_id", *ID_COLUMNS, "published",
                  "date_precision", "date_inferred", "upvotes")


def merge_listings(listings: pd.DataFrame, codes: np.ndarray | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """The papers table (one row per paper_id, in order of first listing) and the list of merge conflicts.

    Rules: title, abstract, authors, author count, arXiv id, DOI and the source ids (PMID, OpenAlex, S2) come
    from the first listing that has them; the
    date is the most precise one, a written year beating an inferred one, the earliest breaking ties (with its
    precision and inferred flag); upvotes the highest; collections, URLs, categories and flags are unions in order
    of appearance (`missing_abstract` only if no listing has an abstract). Listings that disagree on the author
    count, the date, the abstract, the DOI or a source id add `conflict:<field>` to the paper's flags and an
    entry to the returned conflicts. `codes` (per listing, papers numbered by first appearance) saves
    factorizing paper_id again.
    """
    listings = listings.sort_values("listing_id", kind="stable").reset_index(drop=True) \
        if not listings["listing_id"].is_monotonic_increasing else listings.reset_index(drop=True)
    if codes is None:
        codes = pd.factorize(listings["paper_id"].to_numpy(dtype=object))[0]
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    sizes = np.bincount(codes, minlength=n_groups)
    first = _first_rows(codes, n_groups)
    in_multi = sizes[codes] > 1
    # only the columns the merge rules read: copying titles, lists and the rest for every repeat costs ~1 s at 1M
    multi = listings.loc[in_multi, list(_MULTI_COLUMNS)]
    multi_codes = codes[in_multi]

    columns: dict[str, object] = {}
    for column in ("paper_id", "title", "abstract", "authors", "authors_count", "arxiv_id", *ID_COLUMNS,
                   "title_key", "published", "date_precision", "date_inferred", "upvotes"):
        columns[column] = listings[column].array.take(first)
    if len(multi):
        # first non-missing value; columns no multi-listed paper has (ids on an HF page) are skipped
        firsts = [c for c in ("abstract", "authors", "authors_count", "arxiv_id", *ID_COLUMNS)
                  if multi[c].notna().any()]
        found = multi.groupby(multi_codes)[firsts].first()
        for column in found.columns:  # first non-missing value of papers listed more than once
            columns[column][found.index.to_numpy()] = found[column].array
        columns["upvotes"][found.index.to_numpy()] = multi["upvotes"].groupby(multi_codes).max().array
        dated = multi[multi["published"].notna()]
        best = (dated.assign(_code=multi_codes[multi["published"].notna().to_numpy()],
                             _rank=dated["date_precision"].map(_PRECISION_RANK).fillna(3),
                             _inferred=dated["date_inferred"].fillna(True).astype(bool))
                .sort_values(["_rank", "_inferred", "published", "listing_id"], kind="stable")
                .drop_duplicates("_code"))
        for column in ("published", "date_precision", "date_inferred"):
            columns[column][best["_code"].to_numpy()] = best[column].array
    columns["n_listings"] = sizes
    places = map("{}:{}".format, listings["source_file"].to_numpy(dtype=object)[first],
                 listings["source_line"].take(first).astype(str).to_numpy(dtype=object))
    columns["first_seen"] = pd.array(np.fromiter(places, dtype=object, count=len(first)), dtype=STRING)
    multi_papers = np.flatnonzero(sizes > 1)
    for target, source in (("collections", "collection"), ("code_urls", "code_urls"),
                           ("categories", "categories"), ("flags", "flags")):
        columns[target] = _group_lists(listings[source], first, multi_codes, in_multi, multi_papers)

    flags: np.ndarray = columns["flags"]  # type: ignore[assignment]
    conflicts = _conflicts(multi, multi_codes, columns["paper_id"], flags)
    has_abstract = ~np.asarray(columns["abstract"].isna())  # on the string array: no object copy
    flagged = np.fromiter(map(len, flags), dtype=np.int64, count=len(flags)) > 0  # in C: most papers have none
    candidates = np.flatnonzero(has_abstract & flagged)
    missing = np.fromiter(map(operator.contains, flags[candidates], itertools.repeat("missing_abstract")),
                          dtype=bool, count=len(candidates))
    for code in candidates[missing]:  # another listing of the paper had the abstract
        flags[code] = [f for f in flags[code] if f != "missing_abstract"]
    return pd.DataFrame({k: pd.Series(v, dtype=object) if k in ("collections", "code_urls", "categories", "flags")
                         else v for k, v in columns.items()}, copy=False), conflicts


def _group_lists(values: pd.Series, first: np.ndarray, multi_codes: np.ndarray, in_multi: np.ndarray,
                 multi_papers: np.ndarray) -> np.ndarray:
    """Per paper, the distinct values (or list items) of its listings in order of first appearance.

    Papers with one listing (most) take that listing's list as it is (scalars are wrapped in a list); only the
    others (`multi_papers`, their listings `in_multi`) are flattened and deduplicated, on integer codes.
    """
    vals = values.to_numpy(dtype=object)
    is_list = len(vals) > 0 and isinstance(vals[0], list)
    if is_list:
        out = vals[first]  # a new array of the same lists
    else:  # [value], or [] where missing; the lists are made in C (zip's 1-tuples), a Python loop costs ~2x
        out = np.empty(len(first), dtype=object)
        firsts = vals[first]
        out[:] = list(map(list, zip(firsts.tolist())))
        for index in np.flatnonzero(pd.isna(firsts)):
            out[index] = []
    if not len(multi_papers):
        return out
    out[multi_papers] = [[] for _ in range(len(multi_papers))]  # papers whose listings have no values at all
    listed = vals[in_multi]
    if is_list:
        lengths = np.fromiter(map(len, listed), dtype=np.int64, count=len(listed))
        groups = np.repeat(multi_codes, lengths)
        items = np.fromiter(itertools.chain.from_iterable(listed), dtype=object, count=int(lengths.sum()))
    else:
        groups, items = multi_codes, listed
    item_codes, uniques = pd.factorize(items, use_na_sentinel=True)
    present = item_codes >= 0
    groups, item_codes = groups[present], item_codes[present]
    # first row of each (paper, value) pair, in row order
    keep = np.sort(np.unique(groups * (len(uniques) + 1) + item_codes, return_index=True)[1])
    papers, lists = _runs(groups[keep], np.asarray(uniques, dtype=object)[item_codes[keep]])
    out[papers] = lists
    return out


def _runs(groups: np.ndarray, values: np.ndarray) -> tuple[list[int], list[list]]:
    """Split values into runs of equal group code (groups need not be sorted; order within a group is kept)."""
    if not len(groups):
        return [], []
    order = np.argsort(groups, kind="stable")
    groups, values = groups[order], values[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    items = values.tolist()  # slicing a list is cheaper than a tolist() per numpy slice
    return groups[starts].tolist(), [items[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def _conflicts(multi: pd.DataFrame, multi_codes: np.ndarray, paper_ids: object, flags: np.ndarray) -> list[dict]:
    """Merge conflicts among papers listed more than once; adds `conflict:<field>` to their flags."""
    if not len(multi):
        return []
    start, end = _date_span(multi)
    disagree = {
        "authors_count": multi["authors_count"].groupby(multi_codes).nunique() > 1,
        # Dates conflict only if no single day fits them all: `May 2021` and `May 3, 2021` agree.
        "published": (start.groupby(multi_codes).max() >= end.groupby(multi_codes).min()).fillna(False),
        "abstract": _text_differs(multi["abstract"].to_numpy(dtype=object), multi_codes),
    }
    for column in ID_COLUMNS:
        if multi[column].notna().any():
            disagree[column] = multi[column].groupby(multi_codes).nunique() > 1
    ids = np.asarray(paper_ids, dtype=object)
    conflicts: list[dict] = []
    for field, mask in disagree.items():
        bad = mask.index.to_numpy()[mask.to_numpy(dtype=bool)]
        if not len(bad):
            continue
        rows = np.isin(multi_codes, bad) & multi[field].notna().to_numpy()
        codes, found = _runs(multi_codes[rows], _shown(multi[field][rows]))
        tag = f"conflict:{field}"
        for code in codes:
            flags[code] = [*flags[code], tag]
        conflicts += [{"paper_id": str(ids[code]), "field": field, "values": list(dict.fromkeys(values))}
                      for code, values in zip(codes, found, strict=True)]
    return conflicts


def _text_differs(texts: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Per group: do its non-missing texts differ? Repeated listings of an HF page share one string object, so
    object identity settles most groups; only groups holding different objects are hashed and compared."""
    present = pd.notna(texts)
    identity = pd.Series(np.fromiter(map(id, texts), dtype=np.int64, count=len(texts))).where(present)
    maybe = identity.groupby(codes).nunique() > 1
    if maybe.any():
        rows = np.isin(codes, maybe.index.to_numpy()[maybe.to_numpy()]) & present
        hashes = pd.Series(pd.util.hash_array(texts[rows]), dtype="uint64")
        differs = hashes.groupby(codes[rows]).nunique() > 1
        maybe.loc[differs.index] = differs
    return maybe


def _shown(values: pd.Series) -> np.ndarray:
    """Conflicting values as the report shows them: dates as YYYY-MM-DD, long text cut to 80 characters."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # formatted in C, not value by value
        return np.datetime_as_string(values.to_numpy().astype("datetime64[D]")).astype(object)
    texts = [str(v) for v in values.to_numpy(dtype=object)]
    return np.array([t if len(t) <= 80 else t[:77] + "..." for t in texts], dtype=object)


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


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """A fast, well-mixed 64-bit hash of integers (wrapping arithmetic on purpose)."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def find_near_duplicates(listings: pd.DataFrame, threshold: float = 90.0, max_bucket: int = 50,
                         spaced: pd.Series | None = None,
                         grouping: Grouping | None = None) -> tuple[pd.DataFrame, int]:
    """Pairs of different papers whose titles nearly match, and the number of buckets skipped as too generic.

    `spaced` (spaced_title_keys of listings["title"]) and `grouping` (group_listings of the same listings) save
    computing them again.
    """
    if grouping is None:  # one row per (paper, title variant)
        rows = np.flatnonzero(~listings[["paper_id", "title_key"]].duplicated().to_numpy())
    else:
        variant = grouping.codes.astype(np.int64) * (int(grouping.title_codes.max(initial=0)) + 2) \
            + grouping.title_codes + 1
        rows = np.sort(np.unique(variant, return_index=True)[1])
    ids = listings["paper_id"].to_numpy(dtype=object)[rows]
    titles = listings["title"].to_numpy(dtype=object)[rows]
    words = (spaced_title_keys(pd.Series(titles, dtype=object)) if spaced is None
             else spaced.iloc[rows].reset_index(drop=True))
    arr = pa.array(words.to_numpy(dtype=object), type=pa.large_string())
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    tokens = pc.split_pattern(arr, " ")
    lengths = pc.fill_null(pc.list_value_length(tokens), 0).to_numpy()
    encoded = pc.dictionary_encode(pc.list_flatten(tokens))
    del arr, tokens
    keys, full, long = _bag_keys(lengths, encoded.indices.to_numpy(), len(encoded.dictionary))
    del encoded
    key_codes, shared = _repeated(keys)
    del keys
    # the title of each shared key: a bag's own title, or the long title whose run of left-out words holds it
    positions = np.flatnonzero(shared)
    bags = positions < len(full)
    ends = np.cumsum(lengths[long])
    owners = np.concatenate([full[positions[bags]],
                             long[np.searchsorted(ends, positions[~bags] - len(full), side="right")]])
    buckets = pd.DataFrame({"key": key_codes, "owner": owners}).drop_duplicates()
    sizes = buckets["key"].map(buckets["key"].value_counts())
    skipped = int(buckets.loc[sizes > max_bucket, "key"].nunique())
    buckets = buckets[(sizes >= 2) & (sizes <= max_bucket)]
    pairs = buckets.merge(buckets, on="key")
    pairs = pairs[pairs["owner_x"] < pairs["owner_y"]][["owner_x", "owner_y"]].drop_duplicates()
    a, b = pairs["owner_x"].to_numpy(), pairs["owner_y"].to_numpy()
    different = ids[a] != ids[b]
    a, b = a[different], b[different]
    key_codes = (grouping.title_codes[rows] if grouping is not None
                 else pd.factorize(listings["title_key"].to_numpy(dtype=object)[rows], use_na_sentinel=True)[0])
    same_a, same_b, same_skipped = _same_title_pairs(key_codes, max_bucket)
    skipped += same_skipped
    if len(a) == 0 and len(same_a) == 0:
        return pd.DataFrame(columns=NEAR_DUPLICATE_COLUMNS), skipped
    texts = words.to_numpy(dtype=object)
    scores = process.cpdist(texts[a].tolist(), texts[b].tolist(), scorer=fuzz.ratio) if len(a) else []
    fuzzy = pd.DataFrame({"paper_id_a": ids[a], "title_a": titles[a], "paper_id_b": ids[b], "title_b": titles[b],
                          "similarity": np.round(np.asarray(scores, dtype=float), 1), "reason": SIMILAR_TITLE})
    same = pd.DataFrame({"paper_id_a": ids[same_a], "title_a": titles[same_a], "paper_id_b": ids[same_b],
                         "title_b": titles[same_b], "similarity": 100.0, "reason": SAME_TITLE_DOIS_DIFFER})
    # a pair found both ways keeps the same-title row: its reason sorts first
    parts = [frame for frame in (same, fuzzy[fuzzy["similarity"] >= threshold]) if len(frame)]
    if not parts:
        return fuzzy.iloc[:0].reset_index(drop=True), skipped
    out = pd.concat(parts, ignore_index=True)
    swap = (out["paper_id_a"] > out["paper_id_b"]).to_numpy()  # one row per unordered pair of papers
    out.loc[swap, NEAR_DUPLICATE_COLUMNS[:4]] = out.loc[swap, ["paper_id_b", "title_b", "paper_id_a",
                                                               "title_a"]].to_numpy()
    out = (out.sort_values(["similarity", "paper_id_a", "paper_id_b", "reason"], ascending=[False, True, True, True])
              .drop_duplicates(["paper_id_a", "paper_id_b"])
              .reset_index(drop=True))
    return out, skipped


def _bag_keys(lengths: np.ndarray, token_ids: np.ndarray, distinct: int) -> tuple[np.ndarray, ...]:
    """Blocking keys of titles given as runs of token ids, `lengths[i]` tokens for title i: first the word bag of
    each title of two or more words (those titles: `full`), then for each title of four or more words (`long`)
    its bag less each of its words in turn. A bag's key is the sum of its tokens' hashes, so word order is free.
    Returns (keys, full, long)."""
    token_hash = _splitmix64(np.arange(distinct))  # each distinct token hashed once, then looked up
    starts = np.concatenate([[0], np.cumsum(lengths)])
    full = np.flatnonzero(lengths >= 2)
    long = np.flatnonzero(lengths >= 4)
    keys = np.empty(len(full) + int(lengths[long].sum()), dtype=np.uint64)
    total = np.zeros(len(lengths), dtype=np.uint64)
    at = len(full)
    # Block by block of titles, so the temporaries stay small and their memory is reused: a fresh process pays
    # for every new page, and temporaries over all titles came to ~200 MB at a million (near duplicates: 2.6 ->
    # 1.8 CPU s with the hashing per distinct token, and less again with the blocks).
    for first in range(0, len(lengths), _KEY_BLOCK):
        last = min(first + _KEY_BLOCK, len(lengths))
        counts = lengths[first:last]
        hashes = token_hash[token_ids[starts[first]:starts[last]]]
        has = counts > 0
        if has.any():  # each title's token hashes are one contiguous run
            total[first:last][has] = np.add.reduceat(hashes, (starts[first:last] - starts[first])[has])
        is_long = counts >= 4
        left = int(counts[is_long].sum())
        with np.errstate(over="ignore"):
            np.subtract(np.repeat(total[first:last][is_long], counts[is_long]), hashes[np.repeat(is_long, counts)],
                        out=keys[at:at + left])
        at += left
    keys[:len(full)] = total[full]
    return keys, full, long


_KEY_BLOCK = 65_536  # titles


def _repeated(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which keys (uint64) occur more than once (a mask) and, for those, a code per distinct value (its rank).

    Nearly every hash is unique, so building a hash table of all of them (pd.factorize: cache misses on millions
    of keys, ~4 s for 8M) costs far more than sorting them (~0.1 s). The few repeated values then go in a hash
    table that fits in the cache; even so, looking up all 8M keys there cost ~0.3 s, so a bit table on the keys'
    low bits passes on first only the keys that may be repeated (all that are, and a few percent more)."""
    ordered = np.sort(keys)
    values = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(len(keys), dtype=bool)
    bits = min(len(values).bit_length() + 4, 26)  # >= 16 slots a value (<= 1/16 false hits), <= 64 MB
    low = np.uint64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=bool)
    table[(values & low).view(np.intp)] = True  # < 2**26: the same number as a signed index, without a copy
    maybe = np.flatnonzero(table[np.bitwise_and(keys, low, out=ordered).view(np.intp)])  # reusing sort's memory
    where = pd.Index(values).get_indexer(keys[maybe])
    found = where >= 0
    shared = np.zeros(len(keys), dtype=bool)
    shared[maybe[found]] = True
    return where[found], shared


def _same_title_pairs(key_codes: np.ndarray, max_bucket: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs of (paper, title variant) rows with the same title key (-1: none), which are rows of different
    papers: papers a DOI conflict kept apart. Keys shared by more than `max_bucket` papers (an "Editorial" in
    every journal) are skipped and counted."""
    present = key_codes >= 0
    counts = np.bincount(key_codes[present]) if present.any() else np.zeros(0, dtype=np.int64)
    shared = np.flatnonzero(present & (counts[np.where(present, key_codes, 0)] >= 2)) if len(counts) else []
    if not len(shared):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    frame = pd.DataFrame({"key": key_codes[shared], "row": shared})
    sizes = counts[frame["key"].to_numpy()]
    skipped = int(frame.loc[sizes > max_bucket, "key"].nunique())
    frame = frame[sizes <= max_bucket]
    pairs = frame.merge(frame, on="key")
    pairs = pairs[pairs["row_x"] < pairs["row_y"]]
    return pairs["row_x"].to_numpy(), pairs["row_y"].to_numpy(), skipped
