# Dapur: `make run` to try it, `make test` to prove it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
export DATABASE_URL ?= sqlite:///./dapur.db

.PHONY: run test test-sqlite test-postgres lint typecheck migrate demo bench bench-smoke wrk clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

demo: migrate
	$(BIN)/python -m app seed-demo

run: demo
	@echo "Serving on http://localhost:$(PORT) (API docs: http://localhost:$(PORT)/docs)"
	$(BIN)/uvicorn app.main:app --host 0.0.0.0 --port $(PORT)

# The whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
test: $(STAMP)
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	@echo "== SQLite"
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -n 2 -p no:cacheprovider
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL" && \
		$(BIN)/pytest -q -n 2 -p no:cacheprovider; \
	else echo "== PostgreSQL skipped: TEST_DATABASE_URL is not set"; fi

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
