# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-fast bench translations compile-translations lint check-workflow clean \
	system-packages-runtime system-packages-test

# The Debian packages of packages/debian.txt: installed when missing (as root), or named in one
# apt-get line to run (otherwise).
system-packages-runtime:
	@scripts/system-packages runtime

system-packages-test:
	@scripts/system-packages runtime test

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
PYTEST_WORKERS ?= auto
test: system-packages-test $(VENV)/.dev-installed compile-translations
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## The inner loop: SQLite only, no browser, no real server processes; in parallel.
test-fast: system-packages-runtime $(VENV)/.dev-installed compile-translations
	TADAFUR_TEST_DATABASE_URL= $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not slow" $(PYTEST_ARGS)

$(VENV)/.bench-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

## Seed PostgreSQL at scale (DROPS $$TADAFUR_BENCH_DATABASE_URL), load it through gunicorn,
## write benchmarks/report.json and benchmarks/REPORT.md. See benchmarks/seed.py and load.py.
bench: $(VENV)/.bench-installed compile-translations
	$(BIN)/python benchmarks/seed.py
	$(BIN)/python benchmarks/load.py $(BENCH_ARGS)

## Extract the strings, update the ar/fr/en catalogs, compile them.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/catalogs.py fill-english
	$(BIN)/pybabel compile -d translations
	$(BIN)/python scripts/catalogs.py check

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results
