"""What changed between two run folders (`nbkit diff RUN_A RUN_B [--html OUT]`).

    diff = compare_runs("reports/2025-03", "reports/2025-06")
    print(render_text(diff)); Path("diff.html").write_text(render_html(diff))

Compared: the input files (by SHA-256 and size, from manifest.json), the load counts (01_corpus/report.json), the
parameters every notebook ran with and the package versions (manifest.json), the topics (02_topics/assignments.csv)
aligned by the papers both runs hold, the adjusted Rand index between the two partitions of those papers, label
changes, the papers only one run holds, and the trend calls that changed (03_trends/trend_calls.csv, when both runs
have it).

Topic alignment, on the shared papers only (nbkit.quality.recover_topics, the matching the stability check uses):
- matched: A topic t and B topic u are each other's best match with Jaccard >= threshold (0.5 by default);
- split: an A topic left unmatched that two or more B topics take more than half of their papers from;
- merged: a B topic left unmatched that takes more than half of the papers of two or more A topics;
- gone / new: an unmatched A / B topic that is neither (its papers are not in the other run, or scattered).
Outliers (topic -1) are not topics here, but count as one more cluster in the ARI, as in the stability check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbkit.errors import NbkitError
from nbkit.findings import read_json, read_table, topic_id
from nbkit.pages import Note, Paragraph, Section, Table
from nbkit.pages import render_html as render_page
from nbkit.quality import NO_MATCH, OUTLIER_TOPIC, recover_topics

COUNTS = ("files", "listings", "papers", "merged_duplicates", "rejected", "flagged_listings")
IGNORED_PARAMETERS = {"output_dir"}  # differs between any two run folders by construction
TITLES_SHOWN = 10  # papers listed on the terminal per side (the HTML page lists them all)


@dataclass
class RunFolder:
    """What `nbkit diff` reads from a run folder."""

    path: Path
    manifest: dict[str, Any]
    totals: dict[str, int]
    collections: list[str]
    assignments: pd.DataFrame | None  # 02_topics/assignments.csv: paper_id, title, topic, label, ...
    paper_collections: dict[str, str]  # paper_id -> its collections, joined
    trend_calls: pd.DataFrame | None

    @property
    def parameters(self) -> dict[str, Any]:
        """Every parameter a notebook of the run used (defaults included), but output_dir."""
        out: dict[str, Any] = {}
        for notebook in self.manifest.get("notebooks", []):
            for name, value in (notebook.get("parameters") or {}).items():
                if name not in IGNORED_PARAMETERS:
                    out.setdefault(name, value)
        return out


def load_run(folder: str | Path) -> RunFolder:
    """A run folder written by `nbkit run`; a one-line NbkitError for anything else."""
    path = Path(folder)
    if not path.is_dir():
        raise NbkitError("not a run folder: no such folder", path)
    manifest = read_json(path / "manifest.json")
    if manifest is None:
        hint = " (a sweep: compare two of its runs/<name> folders)" if (path / "sweep.csv").is_file() else ""
        raise NbkitError(f"not a run folder: no manifest.json, which `nbkit run` writes{hint}", path)
    report = read_json(path / "01_corpus" / "report.json") or {}
    totals = {k: int(v) for k, v in (report.get("totals") or {}).items() if isinstance(v, int | float)}
    per_collection = read_table(path, "01_corpus/listings_per_collection.csv")
    assignments = read_table(path, "02_topics/assignments.csv")
    if assignments is not None:
        assignments = assignments.astype({"topic": "int64"})
    papers_file = path / "01_corpus" / "papers.parquet"
    paper_collections: dict[str, str] = {}
    if papers_file.is_file():
        papers = pd.read_parquet(papers_file, columns=["paper_id", "collections"])
        paper_collections = {str(p): ", ".join(map(str, c)) for p, c in zip(papers["paper_id"],
                                                                              papers["collections"], strict=True)}
    return RunFolder(path=path, manifest=manifest, totals=totals,
                     collections=[] if per_collection is None else per_collection["collection"].astype(str).tolist(),
                     assignments=assignments, paper_collections=paper_collections,
                     trend_calls=read_table(path, "03_trends/trend_calls.csv"))


# --- inputs, counts, settings --------------------------------------------------------------------------------------

def compare_inputs(a: RunFolder, b: RunFolder) -> pd.DataFrame:
    """One row per input file: bytes and SHA-256 (first 12 hex digits) in A and B, and change: same, changed,
    moved (the same content at another path), only in A, only in B. Files pair by path (relative to the project
    when inside it); a file left over pairs with one of the same content, else of the same file name."""
    def files(run: RunFolder) -> dict[str, dict[str, Any]]:
        return {str(f.get("path") or f.get("name")): f for f in run.manifest.get("inputs", []) if "sha256" in f}

    fa, fb = files(a), files(b)
    pairs = [(p, p) for p in fa if p in fb]
    left_a, left_b = [p for p in fa if p not in fb], [p for p in fb if p not in fa]
    for same in (lambda x, y: fa[x]["sha256"] == fb[y]["sha256"], lambda x, y: Path(x).name == Path(y).name):
        for x in list(left_a):
            y = next((y for y in left_b if same(x, y)), None)
            if y is not None:
                pairs.append((x, y))
                left_a.remove(x)
                left_b.remove(y)
    pairs += [(x, None) for x in left_a] + [(None, y) for y in left_b]
    rows = []
    for x, y in sorted(pairs, key=lambda pair: pair[0] or pair[1] or ""):
        fx, fy = fa.get(x or "", {}), fb.get(y or "", {})
        change = ("only in A" if y is None else "only in B" if x is None
                  else "changed" if fx["sha256"] != fy["sha256"] else "same" if x == y else "moved")
        rows.append({"file": x if y is None or x == y else y if x is None else f"{x} -> {y}",
                     "bytes_a": fx.get("bytes"), "bytes_b": fy.get("bytes"), "sha256_a": str(fx.get("sha256", ""))[:12],
                     "sha256_b": str(fy.get("sha256", ""))[:12], "change": change})
    return pd.DataFrame(rows, columns=["file", "bytes_a", "bytes_b", "sha256_a", "sha256_b", "change"], dtype=object)


def compare_counts(a: RunFolder, b: RunFolder) -> pd.DataFrame:
    """The load counts, collections and topics of both runs, and B - A."""
    def counts(run: RunFolder) -> dict[str, int | None]:
        out: dict[str, int | None] = {k: run.totals.get(k) for k in COUNTS}
        out["collections"] = len(run.collections)
        if run.assignments is not None:
            topics = run.assignments["topic"]
            out["topics"] = int(topics[topics != OUTLIER_TOPIC].nunique())
            out["outlier papers"] = int((topics == OUTLIER_TOPIC).sum())
        return out

    ca, cb = counts(a), counts(b)
    rows = [{"count": k, "a": ca.get(k), "b": cb.get(k),
             "change": cb[k] - ca[k] if ca.get(k) is not None and cb.get(k) is not None else None}
            for k in dict.fromkeys([*ca, *cb])]
    return pd.DataFrame(rows, columns=["count", "a", "b", "change"]).astype({"a": "Int64", "b": "Int64",
                                                                             "change": "Int64"})


def _shown(value: Any) -> str:
    return "(absent)" if value is _ABSENT else value if isinstance(value, str) else json.dumps(value, default=str)


_ABSENT = object()


def compare_settings(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    """The names whose values differ (or that one side lacks): name, a, b."""
    rows = [{"name": k, "a": _shown(a.get(k, _ABSENT)), "b": _shown(b.get(k, _ABSENT))}
            for k in sorted(set(a) | set(b)) if a.get(k, _ABSENT) != b.get(k, _ABSENT)]
    return pd.DataFrame(rows, columns=["name", "a", "b"])


# --- topics --------------------------------------------------------------------------------------------------------

ALIGNMENT_COLUMNS = ["kind", "topic_a", "label_a", "size_a", "topic_b", "label_b", "size_b", "jaccard", "note"]
KINDS = ("matched", "split", "merged", "gone", "new")


@dataclass
class TopicAlignment:
    table: pd.DataFrame  # ALIGNMENT_COLUMNS, one row per matched pair, split, merge, gone or new topic
    ari: float  # between the partitions of the shared papers (NaN when they share none)
    shared: int  # papers both runs hold

    def counts(self) -> dict[str, int]:
        return {k: int((self.table["kind"] == k).sum()) for k in KINDS}

    def label_changes(self) -> pd.DataFrame:
        matched = self.table[(self.table["kind"] == "matched") & (self.table["label_a"] != self.table["label_b"])]
        return matched[["topic_a", "label_a", "topic_b", "label_b"]].reset_index(drop=True)

    def matches(self) -> dict[int, int]:
        rows = self.table[self.table["kind"] == "matched"]
        return {int(t): int(u) for t, u in zip(rows["topic_a"], rows["topic_b"], strict=True)}


def _labels(assignments: pd.DataFrame) -> dict[int, str]:
    if "label" not in assignments:
        return {}
    first = assignments.drop_duplicates("topic")
    return dict(zip(first["topic"].astype(int), first["label"].astype(str), strict=True))


def _joined(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def align_topics(a: pd.DataFrame, b: pd.DataFrame, threshold: float = 0.5) -> TopicAlignment:
    """Topics of two runs aligned by the papers they share (assignments with paper_id, topic, label); see the
    module docstring for matched, split, merged, gone and new."""
    from sklearn.metrics import adjusted_rand_score
    from sklearn.metrics.cluster import contingency_matrix

    ta_all, tb_all = a.set_index("paper_id")["topic"], b.set_index("paper_id")["topic"]
    shared = sorted(set(ta_all.index) & set(tb_all.index))
    ta, tb = ta_all.loc[shared].to_numpy("int64"), tb_all.loc[shared].to_numpy("int64")
    labels_a, labels_b = _labels(a), _labels(b)
    sizes_a, sizes_b = ta_all.value_counts().to_dict(), tb_all.value_counts().to_dict()
    lost_a = ta_all[~ta_all.index.isin(shared)].value_counts().to_dict()  # per A topic, papers not in B
    new_b = tb_all[~tb_all.index.isin(shared)].value_counts().to_dict()
    topics_a = sorted(t for t in sizes_a if t != OUTLIER_TOPIC)
    topics_b = sorted(u for u in sizes_b if u != OUTLIER_TOPIC)

    matched: dict[int, int] = {}
    jaccard_of: dict[tuple[int, int], float] = {}
    parent: dict[int, int] = {}  # B topic -> the A topic (or outliers) holding more than half of its shared papers
    child: dict[int, int] = {}  # A topic -> the B topic (or outliers) holding more than half of its shared papers
    if shared:
        match_ab, _ = recover_topics(ta, tb, threshold)
        match_ba, _ = recover_topics(tb, ta, threshold)
        matched = {t: u for t, u in match_ab.items()
                   if t != OUTLIER_TOPIC and u != NO_MATCH and match_ba.get(u) == t}
        ids_a, ids_b = np.unique(ta), np.unique(tb)
        inter = contingency_matrix(ta, tb)  # rows, columns: the sorted labels
        rows_a, cols_b = inter.sum(axis=1), inter.sum(axis=0)
        for i, t in enumerate(ids_a.tolist()):
            for j, u in enumerate(ids_b.tolist()):
                if not inter[i, j]:
                    continue
                if OUTLIER_TOPIC not in (t, u):
                    jaccard_of[(t, u)] = inter[i, j] / (rows_a[i] + cols_b[j] - inter[i, j])
                if 2 * inter[i, j] > cols_b[j]:
                    parent[u] = t
                if 2 * inter[i, j] > rows_a[i]:
                    child[t] = u

    rows: list[dict[str, Any]] = []

    def note(lost: int, side: str, also: str = "") -> str:
        parts = [f"{lost} of its papers only in run {side}"] if lost else []
        return "; ".join(parts + ([also] if also else []))

    def went(topic: int | None, side: str) -> str:
        """Where most of an unmatched topic's shared papers are in the other run."""
        if topic is None:
            return ""
        return f"mostly outliers in run {side}" if topic == OUTLIER_TOPIC else f"mostly topic {topic} in run {side}"

    for t, u in sorted(matched.items()):
        changed = "label changed" if labels_a.get(t) != labels_b.get(u) else ""
        rows.append({"kind": "matched", "topic_a": t, "label_a": labels_a.get(t), "size_a": sizes_a[t],
                     "topic_b": u, "label_b": labels_b.get(u), "size_b": sizes_b[u],
                     "jaccard": round(float(jaccard_of[(t, u)]), 3), "note": note(lost_a.get(t, 0), "A", changed)})
    unmatched_a = [t for t in topics_a if t not in matched]
    unmatched_b = [u for u in topics_b if u not in matched.values()]
    explained_a: set[int] = set()
    explained_b: set[int] = set()
    for t in unmatched_a:
        parts = [u for u in topics_b if parent.get(u) == t]
        if len(parts) >= 2:
            explained_a.add(t)
            explained_b.update(p for p in parts if p in unmatched_b)
            rows.append({"kind": "split", "topic_a": t, "label_a": labels_a.get(t), "size_a": sizes_a[t],
                         "topic_b": _joined(parts), "label_b": " | ".join(labels_b.get(u, "") for u in parts),
                         "size_b": _joined(sizes_b[u] for u in parts), "jaccard": None,
                         "note": note(lost_a.get(t, 0), "A")})
    for u in unmatched_b:
        parts = [t for t in topics_a if child.get(t) == u]
        if len(parts) >= 2:
            explained_b.add(u)
            explained_a.update(p for p in parts if p in unmatched_a)
            rows.append({"kind": "merged", "topic_a": _joined(parts),
                         "label_a": " | ".join(labels_a.get(t, "") for t in parts),
                         "size_a": _joined(sizes_a[t] for t in parts), "topic_b": u, "label_b": labels_b.get(u),
                         "size_b": sizes_b[u], "jaccard": None, "note": note(new_b.get(u, 0), "B")})
    for t in unmatched_a:
        if t not in explained_a:
            rows.append({"kind": "gone", "topic_a": t, "label_a": labels_a.get(t), "size_a": sizes_a[t],
                         "topic_b": None, "label_b": None, "size_b": None, "jaccard": None,
                         "note": note(lost_a.get(t, 0), "A", went(child.get(t), "B"))})
    for u in unmatched_b:
        if u not in explained_b:
            rows.append({"kind": "new", "topic_a": None, "label_a": None, "size_a": None, "topic_b": u,
                         "label_b": labels_b.get(u), "size_b": sizes_b[u], "jaccard": None,
                         "note": note(new_b.get(u, 0), "B", went(parent.get(u), "A"))})
    table = pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS, dtype=object)
    ari = float(adjusted_rand_score(ta, tb)) if shared else float("nan")
    return TopicAlignment(table=table, ari=round(ari, 3), shared=len(shared))


def papers_only_in(run: RunFolder, other: RunFolder) -> pd.DataFrame:
    """The papers `run` holds and `other` does not: paper_id, title, collections, topic, label."""
    if run.assignments is None or other.assignments is None:
        return pd.DataFrame(columns=["paper_id", "title", "collections", "topic", "label"])
    only = run.assignments[~run.assignments["paper_id"].isin(set(other.assignments["paper_id"]))]
    out = pd.DataFrame({"paper_id": only["paper_id"].astype(str), "title": only["title"].astype(str),
                        "collections": only["paper_id"].map(run.paper_collections).fillna(""),
                        "topic": only["topic"], "label": only["label"]})
    outliers_last = out["topic"].where(out["topic"] != OUTLIER_TOPIC, np.iinfo("int64").max)
    return out.assign(_order=outliers_last).sort_values(["_order", "title"], kind="stable").drop(
        columns="_order").reset_index(drop=True)


def compare_trend_calls(a: RunFolder, b: RunFolder, alignment: TopicAlignment) -> pd.DataFrame | None:
    """Matched topics whose trend call differs, and rising or declining topics with no match in the other run:
    topic_a, topic_b, label, call_a, call_b. None when a run has no trend_calls.csv."""
    if a.trend_calls is None or b.trend_calls is None:
        return None

    def calls(frame: pd.DataFrame) -> dict[int, tuple[str, str]]:
        out = {}
        for row in frame.to_dict("records"):
            topic = topic_id(row.get("topic"))
            if topic is not None:
                out[topic] = (str(row.get("call", "")), str(row.get("label", row.get("topic", ""))))
        return out

    ca, cb = calls(a.trend_calls), calls(b.trend_calls)
    matches = alignment.matches()
    rows = []
    for t, (call, label) in sorted(ca.items()):
        u = matches.get(t)
        other = cb.get(u, ("(no call)", "")) if u is not None else ("(topic not matched)", "")
        if other[0] != call and (u is not None or call in ("rising", "declining")):
            rows.append({"topic_a": t, "topic_b": u, "label": label, "call_a": call, "call_b": other[0]})
    matched_b = set(matches.values())
    for u, (call, label) in sorted(cb.items()):
        if u not in matched_b and call in ("rising", "declining"):
            rows.append({"topic_a": None, "topic_b": u, "label": label, "call_a": "(topic not matched)",
                         "call_b": call})
    return pd.DataFrame(rows, columns=["topic_a", "topic_b", "label", "call_a", "call_b"], dtype=object)


# --- the whole comparison ------------------------------------------------------------------------------------------

@dataclass
class RunDiff:
    a: RunFolder
    b: RunFolder
    inputs: pd.DataFrame
    counts: pd.DataFrame
    parameters: pd.DataFrame
    packages: pd.DataFrame
    topics: TopicAlignment | None
    only_a: pd.DataFrame
    only_b: pd.DataFrame
    trend_calls: pd.DataFrame | None

    @property
    def collections_only_a(self) -> list[str]:
        return [c for c in self.a.collections if c not in set(self.b.collections)]

    @property
    def collections_only_b(self) -> list[str]:
        return [c for c in self.b.collections if c not in set(self.a.collections)]

    @property
    def identical(self) -> bool:
        """Nothing found to differ (run times and folders aside)."""
        topics_same = self.topics is None or (
            set(self.topics.table["kind"]) <= {"matched"} and self.topics.label_changes().empty
            and self.topics.ari == 1.0)
        return bool((self.inputs["change"] == "same").all() and (self.counts["change"].fillna(0) == 0).all()
                    and self.parameters.empty and self.packages.empty and topics_same and self.only_a.empty
                    and self.only_b.empty and (self.trend_calls is None or self.trend_calls.empty))


def compare_runs(run_a: str | Path, run_b: str | Path, threshold: float = 0.5) -> RunDiff:
    a, b = load_run(run_a), load_run(run_b)
    topics = (align_topics(a.assignments, b.assignments, threshold)
              if a.assignments is not None and b.assignments is not None else None)
    return RunDiff(a=a, b=b, inputs=compare_inputs(a, b), counts=compare_counts(a, b),
                   parameters=compare_settings(a.parameters, b.parameters),
                   packages=compare_settings(a.manifest.get("packages") or {}, b.manifest.get("packages") or {}),
                   topics=topics, only_a=papers_only_in(a, b), only_b=papers_only_in(b, a),
                   trend_calls=None if topics is None else compare_trend_calls(a, b, topics))


# --- rendering -----------------------------------------------------------------------------------------------------

def _sections(diff: RunDiff, titles_shown: int | None) -> list[Section]:
    """The comparison as page sections; titles_shown cuts the lists of papers (None: all)."""
    inputs = diff.inputs["change"].value_counts()
    input_line = (", ".join(f"{n} {change}" for change, n in inputs.items()) if len(diff.inputs)
                  else "no input hashes in the manifests")
    sections = [
        Section("Inputs", [Paragraph(f"Input files: {input_line}."), Table(diff.inputs)], "inputs"),
        Section("Counts", [Table(diff.counts)], "counts"),
        Section("Parameters", [Table(diff.parameters) if len(diff.parameters)
                               else Paragraph("The same parameters (output folders aside).")], "parameters"),
        Section("Package versions", [Table(diff.packages) if len(diff.packages)
                                     else Paragraph("The same package versions.")], "packages"),
    ]
    if diff.topics is None:
        sections.append(Section("Topics", [Note("Topics not compared: a run has no 02_topics/assignments.csv.")],
                                "topics"))
    else:
        counts = diff.topics.counts()
        changes = len(diff.topics.label_changes())
        summary = (f"On the {diff.topics.shared} papers both runs hold: ARI {diff.topics.ari:.3f}; "
                   + ", ".join(f"{n} {k}" for k, n in counts.items()) + f"; {changes} label(s) changed.")
        sections.append(Section("Topics", [Paragraph(summary), Table(diff.topics.table)], "topics"))
    papers: list[Any] = []
    for side, frame, only in (("A", diff.only_a, diff.collections_only_a), ("B", diff.only_b,
                                                                                diff.collections_only_b)):
        line = f"{len(frame)} paper(s) only in run {side}"
        if only:
            line += f"; collection(s) only in run {side}: {', '.join(only)}"
        papers.append(Paragraph(line + "."))
        if len(frame):
            shown = frame if titles_shown is None else frame.head(titles_shown)
            papers.append(Table(shown[["title", "collections", "topic", "label"]]))
            if len(shown) < len(frame):
                papers.append(Paragraph(f"... and {len(frame) - len(shown)} more (the HTML page lists them all)."))
    sections.append(Section("Papers", papers, "papers"))
    if diff.trend_calls is None:
        trend: list[Any] = [Note("Trend calls not compared: a run has no 03_trends/trend_calls.csv.")]
    elif diff.trend_calls.empty:
        trend = [Paragraph("No trend call changed.")]
    else:
        trend = [Table(diff.trend_calls)]
    sections.append(Section("Trend calls", trend, "trends"))
    return sections


def _text_table(frame: pd.DataFrame, width: int = 60) -> str:
    """A table for the terminal: text left-aligned, numbers right-aligned, cells cut at `width` characters."""
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    records = frame[columns].astype(object).where(frame[columns].notna(), "").to_dict("records")
    numeric = [all(isinstance(r[c], int | float) or r[c] == "" for r in records) for c in columns]
    cells = [[str(c) for c in columns]]
    cells += [[v if len(v) <= width else v[:width - 3] + "..." for v in (str(r[c]) for c in columns)]
              for r in records]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  " + "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric,
                                                                                    strict=True)).rstrip()
             for row in cells]
    return "\n".join(lines)


def render_text(diff: RunDiff) -> str:
    """The comparison for the terminal: a heading and a table (or a line) per part."""
    lines = [f"nbkit diff: A = {diff.a.path}, B = {diff.b.path}"]
    for section in _sections(diff, TITLES_SHOWN):
        lines.append(f"\n{section.title}")
        for item in section.items:
            lines.append(_text_table(item.frame) if isinstance(item, Table) else f"  {item.text}")
    lines.append("\nThe runs agree." if diff.identical else "\nThe runs differ (see above).")
    return "\n".join(lines)


def render_html(diff: RunDiff) -> str:
    """The comparison as a standalone HTML page (every text escaped)."""
    intro = f"A = {diff.a.path}, B = {diff.b.path}. " + ("The runs agree." if diff.identical else "The runs differ.")
    return render_page(f"nbkit diff: {diff.a.path.name} vs {diff.b.path.name}", _sections(diff, None), intro)
