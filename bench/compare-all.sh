#!/usr/bin/env bash
# The controller comparison of bench/RESULTS.md: every trace in ../shared/traces
# and three seeded synthetic drift scenarios, default prices, window 10,000
# requests (1,000 for traces under 10,000 requests), capacity range 1%..100%
# of each trace's working set.
# Usage: bench/compare-all.sh BUILD_DIR [OUT_DIR]   (markdown on stdout)
# CONTROLLERS may name per-trace models with {fold}, replaced by the trace's
# fold group (file name up to the first '.'; bench/train-folds.sh writes
# build/folds/GROUP.ecdrl): e.g. drl:build/folds/{fold}.ecdrl. An entry whose
# model file does not exist for a trace (synthetic scenarios, cache2k) is
# left out of that trace's run.
set -euo pipefail
build=${1:?usage: compare-all.sh BUILD_DIR [OUT_DIR]}
out=${2:-build/compare}
mkdir -p "$out"
bin="$build/bench/edgecache-bench"
shared="$(cd "$(dirname "$0")/.." && pwd)/../shared/traces"
controllers=${CONTROLLERS:-static:lru:1GiB,size-only,strategy-only,strategy-only:experts,joint-greedy,oracle}

# The controllers for one trace: {fold} substituted, missing model files dropped.
controllers_for() {  # fold group
  local out="" c path
  IFS=, read -ra entries <<< "$controllers"
  for c in "${entries[@]}"; do
    if [[ $c == *"{fold}"* ]]; then
      c=${c//\{fold\}/$1}
      path=${c#*:}
      [ -n "$1" ] && [ -f "$path" ] || continue
    fi
    out+=${out:+,}$c
  done
  echo "$out"
}

run() {  # name, fold group ("" for none), then edgecache-bench compare trace options
  local name=$1 fold=$2; shift 2
  local ctl
  ctl=$(controllers_for "$fold")
  echo "### $name"
  echo
  echo "\`edgecache-bench compare $* --controllers $ctl --timeline $out/$name.csv --plot $out/$name.png\`"
  echo
  echo '```'
  "$bin" compare "$@" --controllers "$ctl" --timeline "$out/$name.csv" --plot "$out/$name.png" 2>&1 |
    grep -v '^wrote '
  echo '```'
  echo
}

for t in cloudPhysicsIO.oracleGeneral.bin cloudPhysicsIO.csv adaptsize_web.tr cache2k_web07.u32be; do
  if [ -f "$shared/$t" ]; then run "$(echo "$t" | tr . -)" "${t%%.*}" --trace "$shared/$t"; fi
done
# Under 10,000 requests: a window of 1,000 so controllers get to decide.
for t in tencent_photo_sample.txt nasa_http_19950701_10k.tr; do
  if [ -f "$shared/$t" ]; then run "$(echo "$t" | tr . -)" "${t%%.*}" --trace "$shared/$t" --window 1000; fi
done
for s in stationary rotating flash; do
  run "synthetic-$s" "" --synthetic "$s" --seed 42
done
