"""ONNX Runtime backend: one ``InferenceSession`` with an explicit provider list, shared by threads.

Providers are chosen, never guessed: ``device="cpu"`` runs on ``CPUExecutionProvider`` only;
``device="cuda"`` needs ``CUDAExecutionProvider`` (the ``onnxruntime-gpu`` package) and raises
:class:`~schemseg_sdk.errors.BackendUnavailableError` when it is missing or fails to load, instead of
ORT's silent fallback to the CPU; ``device="auto"`` takes CUDA when it is usable, else the CPU, and
says which in :attr:`OnnxRuntimeBackend.name`. ``InferenceSession.run`` is thread-safe, so one
backend serves any number of threads.

ORT runs every node of a graph even when an output is not fetched (checked with ORT's profiler:
asking only for ``class_ids`` still runs the confidence head, ~6% of the CPU time of the reference
architecture at 608 x 608). So ``with_confidence=False`` runs a second session, built on first use
from the graph cut down to ``class_ids`` (``onnx.utils.Extractor``), which skips those nodes.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..cpu import has_int8_dot_product
from ..errors import BackendUnavailableError, InferenceError, ModelFormatError
from ..model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME, ModelInfo
from .base import BackendBase, BatchOutput, InputSpec
from .contract import TensorDesc, check_model_file, check_model_io

if TYPE_CHECKING:
    import onnxruntime

__all__ = ["OnnxRuntimeBackend", "Device", "select_providers", "check_cpu_weight_bits"]

Device = Literal["auto", "cpu", "cuda"]

CPU_EP = "CPUExecutionProvider"
CUDA_EP = "CUDAExecutionProvider"
TENSORRT_EP = "TensorrtExecutionProvider"
GPU_INSTALL_HINT = "pip install onnxruntime-gpu (it replaces the CPU-only onnxruntime package)"
ORT_MAX_BATCH = 1024  # ORT takes any batch; this only guards against accidental huge stacks


def _import_onnxruntime() -> onnxruntime:
    try:
        import onnxruntime
    except ImportError as exc:
        raise BackendUnavailableError(f"onnxruntime is not importable ({exc}); pip install onnxruntime") from None
    return onnxruntime


def select_providers(device: Device, available: list[str], *, tensorrt_ep: bool = False) -> list[str]:
    """Return the ordered provider list for ``device`` given ORT's ``available`` providers.

    >>> select_providers("auto", ["CPUExecutionProvider"])
    ['CPUExecutionProvider']
    """
    if device not in ("auto", "cpu", "cuda"):
        raise BackendUnavailableError(f"unknown device {device!r}; expected 'auto', 'cpu' or 'cuda'")
    has_cuda = CUDA_EP in available
    if device == "cuda" and not has_cuda:
        raise BackendUnavailableError(
            f"device 'cuda' asked for, but this onnxruntime offers only {', '.join(available)}; {GPU_INSTALL_HINT}"
        )
    if tensorrt_ep and TENSORRT_EP not in available:
        raise BackendUnavailableError(
            f"TensorRT execution provider asked for, but this onnxruntime offers only {', '.join(available)}; "
            f"{GPU_INSTALL_HINT} and install TensorRT"
        )
    providers = [CPU_EP]
    if device == "cuda" or (device == "auto" and has_cuda):
        providers = [CUDA_EP, CPU_EP]  # CPU stays last: ORT places the few ops CUDA lacks there
    if tensorrt_ep:
        providers.insert(0, TENSORRT_EP)
    return providers


class OnnxRuntimeBackend(BackendBase):
    """Run a schemseg ONNX model with ONNX Runtime.

    Args:
        model_path: an ``.onnx`` file exported with the schemseg metadata.
        device: ``"cpu"``, ``"cuda"`` (needs onnxruntime-gpu) or ``"auto"`` (CUDA when usable).
        threads: ORT intra-op threads (``None``: ORT's default, one per physical core).
        tensorrt_ep: put ORT's TensorRT execution provider first (needs onnxruntime-gpu + TensorRT).

    Raises:
        ModelFormatError: the file is missing, a directory, not ONNX, or lacks schemseg metadata.
        BackendUnavailableError: the asked-for provider is not installed or did not load, or the model is
            an INT8 CPU graph with 8-bit weights and this CPU lacks VNNI.

    >>> with OnnxRuntimeBackend("model.onnx") as backend:  # doctest: +SKIP
    ...     out = backend.infer(np.full((1, 608, 608, 3), 255, np.uint8))
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        device: Device = "cpu",
        threads: int | None = None,
        tensorrt_ep: bool = False,
    ) -> None:
        ort = _import_onnxruntime()
        self.model_path = Path(model_path)
        check_model_file(self.model_path)
        if threads is not None and threads < 1:
            raise BackendUnavailableError(f"threads must be >= 1 or None, got {threads}")
        providers = select_providers(device, ort.get_available_providers(), tensorrt_ep=tensorrt_ep)
        self._session = _create_session(ort, self.model_path, providers, threads)
        self._ids_session: onnxruntime.InferenceSession | None = None
        self._ids_lock = threading.Lock()
        self._threads = threads
        self.providers: list[str] = self._session.get_providers()
        if device == "cuda" and providers[0] not in self.providers:
            raise BackendUnavailableError(
                f"{self.model_path}: {providers[0]} is installed but failed to load (CUDA/cuDNN libraries "
                f"missing or no GPU); ONNX Runtime would fall back to the CPU. Check 'schemseg doctor', or use device='cpu'"
            )
        meta = self._session.get_modelmeta().custom_metadata_map
        info = ModelInfo.from_metadata(meta, source=str(self.model_path))
        _check_io(self._session, info, str(self.model_path))
        self.name = "onnxruntime-" + {TENSORRT_EP: "tensorrt", CUDA_EP: "cuda"}.get(self.providers[0], "cpu")
        self.device = "cpu" if self.name == "onnxruntime-cpu" else "cuda"
        if self.device == "cpu":
            check_cpu_weight_bits(info, self.model_path.name)
        super().__init__(info, InputSpec(INPUT_NAME, info.input_size, ORT_MAX_BATCH))

    def _run(self, batch: np.ndarray, with_confidence: bool) -> BatchOutput:
        names = [CLASS_IDS, CONFIDENCE] if with_confidence else [CLASS_IDS]
        session = self._session if with_confidence else self._class_ids_session()
        start = time.perf_counter()
        try:
            outputs = session.run(names, {INPUT_NAME: batch})
        except MemoryError:
            raise InferenceError(
                f"{self.model_path.name}: out of memory running a batch of {batch.shape[0]}; use a smaller batch_size"
            ) from None
        except Exception as exc:  # ORT raises its own non-standard classes (Fail, RuntimeException...)
            raise InferenceError(f"{self.model_path.name}: ONNX Runtime failed ({_first_line(exc)})") from None
        compute = time.perf_counter() - start
        confidence = outputs[1] if with_confidence else None
        return BatchOutput(outputs[0], confidence, {"compute": compute})

    def _class_ids_session(self) -> onnxruntime.InferenceSession:
        """The session of the graph cut down to ``class_ids`` (built once, on first use)."""
        with self._ids_lock:
            if self._ids_session is None:
                self._ids_session = _class_ids_only_session(self.model_path, self.providers, self._threads)
                if self._ids_session is None:  # the graph could not be cut: the full graph gives the same ids
                    self._ids_session = self._session
            return self._ids_session

    def _release(self) -> None:
        self._session = None
        self._ids_session = None


def check_cpu_weight_bits(info: ModelInfo, name: str, flags: set[str] | None = None) -> None:
    """Refuse an INT8 CPU graph with 8-bit weights on a CPU without VNNI, where it computes wrong results."""
    if info.extra.get("cpu_weight_bits") == "8" and not has_int8_dot_product(flags):
        raise BackendUnavailableError(
            f"{name}: an INT8 CPU graph with 8-bit weights, which needs a CPU with VNNI (avx512_vnni, avx_vnni or "
            "amx_int8); this CPU has none, and its int16 arithmetic would saturate and give wrong classes. Use the "
            "FP32 model here, or build a portable graph: schemseg-build-engine MODEL.onnx --int8 --onnx-only "
            "--cpu-weight-bits 7"
        )


def _create_session(
    ort: onnxruntime, path: Path, providers: list[str], threads: int | None
) -> onnxruntime.InferenceSession:
    try:
        return ort.InferenceSession(str(path), sess_options=_session_options(ort, threads), providers=providers)
    except Exception as exc:  # InvalidProtobuf, Fail, InvalidGraph... share no useful base class
        reason = _first_line(exc).rpartition("failed:")[2].strip() or _first_line(exc)
        raise ModelFormatError(
            f"{path}: not a loadable ONNX model ({reason}); expected a model exported with 'schemseg export'"
        ) from None


def _class_ids_only_session(
    path: Path, providers: list[str], threads: int | None
) -> onnxruntime.InferenceSession | None:
    import onnx
    import onnx.utils

    ort = _import_onnxruntime()
    try:
        model = onnx.utils.Extractor(onnx.load(str(path))).extract_model([INPUT_NAME], [CLASS_IDS])
    except Exception:  # noqa: BLE001 - exotic graphs (external data, custom ops) keep the full graph
        return None
    options = _session_options(ort, threads)
    return ort.InferenceSession(model.SerializeToString(), sess_options=options, providers=providers)


def _session_options(ort: onnxruntime, threads: int | None) -> onnxruntime.SessionOptions:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: ORT's warnings are not for end users
    # The memory pattern pre-plans one extra block per input shape: 850 -> 489 MiB peak for a batch
    # of 2 at 608 x 608 on the reference architecture, at the same speed (measured on CPU).
    options.enable_mem_pattern = False
    # Q/DQ graphs (the TensorRT INT8 flavour) run as written: float ops between exact int8 roundings,
    # the arithmetic TensorRT compiles, the same on every CPU. Fused into ORT's int8 kernels instead,
    # the s8 x s8 products are added pairwise in int16 on CPUs without VNNI and saturate: the
    # reference model's Q/DQ graph lost 11.00 IoU points fused on an AVX2-only CPU, 1.49 as written
    # there, 1.42 fused on a VNNI CPU.
    # Graphs without Q/DQ nodes (fp32, fp16, the QOperator CPU flavour) are not affected.
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    # ORT's worker threads spin after each run waiting for the next; on a 2-core machine they then
    # take the cores from whatever the caller does next (grouping: numpy, OpenCV, the classifier's own
    # session). Not spinning: grouping after inference 35-37 -> 23 ms a sheet, inference unchanged
    # (2-core AVX-512 EPYC; docs/performance.md, "Where the time goes").
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads is not None:
        options.intra_op_num_threads = threads
    return options


def _check_io(session: onnxruntime.InferenceSession, info: ModelInfo, name: str) -> None:
    inputs = [TensorDesc(i.name, i.type, tuple(i.shape), i.type == "tensor(uint8)") for i in session.get_inputs()]
    check_model_io(name, info, inputs, [o.name for o in session.get_outputs()])


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
