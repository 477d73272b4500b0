# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-fast bench translations compile-translations lint check-workflow clean \
	system-packages-runtime system-packages-test

# The Debian packages the project needs: this is the one list (README, "A new machine"; .ci/run
# installs through `make system-packages-test`). `make run` and `make test` check it first: as
# root they install what is missing, otherwise they stop with the apt-get line to run.
# runtime: WeasyPrint renders the PDFs with Pango and HarfBuzz; without libharfbuzz-subset0 it
# warns at import (an error under pytest) and embeds whole fonts.
DEBIAN_RUNTIME := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# test: the browser tests drive Chromium's headless shell (the same Blink without the browser
# around it: a quarter less CPU for the browser tests than the full `chromium`); PDF tests read
# pages with pdftotext and pdftoppm; msgfmt checks the catalogs; psql, pg_isready and pg_dump
# (backup tests) for PostgreSQL 15 (Debian 12's client is 15).
DEBIAN_TEST := chromium-headless-shell poppler-utils gettext postgresql-client

system-packages-runtime:
	@scripts/system-packages $(DEBIAN_RUNTIME)

system-packages-test:
	@scripts/system-packages $(DEBIAN_RUNTIME) $(DEBIAN_TEST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

compile-translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

## Create the venv, install, migrate and seed instance/tadafur.sqlite3, serve on 127.0.0.1:5000.
run: system-packages-runtime $(VENV)/.installed compile-translations
	$(FLASK) db upgrade
	$(FLASK) seal init
	$(FLASK) seed
	@$(FLASK) demo-accounts
	@echo "Serving on http://$(HOST):$(PORT)/"
	$(FLASK) run --host $(HOST) --port $(PORT)

## Install the dev dependencies, compile the catalogs, run the whole suite (both databases when
## TADAFUR_TEST_DATABASE_URL is set), spread over the machine's cores by pytest-xdist.
## Three workers per two cores: the tests wait on PostgreSQL, Chromium and their live servers,
## which leaves a core idle at one worker per core (2 cores: 531 s with 2 workers, 459 s with 3,
## 507 s with 4).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 3 / 2 )))
## The tests marked `alone` run first, by themselves: they time the audit trail at the programme's
## scale and drive real app servers through a database crash, which a neighbouring worker would
## distort. pytest's exit 5 there only means that PYTEST_ARGS selected none of them.
test: system-packages-test $(VENV)/.dev-installed compile-translations
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -p no:xdist -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not alone" --durations=25 $(PYTEST_ARGS)

## The inner loop: SQLite only, no browser, no real server processes; in parallel.
test-fast: system-packages-runtime $(VENV)/.dev-installed compile-translations
	TADAFUR_TEST_DATABASE_URL= $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not slow" $(PYTEST_ARGS)

$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

## Seed PostgreSQL at scale (DROPS $$TADAFUR_BENCH_DATABASE_URL), load it through gunicorn with
## Locust, then time the public showcase one user at a time (benchmarks/showcase.py, called by
## load.py), write benchmarks/report.json and benchmarks/REPORT.md. See benchmarks/seed.py and
## load.py. A quick development run:
##   make bench BENCH_SEED_ARGS="--scale 0.1" BENCH_ARGS="--seconds 20 --solo-seconds 5 --step-seconds 15"
bench: $(VENV)/.bench-installed compile-translations
	$(BIN)/python benchmarks/seed.py $(BENCH_SEED_ARGS)
	$(BIN)/python benchmarks/load.py $(BENCH_ARGS)

## Extract the strings, update the ar/fr/en catalogs, compile them.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k phrase --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/catalogs.py fill-english
	$(BIN)/pybabel compile -d translations
	$(BIN)/python scripts/catalogs.py check

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results
