"""Benchmarks: latency, throughput, memory and accuracy of every backend and precision side by side.

``schemseg-bench`` (:mod:`schemseg_sdk.cli.bench`) is the command; these modules are its library:
:mod:`.targets` maps backend names to files, :mod:`.inputs` loads the sheets, :mod:`.runner`
measures one backend, :mod:`.interleave` all of them round-robin, :mod:`.run` makes the report of a
run, :mod:`.report` writes the table, JSON and plots, :mod:`.readme_table` the README block.

>>> from pathlib import Path
>>> from schemseg_sdk.bench import BenchConfig, load_bench_sheets, resolve_targets, run_benchmark
>>> targets = resolve_targets(["ort"], [Path("model.onnx")], None, Path("engines"))  # doctest: +SKIP
>>> report = run_benchmark(targets, load_bench_sheets("synthetic", 8), BenchConfig(batches=(1, 4)))  # doctest: +SKIP
"""

from __future__ import annotations

from .inputs import BenchSheets, load_bench_sheets
from .machine import machine_info, machine_slug
from .readme_table import BENCH_END, BENCH_START, readme_table, update_readme
from .report import load_report, markdown_report, write_plots, write_report_json
from .run import run_benchmark
from .runner import REPORT_SCHEMA, BenchConfig, BenchRow
from .stats import LatencySummary, percentile, summarize
from .targets import BACKENDS, BenchTarget, resolve_targets

__all__ = [
    "BACKENDS",
    "BENCH_END",
    "BENCH_START",
    "REPORT_SCHEMA",
    "BenchConfig",
    "BenchRow",
    "BenchSheets",
    "BenchTarget",
    "LatencySummary",
    "load_bench_sheets",
    "load_report",
    "machine_info",
    "machine_slug",
    "markdown_report",
    "percentile",
    "readme_table",
    "resolve_targets",
    "run_benchmark",
    "summarize",
    "update_readme",
    "write_plots",
    "write_report_json",
]
