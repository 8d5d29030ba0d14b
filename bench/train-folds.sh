#!/usr/bin/env bash
# Leave-one-trace-out models for the DRL agent (bench/RESULTS.md, "The DRL
# agent against the baselines"). For every fold — cloudPhysicsIO (its .bin and
# .csv copies hold the same requests and are held out together),
# adaptsize_web, tencent_photo_sample, nasa_http — it
#   1. trains a model on the five synthetic presets (randomised workloads)
#      plus every other costed shared trace (the default model's recipe with
#      --trace ... --hold-out FOLD),
#   2. distils its edge student (int8 32x16, plain C++ inference: the shipped
#      edge model's recipe) on randomised synthetic workloads plus the fold's
#      training traces, and profiles it against its teacher on the held-out
#      trace(s) only,
# writing OUT_DIR/FOLD.ecdrl, OUT_DIR/FOLD-edge.ecdrl, logs and profile CSVs.
# cache2k_web07 has no object sizes (every dollar figure is ~0): it is neither
# a training trace nor a fold; evaluate it with any of the models.
# The models are not in git (they are reproducible: every step is seeded).
# ~4-6 min per fold on the shared 2-core machine.
# Usage: bench/train-folds.sh BUILD_DIR [OUT_DIR] [FOLD...]
set -euo pipefail
build=${1:?usage: train-folds.sh BUILD_DIR [OUT_DIR] [FOLD...]}
out=${2:-build/folds}
shift $(($# < 2 ? $# : 2))
mkdir -p "$out"
agent="$build/agent/edgecache-agent"
shared="$(cd "$(dirname "$0")/.." && pwd)/../shared/traces"
costed=(cloudPhysicsIO.oracleGeneral.bin cloudPhysicsIO.csv adaptsize_web.tr tencent_photo_sample.txt
        nasa_http_19950701_10k.tr)
folds=("$@")
[ ${#folds[@]} -gt 0 ] || folds=(cloudPhysicsIO adaptsize_web tencent_photo_sample nasa_http_19950701_10k)
# The default model's command (agent/README.md) without --out.
recipe=(--synthetic stationary --synthetic rotating --synthetic flash --synthetic arrivals --synthetic video
        --randomize-workloads --reward-unit greedy --imitation-expert hindsight --seed 1 --imitation-episodes 60
        --episodes 48 --episodes-per-update 16 --lr 1e-4 --entropy-policy 0 --entropy-capacity 0 --eval-every 1)

group() { local n=${1##*/}; echo "${n%%.*}"; }

for fold in "${folds[@]}"; do
  train=() held=() distill=()
  for t in "${costed[@]}"; do
    train+=(--trace "$shared/$t")
    if [ "$(group "$t")" = "$fold" ]; then held+=(--trace "$shared/$t"); else distill+=(--distill-trace "$shared/$t"); fi
  done
  [ ${#held[@]} -gt 0 ] || { echo "train-folds.sh: no shared trace in fold '$fold'" >&2; exit 1; }
  echo "== fold $fold: training" >&2
  "$agent" train "${recipe[@]}" "${train[@]}" --hold-out "$fold" --out "$out/$fold.ecdrl" 2> "$out/$fold.train.log"
  tail -n 1 "$out/$fold.train.log" >&2
  echo "== fold $fold: edge student" >&2
  rm -rf "$out/$fold-versions"
  "$agent" profile --model "$out/$fold.ecdrl" "${held[@]}" --sampling 0.1 --students 32x16 --pruned "" \
    --distill-randomized 4 "${distill[@]}" --versions-dir "$out/$fold-versions" \
    --csv "$out/$fold-edge.csv" > /dev/null 2> "$out/$fold.edge.log"
  cp "$out/$fold-versions/student-32x16-int8-plain.ecdrl" "$out/$fold-edge.ecdrl"
  grep -E '^(version|full-fp32-torch|student-32x16-int8-plain),' "$out/$fold-edge.csv" >&2
done
