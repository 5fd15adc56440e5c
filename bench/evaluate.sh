#!/usr/bin/env bash
# Evaluation throughput of planwatch-eval against Polars on the same synthetic panel
# (default 1 000 000 series × 10 years): each tool reads the file untimed, then the evaluation
# step is timed — completion, distance covered, time elapsed, actual and required growth,
# projection, growth ratio, milestone gap and status for a level target. Goal: planwatch at
# least as fast as Polars on this machine's cores. Needs `pip install polars numpy`.
#
# Usage: bench/evaluate.sh [SERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-1000000}
dir=${PLANWATCH_BENCH_DIR:-$(mktemp -d)}
csv=$dir/panel.csv
echo "== generating $series series × 10 years in $csv"
python3 bench/evaluate_polars.py generate "$csv" "$series"
cargo build --release --locked -q -p planwatch-eval --example panel_bench
target/release/examples/panel_bench "$csv"
python3 bench/evaluate_polars.py evaluate "$csv"
