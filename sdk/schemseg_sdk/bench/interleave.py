"""Round-robin measurement: every backend's timed run in turn, so that a changing load hits all of them alike.

Measured one after another, rows of one run see different loads on a shared machine (another job
starts, a build ends), and their ratios move with it. Here all backends are open at once and, at
each batch size, run ``i`` of every backend comes before run ``i + 1`` of any: ratios of their
medians hold while the load moves. ``schemseg-bench --interleave`` takes this path.
"""

from __future__ import annotations

from collections.abc import Callable

from ..segmenter import Segmenter
from .inputs import BenchSheets
from .machine import PeakMemory, gpu_memory_mib
from .runner import BenchConfig, BenchRow, Samples, _describe, _replace, _score, cycle_batches, open_measured
from .targets import BenchTarget

__all__ = ["INTERLEAVED_NOTE", "measure_interleaved"]

INTERLEAVED_NOTE = (
    "Rows were measured round-robin (--interleave): at each batch size every backend's timed run i came "
    "before any backend's run i + 1, so a changing load hits them alike; all backends were open at once, so "
    "peak_rss_mib is the process's peak with all of them loaded."
)


def measure_interleaved(
    targets: list[BenchTarget],
    sheets: BenchSheets,
    config: BenchConfig,
    memory: PeakMemory,
    on_step: Callable[[str], None] = lambda label: None,
) -> list[BenchRow]:
    """Open every target, then time them round-robin at each batch size; rows in target, then batch order."""
    if config.iterations is None:
        raise ValueError("interleaved runs need a number of iterations, not a duration")
    opened: list[tuple[BenchRow, Segmenter]] = []
    by_target: dict[int, list[BenchRow]] = {}
    for index, target in enumerate(targets):
        on_step(f"{target.backend} open")
        base, segmenter = open_measured(target, sheets, config, memory)
        by_target[index] = [] if segmenter is not None else [base]
        if segmenter is not None:
            opened.append((base, segmenter))
    indices = [i for i in by_target if not by_target[i]]
    try:
        for batch in sorted(config.batches):
            on_step(f"batch {batch}")
            for index, row in zip(indices, _round_robin(opened, batch, sheets, config, memory)):
                by_target[index].append(row)
        if config.data is not None:
            for index, (_, segmenter) in zip(indices, opened):
                on_step(f"{by_target[index][0].backend} mIoU")
                _score(segmenter, config, by_target[index])
    finally:
        for _, segmenter in opened:
            segmenter.close()
    return [row for index in sorted(by_target) for row in by_target[index]]


def _round_robin(
    opened: list[tuple[BenchRow, Segmenter]], batch: int, sheets: BenchSheets, config: BenchConfig, memory: PeakMemory
) -> list[BenchRow]:
    """One row per open backend at ``batch``: warm-ups first, then the timed runs in turn."""
    rows = [_replace(base, batch=batch) for base, _ in opened]
    views: list[Segmenter | None] = []
    for row, (_, segmenter) in zip(rows, opened):
        try:
            views.append(
                segmenter
                if batch == segmenter.batch_size
                else Segmenter.from_backend(segmenter.backend, batch_size=batch, name=str(segmenter.model_path))
            )
        except Exception as exc:  # e.g. a batch above the engine's profile
            row.status, row.reason = "error", _describe(exc)
            views.append(None)
    samples = [Samples() for _ in rows]
    batches = [cycle_batches(sheets.images, batch) for _ in rows]
    for step in range(config.warmup + int(config.iterations or 1)):
        for i, view in enumerate(views):
            if view is None:
                continue
            try:
                if step < config.warmup:
                    view.predict_batch(next(batches[i]))
                else:
                    samples[i].time(view, next(batches[i]))
            except Exception as exc:  # one backend's failure leaves the others running
                rows[i].status, rows[i].reason = "error", _describe(exc)
                views[i] = None
    for row, sample, view in zip(rows, samples, views):
        if view is not None:
            sample.fill(row)
        row.peak_rss_mib = memory.peak_mib()
        row.gpu_memory_mib, row.gpu_memory_note = gpu_memory_mib()
    return rows
