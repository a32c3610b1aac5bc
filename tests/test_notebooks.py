"""The notebooks run under papermill with parameters, and every notebook is checked by nbval."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib

import pandas as pd
import papermill
import pytest

from tests.conftest import HF, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_tagged_parameters_cell_and_stays_small(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert all("#" in line for line in "".join(tagged[0]["source"]).splitlines()), "comment every parameter"
    assert notebook.stat().st_size < 2_000_000


def test_nbval_covers_the_notebooks_folder():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "notebooks" in options["testpaths"] and "--nbval" in options["addopts"].split()


def test_corpus_notebook_runs_with_parameters(tmp_path):
    output = tmp_path / "out"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "01_corpus.ipynb"), str(tmp_path / "executed.ipynb"),
        parameters={"input_paths": [str(HF / "mixed_metadata.txt"), str(HF / "cut_off.txt")],
                    "reference_year": 2024, "collection_names": {"cut_off": "cut"}, "output_dir": str(output)},
        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False)
    papers = pd.read_parquet(output / "papers.parquet")
    # mixed_metadata: 4 listings, 3 papers; cut_off: 2 listings, 2 papers.
    assert len(papers) == 5
    assert sorted({c for cs in papers["collections"] for c in cs}) == ["cut", "mixed_metadata"]
    assert pd.read_csv(output / "publication_years.csv")["year"].tolist() == [2022, 2024]
    for name in ("listings_per_collection.png", "collection_overlap.png", "publication_years.png",
                 "code_hosts.png", "report.json", "files.csv"):
        assert (output / name).exists(), name


def test_trends_notebook_runs_on_a_dated_arxiv_snapshot(tmp_path):
    output = tmp_path / "out"
    snapshot = ROOT / "tests" / "fixtures" / "arxiv" / "dated_snapshot.jsonl"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "03_trends.ipynb"), str(tmp_path / "executed.ipynb"),
        parameters={"input_paths": [str(snapshot)], "period": "year", "min_topic_size": 6,
                    "keywords": {"robots": ["robot", "robotic"], "proteins": "protein|enzyme"},
                    "cache_dir": str(tmp_path / "cache"), "output_dir": str(output)},
        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False)
    # the fixture: 36 papers, 9 a year 2021-2024, the last on 2024-10-01
    periods = pd.read_csv(output / "papers_per_period.csv")
    assert periods["papers"].tolist() == [9, 9, 9, 9] and periods["complete"].tolist() == [True, True, True, False]
    coverage = pd.read_csv(output / "date_coverage.csv", index_col=0)
    assert coverage.loc["exact date (day)", "papers"] == 36 and coverage.loc["no date", "papers"] == 0
    # protein papers per year, counted from the fixture: 5, 4, 2, 1
    keywords = pd.read_csv(output / "keyword_trends.csv")
    proteins = keywords[keywords["keyword"] == "proteins"]
    assert proteins["papers"].tolist() == [5, 4, 2, 1]
    assert proteins["share_low"].notna().all() and proteins["thin"].all()  # 9 papers a year: thin (< 10)
    tests = pd.read_csv(output / "topic_trend_tests.csv")
    assert len(tests) == 3  # three themes, three topics, each tested over the three complete years
    calls = pd.read_csv(output / "trend_calls.csv")
    assert calls.columns[:5].tolist() == ["topic", "label", "unstable", "stability", "papers"]
    assert len(calls) == 3 and (calls["fits"] == 20).all()  # 02's 20 stability refits, read from the cache
    assert set(calls["call"]) <= {"rising", "declining", "no call", "unstable"}
    emerging = pd.read_csv(output / "emerging_topics.csv")
    # 2024 is incomplete, so 2023 is the recent window: 9 dated papers, fewer than thin_below (10)
    assert emerging["reason"].tolist() == ["recent year(s) hold 9 dated papers (< 10)"] * 3
    for name in ("papers_per_period.png", "keyword_trends.png", "keywords_by_collection.png", "topic_trends.png",
                 "topic_shares.png"):
        assert (output / name).exists(), name


def test_compare_notebook_runs_on_a_single_collection_dated_snapshot(tmp_path):
    output = tmp_path / "out"
    snapshot = ROOT / "tests" / "fixtures" / "arxiv" / "dated_snapshot.jsonl"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "04_compare.ipynb"), str(tmp_path / "executed.ipynb"),
        parameters={"input_paths": [str(snapshot)], "min_topic_size": 6, "n_seeds": 2,
                    "cache_dir": str(tmp_path / "cache"), "output_dir": str(output)},
        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False)
    card = pd.read_csv(output / "model_card.csv")
    assert card["model"].tolist() == ["bertopic (share-idf)", "bertopic (ctfidf)", "lda", "nmf"]
    assert card["n_topics"].tolist() == [3, 3, 3, 3]  # three themes; the baselines get as many topics
    association = pd.read_csv(output / "association.csv")
    assert association.loc[0, "warning"].startswith("no test: a chi-square test needs two non-empty rows")
    assert len(pd.read_csv(output / "stability_ari.csv")) == 2  # one pair of seeds, then the mean
    assert len(pd.read_csv(output / "topic_stability.csv")) == 3


def test_no_notebook_is_skipped_or_compared_laxly():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--nbval-lax" not in options["addopts"] and "--nbval-sanitize-with" in options["addopts"]
    for notebook in NOTEBOOKS:
        sources = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        assert not any("NBVAL_SKIP" in s for s in sources), notebook.name
        for source in sources:  # every ignored output says why, on the line above the marker
            lines = source.splitlines()
            if "# NBVAL_IGNORE_OUTPUT" in lines:
                above = lines[lines.index("# NBVAL_IGNORE_OUTPUT") - 1] if lines.index("# NBVAL_IGNORE_OUTPUT") else ""
                assert above.startswith("# ") and len(above) > 12, f"{notebook.name}: say why output is ignored"
        ignored = sum("# NBVAL_IGNORE_OUTPUT" in s for s in sources)
        assert ignored <= len(sources) // 3, f"{notebook.name}: most outputs must stay compared"


def _corpus_project(tmp_path, drop_first_listing: bool):
    """A project folder holding a copy of 01_corpus.ipynb (with its stored outputs) and of the bundled corpus,
    optionally without the first listing of the first page."""
    (tmp_path / "notebooks").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("")
    shutil.copy(ROOT / "notebooks" / "01_corpus.ipynb", tmp_path / "notebooks")
    corpus = tmp_path / "data" / "raw" / "hf_papers"
    shutil.copytree(ROOT / "data" / "raw" / "hf_papers", corpus)
    if drop_first_listing:
        page = sorted(corpus.iterdir())[0]
        blocks = page.read_text(encoding="utf-8").split("\n\n")
        # the first page has 5 header blocks, then title and abstract blocks (see tests/test_bundled_corpus.py)
        page.write_text("\n\n".join(blocks[:5] + blocks[7:]), encoding="utf-8")
    return tmp_path / "notebooks" / "01_corpus.ipynb"


def _nbval(notebook, cwd):
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
                           f"--nbval-sanitize-with={ROOT / 'nbval_sanitize.cfg'}", "-p", "no:cacheprovider",
                           "-q", str(notebook)], cwd=cwd, capture_output=True, text=True)


def test_the_regression_check_fails_when_a_listing_disappears(tmp_path):
    unchanged = _nbval(_corpus_project(tmp_path / "same", drop_first_listing=False), tmp_path / "same")
    assert unchanged.returncode == 0, unchanged.stdout[-2000:]  # the copy alone changes nothing
    changed = _nbval(_corpus_project(tmp_path / "less", drop_first_listing=True), tmp_path / "less")
    assert changed.returncode == 1 and "Cell outputs differ" in changed.stdout
    listings_cell = changed.stdout[changed.stdout.index("per_collection = describe"):]
    # the first page's listings: 47 stored, 46 now
    assert "<td>47</td>" in listings_cell[:1500] and "<td>46</td>" in listings_cell[:1500]


def test_every_notebook_is_collected_by_nbval():
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True).stdout
    collected = {line.split("::")[0] for line in listed.splitlines() if line.startswith("notebooks/")}
    assert collected == {f"notebooks/{n.name}" for n in NOTEBOOKS}
