"""Which Python CUDA binding to use: pycuda when importable, else cuda-python; an env var forces one."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

from ...errors import BackendUnavailableError
from ._base import Binding, CudaDevice

__all__ = ["BINDINGS", "BINDING_ENV", "available_bindings", "choose_binding", "open_device", "gpu_unavailable_reason"]

BINDING_ENV = "SCHEMSEG_CUDA_BINDING"
BINDINGS: tuple[Binding, ...] = ("pycuda", "cuda-python")  # automatic choice order
_MODULES = {"pycuda": ("pycuda.driver",), "cuda-python": ("cuda.bindings.driver", "cuda.cuda")}
_INSTALL = {
    "pycuda": "pip install 'schemseg[tensorrt]' (pycuda builds from source and needs the CUDA toolkit)",
    "cuda-python": "pip install 'schemseg[cuda-python]' (wheels, no CUDA toolkit needed)",
}


def available_bindings() -> tuple[Binding, ...]:
    """The bindings whose driver module imports here, in automatic-choice order."""
    found = []
    for binding in BINDINGS:
        for module in _MODULES[binding]:
            try:
                importlib.import_module(module)
            except (ImportError, OSError):  # pycuda raises ImportError when libcuda is missing
                continue
            found.append(binding)
            break
    return tuple(found)


def choose_binding(requested: str | None, available: Sequence[str]) -> Binding:
    """Pick the binding: ``requested`` (pycuda, cuda-python; empty or auto = first available)."""
    wanted = (requested or "").strip().lower()
    if wanted in ("", "auto"):
        for binding in BINDINGS:
            if binding in available:
                return binding
        raise BackendUnavailableError(
            "no Python CUDA binding is installed; install one: " + "; or ".join(_INSTALL[b] for b in BINDINGS)
        )
    if wanted not in BINDINGS:
        raise BackendUnavailableError(
            f"{BINDING_ENV}={requested!r} is not a CUDA binding; expected one of {', '.join(BINDINGS)}, "
            "or leave it unset for the automatic choice"
        )
    if wanted not in available:
        raise BackendUnavailableError(f"{BINDING_ENV}={wanted} but {wanted} cannot be imported; {_INSTALL[wanted]}")
    return wanted


def open_device(device_id: int = 0, binding: str | None = None) -> CudaDevice:
    """Open GPU ``device_id`` through ``binding`` (default: ``$SCHEMSEG_CUDA_BINDING`` or automatic).

    >>> device = open_device(0)            # doctest: +SKIP
    >>> with device.activate():            # doctest: +SKIP
    ...     host = device.pinned_empty((4, 608, 608, 3), "uint8")
    >>> device.close()                     # doctest: +SKIP
    """
    requested = binding if binding is not None else os.environ.get(BINDING_ENV)
    chosen = choose_binding(requested, available_bindings())
    if chosen == "pycuda":
        from ._pycuda import open_pycuda_device

        return open_pycuda_device(device_id)
    from ._cuda_python import open_cuda_python_device

    return open_cuda_python_device(device_id)


def gpu_unavailable_reason(device_id: int = 0, binding: str | None = None) -> str | None:
    """``None`` when GPU ``device_id`` opens through a binding, else why not (for skips and reports)."""
    try:
        device = open_device(device_id, binding)
    except BackendUnavailableError as exc:
        return str(exc)
    device.close()
    return None
