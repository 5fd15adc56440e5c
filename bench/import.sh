#!/usr/bin/env bash
# Import throughput of `planwatch import` against the reference loaders of each backend:
#   SQLite:     sqlite3's `.import` of the same CSV into a plain table (goal: at least as fast)
#   PostgreSQL: psql's own COPY of the rows planwatch stored into the same keyed table, the
#               primary key built after it (goal: at least as fast). psql's `\copy` of the CSV
#               into a plain table without a key is printed too, for reference only: no loader
#               into a keyed table can meet it.
# on the synthetic national data set of `planwatch synth` (default 3 000 counties × 50
# indicators × 120 months ≈ 18 M rows). Prints rows/s and peak memory (goal: under 500 MiB).
#
# Usage: bench/import.sh [COUNTIES [INDICATORS [MONTHS]]]
#   PLANWATCH_BENCH_PG  PostgreSQL server URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   PLANWATCH_BENCH_DIR where to put the data (default a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
counties=${1:-3000}
indicators=${2:-50}
months=${3:-120}
pg=${PLANWATCH_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
dir=${PLANWATCH_BENCH_DIR:-$(mktemp -d)}
measure="python3 bench/measure.py"

cargo build --release --locked -q -p planwatch-cli
planwatch=target/release/planwatch

echo "== generating $counties counties × $indicators indicators × $months months in $dir"
$planwatch synth --regions "$counties" --indicators "$indicators" --months "$months" --out "$dir" >/dev/null
csv=$dir/observations.csv
rows=$(($(wc -l <"$csv") - 1))
echo "   $rows rows, $(du -m "$csv" | cut -f1) MiB"

run() { # label command… → prints "label seconds MiB rows/s"
  local label=$1; shift
  # Each run starts with nothing left to write from the one before (the kernel's dirty pages,
  # PostgreSQL's buffers): otherwise that writing is charged to whichever runs next.
  # On PostgreSQL, the autovacuum a large load sets off (the reference table's 18 M rows, the
  # observations planwatch stored) would otherwise run beside the next loader: vacuum first.
  sync
  if [[ -n ${checkpoint:-} ]]; then
    psql "$checkpoint" -qc "VACUUM (ANALYZE)"
    psql "$checkpoint" -qc CHECKPOINT
  fi
  local figures
  figures=$($measure "$@" 2>&1 >/dev/null | tail -n1)
  local seconds=${figures% *} mib=${figures#* }
  printf '%-34s %8.2f s %10.0f rows/s %8.1f MiB\n' "$label" "$seconds" "$(echo "$rows / $seconds" | bc -l)" "$mib"
  echo "$seconds" >"$dir/$label.seconds"
}

echo "== SQLite"
rm -f "$dir"/reference.db "$dir"/planwatch.db*
run sqlite3-import sqlite3 "$dir/reference.db" ".import --csv $csv observations"
$planwatch --db "$dir/planwatch.db" init --plan "$dir/plan.toml" >/dev/null
run planwatch-import-sqlite $planwatch --db "$dir/planwatch.db" import "$csv"
run planwatch-reimport-sqlite $planwatch --db "$dir/planwatch.db" import "$csv"

echo "== PostgreSQL"
# Each loader gets a database of its own, the one before dropped: a load run beside (or just
# after) another 18 M-row table in the same database was measured 40-60 % slower, whichever it was.
server=${pg%/*}
export PGOPTIONS="-c client_min_messages=warning" # no notices for databases not there to drop
fresh_database() { # name → makes it (dropping any left over) and prints its URL
  psql "$pg" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -qc "CREATE DATABASE $1"
  echo "$server/$1"
}
drop_database() { psql "$pg" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }
trap 'for d in pw ref; do drop_database planwatch_bench_${d}_$$ >/dev/null 2>&1; done' EXIT

target=$(fresh_database planwatch_bench_pw_$$)
$planwatch --db "$target" init --plan "$dir/plan.toml" >/dev/null
checkpoint=$target
run planwatch-import-postgres $planwatch --db "$target" import "$csv"
# The floor for any loader into observations' shape: psql's COPY of the rows planwatch stored,
# already converted (binary, nothing to parse or check), into a keyless copy of the table, then
# the primary key built, as planwatch does on a first load.
columns="plan_id, indicator_id, region_id, period, revision, value, status, source, note, flags, batch_id, source_row"
psql "$target" -qc "\\copy (SELECT $columns FROM observations) TO '$dir/observations.bin' WITH (FORMAT binary)"
psql "$target" -qc "CREATE TABLE keyed (LIKE observations INCLUDING DEFAULTS)" -qc "DROP TABLE observations CASCADE"
run psql-copy-then-key psql "$target" -q -c "BEGIN" \
  -c "\\copy keyed ($columns) FROM '$dir/observations.bin' WITH (FORMAT binary)" \
  -c "ALTER TABLE keyed ADD PRIMARY KEY (plan_id, indicator_id, region_id, period, revision)" -c "COMMIT"
rm -f "$dir/observations.bin"
drop_database planwatch_bench_pw_$$

reference=$(fresh_database planwatch_bench_ref_$$)
psql "$reference" -qc "CREATE TABLE reference (indicator text, region text, period text, value double precision, unit text, status text, source text, note text)"
checkpoint=$reference
run psql-copy psql "$reference" -qc "\\copy reference FROM '$csv' WITH (FORMAT csv, HEADER true)"
drop_database planwatch_bench_ref_$$

ratio() { echo "scale=2; $(cat "$dir/$2.seconds") / $(cat "$dir/$1.seconds")" | bc -l; }
echo "== relative speed (goal): SQLite $(ratio planwatch-import-sqlite sqlite3-import)× of sqlite3 .import (≥ 1.0),"\
" PostgreSQL $(ratio planwatch-import-postgres psql-copy-then-key)× of psql's copy-then-key into the keyed table (≥ 1.0;"\
" for reference, $(ratio planwatch-import-postgres psql-copy)× of psql \\copy into a keyless table)"
