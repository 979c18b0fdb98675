# Tandem — the quick start is `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run worker test test-postgres lint lock bench-matching bench-match-run bench-pages bench-workspace bench-import clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tandem needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Demo mode: SQLite under var/, demo data loaded, emails printed to this terminal by a worker
# that runs beside the web server (both stop with Ctrl-C).
run: install
	TANDEM_DEMO=1 $(PY) manage.py migrate --no-input
	TANDEM_DEMO=1 $(PY) manage.py load_demo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C stops the server and the worker)"
	TANDEM_DEMO=1 $(PY) manage.py run_demo --port $(PORT)

worker: install
	$(PY) manage.py db_worker

test: install
	$(PY) -m pytest -n 2 --dist loadgroup -q

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tandem} $(PY) -m pytest -n 2 --dist loadgroup -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --strip-extras --allow-unsafe requirements/base.in requirements/dev.in -o requirements.lock

bench-matching: install
	$(PY) bench/matching.py

bench-match-run: install
	$(PY) bench/match_run.py

bench-pages: install
	$(PY) bench/pages.py

bench-workspace: install
	$(PY) bench/workspace.py

bench-import: install
	$(PY) bench/import_csv.py
	$(PY) bench/import_csv.py --database-url postgres://postgres@127.0.0.1:5432/tandem_bench_import

clean:
	rm -rf var/tandem.sqlite3* var/static
