"""An interactive explorer for JupyterLab (ipywidgets): filter by collection, topic, date range and text, read the
matching papers, open one to see its abstract and its most similar papers, and watch a chart follow the filters.

    explorer = Explorer(corpus.papers, assignments, embeddings)
    explorer.widget          # display it in a notebook
    explorer.collection.value = "robots"; explorer.results  # the same filters, driven from code or tests

Filtering works on arrays prepared once (lower-cased text, collection and topic masks, dates as integers), so a
filter change on 100,000 papers stays well under a second. Every piece of corpus text is HTML-escaped wherever it
is rendered, and links are kept only when they are http(s).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALL = "(all)"
ALL_TOPICS = -100  # the topic dropdown's "(all)": a Dropdown shows a None value as an empty box
TABLE_ROWS = 50  # rows rendered in the results table; the count above it is of all matches
TABLE_COLUMNS = ["title", "date", "collections", "topic", "upvotes", "code"]


@dataclass(frozen=True)
class Filters:
    collection: str = ALL
    topic: int | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    text: str = ""


class PaperIndex:
    """The corpus prepared for fast filtering: one row per paper, in the order of `papers`."""

    def __init__(self, papers: pd.DataFrame, assignments: pd.DataFrame | None = None,
                 embeddings: np.ndarray | None = None) -> None:
        self.papers = papers.reset_index(drop=True)
        n = len(self.papers)
        if assignments is not None:
            merged = self.papers[["paper_id"]].merge(assignments[["paper_id", "topic", "label"]], on="paper_id",
                                                     how="left")
            self.topic = merged["topic"].fillna(-2).astype("int64").to_numpy()
            self.labels = (assignments.drop_duplicates("topic").set_index("topic")["label"].astype(str)
                           .sort_index(key=lambda s: s.where(s >= 0, 10**9)).to_dict())
        else:
            self.topic, self.labels = np.full(n, -2, dtype="int64"), {}
        text = self.papers["title"].fillna("").astype(str) + "\n" + self.papers["abstract"].fillna("").astype(str)
        # all texts in one string, \0 between papers: str.find scans it in C, and after a hit the search jumps to
        # the next paper, so a word costs one pass over the text plus one step per matching paper
        texts = text.str.lower().str.replace("\0", " ", regex=False).tolist()
        self.text = "\0".join(texts)
        self.starts = np.cumsum([0] + [len(t) + 1 for t in texts])[:-1].tolist() if texts else []
        days = self.papers["published"].to_numpy(dtype="datetime64[D]")
        self.dated = ~np.isnat(days)
        self.day = np.where(self.dated, days.astype("int64"), 0)
        titles = self.papers["title"].fillna("").astype(str).to_numpy(dtype=str)
        title_rank = np.empty(n, dtype="int64")
        title_rank[np.argsort(titles, kind="stable")] = np.arange(n)
        self.order = np.lexsort((title_rank, -self.day, ~self.dated))  # display order: newest first, undated last
        exploded = self.papers["collections"].explode().dropna().astype(str)
        self.collections = sorted(exploded.unique())
        self.collection_mask = {}
        for name, rows in exploded.groupby(exploded).groups.items():  # rows: paper positions (index was reset)
            mask = np.zeros(n, dtype=bool)
            mask[np.asarray(rows, dtype="int64")] = True
            self.collection_mask[str(name)] = mask
        self.unit = None
        if embeddings is not None and len(embeddings) == n:
            norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
            self.unit = (embeddings / np.maximum(norms, 1e-12)).astype(np.float32)

    def mask(self, filters: Filters) -> np.ndarray:
        keep = np.ones(len(self.papers), dtype=bool)
        if filters.collection != ALL:
            keep &= self.collection_mask.get(filters.collection, np.zeros_like(keep))
        if filters.topic is not None:
            keep &= self.topic == filters.topic
        if filters.start is not None or filters.end is not None:
            keep &= self.dated
            if filters.start is not None:
                keep &= self.day >= pd.Timestamp(filters.start).to_datetime64().astype("datetime64[D]").astype("int64")
            if filters.end is not None:
                keep &= self.day <= pd.Timestamp(filters.end).to_datetime64().astype("datetime64[D]").astype("int64")
        for word in filters.text.lower().split():
            keep &= self._contains(word)
        return keep

    def _contains(self, word: str) -> np.ndarray:
        """Which papers' title or abstract contain `word` (lower-cased substring)."""
        from bisect import bisect_right

        found = np.zeros(len(self.starts), dtype=bool)
        starts, find = self.starts, self.text.find
        position = find(word)
        while position != -1:
            row = bisect_right(starts, position) - 1
            found[row] = True
            position = find(word, starts[row + 1]) if row + 1 < len(starts) else -1
        return found

    def similar(self, row: int, n: int = 5) -> list[tuple[int, float]]:
        """The `n` papers closest to paper `row` by cosine similarity of embeddings: [(row, similarity)]."""
        if self.unit is None:
            return []
        scores = self.unit @ self.unit[row]
        scores[row] = -np.inf
        best = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
        best = best[np.lexsort((best, -scores[best]))]
        return [(int(i), round(float(scores[i]), 3)) for i in best]


def compute_results(index: PaperIndex, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """The papers matching the filters, newest first (undated last, then by title), the first `limit` of them:
    the results table's rows. `.attrs["total"]` is the number of all matches."""
    mask = index.mask(filters)
    ordered = index.order[mask[index.order]]
    rows = ordered if limit is None else ordered[:limit]
    papers = index.papers.iloc[rows]
    out = pd.DataFrame({
        "row": rows,
        "title": papers["title"].astype(str).to_numpy(),
        "date": papers["published"].dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
        "collections": [", ".join(map(str, c)) for c in papers["collections"]],
        "topic": [_topic_name(index, t) for t in index.topic[rows]],
        "upvotes": papers["upvotes"].to_numpy(),
        "code": [c[0] if len(c) else "" for c in papers["code_urls"]],
    })
    out.attrs["total"] = len(ordered)
    return out


def compute_chart_data(index: PaperIndex, filters: Filters) -> pd.DataFrame:
    """Matching papers per topic (rows, largest first) with their share of the matches: what the chart draws."""
    topics = index.topic[index.mask(filters)]
    counts = pd.Series(topics).value_counts()
    out = pd.DataFrame({"topic": [_topic_name(index, t) for t in counts.index], "papers": counts.to_numpy()})
    out["share"] = (out["papers"] / max(1, len(topics))).round(3)
    return out.sort_values(["papers", "topic"], ascending=[False, True]).reset_index(drop=True)


def _topic_name(index: PaperIndex, topic: int) -> str:
    if topic == -2:
        return ""
    return f"{topic}: {index.labels.get(topic, '')}"


def _link(url: str) -> str:
    if not url or not url.lower().startswith(("http://", "https://")):
        return html.escape(url or "")
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">{html.escape(url)}</a>'


def render_table(results: pd.DataFrame, limit: int = TABLE_ROWS) -> str:
    """The results as an HTML table (the first `limit` rows), every cell escaped."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in TABLE_COLUMNS)
    body = []
    for row in results.head(limit).itertuples(index=False):
        upvotes = "" if pd.isna(row.upvotes) else str(int(row.upvotes))
        cells = [html.escape(row.title), html.escape(row.date), html.escape(row.collections), html.escape(row.topic),
                 upvotes, _link(row.code)]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    total = results.attrs.get("total", len(results))
    shown = f"{min(limit, len(results))} of {total} matching papers"
    return (f'<div class="nbkit-results"><p>{shown}</p><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def render_chart(chart: pd.DataFrame, top: int = 12) -> str:
    """Horizontal bars (plain HTML) of the matching papers per topic."""
    if chart.empty:
        return "<p>No matching papers.</p>"
    width = chart["papers"].max()
    bars = "".join(
        f'<div style="display:flex;align-items:center;gap:.5em"><span style="width:22em;overflow:hidden;'
        f'white-space:nowrap">{html.escape(row.topic)}</span><span style="background:#4c78a8;height:.9em;'
        f'width:{12 * row.papers / width:.2f}em"></span><span>{row.papers} ({row.share:.0%})</span></div>'
        for row in chart.head(top).itertuples(index=False))
    return f'<div class="nbkit-chart"><b>Matching papers per topic</b>{bars}</div>'


def render_detail(index: PaperIndex, row: int) -> str:
    """One paper: title, metadata, abstract and its most similar papers, every piece escaped."""
    paper = index.papers.iloc[row]
    date = "" if pd.isna(paper["published"]) else paper["published"].strftime("%Y-%m-%d")
    meta = [f"<b>Date:</b> {html.escape(date) or 'unknown'}",
            f"<b>Collections:</b> {html.escape(', '.join(map(str, paper['collections'])))}",
            f"<b>Topic:</b> {html.escape(_topic_name(index, int(index.topic[row])))}"]
    if not pd.isna(paper.get("authors")):
        meta.append(f"<b>Authors:</b> {html.escape(str(paper['authors']))}")
    if not pd.isna(paper.get("upvotes")):
        meta.append(f"<b>Upvotes:</b> {int(paper['upvotes'])}")
    links = " ".join(_link(str(u)) for u in paper["code_urls"])
    similar = "".join(f"<li>{html.escape(str(index.papers.iloc[i]['title']))} ({score:.2f})</li>"
                      for i, score in index.similar(row))
    abstract = "" if pd.isna(paper["abstract"]) else str(paper["abstract"])
    return (f'<div class="nbkit-detail"><h3>{html.escape(str(paper["title"]))}</h3><p>{" · ".join(meta)}</p>'
            f"<p>{html.escape(abstract)}</p><p>{links}</p>"
            + (f"<p><b>Most similar papers</b></p><ol>{similar}</ol>" if similar else "") + "</div>")


class Explorer:
    """The widget: filters on top, the chart and the results table, then the selected paper."""

    def __init__(self, papers: pd.DataFrame, assignments: pd.DataFrame | None = None,
                 embeddings: np.ndarray | None = None, rows: int = TABLE_ROWS) -> None:
        import ipywidgets as w

        self.index = PaperIndex(papers, assignments, embeddings)
        self.rows = rows
        self.collection = w.Dropdown(options=[ALL, *self.index.collections], value=ALL, description="Collection")
        topic_options = [(ALL, ALL_TOPICS)] + [(f"{t}: {label}", t) for t, label in self.index.labels.items()]
        self.topic = w.Dropdown(options=topic_options, value=ALL_TOPICS, description="Topic")
        self.start = w.DatePicker(description="From")
        self.end = w.DatePicker(description="To")
        self.search = w.Text(placeholder="words in title or abstract", description="Search",
                             continuous_update=False)
        self.table = w.HTML()
        self.chart = w.HTML()
        self.paper = w.Dropdown(options=[], description="Paper", layout=w.Layout(width="60em"))
        self.detail = w.HTML()
        for control in (self.collection, self.topic, self.start, self.end, self.search):
            control.observe(self._refresh, names="value")
        self.paper.observe(self._show_paper, names="value")
        self.widget = w.VBox([w.HBox([self.collection, self.topic]), w.HBox([self.start, self.end]), self.search,
                              self.chart, self.table, self.paper, self.detail])
        self.results = pd.DataFrame()
        self.chart_data = pd.DataFrame()
        self._refresh()

    @property
    def filters(self) -> Filters:
        topic = None if self.topic.value == ALL_TOPICS else self.topic.value
        return Filters(collection=self.collection.value, topic=topic,
                       start=pd.Timestamp(self.start.value) if self.start.value else None,
                       end=pd.Timestamp(self.end.value) if self.end.value else None, text=self.search.value)

    def _refresh(self, _change: object = None) -> None:
        filters = self.filters
        self.results = compute_results(self.index, filters, limit=self.rows)
        self.chart_data = compute_chart_data(self.index, filters)
        self.table.value = render_table(self.results, self.rows)
        self.chart.value = render_chart(self.chart_data)
        shown = self.results.head(self.rows)
        self.paper.options = [(_short(t), int(r)) for t, r in zip(shown["title"], shown["row"], strict=True)]
        self.paper.value = int(shown["row"].iloc[0]) if len(shown) else None
        self._show_paper()

    def _show_paper(self, _change: object = None) -> None:
        row = self.paper.value
        self.detail.value = "" if row is None else render_detail(self.index, int(row))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"



def build_explorer(papers: pd.DataFrame, settings: object = None, *, cache_dir: object = None,
                   progress: bool = True) -> Explorer:
    """An Explorer over the topics of 02_topics (read from the cache, fitted when absent) and the cached
    embeddings of the same model, for "most similar papers"."""
    from nbkit.embed import EmbeddingCache, document_texts, embed_texts, make_embedder
    from nbkit.topics import TopicSettings, topic_summary

    settings = settings or TopicSettings()
    summary = topic_summary(papers, settings, cache_dir=cache_dir, progress=progress)
    cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
    embedder = make_embedder(settings.embedding_model, settings.embedding_backend)
    vectors = embed_texts(document_texts(papers, settings.embed_fields), embedder, cache, progress=progress).vectors
    return Explorer(papers, summary.assignments, vectors)
