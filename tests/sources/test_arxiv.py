"""The arXiv metadata snapshot reader."""

from __future__ import annotations

import pandas as pd

from nbkit.corpus import load_corpus
from tests.conftest import FIXTURES


def test_snapshot_records():
    corpus = load_corpus([FIXTURES / "records" / "arxiv_snapshot.jsonl"])
    assert corpus.report.files[0].format == "arxiv"
    rows = corpus.listings.set_index("arxiv_id")
    first = rows.loc["0704.0001"]
    # Newlines and double spaces inside the title and abstract are folded; the leading spaces dropped.
    assert first.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert first.abstract.startswith("A fully differential calculation in perturbative quantum chromodynamics is "
                                     "presented")
    assert first.authors_count == 4  # from authors_parsed
    assert first.published == pd.Timestamp("2007-04-02")  # the first version, not the second or update_date
    assert first.categories == ["hep-ph"]
    second = rows.loc["0704.0002"]
    assert (second.authors_count, second.categories) == (2, ["math.CO", "cs.CG"])
    old = rows.loc["hep-th/9901001"]
    # No versions: the date is update_date, flagged.
    assert old.published == pd.Timestamp("1999-01-05") and old["flags"] == ["date_from_update"]
    assert corpus.papers["paper_id"].is_unique and len(corpus.papers) == 3
