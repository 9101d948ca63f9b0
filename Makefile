# Quick start: `make run` serves the demo on http://127.0.0.1:5000 ; `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, load the Shandong demo if the database is empty, serve the app
run: install
	$(BIN)/flask --app wsgi seed-demo --if-empty
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite; set TEST_DATABASE_URL=postgresql://... for PostgreSQL)
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m bench.match_scale

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
