"""Simplification, FP16 conversion, graph regions and sheet sampling on real tiny ONNX models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from engine_testdata import write_dataset
from onnx import TensorProto, numpy_helper
from tiny_model import tiny_model_proto

from schemseg_sdk.engine import _graph
from schemseg_sdk.engine.fp16 import convert_fp16
from schemseg_sdk.engine.parity import compare_outputs, run_graph
from schemseg_sdk.engine.sheets import load_sheets, synthetic_sheets, to_model_input
from schemseg_sdk.engine.simplify import simplify_graph
from schemseg_sdk.errors import EngineBuildError, ModelFormatError

SHEETS = synthetic_sheets(3, 64, seed=1)


def test_simplify_keeps_outputs_and_metadata() -> None:
    model = tiny_model_proto()
    outcome = simplify_graph(model, SHEETS)
    assert outcome.simplified, outcome.note
    assert outcome.parity is not None and outcome.parity.ids_agreement == 1.0
    assert outcome.nodes_after <= outcome.nodes_before
    assert _graph.read_info(outcome.model, "simplified").model_name == "tiny_test_model"
    parity = compare_outputs(run_graph(model, SHEETS), run_graph(outcome.model, SHEETS))
    assert parity.ok and parity.max_confidence_diff < 1e-4


def test_simplify_keeps_the_original_when_the_result_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxsim

    model = tiny_model_proto()
    other = tiny_model_proto(seed=7)  # a real graph with other weights: outputs differ
    monkeypatch.setattr(onnxsim, "simplify", lambda m, check_n=0: (other, True))
    outcome = simplify_graph(model, SHEETS)
    assert not outcome.simplified
    assert outcome.model is model
    assert outcome.note.startswith("simplified graph differs (class ids identical on ")
    assert outcome.note.endswith("): kept the original graph")


def test_simplify_keeps_the_original_when_onnxsim_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxsim

    def fail(model: onnx.ModelProto, check_n: int = 0) -> None:
        raise RuntimeError("unsupported op Foo")

    monkeypatch.setattr(onnxsim, "simplify", fail)
    outcome = simplify_graph(tiny_model_proto(), SHEETS)
    assert not outcome.simplified
    assert outcome.note == "onnxsim failed (unsupported op Foo): kept the original graph"


def _types(model: onnx.ModelProto) -> dict[str, int]:
    inferred = onnx.shape_inference.infer_shapes(model)
    values = [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]
    return {vi.name: vi.type.tensor_type.elem_type for vi in values}


def test_fp16_graph_structure_and_parity() -> None:
    outcome = convert_fp16(tiny_model_proto(attention=True), SHEETS)
    model = outcome.model
    onnx.checker.check_model(model, full_check=True)
    assert {i.name: i.type.tensor_type.elem_type for i in model.graph.input} == {"image": TensorProto.UINT8}
    assert {o.name: o.type.tensor_type.elem_type for o in model.graph.output} == {
        "class_ids": TensorProto.UINT8,
        "confidence": TensorProto.FLOAT,
    }
    inits = {t.name: t.data_type for t in model.graph.initializer}
    assert inits["w1"] == inits["w2"] == inits["w_att"] == TensorProto.FLOAT16
    assert inits["ln_scale"] == TensorProto.FLOAT  # LayerNormalization stays FP32, so do its weights
    for op in ("LayerNormalization", "Softmax", "ArgMax", "ReduceMax", "Exp", "ReduceSum", "Reciprocal"):
        assert outcome.kept_fp32.get(op) == 1, op
    assert "Conv" not in outcome.kept_fp32 and "MatMul" not in outcome.kept_fp32
    assert outcome.groups == ("head", "softmax/attention", "normalization")
    types = _types(model)
    by_op = {n.op_type: n for n in model.graph.node}
    assert types[by_op["Conv"].output[0]] == TensorProto.FLOAT16
    assert types[by_op["Softmax"].output[0]] == TensorProto.FLOAT
    assert types[by_op["Reciprocal"].output[0]] == TensorProto.FLOAT
    assert outcome.parity.ok and outcome.parity.ids_agreement >= 0.999
    assert not outcome.widened


def test_fp16_graph_has_no_fp32_fp16_fp32_round_trips() -> None:
    model = convert_fp16(tiny_model_proto(attention=True), SHEETS).model
    producers = {o: n for n in model.graph.node for o in n.output}
    for node in model.graph.node:
        if node.op_type == "Cast" and node.attribute[0].i == TensorProto.FLOAT:
            source = producers.get(node.input[0])
            assert source is None or source.op_type != "Cast", f"{source.name} -> {node.name}"


def test_regions_split_preprocessing_body_and_head() -> None:
    model = _graph.name_nodes(tiny_model_proto(attention=True))
    regions = _graph.find_regions(model)
    ops = {n.name: n.op_type for n in model.graph.node}
    assert sorted(ops[n] for n in regions.preprocessing) == ["Cast", "Mul", "Mul", "Sub", "Transpose"]
    assert sorted(ops[n] for n in regions.head) == sorted(
        ["ArgMax", "Cast", "ReduceMax", "Sub", "Exp", "ReduceSum", "Reciprocal"]
    )
    assert regions.logits == "logits"
    body = [n.name for n in model.graph.node if n.name not in regions.excluded]
    assert "xn" in _graph.float_tensor_names(model, body)  # the first Conv's input is calibrated


def test_contract_errors_name_the_tensor() -> None:
    model = tiny_model_proto()
    model.graph.output[1].type.tensor_type.elem_type = TensorProto.FLOAT16
    with pytest.raises(ModelFormatError) as info:
        _graph.check_contract(model, "m.onnx")
    assert str(info.value) == (
        "m.onnx: output 'confidence' is float16, expected float; the graph does not follow the schemseg I/O "
        "contract (re-export with 'schemseg export')"
    )


def test_load_model_rejects_non_onnx(tmp_path: Path) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelFormatError, match=r"bad.onnx: not a readable ONNX model"):
        _graph.load_model(path)


def test_to_model_input_pads_white_and_crops_the_centre() -> None:
    small = np.zeros((40, 50, 3), np.uint8)
    out = to_model_input(small, 64)
    assert out.shape == (64, 64, 3) and out[:40, :50].max() == 0 and out[40:].min() == 255
    big = np.arange(100 * 100 * 3, dtype=np.uint8).reshape(100, 100, 3)
    assert np.array_equal(to_model_input(big, 64), big[18:82, 18:82])


def test_dataset_sheets_cover_every_class(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "ds", count=10)
    sheets = load_sheets(root, 4, 64)
    assert len(sheets) == 4 and sheets.batch.shape == (4, 64, 64, 3)
    assert sheets.coverage is not None
    assert sheets.coverage.summary().startswith(f"{len(sheets.coverage.covered)}/{len(sheets.coverage.present)} ")
    all_sheets = load_sheets(root, 10, 64)
    assert all_sheets.coverage is not None and not all_sheets.coverage.missing
    assert len(sheets.coverage.covered) > 0.7 * len(sheets.coverage.present)  # greedy cover first


def test_image_folder_sheets_and_errors(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "ds", count=5)
    sheets = load_sheets(root / "images", 3, 64)
    assert sheets.names == ("sheet00.png", "sheet02.png", "sheet04.png") and sheets.coverage is None
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EngineBuildError) as info:
        load_sheets(empty, 3, 64)
    assert str(info.value) == (
        f"{empty}: no images (.png, .jpg, .jpeg, .bmp, .tif, .tiff); put calibration drawings there or pass --calib DIR"
    )


def test_fp16_weights_are_the_fp32_weights_rounded() -> None:
    fp32 = tiny_model_proto()
    fp16 = convert_fp16(fp32, SHEETS).model
    w32 = {t.name: numpy_helper.to_array(t) for t in fp32.graph.initializer}
    w16 = {t.name: numpy_helper.to_array(t) for t in fp16.graph.initializer}
    assert np.array_equal(w16["w2"], w32["w2"].astype(np.float16))
