"""Batch runs: execute the notebooks with papermill into a report folder.

    nbkit run                      # every notebooks/NN_*.ipynb, in order, on the bundled corpus -> reports/
    nbkit run notebooks/01_corpus.ipynb -p reference_year 2025 --out reports/try

Each executed notebook is written to `<out>/<name>.ipynb` (the source notebook is never touched) and gets
`output_dir=<out>/<stem>` for its tables and figures when it declares that parameter. A parameter is passed to
every notebook that declares it; a name that no notebook declares is an error (papermill would only warn).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nbkit.errors import NbkitError
from nbkit.paths import project_path, project_root


@dataclass
class RunResult:
    notebook: str
    output: str
    status: str  # ok or failed
    seconds: float
    error: str = ""

    def line(self) -> str:
        return f"{self.notebook}: {self.error}" if self.error else f"{self.notebook}: {self.status}"


def parse_parameters(pairs: Iterable[Sequence[str]] | None) -> dict[str, Any]:
    """[("seed", "3"), ("paths", "[a, b]")] -> {"seed": 3, "paths": ["a", "b"]}: values are read as YAML."""
    out: dict[str, Any] = {}
    for name, value in pairs or []:
        try:
            out[name] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise NbkitError(f"parameter {name}: cannot read value {value!r} ({exc.__class__.__name__})") from None
    return out


def default_notebooks(root: Path | None = None) -> list[Path]:
    """notebooks/NN_*.ipynb under the project root, in name order."""
    folder = (root or project_root()) / "notebooks"
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise NbkitError("no notebooks (NN_name.ipynb) found", folder)
    return found


def declared_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook's `parameters` cell declares (papermill's own inspection)."""
    import papermill

    try:
        return dict(papermill.inspect_notebook(str(notebook)))
    except Exception as exc:  # papermill raises several types for unreadable notebooks
        raise NbkitError(f"cannot read notebook ({exc})", notebook) from None


def run_notebooks(notebooks: Sequence[str | Path] | None = None, *, parameters: dict[str, Any] | None = None,
                  out_dir: str | Path = "reports", kernel_name: str = "python3") -> list[RunResult]:
    """Execute notebooks in order into `out_dir`; stops at the first failure (later notebooks may need its output).

    Raises NbkitError for a missing notebook or a parameter no notebook declares.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    paths = [project_path(n) for n in notebooks] if notebooks else default_notebooks()
    for path in paths:
        if not path.is_file():
            raise NbkitError("no such notebook", path)
    declared = {path: declared_parameters(path) for path in paths}
    parameters = dict(parameters or {})
    valid = sorted({name for names in declared.values() for name in names})
    unknown = sorted(set(parameters) - set(valid))
    if unknown:
        raise NbkitError(f"unknown parameter(s) {', '.join(unknown)}; the notebooks declare: {', '.join(valid)}")

    out = project_path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: list[RunResult] = []
    for path in paths:
        given = {k: v for k, v in parameters.items() if k in declared[path]}
        if "output_dir" in declared[path] and "output_dir" not in given:
            given["output_dir"] = str(out / path.stem)
        target = out / path.name
        print(f"Running {path.name} -> {_shown(target)}", flush=True)
        started = time.perf_counter()
        try:
            papermill.execute_notebook(str(path), str(target), parameters=given, cwd=str(path.parent),
                                       kernel_name=kernel_name, progress_bar=True, log_output=False)
        except PapermillExecutionError as exc:
            error = f"cell {exc.exec_count}: {exc.ename}: {' '.join(str(exc.evalue).split())}"
            results.append(RunResult(path.name, str(target), "failed", time.perf_counter() - started, error))
            break
        results.append(RunResult(path.name, str(target), "ok", time.perf_counter() - started))
    if results and all(r.status == "ok" for r in results):
        print(f"Report: {_shown(out)} ({len(results)} notebook(s), "
              f"{sum(r.seconds for r in results):.0f} s)", flush=True)
    return results


def store_outputs(notebooks: Sequence[str | Path] | None = None, kernel_name: str = "python3") -> list[Path]:
    """Re-execute notebooks with their default parameters and store the outputs in the notebooks themselves
    (what nbval compares against), without papermill's timing metadata. Use after an intended change."""
    import nbformat
    import papermill

    paths = [project_path(n) for n in notebooks] if notebooks else default_notebooks()
    for path in paths:
        print(f"Refreshing {_shown(path)}", flush=True)
        # an empty cache, as on a fresh clone and under the tests: nothing earlier runs cached can show
        with tempfile.TemporaryDirectory(prefix="nbkit-cache-") as cache, _environment(NBKIT_CACHE_DIR=cache):
            executed = papermill.execute_notebook(str(path), None, cwd=str(path.parent), kernel_name=kernel_name,
                                                  progress_bar=False, log_output=False)
        executed.metadata.pop("papermill", None)
        for cell in executed.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            if cell.get("cell_type") == "code":
                for output in cell.get("outputs", []):
                    output.get("metadata", {}).pop("papermill", None)
        nbformat.write(executed, str(path))
    return paths


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the kernels started inside the block."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _shown(path: Path) -> str:
    """A path relative to the project root when it is inside it."""
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)
