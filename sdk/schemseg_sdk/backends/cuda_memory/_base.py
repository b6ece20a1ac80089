"""The one CUDA memory protocol, shared by the pycuda and cuda-python implementations.

A :class:`CudaDevice` owns the device's *retained primary context* (the context the CUDA runtime,
PyTorch and TensorRT use too), and every pinned host buffer, device buffer, stream and event it
hands out. Work happens inside ``with device.activate():`` which pushes that context on the calling
thread and pops it afterwards, so any thread may use the device and nothing is left current.
:meth:`CudaDevice.close` frees everything it handed out; it is safe to call twice.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ...errors import InferenceError, SchemsegError

__all__ = ["Binding", "CudaDevice", "DeviceBuffer", "DeviceInfo", "Event", "Stream"]

Binding = Literal["pycuda", "cuda-python"]


@dataclass(frozen=True)
class DeviceInfo:
    """What the engine sidecar is checked against."""

    index: int
    name: str
    compute_capability: str  # "8.6"
    total_memory: int  # bytes


@dataclass(eq=False)
class DeviceBuffer:
    """Linear device memory of ``nbytes`` at address ``ptr``."""

    ptr: int
    nbytes: int
    native: Any = field(repr=False)  # the binding's own handle (pycuda or cuda-python: untyped)


@dataclass(eq=False)
class Stream:
    """A CUDA stream; ``handle`` is the ``cudaStream_t`` value TensorRT takes."""

    handle: int
    native: Any = field(repr=False)  # the binding's own handle (pycuda or cuda-python: untyped)


@dataclass(eq=False)
class Event:
    """A CUDA event with timing enabled."""

    native: Any = field(repr=False)  # the binding's own handle (pycuda or cuda-python: untyped)


class CudaDevice(ABC):
    """One GPU through one Python CUDA binding; see the module docstring for the rules."""

    binding: Binding

    def __init__(self, info: DeviceInfo) -> None:
        self.info = info
        self._owned: list[tuple[str, Any]] = []  # (kind, wrapper or pinned handle), in creation order
        self._lock = threading.Lock()
        self._closed = False

    # -- context ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def activate(self) -> Iterator[None]:
        """Make the primary context current on this thread for the ``with`` block (re-entrant)."""
        if self._closed:
            raise SchemsegError(f"CUDA device {self.info.index} ({self.binding}) is closed")
        self._push()
        try:
            yield
        finally:
            self._pop()

    # -- allocation (call inside activate) -------------------------------------------------
    def pinned_empty(self, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
        """A page-locked host array; it stays valid until :meth:`close`."""
        dt = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if nbytes <= 0:
            raise InferenceError(f"pinned buffer of shape {shape}: expected a positive size")
        array, native = self._alloc_pinned(nbytes, f"{nbytes / 2**20:.1f} MiB of pinned host memory")
        self._own("pinned", native)
        return array.view(dt).reshape(shape)

    def device_alloc(self, nbytes: int) -> DeviceBuffer:
        """``nbytes`` of device memory; it stays valid until :meth:`close`."""
        if nbytes <= 0:
            raise InferenceError(f"device buffer of {nbytes} bytes: expected a positive size")
        buffer = self._alloc_device(int(nbytes), f"{nbytes / 2**20:.1f} MiB of device memory")
        self._own("device", buffer)
        return buffer

    def create_stream(self) -> Stream:
        stream = self._new_stream()
        self._own("stream", stream)
        return stream

    def create_event(self) -> Event:
        event = self._new_event()
        self._own("event", event)
        return event

    # -- asynchronous work (call inside activate) ------------------------------------------
    def copy_to_device(self, dst: DeviceBuffer, src: np.ndarray, stream: Stream) -> None:
        """Enqueue a copy of all of ``src`` to the start of ``dst`` (async when ``src`` is pinned)."""
        _check_host_array(src, dst.nbytes, "source", writable=False)
        self._htod(dst, src, stream)

    def copy_to_host(self, dst: np.ndarray, src: DeviceBuffer, stream: Stream) -> None:
        """Enqueue a copy of the first ``dst.nbytes`` of ``src`` into ``dst``."""
        _check_host_array(dst, src.nbytes, "destination", writable=True)
        self._dtoh(dst, src, stream)

    @abstractmethod
    def record(self, event: Event, stream: Stream) -> None:
        """Record ``event`` at the current end of ``stream``."""

    @abstractmethod
    def wait(self, stream: Stream, event: Event) -> None:
        """Make later work on ``stream`` wait for ``event`` (the host does not wait)."""

    @abstractmethod
    def synchronize(self, event: Event) -> None:
        """Block the host until ``event`` has completed."""

    @abstractmethod
    def synchronize_stream(self, stream: Stream) -> None:
        """Block the host until all work on ``stream`` has completed."""

    @abstractmethod
    def elapsed_s(self, start: Event, end: Event) -> float:
        """Seconds between two completed events."""

    @abstractmethod
    def memory_info(self) -> tuple[int, int]:
        """``(free, total)`` device memory in bytes."""

    # -- lifetime --------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Free every buffer, stream and event handed out, then release the primary context."""
        with self._lock:
            if self._closed:
                return
            owned, self._owned = self._owned, []
        try:
            with self.activate():
                for kind, item in reversed(owned):
                    if kind == "pinned":
                        self._free(kind, item)
                    else:  # drop the wrapper's handle here, while the context is current
                        native, item.native = item.native, None
                        self._free(kind, native)
                        del native
                owned.clear()
        finally:
            self._closed = True
            self._release_context()

    def _own(self, kind: str, native: object) -> None:
        with self._lock:
            self._owned.append((kind, native))

    # -- for implementations ---------------------------------------------------------------
    @abstractmethod
    def _push(self) -> None: ...

    @abstractmethod
    def _pop(self) -> None: ...

    @abstractmethod
    def _alloc_pinned(self, nbytes: int, what: str) -> tuple[np.ndarray, object]:
        """Return a flat uint8 array over new pinned memory and the handle that frees it."""

    @abstractmethod
    def _alloc_device(self, nbytes: int, what: str) -> DeviceBuffer: ...

    @abstractmethod
    def _new_stream(self) -> Stream: ...

    @abstractmethod
    def _new_event(self) -> Event: ...

    @abstractmethod
    def _htod(self, dst: DeviceBuffer, src: np.ndarray, stream: Stream) -> None: ...

    @abstractmethod
    def _dtoh(self, dst: np.ndarray, src: DeviceBuffer, stream: Stream) -> None: ...

    @abstractmethod
    def _free(self, kind: str, native: object) -> None:
        """Free one owned resource (``kind`` is pinned, device, stream or event)."""

    @abstractmethod
    def _release_context(self) -> None: ...


def _check_host_array(array: np.ndarray, limit: int, role: str, *, writable: bool) -> None:
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
        raise InferenceError(f"CUDA copy {role}: expected a C-contiguous numpy array")
    if writable and not array.flags.writeable:
        raise InferenceError(f"CUDA copy {role}: expected a writable array")
    if array.nbytes > limit:
        raise InferenceError(f"CUDA copy {role}: {array.nbytes} bytes do not fit the {limit}-byte device buffer")


def out_of_memory_message(what: str, free: int | None, total: int | None) -> str:
    """The one wording for CUDA out-of-memory (the backend adds the batch size)."""
    where = "" if free is None or total is None else f" ({free / 2**20:.0f} of {total / 2**20:.0f} MiB free)"
    return f"CUDA out of memory allocating {what}{where}"
