"""The one small CUDA memory module: pinned host buffers, device buffers, streams, events.

Two implementations of one protocol (:class:`CudaDevice`): pycuda and cuda-python
(``cuda.bindings``). :func:`open_device` picks pycuda when it imports, else cuda-python;
``SCHEMSEG_CUDA_BINDING=pycuda|cuda-python`` forces one. ``device.binding`` says which is in use.
Nothing here imports a binding until a device is opened.
"""

from __future__ import annotations

from ._base import Binding, CudaDevice, DeviceBuffer, DeviceInfo, Event, Stream
from ._choice import BINDING_ENV, BINDINGS, available_bindings, choose_binding, gpu_unavailable_reason, open_device

__all__ = [
    "BINDINGS",
    "BINDING_ENV",
    "Binding",
    "CudaDevice",
    "DeviceBuffer",
    "DeviceInfo",
    "Event",
    "Stream",
    "available_bindings",
    "choose_binding",
    "gpu_unavailable_reason",
    "open_device",
]
