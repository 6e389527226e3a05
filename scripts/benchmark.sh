#!/usr/bin/env bash
# `make bench`: the national-scale benchmark (BENCHMARKS.md). Generates a landing area under /tmp,
# runs the real DAG against fresh PostgreSQL databases and the COPY/SQL floor on the same files,
# prints the figures, and removes what it created. Arguments go to `python -m tools.benchmark`:
#   bash scripts/benchmark.sh --residents 2000 --recordings 500 --files 5          # a smoke size
#   bash scripts/benchmark.sh --sizes 540000:25000:100,5400000:250000:1000,5400000:1000000:4000  # scaling
#   bash scripts/benchmark.sh --repeat 3   # best of three runs of each stage and floor (`make bench`)
#   bash scripts/benchmark.sh --repeat 3 --card-events   # the night also holds 250,000 card events
# Niced: the machine is shared. EKTP_BENCH_PG_URL picks the PostgreSQL server (default 127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
# tools/ (the benchmark, a dev tool) from the checkout root, ektp from plugins/.
export PYTHONPATH="$PWD:$PWD/plugins${PYTHONPATH:+:$PYTHONPATH}"
exec nice -n "${EKTP_BENCH_NICE:-10}" .venv/bin/python -m tools.benchmark "$@"
