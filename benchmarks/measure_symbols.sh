#!/usr/bin/env bash
# Symbol figures of a model: pixel mIoU and symbol F1 with and without grouping, per-class counts,
# and what grouping costs against inference, on synthetic validation and on the real drawings;
# then the demo with its bill of symbols. About 15 minutes on the idle 2-core development machine.
#
#   benchmarks/measure_symbols.sh [MODEL.onnx]      # default: the bundled reference model
#
# Writes benchmarks/results/symbols-NAME-{synth-val,ci2n}.json and out/demo/ (overlays, JSON,
# bill.csv, bill.counts.csv). The raw predictions are cached in data/predictions/NAME-SHA-SET/
# (SHA: the model file's sha256 prefix), so a rerun only scores again; a new model infers afresh. Rerun it whenever the bundled model changes, then update the
# "Symbols" table of README.md from the two JSON files.
set -euo pipefail

MODEL=${1:-sdk/schemseg_sdk/models/reference.onnx}
NAME=$(basename "$MODEL" .onnx)
KEY=$(sha256sum "$MODEL" | cut -c1-12)  # cached predictions belong to this exact model file
BIN=${BIN:-.venv/bin}
RESULTS=benchmarks/results
NICE=${NICE-nice -n 10}  # NICE= runs at normal priority

step() { echo "== $(date +%H:%M:%S) $*"; }

# the datasets must record their symbols' boxes (boxes/): made by this version's synth and import
if [ ! -d data/synth-val/boxes ]; then
    step "synthetic validation with boxes"
    rm -rf data/synth-val
    $NICE "$BIN/schemseg" synth --out data/synth-val --count 100 --seed 2 --workers 2 --preview
fi
if [ ! -d data/ci2n-eval/boxes ]; then
    step "real drawings with boxes"
    rm -rf data/ci2n-eval
    $NICE "$BIN/schemseg" data import-labelme ../shared/data/ci2n-dev --out data/ci2n-eval --map ci2n-scoring --score-dark-only
fi
mkdir -p "$RESULTS"
# raw predictions are kept in data/predictions/NAME-SHA-SET/; grouping is timed afresh on 20 synthetic 600x600 sheets
for set in synth-val:data/synth-val:20 ci2n:data/ci2n-eval:0; do
    IFS=: read -r tag data timing <<< "$set"
    step "symbols on $tag"
    $NICE "$BIN/python" benchmarks/measure_symbols.py --model "$MODEL" --data "$data" --threads 2 \
        --predictions "data/predictions/$NAME-$KEY-$tag" --timing-sheets "$timing" \
        --json "$RESULTS/symbols-$NAME-$tag.json"
done
step "demo: symbol table and bill of symbols"
$NICE "$BIN/schemseg" segment sdk/schemseg_sdk/examples --model "$MODEL" --out out/demo --csv out/demo/bill.csv --force
step done
