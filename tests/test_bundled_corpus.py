"""The bundled corpus (data/raw/hf_papers), with counts verified by hand.

How the expected numbers were obtained, independently of nbkit: each file was split on blank lines
(`re.split(r"\\n\\s*\\n", text)`); the leading header paragraphs were counted by eye (`new`, `Get trending papers
in your email inbox!`, `Subscribe`, optionally `Daily Papers`, `byAK and the research community`, the page
date): 5, 5, 5, 6, 6. In files 000-003 every other paragraph is then a title followed by its abstract, so
listings = (paragraphs - header) / 2: (99-5)/2 = 47, (139-5)/2 = 67, (187-5)/2 = 91, (176-6)/2 = 85. File 004
has 44 three-line metadata paragraphs (`  • N authors`, `·`, date), so (140-6-44)/2 = 45 listings, of which one
("Skill-Targeted Adaptive Training") has no metadata block. Total 335 listings. Counting distinct title
strings over all files (exact match; normalizing case and punctuation changes nothing here) gives 266
papers, so 69 listings are repeats; every repeated title carries the identical abstract.
"""

from __future__ import annotations

import pandas as pd

from nbkit.corpus import load_corpus
from tests.conftest import BUNDLED, accounted_lines, paragraph_starts


def test_bundled_counts():
    corpus = load_corpus([BUNDLED])
    totals = corpus.report.totals
    assert (totals["listings"], totals["papers"], totals["merged_duplicates"]) == (335, 266, 69)
    assert (totals["rejected"], totals["conflicts"], totals["near_duplicate_candidates"]) == (0, 0, 0)
    assert [f.listings for f in corpus.report.files] == [47, 67, 91, 85, 45]
    assert [len(f.header_lines) for f in corpus.report.files] == [5, 5, 5, 6, 6]
    with_meta = corpus.listings[corpus.listings["meta_line"].notna()]
    assert len(with_meta) == 44 and set(with_meta["source_file"]) == {"hf_papers/004_917affbe2c4d768a.txt"}
    assert corpus.papers["n_listings"].sum() == 335


def test_bundled_concrete_rows():
    corpus = load_corpus([BUNDLED])
    listings = corpus.listings.set_index("title")
    motion = listings.loc["MotionLab: Unified Human Motion Generation and Editing via the Motion-Condition-Motion "
                          "Paradigm"]
    # 004, lines 29-35: title, abstract, `  • 4 authors` / `·` / `Feb 4 3`; the page's latest written year is
    # 2024, so the year is inferred as 2025.
    assert (motion.source_line, motion.abstract_line, motion.meta_line) == (29, 31, 33)
    assert (motion.authors_count, motion.date_text, motion.upvotes) == (4, "Feb 4", 3)
    assert motion.published == pd.Timestamp("2025-02-04") and bool(motion.date_inferred)
    # Listed twice: on 004 with its metadata block, and on another page without one.
    imitation = listings[listings["meta_line"].notna()].loc["Beyond the Imitation Game: Quantifying and "
                                                            "extrapolating the capabilities of language models"]
    assert (imitation.authors_count, imitation.date_text, imitation.upvotes) == (445, "Jun 9, 2022", 1)
    assert imitation.published == pd.Timestamp("2022-06-09") and not imitation.date_inferred
    papers = corpus.papers.set_index("title")
    tl = papers.loc["TL-Training: A Task-Feature-Based Framework for Training Large Language Models in Tool Use"]
    # Listed on three pages (000, 002, 003): one paper, three listings, the URL from its abstract.
    assert (tl.n_listings, tl.code_urls) == (3, ["https://github.com/Junjie-Ye/TL-Training"])
    assert tl.collections == ["000_2bcb71387d7d7c83", "002_cbf17fd9cde4e0ad", "003_b6c0b480d96c99fc"]


def test_bundled_every_paragraph_is_accounted_for():
    corpus = load_corpus([BUNDLED])
    for path in sorted(BUNDLED.glob("*.txt")):
        name = f"hf_papers/{path.name}"
        assert accounted_lines(corpus, name) == paragraph_starts(path.read_text(encoding="utf-8")), name


def test_bundled_page_dates_and_year_rules():
    corpus = load_corpus([BUNDLED])
    assert [f.page_date for f in corpus.report.files] == [
        "2025-03-11", "2025-03-14", "2025-03-11", "2025-08-27", "2025-12-08"]
    assert [f.reference_year_rule for f in corpus.report.files] == [
        "latest year in the corpus + 1"] * 4 + ["latest year on the page + 1"]
