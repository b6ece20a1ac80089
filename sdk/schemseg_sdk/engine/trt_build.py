"""TensorRT engine compilation: the only module of schemseg that imports ``tensorrt``.

It compiles a graph whose precision is already explicit (FP32, FP16, or INT8 Q/DQ) into a
*strongly typed* network: TensorRT 10 with ``NetworkDefinitionCreationFlag.STRONGLY_TYPED``,
TensorRT 11 where strong typing is the only mode (the flag is deprecated and ignored there, and the
weak-typing builder flags FP16/INT8 are gone). Everything else (which precision, checks, files)
happens in :mod:`~schemseg_sdk.engine.pipeline`, tested on CPU.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tqdm import tqdm

from ..errors import BackendUnavailableError, EngineBuildError
from ..fileio import atomic_write_bytes

__all__ = [
    "INSTALL_HINT",
    "SUPPORTED_MAJOR_VERSIONS",
    "CudaDevice",
    "TrtBuildSettings",
    "TrtBuildOutput",
    "import_tensorrt",
    "cuda_device",
    "build_plan",
]

INSTALL_HINT = "pip install 'schemseg[tensorrt]'"
SUPPORTED_MAJOR_VERSIONS = (10, 11)
_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76


@dataclass(frozen=True)
class CudaDevice:
    name: str
    compute_capability: str  # "8.6"


@dataclass(frozen=True)
class TrtBuildSettings:
    """What the engine is built for."""

    input_name: str
    input_size: int
    batch: tuple[int, int, int]  # min, opt, max
    workspace_gb: float = 4.0
    opt_level: int = 3  # builder optimization level 0..5 (TensorRT's default is 3)
    version_compatible: bool = False
    timing_cache: Path | None = None  # read if present, written back after the build


@dataclass(frozen=True)
class TrtBuildOutput:
    plan: bytes
    tensorrt_version: str
    device: CudaDevice
    timing_cache_reused: bool


def import_tensorrt() -> ModuleType:
    """Import ``tensorrt`` or raise :class:`BackendUnavailableError` saying how to install it."""
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise BackendUnavailableError(
            f"TensorRT is not installed ({exc}); install it on the GPU machine: {INSTALL_HINT}"
        ) from None
    major = int(str(trt.__version__).split(".")[0])
    if major not in SUPPORTED_MAJOR_VERSIONS:
        raise BackendUnavailableError(
            f"TensorRT {trt.__version__} is not supported; schemseg builds with TensorRT 10.x or 11.x: {INSTALL_HINT}"
        )
    return trt


def cuda_device(index: int = 0) -> CudaDevice:
    """Name and compute capability of GPU ``index``, read through the CUDA driver (no CUDA toolkit needed)."""
    library = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        cuda = ctypes.CDLL(library)
    except OSError:
        raise BackendUnavailableError(
            f"no NVIDIA GPU driver here ({library} cannot be loaded); TensorRT engines are built on the GPU "
            "machine that runs them"
        ) from None

    def check(code: int, call: str) -> None:
        if code != 0:
            raise BackendUnavailableError(f"no usable NVIDIA GPU here ({call} returned CUDA error {code})")

    count, device = ctypes.c_int(0), ctypes.c_int(0)
    check(cuda.cuInit(0), "cuInit")
    check(cuda.cuDeviceGetCount(ctypes.byref(count)), "cuDeviceGetCount")
    if count.value <= index:
        raise BackendUnavailableError(f"no NVIDIA GPU {index} here ({count.value} GPU(s) found)")
    check(cuda.cuDeviceGet(ctypes.byref(device), index), "cuDeviceGet")
    name = ctypes.create_string_buffer(256)
    check(cuda.cuDeviceGetName(name, len(name), device), "cuDeviceGetName")
    major, minor = ctypes.c_int(0), ctypes.c_int(0)
    check(
        cuda.cuDeviceGetAttribute(ctypes.byref(major), _CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
        "cuDeviceGetAttribute",
    )
    check(
        cuda.cuDeviceGetAttribute(ctypes.byref(minor), _CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
        "cuDeviceGetAttribute",
    )
    return CudaDevice(name.value.decode("utf-8", "replace"), f"{major.value}.{minor.value}")


def _network_flags(trt: ModuleType) -> int:
    if int(str(trt.__version__).split(".")[0]) >= 11:
        return 0  # strongly typed is the only mode; STRONGLY_TYPED is deprecated and ignored
    return 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)


def _parse(trt: ModuleType, builder: object, logger: object, onnx_path: Path) -> tuple[object, object]:
    network = builder.create_network(_network_flags(trt))  # type: ignore[attr-defined]  # TensorRT objects are passed as object: tensorrt is untyped
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)] or ["(the parser recorded no error)"]
        raise EngineBuildError(
            f"{onnx_path}: TensorRT {trt.__version__} cannot parse the graph ({len(errors)} error(s)):\n  "
            + "\n  ".join(errors)
        )
    return network, parser


def _attach_timing_cache(config: object, path: Path | None) -> bool:
    """Load the timing cache at ``path`` into ``config`` (empty if absent or stale); True if reused."""
    blob = path.read_bytes() if path is not None and path.is_file() else b""
    cache = config.create_timing_cache(blob)  # type: ignore[attr-defined]  # TensorRT objects are passed as object: tensorrt is untyped
    if cache is not None and config.set_timing_cache(cache, ignore_mismatch=False):  # type: ignore[attr-defined]  # TensorRT objects are passed as object: tensorrt is untyped
        return bool(blob)
    # a cache from another GPU or TensorRT version: start afresh rather than mix timings
    config.set_timing_cache(config.create_timing_cache(b""), ignore_mismatch=False)  # type: ignore[attr-defined]  # TensorRT objects are passed as object: tensorrt is untyped
    return False


def _progress_monitor(trt: ModuleType) -> object | None:
    if not hasattr(trt, "IProgressMonitor"):
        return None

    class _TqdmMonitor(trt.IProgressMonitor):  # type: ignore[name-defined]  # trt is a module value imported lazily, not a name mypy sees
        """Top-level TensorRT build phases as tqdm bars on stderr."""

        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self._bars: dict[str, tqdm] = {}

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            if parent_phase is None:
                self._bars[phase_name] = tqdm(
                    total=num_steps, desc=f"TensorRT {phase_name}", file=sys.stderr, leave=False
                )

        def step_complete(self, phase_name: str, step: int) -> bool:
            bar = self._bars.get(phase_name)
            if bar is not None:
                bar.update(max(0, step + 1 - bar.n))
            return True  # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            bar = self._bars.pop(phase_name, None)
            if bar is not None:
                bar.close()

    return _TqdmMonitor()


def build_plan(onnx_path: str | os.PathLike[str], settings: TrtBuildSettings, progress: bool = False) -> TrtBuildOutput:
    """Compile ``onnx_path`` into a serialized TensorRT engine (plan) for GPU 0.

    Raises:
        BackendUnavailableError: TensorRT is not installed or there is no NVIDIA GPU.
        EngineBuildError: the parser rejected the graph or the builder failed.
    """
    trt = import_tensorrt()
    device = cuda_device(0)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network, _parser = _parse(trt, builder, logger, Path(onnx_path))  # the parser must outlive the build
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(settings.workspace_gb * (1 << 30)))
    config.builder_optimization_level = settings.opt_level
    profile = builder.create_optimization_profile()
    size, (low, opt, high) = settings.input_size, settings.batch
    profile.set_shape(settings.input_name, (low, size, size, 3), (opt, size, size, 3), (high, size, size, 3))
    config.add_optimization_profile(profile)
    if settings.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    reused = _attach_timing_cache(config, settings.timing_cache)
    monitor = _progress_monitor(trt) if progress else None
    if monitor is not None:
        config.progress_monitor = monitor
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise EngineBuildError(
            f"{onnx_path}: TensorRT {trt.__version__} failed to build the engine (see its messages above); "
            "try a larger --workspace or a smaller --batch maximum"
        )
    if settings.timing_cache is not None:
        atomic_write_bytes(settings.timing_cache, bytes(config.get_timing_cache().serialize()))
    return TrtBuildOutput(bytes(plan), str(trt.__version__), device, reused)
