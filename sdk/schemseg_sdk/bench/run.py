"""One benchmark run: every target measured one after another, or round-robin (``--interleave``), as one report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from .inputs import BenchSheets
from .interleave import INTERLEAVED_NOTE, measure_interleaved
from .machine import PeakMemory, machine_info
from .runner import NOTES, REPORT_SCHEMA, SEQUENTIAL_NOTE, BenchConfig, BenchRow, add_speedups, measure_target
from .targets import BenchTarget

__all__ = ["run_benchmark"]


def run_benchmark(
    targets: list[BenchTarget],
    sheets: BenchSheets,
    config: BenchConfig,
    *,
    notes: tuple[str, ...] = (),
    progress: bool = True,
) -> dict[str, object]:
    """Measure every target and return the whole report (schema :data:`REPORT_SCHEMA`) as JSON-ready data.

    >>> report = run_benchmark(resolve_targets(["ort"], [Path("m.onnx")], None, Path("engines")),
    ...                        load_bench_sheets("synthetic", 8), BenchConfig())  # doctest: +SKIP
    """
    memory = PeakMemory()
    machine = machine_info()
    rows: list[BenchRow] = []
    notes = (*NOTES, *notes)
    if config.interleave:
        with tqdm(desc="bench (interleaved)", disable=not progress, leave=False) as bar:
            rows = measure_interleaved(targets, sheets, config, memory, on_step=bar.set_postfix_str)
        notes = (*(n for n in notes if n != SEQUENTIAL_NOTE), INTERLEAVED_NOTE)
    else:
        with tqdm(targets, desc="bench", unit="backend", disable=not progress, leave=False) as bar:
            for target in bar:
                rows += measure_target(target, sheets, config, memory, on_step=bar.set_postfix_str)
    add_speedups(rows)
    config_dict = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    return {
        "schema": REPORT_SCHEMA,
        "created": machine["date"],
        "machine": machine,
        "config": config_dict,
        "sheets": sheets.to_dict(),
        "memory_method": memory.method,
        "notes": list(notes),
        "load_average_end": machine_info()["load_average"],
        "rows": [row.to_dict() for row in rows],
    }
