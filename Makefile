# The two commands of the README: `make demo` and `make test`. Each creates .venv as needed.
# `make test` is what CI runs (.ci/run); `make check` runs the same steps but the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: demo test check lint typecheck docs wheel-check venv-runtime venv-dev clean

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PIP) -e '.[train,dev,docs]'
	touch $@

venv-runtime: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

## Segment the bundled example sheets on the CPU with the bundled model.
demo: $(VENV)/.runtime
	$(VENV)/bin/schemseg segment sdk/schemseg_sdk/examples --out out/demo --overlay --json --csv out/demo/bill.csv

## Everything CI checks: types, the docs site, the wheel on its own, the test suite (CPU; GPU and
## TensorRT tests are collected and skipped with their reason), then lint and formatting, last so that
## a style slip does not hide the results of the others.
test: typecheck docs wheel-check
	$(PY) -m pytest -q tests
	$(MAKE) --no-print-directory lint

check: typecheck docs wheel-check lint

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy sdk/schemseg_sdk

## The site is built into out/site (git-ignored); --strict turns every warning (a broken link, a
## docstring mkdocstrings cannot read) into an error.
docs: $(VENV)/.dev
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir out/site

## Build the wheel, install it with the runtime dependencies only into a fresh virtual environment
## outside the repository, and segment an example sheet there.
wheel-check: $(VENV)/.dev
	$(PY) scripts/check_wheel.py

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) out .pytest_cache
