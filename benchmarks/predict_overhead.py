"""Segmenter.predict vs a bare ``InferenceSession.run`` on one 600x600 sheet (issue: predict <= 1.10x).

Usage: python benchmarks/predict_overhead.py [--model M] [--reps 9] [--threads 2] [--out FILE.json]

Runs are interleaved (the machine is shared, so load drifts hit every variant alike); medians are
reported, and the JSON is written to benchmarks/results/ by default.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import onnxruntime as ort

from schemseg_sdk import Segmenter
from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.geometry import pad_image
from schemseg_sdk.imageio import read_image
from schemseg_sdk.segmenter import DEFAULT_MODEL

SHEET = Path(__file__).resolve().parents[1] / "sdk/schemseg_sdk/examples/circuit_dense.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args()
    sheet = read_image(SHEET)
    padded = pad_image(sheet, 608, 608)[None]
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    bare = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    seg = Segmenter(args.model, device="cpu", batch_size=1, threads=args.threads)
    runs = {
        "bare_run": lambda: bare.run(["class_ids", "confidence"], {"image": padded}),
        "predict_array": lambda: seg.predict(sheet),
        "predict_path": lambda: seg.predict(SHEET),
        "predict_array_no_confidence": lambda: seg.predict(sheet, with_confidence=False),
    }
    for run in runs.values():
        run()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.reps):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["bare_run"])
    result = {
        "model": args.model,
        "sheet": SHEET.name,
        "reps": args.reps,
        "threads": args.threads,
        "median_ms": {k: round(statistics.median(v) * 1000, 1) for k, v in times.items()},
        "ratio_to_bare_run": {k: round(statistics.median(v) / base, 3) for k, v in times.items()},
        "machine": machine_info(),
    }
    slug = machine_slug(result["machine"])  # type: ignore[arg-type]
    out = Path(args.out or f"benchmarks/results/predict-overhead-{slug}-{time.strftime('%Y-%m-%d')}.json")
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    for name in runs:
        print(f"{name:30s} {result['median_ms'][name]:9.1f} ms  x{result['ratio_to_bare_run'][name]:.3f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
