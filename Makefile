# make run   : install, ingest data/samples/, serve the page on http://127.0.0.1:8501
# make test  : install and run the whole test suite
# make bench : benchmarks (ratios against baselines measured in the same run)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# torch comes first, pinned, from this machine's local CPU wheel: nothing may pull a CUDA build.
TORCH  := torch==2.13.0

.PHONY: run test test-fast bench install install-dev serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e '.[ui,api]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e '.[dev]'
	touch $@ $(VENV)/.run-installed

install: $(VENV)/.run-installed
install-dev: $(VENV)/.dev-installed

run: install
	$(BIN)/kb ingest data/samples
	$(BIN)/kb serve

serve: install
	$(BIN)/kb serve

test: install-dev
	$(BIN)/python -m pytest -q

# the fast subset for one's own loop: no real model, no spawned servers (CI runs everything)
test-fast: install-dev
	$(BIN)/python -m pytest -q -m 'not slow'

bench: install-dev
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .kb
