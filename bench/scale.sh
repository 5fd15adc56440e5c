#!/usr/bin/env bash
# Throughput of the evaluation API on the national synthetic store in PostgreSQL (issue 16):
#   (a) one server, reads on the primary
#   (b) one server with --read-db on the streaming replica (reads on primary + replica)
#   (c) two server processes on the primary, wrk split 32 + 32 between them
# each at CONNECTIONS (64) connections, with two request mixes (below). Prints a table: case,
# mix, requests/s, p50, p99, share of requests answered from the server's cache, CPU.
#
# The store: `planwatch synth` (COUNTIES counties × INDICATORS indicators × MONTHS months, plus
# provinces and the nation) with each complete year's sum added as a yearly row, as in
# bench/serve.sh, loaded into the database DB (default planwatch_scale) on the primary. Loading
# is timed on its own. A later run reuses the database when its comment names the same shape
# and its observations table holds the expected count of rows; drop it to rebuild it.
#
# The mixes (GET /api/evaluation?region=R&year=Y&indicator=I):
#   miss    R any of the counties, Y 2021…2025, I any indicator: ~750 000 keys. The server
#           caches 512 answers and then empties its cache, so almost every request is a miss:
#           three queries to the database (targets, yearly observations of the county and the
#           nation, assessments) and the evaluation computed.
#   mixed   HOT_PERCENT (80) % of requests drawn from HOT_KEYS (64) fixed keys (popular pages),
#           the rest as in `miss`. Hot keys are hits until a run of misses fills the 512 entries.
# The share of hits is measured, not assumed: every miss reads the plan's region targets (one
# scan of target_sets, which nothing else here reads), so hits = 1 - scans in the run (on the
# primary and the replica, pg_stat_user_tables) / requests answered.
#
# CPU: the servers' and their PostgreSQL backends' CPU time over the run (from /proc), wrk's,
# and the whole machine's busy time (/proc/stat), in cores. wrk, PostgreSQL (and its replica)
# and the servers share one machine: on 2 cores the figures show that machine, not a deployment.
#
# Usage: bench/scale.sh      (environment, with defaults:)
#   COUNTIES=3000 INDICATORS=50 MONTHS=140        the data set (21.2 M monthly + 1.7 M yearly rows)
#   PG=postgres://postgres@127.0.0.1:5432         the primary (server URL, no database)
#   REPLICA=postgres://postgres@127.0.0.1:5433    the replica (scripts/setup-postgres-replica)
#   DB=planwatch_scale                            the database
#   DURATION=30s WARMUP=5s CONNECTIONS=64 THREADS=2 TIMEOUT=30s   wrk per case and mix (a
#                          request is given TIMEOUT, so that slow answers count in the percentiles)
#   MIXES="miss mixed" HOT_PERCENT=80 HOT_KEYS=64 CASES="a b c"
#   PLANWATCH_BENCH_DIR   CSVs and logs (default target/bench-scale); the CSVs are deleted after loading
# Needs wrk (installed when missing and run as root), curl, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
counties=${COUNTIES:-3000}
indicators=${INDICATORS:-50}
months=${MONTHS:-140}
pg=${PG:-postgres://postgres@127.0.0.1:5432}
replica=${REPLICA:-postgres://postgres@127.0.0.1:5433}
db=${DB:-planwatch_scale}
duration=${DURATION:-30s}
timeout=${TIMEOUT:-30s}
warmup=${WARMUP:-5s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
mixes=${MIXES:-miss mixed}
hot_percent=${HOT_PERCENT:-80}
hot_keys=${HOT_KEYS:-64}
cases=${CASES:-a b c}
dir=${PLANWATCH_BENCH_DIR:-target/bench-scale}
measure="python3 bench/measure.py"
export PGOPTIONS="-c client_min_messages=warning"

. bench/server.sh
need_wrk

echo "== building (release)"
cargo build --release --locked -q -p planwatch-cli
planwatch=$PWD/target/release/planwatch
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
url=$pg/$db
shape="bench/scale.sh $counties-$indicators-$months"

# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------
# Regions as `planwatch synth` makes them: the nation, then 100 counties under each province.
provinces=$(((counties + 99) / 100))
nregions=$((1 + provinces + counties))
years=$((months / 12)) # complete years, each one yearly row per series
expected=$((nregions * indicators * (months + years)))
psql_scale() { psql "$url" -XAtq "$@"; }

reuse=
if [ "$(psql "$pg/postgres" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$db'")" = 1 ]; then
  comment=$(psql "$pg/postgres" -XAtqc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")
  if [ "$comment" = "$shape $expected rows" ]; then
    start=$(date +%s.%N)
    rows=$(psql_scale -c "SELECT count(*) FROM observations")
    if [ "$rows" = "$expected" ]; then
      reuse=1
      printf '== reusing %s: %d observations (counted in %.1f s)\n' "$db" "$rows" \
        "$(echo "$(date +%s.%N) - $start" | bc)"
    else
      echo "== $db holds $rows observations, not $expected: loading it again"
    fi
  else
    echo "== $db is not this data set (${comment:-no comment}): loading it again"
  fi
fi

if [ -z "$reuse" ] && [ "$(cat "$dir/generated" 2>/dev/null)" = "$shape $expected rows" ]; then
  echo "== reusing the CSVs in $dir ($expected rows)"
elif [ -z "$reuse" ]; then
  rm -f "$dir/generated"
  synth_with_yearly_sums "$dir" "$counties" "$indicators" "$months"
  if [ $((monthly + yearly)) != "$expected" ]; then
    echo "scale.sh: expected $expected rows, synth and awk made $((monthly + yearly))" >&2
    exit 1
  fi
  echo "$shape $expected rows" >"$dir/generated"
fi
if [ -z "$reuse" ]; then
  echo "== loading into PostgreSQL ($url)"
  psql "$pg/postgres" -Xqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  "$planwatch" --db "$url" init --plan "$dir/plan.toml" >/dev/null
  if ! figures=$($measure sh -c '"$0" --db "$1" import "$2" "$3" >"$4" 2>&1' "$planwatch" "$url" \
    "$dir/observations.csv" "$dir/yearly.csv" "$dir/import.log" 2>&1 | tail -n1); then
    tail -n 20 "$dir/import.log" >&2
    exit 1
  fi
  printf '   import %.1f s (%.0f rows/s), peak %.0f MiB\n' "${figures% *}" \
    "$(echo "$expected / ${figures% *}" | bc -l)" "${figures#* }"
  start=$(date +%s.%N)
  psql_scale -c "VACUUM (ANALYZE)" -c CHECKPOINT
  printf '   vacuum, analyse and checkpoint %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
  psql "$pg/postgres" -Xqc "COMMENT ON DATABASE $db IS '$shape $expected rows'"
  rm -f "$dir/observations.csv" "$dir/yearly.csv" "$dir/generated"
fi
printf '   %s: %s observations; database %s, observations table %s with its key\n' "$db" \
  "$expected" "$(psql_scale -c "SELECT pg_size_pretty(pg_database_size('$db'))")" \
  "$(psql_scale -c "SELECT pg_size_pretty(pg_total_relation_size('observations'))")"
plan_id=$(psql_scale -c "SELECT id FROM plans LIMIT 1")

# ---------------------------------------------------------------------------------------------
# The requests
# ---------------------------------------------------------------------------------------------
# County codes as synth makes them: province (11 + p) × 10 000 + 100 + c, c = 1…100.
codes=$(awk -v n="$counties" 'BEGIN { for (p = 0; p * 100 < n; p++) for (c = 1; c <= 100 && p * 100 + c <= n; c++) printf "%s%d", (p + c > 1 ? "," : ""), (11 + p) * 10000 + 100 + c }')
lua() { # mix hot-percent histogram-file → a wrk script
  cat <<LUA
local counties = { $codes }
local indicators = $indicators
local hot_percent = $2
local hot_keys = $hot_keys
local histogram = "$3"
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919 + $RANDOM)
end
local function path(r, y, i)
  return string.format("/api/evaluation?region=%d&year=%d&indicator=ind_%02d", counties[r], y, i)
end
function request()
  if math.random(100) <= hot_percent then
    -- The k-th popular key: fixed, spread over regions, years and indicators.
    local k = math.random(hot_keys)
    return wrk.format("GET", path((k * 37) % #counties + 1, 2021 + k % 5, (k * 7) % indicators + 1))
  end
  return wrk.format("GET", path(math.random(#counties), 2020 + math.random(5), math.random(indicators)))
end
function done(summary, latency, requests)
  local f = io.open(histogram, "w")
  for i = 1, #latency do
    local v, c = latency(i)
    f:write(string.format("%d %d\n", v, c))
  end
  f:write(string.format("# requests %d errors %d %d %d %d %d duration %d\n", summary.requests,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, summary.duration))
  f:close()
end
LUA
}

servers=()
stop_servers() {
  local pid
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  servers=()
}
trap stop_servers EXIT
bases=()
# Starts `planwatch serve` on the store with the serve options given and adds it to the lists.
serve() {
  start_server "$dir/serve-${#servers[@]}.log" --db "$url" --plan-id "$plan_id" -- "$@"
  servers+=("$server")
  bases+=("$base")
}

# CPU ticks (user + system) of the processes given; processes gone count nothing.
ticks() {
  local pid total=0 t
  for pid in "$@"; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null) || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
machine_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
hz=$(getconf CLK_TCK)
# Backends (pid list) of the database on the primary and, when reads go there, the replica.
backends() {
  local server
  for server in "${databases[@]}"; do
    psql "$server/postgres" -XAtqc "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()"
  done
}
# Misses: every evaluation computed (not from the cache) reads the plan's latest set of region
# targets, one scan of `target_sets`, which nothing else the benchmark does reads (the store
# watchers read `plan_versions` and `audit_head`). Scans of the table on the primary (+ replica).
scans() {
  local server total=0 n
  for server in "${databases[@]}"; do
    n=$(psql "$server/$db" -XAtqc "SELECT COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'target_sets'")
    total=$((total + n))
  done
  echo "$total"
}
# PostgreSQL's statistics reach pg_stat_user_tables when a backend goes idle, at most once a
# second: wait that out before reading them.
settle() { sleep 1.5; }

# Scans of target_sets a miss makes, and a miss's time alone: sequential requests with keys no
# mix asks for (year 2026).
calibrate() {
  settle
  local before after i t0 t1
  before=$(scans)
  t0=$(date +%s.%N)
  for i in $(seq 20); do
    curl -sf -o /dev/null "${bases[0]}api/evaluation?region=$(echo "$codes" | cut -d, -f$((i * 13 % counties + 1)))&year=2026&indicator=ind_01" ||
      { echo "scale.sh: the calibration request failed" >&2; exit 1; }
  done
  t1=$(date +%s.%N)
  settle
  after=$(scans)
  per_miss=$(echo "($after - $before) / 20" | bc -l)
  miss_ms=$(echo "($t1 - $t0) * 1000 / 20" | bc -l)
  printf '   calibration: %.2f scans of target_sets a miss; a miss alone %.1f ms\n' "$per_miss" "$miss_ms"
  if [ "$(echo "$per_miss < 0.5" | bc -l)" = 1 ]; then
    echo "scale.sh: a miss does not read target_sets: the hit rate cannot be measured" >&2
    exit 1
  fi
}

# Merged latency histograms (value µs, count) → "p50 p99" in ms.
percentiles() {
  grep -hv '^#' "$@" | sort -n | awk '
    { v[NR] = $1; c[NR] = $2; n += $2 }
    END { t = 0; for (i = 1; i <= NR; i++) { t += c[i]
            if (!a && t >= 0.5 * n) { a = v[i] } if (!b && t >= 0.99 * n) { b = v[i] } }
          printf "%.2f %.2f", a / 1000, b / 1000 }'
}

results=()
# Runs one mix against the servers started (connections split evenly) and adds a result row.
run_case() { # label mix
  local label=$1 mix=$2 hot=0 i n=${#bases[@]}
  [ "$mix" = mixed ] && hot=$hot_percent
  local per=$((connections / n)) per_threads=$(((threads + n - 1) / n))
  # Warm-up (not counted): the same mix, so that the database's pages and the servers' caches
  # are as they would be in the middle of a long run.
  for i in $(seq 0 $((n - 1))); do
    lua "$mix" "$hot" "$dir/warmup-$i.hist" >"$dir/warmup-$i.lua"
    wrk -t"$per_threads" -c"$per" -d"$warmup" --timeout "$timeout" -s "$dir/warmup-$i.lua" "${bases[$i]}" >/dev/null &
  done
  wait_wrk
  settle
  local pids=("${servers[@]}") before_server before_pg before_machine before_scans
  mapfile -t pg_pids < <(backends)
  before_server=$(ticks "${pids[@]}")
  before_pg=$(ticks "${pg_pids[@]}")
  before_scans=$(scans)
  before_machine=$(machine_busy)
  local t0
  t0=$(date +%s.%N)
  for i in $(seq 0 $((n - 1))); do
    lua "$mix" "$hot" "$dir/run-$i.hist" >"$dir/run-$i.lua"
    /usr/bin/time -f '%U %S' -o "$dir/wrk-$i.time" \
      wrk -t"$per_threads" -c"$per" -d"$duration" --timeout "$timeout" -s "$dir/run-$i.lua" "${bases[$i]}" >"$dir/wrk-$i.out" &
  done
  wait_wrk
  local elapsed
  elapsed=$(echo "$(date +%s.%N) - $t0" | bc -l)
  local after_machine after_server after_pg
  after_machine=$(machine_busy)
  after_server=$(ticks "${pids[@]}")
  # Backends opened during the run count from zero; those of before keep their first reading.
  local pg_now
  mapfile -t pg_now < <(backends)
  after_pg=$(ticks "${pg_now[@]}")
  settle
  local after_scans
  after_scans=$(scans)
  local rps=0 requests=0 errors=0 out
  for i in $(seq 0 $((n - 1))); do
    out=$dir/wrk-$i.out
    rps=$(echo "$rps + $(awk '$1 == "Requests/sec:" { print $2 }' "$out")" | bc -l)
    read -r _ _ r _ c rd w s to _ <<<"$(grep '^# requests' "$dir/run-$i.hist")"
    requests=$((requests + r))
    errors=$((errors + c + rd + w + s + to))
  done
  local p50 p99
  read -r p50 p99 <<<"$(percentiles "$dir"/run-*.hist)"
  local wrk_ticks=0
  for i in $(seq 0 $((n - 1))); do
    wrk_ticks=$(echo "$wrk_ticks + $(awk '{ print ($1 + $2) * '"$hz"' }' "$dir/wrk-$i.time")" | bc -l)
  done
  cores() { echo "$1 / $hz / $elapsed" | bc -l; }
  local server_cores pg_cores wrk_cores machine_cores
  server_cores=$(cores "$((after_server - before_server))")
  pg_cores=$(cores "$((after_pg - before_pg))")
  wrk_cores=$(cores "$wrk_ticks")
  machine_cores=$(cores "$((after_machine - before_machine))")
  # Misses: the run's scans of target_sets over one miss's. (Requests wrk gave up on after 2 s
  # are still answered by the server and counted by wrk when the answer comes.)
  local misses hits
  misses=$(echo "($after_scans - $before_scans) / $per_miss" | bc -l)
  hits=$(echo "h = 100 * (1 - $misses / $requests); if (h < 0) h = 0; h" | bc -l)
  results+=("$(printf '%-44s %-6s %9.0f %8.2f %8.2f %6.0f %%  srv %.2f + pg %.2f + wrk %.2f; machine %.2f of %d' \
    "$label" "$mix" "$rps" "$p50" "$p99" "$hits" "$server_cores" "$pg_cores" "$wrk_cores" \
    "$machine_cores" "$(nproc)")")
  echo "   ${results[-1]}"
  if [ "$errors" != 0 ]; then
    echo "   ($errors errors of wrk: connect, read, write, non-2xx status, timeout)"
    grep -h 'Socket errors\|Non-2xx' "$dir"/wrk-*.out | sed 's/^/     /'
  fi
  rm -f "$dir"/run-*.hist "$dir"/warmup-*.hist
}
wait_wrk() { # waits for the wrk jobs in the background, failing if one failed
  local job
  for job in $(jobs -p); do
    case " ${servers[*]} " in *" $job "*) continue ;; esac
    wait "$job" || { echo "scale.sh: wrk failed" >&2; exit 1; }
  done
}

# The first request of each server: its time and what it answers.
first_request() {
  local base=$1 out code seconds
  out=$(curl -s -o "$dir/first.body" -w '%{http_code} %{time_total}' \
    "${base}api/evaluation?region=110101&year=2025&indicator=ind_01")
  read -r code seconds <<<"$out"
  [ "$code" = 200 ] || { echo "scale.sh: the evaluation answered $code" >&2; cat "$dir/first.body" >&2; exit 1; }
  printf '   %s: first evaluation %.1f ms, %d bytes\n' "$base" "$(echo "$seconds * 1000" | bc -l)" \
    "$(wc -c <"$dir/first.body")"
}

echo "== load: wrk -t$threads -c$connections -d$duration (after a $warmup warm-up), mixes: $mixes"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for case in $cases; do
  case $case in
    a)
      databases=("$pg")
      serve
      first_request "${bases[0]}"
      calibrate
      for mix in $mixes; do run_case "(a) one server, reads on the primary" "$mix"; done
      ;;
    b)
      if ! [ "$(psql "$replica/postgres" -XAtqc "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ]; then
        echo "== (b) skipped: no streaming replica answers at $replica (scripts/setup-postgres-replica makes one)"
        results+=("$(printf '%-44s %s' "(b) one server, reads on primary + replica" "skipped: no replica at $replica")")
        continue
      fi
      # The replica has the store once it has replayed everything the primary has written.
      target=$(psql "$pg/postgres" -XAtqc "SELECT pg_current_wal_lsn()")
      echo "== (b) waiting for the replica to replay the primary's WAL up to $target"
      for _ in $(seq 1800); do
        [ "$(psql "$replica/postgres" -XAtqc "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")" = t ] && break
        sleep 1
      done
      databases=("$pg" "$replica")
      serve --read-db "$replica/$db"
      first_request "${bases[0]}"
      curl -s -D - -o /dev/null "${bases[0]}api/evaluation?region=110102&year=2025" |
        sed -n 's/^\(planwatch-read-from: .*\)\r$/   answered with \1/Ip'
      calibrate
      for mix in $mixes; do run_case "(b) one server, reads on primary + replica" "$mix"; done
      ;;
    c)
      databases=("$pg")
      serve
      serve
      first_request "${bases[0]}"
      first_request "${bases[1]}"
      calibrate
      for mix in $mixes; do run_case "(c) two servers on the primary, wrk 32 + 32" "$mix"; done
      ;;
    *)
      echo "scale.sh: no case $case (a, b or c)" >&2
      exit 1
      ;;
  esac
  stop_servers
  bases=()
done

echo
printf '%-44s %-6s %9s %8s %8s %8s  %s\n' case mix "req/s" "p50 ms" "p99 ms" "hits" "CPU (cores)"
printf '%s\n' "${results[@]}"
echo "   ($(nproc) cores; load average after: $(cut -d' ' -f1-3 /proc/loadavg); total ${SECONDS} s)"
