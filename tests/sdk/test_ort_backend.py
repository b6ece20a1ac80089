"""OnnxRuntimeBackend: explicit providers, model validation, the backend protocol (real ORT sessions)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from tiny_model import tiny_model_proto

from schemseg_sdk.backends import BackendBase
from schemseg_sdk.backends.onnxruntime import OnnxRuntimeBackend, select_providers
from schemseg_sdk.errors import BackendUnavailableError, InvalidInputError, ModelFormatError, SchemsegError

HAS_CUDA = "CUDAExecutionProvider" in onnxruntime.get_available_providers()


@pytest.fixture(scope="module")
def backend(tiny_model: Path) -> OnnxRuntimeBackend:
    with OnnxRuntimeBackend(tiny_model) as backend:
        yield backend


def white_batch(n: int, size: int = 64) -> np.ndarray:
    return np.full((n, size, size, 3), 255, np.uint8)


def test_cpu_backend_reads_metadata_and_uses_only_the_cpu(backend: OnnxRuntimeBackend) -> None:
    assert isinstance(backend, BackendBase)
    assert backend.name == "onnxruntime-cpu"
    assert backend.providers == ["CPUExecutionProvider"]
    assert backend.info.input_size == 64 and len(backend.info.class_names) == 41
    assert backend.input_spec.name == "image" and backend.input_spec.size == 64


def test_infer_returns_ids_and_confidence_or_ids_only(backend: OnnxRuntimeBackend) -> None:
    batch = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    full = backend.infer(batch)
    assert full.class_ids.shape == (3, 64, 64) and full.class_ids.dtype == np.uint8
    assert full.confidence is not None and full.confidence.dtype == np.float32
    assert ((full.confidence > 0) & (full.confidence <= 1)).all()
    assert "compute" in full.timings
    cheap = backend.infer(batch, with_confidence=False)
    assert cheap.confidence is None
    np.testing.assert_array_equal(cheap.class_ids, full.class_ids)


def test_class_ids_only_runs_a_graph_without_the_confidence_head(backend: OnnxRuntimeBackend) -> None:
    # ORT runs every node even when an output is not fetched, so the ids-only path uses a cut graph.
    backend.infer(white_batch(1), with_confidence=False)
    cut = backend._class_ids_session()
    assert cut is not backend._session
    assert [o.name for o in cut.get_outputs()] == ["class_ids"]


def test_infer_many_keeps_order(backend: OnnxRuntimeBackend) -> None:
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8) for n in (1, 4, 2)]
    outputs = list(backend.infer_many(iter(batches)))
    for batch, output in zip(batches, outputs):
        np.testing.assert_array_equal(output.class_ids, backend.infer(batch).class_ids)


def test_wrong_batch_shape_is_refused(backend: OnnxRuntimeBackend) -> None:
    with pytest.raises(
        InvalidInputError, match=re.escape("input 'image': expected shape (N, 64, 64, 3), got (1, 32, 32, 3)")
    ):
        backend.infer(white_batch(1, 32))


def test_threads_set_intra_op_threads_and_one_session_serves_many_threads(tiny_model: Path) -> None:
    with OnnxRuntimeBackend(tiny_model, threads=1) as backend:
        options = backend._session.get_session_options()
        assert options.intra_op_num_threads == 1
        # idle worker threads do not spin: they would take the cores from grouping after inference
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        batch = np.random.default_rng(2).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
        expected = backend.infer(batch).class_ids
        results: list[np.ndarray] = []
        workers = [threading.Thread(target=lambda: results.append(backend.infer(batch).class_ids)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(results) == 4 and all(np.array_equal(r, expected) for r in results)


def test_close_is_idempotent_and_later_use_fails(tiny_model: Path) -> None:
    backend = OnnxRuntimeBackend(tiny_model)
    backend.close()
    backend.close()
    assert backend.closed
    with pytest.raises(SchemsegError, match="^onnxruntime-cpu: backend is closed$"):
        backend.infer(white_batch(1))


def test_auto_picks_cpu_without_onnxruntime_gpu(tiny_model: Path) -> None:
    if HAS_CUDA:
        pytest.skip("onnxruntime-gpu is installed here")
    with OnnxRuntimeBackend(tiny_model, device="auto") as backend:
        assert backend.name == "onnxruntime-cpu"


def test_cuda_without_onnxruntime_gpu_says_what_to_install(tiny_model: Path) -> None:
    if HAS_CUDA:
        pytest.skip("onnxruntime-gpu is installed here")
    with pytest.raises(
        BackendUnavailableError,
        match=r"^device 'cuda' asked for, but this onnxruntime offers only .*"
        r"CPUExecutionProvider; pip install onnxruntime-gpu \(it replaces",
    ):
        OnnxRuntimeBackend(tiny_model, device="cuda")


@pytest.mark.gpu
def test_cuda_backend_runs_on_the_gpu(tiny_model: Path) -> None:
    if not HAS_CUDA:
        pytest.skip("needs onnxruntime-gpu with CUDAExecutionProvider")
    with OnnxRuntimeBackend(tiny_model, device="cuda") as backend:
        assert backend.name == "onnxruntime-cuda"
        assert backend.infer(white_batch(2)).class_ids.shape == (2, 64, 64)


@pytest.mark.parametrize(
    ("device", "available", "tensorrt_ep", "expected"),
    [
        ("cpu", ["CUDAExecutionProvider", "CPUExecutionProvider"], False, ["CPUExecutionProvider"]),
        (
            "auto",
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
            False,
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
        ),
        (
            "cuda",
            ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
            True,
            ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
        ),
    ],
)
def test_select_providers_is_explicit(
    device: str, available: list[str], tensorrt_ep: bool, expected: list[str]
) -> None:
    assert select_providers(device, available, tensorrt_ep=tensorrt_ep) == expected  # type: ignore[arg-type]


def test_select_providers_refuses_unknown_device_and_missing_tensorrt_ep() -> None:
    with pytest.raises(BackendUnavailableError, match="^unknown device 'gpu'; expected 'auto', 'cpu' or 'cuda'$"):
        select_providers("gpu", ["CPUExecutionProvider"])  # type: ignore[arg-type]
    with pytest.raises(BackendUnavailableError, match="^TensorRT execution provider asked for"):
        select_providers("cuda", ["CUDAExecutionProvider", "CPUExecutionProvider"], tensorrt_ep=True)


def test_missing_file_and_directory_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match=f"^{re.escape(str(tmp_path / 'no.onnx'))}: no such model file$"):
        OnnxRuntimeBackend(tmp_path / "no.onnx")
    with pytest.raises(
        ModelFormatError, match=f"^{re.escape(str(tmp_path))}: is a directory, expected an .onnx model file$"
    ):
        OnnxRuntimeBackend(tmp_path)


def test_empty_and_non_onnx_files_are_refused(tmp_path: Path, tiny_model: Path) -> None:
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(
        ModelFormatError, match=f"^{re.escape(str(empty))}: empty file \\(0 bytes\\), expected an ONNX model$"
    ):
        OnnxRuntimeBackend(empty)
    text = tmp_path / "notes.onnx"
    text.write_text("this is not a model")
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(tiny_model.read_bytes()[:500])
    for path in (text, truncated):
        with pytest.raises(
            ModelFormatError,
            match=f"^{re.escape(str(path))}: not a loadable ONNX model \\(.+\\); "
            "expected a model exported with 'schemseg export'$",
        ):
            OnnxRuntimeBackend(path)


def test_onnx_without_schemseg_metadata_is_refused(tmp_path: Path) -> None:
    proto = tiny_model_proto()
    del proto.metadata_props[:]
    path = tmp_path / "foreign.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ModelFormatError, match=f"^{re.escape(str(path))}: no schemseg metadata"):
        OnnxRuntimeBackend(path)


def test_metadata_that_contradicts_the_graph_is_refused(tmp_path: Path) -> None:
    proto = tiny_model_proto(input_size=64)
    for prop in proto.metadata_props:
        if prop.key == "schemseg.input_size":
            prop.value = "96"
    path = tmp_path / "liar.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(
        ModelFormatError,
        match=re.escape(
            f"{path}: expected input 'image' uint8 (N, 96, 96, 3) as its metadata says, got image tensor(uint8) ['N', 64, 64, 3]"
        ),
    ):
        OnnxRuntimeBackend(path)
