"""``build_engine``: exported FP32 ONNX -> checked precision graph -> accuracy gate -> TensorRT engine bundle.

Stages: load and check the graph contract; simplify (kept only with output parity); make the
precision graph (:mod:`~schemseg_sdk.engine.bundle`); accuracy gate against FP32 on ``val``; compile
with TensorRT and write ``NAME.PRECISION.engine`` beside its ``NAME.PRECISION.json`` sidecar. All
stages but the compile run on CPU; the precision ONNX files are written before TensorRT is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..dataset import SegmentationDataset
from ..errors import AccuracyGateError
from .bundle import (
    DEFAULT_CALIB_DIR,
    PRECISIONS,
    BuildJob,
    BuildResult,
    Precision,
    Report,
    check_arguments,
    compile_bundle,
    prepare_graphs,
)
from .calibration import DEFAULT_CACHE_DIR, DEFAULT_CALIBRATION_METHOD, CalibrationMethod
from .gate import GateResult, compare_scores, score_graph, skipped_gate, write_gate_report
from .quantize import WeightBits

__all__ = ["Precision", "PRECISIONS", "BuildResult", "build_engine", "DEFAULT_CALIB_DIR"]


def build_engine(
    onnx_path: str | os.PathLike[str],
    precision: Precision = "fp16",
    out_dir: str | os.PathLike[str] = "engines",
    *,
    calib: str | os.PathLike[str] | None = None,
    calib_count: int = 64,
    calib_method: CalibrationMethod = DEFAULT_CALIBRATION_METHOD,
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
    cpu_weight_bits: WeightBits | None = None,
) -> BuildResult:
    """Build the ``precision`` engine bundle of an exported schemseg model.

    Args:
        onnx_path: the FP32 export (``schemseg export``).
        precision: ``fp32``, ``fp16`` or ``int8``.
        out_dir: where ``NAME.PRECISION.{onnx,engine,json}`` and the gate report go.
        calib: INT8 calibration sheets: a dataset (``images/`` + ``masks/``, class-covering sample)
            or any folder of images; default ``calibration/``.
        calib_count: number of calibration sheets.
        calib_method: ``minmax``, ``entropy`` or ``percentile``.
        val: validation dataset for the accuracy gate; without it the gate is skipped (and recorded so).
        val_count: score only the first ``val_count`` validation sheets.
        batch: the engine's optimisation profile ``(min, opt, max)`` batch sizes.
        workspace_gb: TensorRT builder workspace, GB.
        opt_level: TensorRT builder optimisation level.
        version_compatible: build a TensorRT engine that later TensorRT versions can load.
        onnx_only: stop after the checked precision ONNX (no TensorRT needed).
        accept_drop: keep a graph that fails the accuracy gate (the report says so).
        name: ``NAME`` of the outputs (default: the ONNX file's stem).
        cache_dir: calibration cache folder (``None``: no cache).
        report: called with one line per stage (the CLI prints them); library code prints nothing.
        progress: show tqdm bars for long stages on stderr.
        cpu_weight_bits: weights of the INT8 CPU graph: 7 (any x86 CPU) or 8 (CPUs with VNNI only);
            ``None``: 8 where this CPU has VNNI, else 7.

    Raises:
        ModelFormatError: not a schemseg ONNX graph.
        AccuracyGateError: the precision graph lost too much accuracy (files are still written).
        BackendUnavailableError: TensorRT or a GPU is missing (the checked ONNX is written first).
        EngineBuildError: calibration, quantization or the TensorRT build failed.

    >>> result = build_engine("model.onnx", "int8", calib="data/val", val="data/val")  # doctest: +SKIP
    >>> result.engine_path  # doctest: +SKIP
    PosixPath('engines/model.int8.engine')
    """
    check_arguments(precision, batch, calib_count, workspace_gb, opt_level)
    job, result = prepare_graphs(
        onnx_path,
        precision,
        out_dir,
        calib=calib,
        calib_count=calib_count,
        calib_method=calib_method,
        parity_val=val,
        name=name,
        cache_dir=cache_dir,
        report=report,
        progress=progress,
        accept_drop=accept_drop,
        tensorrt=not onnx_only,
        cpu_weight_bits=cpu_weight_bits,
    )
    _run_gate(job, result, val, val_count, accept_drop)
    if onnx_only:
        job.report(f"--onnx-only: stopped after the checked graph {result.onnx_path}; no engine built")
        return result
    return compile_bundle(job, result, batch, workspace_gb, opt_level, version_compatible)


def _run_gate(
    job: BuildJob, result: BuildResult, val: str | os.PathLike[str] | None, val_count: int | None, accept_drop: bool
) -> None:
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
    same_arithmetic = job.precision == "fp32" and not result.build["simplify"]["simplified"]  # type: ignore[index]  # build is the JSON sidecar (dict[str, object]); this entry is a dict
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
    result.gate = {
        "status": "passed" if passed else "failed",
        "accepted_drop": accept_drop and not passed,
        "report": str(json_path),
        "results": [r.to_dict() for r in results],
    }
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
            summary.append(
                f"{r.label}: mean IoU dropped {r.mean_drop:.2f} points (allowed {r.max_mean_drop}), "
                f"{classes} class(es) dropped more than {r.max_class_drop} points"
            )
    tables = "\n\n".join(r.table() for r in results if not r.passed)
    return (
        f"accuracy gate failed ({'; '.join(summary)}); report: {text_path}; build a higher precision, calibrate "
        f"on more representative sheets, or pass --accept-drop to keep it\n{tables}"
    )
