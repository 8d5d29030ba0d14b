#!/usr/bin/env bash
# make demo: the main job on built-in defaults. With no arguments it uses a
# seeded synthetic media workload (rotating hot set, 1M requests):
#   1. miss-ratio curves of every policy (build/demo/mrc.png);
#   2. the controllers side by side in dollars — a fixed 1 GiB LRU cache,
#      size-only, joint-greedy and the DRL agent (default model) — with
#      hit ratio, capacity and policy over time (build/demo/controllers.png).
# Pass a real trace with: make demo ARGS="--trace ../shared/traces/adaptsize_web.tr"
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR [trace options]}
shift
out=build/demo
mkdir -p "$out"
bin="$build/bench/edgecache-bench"
echo "== 1/2 miss-ratio curves: edgecache-bench mrc --policies all $*"
"$bin" mrc --policies all --sizes 0.5%,1%,2%,5%,10%,20%,40% --plot "$out/mrc.png" "$@"
echo
echo "== 2/2 controllers: edgecache-bench compare $*"
"$bin" compare --controllers static:lru:1GiB,size-only,joint-greedy,drl \
  --plot "$out/controllers.png" --timeline "$out/controllers.csv" "$@"
echo
echo "== plots: $out/mrc.png $out/controllers.png; per-window decisions: $out/controllers.csv"
