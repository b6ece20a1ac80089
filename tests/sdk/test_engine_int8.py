"""INT8: calibration cache keyed by hashes, QDQ structure, the CPU graph in the SDK, the accuracy gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from engine_testdata import write_dataset, write_model
from onnx import numpy_helper
from tiny_model import tiny_model_proto

from schemseg_sdk.engine import _graph
from schemseg_sdk.engine.calibration import calibrate
from schemseg_sdk.engine.gate import compare_scores, score_graph, write_gate_report
from schemseg_sdk.engine.pipeline import build_engine
from schemseg_sdk.engine.quantize import check_tensorrt_qdq, cpu_weight_bits_here, quantize_for_cpu, scale_qdq_scales
from schemseg_sdk.engine.sheets import load_sheets
from schemseg_sdk.errors import AccuracyGateError, BackendUnavailableError, EngineBuildError


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "val", count=10, attention=True)


@pytest.fixture(scope="module")
def int8_build(tmp_path_factory: pytest.TempPathFactory, dataset: Path):
    root = tmp_path_factory.mktemp("int8")
    model = write_model(root / "tiny.onnx", attention=True)
    lines: list[str] = []
    result = build_engine(
        model,
        "int8",
        root / "engines",
        calib=dataset,
        calib_count=8,
        val=dataset,
        onnx_only=True,
        cache_dir=root / "cache",
        report=lines.append,
    )
    return result, lines


def _body_tensors(model: onnx.ModelProto) -> tuple[onnx.ModelProto, list[str]]:
    model = _graph.name_nodes(model)
    regions = _graph.find_regions(model)
    return model, _graph.float_tensor_names(model, [n.name for n in model.graph.node if n.name not in regions.excluded])


def test_calibration_cache_is_reused_only_for_identical_inputs(tmp_path: Path, dataset: Path) -> None:
    cache = tmp_path / "cache"
    model, tensors = _body_tensors(tiny_model_proto())
    sheets = load_sheets(dataset, 6, 64)
    first = calibrate(model, sheets, tensors, "minmax", cache)
    again = calibrate(model, sheets, tensors, "minmax", cache)
    assert not first.from_cache and again.from_cache and again.ranges == first.ranges
    assert json.loads(first.cache_path.read_text())["key"] == first.key
    other_model, _ = _body_tensors(tiny_model_proto(seed=5))  # same tensor names, other weights
    assert not calibrate(other_model, sheets, tensors, "minmax", cache).from_cache
    assert not calibrate(model, load_sheets(dataset, 5, 64), tensors, "minmax", cache).from_cache
    assert not calibrate(model, sheets, tensors, "percentile", cache).from_cache
    assert calibrate(model, sheets, tensors, "minmax", cache).from_cache


def test_calibration_cache_with_a_foreign_key_is_not_trusted(tmp_path: Path, dataset: Path) -> None:
    cache = tmp_path / "cache"
    model, tensors = _body_tensors(tiny_model_proto())
    sheets = load_sheets(dataset, 4, 64)
    first = calibrate(model, sheets, tensors, "minmax", cache)
    data = json.loads(first.cache_path.read_text())
    data["key"] = "0" * 64
    data["ranges"] = {name: [0.0, 1e-3] for name in data["ranges"]}
    first.cache_path.write_text(json.dumps(data))
    again = calibrate(model, sheets, tensors, "minmax", cache)
    assert not again.from_cache and again.ranges == first.ranges


def test_calibration_methods_give_ranges_inside_minmax(dataset: Path) -> None:
    model, tensors = _body_tensors(tiny_model_proto())
    sheets = load_sheets(dataset, 4, 64)
    full = calibrate(model, sheets, tensors, "minmax", None).ranges
    for method in ("entropy", "percentile"):
        ranges = calibrate(model, sheets, tensors, method, None).ranges
        for name, (low, high) in ranges.items():
            assert full[name][0] - 1e-4 <= low <= high <= full[name][1] + 1e-4, (method, name)


def test_tensorrt_graph_is_symmetric_int8_qdq(int8_build) -> None:
    result, _ = int8_build
    model = onnx.load(str(result.onnx_path))
    assert check_tensorrt_qdq(model) == []
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    qdq = [n for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    assert qdq and all(inits[n.input[2]].dtype == np.int8 and not inits[n.input[2]].any() for n in qdq)
    for node in (n for n in model.graph.node if n.op_type in ("Conv", "MatMul")):
        data_in, weight = producers[node.input[0]], producers[node.input[1]]
        assert data_in.op_type == weight.op_type == "DequantizeLinear", node.name
        assert inits[weight.input[0]].dtype == np.int8
        channels = inits[weight.input[0]].shape[0 if node.op_type == "Conv" else 1]
        assert inits[weight.input[1]].shape == (channels,)  # per-channel scales
        if node.op_type == "Conv":
            assert inits[node.input[2]].dtype == np.float32  # bias not quantized
    head_inputs = {i for n in model.graph.node if n.op_type in ("ArgMax", "ReduceMax") for i in n.input}
    assert all(producers[i].op_type == "Conv" for i in head_inputs if i in producers)  # head stays float
    ops = [n.op_type for n in model.graph.node]
    preprocessing = ops[: ops.index("QuantizeLinear")]  # float preprocessing, then the first Conv's input Q/DQ
    assert preprocessing[0] == "Cast" and set(preprocessing) <= {"Cast", "Transpose", "Mul", "Sub", "Add"}
    assert _graph.read_info(model, "int8").precision == "int8"


def test_cpu_graph_runs_in_the_sdk(int8_build, dataset: Path) -> None:
    from schemseg_sdk.backends.onnxruntime import OnnxRuntimeBackend
    from schemseg_sdk.segmenter import Segmenter

    result, lines = int8_build
    assert result.cpu_onnx_path.name == "tiny.int8-cpu.onnx"
    model = onnx.load(str(result.cpu_onnx_path))
    assert "QLinearConv" in {n.op_type for n in model.graph.node}
    info = _graph.read_info(model, "cpu")
    assert info.precision == "int8" and info.extra["quantization"] == "qoperator-u8s8"
    assert info.extra["cpu_weight_bits"] == str(cpu_weight_bits_here())  # built for this CPU by default
    assert any(line.startswith(f"CPU graph: {cpu_weight_bits_here()}-bit weights") for line in lines)
    with OnnxRuntimeBackend(result.cpu_onnx_path, device="cpu") as backend:
        out = backend.infer(np.full((2, 64, 64, 3), 255, np.uint8))
        assert out.class_ids.shape == (2, 64, 64) and out.class_ids.dtype == np.uint8
    with Segmenter(result.cpu_onnx_path, device="cpu") as segmenter:
        mask = segmenter.predict(dataset / "images" / "sheet00.png").mask
        assert mask.shape == (64, 64)


def test_tensorrt_graph_runs_as_written_on_every_cpu(int8_build) -> None:
    """The Q/DQ graph is not fused into ORT's int8 kernels (which saturate on CPUs without VNNI): the
    backend computes what the graph says, as a session without any graph optimisation does."""
    import onnxruntime as ort

    from schemseg_sdk.backends.onnxruntime import OnnxRuntimeBackend

    path = int8_build[0].onnx_path
    batch = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    plain = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    ids, confidence = plain.run(["class_ids", "confidence"], {"image": batch})
    with OnnxRuntimeBackend(path, device="cpu") as backend:
        config = backend._session.get_session_options().get_session_config_entry("session.disable_quant_qdq")
        out = backend.infer(batch)
    assert config == "1"
    np.testing.assert_allclose(out.confidence, confidence, atol=1e-4)
    assert (out.class_ids == ids).mean() > 0.999


def test_the_first_layers_of_the_bundled_model_keep_float() -> None:
    from schemseg_sdk.engine.quantize import FLOAT_INPUT_LAYERS, first_layers, quantize_for_tensorrt
    from schemseg_sdk.segmenter import DEFAULT_MODEL

    model = _graph.name_nodes(onnx.load(str(DEFAULT_MODEL)))
    regions = _graph.find_regions(model)
    kept = first_layers(model, regions)
    assert len(kept) == FLOAT_INPUT_LAYERS == 3
    assert [k.rsplit("/", 2)[-2] for k in kept] == ["conv_stem", "conv_dw", "conv_pw"]  # stem, first block
    tiny = _graph.name_nodes(tiny_model_proto(attention=True))
    assert first_layers(tiny, _graph.find_regions(tiny)) == []  # fewer than 10 weighted layers: none kept
    tensors = _graph.float_tensor_names(model, [n.name for n in model.graph.node if n.name not in regions.excluded])
    qdq = quantize_for_tensorrt(model, {t: (-4.0, 4.0) for t in tensors}, regions)
    producers = {o: n.op_type for n in qdq.graph.node for o in n.output}
    weights = {n.name: producers.get(n.input[1], "initializer") for n in qdq.graph.node if n.op_type == "Conv"}
    assert all(weights[name] == "initializer" for name in kept)  # float weights
    inits = {t.name for t in model.graph.initializer}
    body = {
        n.name
        for n in model.graph.node
        if n.op_type == "Conv" and n.name not in regions.excluded and n.input[1] in inits
    }
    assert {name for name, kind in weights.items() if kind == "DequantizeLinear"} == body - set(kept)  # the rest: int8


def _weight_range(model: onnx.ModelProto) -> tuple[int, int]:
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    weights = [inits[n.input[3]] for n in model.graph.node if n.op_type == "QLinearConv"]
    return min(int(w.min()) for w in weights), max(int(w.max()) for w in weights)


def test_cpu_graph_weights_are_7_or_8_bit(dataset: Path) -> None:
    model, tensors = _body_tensors(tiny_model_proto())
    regions = _graph.find_regions(model)
    ranges = calibrate(model, load_sheets(dataset, 4, 64), tensors, "minmax", None).ranges
    low7, high7 = _weight_range(quantize_for_cpu(model, ranges, regions, 7))
    low8, high8 = _weight_range(quantize_for_cpu(model, ranges, regions, 8))
    assert -64 <= low7 and high7 <= 64 and max(-low7, high7) == 64  # no pair of u8 x s8 products saturates int16
    assert max(-low8, high8) == 127
    with pytest.raises(EngineBuildError, match="7 or 8"):
        quantize_for_cpu(model, ranges, regions, 6)  # type: ignore[arg-type]


def test_8_bit_cpu_graph_is_refused_without_vnni(int8_build) -> None:
    from schemseg_sdk.backends.onnxruntime import check_cpu_weight_bits

    info = _graph.read_info(onnx.load(str(int8_build[0].cpu_onnx_path)), "cpu")
    eight = info.replace(extra={**info.extra, "cpu_weight_bits": "8"})
    seven = info.replace(extra={**info.extra, "cpu_weight_bits": "7"})
    with pytest.raises(BackendUnavailableError, match="needs a CPU with VNNI.*--cpu-weight-bits 7"):
        check_cpu_weight_bits(eight, "m.int8-cpu.onnx", {"avx2", "fma"})
    check_cpu_weight_bits(eight, "m.int8-cpu.onnx", {"avx2", "avx512_vnni"})
    check_cpu_weight_bits(eight, "m.int8-cpu.onnx", {"avx_vnni"})
    check_cpu_weight_bits(seven, "m.int8-cpu.onnx", {"avx2"})
    check_cpu_weight_bits(info.replace(extra={}), "m.onnx", {"avx2"})  # fp32 graphs carry no weight bits


def test_gate_passes_for_the_calibrated_graphs(int8_build) -> None:
    result, lines = int8_build
    assert result.gate["status"] == "passed"
    assert [r["label"] for r in result.gate["results"]] == ["int8 (TensorRT QDQ)", "int8 (CPU QOperator)"]
    report = json.loads(result.gate_report.read_text())
    assert report["status"] == "passed" and report["precision"] == "int8"
    assert result.gate_report.with_name("tiny.int8.gate.txt").read_text().endswith("verdict: passed\n")
    assert any(line.startswith("calibration coverage: ") for line in lines)


def test_gate_fails_on_a_broken_quantization(int8_build, dataset: Path, tmp_path: Path) -> None:
    result, _ = int8_build
    broken = tmp_path / "broken.int8.onnx"
    onnx.save(scale_qdq_scales(onnx.load(str(result.onnx_path)), 1000.0), str(broken))
    source = result.onnx_path.with_name("tiny.int8.onnx")
    reference = score_graph(source, dataset, limit=None, progress=False)
    scores = score_graph(broken, dataset, limit=None, progress=False)
    verdict = compare_scores(reference, scores, label="int8 broken", graph=broken.name, val=str(dataset), sheets=10)
    assert not verdict.passed
    assert verdict.mean_drop > 0.5
    assert verdict.failures[0].startswith("mean IoU dropped ")
    assert "FAIL (> 2.0)" in verdict.table()
    json_path, text_path = write_gate_report(tmp_path / "broken.int8", "int8", [verdict], accepted_drop=False)
    assert json.loads(json_path.read_text())["status"] == "failed"
    assert text_path.read_text().endswith("verdict: failed\n")


def test_pipeline_raises_gate_error_with_the_table(tmp_path: Path) -> None:
    strict = write_dataset(tmp_path / "strict", count=8, confident_only=False, attention=True)
    model = write_model(tmp_path / "tiny.onnx", attention=True)
    with pytest.raises(AccuracyGateError) as info:
        build_engine(model, "int8", tmp_path / "out", calib=strict, val=strict, onnx_only=True, cache_dir=None)
    message = str(info.value)
    assert message.startswith("accuracy gate failed (int8 (TensorRT QDQ): mean IoU dropped ")
    assert f"report: {tmp_path / 'out' / 'tiny.int8.gate.txt'}" in message
    assert "\nclass " in message and "mean IoU" in message
    assert (tmp_path / "out" / "tiny.int8.onnx").is_file()  # written before the gate ran
