"""Loading a corpus: inputs -> readers -> dates -> cleaning -> deduplication -> papers, listings and a report.

    corpus = load_corpus(["data/raw/hf_papers"])
    corpus.papers, corpus.listings, corpus.report
"""

from __future__ import annotations

import collections
import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbkit import dates, schema
from nbkit.clean import find_urls, normalize_arxiv_id, normalize_doi, spaced_title_keys, title_keys
from nbkit.dates import parse_hf_date
from nbkit.dedupe import find_near_duplicates, group_listings, merge_listings
from nbkit.errors import NbkitError
from nbkit.report import FileReport, LoadReport
from nbkit.sources import ParsedFile, read_file
from nbkit.sources.base import ListingBuffer, bulk_allocation

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Corpus:
    """The loaded corpus: one row per paper, one row per listing, and the account of the load."""

    papers: pd.DataFrame
    listings: pd.DataFrame
    report: LoadReport


def expand_inputs(paths: Iterable[PathLike]) -> tuple[list[tuple[Path, str]], list[dict[str, str]]]:
    """Files to read with their display names, and files under directories that are skipped (with why).

    Directories are walked recursively in sorted order; hidden files and folders are passed over. Every other file
    is read, whatever its extension, exactly as if it had been named: its format comes from its content (the
    extension only breaks ties), and a file no reader recognises is an error (with skip_bad_files, a skipped
    file). A display name is relative to the parent of the input path, so `data/raw/hf_papers` gives
    `hf_papers/000_....txt` wherever the project lives.
    """
    files: list[tuple[Path, str]] = []
    skipped: list[dict[str, str]] = []
    seen: set[Path] = set()
    paths = [Path(p) for p in ([paths] if isinstance(paths, str | os.PathLike) else paths)]
    if not paths:
        raise NbkitError("no input paths given")
    for root in paths:
        if not root.exists():
            raise NbkitError("no such file or directory", root)
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found = 0
        for path in candidates:
            relative = path.relative_to(root.parent) if root.is_dir() else Path(path.name)
            if root.is_dir() and any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            found += 1  # a repeat counts: the directory has files, they were just read already
            resolved = path.resolve()
            if resolved in seen:
                skipped.append({"path": relative.as_posix(), "reason": "given more than once"})
                continue
            seen.add(resolved)
            files.append((path, relative.as_posix()))
        if root.is_dir() and not found:
            raise NbkitError("directory has no files (hidden files are passed over)", root)
    return files, skipped


def load_corpus(
    paths: PathLike | Sequence[PathLike],
    *,
    fmt: str | None = None,
    reference_year: int | None = None,
    collections: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    skip_bad_files: bool = False,
    near_duplicate_threshold: float = 90.0,
    scheduler: Any = None,
) -> Corpus:
    """Load files and directories into papers and listings tables with a full load report.

    fmt: force a format (a name of nbkit.sources.FORMATS, or an alias such as hf); None or "auto" detects it
        from the content.
    reference_year: year for HF dates written without one; default: inferred (see nbkit.dates).
    collections: rename collections, {old name (file stem or column value): new name}.
    columns: column mapping for record formats, {field: column}, e.g. {"title": "Paper Title"}.
    skip_bad_files: list unreadable files in the report instead of stopping at the first one.
    near_duplicate_threshold: rapidfuzz ratio (0-100) at which nearly equal titles are reported.
    scheduler: None (default) reads the files in this process; "local", "local:N", a cluster address
        ("tcp://host:8786") or a dask.distributed Client reads them in parallel, one task per file (see
        nbkit.distributed); the merge, dedupe and report are the same, and so is the result.

    Raises NbkitError (one line, naming the file) for bad input.
    """
    with bulk_allocation():
        return _load(paths, fmt, reference_year, collections, columns, skip_bad_files, near_duplicate_threshold,
                     scheduler)


def _read_files(files: list[tuple[Path, str]], fmt: str | None, columns: Mapping[str, str] | None,
                scheduler: Any) -> Iterator[ParsedFile | NbkitError]:
    """Each file's ParsedFile, or the NbkitError reading it raised, in order: here, or in parallel on Dask."""
    if scheduler is None:
        for path, name in files:
            try:
                yield read_file(path, name, fmt=fmt, mapping=columns)
            except NbkitError as exc:
                yield exc
        return
    from nbkit.distributed import open_scheduler, read_files

    with open_scheduler(scheduler) as client:
        results = read_files(files, fmt=fmt, mapping=columns, client=client) if client is not None else None
    yield from results if results is not None else _read_files(files, fmt, columns, None)


def _load(paths, fmt, reference_year, collections, columns, skip_bad_files,
          near_duplicate_threshold, scheduler) -> Corpus:
    files, skipped = expand_inputs(paths)
    parsed_files: list[ParsedFile] = []
    for (_, name), result in zip(files, _read_files(files, fmt, columns, scheduler), strict=True):
        if isinstance(result, ParsedFile):
            parsed_files.append(result)
        elif not skip_bad_files:
            if len(files) > 1:  # one bad file among many (a README in a data folder): say how to go on
                raise NbkitError(f"{result}; --skip-bad-files (skip_bad_files=True) lists it and loads the rest")
            raise result
        else:
            skipped.append({"path": name, "reason": str(result)})
    if not any(len(p.listings) for p in parsed_files):
        raise NbkitError(f"no paper listings found in {', '.join(str(p) for p in _as_list(paths))}")

    warnings: list[str] = []
    renames = dict(collections or {})
    combined, file_reports = _combine(parsed_files, renames, reference_year, warnings)
    listings = _derive(combined)
    del combined
    spaced = listings.pop("title_words")
    grouping = group_listings(listings)
    listings["paper_id"] = _unchecked_text(grouping.paper_ids[grouping.codes])  # all str: unchecked
    listings = schema.listings_frame(listings)
    near, skipped_buckets = find_near_duplicates(listings, threshold=near_duplicate_threshold, spaced=spaced,
                                                 grouping=grouping)
    del spaced
    papers, conflicts = merge_listings(listings, grouping.codes)
    papers = schema.papers_frame(papers)

    rejections = [r for p in parsed_files for r in p.rejections]
    flagged = int(np.count_nonzero(np.fromiter(map(len, listings["flags"]), dtype=np.int64, count=len(listings))))
    totals = {
        "files": len(file_reports),
        "blocks": sum(f.blocks for f in file_reports),
        "header_lines": sum(len(f.header_lines) for f in file_reports),
        "listings": len(listings),
        "papers": len(papers),
        "merged_duplicates": len(listings) - len(papers),
        "rejected": len(rejections),
        "flagged_listings": flagged,
        "near_duplicate_candidates": len(near),
        "conflicts": len(conflicts),
        "skipped_files": len(skipped),
    }
    report = LoadReport(
        inputs=[str(p) for p in _as_list(paths)],
        files=file_reports,
        rejections=rejections,
        skipped_files=skipped,
        totals=totals,
        conflicts=conflicts,
        near_duplicates=near,
        near_duplicate_buckets_skipped=skipped_buckets,
        warnings=warnings + [f"{f.name}: {w}" for f in file_reports for w in f.warnings],
    )
    report.check()
    return Corpus(papers=papers, listings=listings, report=report)


def _as_list(paths: PathLike | Sequence[PathLike]) -> list[PathLike]:
    return [paths] if isinstance(paths, str | os.PathLike) else list(paths)


def _combine(parsed_files: list[ParsedFile], renames: dict[str, str], reference_year: int | None,
             warnings: list[str]) -> tuple[pd.DataFrame, list[FileReport]]:
    """All files' listings in one frame with dates resolved and collections renamed, and one report entry per file.
    Renames that matched no collection are warned about."""
    dated = [_file_dates(p) for p in parsed_files]
    years = _reference_years(parsed_files, dated, reference_year, warnings)
    frames, reports = [], []
    renamed: set[str] = set()  # old names of the renames that matched something
    for parsed, parts in zip(parsed_files, dated, strict=True):
        buffer = parsed.listings
        n = len(buffer)
        year, rule = years[parsed.path]
        page = parse_hf_date(parsed.page_date_text)[0] if parsed.page_date_text else None
        page_year = (page.year or year) if page else None
        collection = buffer.column("collection", default=parsed.collection)
        if renames:
            renamed.update(set(collection) & renames.keys())
            collection = pd.Series(collection, dtype=object).replace(renames).to_numpy(dtype=object)
        frames.append(pd.DataFrame({
            "source_file": _same_text(n, parsed.name),
            "source_format": _same_text(n, parsed.format),
            "source_line": pd.array(np.array(buffer.source_line, dtype=np.int64), dtype="Int64"),
            "abstract_line": pd.array(np.array(buffer.abstract_line, dtype=np.float64), dtype="Int64"),
            "meta_line": buffer.int_column("meta_line"),
            "collection": _strings(collection),
            "title": _strings(np.array(buffer.title, dtype=object)),
            "abstract": _strings(np.array(buffer.abstract, dtype=object)),
            "authors": _text(buffer, "authors"),
            "authors_count": buffer.int_column("authors_count"),
            "date_text": _text(buffer, "date_text"),
            "upvotes": buffer.int_column("upvotes"),
            "arxiv_id": _text(buffer, "arxiv_id"),
            "doi": _text(buffer, "doi"),
            "pmid": _text(buffer, "pmid"),
            "openalex_id": _text(buffer, "openalex_id"),
            "s2_id": _text(buffer, "s2_id"),
            "categories": pd.Series(buffer.column("categories"), dtype=object),
            "flags": pd.Series(buffer.column("flags"), dtype=object),
            **parts,
            "ref_year": _constant_int(n, year),
            "page_year": _constant_int(n, page_year),
            "page_month": _constant_int(n, page.month if page else None),
            "page_day": _constant_int(n, page.day if page else None),
        }, copy=False))  # the arrays are new and ours: copying them again cost ~0.4 s at 1M
        reports.append(FileReport(
            path=parsed.path, name=parsed.name, format=parsed.format, encoding=parsed.encoding,
            line_endings=parsed.line_endings, collections=sorted(set(collection)),
            blocks=parsed.blocks, header_lines=parsed.header_lines, listing_blocks=parsed.listing_blocks,
            listings=n, rejected=len(parsed.rejections),
            page_date=None if page is None else f"{page_year}-{page.month:02d}-{page.day:02d}",
            reference_year=year, reference_year_rule=rule, warnings=parsed.warnings,
            columns=parsed.extra.get("columns"), ignored_columns=parsed.extra.get("ignored_columns"),
        ))
        parsed.listings = ListingBuffer()  # the frame holds the values now; let the per-file lists go
    for old, new in renames.items():
        if old not in renamed:  # the old name: a typo's new name may well exist, made by another rename
            warnings.append(f"collection rename {old!r} -> {new!r} matched no file or column value")
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return frame, reports


def _constant_int(n: int, value: int | None) -> pd.api.extensions.ExtensionArray:
    """n copies of one integer (or missing) as Int64, built from numpy (an object array costs ~0.1 s a million)."""
    return pd.arrays.IntegerArray(np.full(n, 0 if value is None else value, dtype=np.int64),
                                  np.full(n, value is None, dtype=bool))


def _strings(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Object array of str/None -> string column. Explicit, because pandas would otherwise infer its pyarrow
    string type and copy every abstract. Wraps `values` itself (None becomes NA in place): pd.array's copy and
    conversion cost ~0.1 s a million values even for a column with none; values that are not all text take
    that way."""
    try:
        return pd.arrays.StringArray(values, dtype=schema.STRING)
    except ValueError:
        return pd.array(values, dtype=schema.STRING)


def _same_text(n: int, value: str) -> pd.api.extensions.ExtensionArray:
    """n copies of one str as a string column, unchecked: validating a million copies cost ~50 ms."""
    return _unchecked_text(np.full(n, str(value), dtype=object))


def _text(buffer: ListingBuffer, name: str) -> pd.api.extensions.ExtensionArray:
    """A sparse text field as a string column. A field no listing has (most ids in most formats) is all NA at once:
    nothing to check, where wrapping and validating a million missing values costs ~20-40 ms a column."""
    if buffer.sparse[name]:
        return _strings(buffer.column(name))
    return _unchecked_text(np.full(len(buffer), pd.NA, dtype=object))


def _unchecked_text(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """An object array known to hold only str and pd.NA as a string column, without pandas checking every value.
    The one use of pandas' private constructor (`_from_backing_data`): if an upgrade breaks it, only this changes
    (tests/test_corpus.py checks the columns it builds)."""
    return _NO_TEXT._from_backing_data(values)


_NO_TEXT = pd.array([], dtype=schema.STRING)  # an empty array of the schema's string type, for its constructor


def _file_dates(parsed: ParsedFile) -> dict[str, pd.api.extensions.ExtensionArray]:
    """Date parts of a file's listings, parsing each distinct date text once (a big page repeats dates a lot)."""
    texts = parsed.listings.column("date_text")
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    parse = _parse_hf_date_parts if parsed.format == "hf_page" else dates.parse_date_text
    parts = [parse(text) for text in uniques] + [None]  # the last entry serves code -1 (no date)
    return {
        "date_year": pd.array([p.year if p else None for p in parts], dtype="Int64")[codes],
        "date_month": pd.array([p.month if p else None for p in parts], dtype="Int64")[codes],
        "date_day": pd.array([p.day if p else None for p in parts], dtype="Int64")[codes],
        "date_precision": _strings(np.array([p.precision if p else None for p in parts], dtype=object)[codes]),
    }


def _parse_hf_date_parts(text: str) -> dates.DateParts | None:
    parsed = parse_hf_date(text)
    return None if parsed is None else parsed[0]


def _reference_years(parsed_files: list[ParsedFile], dated: list[dict], given: int | None,
                     warnings: list[str]) -> dict[str, tuple[int | None, str | None]]:
    """Per file: the year for dates written without one, and which rule chose it (see nbkit.dates)."""
    latest: dict[str, int | None] = {}
    needs: dict[str, bool] = {}
    for parsed, parts in zip(parsed_files, dated, strict=True):
        latest[parsed.path] = dates.latest_year(pd.Series(parts["date_year"]))
        no_year = bool((parts["date_year"].isna() & ~parts["date_month"].isna()).any())
        page = parse_hf_date(parsed.page_date_text)[0] if parsed.page_date_text else None
        needs[parsed.path] = no_year or (page is not None and page.year is None)
    # Rule 3 reads HF pages only: an arXiv snapshot or a CSV says nothing about when a page was captured.
    corpus_latest = max((latest[p.path] for p in parsed_files
                         if p.format in ("hf_page", "hf_markdown") and latest[p.path] is not None), default=None)
    out: dict[str, tuple[int | None, str | None]] = {}
    for parsed in parsed_files:
        if given is not None:
            out[parsed.path] = (given, "given")
        elif not needs[parsed.path]:
            out[parsed.path] = (None, None)
        elif latest[parsed.path] is not None:
            out[parsed.path] = (latest[parsed.path] + 1, "latest year on the page + 1")
        elif corpus_latest is not None:
            out[parsed.path] = (corpus_latest + 1, "latest year in the corpus + 1")
        else:
            year = dates.this_year()
            out[parsed.path] = (year, "current year")
            warnings.append(f"{parsed.name}: dates without a year and no year written anywhere; assumed {year} "
                            "(pass reference_year to fix it)")
    return out


def _derive(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates, cleaned text, title keys and URLs for the combined listings."""
    n = len(frame)
    frame.insert(0, "listing_id", np.arange(n))
    year_written = frame["date_year"].notna()
    has_parts = (frame["date_month"].notna() | year_written).to_numpy()
    year = frame["date_year"].fillna(frame["ref_year"]).where(has_parts)
    published = dates.build_dates(year, frame["date_month"], frame["date_day"])
    inferred = has_parts & ~year_written.to_numpy()
    page_date = dates.build_dates(frame["page_year"], frame["page_month"], frame["page_day"])
    late = inferred & (published > page_date).fillna(False).to_numpy()
    if late.any():  # the site drops the year only for recent dates: after the page date means last year
        published[late] = dates.build_dates(year[late] - 1, frame["date_month"][late], frame["date_day"][late])
    unread = frame["date_text"].notna().to_numpy() & ~has_parts
    invalid = (has_parts & published.isna().to_numpy()) | unread
    flags = frame["flags"].to_numpy(dtype=object)
    for rows, flag in ((inferred, "year_inferred"), (late, "year_rolled_back"), (invalid, "invalid_date")):
        _append_each(flags[rows], flag)
    frame["published"] = published
    frame["page_date"] = page_date
    frame["date_inferred"] = pd.array(np.where(published.notna(), inferred, None), dtype="boolean")
    frame["date_precision"] = frame["date_precision"].where(published.notna(), None)
    _normalize_ids(frame)
    frame["title_words"] = spaced_title_keys(frame["title"])
    frame["title_key"] = title_keys(frame["title"], spaced=frame["title_words"])
    frame["code_urls"] = _code_urls(frame["abstract"].to_numpy(dtype=object))
    return frame.drop(columns=["date_year", "date_month", "date_day", "ref_year", "page_year", "page_month",
                               "page_day"])


def _append_each(lists: np.ndarray, item: str) -> None:
    """Append `item` to each list, in C (map): a Python loop over a quarter of a million rows cost ~4x."""
    collections.deque(map(list.append, lists, itertools.repeat(item)), maxlen=0)


def _code_urls(abstracts: np.ndarray) -> pd.Series:
    """find_urls of each abstract, searched once per distinct text with a slash (a paper listed on many days
    repeats its abstract; text without a slash has no URL and is not worth hashing). Each row gets its own list."""
    found: dict[str, list[str]] = {}
    rows: list[list[str]] = []
    for text in abstracts:
        if type(text) is not str or "/" not in text:
            rows.append([])
            continue
        urls = found.get(text)
        if urls is None:
            urls = found[text] = find_urls(text)
        rows.append(list(urls))
    return pd.Series(rows, dtype=object)


def _normalize_ids(frame: pd.DataFrame) -> None:
    """DOIs and arXiv ids in their matching form, whatever the reader stored (`https://doi.org/10.1/X` ->
    `10.1/x`, `arXiv:2401.00001v2` -> `2401.00001`). A DOI field that holds no DOI is dropped and flagged
    `invalid_doi`; an arXiv id nbkit cannot read is kept as given."""
    flags = frame["flags"].to_numpy(dtype=object)
    for column in ("doi", "arxiv_id"):
        values = frame[column]
        present = np.flatnonzero(values.notna().to_numpy())
        if not len(present):
            continue
        raw = values.to_numpy(dtype=object)[present]
        if column == "doi":
            normal = np.array([normalize_doi(v) for v in raw], dtype=object)
            for index in present[pd.isna(normal)]:
                flags[index].append("invalid_doi")
        else:
            normal = np.array([normalize_arxiv_id(v) or v for v in raw], dtype=object)
        out = values.to_numpy(dtype=object).copy()
        out[present] = normal
        frame[column] = _strings(out)


def write_corpus(corpus: Corpus, out: PathLike | None = None, *, listings_out: PathLike | None = None,
                 report_out: PathLike | None = None) -> list[Path]:
    """Write the papers table, the listings table and the report; all appear, or none does. Returns the paths.

    The listings go next to the papers as `<name>.listings.parquet` unless `listings_out` says otherwise.
    """
    targets: list[tuple[Path, object]] = []
    if out is not None:
        out = Path(out)
        listings_path = Path(listings_out) if listings_out else out.with_name(f"{out.stem}.listings.parquet")
        targets += [(out, corpus.papers), (listings_path, corpus.listings)]
    if report_out is not None:
        targets.append((Path(report_out), corpus.report.to_json()))
    atomic_write(targets)
    return [target for target, _ in targets]


def atomic_write(targets: list[tuple[Path, object]]) -> None:
    """Write DataFrames (Parquet) and strings (UTF-8) to their targets: all of them, or none.

    Everything is written to hidden temporary files beside the targets first, then renamed into place. If a rename
    fails, the ones already done are undone (files they replaced are put back), so a papers table is never left
    next to the report of another load. Errors name the target, not the temporary file.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for target, content in targets:
            with _naming(target):
                target.parent.mkdir(parents=True, exist_ok=True)
                handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
                os.close(handle)
                temps.append((Path(name), target))
                os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs are ordinary files
                if isinstance(content, pd.DataFrame):
                    content.to_parquet(name, index=False)
                else:
                    Path(name).write_text(str(content), encoding="utf-8")
        _move_into_place(temps)
    finally:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)


@contextmanager
def _naming(target: Path) -> Iterator[None]:
    """Turn an OSError into an NbkitError that names the output the user asked for."""
    try:
        yield
    except OSError as exc:
        raise NbkitError(f"cannot write output ({exc.strerror or exc})", target) from None


def _move_into_place(temps: list[tuple[Path, Path]]) -> None:
    """Rename each temporary file over its target; if one rename fails, undo the ones before it."""
    placed: list[Path] = []
    set_aside: list[tuple[Path, Path]] = []  # (copy of a file a target replaces, target)
    try:
        for temp, target in temps:
            with _naming(target):
                backup = _set_aside(target)
                if backup is not None:
                    set_aside.append((backup, target))
                os.replace(temp, target)
                placed.append(target)
    except NbkitError as error:
        left = _undo(placed, set_aside)
        if left:
            raise NbkitError(f"{error}; could not undo: {'; '.join(left)}") from None
        raise
    for backup, _ in set_aside:
        backup.unlink(missing_ok=True)


def _set_aside(target: Path) -> Path | None:
    """Move the file at `target`, if any, to a hidden name beside it, to put back if the write is undone."""
    if not os.path.lexists(target) or (target.is_dir() and not target.is_symlink()):
        return None  # nothing to keep; a directory stays where it is and makes the rename fail
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".previous")
    os.close(handle)
    os.replace(target, name)
    return Path(name)


def _undo(placed: list[Path], set_aside: list[tuple[Path, Path]]) -> list[str]:
    """Remove the new files and put the replaced ones back; returns what could not be undone."""
    left = []
    for target in placed:
        try:
            target.unlink()
        except OSError as exc:
            left.append(f"new {target} not removed ({exc.strerror or exc})")
    for backup, target in set_aside:
        try:
            os.replace(backup, target)
        except OSError as exc:
            left.append(f"previous {target} left at {backup} ({exc.strerror or exc})")
    return left


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_corpus(path: PathLike, *, listings_path: PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read back what write_corpus wrote: (papers, listings), cast to the schema."""
    path = Path(path)
    listings_path = Path(listings_path) if listings_path else path.with_name(f"{path.stem}.listings.parquet")
    for p in (path, listings_path):
        if not p.exists():
            raise NbkitError("no such file", p)
    papers = schema.papers_frame(pd.read_parquet(path))
    listings = schema.listings_frame(pd.read_parquet(listings_path))
    for frame in (papers, listings):
        for column in schema.LIST_COLUMNS & set(frame.columns):
            frame[column] = frame[column].map(lambda v: [] if v is None else list(v))
    return papers, listings
