"""TensorRT backend: a ``NAME.PRECISION.engine`` bundle on one NVIDIA GPU.

Loading checks the sidecar against this system (TensorRT version, GPU, compute capability),
deserializes the plan, checks its tensors against the schemseg graph contract and allocates, once
for the profile's largest batch, two buffer sets (pinned host + device) and two streams (copy,
compute). Each batch is copied in, computed with ``execute_async_v3`` and copied back; in
:meth:`infer_many` batch k+1 is prepared and copied in while batch k computes, and batch k's
results are copied back while k+1 computes (see :class:`~.engine_checks.DoubleBufferSchedule`).
Every call pushes the device's primary context and pops it again, so the backend works from any
thread and next to PyTorch. TensorRT calls used here (TensorRT 10 and 11; loading calls are in
``_tensorrt_load``): ``create_execution_context``, ``set_input_shape``, ``set_tensor_address``,
``execute_async_v3``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from ..engine.sidecar import EngineSidecar, read_sidecar
from ..errors import EngineLoadError, InferenceError, SchemsegError
from ..model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME
from ._tensorrt_load import (
    check_engine_file,
    describe_tensors,
    deserialize,
    import_tensorrt,
    model_info_of,
    rebuild_engine,
    trt_said,
)
from .base import BackendBase, BatchOutput, InputSpec
from .cuda_memory import CudaDevice, DeviceBuffer, Event, Stream, open_device
from .engine_checks import (
    Chunk,
    DoubleBufferSchedule,
    RuntimeSystem,
    StreamOp,
    TensorDesc,
    check_compatibility,
    check_engine_io,
    find_mismatches,
    plan_buffers,
    plan_chunks,
    rebuild_command,
)

__all__ = ["TensorRTBackend"]

_log = logging.getLogger("schemseg.tensorrt")
_EVENTS = ("start", "h2d_done", "compute_start", "compute_done", "d2h_start", "d2h_done")


class TensorRTBackend(BackendBase):
    """Run a schemseg TensorRT engine; see the module docstring.

    >>> backend = TensorRTBackend("engines/model.fp16.engine")        # doctest: +SKIP
    >>> out = backend.infer(np.full((2, 608, 608, 3), 255, np.uint8))  # doctest: +SKIP
    >>> out.class_ids.shape, sorted(out.timings)                      # doctest: +SKIP
    ((2, 608, 608), ['compute', 'd2h', 'h2d'])
    >>> backend.close()                                               # doctest: +SKIP
    """

    def __init__(
        self,
        engine_path: str | os.PathLike[str],
        *,
        device_id: int = 0,
        rebuild_from: str | os.PathLike[str] | None = None,
    ) -> None:
        self._pipeline_lock = threading.Lock()
        self._pipeline_owner: int | None = None
        path = Path(engine_path)
        check_engine_file(path)
        sidecar = read_sidecar(path)
        trt = import_tensorrt()
        device = open_device(device_id)
        try:
            system = RuntimeSystem(trt.__version__, device.info.name, device.info.compute_capability)
            if rebuild_from is not None and find_mismatches(sidecar, system):
                path, sidecar = rebuild_engine(Path(rebuild_from), sidecar, path)
            check_compatibility(path, sidecar, system)
            with device.activate():
                self._load(trt, device, path, sidecar)
            info = model_info_of(sidecar, path)
        except BaseException:
            self._free(device)
            raise
        super().__init__(info, InputSpec(INPUT_NAME, sidecar.input_size, sidecar.batch_max))
        self.name = f"tensorrt/{device.binding}"

    # -- loading ---------------------------------------------------------------------------
    def _load(self, trt: ModuleType, device: CudaDevice, path: Path, sidecar: EngineSidecar) -> None:
        self.engine_path, self.sidecar, self.device = path, sidecar, device
        self.cuda_binding = device.binding
        self._context = None
        self._slots: list[_Slot] = []
        self._runtime, self._engine = deserialize(trt, path, sidecar)
        tensors = describe_tensors(trt, self._engine)
        check_engine_io(tensors, sidecar, path)
        self._batch_min, self._batch_max = sidecar.batch_min, sidecar.batch_max
        try:
            self._slots = [_Slot.allocate(device, tensors, sidecar) for _ in range(2)]
            self._copy_stream, self._compute_stream = device.create_stream(), device.create_stream()
        except InferenceError as exc:
            raise EngineLoadError(
                f"{path}: {exc} for buffers of a batch of {sidecar.batch_max} (the profile's largest); "
                f"free GPU memory or rebuild with a smaller --batch: {rebuild_command(sidecar, path)}"
            ) from None
        self._context = self._engine.create_execution_context()
        if self._context is None:
            memory = getattr(self._engine, "device_memory_size_v2", 0) / 2**20
            raise EngineLoadError(
                f"{path}: TensorRT could not create an execution context (it needs {memory:.0f} MiB of device "
                f"memory for batches up to {sidecar.batch_max}){trt_said()}; free GPU memory or rebuild with "
                f"a smaller --batch: {rebuild_command(sidecar, path)}"
            )

    # -- running ---------------------------------------------------------------------------
    def _run(self, batch: np.ndarray, with_confidence: bool) -> BatchOutput:
        [output] = list(self._pipeline(iter([batch]), with_confidence))
        return output

    def _run_many(self, batches: Iterator[np.ndarray], with_confidence: bool) -> Iterator[BatchOutput]:
        yield from self._pipeline(batches, with_confidence)

    def _pipeline(self, batches: Iterator[np.ndarray], with_confidence: bool) -> Iterator[BatchOutput]:
        """Double-buffered run; holds the backend for the whole iteration (close the iterator to free it)."""
        self._acquire()
        schedule = DoubleBufferSchedule(len(self._slots))
        jobs: dict[int, _Job] = {}
        parts: list[BatchOutput] = []
        try:
            for batch in batches:
                chunks = plan_chunks(len(batch), self._batch_min, self._batch_max)
                for chunk in chunks:
                    job = _Job(batch, chunk, last=chunk is chunks[-1])
                    yield from _regroup(self._step(schedule.add_batch(), jobs, job, with_confidence), parts)
            yield from _regroup(self._step(schedule.finish(), jobs, None, with_confidence), parts)
        except BaseException:  # also GeneratorExit: the caller stopped early with batches in flight
            self._drain()
            raise
        finally:
            self._release_lock()

    def _step(self, ops: list[StreamOp], jobs: dict[int, _Job], job: _Job | None, conf: bool) -> list[_Done]:
        """Issue one step of the schedule; return the batches it collected."""
        if self._closed:
            raise SchemsegError(f"{self.name}: backend is closed")
        done: list[_Done] = []
        rows = 0
        try:
            with self.device.activate():
                for op in ops:
                    if op.kind == "prepare":
                        jobs[op.batch] = job  # type: ignore[assignment]  # "prepare" comes only from add_batch(), with a job
                    slot, rows = self._slots[op.slot], jobs[op.batch].chunk.size
                    if op.kind == "prepare":
                        slot.prepare(jobs[op.batch], self.info.pad_value)
                    elif op.kind == "h2d":
                        slot.copy_in(self.device, self._copy_stream)
                    elif op.kind == "compute":
                        self._compute(slot)
                    elif op.kind == "d2h":
                        slot.copy_out(self.device, self._copy_stream, conf)
                    else:
                        done.append(_Done(jobs.pop(op.batch), slot.collect(self.device, conf)))
        except InferenceError as exc:
            raise InferenceError(f"{self.name}: batch of {rows} image(s) failed: {exc}") from None
        return done

    def _compute(self, slot: _Slot) -> None:
        device, stream, context = self.device, self._compute_stream, self._context
        assert context is not None, "a closed TensorRT backend computes nothing"
        device.wait(stream, slot.events["h2d_done"])
        device.record(slot.events["compute_start"], stream)
        shape = (slot.run_batch, self.input_spec.size, self.input_spec.size, 3)
        if not context.set_input_shape(INPUT_NAME, shape):
            raise InferenceError(f"TensorRT rejected input shape {shape}{trt_said()}")
        for name, buffer in slot.device.items():
            if not context.set_tensor_address(name, buffer.ptr):
                raise InferenceError(f"TensorRT rejected the address of tensor '{name}'{trt_said()}")
        if not context.execute_async_v3(stream.handle):
            raise InferenceError(f"execute_async_v3 failed on an engine batch of {slot.run_batch}{trt_said()}")
        device.record(slot.events["compute_done"], stream)

    def _drain(self) -> None:
        """After a failure: wait for both streams so no queued copy still uses a buffer (the failure wins)."""
        if self.device.closed:
            return
        try:
            with self.device.activate():
                self.device.synchronize_stream(self._compute_stream)
                self.device.synchronize_stream(self._copy_stream)
        except SchemsegError as exc:
            _log.warning("%s: could not wait for the CUDA streams after a failure: %s", self.name, exc)

    # -- locking and release ---------------------------------------------------------------
    def _acquire(self) -> None:
        if self._pipeline_owner == threading.get_ident():
            raise InferenceError(
                f"{self.name}: infer() or infer_many() called while an infer_many() iteration of the same backend "
                "is open in this thread; finish or close that iterator first"
            )
        self._pipeline_lock.acquire()
        self._pipeline_owner = threading.get_ident()

    def _release_lock(self) -> None:
        self._pipeline_owner = None
        self._pipeline_lock.release()

    def _release(self) -> None:
        own = self._pipeline_owner == threading.get_ident()
        if not own:
            self._pipeline_lock.acquire()  # waits for an iteration in another thread to stop
        try:
            self._drain()  # close() from inside an infer_many() loop: batches may still be in flight
            self._free(self.device)
        finally:
            if not own:
                self._pipeline_lock.release()

    def _free(self, device: CudaDevice) -> None:
        """Drop TensorRT objects while the context is current (they free device memory), then the device."""
        try:
            if hasattr(self, "_runtime"):
                with device.activate():
                    self._context = self._engine = self._runtime = None
                    self._slots = []
                    self._copy_stream = self._compute_stream = None  # type: ignore[assignment]  # closed: the streams are gone; every use checks _closed first
        finally:
            device.close()


@dataclass
class _Job:
    batch: np.ndarray
    chunk: Chunk
    last: bool


@dataclass
class _Done:
    job: _Job
    output: BatchOutput


def _regroup(done: list[_Done], parts: list[BatchOutput]) -> Iterator[BatchOutput]:
    """Join the chunks of one input batch (in order) into its single :class:`BatchOutput`."""
    for item in done:
        parts.append(item.output)
        if not item.job.last:
            continue
        if len(parts) == 1:
            yield parts[0]
        else:
            confidence = None if parts[0].confidence is None else np.concatenate([p.confidence for p in parts])
            timings = {key: sum(p.timings[key] for p in parts) for key in parts[0].timings}
            yield BatchOutput(np.concatenate([p.class_ids for p in parts]), confidence, timings)
        parts.clear()


@dataclass
class _Slot:
    """One buffer set: pinned host arrays, device buffers for every I/O tensor, and its events."""

    host_in: np.ndarray
    host_ids: np.ndarray
    host_conf: np.ndarray
    device: dict[str, DeviceBuffer]
    events: dict[str, Event]
    rows: int = 0
    run_batch: int = 0

    @classmethod
    def allocate(cls, device: CudaDevice, tensors: list[TensorDesc], sidecar: EngineSidecar) -> _Slot:
        n, s = sidecar.batch_max, sidecar.input_size
        buffers = {name: device.device_alloc(nbytes) for name, nbytes in plan_buffers(tensors, n).items()}
        return cls(
            host_in=device.pinned_empty((n, s, s, 3), np.uint8),
            host_ids=device.pinned_empty((n, s, s), np.uint8),
            host_conf=device.pinned_empty((n, s, s), np.float32),
            device=buffers,
            events={name: device.create_event() for name in _EVENTS},
        )

    def prepare(self, job: _Job, pad_value: int) -> None:
        rows, run = job.chunk.size, job.chunk.run_batch
        self.host_in[:rows] = job.batch[job.chunk.start : job.chunk.stop]
        if run > rows:  # below the profile's minimum batch: pad with blank (white) images
            self.host_in[rows:run] = pad_value
        self.rows, self.run_batch = rows, run

    def copy_in(self, device: CudaDevice, stream: Stream) -> None:
        device.record(self.events["start"], stream)
        device.copy_to_device(self.device[INPUT_NAME], self.host_in[: self.run_batch], stream)
        device.record(self.events["h2d_done"], stream)

    def copy_out(self, device: CudaDevice, stream: Stream, with_confidence: bool) -> None:
        device.wait(stream, self.events["compute_done"])
        device.record(self.events["d2h_start"], stream)
        device.copy_to_host(self.host_ids[: self.rows], self.device[CLASS_IDS], stream)
        if with_confidence:
            device.copy_to_host(self.host_conf[: self.rows], self.device[CONFIDENCE], stream)
        device.record(self.events["d2h_done"], stream)

    def collect(self, device: CudaDevice, with_confidence: bool) -> BatchOutput:
        device.synchronize(self.events["d2h_done"])
        ev = self.events
        timings = {
            "h2d": device.elapsed_s(ev["start"], ev["h2d_done"]),
            "compute": device.elapsed_s(ev["compute_start"], ev["compute_done"]),
            "d2h": device.elapsed_s(ev["d2h_start"], ev["d2h_done"]),
        }
        confidence = self.host_conf[: self.rows].copy() if with_confidence else None
        return BatchOutput(self.host_ids[: self.rows].copy(), confidence, timings)
