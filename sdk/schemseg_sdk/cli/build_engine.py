"""``schemseg build-engine`` / ``schemseg-build-engine``: checked precision graph and TensorRT engine bundle.

Exit codes: 0 ok, 1 error, 2 usage, 3 accuracy gate failed, 4 TensorRT or GPU missing (the checked
precision ONNX was still written).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import AccuracyGateError, BackendUnavailableError, SchemsegError
from ._common import SchemsegClickError

if TYPE_CHECKING:
    from ..engine.quantize import WeightBits

__all__ = ["build_engine", "main", "EXIT_GATE_FAILED", "EXIT_TENSORRT_UNAVAILABLE"]

EXIT_GATE_FAILED = 3
EXIT_TENSORRT_UNAVAILABLE = 4

_EPILOG = """\b
Exit codes: 0 ok, 1 error, 2 usage error, 3 accuracy gate failed,
4 TensorRT or NVIDIA GPU missing (the checked precision ONNX was still written;
install TensorRT on the GPU machine with: pip install 'schemseg[tensorrt]').

\b
Examples:
  schemseg-build-engine model.onnx --fp16 --val data/val
  schemseg-build-engine model.onnx --int8 --calib data/val --val data/val --batch 1:8:16
  schemseg-build-engine model.onnx --int8 --onnx-only      # CPU: writes model.int8-cpu.onnx too
"""


def _parse_batch(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(p) for p in value.split(":"))
    except ValueError:
        parts = ()
    if len(parts) != 3 or not 1 <= parts[0] <= parts[1] <= parts[2]:
        raise click.BadParameter(f"expected MIN:OPT:MAX with 1 <= MIN <= OPT <= MAX, got {value!r}")
    return parts


def _precision(fp32: bool, fp16: bool, int8: bool) -> str:
    chosen = [name for name, flag in (("fp32", fp32), ("fp16", fp16), ("int8", int8)) if flag]
    if len(chosen) > 1:
        raise click.UsageError(f"--fp32, --fp16 and --int8 exclude each other; got --{' and --'.join(chosen)}")
    return chosen[0] if chosen else "fp16"


def _weight_bits(choice: str | None) -> WeightBits | None:
    """``--cpu-weight-bits``: ``None`` (auto: this CPU decides) or 7 or 8."""
    return None if choice in (None, "auto") else (8 if choice == "8" else 7)


def _check_usage(
    precision: str,
    calib: Path | None,
    calib_count: int | None,
    calib_method: str | None,
    cpu_weight_bits: str | None,
    onnx_only: bool,
    workspace: float | None,
    opt_level: int | None,
    version_compatible: bool,
) -> None:
    int8_only = [
        flag
        for flag, value in (
            ("--calib", calib),
            ("--calib-count", calib_count),
            ("--calib-method", calib_method),
            ("--cpu-weight-bits", cpu_weight_bits),
        )
        if value is not None
    ]
    if int8_only and precision != "int8":
        raise click.UsageError(f"{', '.join(int8_only)} only apply to --int8 (building {precision})")
    trt_only = [
        flag
        for flag, value in (
            ("--workspace", workspace),
            ("--opt-level", opt_level),
            ("--version-compatible", version_compatible or None),
        )
        if value is not None
    ]
    if onnx_only and trt_only:
        raise click.UsageError(f"{', '.join(trt_only)} set TensorRT options, but --onnx-only builds no engine")


@click.command("build-engine", epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--fp32", is_flag=True, help="Build an FP32 engine.")
@click.option("--fp16", is_flag=True, help="Build an FP16 engine (the default).")
@click.option("--int8", is_flag=True, help="Build an INT8 engine (explicit Q/DQ) plus NAME.int8-cpu.onnx for CPUs.")
@click.option(
    "--calib",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="INT8 calibration sheets: a dataset (images/ + masks/) or any images  [default: calibration/]",
)
@click.option("--calib-count", type=click.IntRange(min=1), help="Number of calibration sheets  [default: 64]")
@click.option(
    "--calib-method",
    type=click.Choice(["minmax", "entropy", "percentile"]),
    help="Calibration method  [default: entropy]",
)
@click.option(
    "--cpu-weight-bits",
    type=click.Choice(["auto", "7", "8"]),
    help="Weights of NAME.int8-cpu.onnx: 7 runs on any x86 CPU, 8 is more accurate but runs only on CPUs "
    "with VNNI (the SDK refuses it elsewhere); auto: 8 where this CPU has VNNI  [default: auto]",
)
@click.option(
    "--val",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Validation dataset for the accuracy gate (without it the gate is skipped).",
)
@click.option("--val-count", type=click.IntRange(min=1), help="Score only the first N validation sheets.")
@click.option(
    "--batch",
    default="1:4:8",
    show_default=True,
    callback=_parse_batch,
    help="Batch profile MIN:OPT:MAX of the engine (input shape (B, S, S, 3)).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("engines"),
    show_default=True,
    help="Output folder.",
)
@click.option("--workspace", type=click.FloatRange(min=0, min_open=True), help="TensorRT workspace in GB  [default: 4]")
@click.option("--opt-level", type=click.IntRange(0, 5), help="TensorRT builder optimization level  [default: 3]")
@click.option("--version-compatible", is_flag=True, help="Build a plan that later TensorRT versions can run.")
@click.option("--onnx-only", is_flag=True, help="Stop after the checked precision ONNX (no TensorRT needed).")
@click.option("--accept-drop", is_flag=True, help="Keep a graph that fails the accuracy gate.")
def build_engine(
    model: Path,
    fp32: bool,
    fp16: bool,
    int8: bool,
    calib: Path | None,
    calib_count: int | None,
    calib_method: str | None,
    cpu_weight_bits: str | None,
    val: Path | None,
    val_count: int | None,
    batch: tuple[int, int, int],
    out_dir: Path,
    workspace: float | None,
    opt_level: int | None,
    version_compatible: bool,
    onnx_only: bool,
    accept_drop: bool,
) -> None:
    """Build the TensorRT engine bundle of MODEL (an exported schemseg ONNX): simplify, convert to
    the chosen precision, check accuracy against FP32, compile, write NAME.PRECISION.engine + .json."""
    from ..engine.calibration import DEFAULT_CALIBRATION_METHOD
    from ..engine.pipeline import build_engine as run_build

    precision = _precision(fp32, fp16, int8)
    _check_usage(
        precision,
        calib,
        calib_count,
        calib_method,
        cpu_weight_bits,
        onnx_only,
        workspace,
        opt_level,
        version_compatible,
    )
    try:
        result = run_build(
            model,
            precision,  # type: ignore[arg-type]  # click gives str; click.Choice limits it to the Literal values
            out_dir,
            calib=calib,
            calib_count=calib_count or 64,
            calib_method=calib_method or DEFAULT_CALIBRATION_METHOD,  # type: ignore[arg-type]  # click gives str; click.Choice limits it to the Literal values
            val=val,
            val_count=val_count,
            batch=batch,
            workspace_gb=workspace or 4.0,
            opt_level=3 if opt_level is None else opt_level,
            version_compatible=version_compatible,
            onnx_only=onnx_only,
            accept_drop=accept_drop,
            report=lambda line: click.echo(line, err=True),
            progress=True,
            cpu_weight_bits=_weight_bits(cpu_weight_bits),
        )
    except AccuracyGateError as exc:
        raise SchemsegClickError(str(exc), EXIT_GATE_FAILED) from None
    except BackendUnavailableError as exc:
        raise SchemsegClickError(str(exc), EXIT_TENSORRT_UNAVAILABLE) from None
    except SchemsegError as exc:
        raise SchemsegClickError(str(exc)) from None
    written = [p for p in (result.onnx_path, result.cpu_onnx_path, result.engine_path, result.sidecar_path) if p]
    click.echo("\n".join(str(p) for p in written))


main = build_engine
