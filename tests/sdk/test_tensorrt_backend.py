"""TensorRTBackend: load errors reachable without TensorRT on CPU; the real engine on a GPU with TensorRT.

GPU tests build a tiny engine from the tiny ONNX model with ``schemseg_sdk.engine.pipeline.build_engine``
(profile 2:3:4, so batch 1 exercises padding to the profile minimum) and compare with ONNX Runtime.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from schemseg_sdk.backends._tensorrt_load import model_info_of, rebuild_engine
from schemseg_sdk.backends.base import BackendBase
from schemseg_sdk.backends.cuda_memory import available_bindings, gpu_unavailable_reason
from schemseg_sdk.backends.onnxruntime import OnnxRuntimeBackend
from schemseg_sdk.backends.tensorrt import TensorRTBackend
from schemseg_sdk.engine.sidecar import EngineSidecar, read_sidecar, sidecar_path, write_sidecar
from schemseg_sdk.errors import BackendUnavailableError, EngineLoadError, InferenceError, SchemsegError
from schemseg_sdk.model_info import ModelInfo

HAS_TENSORRT = importlib.util.find_spec("tensorrt") is not None
GPU_REASON = gpu_unavailable_reason() if available_bindings() else "no Python CUDA binding installed"


def make_sidecar(**changes: object) -> EngineSidecar:
    info = ModelInfo(input_size=64)
    sidecar = EngineSidecar(
        schemseg_version="0.1.0", tensorrt_version="10.3.0.26", gpu_name="NVIDIA GeForce RTX 3060",
        compute_capability="8.6", precision="fp16", batch_min=1, batch_opt=4, batch_max=8, input_size=64,
        class_names=info.class_names, mean=info.mean, std=info.std, onnx_sha256="0" * 64,
        source_onnx="models/tiny.onnx", model_metadata=info.to_metadata(),
    )  # fmt: skip
    return replace(sidecar, **changes)  # type: ignore[arg-type]


# -- CPU: errors before TensorRT is needed ----------------------------------------------------------
def test_backend_implements_the_protocol() -> None:
    assert issubclass(TensorRTBackend, BackendBase)


def test_missing_engine_file(tmp_path: Path) -> None:
    engine = tmp_path / "none.fp16.engine"
    with pytest.raises(EngineLoadError) as err:
        TensorRTBackend(engine)
    assert str(err.value) == f"{engine}: engine file not found; build one with 'schemseg-build-engine MODEL.onnx'"


def test_empty_engine_file(tmp_path: Path) -> None:
    engine = tmp_path / "empty.fp16.engine"
    engine.write_bytes(b"")
    write_sidecar(engine, make_sidecar())
    with pytest.raises(EngineLoadError) as err:
        TensorRTBackend(engine)
    assert str(err.value) == f"{engine}: engine file is empty (0 bytes), an interrupted build or copy; rebuild it"


def test_engine_without_sidecar(tmp_path: Path) -> None:
    engine = tmp_path / "lonely.fp16.engine"
    engine.write_bytes(b"\x00" * 128)
    with pytest.raises(EngineLoadError) as err:
        TensorRTBackend(engine)
    assert str(err.value) == (
        f"{engine}: no sidecar lonely.fp16.json beside the engine; an engine without its sidecar cannot be "
        "checked against this GPU, rebuild it with 'schemseg-build-engine MODEL.onnx'"
    )


def test_engine_with_malformed_sidecar(tmp_path: Path) -> None:
    engine = tmp_path / "bad.fp16.engine"
    engine.write_bytes(b"\x00" * 128)
    sidecar_path(engine).write_text(json.dumps({"precision": "fp16"}))
    with pytest.raises(EngineLoadError, match=r"bad\.fp16\.json: malformed engine sidecar"):
        TensorRTBackend(engine)


@pytest.mark.skipif(HAS_TENSORRT, reason="TensorRT is installed here; this checks the error without it")
def test_tensorrt_missing_names_the_pip_extra(tmp_path: Path) -> None:
    engine = tmp_path / "model.fp16.engine"
    engine.write_bytes(b"\x00" * 128)
    write_sidecar(engine, make_sidecar())
    with pytest.raises(BackendUnavailableError) as err:
        TensorRTBackend(engine)
    assert str(err.value) == (
        "TensorRT is not installed (No module named 'tensorrt'); install it with: pip install 'schemseg[tensorrt]' "
        "(or 'schemseg[cuda-python]' to use cuda-python instead of pycuda)"
    )


def test_rebuild_from_a_missing_onnx_is_refused(tmp_path: Path) -> None:
    engine = tmp_path / "model.fp16.engine"
    with pytest.raises(EngineLoadError) as err:
        rebuild_engine(tmp_path / "gone.onnx", make_sidecar(), engine)
    gone = tmp_path / "gone.onnx"
    assert str(err.value) == f"{engine}: rebuild_from='{gone}' does not exist; pass the model's ONNX file"


def test_model_info_comes_from_the_sidecar() -> None:
    info = model_info_of(make_sidecar(), Path("m.fp16.engine"))
    assert info.input_size == 64 and info.precision == "fp16" and len(info.class_names) == 41
    plain = model_info_of(make_sidecar(model_metadata={}), Path("m.fp16.engine"))
    assert (plain.input_size, plain.class_names, plain.precision) == (64, info.class_names, "fp16")
    with pytest.raises(EngineLoadError, match="sidecar input size 608 disagrees with its model metadata"):
        model_info_of(make_sidecar(input_size=608), Path("m.fp16.engine"))


# -- GPU + TensorRT ---------------------------------------------------------------------------
needs_gpu_trt = [
    pytest.mark.gpu,
    pytest.mark.tensorrt,
    pytest.mark.skipif(not HAS_TENSORRT, reason="TensorRT is not installed (pip install 'schemseg[tensorrt]')"),
    pytest.mark.skipif(GPU_REASON is not None, reason=f"no usable GPU: {GPU_REASON}"),
]


def apply_gpu_marks(test):  # type: ignore[no-untyped-def]
    """Markers ``gpu`` and ``tensorrt``, and skips with the reason where either is missing."""
    for mark in needs_gpu_trt:
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def tiny_engine(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAS_TENSORRT or GPU_REASON is not None:
        pytest.skip("needs TensorRT and a GPU")
    from schemseg_sdk.engine.pipeline import build_engine

    result = build_engine(tiny_model, "fp32", out_dir=tmp_path_factory.mktemp("engines"), batch=(2, 3, 4), name="tiny")
    assert result.engine_path is not None
    return Path(result.engine_path)


@pytest.fixture(scope="module")
def backend(tiny_engine: Path) -> Iterator[TensorRTBackend]:
    opened = TensorRTBackend(tiny_engine)
    yield opened
    opened.close()


def sheets(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)


@apply_gpu_marks
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_matches_onnx_runtime(backend: TensorRTBackend, tiny_model: Path, n: int) -> None:
    batch = sheets(n, seed=n)
    with OnnxRuntimeBackend(tiny_model) as ort:
        expected = ort.infer(batch)
    got = backend.infer(batch)
    assert got.class_ids.shape == (n, 64, 64) and got.class_ids.dtype == np.uint8
    assert got.confidence is not None and got.confidence.dtype == np.float32
    assert (got.class_ids == expected.class_ids).mean() >= 0.995
    np.testing.assert_allclose(got.confidence, expected.confidence, atol=2e-3)
    assert set(got.timings) == {"h2d", "compute", "d2h"} and all(v > 0 for v in got.timings.values())


@apply_gpu_marks
def test_infer_many_equals_infer_and_keeps_order(backend: TensorRTBackend) -> None:
    batches = [sheets(n, seed=10 + i) for i, n in enumerate([4, 1, 3, 2, 4, 1, 2])]
    streamed = list(backend.infer_many(iter(batches)))
    assert len(streamed) == len(batches)
    for batch, out in zip(batches, streamed):
        single = backend.infer(batch)
        np.testing.assert_array_equal(out.class_ids, single.class_ids)
        np.testing.assert_array_equal(out.confidence, single.confidence)


@apply_gpu_marks
def test_without_confidence(backend: TensorRTBackend) -> None:
    out = backend.infer(sheets(3), with_confidence=False)
    assert out.confidence is None and out.class_ids.shape == (3, 64, 64)


@apply_gpu_marks
def test_name_and_spec(backend: TensorRTBackend) -> None:
    assert backend.name in ("tensorrt/pycuda", "tensorrt/cuda-python")
    assert backend.input_spec.size == 64 and backend.input_spec.max_batch == 4
    assert backend.info.precision == "fp32"


@apply_gpu_marks
def test_thread_safe_infer(backend: TensorRTBackend) -> None:
    inputs = [sheets(1 + i % 4, seed=100 + i) for i in range(8)]
    expected = [backend.infer(batch).class_ids for batch in inputs]
    failures: list[str] = []

    def worker(offset: int) -> None:
        for round_ in range(10):
            index = (offset + round_) % len(inputs)
            if not np.array_equal(backend.infer(inputs[index]).class_ids, expected[index]):
                failures.append(f"thread {offset} round {round_}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []


@apply_gpu_marks
def test_stopping_an_iteration_early_frees_the_backend(backend: TensorRTBackend) -> None:
    outputs = backend.infer_many(iter([sheets(2), sheets(3), sheets(4)]))
    first = next(outputs)
    with pytest.raises(InferenceError, match="while an infer_many\\(\\) iteration of the same backend is open"):
        backend.infer(sheets(1))
    outputs.close()
    assert backend.infer(sheets(2)).class_ids.shape == (2, 64, 64)
    assert first.class_ids.shape == (2, 64, 64)


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@apply_gpu_marks
def test_no_memory_growth_over_1000_predictions(backend: TensorRTBackend) -> None:
    batch = sheets(3)
    for _ in range(50):
        backend.infer(batch)
    with backend.device.activate():
        free_before = backend.device.memory_info()[0]
    rss_before = _rss_bytes()
    for _ in range(1000):
        backend.infer(batch)
    with backend.device.activate():
        free_after = backend.device.memory_info()[0]
    assert free_before - free_after <= 2 * 2**20
    assert _rss_bytes() - rss_before < 32 * 2**20


@apply_gpu_marks
def test_close_is_idempotent_and_final(tiny_engine: Path) -> None:
    backend = TensorRTBackend(tiny_engine)
    backend.infer(sheets(2))
    backend.close()
    backend.close()
    with pytest.raises(SchemsegError, match="backend is closed"):
        backend.infer(sheets(2))


@apply_gpu_marks
def test_engine_from_another_gpu_gives_the_rebuild_command(tiny_engine: Path, tmp_path: Path) -> None:
    engine = tmp_path / tiny_engine.name
    shutil.copy(tiny_engine, engine)
    write_sidecar(engine, replace(read_sidecar(tiny_engine), gpu_name="Some Other GPU"))
    with pytest.raises(EngineLoadError) as err:
        TensorRTBackend(engine)
    message = str(err.value)
    assert "engine was built for another system: GPU 'Some Other GPU' (engine) vs" in message
    assert "Rebuild it here with: schemseg-build-engine " in message and "--fp32 --batch 2:3:4 --out" in message


@apply_gpu_marks
def test_rebuild_from_onnx_when_the_engine_does_not_fit(tiny_engine: Path, tiny_model: Path, tmp_path: Path) -> None:
    engine = tmp_path / tiny_engine.name
    shutil.copy(tiny_engine, engine)
    write_sidecar(engine, replace(read_sidecar(tiny_engine), tensorrt_version="9.0.0"))
    with TensorRTBackend(engine, rebuild_from=tiny_model) as backend:
        assert backend.infer(sheets(2)).class_ids.shape == (2, 64, 64)
    assert read_sidecar(engine).tensorrt_version != "9.0.0"  # rebuilt in place


@apply_gpu_marks
def test_truncated_engine_is_a_clear_error(tiny_engine: Path, tmp_path: Path) -> None:
    engine = tmp_path / tiny_engine.name
    engine.write_bytes(tiny_engine.read_bytes()[: tiny_engine.stat().st_size // 2])
    shutil.copy(sidecar_path(tiny_engine), sidecar_path(engine))
    with pytest.raises(EngineLoadError, match="could not deserialize this .*-byte engine; the file is corrupt"):
        TensorRTBackend(engine)


@apply_gpu_marks
def test_segmenter_runs_the_engine(tiny_engine: Path, tiny_model: Path) -> None:
    from schemseg_sdk import Segmenter

    sheet = np.full((150, 200, 3), 255, np.uint8)
    sheet[40:80, 50:120] = 0
    with Segmenter(tiny_engine, batch_size=4) as seg, Segmenter(tiny_model, device="cpu") as ref:
        assert seg.backend_name.startswith("tensorrt/")
        got, expected = seg.predict_batch([sheet, sheet]), ref.predict_batch([sheet, sheet])
    for a, b in zip(got, expected):
        assert (a.mask == b.mask).mean() >= 0.995
