"""INT8 graphs from calibrated ranges, in two flavours written side by side.

* **TensorRT** (``NAME.int8.onnx``): explicit QuantizeLinear/DequantizeLinear, int8 activations and
  weights, symmetric (zero point 0), per-channel weight scales, bias left in float, Q/DQ only on the
  inputs of the compute ops (Conv, MatMul, Gemm): TensorRT fuses them into int8 kernels.
* **CPU** (``NAME.int8-cpu.onnx``): ONNX Runtime's QOperator form, uint8 activations and int8
  weights (U8S8); the fastest ORT form measured on x86 by the issue (QOperator U8S8 2.24x fp32,
  QDQ U8S8 1.96x, QDQ S8S8 1.10x). Weights are 7-bit (portable: CPUs without VNNI add pairs of
  u8 x s8 products in int16, which 8-bit weights saturate) or 8-bit (only for CPUs with VNNI; half
  the weight rounding error: at step 7,917 of reference model v2 the 7-bit graph lost 21.5 mIoU
  points on 30 synthetic sheets, the 8-bit one 0.8). The graph records its weight bits
  (``extra.cpu_weight_bits``) and the ONNX Runtime backend refuses an 8-bit graph on a CPU without VNNI.

Both quantize only the compute body: the in-graph preprocessing, the first
:data:`FLOAT_INPUT_LAYERS` compute layers and the head keep float arithmetic, and the graph keeps
its contract (uint8 ``image`` in, ``class_ids``/``confidence`` out).
"""

from __future__ import annotations

import copy
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
from onnx import numpy_helper

from ..cpu import has_int8_dot_product
from ..errors import EngineBuildError
from ._graph import COMPUTE_OPS, GraphRegions, sort_topologically

__all__ = [
    "CPU_OPS",
    "CPU_WEIGHT_BITS",
    "FLOAT_INPUT_LAYERS",
    "first_layers",
    "WeightBits",
    "cpu_weight_bits_here",
    "quantize_for_tensorrt",
    "quantize_for_cpu",
    "check_tensorrt_qdq",
    "scale_qdq_scales",
]

WeightBits = Literal[7, 8]
CPU_WEIGHT_BITS: tuple[int, ...] = (7, 8)

CPU_OPS = (
    *COMPUTE_OPS,
    "Relu",
    "Clip",
    "Add",
    "Mul",
    "Concat",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "Resize",
    "Sigmoid",
    "LeakyRelu",
)
"""Ops ONNX Runtime runs in integer arithmetic (QLinear*) in the CPU flavour, so that consecutive
quantized ops do not round-trip through float between them."""


FLOAT_INPUT_LAYERS = 3
"""The first compute layers after the input keep float in both flavours, at most a tenth of the
layers: EfficientNet's stem and first block (3 of the 78 weighted Conv/MatMul/Gemm of reference model
v2, under 1% of its multiply-adds; a graph of fewer than 10 such layers keeps none). Chosen by
keeping one block at a time in float on 30 synthetic sheets (TensorRT Q/DQ graph of v2, step 11,310):
all-int8 lost 1.49 IoU points; the stem alone in float 0.56, the first block alone 0.37, both 0.30;
any other block alone 1.40-1.52 (docs/engines.md, "Why these defaults")."""


def first_layers(model: onnx.ModelProto, regions: GraphRegions, count: int | None = None) -> list[str]:
    """The first ``count`` (default :data:`FLOAT_INPUT_LAYERS`) compute nodes with a constant weight after
    the preprocessing (graph order), at most a tenth of all of them."""
    count = FLOAT_INPUT_LAYERS if count is None else count
    constants = _constants(model)
    layers = [
        n.name
        for n in model.graph.node
        if n.op_type in COMPUTE_OPS and n.name not in regions.excluded and len(n.input) > 1 and n.input[1] in constants
    ]
    return layers[: min(count, len(layers) // 10)]


def _constants(model: onnx.ModelProto) -> set[str]:
    constants = {t.name for t in model.graph.initializer}
    return constants | {o for n in model.graph.node if n.op_type == "Constant" for o in n.output}


def _excluded_nodes(model: onnx.ModelProto, regions: GraphRegions, float_layers: int | None = None) -> list[str]:
    """Preprocessing, head, the first ``float_layers`` layers (default :data:`FLOAT_INPUT_LAYERS`), and the
    MatMuls of two activations (attention scores)."""
    constants = _constants(model)
    products = {
        n.name
        for n in model.graph.node
        if n.op_type in ("MatMul", "Gemm") and not any(i in constants for i in n.input[:2])
    }
    return sorted(regions.excluded | products | set(first_layers(model, regions, float_layers)))


def quantize_for_tensorrt(
    model: onnx.ModelProto,
    ranges: dict[str, tuple[float, float]],
    regions: GraphRegions,
    float_layers: int | None = None,
) -> onnx.ModelProto:
    """The TensorRT QDQ graph of a named FP32 ``model`` (see the module docstring); ``float_layers``
    overrides :data:`FLOAT_INPUT_LAYERS` (the sensitivity benchmark sets 0)."""
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization.qdq_quantizer import QDQQuantizer

    extra = {
        "ActivationSymmetric": True,
        "WeightSymmetric": True,
        "QuantizeBias": False,
        "OpTypesToExcludeOutputQuantization": list(COMPUTE_OPS),
        "DedicatedQDQPair": False,
    }

    def make(prepared: onnx.ModelProto, tensors_range: object) -> object:
        return QDQQuantizer(
            prepared,
            True,
            False,
            QuantType.QInt8,
            QuantType.QInt8,
            tensors_range,
            [],
            _excluded_nodes(prepared, regions, float_layers),
            list(COMPUTE_OPS),
            extra,
        )

    return _run_quantizer(model, ranges, make)


def cpu_weight_bits_here() -> WeightBits:
    """8 where this CPU has VNNI, else 7: the weight bits of a CPU graph built for this machine."""
    return 8 if has_int8_dot_product() else 7


def quantize_for_cpu(
    model: onnx.ModelProto, ranges: dict[str, tuple[float, float]], regions: GraphRegions, weight_bits: WeightBits = 7
) -> onnx.ModelProto:
    """The ONNX Runtime QOperator U8S8 graph of a named FP32 ``model``, with 7- or 8-bit weights."""
    if weight_bits not in CPU_WEIGHT_BITS:
        raise EngineBuildError(f"CPU weight bits must be 7 or 8, got {weight_bits!r}")
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
    from onnxruntime.quantization.quant_utils import QuantizationMode

    def make(prepared: onnx.ModelProto, tensors_range: object) -> object:
        reduce_range = weight_bits == 7  # ORT's reduce_range: weights in [-64, 64]; activations keep 8 bits
        return ONNXQuantizer(
            prepared,
            True,
            reduce_range,
            QuantizationMode.QLinearOps,
            True,
            QuantType.QInt8,
            QuantType.QUInt8,
            tensors_range,
            [],
            _excluded_nodes(prepared, regions),
            list(CPU_OPS),
            {},
        )

    return _run_quantizer(model, ranges, make)


def _run_quantizer(
    model: onnx.ModelProto, ranges: dict[str, tuple[float, float]], make: Callable[[onnx.ModelProto, object], Any]
) -> onnx.ModelProto:
    from onnxruntime.quantization.calibrate import CalibrationMethod, TensorsData
    from onnxruntime.quantization.quant_utils import load_model_with_shape_infer

    tensors_range = TensorsData(
        CalibrationMethod.MinMax, {k: (np.float32(lo), np.float32(hi)) for k, (lo, hi) in ranges.items()}
    )
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer logs advice on every call
    try:
        with tempfile.TemporaryDirectory(prefix="schemseg-quant-") as tmp:
            path = Path(tmp) / "model.onnx"
            onnx.save(model, str(path))
            prepared = load_model_with_shape_infer(path)
            quantizer = make(prepared, tensors_range)
            quantizer.quantize_model()
            result = quantizer.model.model
    except Exception as exc:  # the quantizer raises ValueError, KeyError, AssertionError...
        raise EngineBuildError(f"INT8 quantization failed: {type(exc).__name__}: {exc}") from None
    finally:
        logging.getLogger().setLevel(quiet)
    result = sort_topologically(copy.deepcopy(result))
    del result.metadata_props[:]
    result.metadata_props.extend(model.metadata_props)
    return result


def _initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def check_tensorrt_qdq(model: onnx.ModelProto) -> list[str]:
    """Problems that keep ``model`` from being a TensorRT-style QDQ graph (empty list: fine).

    Checks: every Q/DQ is int8 with zero point 0; weights of compute ops are int8 initializers with
    per-channel scales; biases are float; at least one compute op is quantized.
    """
    inits = _initializers(model)
    producers = {o: n for n in model.graph.node for o in n.output}
    problems: list[str] = []
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            zero = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if zero is None or zero.dtype != np.int8 or np.any(zero != 0):
                problems.append(f"{node.name}: zero point must be an int8 zero, got {None if zero is None else zero}")
    quantized = 0
    for node in model.graph.node:
        if node.op_type not in COMPUTE_OPS:
            continue
        weight = producers.get(node.input[1])
        if weight is None or weight.op_type != "DequantizeLinear" or weight.input[0] not in inits:
            continue  # float weights, or a product of two activations
        quantized += 1
        data, scale = inits.get(weight.input[0]), inits.get(weight.input[1])
        if data is None or data.dtype != np.int8:
            problems.append(f"{node.name}: weight is not an int8 initializer")
        axis = next((a.i for a in weight.attribute if a.name == "axis"), 1)
        if scale is None or data is None or scale.ndim != 1 or scale.size != data.shape[axis]:
            problems.append(f"{node.name}: weight scale is not per output channel")
        if len(node.input) > 2 and node.input[2]:
            bias = inits.get(node.input[2])
            if bias is None or bias.dtype != np.float32:
                problems.append(f"{node.name}: bias must stay float32 (not quantized)")
    if not quantized:
        problems.append("no compute op (Conv, MatMul, Gemm) has quantized weights")
    return problems


def scale_qdq_scales(model: onnx.ModelProto, factor: float) -> onnx.ModelProto:
    """Copy of a QDQ ``model`` with every activation scale multiplied by ``factor``.

    Deliberately breaks a quantization (tests of the accuracy gate, diagnostics).
    """
    broken = copy.deepcopy(model)
    inits = {t.name: t for t in broken.graph.initializer}
    weight_data = {n.input[0] for n in broken.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits}
    scales = {
        n.input[1]
        for n in broken.graph.node
        if n.op_type in ("QuantizeLinear", "DequantizeLinear") and n.input[0] not in weight_data
    }
    for name in scales:
        tensor = inits[name]
        array = numpy_helper.to_array(tensor).astype(np.float32) * np.float32(factor)
        tensor.CopyFrom(numpy_helper.from_array(array.astype(numpy_helper.to_array(tensor).dtype), name))
    if not scales:
        raise EngineBuildError("graph has no activation Q/DQ scales to scale")
    return broken
