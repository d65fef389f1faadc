# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
N      ?= 100000

.PHONY: install run serve migrate seed test lint format bench bench-smoke messages clean-db help

help:
	@echo "make run    - set up, load the sample replies and serve on http://$(HOST):$(PORT)/"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff check + format check"
	@echo "make bench  - benchmark at N replies (default $(N)); see docs/benchmarks.md"

# Idempotent: re-installs only when pyproject.toml changed since the last install.
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Loads the sample replies; re-running reports them unchanged.
seed: migrate
	$(BIN)/python manage.py ingest fixtures/replies --quiet

run: seed
	@echo ""
	@echo "  答复档案库 is starting on http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/"
	@echo "  Create a login: $(BIN)/python manage.py createsuperuser"
	@echo "  (or a clerk: $(BIN)/python manage.py createclerk NAME)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore '.venv/*' --ignore 'benchmarks/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

# The benchmark (docs/benchmarks.md). tantivy is an optional BM25 reference, not an app
# dependency; wrk drives the HTTP test when installed (apt-get install wrk), else Python threads.
bench: install
	@$(BIN)/python -c "import tantivy" 2>/dev/null || $(BIN)/python -m pip install --quiet tantivy || true
	$(BIN)/python benchmarks/run.py --n $(N) $(if $(KEEP),--keep,)

bench-smoke: install
	$(BIN)/python benchmarks/run.py --n 2000 --smoke
