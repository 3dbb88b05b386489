# povexit: every target installs what it needs first, so a fresh machine runs any of them.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif
RUN := $(UV) run --frozen

BATCH ?= guizhou-2020
BENCH_DIR ?= .bench

.PHONY: help install run test test-fast bench ui lint format generate clean

help:
	@echo "make run    - install, materialise data/raw/$(BATCH), print the verdicts"
	@echo "make test   - the whole test suite"
	@echo "make test-fast - the suite without the slow end-to-end runs (under 90 s)"
	@echo "make bench  - full-scale generator and pipeline timings (slow)"
	@echo "make ui     - the Dagster UI on http://127.0.0.1:3000"
	@echo "make lint   - ruff check and format check"

.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed

run: install
	$(RUN) povexit run --batch $(BATCH)

test: install
	$(RUN) pytest

test-fast: install
	$(RUN) pytest -m "not slow"

bench: install
	$(RUN) python -m pipeline.bench --dir $(BENCH_DIR)

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

clean:
	rm -rf .venv .bench data/marts/*.duckdb data/marts/_work
