"""A tiny but real schemseg ONNX model built with onnx.helper (no torch), for fast tests.

Same graph contract as an exported model (see ``schemseg_sdk.model_info``): uint8 NHWC BGR in,
``class_ids`` (uint8) and ``confidence`` (float32) out, metadata in ``metadata_props``.
Two 3x3 convolutions give it a 5x5 receptive field, so tiled and whole-sheet runs agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME, LOGITS, ModelInfo

__all__ = ["build_tiny_model", "build_poisoned_model", "tiny_model_proto"]


def tiny_model_proto(
    input_size: int = 64,
    hidden: int = 8,
    seed: int = 0,
    logits: bool = False,
    attention: bool = False,
    class_names: Sequence[str] = CLASS_NAMES,
) -> onnx.ModelProto:
    """The tiny model; ``attention=True`` adds a per-pixel attention block between the two convolutions
    (Transpose, LayerNormalization, MatMul, Softmax, Mul, Add), the op mix of the real model's bottleneck.
    ``class_names`` sets its class list (and so its head's width), the reference model's by default."""
    rng = np.random.default_rng(seed)
    k = len(class_names)
    info = ModelInfo(tuple(class_names), input_size=input_size, model_name="tiny_test_model", model_version="test")
    mean = np.array(info.mean[::-1], np.float32).reshape(1, 3, 1, 1)  # BGR order in-graph
    std = np.array(info.std[::-1], np.float32).reshape(1, 3, 1, 1)
    inits = [
        numpy_helper.from_array(np.float32(1 / 255.0).reshape(()), "inv255"),
        numpy_helper.from_array(mean, "mean"),
        numpy_helper.from_array((1.0 / std).astype(np.float32), "inv_std"),
        numpy_helper.from_array(rng.normal(0, 0.5, (hidden, 3, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, (hidden,)).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(0, 0.5, (k, hidden, 3, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.1, (k,)).astype(np.float32), "b2"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Cast", [INPUT_NAME], ["xf"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["xf"], ["xc"], perm=[0, 3, 1, 2]),
        helper.make_node("Mul", ["xc", "inv255"], ["x01"]),
        helper.make_node("Sub", ["x01", "mean"], ["xm"]),
        helper.make_node("Mul", ["xm", "inv_std"], ["xn"]),
        helper.make_node("Conv", ["xn", "w1", "b1"], ["h1"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["h1"], ["a1"]),
        *(_attention_nodes("a1", "a1x", hidden, rng, inits) if attention else []),
        helper.make_node(
            "Conv", ["a1x" if attention else "a1", "w2", "b2"], [LOGITS], pads=[1, 1, 1, 1], kernel_shape=[3, 3]
        ),
        helper.make_node("ArgMax", [LOGITS], ["ids64"], axis=1, keepdims=0),
        helper.make_node("Cast", ["ids64"], [CLASS_IDS], to=TensorProto.UINT8),
        helper.make_node("ReduceMax", [LOGITS, "axis1"], ["lmax"], keepdims=1),
        helper.make_node("Sub", [LOGITS, "lmax"], ["shifted"]),
        helper.make_node("Exp", ["shifted"], ["e"]),
        helper.make_node("ReduceSum", ["e", "axis1"], ["esum"], keepdims=0),
        helper.make_node("Reciprocal", ["esum"], [CONFIDENCE]),
    ]
    s = input_size
    outputs = [
        helper.make_tensor_value_info(CLASS_IDS, TensorProto.UINT8, ["N", s, s]),
        helper.make_tensor_value_info(CONFIDENCE, TensorProto.FLOAT, ["N", s, s]),
    ]
    if logits:
        outputs.append(helper.make_tensor_value_info(LOGITS, TensorProto.FLOAT, ["N", k, s, s]))
    graph = helper.make_graph(
        nodes,
        "tiny_schemseg",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.UINT8, ["N", s, s, 3])],
        outputs,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="schemseg-tests")
    model.ir_version = 8
    helper.set_model_props(model, info.to_metadata())
    onnx.checker.check_model(model)
    return model


def _attention_nodes(
    x: str, out: str, hidden: int, rng: np.random.Generator, inits: list[onnx.TensorProto]
) -> list[onnx.NodeProto]:
    inits += [
        numpy_helper.from_array(np.ones(hidden, np.float32), "ln_scale"),
        numpy_helper.from_array(np.zeros(hidden, np.float32), "ln_bias"),
        numpy_helper.from_array(rng.normal(0, 0.5, (hidden, hidden)).astype(np.float32), "w_att"),
    ]
    return [
        helper.make_node("Transpose", [x], ["att_t"], perm=[0, 2, 3, 1]),
        helper.make_node("LayerNormalization", ["att_t", "ln_scale", "ln_bias"], ["att_n"], axis=-1),
        helper.make_node("MatMul", ["att_n", "w_att"], ["att_m"]),
        helper.make_node("Softmax", ["att_m"], ["att_s"], axis=-1),
        helper.make_node("Transpose", ["att_s"], ["att_g"], perm=[0, 3, 1, 2]),
        helper.make_node("Mul", [x, "att_g"], ["att_x"]),
        helper.make_node("Add", [x, "att_x"], [out]),
    ]


def build_tiny_model(path: str | Path, input_size: int = 64, **kwargs: object) -> Path:
    """Write the tiny model to ``path`` and return it."""
    path = Path(path)
    onnx.save(tiny_model_proto(input_size, **kwargs), str(path))  # type: ignore[arg-type]
    return path


def build_poisoned_model(path: str | Path, input_size: int = 64) -> Path:
    """The tiny model, except that ONNX Runtime fails on any batch holding a tile whose top-left pixel
    is pure red (BGR 0, 0, 255): a real in-model failure, for tests of sheets that fail inside the model.

    The pixel's ``R - G - B`` (at least 0) indexes a 250-element Gather: line drawings (grey, R - G - B
    <= 0) give index 0, pure red gives 255, out of bounds. The gathered value is added times 0 to
    the logits, so every other batch gives the tiny model's exact output.
    """
    model = tiny_model_proto(input_size)
    graph = model.graph
    conv = next(i for i, node in enumerate(graph.node) if LOGITS in node.output)
    graph.node[conv].output[0] = "logits_clean"
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([0, 0, 0], np.int64), "px_starts"),
            numpy_helper.from_array(np.array([1, 1, 3], np.int64), "px_ends"),
            numpy_helper.from_array(np.array([1, 2, 3], np.int64), "px_axes"),
            numpy_helper.from_array(np.array([-1, -1, 1], np.int64), "px_weights"),
            numpy_helper.from_array(np.array([3], np.int64), "px_axis3"),
            numpy_helper.from_array(np.array(0, np.int64), "px_zero"),
            numpy_helper.from_array(np.zeros(250, np.float32), "px_table"),
            numpy_helper.from_array(np.float32(0.0).reshape(()), "px_nothing"),
        ]
    )
    poison = [
        helper.make_node("Slice", [INPUT_NAME, "px_starts", "px_ends", "px_axes"], ["px"]),
        helper.make_node("Cast", ["px"], ["px64"], to=TensorProto.INT64),
        helper.make_node("Mul", ["px64", "px_weights"], ["px_signed"]),
        helper.make_node("ReduceSum", ["px_signed", "px_axis3"], ["px_sum"], keepdims=1),
        helper.make_node("Max", ["px_sum", "px_zero"], ["px_index"]),
        helper.make_node("Gather", ["px_table", "px_index"], ["px_value"]),
        helper.make_node("Mul", ["px_value", "px_nothing"], ["px_zeroed"]),
        helper.make_node("Add", ["logits_clean", "px_zeroed"], [LOGITS]),
    ]
    for offset, node in enumerate(poison, start=conv + 1):
        graph.node.insert(offset, node)
    onnx.checker.check_model(model)
    path = Path(path)
    onnx.save(model, str(path))
    return path
