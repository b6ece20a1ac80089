"""Measuring backends: cold start, latency per batch, stage times, memory, throughput and mIoU.

Honest by construction: warm-up runs are excluded, time is ``time.perf_counter``, rows report
medians (p50) next to mean and tail percentiles, and a failing backend becomes an error row
instead of ending the run.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..backends.base import Backend
from ..backends.onnxruntime import Device, OnnxRuntimeBackend
from ..dataset import SegmentationDataset
from ..errors import BackendUnavailableError
from ..evaluate import evaluate_model
from ..model_info import ModelInfo
from ..segmenter import Segmenter
from .inputs import BenchSheets
from .machine import PeakMemory, gpu_memory_mib
from .stats import median, summarize
from .targets import BenchTarget

__all__ = [
    "BenchConfig",
    "BenchRow",
    "measure_target",
    "add_speedups",
    "model_gflops",
    "REFERENCE_GFLOPS",
    "REPORT_SCHEMA",
    "NOTES",
]

REPORT_SCHEMA = "schemseg.bench/1"
SEQUENTIAL_NOTE = (
    "Rows are measured one after another in one process; torch runs last because importing it grows the "
    "memory of the process."
)
NOTES = (
    "The machine may be shared and noisy (other jobs compete for the cores): compare rows of one run, "
    "not numbers across runs; load_average is recorded at the start (machine) and the end.",
    "latency_ms is per predict_batch call of 'batch' sheets, encoded bytes in, results with symbols out; "
    "warm-up runs excluded; time.perf_counter; percentiles by linear interpolation; "
    "throughput_sheets_per_s = batch / p50.",
    "stages_ms: median per batch of the per-sheet timings the results report (sub-stages such as compute, "
    "h2d, d2h are parts of inference).",
    "cold_start_s: open + first prediction of one sheet in a fresh object (file cache warm; the torch row "
    "includes importing torch).",
    "speedup_vs_torch: PyTorch eager fp32 p50 / this row's p50 at the same batch size and device; the "
    "checkpoint is taken to be the network the ONNX models were exported from.",
    "achieved_gflops_per_s: median over runs of GFLOPs per model input x tiles of the batch / its inference stage.",
    SEQUENTIAL_NOTE,
)

REFERENCE_GFLOPS = {("attention_unetpp", 608): 67.3, ("attention_unetpp_lite0", 608): 46.4}
"""GFLOPs per model input (2 x MACs) measured by ``schemseg model info``, for models whose metadata
lacks ``schemseg.extra.gflops``."""


@dataclass(frozen=True)
class BenchConfig:
    """How long and with what to measure; ``iterations`` and ``duration_s`` exclude each other."""

    batches: tuple[int, ...] = (1, 4, 8)
    warmup: int = 2
    iterations: int | None = 10
    duration_s: float | None = None
    threads: int | None = None
    device: Device = "auto"
    data: Path | None = None
    data_limit: int | None = None
    interleave: bool = False  # time the backends round-robin (:mod:`.interleave`); needs ``iterations``


@dataclass
class BenchRow:
    """One backend x batch size. Times in milliseconds unless the name says otherwise."""

    model: str
    backend: str
    precision: str
    batch: int | None
    status: str  # "ok", "skipped" or "error"
    reason: str | None = None
    runtime: str | None = None  # the Segmenter's backend_name, e.g. onnxruntime-cpu
    device: str | None = None  # "cpu" or "cuda"
    path: str | None = None
    iterations: int = 0
    latency_ms: dict[str, float | int] | None = None  # per batch: count, mean, p50, p90, p99, min, max, stdev
    latency_per_sheet_ms: float | None = None  # p50 / batch
    throughput_sheets_per_s: float | None = None  # batch / p50
    stages_ms: dict[str, float] = field(default_factory=dict)  # median per batch, from the results' timings
    tiles_per_batch: float | None = None  # median model inputs per batch (sheets larger than the input are tiled)
    cold_start_s: float | None = None  # open + first prediction of one sheet, in a fresh object
    peak_rss_mib: float | None = None  # since this backend was opened, up to this batch size
    rss_before_open_mib: float | None = None
    gpu_memory_mib: float | None = None
    gpu_memory_note: str | None = None
    gflops_per_tile: float | None = None
    gflops_source: str | None = None
    achieved_gflops_per_s: float | None = None  # median of (FLOPs of the batch's tiles / its inference stage)
    mean_iou: float | None = None
    pixel_accuracy: float | None = None
    accuracy_sheets: int | None = None
    speedup_vs_torch: float | None = None  # PyTorch eager fp32 p50 / this p50, same device and batch
    speedup_note: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def model_gflops(info: ModelInfo) -> tuple[float | None, str | None]:
    """GFLOPs per model input from metadata (``schemseg.extra.gflops``), else the reference constant."""
    text = info.extra.get("gflops")
    if text is not None:
        try:
            return float(text), "metadata schemseg.extra.gflops"
        except ValueError:
            pass
    value = REFERENCE_GFLOPS.get((info.model_name, info.input_size))
    if value is None:
        return None, None
    return value, f"'schemseg model info' of {info.model_name} at {info.input_size}x{info.input_size}"


def measure_target(
    target: BenchTarget,
    sheets: BenchSheets,
    config: BenchConfig,
    memory: PeakMemory,
    on_step: Callable[[str], None] = lambda label: None,
) -> list[BenchRow]:
    """Measure one backend at every batch size of ``config``; never raises for a backend's failure."""
    base, segmenter = open_measured(target, sheets, config, memory)
    if segmenter is None:
        return [base]
    with segmenter:
        rows, widest = _measure_batches(segmenter, base, sheets, config, memory, on_step)
        if config.data is not None and widest is not None:
            on_step(f"{target.backend} mIoU")
            _score(widest, config, rows)
    return rows


def open_measured(
    target: BenchTarget, sheets: BenchSheets, config: BenchConfig, memory: PeakMemory
) -> tuple[BenchRow, Segmenter | None]:
    """Open ``target`` and predict one sheet (the cold start); the row without a batch size, and the
    open segmenter, or ``None`` with the row saying why it was skipped or failed."""
    base = BenchRow(
        target.model, target.backend, target.precision, None, "ok", path=str(target.path) if target.path else None
    )
    if target.skip_reason is not None:
        return _replace(base, status="skipped", reason=target.skip_reason), None
    memory.reset()
    base.rss_before_open_mib = memory.current_mib()
    start = time.perf_counter()
    try:
        segmenter = _open(target, config)
    except BackendUnavailableError as exc:
        return _replace(base, status="skipped", reason=str(exc)), None
    except Exception as exc:  # one backend's failure must not sink the run
        return _replace(base, status="error", reason=_describe(exc)), None
    try:
        segmenter.predict_batch([sheets.images[0]])
    except Exception as exc:
        segmenter.close()
        return _replace(base, status="error", reason=_describe(exc)), None
    base.cold_start_s = round(time.perf_counter() - start, 4)
    base.runtime = segmenter.backend_name
    base.device = "cpu" if "cpu" in segmenter.backend_name else "cuda"
    base.gflops_per_tile, base.gflops_source = model_gflops(segmenter.info)
    return base, segmenter


def _measure_batches(
    segmenter: Segmenter,
    base: BenchRow,
    sheets: BenchSheets,
    config: BenchConfig,
    memory: PeakMemory,
    on_step: Callable[[str], None],
) -> tuple[list[BenchRow], Segmenter | None]:
    rows: list[BenchRow] = []
    widest: Segmenter | None = None
    for batch in sorted(config.batches):
        on_step(f"{base.backend} batch {batch}")
        row = _replace(base, batch=batch)
        try:
            view = (
                segmenter
                if batch == segmenter.batch_size
                else Segmenter.from_backend(segmenter.backend, batch_size=batch, name=str(segmenter.model_path))
            )
            _time_batches(view, sheets, config, row)
            widest = view
        except Exception as exc:  # e.g. a batch above the engine's profile, or out of memory
            row.status, row.reason = "error", _describe(exc)
        row.peak_rss_mib = memory.peak_mib()
        row.gpu_memory_mib, row.gpu_memory_note = gpu_memory_mib()
        rows.append(row)
    return rows, widest


def _time_batches(segmenter: Segmenter, sheets: BenchSheets, config: BenchConfig, row: BenchRow) -> None:
    """Warm up, then time ``predict_batch`` on ``row.batch`` sheets per run."""
    batch = int(row.batch or 1)
    batches = cycle_batches(sheets.images, batch)
    for _ in range(config.warmup):
        segmenter.predict_batch(next(batches))
    samples = Samples()
    deadline = None if config.duration_s is None else time.perf_counter() + config.duration_s
    while _keep_going(len(samples.latencies), config.iterations, deadline):
        samples.time(segmenter, next(batches))
    samples.fill(row)


@dataclass
class Samples:
    """Timed ``predict_batch`` runs of one backend at one batch size, and how they become a row."""

    latencies: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=dict)
    tiles: list[int] = field(default_factory=list)

    def time(self, segmenter: Segmenter, images: list[bytes]) -> None:
        start = time.perf_counter()
        results = segmenter.predict_batch(images)
        self.latencies.append(time.perf_counter() - start)
        self.tiles.append(sum(r.tiles for r in results))
        totals: dict[str, float] = {}
        for result in results:
            for stage, seconds in result.timings.items():
                totals[stage] = totals.get(stage, 0.0) + seconds
        for stage, seconds in totals.items():
            self.stages.setdefault(stage, []).append(seconds)

    def fill(self, row: BenchRow) -> None:
        batch = int(row.batch or 1)
        summary = summarize(self.latencies)
        row.iterations = len(self.latencies)
        row.latency_ms = summary.to_dict()
        row.latency_per_sheet_ms = round(summary.p50 * 1000.0 / batch, 3)
        row.throughput_sheets_per_s = round(batch / summary.p50, 3)
        row.stages_ms = {stage: round(median(values) * 1000.0, 3) for stage, values in self.stages.items()}
        row.tiles_per_batch = median(self.tiles)
        inference = self.stages.get("inference", [])
        if row.gflops_per_tile is not None and len(inference) == len(self.tiles) and min(inference, default=0.0) > 0:
            rates = [row.gflops_per_tile * count / seconds for count, seconds in zip(self.tiles, inference)]
            row.achieved_gflops_per_s = round(median(rates), 2)


def _keep_going(done: int, iterations: int | None, deadline: float | None) -> bool:
    if deadline is not None:
        return done == 0 or time.perf_counter() < deadline
    return done < (iterations or 1)


def cycle_batches(images: tuple[bytes, ...], batch: int) -> Iterator[list[bytes]]:
    cycle = itertools.cycle(images)
    while True:
        yield [next(cycle) for _ in range(batch)]


def _score(segmenter: Segmenter, config: BenchConfig, rows: list[BenchRow]) -> None:
    """mIoU of this backend on ``config.data``, written into every row of the backend."""
    assert config.data is not None
    try:
        dataset = SegmentationDataset(config.data)
        scores = evaluate_model(segmenter, dataset, limit=config.data_limit, progress=False)
    except Exception as exc:
        for row in rows:
            row.reason = (row.reason + "; " if row.reason else "") + f"mIoU failed: {_describe(exc)}"
        return
    count = len(dataset) if config.data_limit is None else min(config.data_limit, len(dataset))
    for row in rows:
        row.mean_iou = round(float(scores.mean_iou), 5)
        row.pixel_accuracy = round(float(scores.pixel_accuracy), 5)
        row.accuracy_sheets = count


def _open(target: BenchTarget, config: BenchConfig) -> Segmenter:
    """Open ``target`` at batch size 1 (every engine profile accepts it); wider batches share its backend."""
    assert target.path is not None
    if target.backend == "torch":
        return Segmenter.from_backend(_torch_backend(target.path, config), batch_size=1, name=str(target.path))
    if target.backend.startswith("openvino"):  # named explicitly: Segmenter would pick ORT for an fp32 graph
        from ..backends.openvino import OpenVinoBackend

        backend = OpenVinoBackend(
            target.path, threads=config.threads, precision="bf16" if target.backend == "openvino-bf16" else "f32"
        )
        return Segmenter.from_backend(backend, batch_size=1, name=str(target.path), threads=config.threads)
    if target.backend.startswith("ort"):  # named explicitly: Segmenter would pick OpenVINO for a Q/DQ graph
        ort_backend = OnnxRuntimeBackend(
            target.path, device="cpu" if target.backend == "ort-int8" else config.device, threads=config.threads
        )
        return Segmenter.from_backend(ort_backend, batch_size=1, name=str(target.path), threads=config.threads)
    return Segmenter(target.path, device="auto", batch_size=1, threads=config.threads)  # TensorRT engines


def _torch_backend(checkpoint: Path, config: BenchConfig) -> Backend:
    try:
        import torch

        from schemseg_training.torch_backend import TorchBackend
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the PyTorch backend is not available ({exc}); pip install 'schemseg[train]'"
        ) from None
    device = config.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return TorchBackend.from_checkpoint(checkpoint, device=device, threads=config.threads)


def _replace(row: BenchRow, **changes: object) -> BenchRow:
    values = asdict(row)
    values.update(changes)
    return BenchRow(**values)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:400] if text else ''}".rstrip(": ")


def add_speedups(rows: list[BenchRow]) -> None:
    """Set each measured row's speed ratio to PyTorch eager fp32 at the same device and batch size,
    or say why there is none."""
    reference = {(r.device, r.batch): r for r in rows if r.backend == "torch" and r.status == "ok"}
    torch_row = next((r for r in rows if r.backend == "torch"), None)
    for row in rows:
        if row.status != "ok" or row.latency_ms is None:
            continue
        ref = reference.get((row.device, row.batch))
        if ref is not None and ref.latency_ms is not None:
            row.speedup_vs_torch = round(float(ref.latency_ms["p50"]) / float(row.latency_ms["p50"]), 3)
        elif torch_row is None:
            row.speedup_note = "no PyTorch row in this run (add torch to --backends)"
        elif torch_row.status != "ok":
            row.speedup_note = f"PyTorch row {torch_row.status}: {torch_row.reason}"
        else:
            row.speedup_note = f"no PyTorch eager fp32 row on {row.device} at batch {row.batch} in this run"
