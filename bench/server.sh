# Sourced by the benchmarks that serve: `start_server LOG planwatch-arguments…` runs
# `planwatch … serve --addr 127.0.0.1:0` in the background (its output in LOG) and waits until it
# says where it listens; sets `server` (its pid) and `base` (http://127.0.0.1:PORT/).
start_server() {
  local log=$1
  shift
  # Created here, not only by the child's redirection, which may come after the first read.
  : >"$log"
  "$planwatch" "$@" serve --addr 127.0.0.1:0 >"$log" 2>&1 &
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
