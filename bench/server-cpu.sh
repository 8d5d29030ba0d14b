#!/usr/bin/env bash
# server-cpu.sh: one wrk run against a running server, with the server's CPU
# per request from /proc (utime and stime of the given pids and their
# children, e.g. nginx's master and its workers).
# Usage: bench/server-cpu.sh PORT PID [PID...]
#   env: SIZE=100k (GET /$SIZE.bin)  DURATION=5s  CONNECTIONS=32  THREADS=2
#        WRK_PIN="taskset -c 1" (optional: run wrk pinned)
# Prints one line: requests/s, p99, user and kernel microseconds per request.
# The per-request CPU figures of bench/RESULTS.md ("Proxy", run 10) came from
# this with the servers of proxy-bench.sh's PIN=1 layout started by hand.
set -euo pipefail
port=${1:?usage: server-cpu.sh PORT PID [PID...]}
shift
[ $# -gt 0 ] || { echo "server-cpu.sh: give the server's pids" >&2; exit 1; }
hz=$(getconf CLK_TCK)
cpu() {  # "user_ticks sys_ticks" of the pids and their children
  local u=0 s=0 p c a b
  for p in "$@"; do
    for c in "$p" $(pgrep -P "$p" || true); do
      [ -r "/proc/$c/stat" ] || continue
      read -r a b < <(awk '{print $14, $15}' "/proc/$c/stat")
      u=$((u + a)) s=$((s + b))
    done
  done
  echo "$u $s"
}
read -r u0 s0 < <(cpu "$@")
read -r -a pin <<<"${WRK_PIN:-}"
out=$("${pin[@]}" wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-32}" -d"${DURATION:-5s}" --latency \
  "http://127.0.0.1:$port/${SIZE:-100k}.bin")
read -r u1 s1 < <(cpu "$@")
n=$(echo "$out" | awk '/requests in/ {print $1}')
[ "${n:-0}" -gt 0 ] || { echo "server-cpu.sh: wrk completed no request" >&2; echo "$out" >&2; exit 1; }
echo "$out" | awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$hz" -v port="$port" '
  /Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 }
  END { printf "port %s requests/s %s p99 %s user_us/request %.1f kernel_us/request %.1f\n",
        port, rps, p99, u * 1e6 / hz / n, s * 1e6 / hz / n }'
