#!/usr/bin/env bash
# The reporting workflow with a 5 000-row district submission, on the Chengdu plan and its sample
# data (SQLite; PostgreSQL too when PLANWATCH_BENCH_PG is set):
#   (a) validating and staging it: POST /api/submissions (time to 201, median of ROUNDS) and
#       `planwatch submissions create` (the whole command)       goal: under 1 s each
#   (b) its changes view: GET /api/submissions/{id}, median of N  goal: under 200 ms
#   (c) approving it: POST /api/submissions/{id}/approve against `planwatch import` of the same
#       file into an equal store (a copy made before any submission)   goal: at most 1.5×
# Prints each figure with PASS/FAIL.
#
# The submission: 锦江区 (510104) reports every indicator of the plan that takes numbers (38)
# for 2018–2025 as years, quarters and months (8 + 32 + 96 = 136 periods each: 5 168 distinct
# keys), the first 5 000 rows in that order — a district holds only 38 × 10 yearly keys, so
# months and quarters make up the number. Values are made up but plausible: money grows 6 % a
# year from a level near 锦江区's published ones (a quarter a quarter of the year with a season,
# a month a twelfth), shares stay within their bounds, growth rates near 6 %, counts whole.
# Some keys are published already (the sample data's 2020–2025 figures of 锦江区): those rows
# are revisions, the rest new.
#
# Usage: bench/workflow.sh     (environment, with defaults:)
#   ROWS=5000 N=20 ROUNDS=3
#   PLANWATCH_BENCH_PG   a PostgreSQL server URL (e.g. postgres://postgres@127.0.0.1:5432/postgres):
#                        the same on two fresh databases there, dropped at the end
#   PLANWATCH_BENCH_DIR  where to put the files (default a new temporary directory, removed)
# Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-5000}
n=${N:-20}
rounds=${ROUNDS:-3}
pg=${PLANWATCH_BENCH_PG:-}
if [ -n "${PLANWATCH_BENCH_DIR:-}" ]; then
  dir=$PLANWATCH_BENCH_DIR
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
measure="python3 bench/measure.py"
. bench/server.sh

cargo build --release --locked -q -p planwatch-cli
planwatch=$PWD/target/release/planwatch

echo "== generating a $rows-row submission of 锦江区 (510104) in $dir"
python3 - "$rows" plans/chengdu-services-2021-2025.toml "$dir" <<'PY'
import csv, json, sys, tomllib

rows, plan_path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
plan = tomllib.load(open(plan_path, "rb"))
indicators = [i for i in plan["indicators"] if i["unit"] != "—"]
years = range(2018, 2026)
periods = [(str(y), y, None) for y in years]
periods += [(f"{y}Q{q}", y, ("q", q)) for y in years for q in range(1, 5)]
periods += [(f"{y}-{m:02}", y, ("m", m)) for y in years for m in range(1, 13)]
season = [0.92, 0.98, 1.0, 1.1]

def value(k, indicator, year, sub):
    unit, grown = indicator["unit"], 1.06 ** (year - 2018)
    if unit == "%":
        if indicator.get("bounds"):  # a share of a whole
            return round(35 + k % 20 + 0.4 * (year - 2018) + (0.1 * sub[1] if sub else 0), 2)
        return round(5.5 + 0.1 * (k % 10) + (0.05 * sub[1] if sub else 0), 2)  # a growth rate
    if unit in ("家", "个", "条"):  # a count: a stock, the same in every period of a year
        return float(round((12 + 3 * k) * (1 + 0.05 * (year - 2018))))
    level = (700 + 23 * k) * grown if unit == "亿元" else (20 + k) * grown
    if sub is None:
        return round(level, 2)
    if sub[0] == "q":
        return round(level / 4 * season[sub[1] - 1], 2)
    return round(level / 12 * season[(sub[1] - 1) // 3], 2)

made = []
for k, indicator in enumerate(indicators):
    for text, year, sub in periods:
        made.append({"indicator": indicator["code"], "region": "510104", "period": text,
                     "value": value(k, indicator, year, sub)})
made = made[:rows]
with open(f"{out}/submission.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["indicator", "region", "period", "value"])
    for r in made:
        w.writerow([r["indicator"], r["region"], r["period"], r["value"]])
with open(f"{out}/submission.json", "w") as f:
    json.dump({"unit": "510104", "rows": made}, f)
print(f"   {len(made)} rows of {len(indicators)} indicators × {len(periods)} periods, "
      f"{sum(1 for _ in open(f'{out}/submission.csv')) - 1} in the CSV")
PY

pass() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo PASS; else echo FAIL; fi; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { echo "$1 * 1000" | bc -l; }

bench() { # label store-a store-b: the measurements on one backend
  local label=$1 a=$2 b=$3
  echo "== $label"
  # (The sample data's own warnings are not of interest here.)
  "$planwatch" --db "$a" init --sample-data >/dev/null 2>&1
  "$planwatch" --db "$b" init --sample-data >/dev/null 2>&1
  for user in bench-reporter:reporter:510104 bench-planner:planner:; do
    IFS=: read -r name role unit <<<"$user"
    echo "bench passphrase for workflow.sh" | "$planwatch" --db "$a" user add "$name" --role "$role" \
      ${unit:+--unit "$unit"} --password-stdin >/dev/null 2>&1
  done
  local reporter planner
  reporter=$("$planwatch" --db "$a" token create bench-r --user bench-reporter 2>/dev/null | grep -o 'pwt_[0-9a-f]*')
  planner=$("$planwatch" --db "$a" token create bench-p --user bench-planner 2>/dev/null | grep -o 'pwt_[0-9a-f]*')

  # (a) on the command line: reading, validating and storing the file, the process included.
  local figures cli_create
  figures=$($measure "$planwatch" --db "$a" submissions create --unit 510104 "$dir/submission.csv" 2>&1 >/dev/null | tail -n1)
  cli_create=${figures% *}

  local server base
  start_server "$dir/serve.log" --db "$a"

  # (a) over HTTP: the JSON rows, time to 201 (ROUNDS submissions; the last one is reviewed).
  local times=() id= out code seconds
  for _ in $(seq "$rounds"); do
    out=$(curl -s -o "$dir/created.json" -w '%{http_code} %{time_total}' \
      -H "Authorization: Bearer $reporter" -H 'Content-Type: application/json' \
      --data-binary @"$dir/submission.json" "${base}api/submissions")
    read -r code seconds <<<"$out"
    [ "$code" = 201 ] || { echo "workflow.sh: POST /api/submissions answered $code" >&2; head -c 2000 "$dir/created.json" >&2; kill "$server"; exit 1; }
    times+=("$seconds")
    id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/created.json")
  done
  local post
  post=$(printf '%s\n' "${times[@]}" | median)
  python3 - "$dir/created.json" <<'PY'
import collections, json, sys
created = json.load(open(sys.argv[1]))
kinds = collections.Counter(c["kind"] for c in created["changes"])
rollups = collections.Counter(r["status"] for r in created["rollups"])
print(f"   submission {created['id']}: {len(created['rows'])} rows; changes {dict(kinds)}; "
      f"roll-up checks {dict(rollups)}; {len(created['warnings'])} warnings")
PY

  # (b) the changes view, median of N (after one request that is not counted).
  curl -s -o "$dir/detail.json" -H "Authorization: Bearer $planner" "${base}api/submissions/$id"
  times=()
  for _ in $(seq "$n"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $planner" "${base}api/submissions/$id")")
  done
  local view
  view=$(printf '%s\n' "${times[@]}" | median)
  local bytes
  bytes=$(wc -c <"$dir/detail.json")

  # (c) approval against an import of the same file into the equal store.
  out=$(curl -s -o "$dir/approved.json" -w '%{http_code} %{time_total}' -X POST \
    -H "Authorization: Bearer $planner" "${base}api/submissions/$id/approve")
  read -r code seconds <<<"$out"
  [ "$code" = 200 ] || { echo "workflow.sh: approve answered $code" >&2; cat "$dir/approved.json" >&2; kill "$server"; exit 1; }
  local approve=$seconds
  kill "$server"
  wait "$server" 2>/dev/null || true
  figures=$($measure "$planwatch" --db "$b" import "$dir/submission.csv" 2>&1 >/dev/null | tail -n1)
  local import=${figures% *}

  printf '%-44s %8.1f ms  %s (goal < 1000 ms)\n' "(a) POST /api/submissions (median of $rounds)" \
    "$(ms "$post")" "$(pass "$post < 1")"
  printf '%-44s %8.1f ms  %s (goal < 1000 ms)\n' "(a) planwatch submissions create" \
    "$(ms "$cli_create")" "$(pass "$cli_create < 1")"
  printf '%-44s %8.1f ms  %s (goal < 200 ms; %d KiB)\n' "(b) GET /api/submissions/{id} (median of $n)" \
    "$(ms "$view")" "$(pass "$view < 0.2")" $((bytes / 1024))
  printf '%-44s %8.1f ms\n' "(c) POST /api/submissions/{id}/approve" "$(ms "$approve")"
  printf '%-44s %8.1f ms\n' "    planwatch import of the same file" "$(ms "$import")"
  printf '%-44s %8.2f ×  %s (goal ≤ 1.5×)\n' "    approval / import" \
    "$(echo "$approve / $import" | bc -l)" "$(pass "$approve / $import <= 1.5")"
}

bench "SQLite" "$dir/a.db" "$dir/b.db"

if [ -n "$pg" ]; then
  server_url=${pg%/*}
  suffix=$$_$(date +%s)
  for db in a b; do psql "$pg" -qc "CREATE DATABASE bench_workflow_${db}_$suffix"; done
  drop() { for db in a b; do psql "$pg" -qc "DROP DATABASE IF EXISTS bench_workflow_${db}_$suffix WITH (FORCE)" || true; done; }
  trap 'drop; [ -n "${PLANWATCH_BENCH_DIR:-}" ] || rm -rf "$dir"' EXIT
  bench "PostgreSQL" "$server_url/bench_workflow_a_$suffix" "$server_url/bench_workflow_b_$suffix"
fi
