#!/usr/bin/env bash
# GPU check for the TensorRT backend and the CUDA memory module, in under 8 minutes.
#
#   scripts/gpu_check.sh OUTDIR        (env: PYTHON=..., ENGINE=path/to/x.fp16.engine)
#
# Installs nothing and fetches nothing. Runs the GPU-marked tests (pytest -m gpu), a transfer
# benchmark of the CUDA memory module (pinned vs pageable, 608x608 uint8 batches) and, when
# TensorRT and an engine exist, TensorRTBackend/Segmenter latency. Writes into OUTDIR:
#   gpu_check.json   everything, with the reason for each part that was skipped
#   gpu_tests.xml    pytest's JUnit report; gpu_tests.log its output; gpu_check.log the driver's output
#   status.json      the exit code of each step (written even if Python cannot start)
# Every step runs under `timeout`, so the script never hangs; it exits 0 when the tests passed.
set -u
OUT=${1:?usage: scripts/gpu_check.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in ${PYTHON:-} .venv/bin/python python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && timeout 30 "$candidate" -c "import numpy, pytest" >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

start=$(date +%s)
PY=$(pick_python) || PY=""
export PYTHONPATH="$PWD/sdk:$PWD/training${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1

smi_rc=127
if command -v nvidia-smi >/dev/null 2>&1; then
  timeout -k 5 30 nvidia-smi >"$OUT/nvidia_smi.txt" 2>&1; smi_rc=$?
fi

tests_rc=127; bench_rc=127
if [ -n "$PY" ]; then
  timeout -k 10 270 "$PY" -m pytest -m gpu -q -rs -p no:cacheprovider tests \
    --junitxml "$OUT/gpu_tests.xml" >"$OUT/gpu_tests.log" 2>&1
  tests_rc=$?
  engine_args=()
  if [ -n "${ENGINE:-}" ]; then engine_args=(--engine "$ENGINE"); fi
  timeout -k 10 130 "$PY" scripts/gpu_check.py "$OUT" --tests-xml "$OUT/gpu_tests.xml" \
    --tests-rc "$tests_rc" --budget 110 ${engine_args[@]+"${engine_args[@]}"} >"$OUT/gpu_check.log" 2>&1
  bench_rc=$?
fi

printf '{"python": "%s", "nvidia_smi_rc": %d, "pytest_rc": %d, "benchmark_rc": %d, "seconds": %d}\n' \
  "${PY:-none (no python with numpy and pytest)}" "$smi_rc" "$tests_rc" "$bench_rc" "$(( $(date +%s) - start ))" \
  >"$OUT/status.json"
cat "$OUT/status.json"
[ "$tests_rc" -eq 0 ]
