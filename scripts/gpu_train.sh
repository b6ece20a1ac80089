#!/usr/bin/env bash
# Train reference model v2 on a lent GPU machine, from the committed checkpoint, within a time budget,
# and bring back a resumable weights-only checkpoint. Runs ON the GPU machine, in the repo root:
#
#   scripts/gpu_train.sh OUT [MINUTES]          (default 6 minutes of training)
#
# Validates (and keeps best.pt) on the first 50 sheets of the seed-4 tuning set and the 100 held-out CI2N
# drawings, as the CPU runs since phase 7 do: never on the measured synthetic validation set (seed 2).
# Needs .gpu/ from scripts/gpu_train_pack.sh (carried: `carry: [".gpu"]`). Makes the synthetic
# data there (same seeds as the CPU runs, so the same sheets; since session 13 also synth-broken, every
# crossover a broken wire, which the phase-4 model never learnt), imports the carried real drawings,
# resumes $RESUME (default training/checkpoints/reference.pt) with bf16 autocast, stops after
# MINUTES with SIGTERM (which saves last.pt), and writes into OUT: last-weights.pt (fp16, resumable),
# best-weights.pt, metrics.csv, curves.png and train.log. Env: BATCH (32), SIZE (256), EPOCHS (40),
# LR (1e-3), WORKERS (12), BROKEN (the broken-wire sheets' weight, 0.5), FOCUS (e.g. "orifice_plate:0.5
# crossover:0.5": symbol-centred crops on those classes, `schemseg train --focus`), INIT=1 (a new run
# from $RESUME's weights with a fresh optimiser and schedule, `--init`, instead of `--resume`).
# The phase-8 recipe of training/TRAINING_LOG.md:
#   INIT=1 FOCUS="orifice_plate:0.5 crossover:0.5" BROKEN=0.3 LR=2e-4 EPOCHS=8 scripts/gpu_train.sh OUT 8
# Every step runs under `timeout`; nothing is downloaded.
set -u
OUT=${1:?usage: scripts/gpu_train.sh OUT [MINUTES]}
MINUTES=${2:-6}
RESUME=${RESUME:-training/checkpoints/reference.pt}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .gpu/whl/*.whl \
    || { echo "wheel install failed: run scripts/gpu_train_pack.sh and carry .gpu" | tee "$OUT/train.log"; exit 2; }
export PYTHONPATH=/tmp/site:$PWD/sdk:$PWD/training
S="python3 -m schemseg_sdk"
D=/tmp/schemseg-data
W=${WORKERS:-12}
START=(--resume "$RESUME")
[ "${INIT:-0}" = 1 ] && START=(--init "$RESUME")
FOCUS_ARGS=()
for f in ${FOCUS:-}; do FOCUS_ARGS+=(--focus "$f"); done
{
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  timeout 300 $S synth --out $D/synth-train --count 1200 --seed 1 --workers "$W" >/dev/null &&
  timeout 120 $S synth --out $D/synth-tune4 --count 50 --seed 4 --workers "$W" >/dev/null &&
  timeout 300 $S synth --out $D/synth-broken --count 1200 --seed 9 --workers "$W" --broken-wire-share 1.0 >/dev/null &&
  timeout 300 $S data import-labelme .gpu/ci2n-train --out $D/ci2n-train --map ci2n --unboxed-text ignore | tail -n 3 &&
  timeout 120 $S data import-labelme .gpu/ci2n-val --out $D/ci2n-val --map ci2n --unboxed-text ignore | tail -n 3
  echo "data ready after ${SECONDS}s"
  timeout -s TERM -k 60 "$((MINUTES * 60))" $S train --model attention_unetpp_lite0 \
      --decoder-channels 128,64,32,16,16 --data $D/synth-train:1 --data $D/ci2n-train:1 --data "$D/synth-broken:${BROKEN:-0.5}" \
      --val $D/synth-tune4 --val $D/ci2n-val --val-limit 50 --out /tmp/run --device cuda \
      --epochs "${EPOCHS:-40}" --batch "${BATCH:-32}" --size "${SIZE:-256}" --lr "${LR:-1e-3}" \
      --workers "$W" "${START[@]}" "${FOCUS_ARGS[@]}"
  echo "train exit code $? after ${SECONDS}s"
  for f in last best; do
    [ -f /tmp/run/$f.pt ] && timeout 120 $S model weights /tmp/run/$f.pt --out "$OUT/$f-weights.pt"
  done
  cp /tmp/run/metrics.csv /tmp/run/curves.png "$OUT/" 2>/dev/null
} 2>&1 | tr '\r' '\n' > "$OUT/train.log"
tail -n 25 "$OUT/train.log"
