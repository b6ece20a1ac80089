"""The CUDA memory module: binding choice on CPU; real allocations, copies, events and contexts on a GPU.

The GPU tests need no TensorRT (marker ``gpu`` only) and run once per installed binding.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from schemseg_sdk.backends.cuda_memory import (
    BINDING_ENV,
    CudaDevice,
    available_bindings,
    choose_binding,
    gpu_unavailable_reason,
    open_device,
)
from schemseg_sdk.errors import BackendUnavailableError, InferenceError, SchemsegError

BINDINGS_HERE = available_bindings()
GPU_REASON = gpu_unavailable_reason() if BINDINGS_HERE else "no Python CUDA binding (pycuda, cuda-python) installed"


# -- binding choice (CPU) ------------------------------------------------------------------------
def test_automatic_choice_prefers_pycuda_then_cuda_python() -> None:
    assert choose_binding(None, ["cuda-python", "pycuda"]) == "pycuda"
    assert choose_binding("", ["cuda-python"]) == "cuda-python"
    assert choose_binding("auto", ["pycuda"]) == "pycuda"


def test_forced_binding_is_used_even_when_another_is_preferred() -> None:
    assert choose_binding("cuda-python", ["pycuda", "cuda-python"]) == "cuda-python"
    assert choose_binding(" PyCUDA ", ["pycuda"]) == "pycuda"


def test_no_binding_error_names_both_installs() -> None:
    with pytest.raises(BackendUnavailableError) as err:
        choose_binding(None, [])
    assert str(err.value) == (
        "no Python CUDA binding is installed; install one: pip install 'schemseg[tensorrt]' (pycuda builds from "
        "source and needs the CUDA toolkit); or pip install 'schemseg[cuda-python]' (wheels, no CUDA toolkit needed)"
    )


def test_unknown_or_missing_forced_binding_is_refused() -> None:
    with pytest.raises(BackendUnavailableError) as err:
        choose_binding("cupy", ["pycuda"])
    assert str(err.value) == (
        f"{BINDING_ENV}='cupy' is not a CUDA binding; expected one of pycuda, cuda-python, "
        "or leave it unset for the automatic choice"
    )
    with pytest.raises(BackendUnavailableError, match=f"{BINDING_ENV}=pycuda but pycuda cannot be imported"):
        choose_binding("pycuda", ["cuda-python"])


def test_available_bindings_are_the_importable_ones() -> None:
    import importlib.util

    assert set(BINDINGS_HERE) <= {"pycuda", "cuda-python"}
    if importlib.util.find_spec("cuda") is None:
        assert "cuda-python" not in BINDINGS_HERE


def test_environment_variable_forces_the_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BINDING_ENV, "opencl")
    with pytest.raises(BackendUnavailableError, match=f"{BINDING_ENV}='opencl' is not a CUDA binding"):
        open_device(0)
    assert gpu_unavailable_reason().startswith(f"{BINDING_ENV}='opencl'")


@pytest.mark.skipif(GPU_REASON is None, reason="a GPU is present; this checks the error without one")
def test_without_a_gpu_opening_says_why() -> None:
    with pytest.raises(BackendUnavailableError) as err:
        open_device(0)
    assert str(err.value) == GPU_REASON


# -- real GPU (no TensorRT needed) -------------------------------------------------------------
@pytest.fixture(params=BINDINGS_HERE or ["none"])
def device(request: pytest.FixtureRequest) -> Iterator[CudaDevice]:
    if GPU_REASON is not None:
        pytest.skip(f"no usable GPU: {GPU_REASON}")
    opened = open_device(0, request.param)
    yield opened
    opened.close()


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_copy_round_trip(device: CudaDevice, dtype: str) -> None:
    shape = (2, 608, 608, 3) if dtype == "uint8" else (2, 608, 608)
    rng = np.random.default_rng(0)
    with device.activate():
        host_in = device.pinned_empty(shape, dtype)
        host_out = device.pinned_empty(shape, dtype)
        host_in[...] = rng.integers(0, 255, shape).astype(dtype)
        buffer = device.device_alloc(host_in.nbytes)
        stream = device.create_stream()
        device.copy_to_device(buffer, host_in, stream)
        device.copy_to_host(host_out, buffer, stream)
        device.synchronize_stream(stream)
    np.testing.assert_array_equal(host_out, host_in)
    assert host_in.shape == shape and host_in.dtype == np.dtype(dtype)


@pytest.mark.gpu
def test_partial_copy_and_pageable_source(device: CudaDevice) -> None:
    pageable = np.arange(1000, dtype=np.uint8)
    with device.activate():
        buffer = device.device_alloc(4096)
        out = device.pinned_empty((4096,), np.uint8)
        out[...] = 7
        stream = device.create_stream()
        device.copy_to_device(buffer, pageable, stream)
        device.copy_to_host(out[:1000], buffer, stream)
        device.synchronize_stream(stream)
    np.testing.assert_array_equal(out[:1000], pageable)
    assert (out[1000:] == 7).all()


@pytest.mark.gpu
def test_copy_larger_than_the_buffer_is_refused(device: CudaDevice) -> None:
    with device.activate():
        buffer = device.device_alloc(16)
        stream = device.create_stream()
        with pytest.raises(InferenceError, match="CUDA copy source: 32 bytes do not fit the 16-byte device buffer"):
            device.copy_to_device(buffer, np.zeros(32, np.uint8), stream)


@pytest.mark.gpu
def test_events_time_the_work_between_them(device: CudaDevice) -> None:
    with device.activate():
        host = device.pinned_empty((8, 608, 608, 3), np.uint8)
        buffer = device.device_alloc(host.nbytes)
        stream, other = device.create_stream(), device.create_stream()
        start, end, copied = device.create_event(), device.create_event(), device.create_event()
        device.record(start, stream)
        for _ in range(5):
            device.copy_to_device(buffer, host, stream)
        device.record(end, stream)
        device.wait(other, end)  # later work on `other` waits for the copies
        device.record(copied, other)
        device.synchronize(copied)
        seconds = device.elapsed_s(start, end)
    assert 0 < seconds < 5


def _current_context(binding: str) -> int:
    if binding == "pycuda":
        import pycuda.driver as cuda

        current = cuda.Context.get_current()
        return 0 if current is None else int(current.handle)
    from cuda.bindings import driver

    err, ctx = driver.cuCtxGetCurrent()
    return int(ctx)


@pytest.mark.gpu
def test_context_is_pushed_and_popped_on_any_thread(device: CudaDevice) -> None:
    with device.activate():
        buffer = device.device_alloc(1024)
        stream = device.create_stream()
    results: dict[str, object] = {}

    def worker() -> None:
        try:
            before = _current_context(device.binding)
            out = np.zeros(1024, np.uint8)
            with device.activate():
                inside = _current_context(device.binding)
                device.copy_to_device(buffer, np.full(1024, 9, np.uint8), stream)
                device.copy_to_host(out, buffer, stream)
                device.synchronize_stream(stream)
            results.update(before=before, inside=inside, after=_current_context(device.binding), out=out)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    assert "error" not in results, results.get("error")
    assert results["before"] == 0 and results["after"] == 0 and results["inside"] != 0
    assert (results["out"] == 9).all()  # type: ignore[union-attr]


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.gpu
def test_no_memory_growth_over_1000_iterations(device: CudaDevice) -> None:
    with device.activate():
        host_in = device.pinned_empty((1, 608, 608, 3), np.uint8)
        host_out = device.pinned_empty((1, 608, 608), np.float32)
        buffer_in, buffer_out = device.device_alloc(host_in.nbytes), device.device_alloc(host_out.nbytes)
        stream = device.create_stream()
        start, end = device.create_event(), device.create_event()

    def iteration() -> None:
        with device.activate():
            device.record(start, stream)
            device.copy_to_device(buffer_in, host_in, stream)
            device.copy_to_host(host_out, buffer_out, stream)
            device.record(end, stream)
            device.synchronize(end)
            device.elapsed_s(start, end)

    for _ in range(50):
        iteration()
    with device.activate():
        free_before = device.memory_info()[0]
    rss_before = _rss_bytes()
    for _ in range(1000):
        iteration()
    with device.activate():
        free_after = device.memory_info()[0]
    assert free_before - free_after <= 2 * 2**20  # other processes may allocate a little meanwhile
    assert _rss_bytes() - rss_before < 16 * 2**20


@pytest.mark.gpu
def test_out_of_memory_is_a_clear_error(device: CudaDevice) -> None:
    with device.activate(), pytest.raises(InferenceError, match=r"CUDA out of memory allocating .* MiB of device"):
        device.device_alloc(device.info.total_memory * 4)


@pytest.mark.gpu
def test_close_frees_everything_and_is_idempotent(device: CudaDevice) -> None:
    with device.activate():
        device.pinned_empty((1024,), np.uint8)
        device.device_alloc(1 << 20)
        device.create_stream()
        device.create_event()
    device.close()
    device.close()
    assert device.closed
    with pytest.raises(SchemsegError, match=r"CUDA device 0 \((pycuda|cuda-python)\) is closed"):
        with device.activate():
            pass


@pytest.mark.gpu
def test_device_info_is_filled(device: CudaDevice) -> None:
    info = device.info
    assert info.index == 0 and info.name and info.total_memory > 0
    major, minor = info.compute_capability.split(".")
    assert int(major) >= 3 and int(minor) >= 0
