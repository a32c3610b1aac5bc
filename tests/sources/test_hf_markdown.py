"""Markdown and crawler captures of HF paper pages and searches (reader nbkit.sources.hf_markdown)."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources import detect_format
from nbkit.sources.hf_markdown import looks_like_hf_markdown
from tests.conftest import FIXTURES, accounted_lines, listing, paragraph_starts

MD = FIXTURES / "hf_markdown"


def test_search_capture_with_link_references():
    corpus = load_corpus([MD / "search_refs.md"])
    entry = corpus.report.files[0]
    assert entry.format == "hf_markdown"
    assert corpus.report.totals["listings"] == corpus.report.totals["papers"] == 34
    # Logo, navigation, the page heading, its subtitle, the search line, a heading linking to a collection, the
    # footer list and the link reference definitions.
    assert entry.header_lines == [1, 3, 8, 10, 12, 342, 570, 573]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (566, "title links to reference [99], which is never defined"),
        (568, "part of the listing rejected at line 566")]
    first = listing(corpus, "The logarithmic Sobolev inequality along the Ricci flow in dimension 2")
    assert (first.source_line, first.abstract_line, first.meta_line) == (14, 16, 19)
    assert (first.arxiv_id, first.date_text, first.upvotes) == ("0708.2003", "Aug 16, 2007", 10)
    assert first.published == pd.Timestamp("2007-08-16")
    assert first.abstract == ("In this paper we present our results on the logarithmic Sobolev inequality along "
                              "the Ricci flow in dimension 2.")
    wrapped = listing(corpus, "Non-circular semiconductor nanorings of type I and II: Emission kinetics in the exciton "
                          "Aharonov-Bohm effect")  # the wrapped abstract is joined, the title's spaces folded
    assert wrapped.abstract.startswith("Transition energies and oscillator strengths of excitons in dependence on "
                                       "magnetic field are investigated")
    assert len(wrapped.abstract) == 674 and wrapped.arxiv_id == "0709.2627"


def test_a_comment_count_glued_to_the_date():
    corpus = load_corpus([MD / "search_refs.md"])
    glued = listing(corpus, "Atomic Zitterbewegung")  # `Published on Nov 13, 200912 comments`
    assert (glued.date_text, glued.published, glued["flags"]) == ("Nov 13, 2009", pd.Timestamp("2009-11-13"), [])
    # `Nov 263 comments`: the 26th with 3 comments, or the 2nd with 63? Kept as written and flagged, not guessed.
    ambiguous = listing(corpus, "Families of conformally related asymptotically flat, static vacuum data")
    assert ambiguous.date_text == "Nov 263 comments" and pd.isna(ambiguous.published)
    assert ambiguous["flags"] == ["invalid_date"]


def test_capture_with_inline_links_and_thumbnails():
    corpus = load_corpus([MD / "inline_links.md"], reference_year=2024)
    entry = corpus.report.files[0]
    assert (entry.format, corpus.report.totals["listings"], corpus.report.totals["papers"]) == ("hf_markdown", 9, 8)
    assert corpus.report.rejections == []
    tracker = listing(corpus, "Fringe Tracker for the VLTI Spectro-Imager")
    assert (tracker.source_line, tracker.abstract_line, tracker.meta_line) == (14, 16, 18)
    assert (tracker.authors_count, tracker.date_text, tracker.upvotes) == (7, "Nov 13", 7)
    assert tracker.published == pd.Timestamp("2024-11-13") and tracker.date_inferred
    thumb = listing(corpus, "A Not-so-Characteristic Equation: the Art of Linear Algebra")
    assert (thumb.abstract_line, thumb.arxiv_id) == (34, "0712.2058")  # the linked thumbnail (line 32) is chrome
    assert 32 in entry.header_lines
    # The arXiv link at the end names the first paper again: one paper, two listings, found by the arXiv id.
    twice = corpus.papers[corpus.papers["arxiv_id"] == "0807.1642"].iloc[0]
    assert twice.n_listings == 2
    footer = listing(corpus, "A paper listed twice, once with arXiv's link")
    assert footer.abstract == tracker.abstract  # `System theme`, `Company` after it are chrome, not abstract
    assert entry.header_lines[-3:] == [88, 90, 92]
    # Links to the paper page that are no title: an upvote box `[28](…)` (line 40) and a comment count linking to
    # `#community` (line 46) are chrome; the listing around them keeps its lines.
    links = listing(corpus, "Confinement and Non-perturbative Tachyons in Brane-Antibrane Systems")
    assert (links.source_line, links.abstract_line, links.meta_line, links.upvotes) == (42, 44, 48, 28)
    assert {40, 46} <= set(entry.header_lines)


def test_crawler_export():
    corpus = load_corpus([MD / "crawler_export.txt"])
    entry = corpus.report.files[0]
    assert (entry.format, entry.blocks, entry.header_lines, entry.listing_blocks) == ("hf_markdown", 6, [1], 5)
    assert corpus.listings["arxiv_id"].tolist() == ["0705.0951", "0711.1577", "0805.2847", "0801.0511", "0802.2388"]
    assert corpus.listings["upvotes"].tolist() == [3, 6, 9, 12, 15]
    first = listing(corpus, "The period map for cubic fourfolds")  # `1. ` numbering dropped
    assert (first.source_line, first.meta_line, first.abstract_line) == (3, 5, 6)
    assert first.published == pd.Timestamp("2007-05-23")
    assert first.abstract.startswith("The period map for cubic fourfolds takes values in a locally symmetric")


@pytest.mark.parametrize("name", ["search_refs.md", "inline_links.md"])
def test_every_paragraph_is_accounted_for(name):
    corpus = load_corpus([MD / name], reference_year=2024)
    assert accounted_lines(corpus, name) == paragraph_starts((MD / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("content", "expected"), [
    ("### [A Title](https://huggingface.co/papers/2401.00001)\n", True),
    ("Intro\n\n### [A Title][3]\n\n  [3]: https://huggingface.co/papers/2401.00001\n", True),
    ("1. A Title\n   https://huggingface.co/papers/2401.00001\n", True),
    ("# A README\n\nSee [the paper](https://arxiv.org/abs/2401.00001).\n", False),  # arXiv links alone: no
    ('{"url": "https://huggingface.co/papers/2401.00001"}\n', False),
    ("title,url\nA Title,https://huggingface.co/papers/2401.00001\n", False),
    ("title,abstract\n[A Title](https://huggingface.co/papers/2401.00001),An abstract.\n", False),
])
def test_detection_needs_a_line_linking_a_title_to_a_paper_page(content, expected):
    assert looks_like_hf_markdown(content, ".md") is expected


def test_detected_by_content_whatever_the_name(tmp_path):
    path = tmp_path / "capture.txt"
    path.write_bytes((MD / "inline_links.md").read_bytes())
    assert detect_format(path, path.read_bytes()) == "hf_markdown"


def test_a_heading_without_link_text_is_rejected(write):
    path = write("page.md", "### [](https://huggingface.co/papers/2401.00001)\n\nAn abstract.\n\n"
                            "### [A Title](https://huggingface.co/papers/2401.00002)\n\nIts abstract.\n")
    corpus = load_corpus([path])
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (1, "paper heading without a title text"), (3, "part of the listing rejected at line 1")]
    assert corpus.listings["title"].tolist() == ["A Title"]


def test_block_links_around_headings():
    # `[`, thumbnail, `### Title`, `](url)` with blank lines between: what made a 34-paper capture one paper
    # titled `[` before this reader existed.
    path = MD / "block_links.md"
    corpus = load_corpus([path])
    entry = corpus.report.files[0]
    assert entry.format == "hf_markdown" and corpus.report.rejections == []
    # `# Papers` and the three paragraphs of a block link to /papers/trending (not a paper) are chrome.
    assert entry.header_lines == [1, 3, 5, 7]
    assert entry.blocks == len(paragraph_starts(path.read_text(encoding="utf-8"))) == 31
    assert corpus.report.totals["papers"] == 6
    first = listing(corpus, "Non-displaceable Lagrangian submanifolds and Floer cohomology with non-unitary line "
                            "bundle")
    assert (first.source_line, first.abstract_line, first.meta_line, first.arxiv_id) == (9, 17, 19, "0710.5454")
    tight = listing(corpus, "Techniques for Fast Transient Fault Grading Based on Autonomous Emulation")
    assert (tight.source_line, tight.abstract_line, tight.date_text) == (21, 25, "Nov 9, 2011")


def test_a_long_capture_whose_references_are_past_the_sniffed_head(tmp_path):
    text = (MD / "search_refs.md").read_text(encoding="utf-8")
    body, definitions = text.split("  * [TOS]", 1)
    path = tmp_path / "long.md"
    path.write_text(body * 20 + "  * [TOS]" + definitions, encoding="utf-8")  # 20 copies: far over 64 KiB
    assert "huggingface.co/papers/" not in path.read_text(encoding="utf-8")[:65536]
    assert detect_format(path, path.read_bytes()[:65536]) == "hf_markdown"
    assert not looks_like_hf_markdown("## [Install][1]\n\n## [Usage][2]\n\nPublished under the MIT licence.\n", ".md")


def test_a_stray_bracket_line_does_not_swallow_the_listings_after_it(write):
    abstract = "An abstract of the paper, in plain sentences, long enough to be read as one. " * 3
    path = write("page.md", "[\n\n### [A Title](https://huggingface.co/papers/2401.00001)\n\n" + abstract + "\n")
    corpus = load_corpus([path])
    assert corpus.report.files[0].header_lines == [1]
    assert corpus.listings[["title", "abstract_line"]].values.tolist() == [["A Title", 5]]
