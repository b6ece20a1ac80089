"""OpenVinoBackend: the backend protocol on real OpenVINO, agreement with ONNX Runtime on real sheets, the CPU choice."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from schemseg_sdk.backends import BackendBase
from schemseg_sdk.backends.cpu_choice import choose_bundled_graph, choose_runtime
from schemseg_sdk.backends.onnxruntime import OnnxRuntimeBackend
from schemseg_sdk.errors import (
    BackendUnavailableError,
    InvalidInputError,
    ModelFormatError,
    SchemsegError,
)
from schemseg_sdk.fileio import sha256_file
from schemseg_sdk.imageio import read_image
from schemseg_sdk.segmenter import DEFAULT_MODEL, Segmenter

openvino = pytest.importorskip("openvino", reason="OpenVINO is not installed (pip install 'schemseg[openvino]')")

from schemseg_sdk.backends.openvino import OpenVinoBackend  # noqa: E402

# Real drawings of ci2n-dev near the model's native scale (one tile each), used for agreement only.
AGREEMENT_SHEETS = ("0", "1", "2")
MIN_AGREEMENT = 0.999
"""Both runtimes compute the same fp32 graph; only the order of float sums differs, which moves a
pixel's class only where its top two logits are within ~1e-5 of each other. On the bundled model and
these three real sheets every one of the 1,306,988 pixels agreed (docs/cpu-speed.md); 99.9% leaves room for
other CPUs' kernels while still failing any real difference (bf16 arithmetic gave 99.96% on one
synthetic tile, a wrong preprocessing far less)."""


@pytest.fixture(scope="module")
def backend(tiny_model: Path) -> OpenVinoBackend:
    with OpenVinoBackend(tiny_model, threads=1) as backend:
        yield backend


def test_backend_reads_metadata_and_gives_ids_and_confidence(backend: OpenVinoBackend, tiny_model: Path) -> None:
    assert isinstance(backend, BackendBase) and backend.name == "openvino-cpu"
    assert backend.info.input_size == 64 and len(backend.info.class_names) == 41
    batch = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    out = backend.infer(batch)
    assert out.class_ids.shape == (3, 64, 64) and out.class_ids.dtype == np.uint8
    assert out.confidence is not None and out.confidence.dtype == np.float32
    with OnnxRuntimeBackend(tiny_model) as ort_backend:
        reference = ort_backend.infer(batch)
    np.testing.assert_array_equal(out.class_ids, reference.class_ids)
    np.testing.assert_allclose(out.confidence, reference.confidence, atol=1e-4)
    cheap = backend.infer(batch, with_confidence=False)
    assert cheap.confidence is None
    np.testing.assert_array_equal(cheap.class_ids, out.class_ids)


def test_shared_checks_refuse_bad_batches(backend: OpenVinoBackend) -> None:
    with pytest.raises(InvalidInputError, match=r"expected dtype uint8, got float32"):
        backend.infer(np.zeros((1, 64, 64, 3), np.float32))
    with pytest.raises(InvalidInputError, match=r"expected shape \(N, 64, 64, 3\), got \(1, 32, 32, 3\)"):
        backend.infer(np.zeros((1, 32, 32, 3), np.uint8))


def test_threads_share_one_backend(backend: OpenVinoBackend) -> None:
    rng = np.random.default_rng(2)
    batches = [rng.integers(0, 256, (1, 64, 64, 3), dtype=np.uint8) for _ in range(6)]
    expected = [backend.infer(b).class_ids for b in batches]
    got: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        got[i] = backend.infer(batches[i]).class_ids

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(6):
        np.testing.assert_array_equal(got[i], expected[i])


def test_close_is_idempotent_and_final(tiny_model: Path) -> None:
    backend = OpenVinoBackend(tiny_model)
    backend.close()
    backend.close()
    with pytest.raises(SchemsegError, match="openvino-cpu: backend is closed"):
        backend.infer(np.full((1, 64, 64, 3), 255, np.uint8))


def test_bad_files_are_refused_with_the_shared_messages(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="no such model file"):
        OpenVinoBackend(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFormatError, match="not a loadable ONNX model"):
        OpenVinoBackend(junk)


def test_missing_openvino_names_the_extra(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # what Python does for a package that is not there
    with pytest.raises(BackendUnavailableError, match=r"pip install 'schemseg\[openvino\]'"):
        OpenVinoBackend(tiny_model)


def test_pixels_agree_with_onnx_runtime_on_real_sheets(ci2n_dir: Path) -> None:
    images = [read_image(ci2n_dir / f"{name}.png") for name in AGREEMENT_SHEETS]
    masks = {}
    for label, backend in (
        ("ort", OnnxRuntimeBackend(DEFAULT_MODEL, threads=2)),
        ("ov", OpenVinoBackend(DEFAULT_MODEL, threads=2)),
    ):
        with Segmenter.from_backend(backend, batch_size=1, grouping=None) as segmenter:
            masks[label] = [r.mask for r in segmenter.predict_batch(images)]
    same = sum(int((a == b).sum()) for a, b in zip(masks["ort"], masks["ov"]))
    total = sum(a.size for a in masks["ort"])
    assert same / total >= MIN_AGREEMENT, f"pixel agreement {same / total:.6f} < {MIN_AGREEMENT}"


def test_runtime_rules() -> None:
    qdq = "qdq-s8s8-symmetric-per-channel"
    assert choose_runtime(None, {"avx512_vnni"}, openvino=True)[0] == "onnxruntime"
    assert choose_runtime("qoperator-u8s8", {"avx512_vnni"}, openvino=True)[0] == "onnxruntime"
    assert choose_runtime(qdq, {"avx512_vnni"}, openvino=True)[0] == "openvino"
    runtime, reason = choose_runtime(qdq, {"avx512_vnni"}, openvino=False)
    assert runtime == "onnxruntime" and "pip install 'schemseg[openvino]'" in reason
    assert choose_runtime(qdq, {"avx2"}, openvino=True)[0] == "onnxruntime"  # int16 sums could saturate


def _ship(folder: Path, model: Path, file: str, status: str | None) -> Path:
    shutil.copy(model, folder / file)
    if status is not None:
        _report(folder / file.replace(".onnx", ".gate.json"), folder / file, status)
    return folder / file


def _report(report: Path, graph: Path, status: str) -> None:
    report.write_text(json.dumps({"status": status, "graph_sha256": sha256_file(graph)}))


def test_bundled_int8_graph_is_taken_only_with_a_passed_gate_on_a_cpu_it_suits(
    tmp_path: Path, tiny_model: Path
) -> None:
    fp32 = _ship(tmp_path, tiny_model, "reference.onnx", None)
    assert choose_bundled_graph(fp32, {"avx512_vnni"}, openvino=True).graph == fp32
    _ship(tmp_path, tiny_model, "reference.int8.onnx", "failed")
    choice = choose_bundled_graph(fp32, {"avx512_vnni"}, openvino=True)
    assert choice.graph == fp32 and "reference.int8.onnx has no passed gate report" in choice.reason
    _ship(tmp_path, tiny_model, "reference.int8.onnx", "passed")
    choice = choose_bundled_graph(fp32, {"avx512_vnni"}, openvino=True)
    assert (choice.graph.name, choice.runtime) == ("reference.int8.onnx", "openvino")
    assert choose_bundled_graph(fp32, {"avx2"}, openvino=True).graph == fp32  # needs VNNI
    assert choose_bundled_graph(fp32, {"avx512_vnni"}, openvino=False).graph == fp32  # needs OpenVINO
    _ship(tmp_path, tiny_model, "reference.int8-cpu-avx2.onnx", "passed")
    assert choose_bundled_graph(fp32, {"avx2"}, openvino=False).graph.name == "reference.int8-cpu-avx2.onnx"


def test_segmenter_runs_a_qdq_graph_on_openvino_where_the_cpu_has_vnni(tmp_path: Path) -> None:
    from engine_testdata import write_dataset, write_model

    from schemseg_sdk.cpu import has_int8_dot_product
    from schemseg_sdk.engine.pipeline import build_engine

    val = write_dataset(tmp_path / "val", count=4, attention=True)
    model = write_model(tmp_path / "tiny.onnx", attention=True)
    graph = build_engine(
        model, "int8", tmp_path / "out", calib=val, calib_count=4, onnx_only=True, cache_dir=None
    ).onnx_path
    with Segmenter(graph, device="cpu") as segmenter:
        expected = "openvino-cpu" if has_int8_dot_product() else "onnxruntime-cpu"
        assert segmenter.backend_name == expected
    with Segmenter(model, device="cpu") as segmenter:
        assert segmenter.backend_name == "onnxruntime-cpu"  # fp32: ONNX Runtime


BF16_MIN_AGREEMENT = 0.99
"""bf16 keeps 8 bits of mantissa, so pixels whose two best logits are close change class (measured on
the bundled model and these sheets: 99.86% agree, AMD EPYC with AVX512_BF16): this checks
that the bf16 path computes the same model (a wrong graph or preprocessing agrees far less); whether
it keeps the model's accuracy is the gate's question (reference.openvino-bf16.gate.json)."""


def test_bf16_computes_in_bfloat16_where_the_cpu_has_it_and_is_refused_elsewhere(ci2n_dir: Path) -> None:
    from schemseg_sdk.cpu import has_fast_bf16

    if not has_fast_bf16():
        with pytest.raises(BackendUnavailableError, match="does not compute bfloat16 natively"):
            OpenVinoBackend(DEFAULT_MODEL, precision="bf16")
        return
    images = [read_image(ci2n_dir / f"{name}.png") for name in AGREEMENT_SHEETS]
    bf16 = OpenVinoBackend(DEFAULT_MODEL, threads=2, precision="bf16")
    assert (bf16.name, bf16.inference_precision) == ("openvino-cpu-bf16", "bf16")
    masks = {}
    for label, backend in (("ort", OnnxRuntimeBackend(DEFAULT_MODEL, threads=2)), ("bf16", bf16)):
        with Segmenter.from_backend(backend, batch_size=1, grouping=None) as segmenter:
            masks[label] = [r.mask for r in segmenter.predict_batch(images)]
    same = sum(int((a == b).sum()) for a, b in zip(masks["ort"], masks["bf16"]))
    total = sum(a.size for a in masks["ort"])
    assert same / total >= BF16_MIN_AGREEMENT, f"pixel agreement {same / total:.6f} < {BF16_MIN_AGREEMENT}"


def test_f32_is_pinned_whatever_the_cpu(backend: OpenVinoBackend) -> None:
    assert backend.precision == "f32" and backend.inference_precision == "f32"
    with pytest.raises(BackendUnavailableError, match=r"precision must be one of f32, bf16, got 'fp16'"):
        OpenVinoBackend(backend.model_path, precision="fp16")  # type: ignore[arg-type]


def test_bundled_bf16_path_is_taken_first_with_its_own_gate_report_on_a_bf16_cpu(
    tmp_path: Path, tiny_model: Path
) -> None:
    bf16_cpu = {"avx512f", "avx512_vnni", "avx512_bf16"}
    fp32 = _ship(tmp_path, tiny_model, "reference.onnx", None)
    _ship(tmp_path, tiny_model, "reference.int8.onnx", "passed")
    choice = choose_bundled_graph(fp32, bf16_cpu, openvino=True)
    assert choice.graph.name == "reference.int8.onnx"  # bf16 not gated yet: the next path
    assert "reference.onnx in bf16 has no passed gate report (reference.openvino-bf16.gate.json)" in choice.reason
    _report(tmp_path / "reference.openvino-bf16.gate.json", fp32, "passed")
    choice = choose_bundled_graph(fp32, bf16_cpu, openvino=True)
    assert (choice.graph, choice.runtime, choice.precision) == (fp32, "openvino", "bf16")
    assert choice.reason.startswith("reference.onnx in bf16: fastest bundled path that passed its accuracy gate")
    assert choose_bundled_graph(fp32, {"avx512_vnni"}, openvino=True).precision == "f32"  # no native bf16
    assert choose_bundled_graph(fp32, {"amx_bf16"}, openvino=True).precision == "bf16"
    choice = choose_bundled_graph(fp32, bf16_cpu, openvino=False)
    assert (choice.graph, choice.runtime) == (fp32, "onnxruntime") and "needs OpenVINO" in choice.reason
    fp32.write_bytes(fp32.read_bytes() + b"\0")  # the model replaced after its gate: the report no longer counts
    assert choose_bundled_graph(fp32, bf16_cpu, openvino=True).graph.name == "reference.int8.onnx"


def test_segmenter_takes_the_shipped_bf16_path_where_the_cpu_and_runtime_allow() -> None:
    from schemseg_sdk.backends.cpu_choice import gate_passed
    from schemseg_sdk.cpu import has_fast_bf16

    with Segmenter(device="cpu", threads=1) as segmenter:
        bf16 = has_fast_bf16() and gate_passed(DEFAULT_MODEL, "bf16")
        assert segmenter.backend_name == ("openvino-cpu-bf16" if bf16 else "onnxruntime-cpu")
        assert segmenter.model_path == DEFAULT_MODEL
