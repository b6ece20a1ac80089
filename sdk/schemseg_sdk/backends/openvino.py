"""OpenVINO backend: the same ONNX graph, compiled by OpenVINO for this CPU (``pip install 'schemseg[openvino]'``).

OpenVINO reads the ``.onnx`` file itself (no conversion step, no second file) and keeps the ONNX
metadata, so the graph contract and the class names come from the same place as with ONNX Runtime.

Precision is stated, never left to the plugin: OpenVINO's CPU plugin computes in bfloat16 by
default on CPUs with AVX512_BF16 or AMX, which changes the answer (on the bundled model 99.96% of
pixels agreed with fp32 and the confidence moved by up to 0.15). ``precision="f32"`` (the default)
sets ``INFERENCE_PRECISION_HINT=f32`` and keeps the arithmetic the graph states: float where it is
float, int8 where a Q/DQ graph quantizes (OpenVINO fuses the Q/DQ pairs into int8 kernels, which
use VNNI where the CPU has it). ``precision="bf16"`` asks for bfloat16 on purpose: about twice as
fast on a CPU that computes it natively, and taken by ``Segmenter()`` only where a gate report
says the model keeps its accuracy that way (:mod:`.cpu_choice`). Elsewhere OpenVINO would emulate
bf16 (slower than f32), so the backend refuses it there.

One compiled model serves any number of threads: each call takes an idle infer request from a
small pool (an ``InferRequest`` is not thread-safe; the compiled model is).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..errors import BackendUnavailableError, InferenceError, ModelFormatError
from ..model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME, ModelInfo
from .base import BackendBase, BatchOutput, InputSpec
from .contract import TensorDesc, check_model_file, check_model_io

__all__ = ["OPENVINO_HINT", "OV_PRECISIONS", "OpenVinoBackend", "OvPrecision", "openvino_version"]

OvPrecision = Literal["f32", "bf16"]
OV_PRECISIONS: tuple[str, ...] = ("f32", "bf16")

OPENVINO_HINT = "pip install 'schemseg[openvino]'"
OV_MAX_BATCH = 1024  # any batch compiles; this only guards against accidental huge stacks


def _import_openvino() -> Any:
    try:
        import openvino
    except ImportError as exc:
        raise BackendUnavailableError(f"OpenVINO is not importable ({exc}); {OPENVINO_HINT}") from None
    return openvino


def openvino_version() -> str | None:
    """The installed OpenVINO version, or ``None`` where it is not importable."""
    try:
        return str(_import_openvino().__version__).split("-")[0]
    except BackendUnavailableError:
        return None


class OpenVinoBackend(BackendBase):
    """Run a schemseg ONNX model with OpenVINO on the CPU.

    Args:
        model_path: an ``.onnx`` file exported with the schemseg metadata (fp32, or a Q/DQ int8 graph).
        threads: OpenVINO inference threads (``None``: OpenVINO's default, one per physical core).
        precision: ``"f32"`` (the graph's own arithmetic) or ``"bf16"`` (float layers in bfloat16; needs
            a CPU with AVX512_BF16 or AMX).

    Raises:
        ModelFormatError: the file is missing, not a loadable graph, or lacks schemseg metadata.
        BackendUnavailableError: OpenVINO is not installed (names the extra that installs it), or
            ``precision="bf16"`` on a CPU that does not compute bfloat16 natively.

    >>> with OpenVinoBackend("model.onnx", threads=2) as backend:  # doctest: +SKIP
    ...     out = backend.infer(np.full((1, 608, 608, 3), 255, np.uint8))
    """

    name = "openvino-cpu"
    device = "cpu"

    def __init__(
        self, model_path: str | os.PathLike[str], *, threads: int | None = None, precision: OvPrecision = "f32"
    ) -> None:
        ov = _import_openvino()
        self.model_path = Path(model_path)
        check_model_file(self.model_path)
        if threads is not None and threads < 1:
            raise BackendUnavailableError(f"threads must be >= 1 or None, got {threads}")
        self._core = ov.Core()
        _check_precision(self._core, precision)
        self.precision = precision
        if precision == "bf16":
            self.name = "openvino-cpu-bf16"
        self._model = _read_model(self._core, self.model_path)
        info = ModelInfo.from_metadata(_framework_metadata(self._model), source=str(self.model_path))
        check_model_io(str(self.model_path), info, _inputs(self._model), _output_names(self._model))
        self._config = _compile_config(threads, precision)
        self._compiled = {True: self._compile(self._model), False: None}
        self._idle: dict[bool, list[Any]] = {True: [], False: []}
        self._lock = threading.Lock()
        super().__init__(info, InputSpec(INPUT_NAME, info.input_size, OV_MAX_BATCH))

    @property
    def inference_precision(self) -> str:
        """The precision the plugin compiled the float layers in (``f32`` or ``bf16``), as OpenVINO reports it."""
        compiled = self._compiled[True]
        if compiled is None:
            self._check_open()
        return str(compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name())

    def _compile(self, model: Any) -> Any:
        try:
            return self._core.compile_model(model, "CPU", self._config)
        except Exception as exc:  # noqa: BLE001 - OpenVINO raises RuntimeError with a multi-line report
            raise ModelFormatError(f"{self.model_path}: OpenVINO could not compile it ({_first_line(exc)})") from None

    def _run(self, batch: np.ndarray, with_confidence: bool) -> BatchOutput:
        request = self._take_request(with_confidence)
        start = time.perf_counter()
        try:
            request.infer({INPUT_NAME: batch})
            class_ids = request.get_tensor(CLASS_IDS).data.copy()
            confidence = request.get_tensor(CONFIDENCE).data.copy() if with_confidence else None
        except MemoryError:
            raise InferenceError(
                f"{self.model_path.name}: out of memory running a batch of {batch.shape[0]}; use a smaller batch_size"
            ) from None
        except Exception as exc:  # noqa: BLE001 - OpenVINO's RuntimeError carries the plugin's report
            raise InferenceError(f"{self.model_path.name}: OpenVINO failed ({_first_line(exc)})") from None
        finally:
            with self._lock:
                self._idle[with_confidence].append(request)
        return BatchOutput(class_ids, confidence, {"compute": time.perf_counter() - start})

    def _take_request(self, with_confidence: bool) -> Any:
        """An idle infer request of the full graph or of the graph cut down to ``class_ids``."""
        with self._lock:
            if self._idle[with_confidence]:
                return self._idle[with_confidence].pop()
            compiled = self._compiled[with_confidence]
            if compiled is None:  # like ORT, OpenVINO computes every output: a cut graph skips the confidence head
                compiled = self._compiled[False] = self._compile(_class_ids_only(self._model))
            return compiled.create_infer_request()

    def _release(self) -> None:
        with self._lock:
            self._idle = {True: [], False: []}
            self._compiled = {True: None, False: None}
        self._model = None


def _read_model(core: Any, path: Path) -> Any:
    try:
        return core.read_model(str(path))
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
        raise ModelFormatError(
            f"{path}: not a loadable ONNX model ({_first_line(exc)}); expected a model exported with 'schemseg export'"
        ) from None


def _framework_metadata(model: Any) -> dict[str, str]:
    """The ONNX ``metadata_props`` that OpenVINO keeps under ``rt_info['framework']``."""
    info = model.get_rt_info()
    if "framework" not in info:
        return {}
    framework = info["framework"]
    keys = framework if isinstance(framework, dict) else framework.astype(dict)  # differs between builds
    return {str(key): str(model.get_rt_info(["framework", key]).astype(str)) for key in keys}


def _inputs(model: Any) -> list[TensorDesc]:
    described = []
    for port in model.inputs:
        shape = tuple(d.get_length() if d.is_static else "?" for d in port.get_partial_shape())
        dtype = port.get_element_type().get_type_name()
        described.append(TensorDesc(port.get_any_name(), dtype, shape, dtype == "u8"))
    return described


def _output_names(model: Any) -> list[str]:
    return [name for port in model.outputs for name in port.get_names()]


def _check_precision(core: Any, precision: str) -> None:
    if precision not in OV_PRECISIONS:
        raise BackendUnavailableError(f"precision must be one of {', '.join(OV_PRECISIONS)}, got {precision!r}")
    if precision == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        raise BackendUnavailableError(
            "precision 'bf16': this CPU does not compute bfloat16 natively (no AVX512_BF16 or AMX; OpenVINO "
            "would emulate it, slower than f32); use precision 'f32'"
        )


def _compile_config(threads: int | None, precision: str = "f32") -> dict[str, object]:
    """LATENCY: one stream, every thread on the one request (``Segmenter`` predicts one batch at a time)."""
    config: dict[str, object] = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"}
    if threads is not None:
        config["INFERENCE_NUM_THREADS"] = threads
    return config


def _class_ids_only(model: Any) -> Any:
    ov = _import_openvino()
    results = [r for r in model.get_results() if CLASS_IDS in r.input_value(0).get_names()]
    return ov.Model(results, model.get_parameters(), "class_ids_only")


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
