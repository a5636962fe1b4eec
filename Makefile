# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run    create .venv, install, resolve the bundled sample data, print a summary
#   make test   create .venv, install with test extras, run the tests
#   make lint   ruff (lint and format) and mypy on normalizers/ and resolution/
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR ?= home
export PYTHONHASHSEED := 0

.PHONY: run test lint dagster clean venv

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/edin run data/sample --home $(HOME_DIR)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The Dagster UI on http://127.0.0.1:3000 (inputs and home from EDIN_* variables, see README)
dagster: $(VENV)/.installed
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

clean:
	rm -rf $(HOME_DIR) .tmp_dagster_home_* .pytest_cache
