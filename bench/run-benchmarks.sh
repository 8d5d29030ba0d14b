#!/usr/bin/env bash
# make bench: replay throughput (trace decoded in memory first; replay loop
# timed alone, one thread, best of 7 in-process repeats) for the policies the foundation
# issue names, on the cloudPhysicsIO trace and on a 10M-request / 1M-object
# synthetic trace. Prints markdown; also saved to build/bench-results.md.
set -euo pipefail
build=${1:?usage: run-benchmarks.sh BUILD_DIR}
bin="$build/bench/edgecache-bench"
out=build/bench-results.md
shared="$(cd "$(dirname "$0")/.." && pwd)/../shared/traces"
policies=lru,fifo,clock,sieve,s3fifo,arc,lfuda,gdsf

rows="$(dirname "$0")/json_rows.py"
# One process per policy, the replay repeated in-process and the fastest run
# kept: steady-state throughput without first-touch page faults of a
# 3-millisecond replay. Args: --trace FILE --size SIZE
throughput() {
  for p in ${policies//,/ }; do "$bin" replay --policy "$p" --repeat 7 --json "$@" 2>/dev/null; done
}

{
  echo "## Replay throughput ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "Command: \`make bench\` (bench/run-benchmarks.sh)"
  echo
  if [ -f "$shared/cloudPhysicsIO.oracleGeneral.bin" ]; then
    echo "### cloudPhysicsIO.oracleGeneral.bin at 512 MiB (113,872 requests, 48,974 objects)"
    echo
    throughput --trace "$shared/cloudPhysicsIO.oracleGeneral.bin" --size 512MiB | "$rows" table
    echo
  else
    echo "(../shared/traces absent: cloudPhysicsIO figures skipped)"
  fi
  echo "### synthetic stationary Zipf(0.9), 10M requests, 1M objects, cache = 10% of the working set"
  echo
  syn="build/bench-synthetic-10M.oracleGeneral.bin"
  [ -f "$syn" ] || "$bin" convert --synthetic stationary --requests 10000000 --objects 1000000 --out "$syn" >&2
  throughput --trace "$syn" --size 10% | "$rows" table
  echo
  echo "### Window features + shadow caches: replay slowdown (LRU at 10% of the working set, 8 policies x 12 sizes)"
  echo
  echo '```'
  "$bin" overhead --trace "$syn" --rates 0.01,0.001 2>/dev/null
  if [ -f "$shared/cloudPhysicsIO.oracleGeneral.bin" ]; then
    "$bin" overhead --trace "$shared/cloudPhysicsIO.oracleGeneral.bin" --rates 0.1,0.01,0.001 --window 10000 2>/dev/null
  fi
  echo '```'
  echo
  if [ -f "$shared/cloudPhysicsIO.oracleGeneral.bin" ]; then
    echo "### Shadow (what-if) estimates vs exact simulation"
    echo
    echo '```'
    for t in cloudPhysicsIO.oracleGeneral.bin adaptsize_web.tr; do
      "$bin" shadow-error --trace "$shared/$t" --window 10000 2>/dev/null
    done
    "$bin" shadow-error --trace "$syn" --rates 0.01,0.001 2>/dev/null
    echo '```'
    echo
  fi
  echo "### Per-object policy metadata"
  echo
  echo '```'
  "$bin" policies
  echo '```'
} | tee "$out"
