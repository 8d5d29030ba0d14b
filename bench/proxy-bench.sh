#!/usr/bin/env bash
# proxy-bench.sh: edgecache-proxy against Debian's nginx (proxy_cache), and the
# proxy's hit ratio on a real trace against the simulator's.
#
# Usage: bench/proxy-bench.sh [BUILD_DIR]      (default build/release; markdown on stdout)
#   env: DURATION=10s  CONNECTIONS=32  THREADS=2   (wrk settings)
#        ROUNDS=3  (wrk runs per (server, size), interleaved; medians reported)
#        BASELINE=/path/to/an/older/edgecache-proxy  (optional: also measured,
#          interleaved, as "edgecache-proxy (baseline)", for A/B of a change)
#        PROXY_ARGS="--threads 4"  (optional: extra options for the proxy under
#          test, not the baseline; A/B of a setting: BASELINE=the same binary)
#        NGINX_WORKERS=2  (worker_processes of the caching nginx)
#        PIN=1  (the caches on CPU 0, wrk on the other CPUs, with taskset: the
#          client no longer competes with the server it measures, so both
#          servers get exactly one core. Defaults then change to one nginx
#          worker, one proxy I/O thread (PIN_THREADS=1, baseline too) and one
#          wrk thread)
#        QUIET_WAIT=0  (seconds: before each round, wait up to this long for
#          3 s in which other processes use under 0.15 cores; on a shared VM)
#        SKIP_REPLAY=1  (part 1 only)
#        REPLAY_REQUESTS=20000  REPLAY_SIZE=128MiB  REPLAY_POLICY=lru
#        WORK=BUILD_DIR/proxy-bench  (configs, logs, stores; wiped at start)
#
# Loopback only (every server binds 127.0.0.1), bounded time (about a minute
# of wrk plus the replay), everything started here is killed by the EXIT trap.
#
# Part 1, hits: a tiny nginx "origin" serves static 1 KiB and 100 KiB files
# with Cache-Control: max-age=3600. In front of it: edgecache-proxy (RocksDB
# store under WORK) and a second nginx configured as a caching reverse proxy
# (proxy_cache under WORK). Both caches are warmed (and checked to answer
# HIT), then `wrk -t2 -c32 -d10s --latency` runs against each (proxy, size)
# back to back in one run; the table gives requests/s and p50/p90/p99.
# Everything shares the same 2 cores (wrk included), so compare the rows of
# one run, not across machines. Each row also lists p99 per round, the
# server's CPU per request and wrk's CPU (as a share of one core) per round,
# and the CPU-seconds other processes used during each round (0 = a quiet
# machine). wrk near 100% x its threads means the client, not the server,
# set that round's requests/s (with PIN=1 and 100 KiB bodies it does on a
# 2-core machine: wrk reads 8 KiB per read(2)); compare the servers' CPU per
# request and p99 then.
#
# Part 2, hit ratio: the first REPLAY_REQUESTS requests of
# ../shared/traces/cloudPhysicsIO.oracleGeneral.bin become GET /obj/<id>?size=<n>
# (a small Python origin returns n bytes, max-age=3600), replayed one at a
# time on one keep-alive connection through a fresh edgecache-proxy with
# --capacity REPLAY_SIZE --policy REPLAY_POLICY; hits are counted from the
# X-Cache header. Printed next to `edgecache-bench replay` on the same
# requests, policy and size.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build=$(cd "${1:-$here/build/release}" && pwd)
proxy_bin="$build/proxy/edgecache-proxy"
bench_bin="$build/bench/edgecache-bench"
trace="$here/../shared/traces/cloudPhysicsIO.oracleGeneral.bin"
duration=${DURATION:-10s}
conns=${CONNECTIONS:-32}
pin_server=() pin_client=() pin_args=()
if [ -n "${PIN:-}" ]; then
  [ "$(nproc)" -ge 2 ] || { echo "proxy-bench: PIN needs at least 2 CPUs" >&2; exit 1; }
  command -v taskset >/dev/null || { echo "proxy-bench: taskset not found (package util-linux)" >&2; exit 1; }
  pin_server=(taskset -c 0)
  pin_client=(taskset -c "1-$(($(nproc) - 1))")
  # The thread count comes from PIN_THREADS: a --threads in PROXY_ARGS too
  # would be given twice, which edgecache-proxy refuses.
  [[ " ${PROXY_ARGS:-} " == *" --threads"* ]] &&
    { echo "proxy-bench: with PIN=1 set the proxy's threads with PIN_THREADS, not PROXY_ARGS" >&2; exit 1; }
  pin_args=(--threads "${PIN_THREADS:-1}")
  NGINX_WORKERS=${NGINX_WORKERS:-1}
fi
wthreads=${THREADS:-$([ -n "${PIN:-}" ] && echo 1 || echo 2)}
replay_requests=${REPLAY_REQUESTS:-20000}
replay_size=${REPLAY_SIZE:-128MiB}
replay_policy=${REPLAY_POLICY:-lru}
work=${WORK:-$build/proxy-bench}
rounds=${ROUNDS:-3}
baseline=${BASELINE:-}

for tool in nginx wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "proxy-bench: $tool not found" >&2; exit 1; }
done
[ -x "$proxy_bin" ] || { echo "proxy-bench: $proxy_bin not built" >&2; exit 1; }
[ -x "$bench_bin" ] || { echo "proxy-bench: $bench_bin not built" >&2; exit 1; }
[ -f "$trace" ] || { echo "proxy-bench: $trace not found" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"/{www,tmp,cache,logs}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work/edgecache-store" "$work/replay-store" "$work/cache"  # keep configs and logs only
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_http() {  # url: up to 10 s
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "proxy-bench: $1 did not come up" >&2
  exit 1
}
# edgecache-proxy on a free port, which it leaves in $started_port (its pid in
# $started_pid). Not
# called in $(...): the pid must reach this shell's `pids` for the EXIT trap.
# args: store capacity policy log [binary [extra options...]]
start_proxy() {
  started_port=$(free_port)
  "${pin_server[@]}" "${5:-$proxy_bin}" --listen "127.0.0.1:$started_port" --origin "http://127.0.0.1:$origin_port" \
    --store "$1" --capacity "$2" --policy "$3" --admin off "${pin_args[@]}" "${@:6}" >"$4" 2>&1 &
  started_pid=$!
  pids+=($!)
}

# ------------------------------------------------------------ part 1: hits
head -c 1024 /dev/urandom >"$work/www/1k.bin"
head -c 102400 /dev/urandom >"$work/www/100k.bin"
origin_port=$(free_port)
nginx_port=$(free_port)
common_http="access_log off;
  client_body_temp_path $work/tmp/client_body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 1000000;"

cat >"$work/origin.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/origin.pid;
error_log $work/logs/origin-error.log;
events { worker_connections 1024; }
http {
  $common_http
  server {
    listen 127.0.0.1:$origin_port;
    root $work/www;
    location / { add_header Cache-Control "max-age=3600"; }
  }
}
EOF
cat >"$work/nginx-cache.conf" <<EOF
daemon off;
worker_processes ${NGINX_WORKERS:-2};
pid $work/nginx-cache.pid;
error_log $work/logs/nginx-cache-error.log;
events { worker_connections 4096; }
http {
  $common_http
  proxy_cache_path $work/cache levels=1:2 keys_zone=edge:16m max_size=1g inactive=1h use_temp_path=off;
  upstream origin { server 127.0.0.1:$origin_port; keepalive 32; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache edge;
      add_header X-Cache \$upstream_cache_status;
    }
  }
}
EOF
nginx -p "$work" -c "$work/origin.conf" -e "$work/logs/origin-error.log" &
pids+=($!)
"${pin_server[@]}" nginx -p "$work" -c "$work/nginx-cache.conf" -e "$work/logs/nginx-cache-error.log" &
nginx_pid=$!
pids+=($!)
wait_http "http://127.0.0.1:$origin_port/1k.bin"
read -r -a proxy_args <<<"${PROXY_ARGS:-}"
start_proxy "$work/edgecache-store" 1GiB lru "$work/logs/edgecache-proxy.log" "$proxy_bin" "${proxy_args[@]}"
proxy_port=$started_port
proxy_pid=$started_pid
wait_http "http://127.0.0.1:$proxy_port/1k.bin"
wait_http "http://127.0.0.1:$nginx_port/1k.bin"
servers=(edgecache-proxy nginx)
declare -A port_of=([edgecache-proxy]=$proxy_port [nginx]=$nginx_port)
declare -A pid_of=([edgecache-proxy]=$proxy_pid [nginx]=$nginx_pid)
if [ -n "$baseline" ]; then
  start_proxy "$work/baseline-store" 1GiB lru "$work/logs/baseline-proxy.log" "$baseline"
  base_port=$started_port
  wait_http "http://127.0.0.1:$base_port/1k.bin"
  servers=(edgecache-proxy "edgecache-proxy (baseline)" nginx)
  port_of["edgecache-proxy (baseline)"]=$base_port
  pid_of["edgecache-proxy (baseline)"]=$started_pid
fi

# Warm every cache and insist on hits.
for port in "${port_of[@]}"; do
  for f in 1k.bin 100k.bin; do
    for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$port/$f"; done
    status=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/$f" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')
    [ "$status" = HIT ] || { echo "proxy-bench: 127.0.0.1:$port/$f not a hit after warm-up ($status)" >&2; exit 1; }
  done
done

# wrk's latency lines are "50%  1.23ms"; normalise to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# How busy the VM was with other people's work during a wrk run: all CPU
# time the kernel accounted (/proc/stat) minus the servers started here
# (nginx workers included) and wrk itself, in CPU-seconds (2 cores = at most
# 2 s per second of wrk). Near 0: a quiet machine; comparable to the run's
# length: someone else held about a core.
hz=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# CPU ticks of one server: the process and its children (nginx's workers).
tree_ticks() {
  local t=0 c
  for c in "$1" $(pgrep -P "$1"); do
    [ -r "/proc/$c/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat")))
  done
  echo "$t"
}
# ... and of every process started here.
server_ticks() {
  local t=0 p
  for p in "${pids[@]}"; do t=$((t + $(tree_ticks "$p"))); done
  echo "$t"
}
# Other processes' CPU ticks over the next 3 s (nothing of ours runs then).
other_ticks_3s() {
  local b0 s0
  b0=$(busy_ticks) s0=$(server_ticks)
  sleep 3
  echo $(( $(busy_ticks) - b0 - ($(server_ticks) - s0) ))
}
wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-0}))
  while [ "$SECONDS" -lt "$deadline" ] && [ "$(other_ticks_3s)" -gt $((hz * 45 / 100)) ]; do :; done
}
echo "run $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) before"
echo
rows=()
for size in 1k 100k; do
  declare -A rps_runs=() p50_runs=() p90_runs=() p99_runs=() err_runs=() other_runs=() cpu_runs=() wrk_runs=()
  # Rounds interleave the servers (A B C A B C ...) so that the VM's slow
  # phases hit every server alike; the table reports per-server medians.
  for round in $(seq "$rounds"); do
    wait_quiet
    for which in "${servers[@]}"; do
      port=${port_of[$which]}
      b0=$(busy_ticks) s0=$(server_ticks) t0=$(tree_ticks "${pid_of[$which]}")
      # wrk's own CPU time: its parent shell's waited-for children ticks.
      out=$("${pin_client[@]}" sh -c 'wrk "$@"; echo "wrk-ticks $(awk "{print \$16 + \$17}" /proc/$$/stat)"' wrk \
        -t"$wthreads" -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port/$size.bin")
      b1=$(busy_ticks) s1=$(server_ticks) t1=$(tree_ticks "${pid_of[$which]}")
      echo "$out" >"$work/logs/wrk-${which// /_}-$size-$round.txt"
      # A server that died would otherwise show up as a row of zeros.
      if ! kill -0 "${pid_of[$which]}" 2>/dev/null; then
        wait "${pid_of[$which]}" && status=0 || status=$?
        echo "proxy-bench: $which exited (status $status) by round $round of $size; logs in $work/logs" >&2
        exit 1
      fi
      other_runs[$which]+="$(echo "$out" | awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v hz="$hz" \
        '/^wrk-ticks/ { o = (b - s - $2) / hz; printf "%.1f", o < 0 ? 0 : o }') "
      # The server's CPU per request (user + kernel, /proc ticks) and wrk's
      # CPU as a share of one core: near 100% x wrk threads, the client and
      # not the server set the round's requests/s.
      cpu_runs[$which]+="$(echo "$out" | awk -v t=$((t1 - t0)) -v hz="$hz" \
        '/ requests in / { printf "%.1f", ($1 > 0 ? t * 1e6 / hz / $1 : 0) }') "
      wrk_runs[$which]+="$(echo "$out" | awk -v hz="$hz" '/ requests in / { secs = $4 + 0 }
        /^wrk-ticks/ { printf "%.0f", (secs > 0 ? 100 * $2 / hz / secs : 0) }') "
      rps_runs[$which]+="$(echo "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}') "
      p50_runs[$which]+="$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')") "
      p90_runs[$which]+="$(to_ms "$(echo "$out" | awk '$1=="90%" {print $2}')") "
      p99_runs[$which]+="$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')") "
      err_runs[$which]+="$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')"
    done
  done
  for which in "${servers[@]}"; do
    med() { echo "$1" | tr ' ' '\n' | grep -v '^$' | median; }
    rows+=("| $which | ${size/k/ KiB} | $(med "${rps_runs[$which]}") | $(med "${p50_runs[$which]}") | $(med "${p90_runs[$which]}") | $(med "${p99_runs[$which]}") | ${rps_runs[$which]% } | ${p99_runs[$which]% } | ${cpu_runs[$which]% } | ${wrk_runs[$which]% } | ${other_runs[$which]% } | ${err_runs[$which]:-none} |")
  done
  unset rps_runs p50_runs p90_runs p99_runs err_runs other_runs cpu_runs wrk_runs
done

echo "### Cache hits: wrk -t$wthreads -c$conns -d$duration --latency, $rounds interleaved rounds (loopback, $([ -n "${PIN:-}" ] && echo "caches pinned to CPU 0, wrk to the others" || echo "same 2 cores"))"
echo
echo "| server | object | requests/s (median) | p50 ms | p90 ms | p99 ms | requests/s per round | p99 ms per round | server CPU µs per request, per round | wrk CPU % of a core, per round | other processes' CPU-s per round | errors |"
echo "|---|---|---:|---:|---:|---:|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "A round with wrk at ~100% x $wthreads thread(s) was client-bound: its requests/s is wrk's ceiling on this machine, not the server's; the server's CPU per request then says which server does less work per hit."
echo
echo "edgecache-proxy: $([ -n "${PIN:-}" ] && echo "${PIN_THREADS:-1} I/O thread(s) (PIN)" || echo "default I/O threads (two per core: $((2 * $(nproc))) here)"), RocksDB store, default hot tier${PROXY_ARGS:+, options $PROXY_ARGS}; nginx: ${NGINX_WORKERS:-2} workers, proxy_cache on disk (page cache), upstream keepalive. Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
[ -n "${SKIP_REPLAY:-}" ] && exit 0

# ----------------------------------------------------- part 2: trace replay
cat >"$work/size_origin.py" <<'EOF'
# GET /obj/<id>?size=<n> -> n bytes, Cache-Control: max-age=3600 (HTTP/1.1 keep-alive).
import sys, socket, http.server, socketserver
from urllib.parse import urlsplit, parse_qs
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        # Head and body are two writes: without NODELAY the body waits for a delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        q = parse_qs(urlsplit(self.path).query)
        n = int(q.get("size", ["0"])[0])
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(b"x" * n)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
cat >"$work/replay_client.py" <<'EOF'
# Replays the first N requests of an oracleGeneral trace (24-byte records:
# u32 time, u64 id, u32 size, i64 next) through the proxy, one at a time on
# one keep-alive connection; counts X-Cache: HIT and checks body lengths.
import sys, struct, http.client
trace, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(trace, "rb").read(24 * n)
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
hits = reqs = bad = 0
for i in range(len(data) // 24):
    _, oid, size, _ = struct.unpack_from("<IQIq", data, 24 * i)
    conn.request("GET", f"/obj/{oid}?size={size}")
    r = conn.getresponse()
    body = r.read()
    reqs += 1
    if r.status != 200 or len(body) != size: bad += 1
    if r.getheader("X-Cache") == "HIT": hits += 1
print(reqs, hits, bad)
EOF
origin_port=$(free_port)
python3 "$work/size_origin.py" "$origin_port" &
pids+=($!)
wait_http "http://127.0.0.1:$origin_port/obj/0?size=1"
start_proxy "$work/replay-store" "$replay_size" "$replay_policy" "$work/logs/replay-proxy.log"
replay_proxy=$started_port
# Wait for the log line rather than probing (a probe would be one extra cached object).
for _ in $(seq 200); do grep -q 'listening on' "$work/logs/replay-proxy.log" && break; sleep 0.1; done
grep -q 'listening on' "$work/logs/replay-proxy.log" || { echo "proxy-bench: replay proxy did not start" >&2; exit 1; }
t0=$(date +%s.%N)
read -r reqs hits bad < <(python3 "$work/replay_client.py" "$trace" "$replay_requests" "$replay_proxy")
t1=$(date +%s.%N)
sim=$("$bench_bin" replay --trace "$trace" --requests "$replay_requests" --policy "$replay_policy" --size "$replay_size" 2>&1)
echo "$sim" >"$work/logs/edgecache-bench-replay.txt"

echo "### Trace replay: first $replay_requests requests of cloudPhysicsIO.oracleGeneral.bin, $replay_policy, $replay_size"
echo
awk -v r="$reqs" -v h="$hits" -v b="$bad" -v s="$(echo "$t1 - $t0" | bc)" 'BEGIN {
  printf "edgecache-proxy (RocksDB store, sequential GETs): %d requests, %d hits, hit ratio %.4f, miss ratio %.4f, %d bad responses, %.1f s\n",
         r, h, h / r, 1 - h / r, b, s }'
echo
echo "\`edgecache-bench replay --trace $trace --requests $replay_requests --policy $replay_policy --size $replay_size\`:"
echo
echo '```'
echo "$sim" | grep -v '^replaying' | sed 's/\r.*//' | grep -v '^$'
echo '```'
