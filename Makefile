# Two commands for a fresh machine:  `make demo`  and  `make test`  (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PROVINCE ?= 330000
DEMO_PERSONS ?= 5000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve install test check lint typecheck contracts pytest browser-deps pdf-deps bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "renshe needs Python 3.11+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Install, seed a demo province on SQLite (var/renshe.db) and serve it at http://127.0.0.1:8000
demo: $(STAMP) pdf-deps
	RENSHE_DEMO_MODE=1 RENSHE_PROVINCE_CODE=$(DEMO_PROVINCE) $(BIN)/renshe demo seed --persons $(DEMO_PERSONS) --province $(DEMO_PROVINCE) --if-empty
	RENSHE_DEMO_MODE=1 RENSHE_PROVINCE_CODE=$(DEMO_PROVINCE) $(BIN)/renshe serve --host $(HOST) --port $(PORT)

## The whole test suite: lint, types, layer contracts, then pytest (browser tests included)
test: check pytest

check: lint typecheck contracts

lint: $(STAMP)
	$(BIN)/ruff check renshe tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) browser-deps pdf-deps
	$(BIN)/pytest

## Debian's Chromium for the browser tests (never a downloaded browser build)
browser-deps:
	@scripts/ensure-chromium

## A TrueType CJK font for certificate PDFs and poppler-utils for their tests (Debian packages)
pdf-deps:
	@scripts/ensure-pdf-tools

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
