"""The findings page of a run folder: what was found, in one page (index.html) and its Markdown twin (index.md).

    write_findings("reports")        # after `nbkit run`, which calls it; rebuilds the page from the folder alone

Everything comes from the files the notebooks wrote into the run folder (`01_corpus/report.json`,
`02_topics/topics.csv`, `03_trends/...`, `04_compare/...`, `manifest.json`), so the page of an old run can be
rebuilt, and a section whose files are absent (a notebook not run, a table a newer nbkit writes) says so instead of
failing. compute_* gather the facts (dataclasses and DataFrames); build_findings lays them out as sections
(nbkit.pages), which render to HTML and Markdown with every corpus text escaped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nbkit.errors import NbkitError
from nbkit.pages import Bullets, Figure, Link, Note, Paragraph, Section, Table, render_html, render_markdown

NOT_COMPUTED = "not computed in this run"
RESIDUAL_CUT = 2.0  # |standardized residual| above this: a topic clearly over- or under-represented in a collection
TERMS_SHOWN = 5  # distinctive terms shown per collection


# the columns the page and the diff read from each table (the notebooks write more)
REQUIRED_COLUMNS = {
    "01_corpus/listings_per_collection.csv": ("collection",),
    "01_corpus/publication_years.csv": ("year", "papers"),
    "02_topics/topics.csv": ("topic", "size", "label"),
    "02_topics/assignments.csv": ("paper_id", "title", "topic", "label"),
    "03_trends/trend_calls.csv": ("topic",),
    "04_compare/residuals.csv": ("collection",),
    "04_compare/distinctive_terms.csv": ("group", "rank", "term"),
}


def read_table(folder: Path, relative: str) -> pd.DataFrame | None:
    """A CSV of the run folder, or None when the run did not write it; NbkitError when it cannot be read or lacks
    a column nbkit reads from it."""
    path = folder / relative
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise NbkitError(f"not a readable CSV table ({' '.join(str(exc).split())})", path) from None
    missing = [c for c in REQUIRED_COLUMNS.get(relative, ()) if c not in table.columns]
    if missing and table.empty:  # an empty table is written without its index column (describe.write_tables)
        return table.assign(**{c: pd.Series(dtype=object) for c in missing})
    if missing:
        raise NbkitError(f"not the table nbkit writes: no column {', '.join(missing)}", path)
    return table


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise NbkitError(f"not a readable JSON file ({exc.__class__.__name__})", path) from None
    if not isinstance(data, dict):
        raise NbkitError("expected a JSON object", path)
    return data


def topic_id(value: Any) -> int | None:
    """A topic as the tables name it (3, "3" or "3: label (unstable)") -> 3."""
    match = re.match(r"\s*(-?\d+)", str(value))
    return int(match.group(1)) if match else None


# --- the facts -----------------------------------------------------------------------------------------------------

@dataclass
class CorpusFacts:
    """Corpus size (load report totals) and date coverage."""

    totals: dict[str, int]
    collections: pd.DataFrame | None  # listings_per_collection.csv
    years: pd.DataFrame | None  # publication_years.csv: year, papers, exact, inferred
    coverage: pd.DataFrame | None  # 03_trends/date_coverage.csv: how precisely papers are dated

    @property
    def dated(self) -> int:
        return int(self.years["papers"].sum()) if self.years is not None else 0

    def size_sentence(self) -> str:
        t = self.totals
        return (f"{t.get('papers', 0)} papers from {t.get('listings', 0)} listings in {t.get('files', 0)} file(s): "
                f"{t.get('merged_duplicates', 0)} duplicate listings merged, {t.get('rejected', 0)} blocks rejected"
                f", {t.get('flagged_listings', 0)} listings flagged.")

    def date_sentence(self) -> str:
        papers = self.totals.get("papers", 0)
        if self.years is None or self.years.empty:
            return f"No paper of the {papers} carries a date." if self.years is not None else ""
        share = self.dated / papers if papers else 0.0
        first, last = int(self.years["year"].min()), int(self.years["year"].max())
        inferred = int(self.years["inferred"].sum()) if "inferred" in self.years else 0
        return (f"{self.dated} of {papers} papers dated ({share:.1%}), {first} to {last}"
                + (f"; {inferred} of those years inferred (see the load report)." if inferred else "."))


def compute_corpus_facts(folder: Path) -> CorpusFacts | None:
    report = read_json(folder / "01_corpus" / "report.json")
    if report is None:
        return None
    totals = {k: int(v) for k, v in (report.get("totals") or {}).items() if isinstance(v, int | float)}
    return CorpusFacts(totals=totals, collections=read_table(folder, "01_corpus/listings_per_collection.csv"),
                       years=read_table(folder, "01_corpus/publication_years.csv"),
                       coverage=read_table(folder, "03_trends/date_coverage.csv"))


@dataclass
class TopicFacts:
    topics: pd.DataFrame  # topic, label, size, share, stability, unstable, example paper (outliers left out)
    outliers: int
    quality: dict[str, Any] = field(default_factory=dict)  # quality.csv: n_topics, outlier_share, npmi, diversity

    def sentence(self) -> str:
        n, unstable = len(self.topics), int(self.topics["unstable"].sum()) if "unstable" in self.topics else 0
        total = int(self.topics["size"].sum()) + self.outliers
        text = f"{n} topics over {total} papers, {self.outliers} papers left as outliers"
        if "stability" in self.topics:
            text += (f"; {unstable} topic(s) unstable (they come back in too few resampled refits: read them with "
                     "care, they are never called rising or declining)")
        extra = [f"{k} {self.quality[k]}" for k in ("npmi", "diversity") if k in self.quality]
        return text + (f". Quality: {', '.join(extra)}." if extra else ".")


def compute_topic_facts(folder: Path) -> TopicFacts | None:
    topics = read_table(folder, "02_topics/topics.csv")
    if topics is None:
        return None
    outliers = int(topics.loc[topics["topic"] < 0, "size"].sum())
    keep = [c for c in ("topic", "label", "size", "share", "stability", "unstable") if c in topics]
    table = topics.loc[topics["topic"] >= 0, keep].reset_index(drop=True)
    if "representative_titles" in topics:  # the first of the topic's representative papers, as an example
        titles = topics.loc[topics["topic"] >= 0, "representative_titles"].fillna("").astype(str)
        table["example paper"] = [t.split(" | ")[0] for t in titles]
    if "unstable" in table:
        table["unstable"] = table["unstable"].astype(bool)
    quality = read_table(folder, "02_topics/quality.csv")
    return TopicFacts(table, outliers, quality.iloc[0].to_dict() if quality is not None and len(quality) else {})


def _topic_name(row: dict[str, Any]) -> str:
    topic = topic_id(row.get("topic"))
    return f"topic {topic} ({row['label']})" if "label" in row and topic is not None else str(row.get("topic"))


@dataclass
class TrendFacts:
    calls: pd.DataFrame | None  # 03_trends/trend_calls.csv: topic, label, call, held, fits, shares ...
    emerging: pd.DataFrame | None  # 03_trends/emerging_topics.csv
    tests: pd.DataFrame | None  # 03_trends/topic_trend_tests.csv: one fit's Cochran-Armitage tests

    def call_sentence(self) -> str:
        """rising: topic 3 (label); declining: none. (and emerging: ..., when that table is there)"""
        parts = [(call, table) for call, table in (("rising", self.calls), ("declining", self.calls),
                                                   ("emerging", self.emerging))
                 if table is not None and "call" in table]
        named = {call: [_topic_name(r) for r in table[table["call"] == call].to_dict("records")]
                 for call, table in parts}
        return "; ".join(f"{call}: {', '.join(names) if names else 'none'}" for call, names in named.items()) + \
            ("." if named else "")


CALL_ORDER = {"rising": 0, "declining": 1, "emerging": 0, "no call": 2, "unstable": 3}
# the columns the page shows of 03_trends' tables, in this order, when the table has them
CALL_COLUMNS = ("topic", "label", "call", "held", "fits", "slope", "ci_low", "ci_high", "p_adjusted", "reason")
EMERGING_COLUMNS = ("topic", "label", "call", "earlier_share", "recent_share", "difference", "diff_low", "diff_high",
                    "p_adjusted", "absent_before", "reason")


def shown_columns(table: pd.DataFrame, preferred: tuple[str, ...]) -> pd.DataFrame:
    """The preferred columns a table has, then its share columns (share_low, ...), leaving out columns with no value
    (absent_before when no topic appeared); the whole table when it has too few of them to read (a layout this
    version of nbkit does not know)."""
    picked = [c for c in preferred if c in table] + [c for c in table if c.startswith("share") and c not in preferred]
    if len(picked) < 3:
        return table
    return table[[c for c in picked if c in ("topic", "label") or table[c].notna().any()]]  # no empty columns


def compute_trend_facts(folder: Path) -> TrendFacts:
    def ordered(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None or "call" not in table:
            return table
        return table.sort_values("call", key=lambda s: s.map(CALL_ORDER).fillna(9), kind="stable")

    return TrendFacts(calls=ordered(read_table(folder, "03_trends/trend_calls.csv")),
                      emerging=ordered(read_table(folder, "03_trends/emerging_topics.csv")),
                      tests=read_table(folder, "03_trends/topic_trend_tests.csv"))


@dataclass
class CollectionFacts:
    association: dict[str, Any]  # association.csv: chi2, dof, p_value, cramers_v, n, warning
    collections: pd.DataFrame  # collection, over (topics), under (topics), distinctive terms
    strongest: tuple[str, str, float] | None = None  # (collection, topic, residual) of the largest |residual|

    def test_sentence(self, long: bool = False) -> str:
        """The chi-square test of topics by collection, or why there is none (a single collection)."""
        a = self.association
        warning = a.get("warning") if isinstance(a.get("warning"), str) else ""
        if pd.isna(a.get("chi2")):
            return (f"Topics by collection: {warning or 'no test'}." if long else warning or "no test")
        if not long:
            return f"Cramér's V {a.get('cramers_v')} between topics and collections (p = {a.get('p_value')})"
        return (f"Topics by collection: chi-square {a.get('chi2')} on {a.get('dof')} degrees of freedom, "
                f"p = {a.get('p_value')}, Cramér's V {a.get('cramers_v')} (n = {a.get('n')})."
                + (f" Warning: {warning}." if warning else ""))


def _residual_topics(row: pd.Series, sign: int) -> str:
    picked = row[row * sign > RESIDUAL_CUT].sort_values(ascending=sign < 0)
    return "; ".join(f"{name} ({value:+.1f})" for name, value in picked.items())


def compute_collection_facts(folder: Path) -> CollectionFacts | None:
    """Per collection: the topics it holds clearly more or less of than independence predicts (standardized
    residual beyond +-RESIDUAL_CUT) and its most distinctive terms (log-odds z, the first TERMS_SHOWN)."""
    residuals = read_table(folder, "04_compare/residuals.csv")
    terms = read_table(folder, "04_compare/distinctive_terms.csv")
    association = read_table(folder, "04_compare/association.csv")
    if residuals is None and terms is None:
        return None
    names: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    if residuals is not None:
        for _, row in residuals.set_index("collection").iterrows():
            rows[str(row.name)] = {"over-represented topics": _residual_topics(row.astype(float), 1),
                                   "under-represented topics": _residual_topics(row.astype(float), -1)}
            names.append(str(row.name))
    if terms is not None:
        for group, part in terms.sort_values(["group", "rank"]).groupby("group", sort=False):
            rows.setdefault(str(group), {})["distinctive terms"] = ", ".join(part["term"].astype(str)[:TERMS_SHOWN])
            if str(group) not in names:
                names.append(str(group))
    table = pd.DataFrame([{"collection": n, **rows[n]} for n in names]).fillna("")
    first = association.iloc[0].to_dict() if association is not None and len(association) else {}
    strongest = None
    if residuals is not None and residuals.shape[1] > 1:
        values = residuals.set_index("collection").astype(float).stack().dropna()  # NaN: one collection only
        if len(values):
            (name, topic), value = values.abs().idxmax(), values[values.abs().idxmax()]
            strongest = (str(name), str(topic), float(value))
    return CollectionFacts(association=first, collections=table, strongest=strongest)


@dataclass
class RunStatus:
    status: str
    started: str
    wall_seconds: float
    notebooks: pd.DataFrame  # notebook, status, seconds, error, _href (its HTML report)
    parameters: dict[str, Any]


def compute_run_status(folder: Path) -> RunStatus | None:
    manifest = read_json(folder / "manifest.json")
    if manifest is None:
        return None
    rows = [{"notebook": n.get("notebook", ""), "status": n.get("status", ""), "seconds": n.get("seconds"),
             "error": n.get("error", ""), "_href": Path(n["html"]).name if n.get("html") else "",
             "_failed": n.get("status") == "failed"} for n in manifest.get("notebooks", [])]
    return RunStatus(status=str(manifest.get("status", "")), started=str(manifest.get("started", "")),
                     wall_seconds=float(manifest.get("wall_seconds") or 0.0), parameters=manifest.get("parameters")
                     or {}, notebooks=pd.DataFrame(rows, columns=["notebook", "status", "seconds", "error",
                                                                  "_href", "_failed"]))


# --- the page ------------------------------------------------------------------------------------------------------

def _figures(folder: Path, *pairs: tuple[str, str]) -> list[Figure]:
    """The figures of the run folder that exist, linked by relative path (the page sits at the folder's top)."""
    return [Figure(path, caption) for path, caption in pairs if (folder / path).is_file()]


def _missing(what: str, notebook: str) -> Note:
    return Note(f"{what}: {NOT_COMPUTED} ({notebook} wrote no such table).")


def _corpus_section(folder: Path) -> Section:
    facts = compute_corpus_facts(folder)
    if facts is None:
        return Section("Corpus", [_missing("Corpus size", "01_corpus")], "corpus")
    items: list[Any] = [Paragraph(facts.size_sentence()), Paragraph(facts.date_sentence())]
    if facts.coverage is not None:
        items.append(Table(facts.coverage))
    if facts.collections is not None:
        items.append(Table(facts.collections))
    items += _figures(folder, ("01_corpus/publication_years.png", "Papers per publication year"),
                      ("01_corpus/listings_per_collection.png", "Listings per collection"))
    return Section("Corpus", items, "corpus")


def _topics_section(folder: Path) -> Section:
    facts = compute_topic_facts(folder)
    if facts is None:
        return Section("Topics", [_missing("Topics", "02_topics")], "topics")
    table = facts.topics.assign(_unstable=facts.topics.get("unstable", False))
    if "unstable" in table:
        table["unstable"] = table["unstable"].map({True: "unstable", False: ""})
    items: list[Any] = [Paragraph(facts.sentence()), Table(table, marked="_unstable")]
    items += _figures(folder, ("02_topics/topic_map.png", "Topic map"), ("02_topics/topic_sizes.png", "Topic sizes"))
    if (folder / "02_topics" / "topic_map.html").is_file():
        items.append(Link("Interactive topic map (hover a point for its title)", "02_topics/topic_map.html"))
    return Section("Topics", items, "topics")


def _trends_section(folder: Path) -> Section:
    facts = compute_trend_facts(folder)
    items: list[Any] = []
    if sentence := facts.call_sentence():
        items.append(Paragraph(f"In short: {sentence}"))
    if facts.calls is not None:
        items.append(Paragraph("Trend calls: a topic is called rising or declining only when its adjusted trend test "
                               "holds in enough of the resampled fits (held of fits); unstable topics are never "
                               "called. Slope: change in share per period on all papers, with its 95% interval."))
        called = facts.calls["call"].isin(["rising", "declining"]) if "call" in facts.calls else False
        items.append(Table(shown_columns(facts.calls, CALL_COLUMNS).assign(_called=called), marked="_called"))
    else:
        items.append(Note(f"Trend calls across resampled fits: {NOT_COMPUTED}."))
    if facts.emerging is not None:
        items.append(Paragraph("Emerging topics: share in the last complete period(s) against the earlier share, "
                               "the difference with its 95% interval, the adjusted p and the reason for each call "
                               "(naming the test when a topic is called emerging)."))
        emerging = facts.emerging["call"].eq("emerging") if "call" in facts.emerging else False
        items.append(Table(shown_columns(facts.emerging, EMERGING_COLUMNS).assign(_emerging=emerging),
                           marked="_emerging"))
    else:
        items.append(Note(f"Emerging topics: {NOT_COMPUTED}."))
    if facts.tests is not None and facts.calls is None:  # the calls table holds the same test on all papers
        items += [Paragraph("Trend test of each topic on the reference fit (Cochran-Armitage; slope per period "
                            "with its 95% interval; p adjusted for the number of topics tested):"),
                  Table(facts.tests)]
    elif facts.calls is None and facts.tests is None:
        items.append(_missing("Topic trend tests", "03_trends"))
    items += _figures(folder, ("03_trends/topic_shares.png", "Topic shares per period, with 95% intervals"),
                      ("03_trends/topic_trends.png", "Topic papers per period"),
                      ("03_trends/keyword_trends.png", "Keyword shares per period"),
                      ("03_trends/papers_per_period.png", "Dated papers per period"))
    return Section("What rises and falls", items, "trends")


def _collections_section(folder: Path) -> Section:
    facts = compute_collection_facts(folder)
    if facts is None:
        return Section("What sets each collection apart", [_missing("Collection comparison", "04_compare")],
                       "collections")
    items: list[Any] = []
    if facts.association:
        items.append(Paragraph(facts.test_sentence(long=True)))
    items.append(Paragraph(f"Topics a collection holds clearly more or fewer papers of than if topics did not depend "
                           f"on the collection (standardized residual beyond ±{RESIDUAL_CUT:g}), and the words that "
                           f"set its abstracts apart from the rest (log-odds, first {TERMS_SHOWN}):"))
    items.append(Table(facts.collections))
    items += _figures(folder, ("04_compare/collection_topic_residuals.png", "Topic residuals per collection"),
                      ("04_compare/collection_topic_shares.png", "Topic shares per collection, with 95% intervals"))
    return Section("What sets each collection apart", items, "collections")


def _run_section(folder: Path) -> Section:
    status = compute_run_status(folder)
    if status is None:
        return Section("Notebooks and run", [Note("No manifest.json: this folder was not written by `nbkit run`.")],
                       "run")
    items: list[Any] = [
        Paragraph(f"Status {status.status}; started {status.started}, {status.wall_seconds:.0f} s."),
        Link("manifest.json: parameters, input hashes, package versions, embedding model, times", "manifest.json"),
        Table(status.notebooks, links={"notebook": "_href"}, marked="_failed"),
        Paragraph("Parameters given: " + (json.dumps(status.parameters, default=str) if status.parameters
                                          else "none (the notebooks' defaults)") + "."),
    ]
    return Section("Notebooks and run", items, "run")


def compute_headlines(folder: Path) -> list[str]:
    """One line per part of the run: the facts a reader wants first."""
    lines = []
    corpus = compute_corpus_facts(folder)
    if corpus is not None:
        t = corpus.totals
        n_collections = len(corpus.collections) if corpus.collections is not None else 0
        lines.append(f"Corpus: {t.get('papers', 0)} papers in {n_collections} collection(s) ({t.get('listings', 0)} "
                     f"listings, {t.get('merged_duplicates', 0)} duplicates merged, {t.get('rejected', 0)} rejected)"
                     + (f"; {corpus.date_sentence()[:1].lower()}{corpus.date_sentence()[1:]}"
                        if corpus.years is not None else "."))
    topics = compute_topic_facts(folder)
    if topics is not None and len(topics.topics):
        largest = topics.topics.sort_values("size", ascending=False, kind="stable").iloc[0]
        unstable = int(topics.topics["unstable"].sum()) if "unstable" in topics.topics else 0
        lines.append(f"Topics: {len(topics.topics)}, {unstable} unstable; the largest is {largest['topic']}: "
                     f"{largest['label']} ({largest['size']} papers).")
    trends = compute_trend_facts(folder)
    if trends.calls is not None or trends.emerging is not None:
        lines.append("Trends (calls that hold across resampled fits): " + trends.call_sentence())
    elif trends.tests is not None and trends.tests.empty:
        lines.append("Trends: no topic tested (too few periods with dated papers).")
    elif trends.tests is not None and "trend" in trends.tests:
        called = trends.tests[trends.tests["trend"].isin(["rising", "falling"])]
        lines.append(f"Trends (one fit, not checked across refits): {len(called)} of {len(trends.tests)} topics "
                     "with a clear trend" + (": " + "; ".join(f"{r['topic']} {r['trend']}" for r in
                                                                called.to_dict("records")) if len(called) else "."))
    else:
        lines.append(f"Trends: {NOT_COMPUTED}.")
    collections = compute_collection_facts(folder)
    if collections is not None and (collections.association or collections.strongest):
        parts = [collections.test_sentence()] if collections.association else []
        if collections.strongest:
            name, topic, value = collections.strongest
            parts.append(f"the clearest difference: {name} holds {'more' if value > 0 else 'fewer'} papers of "
                         f"{topic} than expected (residual {value:+.1f})")
        lines.append("Collections: " + "; ".join(parts) + ".")
    status = compute_run_status(folder)
    if status is not None:
        failed = status.notebooks.loc[status.notebooks["_failed"], "notebook"].tolist()
        lines.append(f"Run: {status.status}" + (f" ({', '.join(failed)} failed)" if failed else "")
                     + f", {len(status.notebooks)} notebook(s), {status.wall_seconds:.0f} s.")
    return lines


def build_findings(folder: str | Path) -> list[Section]:
    """The sections of the findings page of a run folder, from its files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NbkitError("no such run folder", folder)
    return [Section("In short", [Bullets(compute_headlines(folder))], "headlines"), _corpus_section(folder),
            _topics_section(folder), _trends_section(folder), _collections_section(folder), _run_section(folder)]


def write_findings(folder: str | Path) -> tuple[Path, Path]:
    """index.html and index.md of a run folder: the findings, then links to each notebook's report."""
    folder = Path(folder)
    page = build_findings(folder)
    status = compute_run_status(folder)
    intro = (f"Run folder {folder.name}: status {status.status}, started {status.started}." if status
             else f"Run folder {folder.name}.")
    title = f"nbkit findings: {folder.name}"
    html_path, md_path = folder / "index.html", folder / "index.md"
    html_path.write_text(render_html(title, page, intro), encoding="utf-8")
    md_path.write_text(render_markdown(title, page, intro), encoding="utf-8")
    return html_path, md_path
