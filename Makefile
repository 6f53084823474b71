# Dapur: `make run` to try it, `make test` to prove it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
export DATABASE_URL ?= sqlite:///./dapur.db
# The PostgreSQL server `make test-postgres` uses (the suite creates and drops its own
# databases next to the one named); `make test` adds it only when TEST_DATABASE_URL is set.
PG_TEST_URL = $(or $(TEST_DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/test)
PYTEST = $(BIN)/pytest -q -n 2 -p no:cacheprovider

.PHONY: install lock run test test-sqlite test-postgres lint typecheck migrate demo bench \
	bench-smoke wrk clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

# The development venv, from pyproject.toml (the Docker image installs from requirements.lock).
install: $(STAMP)
	@echo "$(VENV) is ready: $$($(BIN)/python --version), dapur and its dev tools installed"

# Pin every runtime dependency, with hashes, for the Docker image. Keeps the current pins that
# pyproject.toml still allows; `make lock UPGRADE=1` moves them all to the newest releases.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --universal \
		--python-version 3.11 --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
		-o requirements.lock

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

demo: migrate
	$(BIN)/python -m app seed-demo

run: demo
	@echo "Serving on http://localhost:$(PORT) (API docs: http://localhost:$(PORT)/docs)"
	$(BIN)/uvicorn app.main:app --host 0.0.0.0 --port $(PORT)

# Lint, type checks, the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
test: lint typecheck test-sqlite
	@if [ -n "$(TEST_DATABASE_URL)" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "== PostgreSQL skipped: TEST_DATABASE_URL is not set"; fi

# The whole suite on SQLite.
test-sqlite: $(STAMP)
	@echo "== SQLite"
	env -u TEST_DATABASE_URL $(PYTEST)

# The whole suite on PostgreSQL at TEST_DATABASE_URL (default: the local server's `test`).
test-postgres: $(STAMP)
	@$(BIN)/python -m tests.ops.pg_ready "$(PG_TEST_URL)"
	TEST_DATABASE_URL="$(PG_TEST_URL)" $(PYTEST)

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# National-scale benchmarks on PostgreSQL (docs/performance.md). The database comes from
# BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/dapur_bench); the
# nation is generated into it once. bench-smoke: the small nation, a few seconds each.
bench: $(STAMP) wrk
	$(BIN)/python -m bench.run --json bench/results.json

bench-smoke: $(STAMP) wrk
	$(BIN)/python -m bench.run --smoke

wrk:
	@command -v wrk >/dev/null 2>&1 || { echo "wrk (the load generator) is missing: installing it with apt-get"; \
		apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

clean:
	rm -rf $(VENV) dapur.db dapur.db-wal dapur.db-shm .pytest_cache .mypy_cache .ruff_cache
