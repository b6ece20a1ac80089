#!/usr/bin/env bash
# Ship a training run as the bundled model and re-measure every recorded figure of it, in the order
# the docs report them: export (bundled ONNX), precision graphs with their accuracy gates, mIoU of
# each graph on synthetic validation and on the real drawings, the benchmark table, the predict
# overhead, the symbol classifier for the new model and the symbol figures (measure_symbols.sh).
# 60-90 minutes on the 2-core development machine (the classifier: 30-45; the first time also 3 minutes
# of broken-wire sheets for it).
#
#   scripts/refresh_reference.sh runs/NAME
#   CLASSIFIER=training/checkpoints/NAME-symbol_classifier.onnx scripts/refresh_reference.sh runs/NAME
#                                   # a classifier already trained for these weights: copied, not trained again
#   SYNTH_TRAIN=data/synth-train-v4 scripts/refresh_reference.sh runs/NAME
#                                   # the synthetic training set the run used (int8 calibration, classifier)
#
# Needs the datasets of docs/training.md ("How the bundled model was made"): data/synth-train, data/synth-val,
# data/ci2n-eval, data/ci2n-train-all; and the dev install (`make test` creates it). Logs go to runs/NAME/post/.
# Afterwards: `schemseg bench --readme-table benchmarks/results/<file>.json` (rewrites the table of
# docs/performance.md), and update the figures quoted in docs/model-card.md and README.md from
# benchmarks/results/ (CONTRIBUTING.md, "Shipping a new model").
set -euo pipefail

RUN=${1:?usage: scripts/refresh_reference.sh runs/NAME}
BIN=${BIN:-.venv/bin}
RESULTS=benchmarks/results
MODEL=sdk/schemseg_sdk/models/reference.onnx
LOGS=$RUN/post
SYNTH_TRAIN=${SYNTH_TRAIN:-data/synth-train}
needed="$SYNTH_TRAIN data/synth-val data/ci2n-eval"
[ -n "${CLASSIFIER:-}" ] || needed="$needed data/ci2n-train-all"
for d in $needed; do
    [ -d "$d" ] || { echo "missing $d: create it with the commands in docs/training.md" >&2; exit 2; }
done
step() { echo "== $(date +%H:%M:%S) $*"; }
mkdir -p "$LOGS" engines "$RESULTS"
if [ -z "${CLASSIFIER:-}" ] && [ ! -d data/synth-broken-x150 ]; then  # the classifier's broken-wire crossovers
    step "broken-wire sheets for the classifier: the first 150 of seed 9 that hold a crossover"
    [ -d data/synth-broken ] || "$BIN/schemseg" synth --out data/synth-broken --count 1200 --seed 9 --workers 2 --broken-wire-share 1.0
    mkdir -p data/synth-broken-x150/images data/synth-broken-x150/masks data/synth-broken-x150/boxes
    cp data/synth-broken/dataset.json data/synth-broken-x150/
    for box in $(grep -l '"crossover"' data/synth-broken/boxes/*.json | head -n 150); do
        name=$(basename "$box" .json)
        ln -f "$box" data/synth-broken-x150/boxes/
        ln -f "data/synth-broken/images/$name.png" data/synth-broken-x150/images/
        ln -f "data/synth-broken/masks/$name.png" data/synth-broken-x150/masks/
    done
fi


step export
"$BIN/schemseg" export "$RUN/best.pt" --out "$MODEL" 2>&1 | tee "$LOGS/export.log"
cp "$MODEL" engines/reference.onnx

step "int8 graphs + gate (entropy calibration, the default; exit 3 = a graph failed its gate: recorded, not fatal here)"
set +e
"$BIN/schemseg-build-engine" engines/reference.onnx --int8 --calib "$SYNTH_TRAIN" --calib-count 32 \
    --val data/synth-val --val-count 30 --onnx-only --out engines > "$LOGS/build-int8.log" 2>&1
echo "int8 build exit code: $?" | tee -a "$LOGS/build-int8.log"
set -e
step "fp16 graph + gate (exit 3 = failed its gate: recorded, not fatal here)"
set +e
"$BIN/schemseg-build-engine" engines/reference.onnx --fp16 --val data/synth-val --val-count 30 \
    --onnx-only --out engines > "$LOGS/build-fp16.log" 2>&1
echo "fp16 build exit code: $?" | tee -a "$LOGS/build-fp16.log"
set -e
for p in int8 fp16; do
    for ext in json txt; do
        src="engines/reference.$p.gate.$ext"
        if [ -f "$src" ]; then cp "$src" "$RESULTS/gate-reference-$p.$ext"; else echo "no $src: see $LOGS/build-$p.log" >&2; fi
    done
done

for graph in fp32:reference.onnx fp16:reference.fp16.onnx int8:reference.int8.onnx int8-cpu:reference.int8-cpu.onnx; do
    name=${graph%%:*}
    file=engines/${graph#*:}
    for set in synth-val ci2n; do
        data=data/$set; [ "$set" = ci2n ] && data=data/ci2n-eval
        step "eval $name on $set"
        "$BIN/schemseg" eval --model "$file" --data "$data" --threads 2 --no-group \
            --json "$RESULTS/eval-$name-$set.json" > "$LOGS/eval-$name-$set.log" 2>&1
        tail -n 3 "$LOGS/eval-$name-$set.log"
    done
done

step benchmark
"$BIN/schemseg-bench" --model engines/reference.onnx --checkpoint "$RUN/best.pt" \
    --backends torch,ort,ort-int8,trt-fp16,trt-int8 --batch 1,4 --warmup 2 --iterations 8 --threads 2 \
    --data data/synth-val --data-limit 20 > "$LOGS/bench.log" 2>&1
tail -n 12 "$LOGS/bench.log"

step "predict overhead"
"$BIN/python" benchmarks/predict_overhead.py --reps 7 2>&1 | tee "$LOGS/predict-overhead.log"

if [ -n "${CLASSIFIER:-}" ]; then  # one already trained for these weights (training/checkpoints/)
    step "symbol classifier: $CLASSIFIER"
    cp "$CLASSIFIER" sdk/schemseg_sdk/models/symbol_classifier.onnx
else
    step "symbol classifier for the new model (the bundled one is used only with the model it was trained for)"
    "$BIN/schemseg" train-classifier --data "$SYNTH_TRAIN" --data data/synth-broken-x150 --symbols-only data/ci2n-train-all --limit 1200 --merge-gap 3 --epochs 10 \
        --val data/synth-val --threads 2 --out sdk/schemseg_sdk/models/symbol_classifier.onnx 2>&1 | tee "$LOGS/classifier.log"
fi

step "symbols (grouping on and off, counts, grouping cost, demo bill)"
BIN="$BIN" NICE= benchmarks/measure_symbols.sh "$MODEL" 2>&1 | tee "$LOGS/symbols.log"
step done
