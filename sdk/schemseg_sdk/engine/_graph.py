"""ONNX graph helpers shared by the precision stages: loading, hashing, regions, metadata, saving.

A schemseg graph has three regions (see :func:`find_regions`): the in-graph *preprocessing* (uint8
cast, layout, normalisation), the *compute* body (Conv, MatMul...) and the *head* (arg-max and
confidence from the logits). Precision changes touch the compute body; preprocessing and head keep
their exact arithmetic.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from ..errors import ModelFormatError
from ..fileio import atomic_output, sha256_file
from ..model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME, ModelInfo

__all__ = [
    "COMPUTE_OPS",
    "GraphRegions",
    "load_model",
    "model_bytes",
    "sha256_bytes",
    "sha256_file",
    "read_info",
    "with_precision",
    "name_nodes",
    "find_regions",
    "float_tensor_names",
    "check_contract",
    "sort_topologically",
    "save_model",
]

COMPUTE_OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm")
"""The operators whose arithmetic dominates the cost: the ones reduced precision is for."""


@dataclass(frozen=True)
class GraphRegions:
    """Node names of the preprocessing and head regions, and the logits tensor between body and head."""

    preprocessing: frozenset[str]
    head: frozenset[str]
    logits: str

    @property
    def excluded(self) -> frozenset[str]:
        """Nodes that keep full precision whatever the target precision."""
        return self.preprocessing | self.head


def load_model(path: str | os.PathLike[str]) -> onnx.ModelProto:
    """Load an ONNX file; raise :class:`ModelFormatError` if it is missing or not ONNX."""
    p = Path(path)
    if not p.is_file():
        raise ModelFormatError(f"{p}: no such file; expected an ONNX model exported with 'schemseg export'")
    try:
        return onnx.load(str(p))
    except Exception as exc:  # onnx raises DecodeError, ValueError... depending on the damage
        raise ModelFormatError(f"{p}: not a readable ONNX model ({type(exc).__name__}: {exc})") from None


def model_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_info(model: onnx.ModelProto, source: str) -> ModelInfo:
    """The schemseg metadata of ``model`` (raises :class:`ModelFormatError` when absent)."""
    return ModelInfo.from_metadata({p.key: p.value for p in model.metadata_props}, source)


def with_precision(model: onnx.ModelProto, info: ModelInfo, precision: str) -> onnx.ModelProto:
    """Rewrite ``model``'s schemseg metadata with ``precision`` (other metadata entries are kept)."""
    meta = {p.key: p.value for p in model.metadata_props}
    meta.update(info.replace(precision=precision).to_metadata())
    del model.metadata_props[:]
    helper.set_model_props(model, meta)
    return model


def name_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Give every unnamed node a unique name (quantizers and block lists address nodes by name)."""
    taken = {n.name for n in model.graph.node if n.name}
    for i, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)
    return model


def _consumers(model: onnx.ModelProto) -> dict[str, list[onnx.NodeProto]]:
    out: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            if name:
                out.setdefault(name, []).append(node)
    return out


def _downstream(model: onnx.ModelProto, tensors: Iterable[str]) -> set[str]:
    """Names of the nodes that (transitively) consume any of ``tensors``."""
    consumers = _consumers(model)
    seen: set[str] = set()
    queue = deque(tensors)
    while queue:
        for node in consumers.get(queue.popleft(), ()):
            if node.name not in seen:
                seen.add(node.name)
                queue.extend(o for o in node.output if o)
    return seen


def _find_logits(model: onnx.ModelProto) -> str:
    """The tensor that the ``class_ids`` arg-max reads (walking up from the output)."""
    producers = {o: n for n in model.graph.node for o in n.output}
    queue, seen = deque([CLASS_IDS]), set()
    while queue:
        node = producers.get(queue.popleft())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if node.op_type == "ArgMax":
            return node.input[0]
        queue.extend(i for i in node.input if i)
    raise ModelFormatError(
        f"graph: no ArgMax upstream of output '{CLASS_IDS}'; expected a schemseg export whose head takes the "
        "arg-max of the logits (re-export with 'schemseg export')"
    )


def find_regions(model: onnx.ModelProto) -> GraphRegions:
    """Split a named graph (see :func:`name_nodes`) into preprocessing, compute body and head."""
    logits = _find_logits(model)
    head = _downstream(model, [logits])
    compute_outputs = [o for n in model.graph.node if n.op_type in COMPUTE_OPS for o in n.output]
    after_compute = _downstream(model, compute_outputs)
    compute_nodes = {n.name for n in model.graph.node if n.op_type in COMPUTE_OPS}
    preprocessing = _downstream(model, [INPUT_NAME]) - after_compute - compute_nodes
    return GraphRegions(frozenset(preprocessing), frozenset(head), logits)


def float_tensor_names(model: onnx.ModelProto, nodes: Iterable[str]) -> list[str]:
    """Float32 activations (not initializers) read or written by ``nodes``, in graph order."""
    wanted = set(nodes)
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {
        vi.name: vi.type.tensor_type.elem_type
        for vi in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]
    }
    constants = {i.name for i in model.graph.initializer}
    constants |= {o for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    names: list[str] = []
    for node in model.graph.node:
        if node.name not in wanted:
            continue
        for name in [*node.input, *node.output]:
            if name and name not in constants and types.get(name) == TensorProto.FLOAT and name not in names:
                names.append(name)
    return names


def check_contract(model: onnx.ModelProto, source: str) -> None:
    """Raise :class:`ModelFormatError` unless the graph I/O follows the schemseg contract."""
    inputs = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    outputs = {o.name: o.type.tensor_type.elem_type for o in model.graph.output}
    expected = [
        ("input", INPUT_NAME, inputs, TensorProto.UINT8),
        ("output", CLASS_IDS, outputs, TensorProto.UINT8),
        ("output", CONFIDENCE, outputs, TensorProto.FLOAT),
    ]
    for kind, name, table, dtype in expected:
        if table.get(name) != dtype:
            got = "missing" if name not in table else TensorProto.DataType.Name(table[name]).lower()
            raise ModelFormatError(
                f"{source}: {kind} '{name}' is {got}, expected {TensorProto.DataType.Name(dtype).lower()}; "
                "the graph does not follow the schemseg I/O contract (re-export with 'schemseg export')"
            )


def sort_topologically(model: onnx.ModelProto) -> onnx.ModelProto:
    """Reorder nodes so each comes after the producers of its inputs (rewriters append out of order)."""
    graph = model.graph
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        still: list[onnx.NodeProto] = []
        for node in pending:
            if all(i in ready for i in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                still.append(node)
        if len(still) == len(pending):
            names = ", ".join(n.name or n.op_type for n in still[:5])
            raise ModelFormatError(f"graph: nodes with inputs nobody produces (or a cycle): {names}")
        pending = still
    del graph.node[:]
    graph.node.extend(ordered)
    return model


def save_model(model: onnx.ModelProto, path: str | os.PathLike[str]) -> Path:
    """Check and write ``model`` atomically to ``path``."""
    onnx.checker.check_model(model)
    with atomic_output(path) as tmp:
        onnx.save(model, str(tmp))
    return Path(path)
