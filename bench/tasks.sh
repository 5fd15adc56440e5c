#!/usr/bin/env bash
# The 任务 board under load (issue 14): a store with TASKS tasks for one year — the sample
# sheet's rows (data/chengdu-tasks-2024.csv) repeated with new 序号 and imported through
# `planwatch tasks import` —, then wrk (THREADS threads, CONNECTIONS connections, DURATION
# each) on
#   /tasks                     the board's first page (100 rows)   goal: p99 under 50 ms
#   /tasks?unit=UNIT           the board filtered by a unit
#   /api/tasks?year=YEAR       the API's first page (100 tasks)
# Prints throughput, p50 and p99 of each, PASS/FAIL for the goal, and the server's peak memory.
# The store is built afresh in PLANWATCH_BENCH_DIR each run (a few seconds).
#
# Usage: bench/tasks.sh      (environment, with defaults:)
#   TASKS=5000 YEAR=2024 UNIT=commerce
#   DURATION=20s CONNECTIONS=64 THREADS=2
#   PLANWATCH   the binary (default: a release build, made here)
#   PLANWATCH_BENCH_DIR   where the store goes (default target/bench-tasks/TASKS)
# A quick check that the script works: TASKS=200 DURATION=2s PLANWATCH=target/debug/planwatch
# Needs wrk (Debian: apt-get install wrk; installed here when missing and run as root) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${TASKS:-5000}
year=${YEAR:-2024}
unit=${UNIT:-commerce}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
dir=${PLANWATCH_BENCH_DIR:-target/bench-tasks/$tasks}

. bench/server.sh
need_wrk

if [ -z "${PLANWATCH:-}" ]; then
  cargo build --release --locked -q -p planwatch-cli
  PLANWATCH=target/release/planwatch
fi
planwatch=$(cd "$(dirname "$PLANWATCH")" && pwd)/$(basename "$PLANWATCH")
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
db=$dir/planwatch.db
rm -f "$db" "$db"-wal "$db"-shm

# The sheet: its title, notes and header rows, then its task rows (not the section rows) over
# and over, numbered 1…TASKS (read as CSV: a cell may hold several lines). A blank lead cell
# takes the task above's, which repetition keeps.
sheet=$dir/tasks-$year.csv
python3 - "$tasks" data/chengdu-tasks-2024.csv "$sheet" <<'PY'
import csv, re, sys
n, source, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(source, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
head, body = rows[:3], [r for r in rows[3:] if not re.match(r"^[一二三四五六七八九十]+、", r[0])]
with open(target, "w", newline="", encoding="utf-8") as f:
    out = csv.writer(f, lineterminator="\r\n")
    out.writerows(head)
    for k in range(n):
        out.writerow([str(k + 1)] + body[k % len(body)][1:])
PY
echo "== $tasks tasks for $year in $dir"
"$planwatch" --db "$db" init >/dev/null
start=$(date +%s.%N)
"$planwatch" --db "$db" tasks import "$sheet" --year "$year" | tail -n1
printf '   import %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"

echo "== serving"
trap 'kill "${server:-}" 2>/dev/null || true' EXIT
start_server "$dir/serve.log" --db "$db"
echo "   $base (pid $server)"

urls=("${base}tasks" "${base}tasks?unit=$unit" "${base}api/tasks?year=$year")
for url in "${urls[@]}"; do
  out=$(curl -s -o "$dir/first.body" -w '%{http_code} %{time_total} %{size_download}' "$url")
  read -r code seconds bytes <<<"$out"
  [ "$code" = 200 ] || { echo "tasks.sh: $url answered $code" >&2; cat "$dir/first.body" >&2; exit 1; }
  printf '   first request %-40s %8.1f ms %7d bytes\n' "/${url#"$base"}" \
    "$(echo "$seconds * 1000" | bc)" "$bytes"
done
grep -q "共 $tasks 项任务" <(curl -s "${base}tasks") ||
  { echo "tasks.sh: the board does not count $tasks tasks" >&2; exit 1; }

# wrk's latency figure ("12.34ms", "850.00us", "1.02s") in milliseconds.
ms() { awk -v t="$1" 'BEGIN { v = t + 0; if (t ~ /us$/) v /= 1000; else if (t ~ /[0-9]s$/ && t !~ /ms$/) v *= 1000; else if (t ~ /m$/) v *= 60000; printf "%.2f", v }'; }
echo "== wrk -t$threads -c$connections -d$duration --latency"
board99=
for url in "${urls[@]}"; do
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" >"$dir/wrk.out"
  if grep -q 'Non-2xx' "$dir/wrk.out"; then
    echo "tasks.sh: errors under load on $url:" >&2
    cat "$dir/wrk.out" >&2
    exit 1
  fi
  sed -n 's/^ *\(Socket errors:.*\)/   \1/p' "$dir/wrk.out" >&2
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$dir/wrk.out")")
  p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$dir/wrk.out")")
  rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$dir/wrk.out")
  printf '%-34s p50 %8.2f ms  p99 %8.2f ms %8.0f requests/s\n' "/${url#"$base"}" "$p50" "$p99" "$rps"
  [ -n "$board99" ] || board99=$p99
done
peak=$(awk '$1 == "VmHWM:" { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
echo "   server peak memory $peak MiB"
pass() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo PASS; else echo FAIL; fi; }
echo "== goal: the board with $tasks tasks at $connections connections, p99 $board99 ms (< 50 ms: $(pass "$board99 < 50"))"
echo "   total ${SECONDS} s"
