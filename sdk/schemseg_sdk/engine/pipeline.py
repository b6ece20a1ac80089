"""``build_engine``: exported FP32 ONNX -> checked precision graph -> TensorRT engine bundle.

Stages: load and check the graph contract; simplify (kept only with output parity); make the
precision graph (FP32 as is, FP16 with drift-prone ops in FP32, INT8 calibrated Q/DQ for TensorRT
plus a QOperator graph for ONNX Runtime on CPU); accuracy gate against FP32 on ``val``; compile with
TensorRT and write ``NAME.PRECISION.engine`` beside its ``NAME.PRECISION.json`` sidecar. All stages
but the compile run on CPU; the precision ONNX files are written before TensorRT is needed.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import onnx

from .._version import __version__
from ..dataset import SegmentationDataset
from ..errors import AccuracyGateError, BackendUnavailableError, EngineBuildError, InvalidInputError
from ..fileio import atomic_write_bytes
from ..model_info import INPUT_NAME, ModelInfo
from . import _graph
from .calibration import DEFAULT_CACHE_DIR, CalibrationMethod, calibrate
from .fp16 import convert_fp16
from .gate import GateResult, compare_scores, score_graph, skipped_gate, write_gate_report
from .parity import run_graph
from .quantize import check_tensorrt_qdq, quantize_for_cpu, quantize_for_tensorrt
from .sheets import SheetSet, load_sheets, synthetic_sheets
from .sidecar import EngineSidecar, write_sidecar
from .simplify import simplify_graph

__all__ = ["Precision", "PRECISIONS", "BuildResult", "build_engine", "DEFAULT_CALIB_DIR"]

Precision = Literal["fp32", "fp16", "int8"]
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "int8")
DEFAULT_CALIB_DIR = Path("calibration")
PARITY_SHEETS = 4  # sheets for the simplification/FP16 parity checks (CPU time stays small)
Report = Callable[[str], None]


@dataclass
class BuildResult:
    """What :func:`build_engine` wrote and checked."""

    precision: str
    onnx_path: Path  # the checked precision graph (the engine is compiled from it)
    cpu_onnx_path: Path | None = None  # INT8 only: the ONNX Runtime (CPU) flavour
    engine_path: Path | None = None  # None with onnx_only
    sidecar_path: Path | None = None
    gate: dict[str, object] = field(default_factory=dict)
    gate_report: Path | None = None
    build: dict[str, object] = field(default_factory=dict)  # simplification, FP16, calibration details
    tensorrt_version: str | None = None


@dataclass
class _Job:
    source: Path
    info: ModelInfo
    precision: str
    out_dir: Path
    name: str
    report: Report
    bars: bool

    def path(self, suffix: str) -> Path:
        return self.out_dir / f"{self.name}.{suffix}"


def build_engine(
    onnx_path: str | os.PathLike[str],
    precision: Precision = "fp16",
    out_dir: str | os.PathLike[str] = "engines",
    *,
    calib: str | os.PathLike[str] | None = None,
    calib_count: int = 64,
    calib_method: CalibrationMethod = "minmax",
    val: str | os.PathLike[str] | None = None,
    val_count: int | None = None,
    batch: tuple[int, int, int] = (1, 4, 8),
    workspace_gb: float = 4.0,
    opt_level: int = 3,
    version_compatible: bool = False,
    onnx_only: bool = False,
    accept_drop: bool = False,
    name: str | None = None,
    cache_dir: str | os.PathLike[str] | None = DEFAULT_CACHE_DIR,
    report: Report | None = None,
    progress: bool = False,
) -> BuildResult:
    """Build the ``precision`` engine bundle of an exported schemseg model.

    Args:
        onnx_path: the FP32 export (``schemseg export``).
        precision: ``fp32``, ``fp16`` or ``int8``.
        out_dir: where ``NAME.PRECISION.{onnx,engine,json}`` and the gate report go.
        calib: INT8 calibration sheets: a dataset (``images/`` + ``masks/``, class-covering sample)
            or any folder of images; default ``calibration/``.
        calib_count, calib_method: number of calibration sheets; ``minmax``, ``entropy`` or ``percentile``.
        val: validation dataset for the accuracy gate; without it the gate is skipped (and recorded so).
        val_count: score only the first ``val_count`` validation sheets.
        batch: the engine's optimisation profile ``(min, opt, max)`` batch sizes.
        workspace_gb, opt_level, version_compatible: TensorRT builder settings.
        onnx_only: stop after the checked precision ONNX (no TensorRT needed).
        accept_drop: keep a graph that fails the accuracy gate (the report says so).
        name: ``NAME`` of the outputs (default: the ONNX file's stem).
        cache_dir: calibration cache folder (``None``: no cache).
        report: called with one line per stage (the CLI prints them); library code prints nothing.
        progress: show tqdm bars for long stages on stderr.

    Raises:
        ModelFormatError: not a schemseg ONNX graph.
        AccuracyGateError: the precision graph lost too much accuracy (files are still written).
        BackendUnavailableError: TensorRT or a GPU is missing (the checked ONNX is written first).
        EngineBuildError: calibration, quantization or the TensorRT build failed.

    >>> result = build_engine("model.onnx", "int8", calib="data/val", val="data/val")  # doctest: +SKIP
    >>> result.engine_path  # doctest: +SKIP
    PosixPath('engines/model.int8.engine')
    """
    _check_arguments(precision, batch, calib_count, workspace_gb, opt_level)
    source = Path(onnx_path)
    model = _graph.load_model(source)
    _graph.check_contract(model, str(source))
    info = _graph.read_info(model, str(source))
    job = _Job(source, info, precision, Path(out_dir), name or source.name.removesuffix(".onnx"),
               report or (lambda line: None), progress)
    job.report(f"model: {source} ({info.model_name} {info.model_version}, input {info.input_size}, "
               f"{len(model.graph.node)} nodes); target: {precision}")
    if not onnx_only:
        job.report("TensorRT: " + _tensorrt_status())
    calib_sheets = _calibration_sheets(job, calib, calib_count) if precision == "int8" else None
    sample = _parity_sheets(job, val, calib_sheets)
    result = _precision_graphs(job, model, sample, calib_sheets, calib_method, cache_dir, accept_drop)
    _run_gate(job, result, val, val_count, accept_drop)
    if onnx_only:
        job.report(f"--onnx-only: stopped after the checked graph {result.onnx_path}; no engine built")
        return result
    return _compile(job, result, batch, workspace_gb, opt_level, version_compatible)


def _check_arguments(precision: str, batch: tuple[int, int, int], calib_count: int, workspace_gb: float,
                     opt_level: int) -> None:
    if precision not in PRECISIONS:
        raise InvalidInputError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if len(batch) != 3 or not 1 <= batch[0] <= batch[1] <= batch[2]:
        raise InvalidInputError(f"batch profile {batch} must be (min, opt, max) with 1 <= min <= opt <= max")
    if calib_count < 1:
        raise InvalidInputError(f"calibration count must be at least 1, got {calib_count}")
    if workspace_gb <= 0 or not 0 <= opt_level <= 5:
        raise InvalidInputError(
            f"workspace {workspace_gb} GB and optimization level {opt_level}: expected > 0 GB and a level 0..5"
        )


def _tensorrt_status() -> str:
    from .trt_build import cuda_device, import_tensorrt

    try:
        trt = import_tensorrt()
        device = cuda_device(0)
    except BackendUnavailableError as exc:
        return f"unavailable ({exc}); the checked ONNX will be written, then the build stops (exit 4)"
    return f"{trt.__version__} on {device.name} (sm {device.compute_capability})"


def _calibration_sheets(job: _Job, calib: str | os.PathLike[str] | None, count: int) -> SheetSet:
    sheets = load_sheets(calib if calib is not None else DEFAULT_CALIB_DIR, count, job.info.input_size)
    job.report(f"calibration sheets: {len(sheets)} from {sheets.source}")
    if sheets.coverage is not None:
        job.report(f"calibration coverage: {sheets.coverage.summary()}")
    return sheets


def _parity_sheets(job: _Job, val: str | os.PathLike[str] | None, calib_sheets: SheetSet | None) -> SheetSet:
    """A few real sheets for the parity checks: from val, else calibration, else synthetic drawings."""
    if val is not None:
        return load_sheets(val, PARITY_SHEETS, job.info.input_size)
    if calib_sheets is not None:
        return calib_sheets.head(PARITY_SHEETS)
    return synthetic_sheets(PARITY_SHEETS, job.info.input_size)


def _precision_graphs(job: _Job, model: onnx.ModelProto, sample: SheetSet, calib_sheets: SheetSet | None,
                      calib_method: CalibrationMethod, cache_dir: str | os.PathLike[str] | None,
                      accept_drop: bool) -> BuildResult:
    reference = run_graph(model, sample)
    simplified = simplify_graph(model, sample, reference)
    job.report(f"simplify: {simplified.note}")
    graph = _graph.name_nodes(simplified.model)
    build: dict[str, object] = {"simplify": simplified.to_dict(), "parity_sheets": sample.source}
    if job.precision == "fp32":
        result = BuildResult("fp32", _save(job, graph, "fp32"), build=build)
    elif job.precision == "fp16":
        result = _fp16(job, graph, sample, reference, build, accept_drop)
    elif calib_sheets is not None:
        result = _int8(job, graph, calib_sheets, calib_method, cache_dir, build)
    else:
        raise EngineBuildError("int8 needs calibration sheets")
    return result


def _save(job: _Job, model: onnx.ModelProto, precision: str, suffix: str | None = None,
          extra: dict[str, str] | None = None) -> Path:
    info = job.info.replace(extra={**job.info.extra, **extra}) if extra else job.info
    path = _graph.save_model(_graph.with_precision(model, info, precision), job.path(f"{suffix or precision}.onnx"))
    job.report(f"wrote {path}")
    return path


def _fp16(job: _Job, graph: onnx.ModelProto, sample: SheetSet, reference: object, build: dict[str, object],
          accept_drop: bool) -> BuildResult:
    outcome = convert_fp16(graph, sample, reference)  # type: ignore[arg-type]
    kept = ", ".join(f"{op} x{n}" for op, n in sorted(outcome.kept_fp32.items()))
    job.report(f"fp16: kept in FP32 ({', '.join(outcome.groups)}): {kept}")
    for note in outcome.notes:
        job.report(f"fp16: {note}")
    job.report(f"fp16 parity: {outcome.parity.summary()}")
    build["fp16"] = outcome.to_dict()
    path = _save(job, outcome.model, "fp16")
    if not outcome.parity.ok and not accept_drop:
        raise AccuracyGateError(
            f"{path}: the FP16 graph drifts from FP32 ({outcome.parity.summary()}; need >= "
            f"{100 * outcome.parity.MIN_AGREEMENT:.1f}% identical class ids); build --fp32, or pass --accept-drop "
            "to keep it"
        )
    return BuildResult("fp16", path, build=build)


def _int8(job: _Job, graph: onnx.ModelProto, sheets: SheetSet, method: CalibrationMethod,
          cache_dir: str | os.PathLike[str] | None, build: dict[str, object]) -> BuildResult:
    regions = _graph.find_regions(graph)
    body = [n.name for n in graph.graph.node if n.name not in regions.excluded]
    tensors = _graph.float_tensor_names(graph, body)
    calibration = calibrate(graph, sheets, tensors, method, cache_dir, progress=job.bars)
    origin = f"reused cache {calibration.cache_path}" if calibration.from_cache else (
        f"measured, cached in {calibration.cache_path}" if calibration.cache_path else "measured (no cache)")
    job.report(f"calibration ({method}): {len(calibration.ranges)} tensors on {len(sheets)} sheets, {origin}")
    build["calibration"] = calibration.to_dict()
    if sheets.coverage is not None:
        build["calibration"]["coverage"] = sheets.coverage.summary()  # type: ignore[index]
    qdq = quantize_for_tensorrt(graph, calibration.ranges, regions)
    problems = check_tensorrt_qdq(qdq)
    if problems:
        raise EngineBuildError("the TensorRT INT8 graph is malformed: " + "; ".join(problems))
    trt_path = _save(job, qdq, "int8", extra={"quantization": "qdq-s8s8-symmetric-per-channel"})
    cpu = quantize_for_cpu(graph, calibration.ranges, regions)
    cpu_path = _save(job, cpu, "int8", "int8-cpu", extra={"quantization": "qoperator-u8s8"})
    return BuildResult("int8", trt_path, cpu_path, build=build)


def _run_gate(job: _Job, result: BuildResult, val: str | os.PathLike[str] | None, val_count: int | None,
              accept_drop: bool) -> None:
    base = job.path(job.precision)
    if val is None:
        reason = "no --val DIR given: the precision graph was NOT checked against ground truth"
        job.report(f"!!! accuracy gate SKIPPED: {reason} !!!")
        result.gate = skipped_gate(reason)
        return
    job.report(f"accuracy gate: scoring fp32 and {job.precision} on {val} (ONNX Runtime, CPU)")
    reference = score_graph(job.source, val, limit=val_count, progress=job.bars)
    candidates = [(f"{job.precision}", result.onnx_path)]
    if result.cpu_onnx_path is not None:
        candidates = [("int8 (TensorRT QDQ)", result.onnx_path), ("int8 (CPU QOperator)", result.cpu_onnx_path)]
    # an unsimplified FP32 graph computes exactly what the source does: no need to score it twice
    same_arithmetic = job.precision == "fp32" and not result.build["simplify"]["simplified"]  # type: ignore[index]
    total = len(SegmentationDataset(val))
    sheets = total if val_count is None else min(val_count, total)
    results = []
    for label, path in candidates:
        scores = reference if same_arithmetic else score_graph(path, val, limit=val_count, progress=job.bars)
        results.append(compare_scores(reference, scores, label=label, graph=path.name, val=str(val), sheets=sheets))
    json_path, text_path = write_gate_report(base, job.precision, results, accept_drop)
    passed = all(r.passed for r in results)
    for r in results:
        if r.passed or accept_drop:
            job.report(r.table())
    result.gate = {"status": "passed" if passed else "failed", "accepted_drop": accept_drop and not passed,
                   "report": str(json_path), "results": [r.to_dict() for r in results]}
    result.gate_report = json_path
    if not passed and not accept_drop:
        raise AccuracyGateError(_gate_failure(results, text_path))
    if not passed:
        job.report(f"accuracy gate FAILED but kept (--accept-drop); report: {text_path}")


def _gate_failure(results: list[GateResult], text_path: Path) -> str:
    summary = []
    for r in results:
        if not r.passed:
            classes = sum(c.failed for c in r.classes)
            summary.append(f"{r.label}: mean IoU dropped {r.mean_drop:.2f} points (allowed {r.max_mean_drop}), "
                           f"{classes} class(es) dropped more than {r.max_class_drop} points")
    tables = "\n\n".join(r.table() for r in results if not r.passed)
    return (f"accuracy gate failed ({'; '.join(summary)}); report: {text_path}; build a higher precision, calibrate "
            f"on more representative sheets, or pass --accept-drop to keep it\n{tables}")


def _compile(job: _Job, result: BuildResult, batch: tuple[int, int, int], workspace_gb: float, opt_level: int,
             version_compatible: bool) -> BuildResult:
    from .trt_build import TrtBuildSettings, build_plan, cuda_device, import_tensorrt

    engine_path = job.path(f"{job.precision}.engine")
    try:
        trt, device = import_tensorrt(), cuda_device(0)
    except BackendUnavailableError as exc:
        written = ", ".join(str(p) for p in (result.onnx_path, result.cpu_onnx_path) if p is not None)
        raise BackendUnavailableError(
            f"{exc}. Everything up to the engine was written and checked ({written}); run the same command on the "
            f"GPU machine to build {engine_path}"
        ) from None
    tag = re.sub(r"[^A-Za-z0-9]+", "-", device.name).strip("-").lower()
    cache = job.out_dir / f"timing-{tag}-sm{device.compute_capability}-trt{trt.__version__}.cache"
    settings = TrtBuildSettings(INPUT_NAME, job.info.input_size, batch, workspace_gb, opt_level,
                                version_compatible, cache)
    job.report(f"TensorRT {trt.__version__}: compiling {result.onnx_path.name} for {device.name}, batch "
               f"{batch[0]}:{batch[1]}:{batch[2]}, opt level {opt_level}, timing cache {cache.name}")
    output = build_plan(result.onnx_path, settings, progress=job.bars)
    atomic_write_bytes(engine_path, output.plan)
    model = onnx.load(str(result.onnx_path), load_external_data=False)
    sidecar = EngineSidecar(
        schemseg_version=__version__, tensorrt_version=output.tensorrt_version, gpu_name=output.device.name,
        compute_capability=output.device.compute_capability, precision=job.precision, batch_min=batch[0],
        batch_opt=batch[1], batch_max=batch[2], input_size=job.info.input_size, class_names=job.info.class_names,
        mean=job.info.mean, std=job.info.std, onnx_sha256=_graph.sha256_file(result.onnx_path),
        source_onnx=str(job.source.resolve()), calibration_hash=_calibration_key(result),
        version_compatible=version_compatible, gate=result.gate,
        model_metadata={p.key: p.value for p in model.metadata_props},
        precision_onnx=str(result.onnx_path.resolve()), build=result.build,
    )
    result.engine_path, result.sidecar_path = engine_path, write_sidecar(engine_path, sidecar)
    result.tensorrt_version = output.tensorrt_version
    job.report(f"wrote {engine_path} ({len(output.plan) / 1e6:.1f} MB) and {result.sidecar_path}"
               + (" (timing cache reused)" if output.timing_cache_reused else ""))
    return result


def _calibration_key(result: BuildResult) -> str | None:
    calibration = result.build.get("calibration")
    return str(calibration["key"]) if isinstance(calibration, dict) else None
