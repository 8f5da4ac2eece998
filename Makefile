# Fresh machine: `make test` installs what is missing and runs every test; `make serve` runs the backend.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INTEROP := tests/interop

.PHONY: install system-packages python-packages node-packages postgres serve test lint format clean

install: system-packages python-packages node-packages

system-packages:
	@bash scripts/system-packages.sh

python-packages: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

node-packages: $(INTEROP)/node_modules/.installed

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error
	@touch $@

serve: install
	$(BIN)/python -m backend

test: install
	KERNIA_TEST_POSTGRES_URL="$$(bash scripts/postgres.sh)" $(BIN)/python -m pytest

lint: python-packages
	$(BIN)/ruff check backend tests
	$(BIN)/ruff format --check backend tests

format: python-packages
	$(BIN)/ruff check --fix backend tests
	$(BIN)/ruff format backend tests

clean:
	rm -rf $(VENV) $(INTEROP)/node_modules .pytest_cache .ruff_cache
