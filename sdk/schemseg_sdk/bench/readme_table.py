"""The README's performance table, generated from a results JSON (never typed by hand).

The table replaces whatever stands between :data:`BENCH_START` and :data:`BENCH_END` in the
README; everything else in the file is kept byte for byte.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from ..fileio import atomic_write_text
from .report import load_report, markdown_table, ok_rows

__all__ = ["BENCH_START", "BENCH_END", "readme_table", "update_readme", "replace_marked_block"]

BENCH_START = "<!-- bench:start -->"
BENCH_END = "<!-- bench:end -->"


def readme_table(report: Mapping[str, Any], source: str) -> str:
    """The Markdown block for the README: one row per measured backend and batch size, then the
    machine, the inputs, the backends not measured and the command that regenerates the block."""
    header = [
        "backend",
        "precision",
        "runtime",
        "batch",
        "ms/sheet (p50)",
        "sheets/s",
        "vs PyTorch",
        "cold start s",
        "peak RSS MiB",
        "mIoU",
    ]
    rows = ok_rows(report)
    several_models = len({row["model"] for row in rows if row["backend"] != "torch"}) > 1
    if several_models:
        header.insert(0, "model")
    body = []
    for row in rows:
        ratio = row.get("speedup_vs_torch")
        body.append(
            [
                *([row["model"]] if several_models else []),
                row["backend"],
                row["precision"],
                row["runtime"],
                str(row["batch"]),
                f"{row['latency_per_sheet_ms']:.1f}",
                f"{row['throughput_sheets_per_s']:.2f}",
                f"{ratio:.2f}x" if ratio is not None else "n/a",
                f"{row['cold_start_s']:.2f}",
                f"{row['peak_rss_mib']:.0f}",
                f"{row['mean_iou']:.4f}" if row.get("mean_iou") is not None else "-",
            ]
        )
    machine = report["machine"]
    gpus = ", ".join(f"{g['name']} (driver {g['driver']})" for g in machine.get("gpus") or []) or "no GPU"
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v and k != "schemseg")
    lines = [
        markdown_table(header, body) if body else "_No backend was measured in this run._",
        "",
        f"Measured {str(report['created'])[:10]} on {machine['cpu_model']} ({machine['cpu_available']} cores), {gpus}; "
        f"{versions}. Inputs: {report['sheets']['description']}.",
    ]
    skipped = [row for row in report["rows"] if row["status"] != "ok" and row.get("batch") is None]
    if skipped:
        lines.append("")
        lines.append("Not measured here: " + "; ".join(f"{r['backend']} ({r['reason']})" for r in skipped) + ".")
    lines += ["", f"Generated from `{source}` by `schemseg bench --readme-table {source}`; do not edit by hand."]
    return "\n".join(lines)


def update_readme(readme: str | os.PathLike[str], results: str | os.PathLike[str]) -> str:
    """Rewrite the block between the bench markers of ``readme`` from the ``results`` JSON; return the block.

    Raises:
        InvalidInputError: ``readme`` is missing or lacks the two markers in order, or ``results`` is not
            a benchmark result.

    >>> update_readme("README.md", "benchmarks/results/amd-epyc-2cpu-2026-11-25.json")  # doctest: +SKIP
    """
    source = Path(results).as_posix()
    block = readme_table(load_report(results), source)
    replace_marked_block(readme, BENCH_START, BENCH_END, block, "the performance table")
    return block


def replace_marked_block(
    readme: str | os.PathLike[str], start_marker: str, end_marker: str, block: str, what: str
) -> None:
    """Replace the lines between ``start_marker`` and ``end_marker`` of ``readme`` with ``block`` (atomically).

    Raises:
        InvalidInputError: ``readme`` is missing or lacks the two markers in order.
    """
    path = Path(readme)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read the README ({exc.strerror or exc})") from None
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise InvalidInputError(
            f"{path}: no '{start_marker}' ... '{end_marker}' block; add both markers, on their own lines, "
            f"where {what} belongs"
        )
    atomic_write_text(path, text[: start + len(start_marker)] + "\n" + block + "\n" + text[end:])
