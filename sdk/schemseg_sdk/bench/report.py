"""Benchmark results as people read them: a Markdown table, the JSON file, and PNG plots."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailableError, InvalidInputError
from ..fileio import atomic_output, atomic_write_text, read_json_object
from .runner import REPORT_SCHEMA

__all__ = [
    "markdown_report",
    "markdown_table",
    "write_report_json",
    "load_report",
    "write_plots",
    "ok_rows",
    "STAGE_COLUMNS",
]

STAGE_COLUMNS = ("decode", "preprocess", "h2d", "compute", "d2h", "inference", "stitch", "postprocess", "total")
"""Per-stage columns in the order a sheet goes through them (``compute``, ``h2d``, ``d2h`` are parts of ``inference``)."""

Row = Mapping[str, Any]


def ok_rows(report: Mapping[str, Any]) -> list[Row]:
    """The measured rows (status ``ok``) of a report."""
    return [row for row in report["rows"] if row["status"] == "ok"]


def markdown_report(report: Mapping[str, Any]) -> str:
    """The speed/accuracy table, the stage table and the reasons for missing rows or ratios, as Markdown."""
    lines = [_speed_table(report["rows"]), ""]
    measured = ok_rows(report)
    if measured:
        lines += ["Stages (ms per batch, median):", "", _stage_table(measured), ""]
    notes = sorted({row["speedup_note"] for row in measured if row.get("speedup_note")})
    lines += [f"Speed ratio n/a: {note}" for note in notes]
    machine = report["machine"]
    gpus = ", ".join(f"{g['name']} (driver {g['driver']})" for g in machine.get("gpus") or []) or "no GPU"
    lines.append(
        f"Machine: {machine['cpu_model']} ({machine['cpu_available']} cores available), {gpus}; "
        f"sheets: {report['sheets']['description']}; {report['created']}"
    )
    return "\n".join(lines).rstrip() + "\n"


def _speed_table(rows: Sequence[Row]) -> str:
    header = [
        "model",
        "backend",
        "runtime",
        "batch",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "ms/sheet",
        "sheets/s",
        "vs torch",
        "cold s",
        "peak RSS MiB",
        "GFLOP/s",
        "mIoU",
        "note",
    ]
    body = []
    for row in rows:
        latency = row.get("latency_ms") or {}
        body.append(
            [
                row["model"],
                row["backend"],
                row.get("runtime") or "-",
                _fmt(row.get("batch")),
                _fmt(latency.get("p50")),
                _fmt(latency.get("p90")),
                _fmt(latency.get("p99")),
                _fmt(row.get("latency_per_sheet_ms")),
                _fmt(row.get("throughput_sheets_per_s")),
                _ratio(row),
                _fmt(row.get("cold_start_s")),
                _fmt(row.get("peak_rss_mib")),
                _fmt(row.get("achieved_gflops_per_s")),
                _fmt(row.get("mean_iou"), 4),
                ""
                if row["status"] == "ok" and not row.get("reason")
                else f"{row['status']}: {row.get('reason') or ''}",
            ]
        )
    return markdown_table(header, body)


def _stage_table(rows: Sequence[Row]) -> str:
    present = [s for s in STAGE_COLUMNS if any(s in row["stages_ms"] for row in rows)]
    header = ["model", "backend", "batch", *present]
    body = [
        [row["model"], row["backend"], _fmt(row["batch"]), *(_fmt(row["stages_ms"].get(s)) for s in present)]
        for row in rows
    ]
    return markdown_table(header, body)


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table; ``|`` inside cells is escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(header), "|" + "|".join("---" for _ in header) + "|", *(line(r) for r in body)])


def _ratio(row: Row) -> str:
    if row.get("speedup_vs_torch") is not None:
        return f"{row['speedup_vs_torch']:.2f}x"
    return "n/a" if row["status"] == "ok" else "-"


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1e5 else f"{value:.3g}"
    return str(value)


# -- files ------------------------------------------------------------------------------------
def write_report_json(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the report as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(report, indent=2) + "\n")
    return Path(path)


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a results JSON written by :func:`write_report_json`.

    Raises:
        InvalidInputError: the file is missing, not JSON, or not a schemseg benchmark result.
    """
    data = read_json_object(path, "benchmark results file", InvalidInputError, "a schemseg benchmark result")
    if data.get("schema") != REPORT_SCHEMA:
        got = data.get("schema")
        raise InvalidInputError(
            f"{path}: not a schemseg benchmark result (schema {got!r}, expected {REPORT_SCHEMA!r}); "
            "write one with 'schemseg bench --json FILE'"
        )
    return data


def write_plots(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a PNG: latency per sheet vs batch size per backend, and speed vs accuracy.

    Raises:
        BackendUnavailableError: matplotlib is not installed (the ``bench`` extra).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise BackendUnavailableError(
            f"plots need matplotlib ({exc}); pip install 'schemseg[bench]', or leave out --plot"
        ) from None
    figure, (latency_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(13, 5))
    try:
        _plot_latency(latency_axes, ok_rows(report))
        _plot_speed_accuracy(accuracy_axes, ok_rows(report))
        machine = report["machine"]
        gpus = machine.get("gpus") or []
        where = gpus[0]["name"] if gpus else f"{machine['cpu_model']}, {machine['cpu_available']} cores"
        figure.suptitle(f"schemseg benchmark: {where}, {str(report['created'])[:10]}")
        figure.tight_layout()
        with atomic_output(path) as tmp:
            figure.savefig(tmp, format="png", dpi=110)
    finally:
        plt.close(figure)
    return Path(path)


def _series(rows: Sequence[Row]) -> dict[str, list[Row]]:
    series: dict[str, list[Row]] = {}
    for row in rows:
        series.setdefault(f"{row['model']} {row['backend']} ({row['runtime']})", []).append(row)
    return series


def _plot_latency(axes: Any, rows: Sequence[Row]) -> None:
    for label, points in _series(rows).items():
        points = sorted(points, key=lambda r: r["batch"])
        batches = [r["batch"] for r in points]
        p50 = [r["latency_ms"]["p50"] / r["batch"] for r in points]
        p90 = [r["latency_ms"]["p90"] / r["batch"] for r in points]
        axes.errorbar(
            batches, p50, yerr=[[0] * len(p50), [b - a for a, b in zip(p50, p90)]], marker="o", capsize=3, label=label
        )
    axes.set_xlabel("batch size (sheets per predict_batch)")
    axes.set_ylabel("latency per sheet, ms (p50, bar to p90)")
    axes.set_title("Latency vs batch size")
    axes.grid(True, alpha=0.3)
    per_sheet = [r["latency_per_sheet_ms"] for r in rows]
    if _wide(per_sheet):
        axes.set_yscale("log")
    else:
        axes.set_ylim(bottom=0)
    if rows:
        axes.set_xticks(sorted({r["batch"] for r in rows}))
        axes.legend(fontsize=8)
    else:
        axes.text(0.5, 0.5, "no backend was measured", ha="center", va="center", transform=axes.transAxes)


def _plot_speed_accuracy(axes: Any, rows: Sequence[Row]) -> None:
    best = {label: max(points, key=lambda r: r["throughput_sheets_per_s"]) for label, points in _series(rows).items()}
    scored = {label: row for label, row in best.items() if row.get("mean_iou") is not None}
    if scored:
        for label, row in scored.items():
            axes.scatter(row["throughput_sheets_per_s"], row["mean_iou"], s=60, label=f"{label}, batch {row['batch']}")
        axes.set_ylabel("mIoU")
        axes.set_title("Speed vs accuracy (best batch size)")
        axes.legend(fontsize=8)
    else:
        labels = list(best)
        axes.barh(range(len(labels)), [best[k]["throughput_sheets_per_s"] for k in labels])
        axes.set_yticks(range(len(labels)), labels, fontsize=8)
        axes.set_title("Throughput (best batch size)\nmIoU not measured: run with --data DIR")
    axes.set_xlabel("throughput, sheets/s")
    if _wide([row["throughput_sheets_per_s"] for row in best.values()]):
        axes.set_xscale("log")
    axes.grid(True, alpha=0.3)


def _wide(values: Sequence[float], ratio: float = 20.0) -> bool:
    """Whether ``values`` span more than ``ratio`` (then a log axis keeps the small ones visible)."""
    positive = [v for v in values if v and v > 0]
    return bool(positive) and max(positive) / min(positive) > ratio
