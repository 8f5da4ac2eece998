# Fresh machine: `make test` installs what is missing and runs every test; `make serve` runs the notes example's
# server; `make run` runs the notes app; `make bench` measures the servers and the app; `make package` builds the
# desktop app for one production server (KERNIA_DESKTOP_SERVER_URL) as a folder and a tarball in dist/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Node packages of the test fixtures: the Better Auth JS client and the OpenID provider.
NODE_FIXTURES := tests/interop tests/oidc_provider tests/better_auth_stock

.PHONY: install system-packages python-packages node-packages constraints serve run test e2e bench package lint format clean

install: system-packages python-packages node-packages

system-packages:
	@bash scripts/system-packages.sh

python-packages: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# After a change of pyproject.toml's dependencies: the newest versions its ranges allow, pinned in constraints.txt.
constraints:
	rm -rf .constraints-venv && $(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .constraints-venv/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .constraints-venv

node-packages: $(addsuffix /node_modules/.installed,$(NODE_FIXTURES))

%/node_modules/.installed: %/package.json %/package-lock.json
	npm ci --prefix $* --no-audit --no-fund --loglevel=error
	@touch $@

# Better Auth, the bench's peer; only `make bench` needs it. better-sqlite3's prebuilt addon cannot be downloaded
# here, so it compiles from source against the headers installed with Node itself (node-gyp would fetch them).
BENCH_PEER := bench/better_auth/node_modules/.installed
$(BENCH_PEER): export npm_config_nodedir := $(abspath $(dir $(shell command -v node))..)

serve: install
	$(BIN)/python -m kernia_desktop_server --app examples.notes.server:create_app

# Without a display (DISPLAY unset) the app runs on Xvfb and saves a screenshot of its window; it prints both.
run: install
	$(BIN)/python -m examples.notes --xvfb-if-no-display

# Every test: tests/ and the end-to-end suite e2e/ (pyproject's testpaths).
test: install
	url="$$(bash scripts/postgres.sh)" && KERNIA_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest

# The end-to-end suite alone: Playwright drives the real app on Xvfb, a real OpenID provider and a real keyring;
# screenshots and logs of failures, and the timings it saw, go to test-artifacts/.
e2e: install
	url="$$(bash scripts/postgres.sh)" && KERNIA_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest e2e

# Prints the table and writes bench-results/results.json and results.md (README, Performance); about 5 minutes.
bench: install $(BENCH_PEER)
	url="$$(bash scripts/postgres.sh)" && KERNIA_BENCH_POSTGRES_URL="$$url" $(BIN)/python -m bench

# A packaged build of the DesktopApp APP (module:attribute): PyInstaller, QtWebEngine included, remote mode only,
# scanned for secrets (README, Packaged build). Needs KERNIA_DESKTOP_SERVER_URL unless the app names its server;
# KERNIA_DESKTOP_CHANNEL and KERNIA_DESKTOP_CALLBACK_URL are optional.
APP ?= examples.notes.app:app
package: system-packages python-packages
	$(BIN)/python -m release.build --app $(APP)

LINTED := backend desktop examples tests e2e bench release

# ruff everywhere; mypy (strict) on the two packages and the examples written against them.
lint: python-packages
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

format: python-packages
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

clean:
	rm -rf $(VENV) $(addsuffix /node_modules,$(NODE_FIXTURES) bench/better_auth) .pytest_cache .ruff_cache
