"""The findings page of a run folder, built from hand-made run folders (tests/fixtures/runs: the real layouts, tiny
tables): full_run holds 15 papers in three collections (audio, proteins, robots) with trend calls and emerging
topics; no_robots is the same corpus without the robots collection, with trend calls but no emerging topics."""

from __future__ import annotations

import json
import shutil

import pytest

from nbkit.errors import NbkitError
from nbkit.findings import (
    NOT_COMPUTED,
    build_findings,
    compute_collection_facts,
    compute_corpus_facts,
    compute_headlines,
    compute_run_status,
    compute_topic_facts,
    compute_trend_facts,
    write_findings,
)
from nbkit.pages import Note
from tests.conftest import FIXTURES

RUNS = FIXTURES / "runs"


@pytest.fixture
def run(tmp_path):
    """A writable copy of a fixture run folder."""
    def _copy(name: str = "full_run"):
        return shutil.copytree(RUNS / name, tmp_path / name)
    return _copy


def test_corpus_facts_come_from_the_load_report_and_the_year_table():
    facts = compute_corpus_facts(RUNS / "full_run")
    assert {k: facts.totals[k] for k in ("files", "listings", "papers", "merged_duplicates", "rejected")} == {
        "files": 3, "listings": 17, "papers": 15, "merged_duplicates": 2, "rejected": 0}
    assert facts.size_sentence() == ("15 papers from 17 listings in 3 file(s): 2 duplicate listings merged, "
                                     "0 blocks rejected, 1 listings flagged.")
    assert facts.date_sentence() == ("3 of 15 papers dated (20.0%), 2023 to 2024; 1 of those years inferred "
                                     "(see the load report).")
    assert facts.collections["collection"].tolist() == ["audio", "proteins", "robots"]


def test_a_corpus_without_dates_says_so(run):
    folder = run()
    (folder / "01_corpus" / "publication_years.csv").write_text("papers,exact,inferred\n")  # as 01 writes it
    facts = compute_corpus_facts(folder)
    assert facts.dated == 0 and facts.date_sentence() == "No paper of the 15 carries a date."
    (folder / "03_trends" / "topic_trend_tests.csv").write_text("topic,papers,slope,ci_low,ci_high,z,p_value,"
                                                                "p_adjusted,trend\n")
    (folder / "03_trends" / "trend_calls.csv").unlink()
    (folder / "03_trends" / "emerging_topics.csv").unlink()
    assert compute_headlines(folder)[0].endswith("rejected); no paper of the 15 carries a date.")
    assert compute_headlines(folder)[2] == "Trends: no topic tested (too few periods with dated papers)."


def test_topic_facts_leave_outliers_out_and_keep_stability():
    facts = compute_topic_facts(RUNS / "full_run")
    assert facts.topics[["topic", "size", "stability", "unstable"]].values.tolist() == [
        [0, 5, 0.95, False], [1, 5, 0.9, False], [2, 4, 0.35, True]]
    assert facts.outliers == 1
    assert facts.topics["example paper"].tolist() == [
        "Whisper-style speech recognition at scale", "Protein folding with attention",
        "Grasping <script>alert('x')</script> with soft hands"]
    assert facts.sentence().startswith("3 topics over 15 papers, 1 papers left as outliers; 1 topic(s) unstable")
    assert facts.sentence().endswith("Quality: npmi 0.21, diversity 0.9.")


def test_trend_calls_are_ordered_rising_declining_then_the_rest():
    facts = compute_trend_facts(RUNS / "full_run")
    assert facts.calls[["topic", "call", "held", "fits"]].values.tolist() == [
        [0, "rising", 18, 20], [1, "no call", 3, 20], [2, "unstable", 0, 20]]
    assert facts.call_sentence() == ("rising: topic 0 (speech, audio, recognition); declining: none; "
                                     "emerging: topic 0 (speech, audio, recognition).")
    assert facts.emerging[["topic", "call"]].values.tolist() == [[0, "emerging"], [1, "no call"], [2, "unstable"]]
    absent = compute_trend_facts(RUNS / "no_robots")
    assert absent.emerging is None and absent.tests is None and len(absent.calls) == 2


def test_each_collection_gets_its_clear_residuals_and_distinctive_terms():
    facts = compute_collection_facts(RUNS / "full_run")
    assert facts.collections.values.tolist() == [
        ["audio", "0: speech, audio, recognition (+3.1)", "", "speech, audio, speaker"],
        ["proteins", "1: protein, folding, structure (+3.3)", "", "protein, folding, enzymes"],
        ["robots", "2: robot, grasping, manipulation (unstable) (+3.4)", "", "robot, grasping, legged"]]
    assert facts.association["dof"] == 6 and facts.association["p_value"] == 0.00042
    other = compute_collection_facts(RUNS / "no_robots")
    assert other.collections["under-represented topics"].tolist() == ["0: protein, folding, structure (-2.3)",
                                                                      "1: speech, recognition, audio (-2.2)"]


def test_headlines_sum_up_each_part():
    assert compute_headlines(RUNS / "full_run") == [
        "Corpus: 15 papers in 3 collection(s) (17 listings, 2 duplicates merged, 0 rejected); 3 of 15 papers dated "
        "(20.0%), 2023 to 2024; 1 of those years inferred (see the load report).",
        "Topics: 3, 1 unstable; the largest is 0: speech, audio, recognition (5 papers).",
        "Trends (calls that hold across resampled fits): rising: topic 0 (speech, audio, recognition); declining: "
        "none; emerging: topic 0 (speech, audio, recognition).",
        "Collections: Cramér's V 0.9 between topics and collections (p = 0.00042); the clearest difference: robots "
        "holds more papers of 2: robot, grasping, manipulation (unstable) than expected (residual +3.4).",
        "Run: ok, 4 notebook(s), 29 s."]


def test_run_status_links_each_notebook_report():
    status = compute_run_status(RUNS / "full_run")
    assert status.status == "ok" and status.wall_seconds == 29.3
    assert status.notebooks[["notebook", "_href"]].values.tolist() == [
        ["01_corpus.ipynb", "01_corpus.html"], ["02_topics.ipynb", "02_topics.html"],
        ["03_trends.ipynb", "03_trends.html"], ["04_compare.ipynb", "04_compare.html"]]


def test_the_page_and_its_markdown_twin_escape_corpus_text(run):
    folder = run()
    html_path, md_path = write_findings(folder)
    page, markdown = html_path.read_text(), md_path.read_text()
    for text in (page, markdown):
        assert "<script>" not in text
        assert "Grasping &lt;script&gt;alert('x')&lt;/script&gt; with soft hands" in text.replace("&#x27;", "'")
    assert [line for line in page.splitlines() if line.startswith("<section")] == [
        '<section id="headlines"><h2>In short</h2>', '<section id="corpus"><h2>Corpus</h2>',
        '<section id="topics"><h2>Topics</h2>',
        '<section id="trends"><h2>What rises and falls</h2>',
        '<section id="collections"><h2>What sets each collection apart</h2>',
        '<section id="run"><h2>Notebooks and run</h2>']
    assert '<a href="02_topics.html">02_topics.ipynb</a>' in page and 'href="manifest.json"' in page
    assert '<tr class="marked"><td>2</td><td>robot, grasping, manipulation</td>' in page  # the unstable topic
    assert "| [01_corpus.ipynb](01_corpus.html) | ok | 3.1 |" in markdown
    assert NOT_COMPUTED not in page  # both trend tables are there
    assert ("<th>topic</th><th>label</th><th>call</th><th>held</th><th>fits</th><th>slope</th><th>ci_low</th>"
            "<th>ci_high</th><th>p_adjusted</th><th>reason</th>") in page
    assert ('<tr class="marked"><td>0</td><td>speech, audio, recognition</td><td>emerging</td><td>0.2</td>'
            "<td>0.6</td><td>0.4</td><td>0.02</td><td>0.67</td><td>0.03</td>"
            "<td>Fisher&#x27;s exact test, adjusted p = 0.03</td></tr>") in page


def test_trend_tables_absent_before_they_exist_are_said_so(run):
    folder = run("no_robots")
    notes = [item.text for section in build_findings(folder) for item in section.items if isinstance(item, Note)]
    assert notes == ["Emerging topics: not computed in this run."]
    (folder / "03_trends" / "trend_calls.csv").unlink()
    write_findings(folder)
    markdown = (folder / "index.md").read_text()
    assert "_Trend calls across resampled fits: not computed in this run._" in markdown
    assert "_Emerging topics: not computed in this run._" in markdown


def test_figures_are_linked_by_relative_path_when_the_run_drew_them(run):
    folder = run()
    (folder / "02_topics" / "topic_map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    page = write_findings(folder)[0].read_text()
    assert '<img src="02_topics/topic_map.png" alt="Topic map">' in page
    assert "topic_sizes.png" not in page  # not drawn, not linked


def test_a_run_of_other_notebooks_gets_a_page_of_notes(tmp_path):
    shutil.copy(RUNS / "full_run" / "manifest.json", tmp_path / "manifest.json")
    write_findings(tmp_path)
    markdown = (tmp_path / "index.md").read_text()
    assert "_Corpus size: not computed in this run (01_corpus wrote no such table)._" in markdown
    assert "_Topics: not computed in this run (02_topics wrote no such table)._" in markdown
    assert "[04_compare.ipynb](04_compare.html)" in markdown


def test_unreadable_tables_and_missing_folders_are_one_line_errors(run, tmp_path):
    with pytest.raises(NbkitError, match="no such run folder"):
        build_findings(tmp_path / "nothing")
    folder = run()
    (folder / "02_topics" / "topics.csv").write_bytes(b"")
    with pytest.raises(NbkitError, match=r"topics\.csv: not a readable CSV table \(No columns to parse from file\)"):
        write_findings(folder)


def test_a_failed_run_says_which_notebook_failed(run):
    folder = run()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = "failed"
    manifest["notebooks"][2].update(status="failed", cell=4, error="NbkitError: no dated papers")
    manifest["notebooks"][3].update(status="skipped", html="")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert compute_headlines(folder)[-1] == "Run: failed (03_trends.ipynb failed), 4 notebook(s), 29 s."
    page = write_findings(folder)[0].read_text()
    assert ('<tr class="marked"><td><a href="03_trends.html">03_trends.ipynb</a></td><td class="failed">failed</td>'
            "<td>4</td><td>NbkitError: no dated papers</td></tr><tr><td>04_compare.ipynb</td><td>skipped</td>") in page


def test_a_single_collection_has_no_test_and_no_residuals(run):
    """What 04_compare writes for one collection (a single export file): residuals all empty, no chi-square."""
    folder = run()
    (folder / "04_compare" / "residuals.csv").write_text("collection,0: speech,1: proteins,-1: outliers\nall,,,\n")
    (folder / "04_compare" / "association.csv").write_text(
        "chi2,dof,p_value,cramers_v,n,min_expected,warning\n,0,,,15,,no test: a chi-square test needs two non-empty "
        "rows and columns; the table has 1 x 3\n")
    (folder / "04_compare" / "distinctive_terms.csv").write_text("group,rank,term,count_in_group,count_in_rest,"
                                                                 "log_odds,z\n")
    facts = compute_collection_facts(folder)
    assert facts.strongest is None and facts.collections.values.tolist() == [["all", "", ""]]
    assert compute_headlines(folder)[3] == ("Collections: no test: a chi-square test needs two non-empty rows and "
                                            "columns; the table has 1 x 3.")
    assert ("<p>Topics by collection: no test: a chi-square test needs two non-empty rows and columns; the table has "
            "1 x 3.</p>") in write_findings(folder)[0].read_text()
