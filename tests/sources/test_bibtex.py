"""The BibTeX reader, against a hand-written `.bib` file with JabRef-style comments and broken entries."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.sources import bibtex
from tests.conftest import FIXTURES, accounted_lines, plain

REFS = FIXTURES / "bibtex" / "refs.bib"


def test_blocks_and_accounting():
    corpus = load_corpus([REFS])
    entry = corpus.report.files[0]
    assert entry.format == "bibtex"
    # `%` comment lines (1), @string (4), @preamble (6) and @comment (42) are header lines.
    assert entry.header_lines == [1, 4, 6, 42]
    assert corpus.listings["source_line"].tolist() == [8, 20, 34, 49]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (30, "BibTeX block could not be parsed: Unexpected block start: `@inproceedings`. Was still looking for "
             "field-value closing `}`"),
        (44, "BibTeX entry 'notitle2021' without a title"),
    ]
    assert (entry.blocks, entry.listing_blocks, entry.rejected) == (10, 4, 2)
    assert accounted_lines(corpus, "refs.bib") == [1, 4, 6, 8, 20, 30, 34, 42, 44, 49]


def test_fields():
    corpus = load_corpus([REFS])
    muller, wang, kusa, again = (corpus.listings.iloc[i] for i in range(4))
    # Braces and accents decoded, math kept as written, `\%` and `\_` unescaped.
    assert muller.title == "Type-Safe Screening of Citations with $O(n \\log n)$ Classifiers"
    assert muller.abstract == "We show that naïve Bayes reaches 95% recall."
    # ` and ` inside braces is part of a name, not a separator.
    assert (muller.authors, muller.authors_count) == ("Müller, Jörg; Café, René; Barnes and Noble, Inc.", 3)
    assert (muller.date_text, muller.published) == ("2019-05", pd.Timestamp("2019-05-01"))  # month = may
    assert muller.doi == "10.5555/jmlr.2019.12_34"
    assert muller.categories == ["screening", "text classification", "active learning"]
    assert (wang.arxiv_id, wang.date_text, wang.authors_count) == ("2302.03495", "2023-02", 4)  # month = {2}
    assert wang.title == "Can ChatGPT Write a Good Boolean Query for Systematic Review Literature Search?"
    assert (kusa.date_text, kusa.pmid, kusa.authors) == ("2023-07-23", "37000001", "Kusa, Wojciech; Zuccon, Guido")
    # A reused citation key is read on its own (not rejected); `month = {Spring}` leaves the year alone.
    assert (again.title, again.date_text) == ("Screening with LaTeX macros: a second entry under a used key", "2018")


def test_string_macros_resolve_in_a_repeated_key(write):
    path = write("two.bib", '@string{t = "Macro Title"}\n@misc{k, title = t}\n@misc{k, title = t # " Two"}\n')
    assert load_corpus([path]).listings["title"].tolist() == ["Macro Title", "Macro Title Two"]


def test_text_between_entries_that_is_not_a_comment_is_rejected(write):
    path = write("loose.bib", "@misc{a, title={A}}\narticle{b, title={Missing at sign}}\n")
    corpus = load_corpus([path])
    assert corpus.listings["title"].tolist() == ["A"]
    assert [(r.line, r.reason) for r in corpus.report.rejections] == [
        (2, "text outside a BibTeX entry (BibTeX ignores it)")]


@pytest.mark.parametrize(("head", "expected"), [
    ("@article{key,\n title={A}}\n", True),
    ("% JabRef\n\n@String(x = {y})\n", True),
    ("  @misc {key, title={A}}", True),
    ("Contact me @example for details {really}.\n", False),
    ("Some prose first.\n@article{key, title={A}}\n", False),
])
def test_sniff(head, expected):
    assert bibtex.looks_like_bibtex(head, ".bib") is expected


def test_the_doi_is_passed_as_written_so_the_loader_normalizes_or_flags_it():
    # `doi:10.1038/NATURE14539` comes out normalized; `n/a` is no DOI:
    # dropped and flagged, not lost silently.
    rows = plain(load_corpus([FIXTURES / "bibtex" / "malformed_doi.bib"]).listings)[["source_line", "doi", "flags"]]
    assert rows.values.tolist() == [[1, "10.1038/nature14539", []], [10, None, ["invalid_doi"]]]
