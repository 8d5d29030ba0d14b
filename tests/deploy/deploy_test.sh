#!/usr/bin/env bash
# deploy/ test: the operator files are valid and agree with the proxy.
#  1. promtool check config / check rules / test rules (alerts fire on the
#     series that should trigger them, nothing else);
#  2. the Grafana dashboard is JSON and each of its PromQL queries parses
#     (checked by promtool as recording rules);
#  3. the example TOML config is accepted by edgecache-proxy --check-config;
#  4. every edgecache_* metric the dashboard and the alerts query is exported
#     by a running proxy's /metrics (real process, real sockets).
# Usage: deploy_test.sh EDGECACHE_PROXY_BINARY DEPLOY_DIR
set -euo pipefail
proxy=${1:?usage: deploy_test.sh PROXY_BINARY DEPLOY_DIR}
deploy=${2:?usage: deploy_test.sh PROXY_BINARY DEPLOY_DIR}
command -v promtool >/dev/null || { echo "deploy_test: promtool not found (Debian package prometheus)" >&2; exit 1; }
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "deploy_test: FAIL: $*" >&2; exit 1; }

echo "== promtool on deploy/prometheus.yml and the alert rules"
promtool check config "$deploy/prometheus.yml" >/dev/null || fail "promtool check config"
promtool check rules "$deploy/edgecache-alerts.yml" >/dev/null || fail "promtool check rules"
(cd "$deploy" && promtool test rules edgecache-alerts.test.yml) || fail "promtool test rules"

echo "== dashboard queries parse"
python3 - "$deploy/grafana-dashboard.json" "$work/dashboard-rules.yml" "$work/dashboard-metrics.txt" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
assert exprs, "dashboard has no queries"
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$instance", ".+")
        out.write(f"      - record: dashboard:q{i}\n        expr: {json.dumps(e)}\n")
names = set()
for e in exprs:
    names.update(re.findall(r"\bedgecache_[a-z_]+", e))
open(sys.argv[3], "w").write("\n".join(sorted(names)) + "\n")
PY
promtool check rules "$work/dashboard-rules.yml" >/dev/null || fail "a dashboard query does not parse"
grep -o 'edgecache_[a-z_]*' "$deploy/edgecache-alerts.yml" >> "$work/dashboard-metrics.txt"

echo "== example config accepted"
"$proxy" --config "$deploy/edgecache-proxy.toml" --check-config || fail "edgecache-proxy rejects deploy/edgecache-proxy.toml"
# ... and a broken one refused with a line naming the field.
sed 's/^capacity = .*/capacity = "lots"/' "$deploy/edgecache-proxy.toml" > "$work/bad.toml"
if err=$("$proxy" --config "$work/bad.toml" --check-config 2>&1); then fail "a bad capacity was accepted"; fi
echo "$err" | grep -q "capacity" || fail "the error does not name the field: $err"
# The hindsight oracle cannot run live: refused, not run in name only.
if err=$("$proxy" --config "$deploy/edgecache-proxy.toml" --controller oracle --check-config 2>&1); then
  fail "--controller oracle was accepted"
fi
echo "$err" | grep -q "offline only" || fail "the oracle's refusal does not say why: $err"

echo "== metrics queried by the dashboard and alerts exist in /metrics"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
listen=$(port); admin=$(port)
"$proxy" --store memory: --listen "127.0.0.1:$listen" --admin "127.0.0.1:$admin" \
  --origin "http://127.0.0.1:$(port)" >"$work/proxy.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/metrics" -o "$work/metrics.txt" && break; sleep 0.1; done
[ -s "$work/metrics.txt" ] || fail "no /metrics from the proxy ($(cat "$work/proxy.log"))"
missing=0
for m in $(sort -u "$work/dashboard-metrics.txt"); do
  base=${m%_bucket}; base=${base%_count}; base=${base%_sum}
  if ! grep -q "^# TYPE $base " "$work/metrics.txt"; then
    echo "deploy_test: $m is queried but the proxy does not export $base" >&2
    missing=1
  fi
done
[ $missing -eq 0 ] || fail "metrics missing from /metrics"
echo "deploy_test: ok"
