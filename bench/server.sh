# Sourced by the benchmarks that serve (they set `planwatch` to the binary first).
#
# `start_server LOG planwatch-arguments… [-- serve-arguments…]` runs
# `planwatch … serve --addr 127.0.0.1:0 …` in the background (its output in LOG) and waits until
# it says where it listens; sets `server` (its pid) and `base` (http://127.0.0.1:PORT/).
start_server() {
  local log=$1
  shift
  local global=() rest=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do global+=("$1"); shift; done
  [ $# -gt 0 ] && shift && rest=("$@")
  # Created here, not only by the child's redirection, which may come after the first read.
  : >"$log"
  "$planwatch" "${global[@]}" serve --addr 127.0.0.1:0 "${rest[@]}" >"$log" 2>&1 &
  server=$!
  base=
  for _ in $(seq 600); do
    base=$(sed -n 's|^listening on \(http://[^ ]*/\)$|\1|p' "$log")
    [ -n "$base" ] && return 0
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$0: the server did not start" >&2
  exit 1
}

# `need_wrk`: installs wrk (Debian's package) when it is missing and this runs as root; stops the
# benchmark otherwise.
need_wrk() {
  command -v wrk >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing wrk"
    # Another apt-get may hold the lock: wait for it rather than fail.
    apt-get -o DPkg::Lock::Timeout=900 install -y -q wrk >/dev/null
  else
    echo "$0: needs wrk (apt-get install wrk)" >&2
    exit 1
  fi
}

# `synth_with_yearly_sums DIR COUNTIES INDICATORS MONTHS`: `planwatch synth` into DIR
# (plan.toml, observations.csv), then DIR/yearly.csv with one yearly row per complete year of
# each series, the sum of its 12 months (synth writes each series' months in order, so
# consecutive rows share a key; the evaluation reads yearly rows). Sets `monthly` and `yearly`
# (their row counts) and prints the times.
synth_with_yearly_sums() {
  local dir=$1 figures start
  echo "== generating $2 counties × $3 indicators × $4 months in $dir"
  figures=$(python3 bench/measure.py "$planwatch" synth --regions "$2" --indicators "$3" \
    --months "$4" --out "$dir" 2>&1 >/dev/null | tail -n1)
  echo "   synth ${figures% *} s"
  start=$(date +%s.%N)
  awk -F, -v OFS=, '
    function flush() { if (n == 12) print key, sprintf("%.3f", sum), unit, "final", "synthetic", "" }
    NR == 1 { print; next }
    { k = $1 OFS $2 OFS substr($3, 1, 4) }
    k != key { flush(); key = k; sum = 0; n = 0; unit = $5 }
    { sum += $4; n++ }
    END { flush() }' "$dir/observations.csv" >"$dir/yearly.csv"
  monthly=$(($(wc -l <"$dir/observations.csv") - 1))
  yearly=$(($(wc -l <"$dir/yearly.csv") - 1))
  printf '   yearly sums %.1f s; %d monthly + %d yearly = %d rows, %d MiB of CSV\n' \
    "$(echo "$(date +%s.%N) - $start" | bc)" "$monthly" "$yearly" $((monthly + yearly)) \
    "$(du -cm "$dir/observations.csv" "$dir/yearly.csv" | tail -n1 | cut -f1)"
}
