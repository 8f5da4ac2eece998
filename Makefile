# Fresh machine: `make test` installs what is missing and runs every test; `make serve` runs the backend.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Node packages of the test fixtures: the Better Auth JS client and the OpenID provider.
NODE_FIXTURES := tests/interop tests/oidc_provider

.PHONY: install system-packages python-packages node-packages serve test lint format clean

install: system-packages python-packages node-packages

system-packages:
	@bash scripts/system-packages.sh

python-packages: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

node-packages: $(addsuffix /node_modules/.installed,$(NODE_FIXTURES))

%/node_modules/.installed: %/package.json %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund --loglevel=error
	@touch $@

serve: install
	$(BIN)/python -m backend

test: install
	KERNIA_TEST_POSTGRES_URL="$$(bash scripts/postgres.sh)" $(BIN)/python -m pytest

lint: python-packages
	$(BIN)/ruff check backend desktop tests
	$(BIN)/ruff format --check backend desktop tests

format: python-packages
	$(BIN)/ruff check --fix backend desktop tests
	$(BIN)/ruff format backend desktop tests

clean:
	rm -rf $(VENV) $(addsuffix /node_modules,$(NODE_FIXTURES)) .pytest_cache .ruff_cache
