"""The CPU paths timed round-robin: one sheet each in turn, so that a shared machine's load hits them alike.

``schemseg-bench`` measures rows one after another; on a machine whose load moves (other people's
jobs) that skews their ratios. Here every round predicts the same sheet with each path in turn (the
whole predict path: decode, inference, grouping and the symbol classifier), and the ratios are
medians of per-round ratios. Writes JSON::

    python benchmarks/cpu_paths_interleaved.py --model engines/reference.onnx --checkpoint CKPT \\
        --threads 2 --rounds 5 --json benchmarks/results/cpu-paths-interleaved-amd-epyc-2cpu-2026-12-07.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from schemseg_sdk import Segmenter
from schemseg_sdk.backends.onnxruntime import OnnxRuntimeBackend
from schemseg_sdk.backends.openvino import OpenVinoBackend
from schemseg_sdk.bench.inputs import load_bench_sheets
from schemseg_sdk.bench.machine import machine_info
from schemseg_sdk.cpu import cpu_flags
from schemseg_sdk.fileio import atomic_write_text


def open_paths(model: Path, checkpoint: Path | None, threads: int) -> dict[str, Segmenter]:
    stem = model.name[: -len(".onnx")]
    backends = {
        "ort fp32": OnnxRuntimeBackend(model, device="cpu", threads=threads),
        "ort int8 (QOperator)": OnnxRuntimeBackend(
            model.with_name(f"{stem}.int8-cpu.onnx"), device="cpu", threads=threads
        ),
        "openvino fp32": OpenVinoBackend(model, threads=threads),
        "openvino int8 (Q/DQ)": OpenVinoBackend(model.with_name(f"{stem}.int8.onnx"), threads=threads),
    }
    if checkpoint is not None:
        from schemseg_training.torch_backend import TorchBackend

        backends["torch eager fp32"] = TorchBackend.from_checkpoint(checkpoint, device="cpu", threads=threads)
    return {name: Segmenter.from_backend(b, batch_size=1, name=name, threads=threads) for name, b in backends.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, required=True, help="fp32 .onnx with NAME.int8.onnx and NAME.int8-cpu.onnx beside it"
    )
    parser.add_argument("--checkpoint", type=Path, help="PyTorch checkpoint for the eager row")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    sheet = load_bench_sheets("synthetic", 1, size=600).images[0]
    paths = open_paths(args.model, args.checkpoint, args.threads)
    start_machine = machine_info()
    for segmenter in paths.values():
        segmenter.predict(sheet)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in paths}
    group: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, segmenter in paths.items():
            start = time.perf_counter()
            result = segmenter.predict(sheet)
            times[name].append(time.perf_counter() - start)
            group[name].append(result.timings["group"] / result.timings["total"])
    reference = "torch eager fp32" if "torch eager fp32" in paths else "ort fp32"
    rows = [
        {
            "path": name,
            "runtime": paths[name].backend_name,
            "median_ms": round(1000 * statistics.median(t), 1),
            f"vs_{reference.replace(' ', '_')}": round(
                statistics.median(r / s for r, s in zip(times[reference], t)), 3
            ),
            "group_share": round(statistics.median(group[name]), 3),
        }
        for name, t in times.items()
    ]
    report = {
        "command": "python benchmarks/cpu_paths_interleaved.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None),
        "machine": start_machine,
        "load_average_end": machine_info()["load_average"],
        "cpu_flags": sorted(cpu_flags()),
        "sheet": "synthetic 600 x 600, render_sheet seed 0",
        "rounds": args.rounds,
        "rows": rows,
        "note": "medians of per-round ratios; the whole predict path (decode, inference, grouping, classifier)",
    }
    atomic_write_text(args.json, json.dumps(report, indent=1) + "\n")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
