# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run    create .venv, install the locked tree, resolve the bundled sample, print a summary
#   make test   create .venv, install the locked tree, run the tests
#   make lint   ruff (lint and format), mypy on normalizers/ and resolution/, lock in sync
#   make lock   re-resolve uv.lock after a change to pyproject.toml; export requirements/*.txt
#   make screenshots  the review app's browser tests, keeping their screenshots in docs/screenshots
# Every package comes from requirements/dev.txt: exact versions with hashes (docs/INSTALL.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR ?= home
export PYTHONHASHSEED := 0

LOCKED := requirements/dev.txt

.PHONY: run test lint lock lock-check dagster clean venv screenshots

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locked tree first (hash-checked, no resolution), then the project itself on top of it.
$(VENV)/.installed: pyproject.toml $(LOCKED) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCKED)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . \
		--config-settings editable_mode=compat
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/edin run data/sample --home $(HOME_DIR)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

# The review app's browser tests (headless Debian chromium), screenshots kept for docs/REVIEW.md
screenshots: $(VENV)/.installed
	EDIN_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/review/test_browser.py

lint: $(VENV)/.installed lock-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# uv.lock resolves pyproject.toml for Python 3.11 (all extras together); requirements/*.txt are
# its exports for pip: run (the product), dev (+ tests and lint), bench (+ the systems compared).
EXPORT = $(BIN)/uv export --frozen --no-emit-project --group build --format requirements-txt \
	--python 3.11 --quiet --no-header
lock: $(VENV)/.installed
	$(BIN)/uv lock --python 3.11
	$(EXPORT) -o requirements/run.txt
	$(EXPORT) --extra dev --extra spark -o requirements/dev.txt
	$(EXPORT) --extra dev --extra spark --extra bench -o requirements/bench.txt

# Fails when pyproject.toml and the lock (or its exports) disagree: run `make lock` and commit.
lock-check: $(VENV)/.installed
	$(BIN)/uv lock --check --python 3.11
	@for x in "run:" "dev:--extra dev --extra spark" "bench:--extra dev --extra spark --extra bench"; do \
		name=$${x%%:*}; extras=$${x#*:}; \
		$(EXPORT) $$extras | diff -q - requirements/$$name.txt >/dev/null \
		|| { echo "requirements/$$name.txt is not the export of uv.lock: run make lock"; exit 1; }; \
	done

# The Dagster UI on http://127.0.0.1:3000 (inputs and home from EDIN_* variables, see README)
dagster: $(VENV)/.installed
	$(BIN)/dg dev --host 127.0.0.1 --port 3000

clean:
	rm -rf $(HOME_DIR) .tmp_dagster_home_* .pytest_cache
