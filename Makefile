# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test bench translations compile-translations lint check-workflow clean

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
run: $(VENV)/.installed compile-translations
	$(FLASK) db upgrade
	$(FLASK) seal init
	$(FLASK) seed
	@$(FLASK) demo-accounts
	@echo "Serving on http://$(HOST):$(PORT)/"
	$(FLASK) run --host $(HOST) --port $(PORT)

## Install the dev dependencies, compile the catalogs, run the whole suite.
test: $(VENV)/.dev-installed compile-translations
	$(BIN)/pytest $(PYTEST_ARGS)

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
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k phrase --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/catalogs.py fill-english
	$(BIN)/pybabel compile -d translations
	$(BIN)/python scripts/catalogs.py check

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results
