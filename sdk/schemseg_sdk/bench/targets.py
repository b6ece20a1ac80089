"""Which files and runtimes the benchmark's backend names stand for, and why one cannot run here."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import BackendUnavailableError

__all__ = ["BackendName", "BACKENDS", "DEFAULT_CHECKPOINT", "BenchTarget", "resolve_targets", "model_stem"]

BackendName = Literal["torch", "ort", "ort-int8", "openvino", "openvino-bf16", "openvino-int8", "trt-fp16", "trt-int8"]
BACKENDS: tuple[str, ...] = (
    "torch",
    "ort",
    "ort-int8",
    "openvino",
    "openvino-bf16",
    "openvino-int8",
    "trt-fp16",
    "trt-int8",
)
DEFAULT_CHECKPOINT = Path("runs/ref/best.pt")
"""Where the reference training run leaves its best checkpoint (the PyTorch eager row)."""

PRECISIONS = {
    "torch": "fp32",
    "ort": "fp32",
    "ort-int8": "int8",
    "openvino": "fp32",
    "openvino-bf16": "bf16",
    "openvino-int8": "int8",
    "trt-fp16": "fp16",
    "trt-int8": "int8",
}


@dataclass(frozen=True)
class BenchTarget:
    """One backend to measure: its name, the file it runs, and why it is skipped (``None``: it runs)."""

    backend: str
    model: str  # what the table calls it: the ONNX model's stem, or the checkpoint's file name
    path: Path | None
    precision: str
    skip_reason: str | None = None


def model_stem(path: Path) -> str:
    """``reference`` for ``models/reference.onnx``."""
    return path.name[: -len(".onnx")] if path.name.lower().endswith(".onnx") else path.stem


def resolve_targets(
    backends: list[str], models: list[Path], checkpoint: Path | None, engines_dir: Path
) -> list[BenchTarget]:
    """Map backend names to files, model by model; the PyTorch row (one per run) comes last.

    ``ort`` runs each fp32 ``.onnx``; ``ort-int8`` the ``NAME.int8-cpu.onnx`` beside it; ``openvino``
    the fp32 ``.onnx``, ``openvino-bf16`` the same in bfloat16 (CPUs with AVX512_BF16 or AMX) and
    ``openvino-int8`` the Q/DQ ``NAME.int8.onnx`` beside it, with OpenVINO;
    ``trt-fp16``/``trt-int8`` run ``engines_dir/NAME.fp16.engine``/``NAME.int8.engine``;
    ``torch`` runs ``checkpoint`` (default :data:`DEFAULT_CHECKPOINT` when present). Torch is
    measured last because importing it grows the process memory the other rows report.
    """
    unknown = [name for name in backends if name not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown backend {unknown[0]!r}; expected some of {', '.join(BACKENDS)}")
    targets = [_model_target(name, model, engines_dir) for model in models for name in backends if name != "torch"]
    if "torch" in backends:
        targets.append(_torch_target(checkpoint))
    return targets


def _model_target(name: str, model: Path, engines_dir: Path) -> BenchTarget:
    stem = model_stem(model)
    if name == "ort":
        return BenchTarget(name, stem, model, "fp32", _missing_model(model))
    if name in ("openvino", "openvino-bf16"):
        reason = _openvino_missing() or _missing_model(model)
        if reason is None and name == "openvino-bf16":
            reason = _bf16_missing()
        return BenchTarget(name, stem, model, PRECISIONS[name], reason)
    if name in ("ort-int8", "openvino-int8"):
        path = model.with_name(f"{stem}.int8-cpu.onnx" if name == "ort-int8" else f"{stem}.int8.onnx")
        reason = _openvino_missing() if name == "openvino-int8" else None
        if reason is None and not path.is_file():
            reason = f"{path} not found; create it with: schemseg-build-engine {model} --int8 --onnx-only"
        return BenchTarget(name, stem, path, "int8", reason)
    precision = PRECISIONS[name]
    path = engines_dir / f"{stem}.{precision}.engine"
    reason = _tensorrt_missing()
    if reason is None and not path.is_file():
        command = f"schemseg-build-engine {model} --{precision} --out {engines_dir}"
        reason = f"{path} not found; build it on this GPU with: {command}"
    return BenchTarget(name, stem, path, precision, reason)


def _missing_model(model: Path) -> str | None:
    return None if model.is_file() else f"{model}: no such model file; export one with 'schemseg export'"


def _openvino_missing() -> str | None:
    from ..backends.cpu_choice import openvino_installed
    from ..backends.openvino import OPENVINO_HINT

    return None if openvino_installed() else f"OpenVINO is not installed; {OPENVINO_HINT}"


def _bf16_missing() -> str | None:
    from ..cpu import has_fast_bf16

    return None if has_fast_bf16() else "this CPU does not compute bfloat16 natively (no AVX512_BF16 or AMX)"


def _torch_target(checkpoint: Path | None) -> BenchTarget:
    path = checkpoint if checkpoint is not None else DEFAULT_CHECKPOINT
    reason = None
    if importlib.util.find_spec("torch") is None:
        reason = "torch is not installed; pip install 'schemseg[train]' for the PyTorch eager row"
    elif checkpoint is None and not path.is_file():
        reason = f"no checkpoint: {DEFAULT_CHECKPOINT} not found; pass --checkpoint CKPT (a 'schemseg train' best.pt)"
    elif not path.is_file():
        reason = f"{path}: no such checkpoint"
    return BenchTarget("torch", path.name, path, "fp32", reason)


def _tensorrt_missing() -> str | None:
    """The reason TensorRT engines cannot run here, as the SDK states it; ``None`` when they can."""
    from ..backends.open import tensorrt_backend_class  # the SDK's own check, not a copy of it

    if importlib.util.find_spec("tensorrt") is None:
        try:
            tensorrt_backend_class()
        except BackendUnavailableError as exc:
            return str(exc)
        return "TensorRT is not installed; pip install 'schemseg[tensorrt]' (NVIDIA GPU machines)"
    return None
