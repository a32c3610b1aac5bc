"""Session setup for the whole suite, unit tests and notebooks (nbval) alike."""

from __future__ import annotations

import os
import shutil
import tempfile


def pytest_configure(config):
    """Notebooks under nbval get an empty embedding cache for the session: they run cold, exactly as on a fresh
    clone and as when their outputs were stored, whatever earlier sweeps left in data/cache."""
    folder = tempfile.mkdtemp(prefix="nbkit-test-cache-")
    config._nbkit_cache = folder
    os.environ["NBKIT_CACHE_DIR"] = folder
    # one ONNX export of the embedding model for the session (made by the first test or notebook that embeds),
    # shared by the tests and runs that bring their own cache_dir; an existing $NBKIT_MODEL_DIR is kept
    os.environ.setdefault("NBKIT_MODEL_DIR", os.path.join(folder, "models"))


def pytest_unconfigure(config):
    folder = getattr(config, "_nbkit_cache", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


# Notebooks under tests/fixtures are inputs to the run tests (one fails on purpose), not notebooks for nbval.
collect_ignore_glob = ["tests/fixtures/*"]
