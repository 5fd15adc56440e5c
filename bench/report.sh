#!/usr/bin/env bash
# The evaluation report (issue 15): the mid-term report of the Chengdu plan on the sample store,
# written by `planwatch report midterm` as DOCX and as PDF (typst embedded), ROUNDS runs each
# (median wall time, peak memory of the process), and LibreOffice converting Planwatch's own
# DOCX of the same report to PDF (`soffice --headless --convert-to pdf`), side by side.
# Goals: PDF under 2 s, DOCX under 0.5 s, and the PDF at least 3× faster than LibreOffice.
# Times include starting the binary and opening the store (what a user waits for).
#
# Usage: bench/report.sh      (environment, with defaults:)
#   ROUNDS=5 YEAR=2024
#   PLANWATCH   the binary (default: a release build, made here)
#   PLANWATCH_BENCH_DIR   where the store and the files go (default target/bench-report)
# A quick check that the script works: ROUNDS=1 PLANWATCH=target/debug/planwatch
# Needs python3 (bench/measure.py) and, for the comparison, LibreOffice (Debian:
# libreoffice-writer-nogui); without soffice the comparison is skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
year=${YEAR:-2024}
dir=${PLANWATCH_BENCH_DIR:-target/bench-report}

if [ -z "${PLANWATCH:-}" ]; then
  cargo build --release --locked -q -p planwatch-cli
  PLANWATCH=target/release/planwatch
fi
planwatch=$(cd "$(dirname "$PLANWATCH")" && pwd)/$(basename "$PLANWATCH")
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
db=$dir/planwatch.db
rm -f "$db" "$db"-wal "$db"-shm
echo "== the sample store in $db"
"$planwatch" --db "sqlite://$db" init --sample-data >/dev/null 2>&1
# A fixed as-of date (today's): every run writes the same report.
as_of=$(date -u +%F)

# measure NAME COMMAND...: ROUNDS runs; prints "NAME median_s peak_MiB" and sets $median.
measure() {
  local name=$1; shift
  local times=() peak=0 line
  for _ in $(seq "$rounds"); do
    line=$(python3 bench/measure.py "$@" 2>&1 >/dev/null | tail -n 1)
    times+=("${line%% *}")
    peak=$(python3 -c "print(max($peak, ${line##* }))")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  printf '%-34s %8.3f s  %8.1f MiB   (runs: %s)\n' "$name" "$median" "$peak" "${times[*]}"
}
pass() { python3 -c "import sys; print('PASS' if $1 else 'FAIL')"; }

report() {
  "$planwatch" --db "sqlite://$db" report midterm --year "$year" --as-of "$as_of" "$@"
}
echo "== mid-term report $year (as of $as_of), median of $rounds runs, peak memory"
measure "planwatch report --format docx" \
  "$planwatch" --db "sqlite://$db" report midterm --year "$year" --as-of "$as_of" \
  --format docx -o "$dir/report.docx"
docx=$median
measure "planwatch report --format pdf" \
  "$planwatch" --db "sqlite://$db" report midterm --year "$year" --as-of "$as_of" \
  --format pdf -o "$dir/report.pdf"
pdf=$median
report --format html -o "$dir/report.html" 2>/dev/null
echo "   sizes: DOCX $(stat -c %s "$dir/report.docx") B, PDF $(stat -c %s "$dir/report.pdf") B," \
  "HTML $(stat -c %s "$dir/report.html") B"

office=""
if command -v soffice >/dev/null; then
  # Its own profile, made by one untimed run, so that first-start work is not counted.
  profile=$dir/lo-profile
  mkdir -p "$dir/lo"
  soffice -env:UserInstallation="file://$profile" --headless --convert-to pdf \
    --outdir "$dir/lo" "$dir/report.docx" >/dev/null 2>&1
  measure "soffice --convert-to pdf (the DOCX)" \
    soffice -env:UserInstallation="file://$profile" --headless --convert-to pdf \
    --outdir "$dir/lo" "$dir/report.docx"
  office=$median
else
  echo "   (no soffice: the LibreOffice comparison is skipped; apt-get install libreoffice-writer-nogui)"
fi

echo "== goals"
echo " DOCX under 0.5 s: $(printf '%.3f' "$docx") s  $(pass "$docx < 0.5")"
echo " PDF under 2 s:    $(printf '%.3f' "$pdf") s  $(pass "$pdf < 2")"
if [ -n "$office" ]; then
  ratio=$(python3 -c "print(f'{$office / $pdf:.1f}')")
  echo " PDF ≥ 3× faster than LibreOffice: ${ratio}×  $(pass "$office / $pdf >= 3")"
fi
