"""Where the fp32 CPU time goes: ONNX Runtime's per-operator profile, and the cheap session settings side by side.

Runs the graph on synthetic sheets with ``SessionOptions.enable_profiling`` and sums the ``Node``
events of the trace per operator type (median over the profiled runs), then times a few session
settings interleaved in one process (graph optimisation level, which decides ORT's NCHWc layout;
thread spinning; threads), so their ratios share the machine's load. Reports GFLOP/s against the
peak of the CPU, computed as cores x GHz x FLOP per cycle (``--flop-per-cycle``, see
docs/cpu-speed.md). Writes JSON and prints a Markdown table::

    python benchmarks/profile_cpu.py --model sdk/schemseg_sdk/models/reference.onnx --threads 2 \\
        --json benchmarks/results/cpu-profile-amd-epyc-2cpu-2026-12-07.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnxruntime as ort

from schemseg_sdk.bench.machine import machine_info
from schemseg_sdk.bench.runner import model_gflops
from schemseg_sdk.cpu import cpu_flags
from schemseg_sdk.engine.sheets import synthetic_sheets
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.model_info import ModelInfo

LEVELS = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def session(
    model: str,
    threads: int,
    level: str = "all",
    spinning: bool = False,
    profile_dir: str | None = None,
) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.enable_mem_pattern = False
    options.graph_optimization_level = LEVELS[level]
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    if profile_dir is not None:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(profile_dir) / "ort")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def operator_table(model: str, batch: np.ndarray, threads: int, runs: int) -> tuple[list[dict[str, object]], float]:
    """Per operator type: median ms per run, share of the node time, node count; and the median run ms."""
    with tempfile.TemporaryDirectory() as tmp:
        sess = session(model, threads, profile_dir=tmp)
        sess.run(None, {"image": batch[:1]})  # warm-up, dropped below
        for i in range(runs):
            sess.run(None, {"image": batch[i % len(batch) :][:1]})
        trace = json.loads(Path(sess.end_profiling()).read_text())
    runs_ms = [e["dur"] / 1000 for e in trace if e.get("cat") == "Session" and e.get("name") == "model_run"][1:]
    per_run: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(runs_ms))
    nodes: dict[str, set[str]] = defaultdict(set)
    run_index, starts = -1, [e["ts"] for e in trace if e.get("name") == "model_run"][1:]
    for event in sorted(
        (e for e in trace if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")), key=lambda e: e["ts"]
    ):
        while run_index + 1 < len(starts) and event["ts"] >= starts[run_index + 1]:
            run_index += 1
        if run_index < 0:
            continue  # the warm-up run
        op = event["args"]["op_name"]
        per_run[op][run_index] += event["dur"] / 1000
        nodes[op].add(event["name"])
    medians = {op: statistics.median(values) for op, values in per_run.items()}
    total = sum(medians.values())
    rows = [
        {"op": op, "ms": round(ms, 2), "share": round(ms / total, 4), "nodes": len(nodes[op])}
        for op, ms in sorted(medians.items(), key=lambda kv: -kv[1])
    ]
    return rows, statistics.median(runs_ms)


def settings_table(model: str, batch: np.ndarray, threads: int, rounds: int) -> list[dict[str, object]]:
    """Median ms of one sheet for each setting, timed round-robin so that load changes hit them alike."""
    fewer = max(1, threads - 1)
    variants: dict[str, tuple[int, str, bool]] = {  # threads, optimisation level, spinning
        "shipped (all, no spinning)": (threads, "all", False),
        "extended (no NCHWc layout)": (threads, "extended", False),
        "basic": (threads, "basic", False),
        "spinning threads": (threads, "all", True),
        f"{fewer} thread(s)": (fewer, "all", False),
    }
    sessions = {name: session(model, n, level, spinning) for name, (n, level, spinning) in variants.items()}
    times: dict[str, list[float]] = defaultdict(list)
    for sess in sessions.values():
        sess.run(None, {"image": batch[:1]})
    for i in range(rounds):
        for name, sess in sessions.items():
            start = time.perf_counter()
            sess.run(None, {"image": batch[i % len(batch) :][:1]})
            times[name].append((time.perf_counter() - start) * 1000)
    base = statistics.median(times["shipped (all, no spinning)"])
    return [
        {"setting": name, "ms": round(statistics.median(v), 1), "vs_shipped": round(base / statistics.median(v), 3)}
        for name, v in times.items()
    ]


def peak_gflops(flop_per_cycle: int) -> tuple[float, str]:
    cores = len(os.sched_getaffinity(0))
    ghz = (
        float(
            next(
                line.split(":")[1]
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("cpu MHz")
            )
        )
        / 1000
    )
    return round(cores * ghz * flop_per_cycle, 1), f"{cores} cores x {ghz:.2f} GHz x {flop_per_cycle} FLOP/cycle"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sdk/schemseg_sdk/models/reference.onnx")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="profiled runs")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the settings")
    parser.add_argument(
        "--flop-per-cycle",
        type=int,
        default=32,
        help="fp32 FLOP per cycle and core: FMA pipes x fp32 lanes x 2 (Zen 4: 2 x 8 x 2 = 32)",
    )
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    info = ModelInfo.from_metadata(sess.get_modelmeta().custom_metadata_map, source=args.model)
    gflops, gflops_source = model_gflops(info)
    batch = synthetic_sheets(4, info.input_size, seed=0).batch
    machine = machine_info()
    load_start = machine["load_average"]
    rows, run_ms = operator_table(args.model, batch, args.threads, args.runs)
    settings = settings_table(args.model, batch, args.threads, args.rounds)
    peak, peak_how = peak_gflops(args.flop_per_cycle)
    achieved = round(gflops / (run_ms / 1000), 1) if gflops else None
    report = {
        "model": args.model,
        "threads": args.threads,
        "machine": machine,
        "cpu_flags": sorted(cpu_flags()),
        "load_average_start": load_start,
        "load_average_end": machine_info()["load_average"],
        "gflops_per_input": gflops,
        "gflops_source": gflops_source,
        "median_run_ms": round(run_ms, 1),
        "achieved_gflops_per_s": achieved,
        "peak_gflops_per_s": peak,
        "peak_formula": peak_how,
        "operators": rows,
        "settings": settings,
    }
    atomic_write_text(args.json, json.dumps(report, indent=1) + "\n")
    print("| operator | ms/run | share | nodes |\n|---|---:|---:|---:|")
    for row in rows[:12]:
        print(f"| {row['op']} | {row['ms']} | {100 * row['share']:.1f}% | {row['nodes']} |")
    print(f"\nrun {run_ms:.0f} ms; {achieved} GFLOP/s of {peak} peak ({peak_how}); load {load_start}")
    print("\n| setting | ms | vs shipped |\n|---|---:|---:|")
    for row in settings:
        print(f"| {row['setting']} | {row['ms']} | {row['vs_shipped']} |")


if __name__ == "__main__":
    main()
