"""The explorer: filters drive the table and the chart, the detail view shows a paper, and text is escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nbkit.widgets import (
    ALL,
    ALL_TOPICS,
    Explorer,
    Filters,
    PaperIndex,
    compute_chart_data,
    compute_results,
    render_table,
)

XSS = "<script>alert('x')</script> Robots"


@pytest.fixture
def papers():
    return pd.DataFrame({
        "paper_id": ["p1", "p2", "p3", "p4", "p5"],
        "title": ["Speech recognition", "Robot grasping", XSS, "Protein folding", "Robot speech"],
        "abstract": ["We transcribe audio.", "A robot arm grasps.", "Robots <b>act</b>.", None, "Robots talk."],
        "authors": ["A", "B", "C", "D", "E"],
        "published": pd.to_datetime(["2023-01-10", "2024-05-02", None, "2022-07-01", "2024-11-30"]),
        "upvotes": pd.array([3, None, 7, 1, 2], dtype="Int64"),
        "collections": [["audio"], ["robots"], ["robots"], ["bio"], ["audio", "robots"]],
        "code_urls": [[], ["https://github.com/a/b"], ["javascript:alert(1)"], [], []],
    })


@pytest.fixture
def assignments():
    return pd.DataFrame({"paper_id": ["p1", "p2", "p3", "p4", "p5"], "topic": [0, 1, 1, -1, 0],
                         "label": ["speech", "robots", "robots", "outliers", "speech"]})


@pytest.fixture
def explorer(papers, assignments):
    # p5 points the same way as p2 (robots), p1 elsewhere
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1], [0.1, 1, 0]], dtype=np.float32)
    return Explorer(papers, assignments, vectors)


def test_no_filter_shows_every_paper_newest_first_undated_last(explorer):
    assert explorer.results["title"].tolist() == ["Robot speech", "Robot grasping", "Speech recognition",
                                                  "Protein folding", XSS]
    assert explorer.chart_data.to_dict("list") == {"topic": ["0: speech", "1: robots", "-1: outliers"],
                                                   "papers": [2, 2, 1], "share": [0.4, 0.4, 0.2]}


def test_filters_update_the_table_and_the_chart(explorer):
    explorer.collection.value = "robots"
    assert explorer.results["title"].tolist() == ["Robot speech", "Robot grasping", XSS]
    assert "3 of 3 matching papers" in explorer.table.value
    explorer.topic.value = 1
    assert explorer.results["title"].tolist() == ["Robot grasping", XSS]
    assert explorer.chart_data.to_dict("list") == {"topic": ["1: robots"], "papers": [2], "share": [1.0]}
    explorer.topic.value = ALL_TOPICS
    explorer.search.value = "ROBOTS talk"  # every word, any case, title or abstract
    assert explorer.results["title"].tolist() == ["Robot speech"]
    explorer.search.value = ""
    explorer.collection.value = ALL
    import datetime

    explorer.start.value = datetime.date(2023, 1, 1)
    explorer.end.value = datetime.date(2024, 6, 30)
    assert explorer.results["title"].tolist() == ["Robot grasping", "Speech recognition"]  # undated ones drop out
    explorer.search.value = "nothing like this"
    assert explorer.results.empty and "No matching papers" in explorer.chart.value


def test_the_detail_view_shows_the_selected_paper_and_its_neighbours(explorer):
    explorer.paper.value = 1  # Robot grasping
    detail = explorer.detail.value
    assert "<h3>Robot grasping</h3>" in detail and "A robot arm grasps." in detail
    assert '<a href="https://github.com/a/b"' in detail
    most_similar = detail[detail.index("Most similar"):]
    assert most_similar.index("Robot speech") < most_similar.index("&lt;script&gt;")  # 0.995 before 0.994


def test_corpus_text_is_escaped_everywhere(explorer):
    explorer.paper.value = 2  # the title with a script tag
    for rendered in (explorer.table.value, explorer.detail.value):
        assert "<script>" not in rendered and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in rendered
    assert "<b>act</b>" not in explorer.detail.value and "&lt;b&gt;act&lt;/b&gt;" in explorer.detail.value
    assert 'href="javascript' not in explorer.detail.value + explorer.table.value  # only http(s) links


def test_pure_functions_agree_with_the_widget(papers, assignments):
    index = PaperIndex(papers, assignments)
    results = compute_results(index, Filters(collection="audio"))
    assert results["title"].tolist() == ["Robot speech", "Speech recognition"]
    assert compute_chart_data(index, Filters(collection="audio"))["papers"].tolist() == [2]
    assert render_table(results, limit=1).count("<tr>") == 2  # the header and one row


def test_search_never_matches_across_two_papers():
    papers = pd.DataFrame({"paper_id": ["a", "b", "c"], "title": ["x", "t y", "robot"],
                           "abstract": ["ends robo", "z", None], "published": pd.to_datetime([None, None, None]),
                           "upvotes": pd.array([None] * 3, dtype="Int64"), "collections": [["k"]] * 3,
                           "code_urls": [[]] * 3})
    index = PaperIndex(papers)
    assert index._contains("robot").tolist() == [False, False, True]  # "robo" + "\0t y" is not "robot"
    assert index._contains("robo").tolist() == [True, False, True]
    assert index._contains("x\nends").tolist() == [True, False, False]  # title and abstract are one text
