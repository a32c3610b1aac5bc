"""Batch runs: execute the notebooks with papermill into a run folder, one set of parameters or a sweep.

    nbkit run                                            # notebooks/NN_*.ipynb in order, bundled corpus -> reports/
    nbkit run notebooks/02_topics.ipynb -p min_topic_size 8 --out reports/try
    nbkit run notebooks/02_topics.ipynb -f sweep.yml --jobs 2   # min_topic_size: [5, 10, 15] -> one run each

A run folder holds each executed notebook (`NN_name.ipynb`), its HTML rendering (`NN_name.html`, figures embedded),
the notebook's tables and figures (`NN_name/`, passed as `output_dir` when the notebook declares it),
`manifest.json` (parameters, input file hashes, package versions, embedding model, seeds, times, status) and the
findings page `index.html` with its Markdown twin `index.md` (nbkit.findings). Each notebook runs in a new kernel
(one kept per worker for a sweep) started with KERNEL_ARGUMENTS, so that it starts without the debugger
(nbkit.kernel) and exits without tearing its interpreter down (nbkit.teardown). A sweep writes one such folder per
combination under `<out>/runs/`, plus `sweep.csv` and an `index.html` linking them all.

Parameters go to every notebook that declares them. A name no notebook declares is an error listing the valid
names, and a value must fit the type of the default in the `parameters` cell (papermill itself only warns). A
list given for a parameter whose default is not a list is a sweep over its values; a `sweep:` section in the
parameters file sweeps any parameter, lists included.
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import html
import itertools
import json
import multiprocessing
import os
import platform
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml

from nbkit.emulate import cpu_info
from nbkit.errors import NbkitError
from nbkit.lazyimport import hidden_modules
from nbkit.paths import project_path, project_root

PACKAGES = ("nbkit", "bertopic", "sentence-transformers", "torch", "umap-learn", "hdbscan", "scikit-learn", "scipy",
            "numpy", "pandas", "pyarrow", "matplotlib", "papermill", "nbconvert")

# Options of every kernel nbkit starts: it skips the interpreter's teardown when it exits (nbkit.teardown, 1-3 s per
# notebook; extra_extensions adds to the extensions a user configured), starts without importing the debugger
# (nbkit.kernel, ~0.5 s of CPU), and keeps no history file, as nbclient's own kernels.
KERNEL_ARGUMENTS = ("--InteractiveShellApp.extra_extensions=nbkit.teardown",
                    "--IPKernelApp.kernel_class=nbkit.kernel.BatchKernel", "--HistoryManager.hist_file=:memory:")


def import_papermill() -> Any:
    """papermill, imported without jsonschema's optional IRI format checker: importing rfc3987_syntax builds an
    Earley parser (1-4 s in every `nbkit run`), for a format check that nbformat, nbclient and papermill never
    ask jsonschema for (they validate without a format checker)."""
    if "jsonschema" not in sys.modules:
        with hidden_modules({"rfc3987_syntax"}):
            import jsonschema  # noqa: F401
    import papermill

    return papermill


FINDINGS_PAGE = "index.html"  # the findings page's row among a run's results when writing it failed


@dataclass
class RunResult:
    """One executed notebook."""

    notebook: str
    output: str
    status: str  # ok, failed or skipped (an earlier notebook of the run failed)
    seconds: float
    error: str = ""
    cell: int | None = None
    html: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        where = f"cell {self.cell}: " if self.cell is not None else ""
        return f"{self.notebook}: {where}{self.error}" if self.error else f"{self.notebook}: {self.status}"


@dataclass
class RunRecord:
    """One run: a set of parameters through the notebooks, into one folder."""

    folder: Path
    parameters: dict[str, Any]
    results: list[RunResult]
    seconds: float
    started: str

    @property
    def status(self) -> str:
        return "ok" if self.results and all(r.status == "ok" for r in self.results) else "failed"

    def failures(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]


# --- parameters ----------------------------------------------------------------------------------------------------

def parse_parameters(pairs: Iterable[Sequence[str]] | None) -> dict[str, Any]:
    """[("seed", "3"), ("paths", "[a, b]")] -> {"seed": 3, "paths": ["a", "b"]}: values are read as YAML."""
    out: dict[str, Any] = {}
    for name, value in pairs or []:
        try:
            out[name] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise NbkitError(f"parameter {name}: cannot read value {value!r} ({exc.__class__.__name__})") from None
    return out


def read_parameters_file(path: str | Path) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """A YAML mapping of parameters, with an optional `sweep:` mapping of lists: (parameters, explicit sweeps)."""
    path = project_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NbkitError("parameters file not found", path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NbkitError(f"not a YAML file ({' '.join(str(exc).split())})", path) from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise NbkitError("a parameters file is a mapping of names to values", path)
    sweep = data.pop("sweep", None) or {}
    if not isinstance(sweep, dict) or not all(isinstance(v, list) and v for v in sweep.values()):
        raise NbkitError("`sweep:` maps parameter names to non-empty lists of values", path)
    return data, sweep


def default_notebooks(root: Path | None = None) -> list[Path]:
    """notebooks/NN_*.ipynb under the project root, in name order."""
    folder = (root or project_root()) / "notebooks"
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise NbkitError("no notebooks (NN_name.ipynb) found", folder)
    return found


def declared_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook's `parameters` cell declares (papermill's own inspection)."""
    papermill = import_papermill()

    try:
        return dict(papermill.inspect_notebook(str(notebook)))
    except Exception as exc:  # papermill raises several types for unreadable notebooks
        raise NbkitError(f"cannot read notebook ({exc})", notebook) from None


_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (float, int), "str": (str,), "bool": (bool,),
                                       "list": (list,), "dict": (dict,), "None": (type(None),)}


def _type_options(type_name: str) -> list[str] | None:
    """'Optional[int]' -> ['int', 'None']; 'Union[int, str, None]' -> [...]; None when nbkit cannot check it."""
    name = type_name.replace("typing.", "").replace(" ", "")
    match = re.fullmatch(r"(Optional|Union)\[(.*)\]", name)
    options = ([*match.group(2).split(","), "None"] if match and match.group(1) == "Optional"
               else match.group(2).split(",") if match else name.split("|"))
    return options if all(o in _TYPES for o in options) else None


def check_value(notebook: str, name: str, value: Any, spec: dict) -> None:
    """NbkitError when `value` does not fit the type of the parameter's default."""
    options = _type_options(spec.get("inferred_type_name") or "")
    if options is None:
        return
    for option in options:
        accepted = _TYPES[option]
        if isinstance(value, bool) and bool not in accepted:  # True is an int to Python, not to a reader
            continue
        if isinstance(value, accepted):
            return
    shown = " or ".join(options)
    raise NbkitError(f"parameter {name} of {notebook}: expected {shown}, got {type(value).__name__} {value!r}")


def _is_list_type(specs: Iterable[dict]) -> bool:
    return any("list" in (s.get("inferred_type_name") or "").lower() or not s.get("inferred_type_name")
               for s in specs)


def plan_runs(parameters: dict[str, Any], sweep: dict[str, list[Any]],
              declared: dict[Path, dict[str, dict]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every combination of swept values: [(all parameters of the run, the swept ones)].

    A list for a parameter whose default is not a list sweeps; `sweep` sweeps explicitly. Unknown names and values
    that do not fit the declared types are errors, raised before anything runs.
    """
    valid = sorted({name for names in declared.values() for name in names})
    unknown = sorted((set(parameters) | set(sweep)) - set(valid))
    if unknown:
        raise NbkitError(f"unknown parameter(s) {', '.join(unknown)}; the notebooks declare: {', '.join(valid)}")
    axes = dict(sweep)
    fixed = {}
    for name, value in parameters.items():
        specs = [names[name] for names in declared.values() if name in names]
        if isinstance(value, list) and not _is_list_type(specs) and name not in axes:
            if not value:
                raise NbkitError(f"parameter {name}: an empty list of values to sweep")
            axes[name] = value
        else:
            fixed[name] = value
    combos = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())] or [{}]
    plans = [({**fixed, **combo}, combo) for combo in combos]
    for run_parameters, _ in plans:
        for path, names in declared.items():
            for name, value in run_parameters.items():
                if name in names:
                    check_value(path.name, name, value, names[name])
    return plans


def run_name(swept: dict[str, Any]) -> str:
    """A folder name for one combination: min_topic_size=5_seed=0."""
    text = "_".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in swept.items())
    return re.sub(r"[^A-Za-z0-9=._+-]+", "-", text).strip("-") or "run"


# --- one run -------------------------------------------------------------------------------------------------------

def _default_value(spec: dict) -> Any:
    try:
        return ast.literal_eval(spec.get("default", "None"))
    except (ValueError, SyntaxError):
        return spec.get("default")


def _error_of(exc: Exception) -> tuple[int | None, str]:
    cell = getattr(exc, "exec_count", None)
    ename, evalue = getattr(exc, "ename", exc.__class__.__name__), getattr(exc, "evalue", str(exc))
    return cell, f"{ename}: {' '.join(str(evalue).split())}"


_HTML_EXPORTER: Any = None


def html_exporter() -> Any:
    """nbconvert's HTMLExporter, one per process, warmed up on a two-cell notebook: its templates compiled and the
    Python lexer built, ~1 s of the first page's rendering, which execute_run has done while a kernel runs."""
    global _HTML_EXPORTER
    if _HTML_EXPORTER is None:
        import nbformat
        from nbconvert import HTMLExporter

        exporter = HTMLExporter()
        v4 = nbformat.v4
        stdout = v4.new_output("stream", name="stdout", text="1\n")
        exporter.from_notebook_node(v4.new_notebook(
            cells=[v4.new_markdown_cell("# *a*"), v4.new_code_cell("a = 1", outputs=[stdout])],
            metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}}))
        _HTML_EXPORTER = exporter
    return _HTML_EXPORTER


def write_html(executed: Path) -> Path:
    """The executed notebook as a standalone HTML page (nbconvert; figures are embedded as data URIs)."""
    body, _ = html_exporter().from_filename(str(executed))
    target = executed.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def execute_run(paths: Sequence[Path], parameters: dict[str, Any], declared: dict[Path, dict[str, dict]],
                folder: Path, *, kernel_name: str = "python3", progress: bool = True,
                kernel: ReusedKernel | None = None, first_kernel: Any = None) -> RunRecord:
    """Run the notebooks in order into `folder`; a failing notebook ends the run (later ones may need its
    outputs) and keeps its executed copy with the error in the failing cell. Writes manifest.json and index.html.

    With `kernel`, the notebooks run in that already started kernel, its namespace cleared before each one;
    otherwise each notebook gets a new kernel, started ahead of it: the first one before the notebook is
    parameterized (`first_kernel`, when the caller started it even earlier: run_batch does, before papermill is
    imported), each next one while the notebook before it is rendered to HTML (a kernel takes ~1 s to start; this
    process and the kernel then work at once). This run stops `first_kernel` too."""
    if kernel is None and paths:
        ahead = [first_kernel or start_kernel(kernel_name, paths[0].parent)]
    else:
        ahead = [first_kernel] if first_kernel is not None else []
    try:
        return _execute_run(paths, parameters, declared, folder, kernel_name, progress, kernel, ahead)
    finally:
        for km in ahead:  # only when an exception ended the run: each kernel is stopped after its notebook
            stop_kernel(km)


def _execute_run(paths: Sequence[Path], parameters: dict[str, Any], declared: dict[Path, dict[str, dict]],
                 folder: Path, kernel_name: str, progress: bool, kernel: ReusedKernel | None,
                 ahead: list[Any]) -> RunRecord:
    """execute_run, with `ahead` holding the kernels started for the next notebooks (without `kernel`)."""
    papermill = import_papermill()

    folder.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    given: dict[Path, dict[str, Any]] = {}
    effective: dict[Path, dict[str, Any]] = {}
    for path in paths:
        given[path] = {k: v for k, v in parameters.items() if k in declared[path]}
        if "output_dir" in declared[path] and "output_dir" not in given[path]:
            given[path]["output_dir"] = str(folder / path.stem)
        effective[path] = {name: given[path].get(name, _default_value(spec)) for name, spec in declared[path].items()}
    results: list[RunResult] = []
    failed = False
    # Work that needs no executed notebook goes to a thread while the kernels start and run (this process only waits
    # for them meanwhile): the manifest's facts about the inputs and the HTML exporter's warm-up, ~1 s otherwise
    # spent after the last cell; later, each kernel's stop, while its notebook is rendered.
    with ThreadPoolExecutor(max_workers=1) as pool:
        facts = pool.submit(run_facts, list(effective.values()))
        exporter = pool.submit(html_exporter)
        for i, path in enumerate(paths):
            target = folder / path.name
            if failed:
                results.append(RunResult(path.name, str(target), "skipped", 0.0, parameters=effective[path]))
                continue
            if progress:
                print(f"Running {path.name} -> {_shown(target)}", flush=True)
            begin = time.perf_counter()
            result = RunResult(path.name, str(target), "ok", 0.0, parameters=effective[path])
            km = kernel.ready(path.parent) if kernel is not None else ahead[0]
            try:
                papermill.execute_notebook(str(path), str(target), parameters=given[path], cwd=str(path.parent),
                                           kernel_name=kernel_name, progress_bar=progress, log_output=False,
                                           extra_arguments=list(KERNEL_ARGUMENTS), km=km)
            except Exception as exc:  # PapermillExecutionError, or the kernel died: the run records it either way
                result.status = "failed"
                result.cell, result.error = _error_of(exc)
                failed = True
                if kernel is not None:
                    kernel.discard()  # whatever state the failure left is not carried into the next run
            stopping = None
            if kernel is None:
                if not failed and i + 1 < len(paths):  # it starts while this one stops and is rendered
                    ahead.append(start_kernel(kernel_name, paths[i + 1].parent))
                # papermill stops only the kernels it started itself. Stopping is mostly waiting for the kernel
                # to exit (~0.3 s): the thread waits for it while this one renders the HTML page.
                stopping = pool.submit(stop_kernel, ahead.pop(0))
            result.seconds = round(time.perf_counter() - begin, 2)
            if target.exists():
                exporter.result()
                result.html = str(write_html(target))
            if stopping is not None:
                stopping.result()
            results.append(result)
        record = RunRecord(folder, parameters, results, round(time.perf_counter() - start, 2), started)
        write_manifest(record, facts.result())
    try:
        write_run_index(record)
    except Exception as exc:  # the notebooks' outputs stand: the run is marked failed, the sweep goes on
        message = str(exc).splitlines()[0] if str(exc) else ""
        record.results.append(RunResult(FINDINGS_PAGE, str(folder / FINDINGS_PAGE), "failed", 0.0,
                                        error=f"findings page not written ({exc.__class__.__name__}: {message})"))
        write_manifest(record, facts.result())
    return record


def start_kernel(kernel_name: str, cwd: Path) -> Any:
    """A new kernel (its jupyter_client KernelManager) in `cwd`, started with KERNEL_ARGUMENTS. It is not waited
    for: papermill waits until it is ready."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name=kernel_name, **_private_transport())
    km.start_kernel(cwd=str(cwd), extra_arguments=list(KERNEL_ARGUMENTS))
    return km


def _private_transport() -> dict[str, str]:
    """Where the system allows it, a kernel talks over Unix sockets at a path of its own. Over TCP, jupyter_client
    picks free ports by opening and closing them before the kernel binds them, so two processes starting kernels at
    once (a sweep's workers) can pick the same port and one kernel dies ("Address already in use",
    jupyter_client#487). The path is absolute: a relative one would be resolved in the kernel's working directory
    by the kernel and in ours by the client."""
    if os.name != "posix":
        return {}
    from jupyter_core.paths import jupyter_runtime_dir

    name = f"nbkit-{uuid.uuid4().hex[:12]}"
    folder = Path(jupyter_runtime_dir())  # private to the user, where Jupyter keeps its connection files
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # a read-only home: the sockets are as safe as TCP ports on 127.0.0.1 (messages are signed)
        folder = Path(tempfile.gettempdir())
    # A Unix socket path has at most 104 bytes (macOS); the transport appends "-<port>".
    base = folder / name if len(str(folder / name)) <= 90 else Path(tempfile.gettempdir()) / name
    return {"transport": "ipc", "ip": str(base)}


def stop_kernel(km: Any) -> None:
    """Shut a kernel down as papermill does its own (asked to exit, so that its exit handlers run)."""
    with suppress(Exception):  # a kernel that died already cannot be shut down; nothing else to do
        km.shutdown_kernel(now=False)


class ReusedKernel:
    """One kernel kept alive for the runs of a sweep worker: each run pays the notebook's imports (BERTopic, torch:
    about 9 s) once per worker instead of once per run. Before every notebook the namespace is cleared
    (`%reset -f`) and figures closed, so a run sees only its own variables; imported modules stay loaded, which is
    the point. After a failure the kernel is replaced."""

    RESET = "get_ipython().run_line_magic('reset', '-f')\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt"

    def __init__(self, kernel_name: str = "python3") -> None:
        self.kernel_name = kernel_name
        self.km: Any = None
        self.cwd: Path | None = None

    def ready(self, cwd: Path) -> Any:
        """The kernel manager, started in `cwd` if needed, with a clean namespace."""
        if self.km is not None and (self.cwd != cwd or not self.km.is_alive()):
            self.discard()
        if self.km is None:
            self.km = start_kernel(self.kernel_name, cwd)
            self.cwd = cwd
        client = self.km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive(self.RESET, timeout=60, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise NbkitError(f"could not clear the kernel before a run: {reply['content'].get('evalue')}")
        finally:
            client.stop_channels()
        return self.km

    def discard(self) -> None:
        if self.km is not None:
            with suppress(Exception):  # a kernel that died already cannot be shut down; nothing else to do
                self.km.shutdown_kernel(now=True)
        self.km, self.cwd = None, None


# --- manifest ------------------------------------------------------------------------------------------------------

def _package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def _input_hashes(parameter_sets: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """SHA-256 and size of every input file the run's notebooks read (their `input_paths`)."""
    from nbkit.corpus import expand_inputs

    paths = sorted({str(p) for parameters in parameter_sets for p in parameters.get("input_paths") or []})
    if not paths:
        return []
    try:
        files, _ = expand_inputs([project_path(p) for p in paths])
    except NbkitError as exc:
        return [{"error": str(exc)}]
    out = []
    for file, name in files:
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        out.append({"path": _shown(file), "name": name, "bytes": file.stat().st_size, "sha256": digest.hexdigest()})
    return out


def _embedding_models(parameter_sets: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    from nbkit.embed import DEFAULT_BACKEND, make_embedder

    pairs = sorted({(str(p["embedding_model"]), str(p.get("embedding_backend", DEFAULT_BACKEND)))
                    for p in parameter_sets if "embedding_model" in p})
    out = []
    for name, backend in pairs:
        try:
            embedder = make_embedder(name, backend)
            out.append({"name": name, "backend": backend, "identity": embedder.identity, "path": str(embedder.path)})
        except NbkitError as exc:
            out.append({"name": name, "backend": backend, "error": str(exc)})
    return out


def run_facts(parameter_sets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the manifest says of a run's inputs and software, known before its notebooks run: the embedding models,
    the input files' hashes, package versions, the platform. `parameter_sets`: each notebook's parameters."""
    return {"embedding_models": _embedding_models(parameter_sets), "inputs": _input_hashes(parameter_sets),
            "packages": _package_versions(),
            # the CPU model: an onnx-int8 run's topics depend on it (nbkit.onnx_embed.INT8_CPU_NOTE)
            "platform": {"system": platform.system(), "machine": platform.machine(), "processor": cpu_info()[0],
                         "cpus": os.cpu_count()}}


def write_manifest(record: RunRecord, facts: dict[str, Any] | None = None) -> Path:
    """manifest.json: what ran, on what, with which software, and how it went. `facts`: run_facts of the run's
    notebooks' parameters (computed here when not given)."""
    seeds = {name: value for r in record.results for name, value in r.parameters.items()
             if name == "seed" or name.endswith("_seed")}
    if facts is None:
        facts = run_facts([r.parameters for r in record.results])
    manifest = {
        "status": record.status,
        "started": record.started,
        "wall_seconds": record.seconds,
        "parameters": record.parameters,
        "seeds": seeds,
        **{key: facts[key] for key in ("embedding_models", "inputs", "packages", "platform")},
        "notebooks": [{**asdict(r), "output": _shown(Path(r.output)), "html": _shown(Path(r.html)) if r.html else ""}
                      for r in record.results],
    }
    target = record.folder / "manifest.json"
    target.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return target


# --- index pages ---------------------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}.failed{{color:#b00}}.ok{{color:#070}}</style>
</head><body><h1>{title}</h1>{body}</body></html>
"""


def _table(rows: list[dict[str, Any]], links: dict[str, str] | None = None) -> str:
    if not rows:
        return "<p>(nothing)</p>"
    columns = [c for c in rows[0] if not c.startswith("_")]  # "_href" and the like are link targets
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            text = html.escape("" if row[c] is None else str(row[c]))
            if links and c in links and row.get(links[c]):
                text = f'<a href="{html.escape(str(row[links[c]]))}">{text}</a>'
            css = f' class="{text}"' if c == "status" else ""
            cells.append(f"<td{css}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_run_index(record: RunRecord) -> Path:
    """index.html (and index.md) of one run: its findings page, built from the files in the folder."""
    from nbkit.findings import write_findings

    return write_findings(record.folder)[0]


def run_metrics(folder: Path) -> dict[str, Any]:
    """The topic quality a run's 02_topics wrote (quality.csv), if any."""
    import pandas as pd

    quality = folder / "02_topics" / "quality.csv"
    if not quality.is_file():
        return {}
    row = pd.read_csv(quality).iloc[0].to_dict()
    return {k: row[k] for k in ("n_topics", "outlier_share", "npmi", "diversity") if k in row}


def write_sweep_summary(records: Sequence[tuple[dict[str, Any], RunRecord]], out: Path) -> tuple[Path, Path]:
    """sweep.csv (one row per run: its swept parameters, topic metrics, wall time, status) and index.html."""
    import pandas as pd

    rows = []
    for swept, record in records:
        rows.append({**swept, **run_metrics(record.folder), "wall_seconds": record.seconds, "status": record.status,
                     "folder": _relative(record.folder, out)})
    frame = pd.DataFrame(rows)
    csv = out / "sweep.csv"
    frame.to_csv(csv, index=False)
    table = _table([{**row, "_href": f"{row['folder']}/index.html"} for row in rows], links={"folder": "_href"})
    body = (f"<p>{len(rows)} runs, {sum(r['status'] == 'ok' for r in rows)} ok. The same table as CSV: "
            f'<a href="sweep.csv">sweep.csv</a>.</p>{table}')
    index = out / "index.html"
    index.write_text(_PAGE.format(title="nbkit sweep", body=body), encoding="utf-8")
    return csv, index


# --- entry points --------------------------------------------------------------------------------------------------

def _notebook_paths(notebooks: Sequence[str | Path] | None) -> list[Path]:
    paths = [project_path(n) for n in notebooks] if notebooks else default_notebooks()
    for path in paths:
        if not path.is_file():
            raise NbkitError("no such notebook", path)
    return paths


def _resolve(notebooks: Sequence[str | Path] | None) -> tuple[list[Path], dict[Path, dict[str, dict]]]:
    paths = _notebook_paths(notebooks)
    return paths, {path: declared_parameters(path) for path in paths}


def run_notebooks(notebooks: Sequence[str | Path] | None = None, *, parameters: dict[str, Any] | None = None,
                  out_dir: str | Path = "reports", kernel_name: str = "python3") -> list[RunResult]:
    """Execute notebooks in order into `out_dir` with one set of parameters (no sweep); see execute_run."""
    paths, declared = _resolve(notebooks)
    plans = plan_runs(dict(parameters or {}), {}, declared)
    if len(plans) > 1:
        raise NbkitError("these parameters sweep; use run_batch")
    return execute_run(paths, plans[0][0], declared, project_path(out_dir), kernel_name=kernel_name).results


_WORKER_KERNEL: ReusedKernel | None = None


def _run_in_worker(paths: list[str], parameters: dict[str, Any], folder: str, kernel_name: str,
                   reuse_kernel: bool) -> RunRecord:
    """One sweep run, in a pool worker (or the main process); the worker's kernel is kept between its runs."""
    global _WORKER_KERNEL
    if reuse_kernel and _WORKER_KERNEL is None:
        _WORKER_KERNEL = ReusedKernel(kernel_name)
        atexit.register(_WORKER_KERNEL.discard)
    resolved = [Path(p) for p in paths]
    declared = {p: declared_parameters(p) for p in resolved}
    return execute_run(resolved, parameters, declared, Path(folder), kernel_name=kernel_name, progress=False,
                       kernel=_WORKER_KERNEL if reuse_kernel else None)


def run_batch(notebooks: Sequence[str | Path] | None = None, *, parameters: dict[str, Any] | None = None,
              sweep: dict[str, list[Any]] | None = None, out_dir: str | Path = "reports", jobs: int = 1,
              kernel_name: str = "python3", reuse_kernels: bool = True) -> list[tuple[dict[str, Any], RunRecord]]:
    """One run, or a sweep of runs under `<out>/runs/` with sweep.csv and index.html. Sweep runs go on when one
    fails; with jobs > 1 they run in parallel, after the first run alone (it fills the shared caches once).
    Sweep runs reuse one kernel per worker (see ReusedKernel) unless `reuse_kernels` is False."""
    paths = _notebook_paths(notebooks)
    # Unless a sweep is asked for, the first notebook's kernel starts now: it boots (~1 s) on the other core while
    # this process imports papermill and reads the notebooks' parameters (~1 s). A sweep found only in the values
    # (a list for a parameter that is not one) does not use it: it is stopped below.
    early = start_kernel(kernel_name, paths[0].parent) if not sweep else None
    try:
        declared = {path: declared_parameters(path) for path in paths}
        plans = plan_runs(dict(parameters or {}), dict(sweep or {}), declared)
        out = project_path(out_dir)
        if len(plans) == 1 and not plans[0][1]:
            first, early = early, None  # execute_run stops it, whatever happens there
            record = execute_run(paths, plans[0][0], declared, out, kernel_name=kernel_name, first_kernel=first)
            _print_outcome([(plans[0][1], record)], out)
            return [(plans[0][1], record)]
    finally:
        if early is not None:
            stop_kernel(early)
    return _run_sweep(paths, declared, plans, out, jobs, kernel_name, reuse_kernels)


def _run_sweep(paths: list[Path], declared: dict[Path, dict[str, dict]],
               plans: list[tuple[dict[str, Any], dict[str, Any]]], out: Path, jobs: int, kernel_name: str,
               reuse_kernels: bool) -> list[tuple[dict[str, Any], RunRecord]]:
    """run_batch's sweep: each plan into its own folder under `<out>/runs/`, then sweep.csv and index.html."""
    from tqdm.auto import tqdm

    names = [run_name(swept) for _, swept in plans]
    if len(set(names)) < len(names):
        names = [f"{i:03d}_{n}" for i, n in enumerate(names)]
    folders = [out / "runs" / name for name in names]
    records: list[tuple[dict[str, Any], RunRecord] | None] = [None] * len(plans)
    print(f"Sweep: {len(plans)} runs of {len(paths)} notebook(s) -> {_shown(out)} (jobs: {jobs})", flush=True)
    with tqdm(total=len(plans), unit="run", desc="sweep") as bar:
        def done(i: int, record: RunRecord) -> None:
            records[i] = (plans[i][1], record)
            bar.update(1)
            for failure in record.failures():
                tqdm.write(f"nbkit: run {names[i]} failed: {failure.line()}", file=sys.stderr)

        first = 0
        if jobs > 1:  # alone first: parallel cold runs would each embed the same texts
            done(0, _run_in_worker([str(p) for p in paths], plans[0][0], str(folders[0]), kernel_name,
                                   reuse_kernels))
            first = 1
            if _WORKER_KERNEL is not None:  # the pool's workers bring their own
                _WORKER_KERNEL.discard()
        if jobs <= 1:
            for i in range(first, len(plans)):
                done(i, _run_in_worker([str(p) for p in paths], plans[i][0], str(folders[i]), kernel_name,
                                       reuse_kernels))
        else:
            # spawn, not fork: the parent holds zmq sockets and an event loop, which a forked child must not share
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {pool.submit(_run_in_worker, [str(p) for p in paths], plans[i][0], str(folders[i]),
                                       kernel_name, reuse_kernels): i for i in range(first, len(plans))}
                for future in as_completed(futures):
                    done(futures[future], future.result())
    finished = [r for r in records if r is not None]
    write_sweep_summary(finished, out)
    _print_outcome(finished, out)
    return finished


def _print_outcome(records: Sequence[tuple[dict[str, Any], RunRecord]], out: Path) -> None:
    ok = sum(record.status == "ok" for _, record in records)
    seconds = sum(record.seconds for _, record in records)
    print(f"Report: {_shown(out / 'index.html')} ({len(records)} run(s), {ok} ok, {seconds:.0f} s)", flush=True)


def store_outputs(notebooks: Sequence[str | Path] | None = None, kernel_name: str = "python3") -> list[Path]:
    """Re-execute notebooks with their default parameters and store the outputs in the notebooks themselves
    (what nbval compares against), without papermill's timing metadata. Use after an intended change."""
    import nbformat
    papermill = import_papermill()

    paths = [project_path(n) for n in notebooks] if notebooks else default_notebooks()
    # one empty cache for all of them, as on a fresh clone and under the tests: nothing earlier runs cached shows
    with tempfile.TemporaryDirectory(prefix="nbkit-cache-") as cache, _environment(NBKIT_CACHE_DIR=cache):
        for path in paths:
            print(f"Refreshing {_shown(path)}", flush=True)
            executed = papermill.execute_notebook(str(path), None, cwd=str(path.parent), kernel_name=kernel_name,
                                                  progress_bar=False, log_output=False,
                                                  extra_arguments=list(KERNEL_ARGUMENTS))
            executed.metadata.pop("papermill", None)
            executed.metadata.pop("widgets", None)  # progress-bar widget state: new ids every run, never compared
            for cell in executed.cells:
                cell.metadata.pop("papermill", None)
                cell.metadata.pop("execution", None)
                if cell.get("cell_type") == "code":
                    for output in cell.get("outputs", []):
                        output.get("metadata", {}).pop("papermill", None)
                        output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
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


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _shown(path: Path) -> str:
    """A path relative to the project root when it is inside it."""
    return _relative(path, project_root())
