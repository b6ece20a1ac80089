# The two commands of the README: `make demo` and `make test`. Each creates .venv as needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: demo test venv-runtime venv-dev clean

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PIP) -e '.[train,dev]'
	touch $@

venv-runtime: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

## Segment the bundled example sheets on the CPU with the bundled model.
demo: $(VENV)/.runtime
	$(VENV)/bin/schemseg segment sdk/schemseg_sdk/examples --out out/demo --overlay --json --csv out/demo/bill.csv

## Run the test suite (CPU; GPU/TensorRT tests are collected and skipped with their reason).
test: $(VENV)/.dev
	$(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) out .pytest_cache
