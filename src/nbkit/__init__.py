"""nbkit: load, clean, model and compare a literature of paper listings, in notebooks and in batch.

The public API is imported lazily so that `nbkit --help` stays fast and importing nbkit has no side effects.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Corpus": "nbkit.corpus",
    "load_corpus": "nbkit.corpus",
    "read_corpus": "nbkit.corpus",
    "write_corpus": "nbkit.corpus",
    "NbkitError": "nbkit.errors",
    "cache_path": "nbkit.paths",
    "project_path": "nbkit.paths",
    "project_root": "nbkit.paths",
    "project_paths": "nbkit.paths",
}

__all__ = [
    "Corpus",
    "NbkitError",
    "__version__",
    "cache_path",
    "load_corpus",
    "project_path",
    "project_paths",
    "project_root",
    "read_corpus",
    "write_corpus",
]

if TYPE_CHECKING:
    from nbkit.corpus import Corpus, load_corpus, read_corpus, write_corpus
    from nbkit.errors import NbkitError
    from nbkit.paths import cache_path, project_path, project_paths, project_root


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nbkit' has no attribute {name!r}")
