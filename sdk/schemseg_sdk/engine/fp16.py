"""FP16 graph: weights and activations in half precision, I/O types and the drift-prone ops kept.

The graph keeps its contract (uint8 ``image`` in, uint8 ``class_ids`` and float32 ``confidence``
out). Ops known to drift in half precision stay in FP32: softmax (attention), normalisation
(LayerNormalization, ReduceMean...) and the whole head after the logits (ArgMax, Exp, ReduceSum,
Reciprocal...). They are cheap, and ONNX Runtime on CPU computes FP16 ops in FP32, so a CPU check
cannot reveal GPU accumulation overflow in them. If the parity check still shows drift, the FP32
set is widened to the other transcendental/division ops and checked again.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

import onnx
from onnx import TensorProto

from ..errors import EngineBuildError
from ._graph import find_regions, name_nodes, sort_topologically
from .parity import GraphOutputs, Parity, compare_outputs, run_graph
from .sheets import SheetSet

__all__ = ["Fp16Outcome", "FP32_GROUPS", "FALLBACK_GROUP", "convert_fp16", "to_fp16"]

FP32_GROUPS: dict[str, frozenset[str]] = {
    "softmax/attention": frozenset({"Softmax", "LogSoftmax"}),
    "normalization": frozenset(
        {
            "LayerNormalization",
            "GroupNormalization",
            "InstanceNormalization",
            "LpNormalization",
            "ReduceMean",
            "ReduceSumSquare",
            "Pow",
            "Sqrt",
        }
    ),
}
"""Op types kept in FP32 from the start (besides the head)."""

FALLBACK_GROUP: dict[str, frozenset[str]] = {
    "transcendental/division": frozenset({"Exp", "Log", "Erf", "Gelu", "Sigmoid", "Tanh", "Div", "Reciprocal"}),
}
"""Op types also kept in FP32 when the first FP16 graph drifts."""


@dataclass(frozen=True)
class Fp16Outcome:
    """The FP16 graph, what stayed in FP32 and how close it is to the FP32 graph."""

    model: onnx.ModelProto
    kept_fp32: dict[str, int]  # op type -> number of nodes kept in FP32
    groups: tuple[str, ...]  # which groups were kept ("head" always)
    parity: Parity
    widened: bool  # the fallback group had to be kept too
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "kept_fp32": dict(sorted(self.kept_fp32.items())),
            "groups": list(self.groups),
            "widened": self.widened,
            "parity": self.parity.to_dict(),
            "notes": list(self.notes),
        }


def convert_fp16(model: onnx.ModelProto, sheets: SheetSet, reference: GraphOutputs | None = None) -> Fp16Outcome:
    """Convert ``model`` to FP16 and check it against the FP32 graph on ``sheets``.

    The returned graph may still drift (``parity.ok`` False) when even the widened FP32 set does
    not help; the caller decides (accuracy gate, ``--accept-drop``).
    """
    model = name_nodes(copy.deepcopy(model))
    reference = reference or run_graph(model, sheets)
    head = set(find_regions(model).head)
    groups = {"head": head, **_nodes_of(model, FP32_GROUPS)}
    notes: list[str] = []
    candidate = to_fp16(model, set().union(*groups.values()))
    parity = compare_outputs(reference, run_graph(candidate, sheets))
    widened = False
    if not parity.ok:
        notes.append(f"first FP16 graph drifted ({parity.summary()}); kept {', '.join(FALLBACK_GROUP)} in FP32 too")
        groups.update(_nodes_of(model, FALLBACK_GROUP))
        candidate = to_fp16(model, set().union(*groups.values()))
        parity = compare_outputs(reference, run_graph(candidate, sheets))
        widened = True
    kept = set().union(*groups.values())
    counts = Counter(n.op_type for n in model.graph.node if n.name in kept)
    present = tuple(name for name, nodes in groups.items() if nodes)
    return Fp16Outcome(candidate, dict(counts), present, parity, widened, tuple(notes))


def _nodes_of(model: onnx.ModelProto, groups: dict[str, frozenset[str]]) -> dict[str, set[str]]:
    return {name: {n.name for n in model.graph.node if n.op_type in ops} for name, ops in groups.items()}


def to_fp16(model: onnx.ModelProto, keep_fp32: set[str]) -> onnx.ModelProto:
    """FP16 copy of a named graph; nodes in ``keep_fp32`` compute in FP32; float I/O stays float32."""
    try:
        from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16
    except ImportError as exc:  # pragma: no cover - onnxruntime is a core dependency
        raise EngineBuildError(f"onnxruntime's float16 converter is unavailable ({exc})") from None
    converted = convert_float_to_float16(
        copy.deepcopy(model),
        keep_io_types=True,
        op_block_list=list(DEFAULT_OP_BLOCK_LIST),
        node_block_list=sorted(keep_fp32),
    )
    return _fold_cast_pairs(converted)


def _cast_to(node: onnx.NodeProto) -> int | None:
    for attr in node.attribute:
        if attr.name == "to":
            return int(attr.i)
    return None


def _fold_cast_pairs(model: onnx.ModelProto) -> onnx.ModelProto:
    """Drop FP32 -> FP16 -> FP32 cast round trips the converter puts between two FP32 nodes.

    Such a round trip only loses precision: the value is read directly from the FP32 tensor.
    """
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {vi.name: vi.type.tensor_type.elem_type for vi in [*inferred.graph.value_info, *inferred.graph.input]}
    producers = {o: n for n in model.graph.node for o in n.output}
    outputs = {o.name for o in model.graph.output}
    rename: dict[str, str] = {}
    for node in model.graph.node:
        if node.op_type != "Cast" or _cast_to(node) != TensorProto.FLOAT:
            continue
        first = producers.get(node.input[0])
        if first is None or first.op_type != "Cast" or _cast_to(first) != TensorProto.FLOAT16:
            continue
        source = first.input[0]
        if types.get(source) != TensorProto.FLOAT:
            continue
        if node.output[0] in outputs:
            node.op_type, node.input[0] = "Identity", source
            del node.attribute[:]
        else:
            rename[node.output[0]] = source
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            node.input[i] = rename.get(name, name)
    _remove_dead_nodes(model)
    return sort_topologically(model)


def _remove_dead_nodes(model: onnx.ModelProto) -> None:
    graph = model.graph
    while True:
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for node in dead:
            graph.node.remove(node)
    produced = {o for n in graph.node for o in n.output}
    keep = [vi for vi in graph.value_info if vi.name in produced]
    del graph.value_info[:]
    graph.value_info.extend(keep)
    used = {i for n in graph.node for i in n.input}
    unused_inits = [t for t in graph.initializer if t.name not in used]
    for tensor in unused_inits:
        graph.initializer.remove(tensor)
