"""Import a library whose package __init__ files eagerly import every optional integration, paying only for what
is used.

    with lazy_packages({"bertopic.plotting", "bertopic.backend", "bertopic.representation"}):
        import bertopic

BERTopic's `bertopic/plotting/__init__.py` imports all twelve views (and with them UMAP, numba, plotly.express
and plotly's figure factory), `bertopic/backend/__init__.py` tries sentence-transformers for its multimodal
backend and `bertopic/representation/__init__.py` tries transformers' pipelines: ~8 s of imports that a fit with
precomputed embeddings and nbkit's own components never uses. Inside the `with`, such a package is created
without running its __init__. A name that the __init__ only re-exports from a submodule (`from ._documents import
visualize_documents`, bound nowhere else in the file) is then imported from that submodule alone, when first
asked for; any other name (one bound in a `try`, `__all__`, ...) runs the real __init__ first, so the package
then behaves exactly as if it had been imported normally. Nothing changes for a package already imported.

`hidden_modules` makes a module look absent for the length of a block, for a library that imports it only to
know whether it could use it (`try: import torch`); `OnDemandModule` then stands in for it there, importing it
when an attribute is first read.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any


def reexports(source: str, package: str) -> dict[str, tuple[str, str]]:
    """The names an __init__ binds only by a top-level `from MODULE import NAME`: name -> (absolute module, name
    there). A name bound anywhere else in the file too (a `try`, an assignment, a second import) is left out."""
    tree = ast.parse(source)
    bound: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound[node.id] += 1
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound[node.name] += 1
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or any(alias.name == "*" for alias in node.names):
            continue
        module = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
            else node.module
        for alias in node.names:
            name = alias.asname or alias.name
            if bound[name] == 1 and module is not None:
                out[name] = (module, alias.name)
    return out


class LazyPackage(types.ModuleType):
    """A package module whose __init__ has not run (see the module docstring)."""

    def __getattr__(self, name: str) -> Any:  # only called for names not (yet) in the module
        state = self.__dict__.get("_lazy_state")
        if state is None or (name.startswith("__") and name.endswith("__") and name != "__all__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        exports = state[1]
        if name in exports:
            module, attribute = exports[name]
            value = getattr(importlib.import_module(module), attribute)
            setattr(self, name, value)
            return value
        self.load()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None

    def load(self) -> None:
        """Run the real __init__ (once)."""
        state = self.__dict__.pop("_lazy_state", None)
        if state is not None:
            state[0].exec_module(self)


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return LazyPackage(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        source = self.loader.get_source(module.__name__)
        exports = reexports(source, module.__name__) if source is not None else {}
        module.__dict__["_lazy_state"] = (self.loader, exports)


class _LazyPackageFinder(importlib.abc.MetaPathFinder):
    def __init__(self, names: Collection[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.submodule_search_locations is None or not hasattr(spec.loader, "get_source"):
            return spec  # not a plain package on disk: imported as usual
        spec.loader = _LazyPackageLoader(spec.loader)
        return spec


@contextmanager
def lazy_packages(names: Collection[str]) -> Iterator[None]:
    """Inside the block, the packages `names` are imported as LazyPackage (if not imported already)."""
    finder = _LazyPackageFinder(names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class _HidingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, names: Collection[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while another module is imported)",
                                      name=name)
        return None


@contextmanager
def hidden_modules(names: Collection[str]) -> Iterator[None]:
    """Inside the block, importing one of the top-level modules `names` (or their submodules) that is not imported
    yet raises ModuleNotFoundError, as if it were not installed; one already imported is unaffected."""
    finder = _HidingFinder(n for n in names if n not in sys.modules)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class OnDemandModule(types.ModuleType):
    """A stand-in for the module `name` that imports it when one of its attributes is first read. It is not put
    in sys.modules: `import name` elsewhere still means the real module, and only the holder of the stand-in
    defers the import."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)
