"""nbkit run: parameters, unknown names, and a run into a report folder."""

from __future__ import annotations

import pytest

from nbkit.errors import NbkitError
from nbkit.run import parse_parameters, run_notebooks
from tests.conftest import HF, ROOT


def test_parameters_are_read_as_yaml():
    assert parse_parameters([("seed", "3"), ("paths", "[a, b]"), ("year", "null"), ("name", "x y")]) == {
        "seed": 3, "paths": ["a", "b"], "year": None, "name": "x y"}


def test_unknown_parameter_lists_the_valid_names():
    with pytest.raises(NbkitError, match=r"unknown parameter\(s\) min_size; the notebooks declare: "
                                         r"collection_names, input_format, input_paths, output_dir, reference_year"):
        run_notebooks([ROOT / "notebooks" / "01_corpus.ipynb"], parameters={"min_size": 3})


def test_run_writes_executed_notebooks_and_outputs(tmp_path):
    results = run_notebooks([ROOT / "notebooks" / "01_corpus.ipynb"],
                            parameters={"input_paths": [str(HF / "no_header.txt")]}, out_dir=tmp_path)
    assert [(r.notebook, r.status) for r in results] == [("01_corpus.ipynb", "ok")]
    assert (tmp_path / "01_corpus.ipynb").exists()
    assert (tmp_path / "01_corpus" / "papers.parquet").exists()


def test_failing_notebook_reports_cell_and_error(tmp_path):
    results = run_notebooks([ROOT / "notebooks" / "01_corpus.ipynb"],
                            parameters={"input_paths": [str(tmp_path / "missing")]}, out_dir=tmp_path)
    assert results[0].status == "failed"
    assert "NbkitError" in results[0].error and "no such file or directory" in results[0].error
