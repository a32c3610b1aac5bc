"""Pages in HTML and Markdown from one description: escaping, links, marked rows, number formatting."""

from __future__ import annotations

import pandas as pd

from nbkit.pages import Bullets, Figure, Link, Note, Paragraph, Section, Table, render_html, render_markdown

FRAME = pd.DataFrame({"name": ["a|b <i>", "plain"], "p": [0.001234, 66.0], "share": [0.2479, None],
                      "_href": ["x.html", ""], "_flag": [True, False]})
PAGE = [Section("T & U", [Paragraph("1 < 2"), Bullets(["<b>one</b>"]), Note("not here"), Link("m & n", "m.json"),
                          Table(FRAME, links={"name": "_href"}, marked="_flag"), Figure("f/a b.png", "A <fig>")],
                "t")]


def test_html_escapes_every_text_and_hides_helper_columns():
    page = render_html("Title <x>", PAGE, intro="a & b")
    assert "<title>Title &lt;x&gt;</title>" in page and "<p>a &amp; b</p>" in page
    assert '<nav><a href="#t">T &amp; U</a></nav>' in page
    assert "<p>1 &lt; 2</p>" in page and "<ul><li>&lt;b&gt;one&lt;/b&gt;</li></ul>" in page
    assert '<p class="note">not here</p>' in page and '<p><a href="m.json">m &amp; n</a></p>' in page
    assert ("<thead><tr><th>name</th><th>p</th><th>share</th></tr></thead><tbody>"
            '<tr class="marked"><td><a href="x.html">a|b &lt;i&gt;</a></td><td>0.00123</td><td>0.248</td></tr>'
            "<tr><td>plain</td><td>66</td><td></td></tr></tbody>") in page
    assert '<img src="f/a b.png" alt="A &lt;fig&gt;">' in page


def test_markdown_escapes_html_and_table_pipes():
    text = render_markdown("Title <x>", PAGE, intro="a & b")
    assert text.splitlines()[:6] == ["# Title &lt;x&gt;", "", "a &amp; b", "", "## T &amp; U", ""]
    assert "\n- &lt;b&gt;one&lt;/b&gt;\n" in text and "\n_not here_\n" in text and "[m &amp; n](m.json)" in text
    assert ("| name | p | share |\n|---|---|---|\n| [a\\|b &lt;i&gt;](x.html) | 0.00123 | 0.248 |\n"
            "| plain | 66 |  |") in text
    assert "![A &lt;fig&gt;](f/a%20b.png)" in text
