# One target per step. `make report` and `make test` set up .venv first (once; again when pyproject.toml changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nbkit-installed

.PHONY: setup report test lint bench clean

setup: $(STAMP)

# torch first and pinned: an unpinned torch (pulled in by bertopic) brings several GB of CUDA packages.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nbkit)" >/dev/null
	$(BIN)/nbkit warm-up
	touch $@

report: $(STAMP)
	$(BIN)/nbkit run --out reports

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks conftest.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_topics.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_explorer.py

clean:
	rm -rf $(VENV) reports .pytest_cache
