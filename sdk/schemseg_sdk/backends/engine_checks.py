"""Pure logic behind the TensorRT backend: no TensorRT, no GPU, so all of it is tested on CPU.

* sidecar-vs-runtime comparison and the exact rebuild command (:func:`check_compatibility`);
* the engine's tensors against the schemseg graph contract (:func:`check_engine_io`);
* buffer sizes for the profile's largest batch (:func:`plan_buffers`);
* how one batch maps onto engine runs (:func:`plan_chunks`);
* the order of stream work for double-buffered batches (:class:`DoubleBufferSchedule`).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..engine.sidecar import EngineSidecar
from ..errors import EngineLoadError, InvalidInputError
from ..model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME

__all__ = [
    "RuntimeSystem",
    "TensorDesc",
    "Chunk",
    "StreamOp",
    "DoubleBufferSchedule",
    "TRT_DTYPES",
    "parse_version",
    "tensorrt_version_ok",
    "find_mismatches",
    "rebuild_command",
    "check_compatibility",
    "check_engine_io",
    "tensor_nbytes",
    "plan_buffers",
    "plan_chunks",
    "schedule_for",
]

# TensorRT DataType member name -> numpy dtype name (the types a schemseg engine can expose).
TRT_DTYPES = {
    "FLOAT": "float32",
    "HALF": "float16",
    "INT8": "int8",
    "UINT8": "uint8",
    "INT32": "int32",
    "INT64": "int64",
    "BOOL": "bool",
}


@dataclass(frozen=True)
class RuntimeSystem:
    """What is running here, in the sidecar's terms."""

    tensorrt_version: str
    gpu_name: str
    compute_capability: str


def parse_version(text: str) -> tuple[int, ...]:
    """``"10.3.0.26"`` -> ``(10, 3, 0, 26)``; stops at the first non-numeric part (``"11.0.0b1"`` -> (11, 0))."""
    numbers = []
    for part in text.strip().split("."):
        if not re.fullmatch(r"\d+", part):
            break
        numbers.append(int(part))
    return tuple(numbers)


def tensorrt_version_ok(built: str, running: str, version_compatible: bool) -> bool:
    """Plain plans need the exact TensorRT version; version-compatible plans run on the same or newer."""
    b, r = parse_version(built), parse_version(running)
    if not b or not r:
        return built.strip() == running.strip()
    return r >= b if version_compatible else r == b


def find_mismatches(sidecar: EngineSidecar, system: RuntimeSystem) -> list[str]:
    """Human-readable differences between the engine's build system and this one (empty: compatible)."""
    found = []
    if not tensorrt_version_ok(sidecar.tensorrt_version, system.tensorrt_version, sidecar.version_compatible):
        rule = " or newer (version-compatible plan)" if sidecar.version_compatible else ""
        found.append(f"TensorRT {sidecar.tensorrt_version}{rule} (engine) vs {system.tensorrt_version} (here)")
    if sidecar.compute_capability.strip() != system.compute_capability.strip():
        found.append(f"compute capability {sidecar.compute_capability} (engine) vs {system.compute_capability} (here)")
    if sidecar.gpu_name.strip().lower() != system.gpu_name.strip().lower():
        found.append(f"GPU '{sidecar.gpu_name}' (engine) vs '{system.gpu_name}' (here)")
    return found


def rebuild_command(sidecar: EngineSidecar, engine_path: str | os.PathLike[str]) -> str:
    """The ``schemseg-build-engine`` command that rebuilds this engine into its own folder."""
    source = sidecar.source_onnx or "MODEL.onnx"
    folder = str(Path(engine_path).parent) or "."
    profile = f"{sidecar.batch_min}:{sidecar.batch_opt}:{sidecar.batch_max}"
    return (
        f"schemseg-build-engine {shlex.quote(source)} --{sidecar.precision} "
        f"--batch {profile} --out {shlex.quote(folder)}"
    )


def check_compatibility(engine_path: str | os.PathLike[str], sidecar: EngineSidecar, system: RuntimeSystem) -> None:
    """Raise :class:`EngineLoadError` with the rebuild command unless the engine fits this system."""
    mismatches = find_mismatches(sidecar, system)
    if not mismatches:
        return
    source = sidecar.source_onnx or "MODEL.onnx"
    raise EngineLoadError(
        f"{engine_path}: engine was built for another system: {'; '.join(mismatches)}. "
        f"Rebuild it here with: {rebuild_command(sidecar, engine_path)} "
        f"(or load it with rebuild_from='{source}')"
    )


@dataclass(frozen=True)
class TensorDesc:
    """One engine I/O tensor as TensorRT describes it (``-1`` marks a dynamic dimension)."""

    name: str
    is_input: bool
    dtype: str  # numpy dtype name, see TRT_DTYPES
    shape: tuple[int, ...]
    profile: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None  # inputs: min, opt, max


def check_engine_io(tensors: Sequence[TensorDesc], sidecar: EngineSidecar, engine_path: object) -> None:
    """Raise :class:`EngineLoadError` unless the engine has the schemseg graph I/O and the sidecar's profile."""
    size = sidecar.input_size
    by_name = {t.name: t for t in tensors}
    expected = [
        (INPUT_NAME, True, "uint8", (-1, size, size, 3)),
        (CLASS_IDS, False, "uint8", (-1, size, size)),
        (CONFIDENCE, False, "float32", (-1, size, size)),
    ]
    for name, is_input, dtype, shape in expected:
        tensor = by_name.get(name)
        got = "missing" if tensor is None else f"{_role(tensor.is_input)} {tensor.dtype} {tensor.shape}"
        if tensor is None or tensor.is_input != is_input or tensor.dtype != dtype or tensor.shape != shape:
            raise EngineLoadError(
                f"{engine_path}: tensor '{name}' is {got}; expected {_role(is_input)} "
                f"{dtype} {shape}. Build engines with 'schemseg-build-engine' from a schemseg ONNX export"
            )
    extra_inputs = sorted(t.name for t in tensors if t.is_input and t.name != INPUT_NAME)
    if extra_inputs:
        raise EngineLoadError(f"{engine_path}: unexpected engine inputs {extra_inputs}; expected only '{INPUT_NAME}'")
    profile = by_name[INPUT_NAME].profile
    batches = None if profile is None else tuple(shape[0] for shape in profile)
    if batches != (sidecar.batch_min, sidecar.batch_opt, sidecar.batch_max):
        raise EngineLoadError(
            f"{engine_path}: engine batch profile {batches} does not match its sidecar "
            f"({sidecar.batch_min}, {sidecar.batch_opt}, {sidecar.batch_max}); the sidecar belongs to another "
            f"engine, rebuild with: {rebuild_command(sidecar, str(engine_path))}"
        )


def _role(is_input: bool) -> str:
    return "input" if is_input else "output"


def tensor_nbytes(shape: Sequence[int], dtype: str, batch: int) -> int:
    """Bytes of a tensor whose first (batch) dimension is ``batch``; other dimensions must be fixed."""
    dims = [batch, *shape[1:]]
    if any(d < 0 for d in dims):
        raise EngineLoadError(f"tensor shape {tuple(shape)} has a dynamic dimension besides the batch")
    return int(np.prod(dims, dtype=np.int64)) * np.dtype(dtype).itemsize


def plan_buffers(tensors: Sequence[TensorDesc], max_batch: int) -> dict[str, int]:
    """Bytes to allocate per tensor (inputs and every output) for the profile's largest batch."""
    return {t.name: tensor_nbytes(t.shape, t.dtype, max_batch) for t in tensors}


@dataclass(frozen=True)
class Chunk:
    """Rows ``start:stop`` of a batch, run as an engine batch of ``run_batch`` (padded up to the profile min)."""

    start: int
    stop: int
    run_batch: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def plan_chunks(n: int, batch_min: int, batch_max: int) -> list[Chunk]:
    """Split ``n`` images into engine runs of at most ``batch_max``, each padded to at least ``batch_min``."""
    if n < 1 or not 1 <= batch_min <= batch_max:
        raise InvalidInputError(f"cannot plan {n} images over a batch profile {batch_min}..{batch_max}")
    chunks = []
    for start in range(0, n, batch_max):
        stop = min(start + batch_max, n)
        chunks.append(Chunk(start, stop, max(stop - start, batch_min)))
    return chunks


OpKind = Literal["prepare", "h2d", "compute", "d2h", "collect"]
_STREAM_OF: dict[str, str] = {"prepare": "host", "h2d": "copy", "compute": "compute", "d2h": "copy", "collect": "host"}


@dataclass(frozen=True)
class StreamOp:
    """One piece of work: ``prepare`` (fill pinned input), ``h2d``, ``compute``, ``d2h``, ``collect``."""

    kind: OpKind
    batch: int
    slot: int

    @property
    def stream(self) -> str:
        """``host`` (the calling thread), ``copy`` or ``compute`` (the two CUDA streams)."""
        return _STREAM_OF[self.kind]


class DoubleBufferSchedule:
    """The order of work for batches that arrive one at a time, over ``slots`` buffer sets.

    Batch k is prepared, copied in (copy stream) and computed (compute stream, after its copy);
    only then is batch k-1 copied back (copy stream, after its compute) and collected. So the copy
    stream runs k's input copy before k-1's output copy: the input copy of k overlaps the compute of
    k-1, the output copy of k-1 overlaps the compute of k, and the caller's preparation of k+1
    happens while k computes. A slot is refilled only after its previous batch was collected.
    """

    def __init__(self, slots: int = 2) -> None:
        if slots < 2:
            raise InvalidInputError(f"double buffering needs at least 2 buffer sets, got {slots}")
        self.slots = slots
        self._next = 0
        self._pending: int | None = None

    def _back(self, batch: int) -> list[StreamOp]:
        slot = batch % self.slots
        return [StreamOp("d2h", batch, slot), StreamOp("collect", batch, slot)]

    def add_batch(self) -> list[StreamOp]:
        """Work to issue when the next batch arrives."""
        batch, slot = self._next, self._next % self.slots
        self._next += 1
        ops = [StreamOp("prepare", batch, slot), StreamOp("h2d", batch, slot), StreamOp("compute", batch, slot)]
        if self._pending is not None:
            ops += self._back(self._pending)
        self._pending = batch
        return ops

    def finish(self) -> list[StreamOp]:
        """Work to issue when no batch follows."""
        ops = [] if self._pending is None else self._back(self._pending)
        self._pending = None
        return ops


def schedule_for(n: int, slots: int = 2) -> list[StreamOp]:
    """The whole schedule for ``n`` batches (what :class:`DoubleBufferSchedule` issues step by step)."""
    schedule = DoubleBufferSchedule(slots)
    ops = [op for _ in range(n) for op in schedule.add_batch()]
    return ops + schedule.finish()
