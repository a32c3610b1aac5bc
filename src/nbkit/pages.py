"""Pages about run folders, in HTML and Markdown from one description: sections of paragraphs, tables, figures
and notes. The findings page (findings.py) and the comparison of two runs (diff.py) describe what they show with
these; rendering is here, once, and escapes every text, so corpus text (titles, labels, terms) never becomes
markup.

    page = [Section("Topics", [Paragraph("9 topics"), Table(frame), Figure("02_topics/topic_map.png", "map")])]
    render_html("Findings", page); render_markdown("Findings", page)
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd


@dataclass
class Paragraph:
    text: str


@dataclass
class Note:
    """Something the page cannot show, said plainly: "Trend calls: not computed in this run"."""

    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Link:
    """A link on a line of its own, e.g. to a file of the run folder (relative path)."""

    text: str
    href: str


@dataclass
class Table:
    """A table; `links` maps a shown column to the (hidden) column holding its link target, and rows whose
    `marked` column is true are highlighted (unstable topics, failed notebooks). Columns starting with "_" are
    not shown."""

    frame: pd.DataFrame
    links: dict[str, str] = field(default_factory=dict)
    marked: str | None = None


@dataclass
class Figure:
    """An image in the run folder, by its path relative to the page."""

    path: str
    caption: str


@dataclass
class Section:
    title: str
    items: list[Paragraph | Bullets | Note | Link | Table | Figure]
    anchor: str = ""


Page = Sequence[Section]

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;line-height:1.4}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;
vertical-align:top}th{background:#f4f4f4}tr.marked td{background:#fff4e5}p.note{color:#666;font-style:italic}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}figure img{max-width:34em;max-height:26em;
border:1px solid #ddd}figcaption{font-size:.9em;color:#555}nav a{margin-right:1em}.failed{color:#b00}.ok{color:#070}"""


def _text(value: object) -> str:
    """A cell as text: missing values empty, floats without trailing noise."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        if abs(value) < 0.01:  # small p-values keep three significant digits
            return f"{value:.3g}"
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def _shown(table: Table) -> list[str]:
    return [str(c) for c in table.frame.columns if not str(c).startswith("_")]


def html_table(table: Table) -> str:
    columns = _shown(table)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    for record in table.frame.to_dict("records"):
        cells = []
        for c in columns:
            text = html.escape(_text(record[c]))
            target = record.get(table.links[c]) if c in table.links else None
            if target:
                text = f'<a href="{html.escape(str(target), quote=True)}">{text}</a>'
            css = f' class="{text}"' if c == "status" and text in ("ok", "failed") else ""
            cells.append(f"<td{css}>{text}</td>")
        marked = ' class="marked"' if table.marked and bool(record.get(table.marked)) else ""
        rows.append(f"<tr{marked}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(title: str, page: Page, intro: str = "") -> str:
    """A standalone HTML page: a title, a line of links to the sections, then each section."""
    nav = " ".join(f'<a href="#{html.escape(s.anchor)}">{html.escape(s.title)}</a>' for s in page if s.anchor)
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if intro:
        parts.append(f"<p>{html.escape(intro)}</p>")
    if nav:
        parts.append(f"<nav>{nav}</nav>")
    for section in page:
        anchor = f' id="{html.escape(section.anchor)}"' if section.anchor else ""
        parts.append(f'<section{anchor}><h2>{html.escape(section.title)}</h2>')
        figures = []
        for item in section.items:
            if isinstance(item, Figure):  # figures of a section side by side, after its text
                src = html.escape(item.path, quote=True)
                figures.append(f'<figure><a href="{src}"><img src="{src}" alt="{html.escape(item.caption)}">'
                               f"</a><figcaption>{html.escape(item.caption)}</figcaption></figure>")
            elif isinstance(item, Table):
                parts.append(html_table(item))
            elif isinstance(item, Note):
                parts.append(f'<p class="note">{html.escape(item.text)}</p>')
            elif isinstance(item, Bullets):
                parts.append("<ul>" + "".join(f"<li>{html.escape(text)}</li>" for text in item.items) + "</ul>")
            elif isinstance(item, Link):
                parts.append(f'<p><a href="{html.escape(item.href, quote=True)}">{html.escape(item.text)}</a></p>')
            else:
                parts.append(f"<p>{html.escape(item.text)}</p>")
        if figures:
            parts.append(f"<div class=\"figures\">{''.join(figures)}</div>")
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md(text: str) -> str:
    """Text for Markdown: HTML-escaped (Markdown passes raw HTML through) and on one line."""
    return html.escape(" ".join(text.split()), quote=False)


def markdown_table(table: Table) -> str:
    columns = _shown(table)
    lines = ["| " + " | ".join(_md(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for record in table.frame.to_dict("records"):
        cells = []
        for c in columns:
            text = _md(_text(record[c])).replace("|", "\\|")
            target = record.get(table.links[c]) if c in table.links else None
            cells.append(f"[{text}]({quote(str(target))})" if target else text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(title: str, page: Page, intro: str = "") -> str:
    """The same page as Markdown (figures as image links relative to the page)."""
    parts = [f"# {_md(title)}"]
    if intro:
        parts.append(_md(intro))
    for section in page:
        parts.append(f"## {_md(section.title)}")
        for item in section.items:
            if isinstance(item, Figure):
                parts.append(f"![{_md(item.caption)}]({quote(item.path)})")  # a space would end the link
            elif isinstance(item, Table):
                parts.append(markdown_table(item))
            elif isinstance(item, Note):
                parts.append(f"_{_md(item.text)}_")
            elif isinstance(item, Bullets):
                parts.append("\n".join(f"- {_md(text)}" for text in item.items))
            elif isinstance(item, Link):
                parts.append(f"[{_md(item.text)}]({quote(item.href)})")
            else:
                parts.append(_md(item.text))
    return "\n\n".join(parts) + "\n"
