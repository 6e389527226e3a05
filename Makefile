# e-KTP outreach coverage pipeline. `make help` lists the targets.
SHELL := bash
export UV_PYTHON_DOWNLOADS := never
# This machine sets PYTHONDONTWRITEBYTECODE, so bytecode is compiled at install time instead.
export UV_COMPILE_BYTECODE := 1
UV := $(shell command -v uv 2>/dev/null || echo .venv-tools/bin/uv)

.PHONY: help venv sample test lint lock-check bench clean messages

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(UV):
	python3.11 -m venv .venv-tools && .venv-tools/bin/pip install -q 'uv==0.13.9'

venv: $(UV)  ## create .venv from uv.lock (exactly, no drift), with every dependency group
	$(UV) sync --frozen --all-groups --python python3.11

sample: venv  ## generate sample data, run the DAG for each date on embedded SQLite, print coverage
	bash scripts/run-sample.sh

lock-check: $(UV)  ## fail if uv.lock no longer matches pyproject.toml
	$(UV) lock --check

lint: venv  ## ruff, the layers' import contracts (import-linter), dead code (vulture)
	.venv/bin/ruff check .
	PYTHONPATH=plugins .venv/bin/lint-imports
	.venv/bin/vulture plugins dags tools/vulture_whitelist.py

test: venv lock-check lint  ## the whole test suite (needs PostgreSQL on 127.0.0.1:5432)
	.venv/bin/pytest

bench: venv  ## national-scale benchmark against the COPY/SQL floor (BENCHMARKS.md); BENCH_ARGS=--card-events adds them
	bash scripts/benchmark.sh --repeat 3 $(BENCH_ARGS)

clean:  ## remove local run state (var/)
	rm -rf var

messages: venv  ## extract the report's and lists' texts into the catalogue (then translate plugins/ektp/core/locale/id/...)
	.venv/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o var/ektp.pot .
	.venv/bin/pybabel update -i var/ektp.pot -d plugins/ektp/core/locale -D ektp -l id --no-fuzzy-matching \
	  --ignore-obsolete --width 120
