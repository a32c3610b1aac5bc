"""nbkit run: parameters and their types, sweeps, failures, the manifest and the report pages."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
import yaml

from nbkit.cli import main
from nbkit.diff import compare_runs
from nbkit.embed import SentenceEmbedder
from nbkit.errors import NbkitError
from nbkit.run import (
    _private_transport,
    parse_parameters,
    plan_runs,
    read_parameters_file,
    run_batch,
    run_name,
    run_notebooks,
    start_kernel,
    stop_kernel,
)
from tests.conftest import FIXTURES, HF, ROOT

MULTIPLY = FIXTURES / "notebooks" / "multiply.ipynb"
BROKEN = FIXTURES / "notebooks" / "broken.ipynb"


def test_parameters_are_read_as_yaml():
    assert parse_parameters([("seed", "3"), ("paths", "[a, b]"), ("year", "null"), ("name", "x y")]) == {
        "seed": 3, "paths": ["a", "b"], "year": None, "name": "x y"}


def test_unknown_parameter_lists_the_valid_names():
    with pytest.raises(NbkitError, match=r"unknown parameter\(s\) min_size; the notebooks declare: "
                                         r"collection_names, column_map, input_format, input_paths, output_dir, "
                                         r"reference_year, scheduler, skip_bad_files"):
        run_notebooks([ROOT / "notebooks" / "01_corpus.ipynb"], parameters={"min_size": 3})


@pytest.mark.parametrize(("parameters", "message"), [
    ({"a": "ten"}, "parameter a of multiply.ipynb: expected int, got str 'ten'"),
    ({"a": True}, "parameter a of multiply.ipynb: expected int, got bool True"),
    ({"label": 5}, "parameter label of multiply.ipynb: expected str, got int 5"),
])
def test_a_wrongly_typed_value_is_refused_before_anything_runs(tmp_path, parameters, message):
    with pytest.raises(NbkitError, match=message):
        run_batch([MULTIPLY], parameters=parameters, out_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_optional_and_union_types_accept_their_members():
    declared = {ROOT / "notebooks" / "02_topics.ipynb": {
        "nr_topics": {"inferred_type_name": "Union[int, str, None]"},
        "reduce_outliers": {"inferred_type_name": "Optional[str]"}, "seed": {"inferred_type_name": "int"},
        "input_paths": {"inferred_type_name": "list"}}}
    plans = plan_runs({"nr_topics": "auto", "reduce_outliers": None, "input_paths": ["a", "b"]}, {}, declared)
    assert plans == [({"nr_topics": "auto", "reduce_outliers": None, "input_paths": ["a", "b"]}, {})]
    with pytest.raises(NbkitError, match=r"expected str or None, got int 3"):
        plan_runs({"reduce_outliers": 3}, {}, declared)
    # a list for a list parameter is a value; for an int parameter, a sweep
    assert [swept for _, swept in plan_runs({"seed": [1, 2], "input_paths": ["a"]}, {}, declared)] == [
        {"seed": 1}, {"seed": 2}]


def test_a_single_run_writes_notebook_html_outputs_manifest_and_index(tmp_path):
    [(swept, record)] = run_batch([MULTIPLY], parameters={"a": 7}, out_dir=tmp_path)
    assert swept == {} and record.status == "ok"
    assert (tmp_path / "multiply" / "product.csv").read_text() == "label,product\nx,21\n"
    html = (tmp_path / "multiply.html").read_text()
    assert "21" in html and "<html" in html
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["parameters"] == {"a": 7}
    assert manifest["notebooks"][0]["parameters"] == {"a": 7, "b": 3, "label": "x",
                                                      "output_dir": str(tmp_path / "multiply")}
    assert manifest["notebooks"][0]["status"] == "ok" and manifest["notebooks"][0]["seconds"] > 0
    assert {"python", "nbkit", "papermill", "pandas"} <= set(manifest["packages"])
    assert manifest["seeds"] == {} and manifest["inputs"] == [] and manifest["started"].endswith("+00:00")
    assert manifest["platform"]["processor"] and manifest["platform"]["cpus"] >= 1  # onnx-int8 topics depend on it
    assert 'href="multiply.html"' in (tmp_path / "index.html").read_text()
    assert "_Topics: not computed in this run (02_topics wrote no such table)._" in (tmp_path / "index.md").read_text()


def test_a_two_by_two_sweep_runs_every_combination_and_summarizes(tmp_path):
    records = run_batch([MULTIPLY], parameters={"a": [1, 2], "b": [3, 4]}, out_dir=tmp_path, jobs=2)
    assert sorted(run_name(swept) for swept, _ in records) == ["a=1_b=3", "a=1_b=4", "a=2_b=3", "a=2_b=4"]
    for swept, record in records:
        product = pd.read_csv(record.folder / "multiply" / "product.csv")["product"].item()
        assert product == swept["a"] * swept["b"] and record.status == "ok"
    summary = pd.read_csv(tmp_path / "sweep.csv").sort_values(["a", "b"])
    assert summary[["a", "b", "status"]].values.tolist() == [[1, 3, "ok"], [1, 4, "ok"], [2, 3, "ok"], [2, 4, "ok"]]
    assert summary["folder"].tolist() == ["runs/a=1_b=3", "runs/a=1_b=4", "runs/a=2_b=3", "runs/a=2_b=4"]
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="runs/a={a}_b={b}/index.html"' in index for a in (1, 2) for b in (3, 4))


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")
def test_kernels_talk_over_sockets_of_their_own_so_parallel_starts_cannot_share_a_port(tmp_path, monkeypatch):
    # Over TCP, two processes starting kernels at once could pick the same free port: a sweep's kernel died of
    # "Address already in use" in CI. The kernel runs elsewhere than this process, so the path must be absolute.
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    kms = [start_kernel("python3", elsewhere) for _ in range(2)]
    try:
        assert [km.transport for km in kms] == ["ipc", "ipc"]
        assert all(Path(km.ip).is_absolute() for km in kms) and kms[0].ip != kms[1].ip
        for km in kms:
            client = km.client()
            client.start_channels()
            try:
                client.wait_for_ready(timeout=60)
                reply = client.execute_interactive("import os; x = os.getcwd()", timeout=60,
                                                   user_expressions={"x": "x"}, output_hook=lambda msg: None)
            finally:
                client.stop_channels()
            assert reply["content"]["user_expressions"]["x"]["data"]["text/plain"] == repr(str(elsewhere))
    finally:
        for km in kms:
            stop_kernel(km)
    assert not list(tmp_path.rglob("*-ipc*")) and not any(Path(f"{km.ip}-1").exists() for km in kms)


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")
def test_kernel_sockets_go_to_the_temporary_folder_when_jupyters_is_unusable_or_too_deep(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    assert Path(_private_transport()["ip"]).parent == tmp_path / "runtime"
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "a-file" / "runtime"))  # cannot be made
    assert Path(_private_transport()["ip"]).parent == Path(tempfile.gettempdir())
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / ("d" * 100)))  # a socket path is at most 104 bytes
    assert Path(_private_transport()["ip"]).parent == Path(tempfile.gettempdir())


def test_a_params_file_with_an_explicit_sweep(tmp_path, write):
    params = write("sweep.yml", "label: y\nsweep:\n  a: [2, 5]\n")
    parameters, sweep = read_parameters_file(params)
    assert parameters == {"label": "y"} and sweep == {"a": [2, 5]}
    assert main(["run", str(MULTIPLY), "-f", str(params), "-p", "b", "10", "--out", str(tmp_path / "o")]) == 0
    summary = pd.read_csv(tmp_path / "o" / "sweep.csv")
    assert summary["a"].tolist() == [2, 5]
    assert (tmp_path / "o" / "runs" / "a=5" / "multiply" / "product.csv").read_text() == "label,product\ny,50\n"


def test_a_failing_notebook_stops_its_run_keeps_the_error_and_exits_non_zero(tmp_path, capsys):
    assert main(["run", str(BROKEN), "--out", str(tmp_path)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nbkit:")]  # not the bars
    assert err == [f"nbkit: notebook failed: broken.ipynb: cell 3: ZeroDivisionError: division by zero "
                   f"(executed notebook: {tmp_path / 'broken.ipynb'})"]
    executed = nbformat.read(tmp_path / "broken.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["ZeroDivisionError"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["notebooks"][0]["cell"] == 3 and "division by zero" in manifest["notebooks"][0]["error"]


def test_a_failed_sweep_run_does_not_stop_the_others(tmp_path):
    records = run_batch([BROKEN, MULTIPLY], parameters={"divisor": [0, 1]}, out_dir=tmp_path)
    statuses = {swept["divisor"]: [r.status for r in record.results] for swept, record in records}
    assert statuses == {0: ["failed", "skipped"], 1: ["ok", "ok"]}
    assert pd.read_csv(tmp_path / "sweep.csv")["status"].tolist() == ["failed", "ok"]


def kernels_running() -> set[int]:
    children = psutil.Process().children(recursive=True)
    return {child.pid for child in children if "ipykernel" in " ".join(child.cmdline())}


@pytest.mark.parametrize(("divisor", "statuses"), [(1, ["ok", "ok"]), (0, ["failed", "skipped"])])
def test_a_run_stops_every_kernel_it_started_ahead(tmp_path, divisor, statuses):
    """Each notebook's kernel is started before it is needed (the second while the first is rendered); after the
    run, ok or failed, none is left running."""
    before = kernels_running()
    [(_, record)] = run_batch([BROKEN, MULTIPLY], parameters={"divisor": divisor}, out_dir=tmp_path)
    assert [r.status for r in record.results] == statuses
    assert kernels_running() <= before


def test_a_run_refused_before_it_starts_stops_the_kernel_started_early(tmp_path):
    """run_batch starts the first kernel before it reads the notebooks' parameters; a refused run stops it."""
    before = kernels_running()
    with pytest.raises(NbkitError, match=r"unknown parameter\(s\) nope"):
        run_batch([MULTIPLY], parameters={"nope": 1}, out_dir=tmp_path)
    assert kernels_running() <= before


def test_a_findings_page_that_cannot_be_written_fails_the_run_in_one_line_and_keeps_the_notebooks(
        tmp_path, capsys, monkeypatch):
    import nbkit.findings

    def broken(folder):
        raise ValueError("no topics table\nsecond line")

    monkeypatch.setattr(nbkit.findings, "write_findings", broken)
    assert main(["run", str(MULTIPLY), "--out", str(tmp_path)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nbkit:")]
    assert err == ["nbkit: run failed: findings page not written (ValueError: no topics table) (the executed "
                   "notebooks are beside it)"]
    assert (tmp_path / "multiply" / "product.csv").read_text() == "label,product\nx,6\n"  # the defaults: a = 2, b = 3
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [(n["notebook"], n["status"]) for n in manifest["notebooks"]] == [("multiply.ipynb", "ok"),
                                                                             ("index.html", "failed")]


def test_a_bad_params_file_is_a_one_line_error(write, capsys):
    bad = write("bad.yml", "a: [1, 2\n")
    assert main(["run", str(MULTIPLY), "-f", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"nbkit: error: {bad}: not a YAML file")
    assert main(["run", str(MULTIPLY), "-f", str(write("list.yml", "- 1\n"))]) == 2
    assert "a parameters file is a mapping" in capsys.readouterr().err


LOAD_OPTIONS = {"input_format": "csv", "column_map": {"title": "Headline", "abstract": "Body", "collection": "Theme"},
                "reference_year": 2020, "collection_names": {"speech": "audio"}, "skip_bad_files": True}


def _custom_csv(path: Path) -> Path:
    """The 36-paper topics fixture as a CSV whose column names no alias knows: it loads only with the column map."""
    rows = pd.read_json(FIXTURES / "topics" / "papers.jsonl", lines=True)
    rows.rename(columns={"title": "Headline", "abstract": "Body", "collection": "Theme"}).to_csv(path, index=False)
    return path


def test_load_options_reach_every_notebook(tmp_path, monkeypatch):
    import papermill

    given: dict[str, dict] = {}
    monkeypatch.setattr(papermill, "execute_notebook",
                        lambda path, target, parameters, **_: given.setdefault(Path(path).name, parameters))
    corpus = _custom_csv(tmp_path / "papers.csv")
    argv = ["run", "--out", str(tmp_path / "report"), "-p", "input_paths", f"[{corpus}]",
            "-f", str(tmp_path / "load.yml")]
    (tmp_path / "load.yml").write_text(yaml.safe_dump(LOAD_OPTIONS), encoding="utf-8")
    assert main(argv) == 0
    assert sorted(given) == ["01_corpus.ipynb", "02_topics.ipynb", "03_trends.ipynb", "04_compare.ipynb",
                             "05_explore.ipynb"]
    for name, parameters in given.items():
        assert {k: parameters.get(k) for k in LOAD_OPTIONS} == LOAD_OPTIONS, name
        assert parameters["input_paths"] == [str(corpus)]


def test_the_full_run_on_a_small_corpus(tmp_path):
    """Every notebook, on the 36-paper fixture (three collections, no dates) as a CSV with its own column names
    (so every notebook needs the format and column map), into one report folder."""
    corpus = _custom_csv(tmp_path / "papers.csv")
    [(_, record)] = run_batch(None, parameters={"input_paths": [str(corpus)], "min_topic_size": 6,
                                                "n_seeds": 2, "cache_dir": str(tmp_path / "c"), **LOAD_OPTIONS},
                              out_dir=tmp_path / "report")
    report = tmp_path / "report"
    assert [(r.notebook, r.status) for r in record.results] == [
        ("01_corpus.ipynb", "ok"), ("02_topics.ipynb", "ok"), ("03_trends.ipynb", "ok"), ("04_compare.ipynb", "ok"),
        ("05_explore.ipynb", "ok")]
    for name in ("01_corpus", "02_topics", "03_trends", "04_compare"):
        assert (report / f"{name}.html").is_file() and (report / name).is_dir()
    assert pd.read_csv(report / "02_topics" / "quality.csv")["n_topics"].item() == 3
    papers = pd.read_parquet(report / "01_corpus" / "papers.parquet")  # the collection map was applied
    assert (len(papers), sorted({c for cs in papers["collections"] for c in cs})) == (36, ["audio", "proteins",
                                                                                           "robots"])
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["inputs"] == [{"path": str(corpus), "name": "papers.csv",
                                   "bytes": corpus.stat().st_size,
                                   "sha256": hashlib.sha256(corpus.read_bytes()).hexdigest()}]
    assert manifest["embedding_models"][0]["name"] == "all-MiniLM-L6-v2"
    assert manifest["embedding_models"][0]["backend"] == "torch"
    assert manifest["embedding_models"][0]["identity"] == SentenceEmbedder().identity
    assert manifest["seeds"] == {"seed": 42}
    page = (report / "index.html").read_text()  # the findings page, from the folder's tables
    assert "<p>36 papers from 36 listings in 1 file(s): 0 duplicate listings merged" in page
    assert "<p>3 topics over 36 papers" in page and '<a href="04_compare.html">04_compare.ipynb</a>' in page
    assert (report / "index.md").read_text().startswith("# nbkit findings: report\n")
    diff = compare_runs(report, report)
    assert diff.identical and diff.topics.counts()["matched"] == 3 and diff.topics.ari == 1.0


def test_run_writes_executed_notebooks_and_outputs(tmp_path):
    results = run_notebooks([ROOT / "notebooks" / "01_corpus.ipynb"],
                            parameters={"input_paths": [str(HF / "no_header.txt")]}, out_dir=tmp_path)
    assert [(r.notebook, r.status) for r in results] == [("01_corpus.ipynb", "ok")]
    assert (tmp_path / "01_corpus.ipynb").exists() and (tmp_path / "01_corpus" / "papers.parquet").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_sweep_runs_sharing_a_kernel_start_from_a_clean_namespace(tmp_path, jobs):
    fresh = FIXTURES / "notebooks" / "fresh_namespace.ipynb"
    records = run_batch([fresh], parameters={"x": [1, 2, 3, 4]}, out_dir=tmp_path, jobs=jobs)
    assert [record.status for _, record in records] == ["ok"] * 4
    for swept, record in records:
        executed = nbformat.read(record.folder / "fresh_namespace.ipynb", as_version=4)
        assert executed.cells[-1].outputs[0].text == f"{swept['x']}\n"


def test_a_failed_run_does_not_leave_its_kernel_to_the_next(tmp_path):
    records = run_batch([BROKEN], parameters={"divisor": [0, 1, 0, 2]}, out_dir=tmp_path)
    assert [record.status for _, record in records] == ["failed", "ok", "failed", "ok"]


@pytest.fixture(scope="module")
def export_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("export_cache")  # both exports hold the same papers: embed them once


@pytest.mark.parametrize(("export", "fmt"), [("arxiv_scopus_style.ris", "ris"),
                                             ("arxiv_openalex_page.json", "openalex")])
def test_the_full_run_on_a_bibliographic_export(tmp_path, export_cache, export, fmt):
    """Every notebook on the exports researchers bring most: the same 90 arXiv papers (30 astro-ph, 30 cs, 30 math)
    as a Scopus-style RIS file and as an OpenAlex results page, read by content with no option given."""
    corpus = FIXTURES / "exports" / export
    [(_, record)] = run_batch(None, parameters={"input_paths": [str(corpus)], "min_topic_size": 5, "n_seeds": 2,
                                                "cache_dir": str(export_cache)},
                              out_dir=tmp_path / "report")
    assert [(r.notebook, r.status) for r in record.results] == [
        ("01_corpus.ipynb", "ok"), ("02_topics.ipynb", "ok"), ("03_trends.ipynb", "ok"), ("04_compare.ipynb", "ok"),
        ("05_explore.ipynb", "ok")]
    report = tmp_path / "report"
    listings = pd.read_parquet(report / "01_corpus" / "papers.listings.parquet")
    papers = pd.read_parquet(report / "01_corpus" / "papers.parquet")
    assert set(listings["source_format"]) == {fmt}
    assert len(papers) == 90
    assert papers["doi"].str.fullmatch(r"10\.48550/arxiv\.\d{4}\.\d{4,5}").all()
    assert papers["abstract"].notna().all()
    quality = pd.read_csv(report / "02_topics" / "quality.csv")
    assert quality["n_topics"].item() >= 3


PAPERMILL_PROBE = """
import json, sys
from nbkit.run import import_papermill
import_papermill()
import nbformat
notebook = nbformat.read(sys.argv[1], as_version=4)
nbformat.validate(notebook)
broken = nbformat.from_dict({**notebook, "cells": [{"cell_type": "code"}]})
print(json.dumps({"rfc3987_syntax": "rfc3987_syntax" in sys.modules,
                  "invalid_found": not nbformat.validator.isvalid(broken)}))
"""


def test_papermill_is_imported_without_the_iri_checker_and_notebooks_are_still_validated():
    out = subprocess.run([sys.executable, "-c", PAPERMILL_PROBE, str(MULTIPLY)], check=True, capture_output=True,
                         text=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"rfc3987_syntax": False, "invalid_found": True}
