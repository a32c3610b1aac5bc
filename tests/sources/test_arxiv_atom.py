"""arXiv API Atom feeds (reader nbkit.sources.arxiv_atom)."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from nbkit.sources import detect_format
from tests.conftest import FIXTURES

FEED = FIXTURES / "arxiv_atom" / "query.atom"


def test_feed_entries_become_listings():
    corpus = load_corpus([FEED])
    entry = corpus.report.files[0]
    assert entry.format == "arxiv_atom"
    # link, title, id, updated and the three OpenSearch counts are the feed's header blocks.
    assert (entry.blocks, entry.header_lines, entry.listing_blocks) == (13, [3, 4, 5, 6, 7, 8, 9], 5)
    assert [(r.line, r.reason, r.text) for r in corpus.report.rejections] == [
        (139, "feed entry without a title", "http://arxiv.org/abs/0801.99999v1")]
    first = corpus.listings.iloc[0]
    assert first.title == "Analysis of quantum semigroups with GKS-Lindblad generators I. Simple generators"
    assert first.abstract.startswith("Semigroups describing the time evolution of open quantum systems in finite "
                                     "dimensional spaces have generators")  # line breaks and indent folded
    assert first.abstract.endswith("to construct an evolution leading to a prescribed stationary state.")
    assert (first.source_line, first.arxiv_id, first.doi) == (10, "0710.5385", "10.5555/example.doi.1")
    assert first.authors == "Bernhard Baumgartner; Heide Narnhofer; Walter Thirring" and first.authors_count == 3
    assert first.categories == ["math.MP", "math-ph", "quant-ph"]  # the primary category first, each once
    assert first.published == pd.Timestamp("2008-06-20") and first.date_precision == "day"


def test_old_style_ids_lose_their_version():
    corpus = load_corpus([FEED])
    old = corpus.listings[corpus.listings["arxiv_id"] == "hep-ex/0307015"].iloc[0]
    assert old.title == "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    assert (old.source_line, old.published, old.categories) == (124, pd.Timestamp("2003-07-07"), ["hep-ex"])
    assert corpus.listings["arxiv_id"].tolist() == ["0710.5385", "0809.1547", "0809.3043", "0801.0998",
                                                    "hep-ex/0307015"]


@pytest.mark.parametrize("name", ["query.atom", "query.xml", "query.txt"])
def test_detected_by_content(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(FEED.read_bytes())
    assert detect_format(path, path.read_bytes()) == "arxiv_atom"


def test_other_xml_and_other_feeds_are_not_arxiv_atom(write):
    blog = write("blog.xml", '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
                             "  <entry><id>https://example.org/posts/1</id><title>Hello</title></entry>\n</feed>\n")
    with pytest.raises(NbkitError, match=r"blog\.xml: unrecognised format"):
        load_corpus([blog])


def test_malformed_xml_is_one_line_with_its_line(write):
    text = FEED.read_text(encoding="utf-8").replace("<title>  </title>", "<title>Unclosed", 1)
    path = write("broken.atom", text)
    # The title opened on line 142 is still open when </entry> closes on line 144: expat reports the latter.
    with pytest.raises(NbkitError, match=r"^.*broken\.atom: malformed XML at line 144: mismatched tag$"):
        load_corpus([path])


def test_api_error_entry_is_rejected(write):
    path = write("error.atom", '<?xml version="1.0" encoding="UTF-8"?>\n'
                               '<feed xmlns="http://www.w3.org/2005/Atom">\n'
                               "  <title>ArXiv Query: id_list=1234.12345</title>\n"
                               "  <entry>\n    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>\n"
                               "    <title>Error</title>\n"
                               "    <summary>incorrect id format for 1234.12345</summary>\n  </entry>\n"
                               "  <entry>\n    <id>http://arxiv.org/abs/2401.00001v3</id>\n"
                               "    <title>A Real Entry</title>\n  </entry>\n</feed>\n")
    corpus = load_corpus([path])
    assert [(r.line, r.reason, r.text) for r in corpus.report.rejections] == [
        (4, "arXiv API error entry", "incorrect id format for 1234.12345")]
    assert corpus.listings[["title", "arxiv_id"]].values.tolist() == [["A Real Entry", "2401.00001"]]
    assert corpus.listings["flags"].tolist() == [["missing_abstract"]]
