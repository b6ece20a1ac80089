"""The CUDA memory protocol on pycuda (``pycuda.driver``), without ``pycuda.autoinit``.

Calls used, as documented by pycuda: ``init``, ``Device(i)`` with ``name``,
``compute_capability``, ``total_memory``, ``retain_primary_context``; ``Context.push``/``pop``/
``detach``; ``pagelocked_empty``, ``mem_alloc``, ``memcpy_htod_async``, ``memcpy_dtoh_async``;
``Stream`` (``handle``, ``synchronize``, ``wait_for_event``); ``Event`` (``record``,
``synchronize``, ``time_since``); ``mem_get_info``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...errors import BackendUnavailableError, InferenceError
from ._base import CudaDevice, DeviceBuffer, DeviceInfo, Event, Stream, out_of_memory_message

__all__ = ["PycudaDevice", "open_pycuda_device"]

# CU_STREAM_NON_BLOCKING: our streams never wait for work on the legacy default stream (e.g. PyTorch's).
_NON_BLOCKING = 1


def open_pycuda_device(device_id: int) -> PycudaDevice:
    """Retain device ``device_id``'s primary context through pycuda."""
    import pycuda.driver as cuda  # lazy: optional dependency

    try:
        cuda.init()
        count = cuda.Device.count()
        if not 0 <= device_id < count:
            raise BackendUnavailableError(
                f"CUDA device {device_id} not found: {count} device(s) visible; use device_id 0..{count - 1}"
            )
        device = cuda.Device(device_id)
        major, minor = device.compute_capability()
        info = DeviceInfo(device_id, device.name(), f"{major}.{minor}", int(device.total_memory()))
        context = device.retain_primary_context()
    except cuda.Error as exc:
        raise BackendUnavailableError(f"CUDA device {device_id} is not usable through pycuda: {exc}") from None
    return PycudaDevice(cuda, context, info)


class PycudaDevice(CudaDevice):
    """pycuda keeps its own per-thread context stack: every pycuda object is created and freed inside
    :meth:`activate`, where our context is on top of it, so pycuda never refuses an "out-of-thread
    context" and its destructors run while the context is current."""

    binding = "pycuda"

    def __init__(self, cuda: Any, context: Any, info: DeviceInfo) -> None:  # pycuda.driver is untyped
        super().__init__(info)
        self._cuda = cuda
        self._context = context

    @contextlib.contextmanager
    def _guard(self, what: str, nbytes: int = 0) -> Iterator[None]:
        cuda = self._cuda
        try:
            yield
        except cuda.MemoryError:
            raise InferenceError(out_of_memory_message(what, *self._free_total())) from None
        except cuda.Error as exc:
            raise InferenceError(f"CUDA error in {what}: {exc}") from None

    def _free_total(self) -> tuple[int | None, int | None]:
        try:
            free, total = self._cuda.mem_get_info()
            return int(free), int(total)
        except Exception:  # noqa: BLE001 - only decorates an error message
            return None, None

    def _push(self) -> None:
        with self._guard("pushing the primary context"):
            self._context.push()

    def _pop(self) -> None:
        with self._guard("popping the primary context"):
            self._cuda.Context.pop()

    def _alloc_pinned(self, nbytes: int, what: str) -> tuple[np.ndarray, object]:
        with self._guard(what):
            array = self._cuda.pagelocked_empty((nbytes,), np.uint8)
        return array, array.base  # the HostAllocation; its free() releases the pages

    def _alloc_device(self, nbytes: int, what: str) -> DeviceBuffer:
        with self._guard(what):
            allocation = self._cuda.mem_alloc(nbytes)
        return DeviceBuffer(int(allocation), nbytes, allocation)

    def _new_stream(self) -> Stream:
        with self._guard("creating a stream"):
            stream = self._cuda.Stream(flags=_NON_BLOCKING)
        return Stream(int(stream.handle), stream)

    def _new_event(self) -> Event:
        with self._guard("creating an event"):
            return Event(self._cuda.Event())

    def _htod(self, dst: DeviceBuffer, src: np.ndarray, stream: Stream) -> None:
        with self._guard("host-to-device copy"):
            self._cuda.memcpy_htod_async(dst.ptr, src, stream.native)

    def _dtoh(self, dst: np.ndarray, src: DeviceBuffer, stream: Stream) -> None:
        with self._guard("device-to-host copy"):
            self._cuda.memcpy_dtoh_async(dst, src.ptr, stream.native)

    def record(self, event: Event, stream: Stream) -> None:
        with self._guard("recording an event"):
            event.native.record(stream.native)

    def wait(self, stream: Stream, event: Event) -> None:
        with self._guard("making a stream wait for an event"):
            stream.native.wait_for_event(event.native)

    def synchronize(self, event: Event) -> None:
        with self._guard("waiting for an event"):
            event.native.synchronize()

    def synchronize_stream(self, stream: Stream) -> None:
        with self._guard("waiting for a stream"):
            stream.native.synchronize()

    def elapsed_s(self, start: Event, end: Event) -> float:
        with self._guard("reading event times"):
            return float(end.native.time_since(start.native)) / 1000.0

    def memory_info(self) -> tuple[int, int]:
        with self._guard("reading free memory"):
            free, total = self._cuda.mem_get_info()
        return int(free), int(total)

    def _free(self, kind: str, native: object) -> None:
        with self._guard(f"freeing a {kind} resource"):
            if kind in ("pinned", "device"):
                native.free()  # type: ignore[attr-defined]  # a pycuda allocation (untyped handle)
        # streams and events are destroyed by pycuda when their last reference goes, here

    def _release_context(self) -> None:
        # pycuda releases a retained primary context only from the thread that retained it (from
        # another thread detach() is a silent no-op: one retain stays until the process exits).
        with self._guard("releasing the primary context"):
            self._context.detach()
