"""Open the backend a model file asks for: ONNX Runtime/OpenVINO on the CPU, ONNX Runtime on CUDA, or TensorRT."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import BackendUnavailableError, ModelFormatError
from .base import Backend
from .cpu_choice import open_onnx_backend
from .onnxruntime import Device

__all__ = ["ENGINE_SUFFIXES", "open_backend", "tensorrt_backend_class"]

ENGINE_SUFFIXES = (".engine", ".plan")
"""File suffixes of serialised TensorRT engines."""


def open_backend(
    path: Path, device: Device, threads: int | None, rebuild_from: str | os.PathLike[str] | None, bundled: bool = False
) -> Backend:
    """Choose the runtime from the model file: ``.onnx`` -> the CPU runtime that runs it fastest, or ONNX
    Runtime on CUDA (:func:`~schemseg_sdk.backends.cpu_choice.open_onnx_backend`), ``.engine``/``.plan`` ->
    TensorRT; ``bundled``: no model was given, and a faster gated graph shipped beside it may run instead."""
    if path.is_dir():
        raise ModelFormatError(f"{path}: is a directory, expected a model file (.onnx, .engine or .plan)")
    if not path.is_file():
        raise ModelFormatError(f"{path}: no such model file")
    suffix = path.suffix.lower()
    if suffix in ENGINE_SUFFIXES:
        if device == "cpu":
            raise BackendUnavailableError(
                f"{path.name}: a TensorRT engine runs on an NVIDIA GPU, not device='cpu'; "
                "use device='cuda' or 'auto', or pass the .onnx model to run on the CPU"
            )
        return tensorrt_backend_class()(path, device_id=0, rebuild_from=rebuild_from)
    if suffix != ".onnx":
        raise ModelFormatError(
            f"{path}: unknown model type {suffix or '(no suffix)'!r}; expected .onnx, .engine or .plan"
        )
    return open_onnx_backend(path, device, threads, bundled=bundled)


def tensorrt_backend_class() -> type:
    try:
        from .tensorrt import TensorRTBackend
    except ModuleNotFoundError as exc:
        if exc.name not in ("schemseg_sdk.backends.tensorrt", "tensorrt"):
            raise
        raise BackendUnavailableError(
            f"the TensorRT backend is not available ({exc}); pip install 'schemseg[tensorrt]'"
        ) from None
    return TensorRTBackend
