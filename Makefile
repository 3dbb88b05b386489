# povexit: every target installs what it needs first, so a fresh machine runs any of them.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif
RUN := $(UV) run --frozen

BATCH ?= guizhou-2020
BENCH_DIR ?= .bench

.PHONY: help install run test test-fast bench bench-national bench-scales ui lint format generate generate-history clean

help:
	@echo "make run    - install, materialise every batch under data/raw (the five rounds of Guizhou), print the verdicts and $(BATCH)'s findings with the history"
	@echo "make test   - the whole test suite"
	@echo "make test-fast - the suite without the slow end-to-end runs (under 90 s)"
	@echo "make bench  - povexit run at scale 1 vs a bare DuckDB read: median of 3, Dagster steps (slow)"
	@echo "make bench-national - one run at scale 10: wall, peak memory, working database vs input (slow)"
	@echo "make bench-scales - one run each at scales 1, 3 and 10: does peak memory grow (slow)"
	@echo "make ui     - the Dagster UI on http://127.0.0.1:3000"
	@echo "make lint   - ruff check and format check"

# Bytecode is compiled at install: where Python may not write __pycache__ (PYTHONDONTWRITEBYTECODE),
# every command would otherwise compile dagster, pandas and sqlalchemy from source (about 4 s).
.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: .venv/.installed

# Every batch under data/raw: the five rounds guizhou-2016 .. guizhou-2020, then the last
# round's findings, whose history reads all five.
run: install
	$(RUN) povexit run
	$(RUN) povexit report --batch $(BATCH)

test: install
	$(RUN) pytest -n 2 --dist loadfile

test-fast: install
	$(RUN) pytest -n 2 --dist loadfile -m "not slow"

# Batches are generated once per scale and seed into $(BENCH_DIR) (not tracked) and reused;
# BENCH_ARGS passes more options, e.g. make bench BENCH_ARGS="--scale 0.01".
bench: install
	$(RUN) python -m pipeline.bench --dir $(BENCH_DIR) $(BENCH_ARGS)

bench-national: install
	$(RUN) python -m pipeline.bench --dir $(BENCH_DIR) --national $(BENCH_ARGS)

bench-scales: install
	$(RUN) python -m pipeline.bench --dir $(BENCH_DIR) --scales 1,3,10 $(BENCH_ARGS)

# The instance settings follow deploy/dagster.yaml whenever it changes (run limits included).
.dagster_home/dagster.yaml: deploy/dagster.yaml
	mkdir -p .dagster_home
	cp deploy/dagster.yaml $@

ui: install .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(RUN) dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

generate: install
	$(RUN) povexit generate --batch $(BATCH) --scale 0.0071 --seed 2020 --out data/raw

# The five rounds guizhou-2016 .. guizhou-2020 of one synthetic province; its guizhou-2020 is the
# `generate` target's batch, byte for byte.
generate-history: install
	$(RUN) povexit generate --history --scale 0.0071 --seed 2020 --out data/raw

clean:
	rm -rf .venv .bench data/marts/*.duckdb data/marts/_work
