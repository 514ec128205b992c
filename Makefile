# Two entry points (README): `make run` serves the console with demo data; `make test` installs and runs every test.
VENV := .venv
PY := $(VENV)/bin/python
CONSOLE := $(VENV)/bin/partner-console
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export CONSOLE_DATABASE_URL ?= sqlite:///$(CURDIR)/var/console.sqlite3

.PHONY: run install catalogs system-deps lint format test test-unit test-e2e test-postgres messages bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed catalogs

catalogs: $(VENV)/.installed
	$(PY) tools/catalogs.py compile

# Demo mode (SPEC.md §11): the development key, the sandbox gateway and a banner on every page.
run: export CONSOLE_DEMO = 1
run: install system-deps
	$(CONSOLE) migrate
	$(CONSOLE) demo
	@echo "Open http://127.0.0.1:8000/ and sign in with a demo login above."
	$(CONSOLE) serve --host 127.0.0.1 --port 8000

# Debian's packages, installed when missing: Chromium for the end-to-end tests, a CJK font so Chinese renders in
# screenshots and PDFs, and Pango (with HarfBuzz's subsetter) that WeasyPrint lays out receipts and contracts with.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system-deps:
	@if ! command -v dpkg-query >/dev/null; then \
		echo "system-deps: not a Debian system; install these yourself: $(SYSTEM_PACKAGES)"; exit 0; \
	fi; \
	missing=$$(for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "system-deps: installing" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# The unit suite runs twice: on SQLite (the default) and on a throwaway PostgreSQL server.
PG_DIR := /tmp/partner-console-pg-test
PG_PORT ?= $(shell python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The formatter, the linter and the type checker; `make test` runs this first, so CI checks it.
lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Each suite runs in PYTEST_WORKERS pytest-xdist processes (one per core; `PYTEST_WORKERS=0` runs one process).
# The unit suite goes a file at a time to a worker (test_packaging builds its wheel once per module); end-to-end
# tests go one at a time, each worker with its own browser, session server and ports; on PostgreSQL each worker
# has its own database (tests/unit/conftest.py).
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist $(1))

test: lint system-deps
	$(PY) tools/catalogs.py check
	$(MAKE) --no-print-directory test-unit test-postgres test-e2e

test-postgres: install
	@url=$$(tools/pg_test_server.sh start $(PG_DIR) $(PG_PORT)) && \
	trap 'tools/pg_test_server.sh stop $(PG_DIR)' EXIT && \
	echo "unit tests on $$url" && \
	CONSOLE_TEST_PG_URL=$$url $(PY) -m pytest tests/unit -q -m db $(call XDIST,loadfile)

test-unit: install
	$(PY) -m pytest tests/unit -q $(call XDIST,loadfile)

test-e2e: install system-deps
	$(PY) -m pytest tests/e2e -q $(call XDIST,load)

# After changing user-facing text: refresh both catalogs, then fill the English ones.
messages: $(VENV)/.installed
	$(PY) tools/catalogs.py update
	$(PY) tools/catalogs.py check || true

# The benchmark of issue 16 (bench/run.py): the console against a bare Litestar route, with Debian's wrk.
bench: install
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py
