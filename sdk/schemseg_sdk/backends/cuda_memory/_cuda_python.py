"""The CUDA memory protocol on cuda-python's driver API (``cuda.bindings.driver``).

Calls used, as documented by cuda-python (each returns ``(CUresult, *values)``): ``cuInit``,
``cuDeviceGetCount``, ``cuDeviceGet``, ``cuDeviceGetName``, ``cuDeviceGetAttribute``,
``cuDeviceTotalMem``, ``cuDevicePrimaryCtxRetain``/``Release``, ``cuCtxPushCurrent``/
``cuCtxPopCurrent``, ``cuMemHostAlloc``/``cuMemFreeHost``, ``cuMemAlloc``/``cuMemFree``,
``cuMemcpyHtoDAsync``/``cuMemcpyDtoHAsync``, ``cuStreamCreate``/``Synchronize``/``WaitEvent``/
``Destroy``, ``cuEventCreate``/``Record``/``Synchronize``/``ElapsedTime``/``Destroy``,
``cuMemGetInfo``, ``cuGetErrorName``.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from ...errors import BackendUnavailableError, InferenceError
from ._base import CudaDevice, DeviceBuffer, DeviceInfo, Event, Stream, out_of_memory_message

__all__ = ["CudaPythonDevice", "open_cuda_python_device"]

# CU_STREAM_NON_BLOCKING: our streams never wait for work on the legacy default stream (e.g. PyTorch's).
_NON_BLOCKING = 1


def _driver() -> Any:
    try:
        from cuda.bindings import driver  # cuda-python >= 12.6
    except ImportError:
        from cuda import cuda as driver  # older cuda-python layout
    return driver


def open_cuda_python_device(device_id: int) -> CudaPythonDevice:
    """Retain device ``device_id``'s primary context through cuda-python."""
    cu = _driver()
    try:
        _call(cu, cu.cuInit(0), "cuInit")
        count = _call(cu, cu.cuDeviceGetCount(), "cuDeviceGetCount")
        if not 0 <= device_id < count:
            raise BackendUnavailableError(
                f"CUDA device {device_id} not found: {count} device(s) visible; use device_id 0..{count - 1}"
            )
        device = _call(cu, cu.cuDeviceGet(device_id), "cuDeviceGet")
        info = _describe(cu, device, device_id)
        context = _call(cu, cu.cuDevicePrimaryCtxRetain(device), "cuDevicePrimaryCtxRetain")
    except InferenceError as exc:
        raise BackendUnavailableError(f"CUDA device {device_id} is not usable through cuda-python: {exc}") from None
    except BackendUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - without a driver cuda-python raises its own loader errors
        raise BackendUnavailableError(f"no NVIDIA driver found by cuda-python ({type(exc).__name__}: {exc})") from None
    return CudaPythonDevice(cu, device, context, info)


def _describe(cu: Any, device: Any, device_id: int) -> DeviceInfo:
    attr = cu.CUdevice_attribute
    major = _call(cu, cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "cc major")
    minor = _call(cu, cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "cc minor")
    raw_name = _call(cu, cu.cuDeviceGetName(256, device), "cuDeviceGetName")
    name = bytes(raw_name).split(b"\0", 1)[0].decode("utf-8", "replace").strip()
    total = _call(cu, cu.cuDeviceTotalMem(device), "cuDeviceTotalMem")
    return DeviceInfo(device_id, name, f"{major}.{minor}", int(total))


def _call(cu: Any, result: tuple[Any, ...], what: str) -> Any:
    """Check a cuda-python ``(CUresult, *values)`` tuple; return the value(s)."""
    err, *values = result
    if err != cu.CUresult.CUDA_SUCCESS:
        raise InferenceError(f"CUDA error {_error_name(cu, err)} in {what}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def _error_name(cu: Any, err: Any) -> str:
    status, name = cu.cuGetErrorName(err)
    if status == cu.CUresult.CUDA_SUCCESS and name:
        return name.decode() if isinstance(name, bytes) else str(name)
    return str(err)


class CudaPythonDevice(CudaDevice):
    binding = "cuda-python"

    def __init__(self, cu: Any, device: Any, context: Any, info: DeviceInfo) -> None:
        super().__init__(info)
        self._cu = cu
        self._device = device
        self._context = context

    def _alloc_call(self, result: tuple[Any, ...], what: str) -> Any:
        err = result[0]
        if err == self._cu.CUresult.CUDA_ERROR_OUT_OF_MEMORY:
            free, total = _call(self._cu, self._cu.cuMemGetInfo(), "cuMemGetInfo")
            raise InferenceError(out_of_memory_message(what, int(free), int(total)))
        return _call(self._cu, result, what)

    def _push(self) -> None:
        _call(self._cu, self._cu.cuCtxPushCurrent(self._context), "cuCtxPushCurrent")

    def _pop(self) -> None:
        _call(self._cu, self._cu.cuCtxPopCurrent(), "cuCtxPopCurrent")

    def _alloc_pinned(self, nbytes: int, what: str) -> tuple[np.ndarray, object]:
        ptr = int(self._alloc_call(self._cu.cuMemHostAlloc(nbytes, 0), what))
        array = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_uint8)), (nbytes,))
        return array, ptr

    def _alloc_device(self, nbytes: int, what: str) -> DeviceBuffer:
        ptr = self._alloc_call(self._cu.cuMemAlloc(nbytes), what)
        return DeviceBuffer(int(ptr), nbytes, ptr)

    def _new_stream(self) -> Stream:
        stream = _call(self._cu, self._cu.cuStreamCreate(_NON_BLOCKING), "stream")
        return Stream(int(stream), stream)

    def _new_event(self) -> Event:
        return Event(_call(self._cu, self._cu.cuEventCreate(0), "event"))

    def _htod(self, dst: DeviceBuffer, src: np.ndarray, stream: Stream) -> None:
        result = self._cu.cuMemcpyHtoDAsync(dst.native, src.ctypes.data, src.nbytes, stream.native)
        _call(self._cu, result, "cuMemcpyHtoDAsync")

    def _dtoh(self, dst: np.ndarray, src: DeviceBuffer, stream: Stream) -> None:
        result = self._cu.cuMemcpyDtoHAsync(dst.ctypes.data, src.native, dst.nbytes, stream.native)
        _call(self._cu, result, "cuMemcpyDtoHAsync")

    def record(self, event: Event, stream: Stream) -> None:
        _call(self._cu, self._cu.cuEventRecord(event.native, stream.native), "cuEventRecord")

    def wait(self, stream: Stream, event: Event) -> None:
        _call(self._cu, self._cu.cuStreamWaitEvent(stream.native, event.native, 0), "cuStreamWaitEvent")

    def synchronize(self, event: Event) -> None:
        _call(self._cu, self._cu.cuEventSynchronize(event.native), "cuEventSynchronize")

    def synchronize_stream(self, stream: Stream) -> None:
        _call(self._cu, self._cu.cuStreamSynchronize(stream.native), "cuStreamSynchronize")

    def elapsed_s(self, start: Event, end: Event) -> float:
        ms = _call(self._cu, self._cu.cuEventElapsedTime(start.native, end.native), "cuEventElapsedTime")
        return float(ms) / 1000.0

    def memory_info(self) -> tuple[int, int]:
        free, total = _call(self._cu, self._cu.cuMemGetInfo(), "cuMemGetInfo")
        return int(free), int(total)

    def _free(self, kind: str, native: object) -> None:
        cu = self._cu
        call = {
            "pinned": cu.cuMemFreeHost,
            "device": cu.cuMemFree,
            "stream": cu.cuStreamDestroy,
            "event": cu.cuEventDestroy,
        }[kind]
        _call(cu, call(native), f"freeing a {kind} resource")

    def _release_context(self) -> None:
        _call(self._cu, self._cu.cuDevicePrimaryCtxRelease(self._device), "cuDevicePrimaryCtxRelease")
