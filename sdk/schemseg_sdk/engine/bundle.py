"""Engine bundles without the accuracy gate: checked precision graph -> TensorRT engine + sidecar.

:func:`prepare_graphs` loads and checks the FP32 graph, simplifies it (kept only with output
parity) and writes the precision graph (FP32 as is, FP16 with drift-prone ops in FP32, INT8
calibrated Q/DQ for TensorRT plus a QOperator graph for ONNX Runtime on CPU); :func:`compile_bundle`
compiles it with TensorRT into ``NAME.PRECISION.engine`` beside its ``NAME.PRECISION.json`` sidecar.
:func:`~schemseg_sdk.engine.pipeline.build_engine` runs the accuracy gate between the two; the
TensorRT backend's rebuild-on-load (:func:`rebuild_bundle`) does not, so the runtime never imports
the evaluation that the gate needs.
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
from ..errors import AccuracyGateError, BackendUnavailableError, EngineBuildError, InvalidInputError
from ..fileio import atomic_write_bytes
from ..model_info import INPUT_NAME, ModelInfo
from . import _graph
from .calibration import DEFAULT_CACHE_DIR, DEFAULT_CALIBRATION_METHOD, CalibrationMethod, calibrate
from .fp16 import convert_fp16
from .parity import run_graph
from .quantize import (
    WeightBits,
    check_tensorrt_qdq,
    cpu_weight_bits_here,
    first_layers,
    quantize_for_cpu,
    quantize_for_tensorrt,
)
from .sheets import SheetSet, load_sheets, synthetic_sheets
from .sidecar import EngineSidecar, skipped_gate, write_sidecar
from .simplify import simplify_graph

__all__ = [
    "Precision",
    "PRECISIONS",
    "BuildResult",
    "BuildJob",
    "DEFAULT_CALIB_DIR",
    "check_arguments",
    "prepare_graphs",
    "compile_bundle",
    "rebuild_bundle",
]

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
class BuildJob:
    """One build under way: the source graph, its metadata and where the outputs go."""

    source: Path
    info: ModelInfo
    precision: str
    out_dir: Path
    name: str
    report: Report
    bars: bool
    cpu_weight_bits: WeightBits = 7  # of the INT8 CPU graph

    def path(self, suffix: str) -> Path:
        return self.out_dir / f"{self.name}.{suffix}"


def prepare_graphs(
    onnx_path: str | os.PathLike[str],
    precision: Precision,
    out_dir: str | os.PathLike[str],
    *,
    calib: str | os.PathLike[str] | None = None,
    calib_count: int = 64,
    calib_method: CalibrationMethod = DEFAULT_CALIBRATION_METHOD,
    parity_val: str | os.PathLike[str] | None = None,
    name: str | None = None,
    cache_dir: str | os.PathLike[str] | None = DEFAULT_CACHE_DIR,
    report: Report | None = None,
    progress: bool = False,
    accept_drop: bool = False,
    tensorrt: bool = True,
    cpu_weight_bits: WeightBits | None = None,
) -> tuple[BuildJob, BuildResult]:
    """Load and check the FP32 graph, then write the checked ``precision`` graph (no accuracy gate).

    ``parity_val`` gives the sheets of the parity checks (else calibration or synthetic sheets);
    ``tensorrt`` reports whether TensorRT is there for the compile that follows; ``cpu_weight_bits``
    are those of the INT8 CPU graph (``None``: 8 where this CPU has VNNI, else 7).
    """
    source = Path(onnx_path)
    model = _graph.load_model(source)
    _graph.check_contract(model, str(source))
    info = _graph.read_info(model, str(source))
    job = BuildJob(
        source,
        info,
        precision,
        Path(out_dir),
        name or source.name.removesuffix(".onnx"),
        report or (lambda line: None),
        progress,
        cpu_weight_bits or cpu_weight_bits_here(),
    )
    job.report(
        f"model: {source} ({info.model_name} {info.model_version}, input {info.input_size}, "
        f"{len(model.graph.node)} nodes); target: {precision}"
    )
    if tensorrt:
        job.report("TensorRT: " + _tensorrt_status())
    calib_sheets = _calibration_sheets(job, calib, calib_count) if precision == "int8" else None
    sample = _parity_sheets(job, parity_val, calib_sheets)
    return job, _precision_graphs(job, model, sample, calib_sheets, calib_method, cache_dir, accept_drop)


def rebuild_bundle(
    onnx_path: str | os.PathLike[str],
    precision: Precision,
    out_dir: str | os.PathLike[str],
    *,
    batch: tuple[int, int, int],
    version_compatible: bool,
    name: str,
) -> BuildResult:
    """Rebuild an engine bundle for this GPU from its ONNX, as it was built (the gate is recorded as skipped)."""
    check_arguments(precision, batch, 64, 4.0, 3)
    job, result = prepare_graphs(onnx_path, precision, out_dir, name=name)
    result.gate = skipped_gate("rebuilt on load (Segmenter rebuild_from): the accuracy gate was not run again")
    return compile_bundle(job, result, batch, 4.0, 3, version_compatible)


def check_arguments(
    precision: str, batch: tuple[int, int, int], calib_count: int, workspace_gb: float, opt_level: int
) -> None:
    """Refuse a precision, batch profile or builder setting that cannot work, before any work is done."""
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


def _calibration_sheets(job: BuildJob, calib: str | os.PathLike[str] | None, count: int) -> SheetSet:
    sheets = load_sheets(calib if calib is not None else DEFAULT_CALIB_DIR, count, job.info.input_size)
    job.report(f"calibration sheets: {len(sheets)} from {sheets.source}")
    if sheets.coverage is not None:
        job.report(f"calibration coverage: {sheets.coverage.summary()}")
    return sheets


def _parity_sheets(job: BuildJob, val: str | os.PathLike[str] | None, calib_sheets: SheetSet | None) -> SheetSet:
    """A few real sheets for the parity checks: from val, else calibration, else synthetic drawings."""
    if val is not None:
        return load_sheets(val, PARITY_SHEETS, job.info.input_size)
    if calib_sheets is not None:
        return calib_sheets.head(PARITY_SHEETS)
    return synthetic_sheets(PARITY_SHEETS, job.info.input_size)


def _precision_graphs(
    job: BuildJob,
    model: onnx.ModelProto,
    sample: SheetSet,
    calib_sheets: SheetSet | None,
    calib_method: CalibrationMethod,
    cache_dir: str | os.PathLike[str] | None,
    accept_drop: bool,
) -> BuildResult:
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


def _save(
    job: BuildJob,
    model: onnx.ModelProto,
    precision: str,
    suffix: str | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    info = job.info.replace(extra={**job.info.extra, **extra}) if extra else job.info
    path = _graph.save_model(_graph.with_precision(model, info, precision), job.path(f"{suffix or precision}.onnx"))
    job.report(f"wrote {path}")
    return path


def _fp16(
    job: BuildJob,
    graph: onnx.ModelProto,
    sample: SheetSet,
    reference: object,
    build: dict[str, object],
    accept_drop: bool,
) -> BuildResult:
    outcome = convert_fp16(graph, sample, reference)  # type: ignore[arg-type]  # reference is an ort session or backend, typed object to keep ort lazy
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


def _int8(
    job: BuildJob,
    graph: onnx.ModelProto,
    sheets: SheetSet,
    method: CalibrationMethod,
    cache_dir: str | os.PathLike[str] | None,
    build: dict[str, object],
) -> BuildResult:
    regions = _graph.find_regions(graph)
    body = [n.name for n in graph.graph.node if n.name not in regions.excluded]
    tensors = _graph.float_tensor_names(graph, body)
    calibration = calibrate(graph, sheets, tensors, method, cache_dir, progress=job.bars)
    origin = (
        f"reused cache {calibration.cache_path}"
        if calibration.from_cache
        else (f"measured, cached in {calibration.cache_path}" if calibration.cache_path else "measured (no cache)")
    )
    job.report(f"calibration ({method}): {len(calibration.ranges)} tensors on {len(sheets)} sheets, {origin}")
    build["calibration"] = calibration.to_dict()
    if sheets.coverage is not None:
        build["calibration"]["coverage"] = sheets.coverage.summary()  # type: ignore[index]  # build is the JSON sidecar (dict[str, object]); this entry is a dict
    kept = first_layers(graph, regions)
    job.report(f"int8: the first {len(kept)} compute layers keep float: {', '.join(kept)}")
    build["float_input_layers"] = kept
    qdq = quantize_for_tensorrt(graph, calibration.ranges, regions)
    problems = check_tensorrt_qdq(qdq)
    if problems:
        raise EngineBuildError("the TensorRT INT8 graph is malformed: " + "; ".join(problems))
    trt_path = _save(
        job, qdq, "int8", extra={"quantization": "qdq-s8s8-symmetric-per-channel", "float_input_layers": str(len(kept))}
    )
    bits = job.cpu_weight_bits
    where = "only on CPUs with VNNI; --cpu-weight-bits 7 for any x86 CPU" if bits == 8 else "on any x86 CPU"
    job.report(f"CPU graph: {bits}-bit weights (runs {where})")
    cpu = quantize_for_cpu(graph, calibration.ranges, regions, bits)
    extra = {"quantization": "qoperator-u8s8", "cpu_weight_bits": str(bits), "float_input_layers": str(len(kept))}
    cpu_path = _save(job, cpu, "int8", "int8-cpu", extra=extra)
    return BuildResult("int8", trt_path, cpu_path, build=build)


def compile_bundle(
    job: BuildJob,
    result: BuildResult,
    batch: tuple[int, int, int],
    workspace_gb: float,
    opt_level: int,
    version_compatible: bool,
) -> BuildResult:
    """Compile the checked graph of ``result`` with TensorRT; write the engine and its sidecar."""
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
    settings = TrtBuildSettings(
        INPUT_NAME, job.info.input_size, batch, workspace_gb, opt_level, version_compatible, cache
    )
    job.report(
        f"TensorRT {trt.__version__}: compiling {result.onnx_path.name} for {device.name}, batch "
        f"{batch[0]}:{batch[1]}:{batch[2]}, opt level {opt_level}, timing cache {cache.name}"
    )
    output = build_plan(result.onnx_path, settings, progress=job.bars)
    atomic_write_bytes(engine_path, output.plan)
    model = onnx.load(str(result.onnx_path), load_external_data=False)
    sidecar = EngineSidecar(
        schemseg_version=__version__,
        tensorrt_version=output.tensorrt_version,
        gpu_name=output.device.name,
        compute_capability=output.device.compute_capability,
        precision=job.precision,
        batch_min=batch[0],
        batch_opt=batch[1],
        batch_max=batch[2],
        input_size=job.info.input_size,
        class_names=job.info.class_names,
        mean=job.info.mean,
        std=job.info.std,
        onnx_sha256=_graph.sha256_file(result.onnx_path),
        source_onnx=str(job.source.resolve()),
        calibration_hash=_calibration_key(result),
        version_compatible=version_compatible,
        gate=result.gate,
        model_metadata={p.key: p.value for p in model.metadata_props},
        precision_onnx=str(result.onnx_path.resolve()),
        build=result.build,
    )
    result.engine_path, result.sidecar_path = engine_path, write_sidecar(engine_path, sidecar)
    result.tensorrt_version = output.tensorrt_version
    job.report(
        f"wrote {engine_path} ({len(output.plan) / 1e6:.1f} MB) and {result.sidecar_path}"
        + (" (timing cache reused)" if output.timing_cache_reused else "")
    )
    return result


def _calibration_key(result: BuildResult) -> str | None:
    calibration = result.build.get("calibration")
    return str(calibration["key"]) if isinstance(calibration, dict) else None
