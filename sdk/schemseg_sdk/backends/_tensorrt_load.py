"""Loading a TensorRT engine bundle: file checks, rebuild, deserialization, tensor descriptions.

TensorRT calls used (TensorRT 10 and 11): ``Runtime``, ``ILogger``, ``deserialize_cuda_engine``,
``engine_host_code_allowed``, ``num_io_tensors``, ``get_tensor_name``, ``get_tensor_mode``,
``get_tensor_dtype``, ``get_tensor_shape``, ``get_tensor_profile_shape``.
"""

from __future__ import annotations

import collections
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from ..engine.sidecar import EngineSidecar, read_sidecar
from ..errors import BackendUnavailableError, EngineLoadError
from ..model_info import ModelInfo
from .engine_checks import TRT_DTYPES, TensorDesc, rebuild_command

__all__ = [
    "INSTALL_HINT",
    "import_tensorrt",
    "check_engine_file",
    "rebuild_engine",
    "model_info_of",
    "deserialize",
    "describe_tensors",
    "trt_said",
]

_log = logging.getLogger("schemseg.tensorrt")
INSTALL_HINT = "pip install 'schemseg[tensorrt]' (or 'schemseg[cuda-python]' to use cuda-python instead of pycuda)"


def import_tensorrt() -> ModuleType:
    """Import ``tensorrt`` or raise :class:`BackendUnavailableError` naming the pip extra."""
    try:
        import tensorrt
    except ImportError as exc:
        raise BackendUnavailableError(f"TensorRT is not installed ({exc}); install it with: {INSTALL_HINT}") from None
    return tensorrt


def check_engine_file(path: Path) -> None:
    """Refuse a missing or empty engine file before anything heavier is loaded."""
    if not path.is_file():
        raise EngineLoadError(f"{path}: engine file not found; build one with 'schemseg-build-engine MODEL.onnx'")
    if path.stat().st_size == 0:
        raise EngineLoadError(f"{path}: engine file is empty (0 bytes), an interrupted build or copy; rebuild it")


def rebuild_engine(onnx_path: Path, sidecar: EngineSidecar, path: Path) -> tuple[Path, EngineSidecar]:
    """Rebuild the engine from ``onnx_path`` into the engine's folder; return the new bundle."""
    if not onnx_path.is_file():
        raise EngineLoadError(f"{path}: rebuild_from='{onnx_path}' does not exist; pass the model's ONNX file")
    try:
        from ..engine.bundle import rebuild_bundle  # the build without the accuracy gate: no evaluation here
    except ImportError as exc:
        raise EngineLoadError(f"{path}: cannot rebuild, the engine builder is unavailable ({exc})") from None
    _log.warning("%s does not match this system; rebuilding it from %s", path, onnx_path)
    suffix = f".{sidecar.precision}.engine"
    name = path.name[: -len(suffix)] if path.name.endswith(suffix) else path.stem
    result = rebuild_bundle(
        onnx_path,
        sidecar.precision,  # type: ignore[arg-type]  # the sidecar's precision was checked against Precision when read
        path.parent,
        batch=(sidecar.batch_min, sidecar.batch_opt, sidecar.batch_max),
        version_compatible=sidecar.version_compatible,
        name=name,
    )
    if result.engine_path is None:
        raise EngineLoadError(f"{path}: rebuilding from {onnx_path} produced no engine")
    return result.engine_path, read_sidecar(result.engine_path)


def model_info_of(sidecar: EngineSidecar, path: Path) -> ModelInfo:
    """The model's :class:`ModelInfo` from the sidecar (its ONNX metadata when present), at the engine's precision."""
    if sidecar.model_metadata:
        info = ModelInfo.from_metadata(sidecar.model_metadata, source=f"{path} sidecar")
    else:
        info = ModelInfo(
            class_names=sidecar.class_names, input_size=sidecar.input_size, mean=sidecar.mean, std=sidecar.std
        )
    if info.input_size != sidecar.input_size:
        raise EngineLoadError(
            f"{path}: sidecar input size {sidecar.input_size} disagrees with its model metadata ({info.input_size})"
        )
    return info.replace(precision=sidecar.precision)


class _Recent:
    """TensorRT's recent warnings and errors: logged, and quoted in our error messages."""

    messages: collections.deque[str] = collections.deque(maxlen=6)
    logger: Any = None


def _trt_logger(trt: ModuleType) -> Any:
    """The process-wide TensorRT logger: warnings go to Python logging, never straight to stderr."""
    if _Recent.logger is None:  # one logger per process: TensorRT treats it as a singleton

        class _Logger(trt.ILogger):  # type: ignore[name-defined]  # trt is a module value imported lazily, not a name mypy sees
            def __init__(self) -> None:
                trt.ILogger.__init__(self)

            def log(self, severity: Any, msg: str) -> None:
                if severity in (trt.ILogger.INTERNAL_ERROR, trt.ILogger.ERROR, trt.ILogger.WARNING):
                    _Recent.messages.append(str(msg))
                    _log.warning("TensorRT %s: %s", severity.name, msg)

        _Recent.logger = _Logger()
    return _Recent.logger


def trt_said() -> str:
    """TensorRT's last warning or error, formatted to end one of our messages."""
    return f" (TensorRT said: {_Recent.messages[-1]})" if _Recent.messages else ""


def deserialize(trt: ModuleType, path: Path, sidecar: EngineSidecar) -> tuple[Any, Any]:
    runtime = trt.Runtime(_trt_logger(trt))
    if sidecar.version_compatible:
        runtime.engine_host_code_allowed = True  # a version-compatible plan carries its lean runtime
    data = path.read_bytes()
    _Recent.messages.clear()
    try:
        engine = runtime.deserialize_cuda_engine(data)
    except Exception as exc:  # noqa: BLE001 - TensorRT raises plain RuntimeError/TypeError
        _Recent.messages.append(str(exc))
        engine = None
    if engine is None:
        raise EngineLoadError(
            f"{path}: TensorRT could not deserialize this {len(data)}-byte engine; the file is corrupt, "
            f"truncated or not a TensorRT plan{trt_said()}. Rebuild it with: {rebuild_command(sidecar, path)}"
        )
    return runtime, engine


def describe_tensors(trt: ModuleType, engine: Any) -> list[TensorDesc]:
    tensors = []
    for index in range(engine.num_io_tensors):
        name = engine.get_tensor_name(index)
        is_input = engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
        dtype_name = engine.get_tensor_dtype(name).name
        profile = None
        if is_input:
            low, opt, high = engine.get_tensor_profile_shape(name, 0)
            profile = (tuple(low), tuple(opt), tuple(high))
        dtype = TRT_DTYPES.get(dtype_name, dtype_name.lower())
        tensors.append(TensorDesc(name, is_input, dtype, tuple(engine.get_tensor_shape(name)), profile))
    return tensors
