#!/usr/bin/env bash
# make demo: the main job on built-in defaults. With no arguments it replays a
# seeded synthetic media workload (rotating hot set) through every policy at
# six cache sizes and draws the miss-ratio curves; pass --trace FILE (and
# --format F) to use a real trace: make demo ARGS="--trace ../shared/traces/adaptsize_web.tr"
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR [edgecache-bench mrc options]}
shift
out=build/demo
mkdir -p "$out"
bin="$build/bench/edgecache-bench"
echo "== edgecache demo: miss-ratio curves (edgecache-bench mrc $*)"
"$bin" mrc --policies all --sizes 0.5%,1%,2%,5%,10%,20%,40% --plot "$out/mrc.png" "$@"
echo "== plot: $out/mrc.png"
