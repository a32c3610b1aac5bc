"""nbkit diff on hand-made run folders (tests/fixtures/runs): full_run (audio, proteins, robots: 15 papers, topics
0 speech, 1 proteins, 2 robots, one outlier) against itself, and against no_robots (the robots collection
removed: 11 papers, the speech and protein topics renumbered 1 and 0, the speech label reordered); and the topic
alignment on a small synthetic split, merge, new and gone case."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from nbkit.cli import main
from nbkit.diff import align_topics, compare_runs, render_text
from nbkit.errors import NbkitError
from tests.conftest import FIXTURES, plain

RUNS = FIXTURES / "runs"
ROBOT_TITLES = ["Grasping <script>alert('x')</script> with soft hands", "Language-conditioned robot policies",
                "Robot manipulation from demonstrations", "Sim-to-real transfer for legged robots"]


def test_a_run_against_itself_matches_everything():
    diff = compare_runs(RUNS / "full_run", RUNS / "full_run")
    assert diff.identical
    assert diff.topics.ari == 1.0 and diff.topics.shared == 15
    assert diff.topics.counts() == {"matched": 3, "split": 0, "merged": 0, "gone": 0, "new": 0}
    assert diff.topics.table[["topic_a", "topic_b", "jaccard", "note"]].values.tolist() == [
        [0, 0, 1.0, ""], [1, 1, 1.0, ""], [2, 2, 1.0, ""]]
    assert diff.inputs["change"].tolist() == ["same", "same", "same"]
    assert diff.parameters.empty and diff.packages.empty and diff.only_a.empty and diff.only_b.empty
    assert diff.trend_calls.empty
    assert render_text(diff).endswith("The runs agree.")


def test_a_removed_collection_names_the_lost_papers_and_topic():
    diff = compare_runs(RUNS / "full_run", RUNS / "no_robots")
    assert not diff.identical
    assert diff.inputs[["file", "change"]].values.tolist() == [
        ["corpus/audio.csv", "same"], ["corpus/proteins.csv", "same"], ["corpus/robots.csv", "only in A"]]
    counts = diff.counts.set_index("count")
    assert counts.loc[["files", "listings", "papers", "merged_duplicates", "collections", "topics"]].values.tolist() \
        == [[3, 2, -1], [17, 12, -5], [15, 11, -4], [2, 1, -1], [3, 2, -1], [3, 2, -1]]
    assert diff.parameters.values.tolist() == [
        ["input_paths", '["corpus/audio.csv", "corpus/proteins.csv", "corpus/robots.csv"]',
         '["corpus/audio.csv", "corpus/proteins.csv"]']]
    assert diff.packages.values.tolist() == [["nbkit", "0.4.0", "0.4.1"]]
    # the topics line up by their papers, whatever their numbers; the shared partition is the same one
    assert diff.topics.ari == 1.0 and diff.topics.shared == 11
    assert plain(diff.topics.table).values.tolist() == [
        ["matched", 0, "speech, audio, recognition", 5, 1, "speech, recognition, audio", 5, 1.0, "label changed"],
        ["matched", 1, "protein, folding, structure", 5, 0, "protein, folding, structure", 5, 1.0, ""],
        ["gone", 2, "robot, grasping, manipulation", 4, None, None, None, None, "4 of its papers only in run A"]]
    assert diff.topics.label_changes().values.tolist() == [
        [0, "speech, audio, recognition", 1, "speech, recognition, audio"]]
    assert diff.collections_only_a == ["robots"] and diff.collections_only_b == []
    assert diff.only_a[["title", "collections", "topic"]].values.tolist() == [[t, "robots", 2] for t in ROBOT_TITLES]
    assert diff.only_b.empty
    assert plain(diff.trend_calls).values.tolist() == [[0, 1, "speech, audio, recognition", "rising", "no call"]]


def test_the_terminal_table_and_the_html_page(tmp_path, capsys):
    out = tmp_path / "diff.html"
    assert main(["diff", str(RUNS / "full_run"), str(RUNS / "no_robots"), "--html", str(out)]) == 1
    text = capsys.readouterr().out
    assert "  On the 11 papers both runs hold: ARI 1.000; 2 matched, 0 split, 0 merged, 1 gone, 0 new; " \
           "1 label(s) changed." in text
    assert "  4 paper(s) only in run A; collection(s) only in run A: robots." in text
    assert text.split("\nTopics\n")[1].split("\n\n")[0].splitlines()[1:] == [
        "  kind     topic_a  label_a                        size_a  topic_b  label_b                      size_b  "
        "jaccard  note",
        "  matched        0  speech, audio, recognition          5        1  speech, recognition, audio        5  "
        "    1.0  label changed",
        "  matched        1  protein, folding, structure         5        0  protein, folding, structure       5  "
        "    1.0",
        "  gone           2  robot, grasping, manipulation       4                                                "
        "         4 of its papers only in run A"]
    assert text.rstrip().endswith(f"The runs differ (see above).\nWrote {out}")
    page = out.read_text()
    assert "<script>" not in page and "Grasping &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<td>corpus/robots.csv</td><td>600</td><td></td><td>23f49fcc0de8</td><td></td><td>only in A</td>" in page
    assert main(["diff", str(RUNS / "full_run"), str(RUNS / "full_run")]) == 0


def test_input_files_pair_by_path_then_content_then_name(tmp_path):
    other = shutil.copytree(RUNS / "full_run", tmp_path / "moved")
    manifest = json.loads((other / "manifest.json").read_text())
    audio, proteins, robots = manifest["inputs"]
    audio["path"] = "elsewhere/sound.csv"  # same bytes under another name
    proteins["path"], proteins["sha256"] = "new/proteins.csv", "0" * 64  # an edited file, moved
    robots["sha256"] = "f" * 64
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert compare_runs(RUNS / "full_run", other).inputs[["file", "sha256_b", "change"]].values.tolist() == [
        ["corpus/audio.csv -> elsewhere/sound.csv", "6ed8919ce204", "moved"],
        ["corpus/proteins.csv -> new/proteins.csv", "000000000000", "changed"],
        ["corpus/robots.csv", "ffffffffffff", "changed"]]


def test_trend_calls_are_not_compared_without_both_tables(tmp_path):
    other = shutil.copytree(RUNS / "no_robots", tmp_path / "no_robots")
    (other / "03_trends" / "trend_calls.csv").unlink()
    diff = compare_runs(RUNS / "full_run", other)
    assert diff.trend_calls is None
    assert "  Trend calls not compared: a run has no 03_trends/trend_calls.csv." in render_text(diff)


def test_runs_without_topics_compare_the_rest(tmp_path):
    other = shutil.copytree(RUNS / "full_run", tmp_path / "corpus_only")
    shutil.rmtree(other / "02_topics")
    diff = compare_runs(RUNS / "full_run", other)
    assert diff.topics is None and diff.trend_calls is None and diff.only_a.empty
    assert plain(diff.counts).set_index("count").loc[["papers", "topics"]].values.tolist() == [
        [15, 15, 0], [3, None, None]]
    assert "  Topics not compared: a run has no 02_topics/assignments.csv." in render_text(diff)


def test_split_merge_new_and_gone_topics():
    # A: t0 = papers 1-6, t1 = 7-9, t2 = 10-12, t3 = 13-15, t4 = 19-21; B: t0 split in three (2 each),
    # t1-t3 merged into u3, t4's papers outliers, and u4 = papers 16-18 that only B holds
    a = pd.DataFrame({"paper_id": [*range(1, 16), 19, 20, 21],
                      "topic": [0] * 6 + [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3})
    b = pd.DataFrame({"paper_id": [*range(1, 22)],
                      "topic": [0, 0, 1, 1, 2, 2] + [3] * 9 + [4] * 3 + [-1] * 3})
    a["label"], b["label"] = a["topic"].map("a{}".format), b["topic"].map("b{}".format)
    result = align_topics(a, b)
    assert plain(result.table).values.tolist() == [
        ["split", 0, "a0", 6, "0, 1, 2", "b0 | b1 | b2", "2, 2, 2", None, ""],
        ["merged", "1, 2, 3", "a1 | a2 | a3", "3, 3, 3", 3, "b3", 9, None, ""],
        ["gone", 4, "a4", 3, None, None, None, None, "mostly outliers in run B"],
        ["new", None, None, None, 4, "b4", 3, None, "3 of its papers only in run B"]]
    # 18 shared papers; pairs within: A 27, B 42, both 15; expected 27 * 42 / 153; ARI (15 - e) / (34.5 - e)
    assert result.shared == 18 and result.ari == 0.28


def test_a_topic_kept_at_half_its_papers_is_still_matched():
    a = pd.DataFrame({"paper_id": range(8), "topic": [0] * 4 + [1] * 4, "label": "x"})
    b = pd.DataFrame({"paper_id": range(8), "topic": [0, 0, 0, 0, 1, 1, 2, 2], "label": "x"})
    result = align_topics(a, b)
    assert plain(result.table)[["kind", "topic_a", "topic_b", "jaccard"]].values.tolist() == [
        ["matched", 0, 0, 1.0], ["matched", 1, 1, 0.5], ["new", None, 2, None]]
    assert result.table["note"].tolist() == ["", "", "mostly topic 1 in run A"]


def test_a_table_without_the_columns_nbkit_writes_is_a_one_line_error(tmp_path, capsys):
    other = shutil.copytree(RUNS / "full_run", tmp_path / "old")
    (other / "02_topics" / "assignments.csv").write_text("id,cluster\np01,0\n")
    assert main(["diff", str(RUNS / "full_run"), str(other)]) == 2
    assert capsys.readouterr().err == (f"nbkit: error: {other / '02_topics' / 'assignments.csv'}: not the table "
                                       "nbkit writes: no column paper_id, title, topic, label\n")


def test_folders_that_are_not_runs_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(NbkitError, match="not a run folder: no such folder"):
        compare_runs(tmp_path / "missing", RUNS / "full_run")
    (tmp_path / "sweep" / "runs").mkdir(parents=True)
    (tmp_path / "sweep" / "sweep.csv").write_text("min_topic_size,status,folder\n5,ok,runs/min_topic_size=5\n")
    assert main(["diff", str(RUNS / "full_run"), str(tmp_path / "sweep")]) == 2
    assert capsys.readouterr().err == (f"nbkit: error: {tmp_path / 'sweep'}: not a run folder: no manifest.json, "
                                       "which `nbkit run` writes (a sweep: compare two of its runs/<name> folders)\n")
