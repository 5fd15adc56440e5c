#!/usr/bin/env bash
# Web serving on the synthetic national store of `planwatch synth` (default 3 000 counties ×
# 50 indicators × 120 months ≈ 18.2 M monthly rows, plus their 1.5 M yearly sums — see below),
# SQLite, with wrk (THREADS threads, CONNECTIONS connections, DURATION each):
#   /api/evaluation?region=COUNTY&year=YEAR   goal: p99 latency under 50 ms with 64 clients
#   /  (overview page) vs /healthz            goal: at least half of /healthz's requests/s
#   the evaluation signed in (session cookie; API token) vs anonymous
#                                             goal: at least 0.9 of the anonymous requests/s
#   sign-ins (POST /api/session, Argon2id)    reported: sign-ins per second per core
# Prints both figures with PASS/FAIL, the first (uncached) request's time of each URL and the
# server's peak memory.
#
# The evaluation engine reads yearly observations only and synth writes monthly ones, so an
# awk pass adds each complete year's sum of the 12 months as a yearly row (a second file,
# imported with the first). The store is kept in PLANWATCH_BENCH_DIR and reused by later runs
# of the same scale; delete the directory to rebuild it.
#
# Usage: bench/serve.sh      (environment, with defaults:)
#   REGIONS=3000 INDICATORS=50 MONTHS=120   the synthetic data set
#   DURATION=20s CONNECTIONS=64 THREADS=2   wrk's load per URL and round
#   ROUNDS=3                                 turns of /healthz and / (the median ratio counts)
#   REGION=110101 YEAR=<last year of data, at most 2025>   the evaluation asked for
#   PLANWATCH_BENCH_DIR   the store's cache (default target/bench-serve/REGIONS-INDICATORS-MONTHS)
# Needs wrk (Debian: apt-get install wrk; installed here when missing and run as root) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
regions=${REGIONS:-3000}
indicators=${INDICATORS:-50}
months=${MONTHS:-120}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
region=${REGION:-110101}
last_year=$((2016 + months / 12 - 1))
year=${YEAR:-$((last_year < 2025 ? last_year : 2025))}
dir=${PLANWATCH_BENCH_DIR:-target/bench-serve/$regions-$indicators-$months}
measure="python3 bench/measure.py"

. bench/server.sh
need_wrk

cargo build --release --locked -q -p planwatch-cli
planwatch=$PWD/target/release/planwatch
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
db=$dir/planwatch.db

if [ -e "$dir/complete" ]; then
  echo "== reusing the store in $dir ($(cat "$dir/complete"))"
else
  rm -f "$dir"/complete "$dir"/planwatch.db*
  synth_with_yearly_sums "$dir" "$regions" "$indicators" "$months"
  echo "== importing into SQLite ($db)"
  "$planwatch" --db "$db" init --plan "$dir/plan.toml" >/dev/null
  # The import's report (and warnings, if any) goes to import.log.
  if ! figures=$($measure sh -c '"$0" --db "$1" import "$2" "$3" >"$4" 2>&1' "$planwatch" "$db" \
    "$dir/observations.csv" "$dir/yearly.csv" "$dir/import.log" 2>&1 | tail -n1); then
    tail -n 20 "$dir/import.log" >&2
    exit 1
  fi
  # (A WAL file left behind by the import holds pages already copied back: reported apart.)
  printf '   import %.1f s, peak %.0f MiB; store %d MiB (WAL file %d MiB)\n' "${figures% *}" \
    "${figures#* }" "$(du -m "$db" | cut -f1)" "$(du -cm "$db"-wal 2>/dev/null | tail -n1 | cut -f1)"
  echo "$((monthly + yearly)) rows, $(date -u +%FT%TZ)" >"$dir/complete"
fi

echo "== serving"
plan_id=$(sed -n 's/^id = "\(.*\)"$/\1/p' "$dir/plan.toml" | sed -n 1p)
trap 'kill "${server:-}" 2>/dev/null || true' EXIT
start_server "$dir/serve.log" --db "$db" --plan-id "$plan_id"
echo "   $base (pid $server, $(ps -o rss= -p "$server" | awk '{printf "%.0f", $1 / 1024}') MiB after start)"

evaluation="${base}api/evaluation?region=$region&year=$year"
urls=("$evaluation" "${base}healthz" "$base")

# Warm-up: one request to each URL, its time (the first one fills the server's caches).
for url in "${urls[@]}"; do
  out=$(curl -s -o "$dir/first.body" -w '%{http_code} %{time_total} %{size_download}' "$url")
  read -r code seconds bytes <<<"$out"
  [ "$code" = 200 ] || { echo "serve.sh: $url answered $code" >&2; cat "$dir/first.body" >&2; exit 1; }
  printf '   first request %-50s %8.1f ms %6d bytes\n' "/${url#"$base"}" \
    "$(echo "$seconds * 1000" | bc)" "$bytes"
  if [ "$url" = "$evaluation" ]; then
    echo "   evaluation statuses: $(grep -o '"status":"[a-z_]*"' "$dir/first.body" | cut -d'"' -f4 |
      sort | uniq -c | awk '{printf "%s %s, ", $2, $1}' | sed 's/, $//');"\
" with a latest value: $(grep -o '"latest_value":[^,}]*' "$dir/first.body" | grep -vc null || true)"
  fi
done

# wrk's latency figure ("12.34ms", "850.00us", "1.02s") in milliseconds.
ms() { awk -v t="$1" 'BEGIN { v = t + 0; if (t ~ /us$/) v /= 1000; else if (t ~ /[0-9]s$/ && t !~ /ms$/) v *= 1000; else if (t ~ /m$/) v *= 60000; printf "%.2f", v }'; }

load() { # url [wrk options…] → wrk's output in $dir/wrk.out; sets p50 and p99 (ms) and rps
  local url=$1
  shift
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "$url" >"$dir/wrk.out"
  if grep -q 'Non-2xx' "$dir/wrk.out"; then
    echo "serve.sh: errors under load on $url:" >&2
    cat "$dir/wrk.out" >&2
    exit 1
  fi
  # Timeouts (wrk gives up on a request after 2 s) and the like: worth knowing, not fatal.
  sed -n 's/^ *\(Socket errors:.*\)/   \1/p' "$dir/wrk.out" >&2
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$dir/wrk.out")")
  p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$dir/wrk.out")")
  rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$dir/wrk.out")
}

echo "== wrk -t$threads -c$connections -d$duration --latency"
pass() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo PASS; else echo FAIL; fi; }
report() { # label p50 p99 requests/s
  printf '%-34s p50 %8.2f ms  p99 %8.2f ms %8.0f requests/s\n' "$@"
}
load "$evaluation"
report "evaluation (region $region, $year)" "$p50" "$p99" "$rps"
e99=$p99
# /healthz and / take turns, ROUNDS times, so that both meet the same disturbances (other
# processes on the machine move these figures by ±20 %); the goal takes the median ratio.
ratios=()
for round in $(seq "$rounds"); do
  load "${base}healthz"
  report "/healthz (round $round)" "$p50" "$p99" "$rps"
  hrps=$rps
  load "$base"
  report "/ (overview, round $round)" "$p50" "$p99" "$rps"
  ratios+=("$(echo "scale=3; $rps / $hrps" | bc -l)")
  printf '%-34s %.2f\n' "ratio / to /healthz (round $round)" "${ratios[-1]}"
done

# Signed in: the same evaluation with a session cookie and with an API token, each against the
# anonymous request in alternating runs (the goal takes the median ratio of each).
password="bench passphrase for serve.sh"
# (Already there from an earlier run of the same store: then this one is refused, quietly.)
echo "$password" | "$planwatch" --db "$db" user add bench --role viewer --password-stdin \
  >/dev/null 2>&1 || true
"$planwatch" --db "$db" token revoke bench-token >/dev/null 2>&1 || true
token=$("$planwatch" --db "$db" token create bench-token --user bench 2>/dev/null | grep -o 'pwt_[0-9a-f]*')
cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"$password\"}" "${base}api/session" |
  sed -n 's/^set-cookie: \(planwatch_session=[0-9a-f]*\).*/\1/Ip')
[ -n "$cookie" ] || { echo "serve.sh: cannot sign in" >&2; exit 1; }
cookie_ratios=()
token_ratios=()
for round in $(seq "$rounds"); do
  load "$evaluation"
  report "evaluation anonymous (round $round)" "$p50" "$p99" "$rps"
  arps=$rps
  load "$evaluation" -H "Cookie: $cookie"
  report "evaluation, session cookie" "$p50" "$p99" "$rps"
  cookie_ratios+=("$(echo "scale=3; $rps / $arps" | bc -l)")
  load "$evaluation" -H "Authorization: Bearer $token"
  report "evaluation, API token" "$p50" "$p99" "$rps"
  token_ratios+=("$(echo "scale=3; $rps / $arps" | bc -l)")
  printf '%-34s cookie %.2f, token %.2f\n' "ratio to anonymous (round $round)" \
    "${cookie_ratios[-1]}" "${token_ratios[-1]}"
done

# Sign-ins: Argon2id verification is slow on purpose. wrk posts the same credentials from as
# many connections as there are cores; every sign-in is a new session and an audit entry.
cores=$(nproc)
cat >"$dir/sign-in.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"$password"}'
LUA
wrk -t1 -c"$cores" -d"$duration" -s "$dir/sign-in.lua" "${base}api/session" >"$dir/wrk.out"
grep -q 'Non-2xx' "$dir/wrk.out" && { cat "$dir/wrk.out" >&2; exit 1; }
signins=$(awk '$1 == "Requests/sec:" { print $2 }' "$dir/wrk.out")
printf '%-34s %8.0f sign-ins/s on %d cores: %.0f a second a core\n' "sign-ins" "$signins" \
  "$cores" "$(echo "$signins / $cores" | bc -l)"

peak=$(awk '$1 == "VmHWM:" { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
echo "   server peak memory $peak MiB"

ratio=$(printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { printf "%.3f", NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
echo "== goals: evaluation p99 $e99 ms (< 50 ms: $(pass "$e99 < 50")),"\
" overview/healthz throughput $(printf '%.2f' "$ratio") (median of $rounds; ≥ 0.5: $(pass "$ratio >= 0.5"))"
median() { printf '%s\n' "$@" | sort -n |
  awk '{ r[NR] = $1 } END { printf "%.3f", NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
cookie_ratio=$(median "${cookie_ratios[@]}")
token_ratio=$(median "${token_ratios[@]}")
echo "== goals: signed in / anonymous throughput: cookie $(printf '%.2f' "$cookie_ratio"),"\
" token $(printf '%.2f' "$token_ratio") (median of $rounds; ≥ 0.9: cookie $(pass "$cookie_ratio >= 0.9"),"\
" token $(pass "$token_ratio >= 0.9"))"
echo "   total ${SECONDS} s"
