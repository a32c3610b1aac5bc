"""CSL-JSON (Zotero's export): names, issued dates, DOIs, arXiv ids and keywords."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources.csl_json import issued_text
from tests.conftest import FIXTURES, plain

CSL = FIXTURES / "csl"


def test_a_zotero_export():
    corpus = load_corpus([CSL / "zotero.json"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.listing_blocks, entry.rejected) == ("csl_json", 4, 3, 1)
    rows = plain(corpus.listings).set_index("title")
    nature = rows.loc["Deep learning"]
    assert (nature.authors, nature.authors_count) == ("Yann LeCun; Yoshua Bengio; Geoffrey Hinton", 3)
    assert (nature.doi, nature.arxiv_id, nature.published) == (
        "10.1038/nature14539", None, pd.Timestamp("2015-05-28"))  # date-parts given as strings by Zotero
    assert nature.categories == ["Computer science", "Mathematics and computing"]
    adam = rows.loc["Adam: A Method for Stochastic Optimization"]
    assert (adam.arxiv_id, adam.doi) == ("1412.6980", "10.48550/arxiv.1412.6980")
    assert adam.categories == ["Computer Science - Machine Learning"]  # one Zotero tag, not four words
    report = rows.loc["Recommendations for Open Science"]
    assert (report.authors, report.authors_count, report.date_text) == ("UNESCO", 1, "November 2021")
    assert (report.published, report.date_precision) == (pd.Timestamp("2021-11-01"), "month")
    assert report["flags"] == ["missing_abstract"]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [(4, "CSL item without a title")]


@pytest.mark.parametrize(("issued", "text"), [
    ({"date-parts": [[2019, 5, 17]]}, "2019-05-17"),
    ({"date-parts": [["2019", "5"]]}, "2019-05"),
    ({"date-parts": [[2019], [2020]]}, "2019"),  # a range: its start
    ({"raw": "Spring 2019"}, "Spring 2019"),
    ({"literal": "n.d."}, "n.d."),
    ({"date-parts": [["x"]]}, None),
    (None, None),
])
def test_issued_text(issued, text):
    assert issued_text(issued) == text


def test_the_doi_is_passed_as_written_so_the_loader_normalizes_or_flags_it():
    # `https://doi.org/10.1038/NATURE14539` comes out normalized; `nature16961` is no DOI:
    # dropped and flagged, not lost silently.
    rows = plain(load_corpus([CSL / "malformed_doi.json"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [[1, "10.1038/nature14539", []], [2, None, ["invalid_doi"]]]
