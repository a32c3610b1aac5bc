"""Where things are: the project root, and paths in notebook parameters resolved against it.

Notebook parameters use paths relative to the project root (`data/raw/hf_papers`, `reports/01_corpus`), so a
notebook gives the same result whether papermill, nbval or JupyterLab started its kernel in the project root or
in notebooks/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder at or above `start` (default: the working directory) holding pyproject.toml and
    notebooks/; the working directory itself if there is none."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    return here


def project_path(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> Path:
    """An absolute path as is; a relative one under the project root."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else project_root(root) / path


def project_paths(paths: list[str] | str) -> list[Path]:
    """project_path for each of a list of paths (a single string is a list of one)."""
    return [project_path(p) for p in ([paths] if isinstance(paths, str) else paths)]


CACHE_ENV = "NBKIT_CACHE_DIR"
DEFAULT_CACHE_DIR = "data/cache"


def cache_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The embedding cache folder: `cache_dir` when given, else $NBKIT_CACHE_DIR when set, else data/cache under
    the project root. (The test suite points $NBKIT_CACHE_DIR at an empty folder so notebooks run cold there, as
    on a fresh clone.)"""
    chosen = cache_dir or os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR
    return project_path(chosen)


MODEL_ENV = "NBKIT_MODEL_DIR"


def model_path() -> Path:
    """Where models converted for another backend (the ONNX exports, the distilled static model) are kept:
    $NBKIT_MODEL_DIR when set, else models/ in the default cache folder (data/cache/models), where `nbkit warm-up`
    (run by `make setup`) exports. An export belongs to the installation, like compiled bytecode: it does not follow
    a run's cache folder ($NBKIT_CACHE_DIR or cache_dir), so runs on an empty cache (the tests, `--store-outputs`, a
    cold benchmark) do not export again. An ONNX export is the model in another format, the same bytes on every
    CPU; the static model is computed, and may differ in the last bits between CPUs (nbkit.static_embed)."""
    chosen = os.environ.get(MODEL_ENV)
    return project_path(chosen) if chosen else project_path(DEFAULT_CACHE_DIR) / "models"


@contextmanager
def building_folder(target: Path, marker: str) -> Iterator[Path]:
    """A temporary folder beside `target`, renamed to `target` when the block ends without error, so a process that
    reads `target` sees a whole model or none. Two processes building at once both finish: the first rename wins and
    the other's folder is dropped, once `target/marker` shows the winner's is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is an ordinary cache folder
    try:
        yield tmp
        try:
            tmp.rename(target)
        except OSError:  # another process put its folder there first: use that one
            if not (target / marker).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
