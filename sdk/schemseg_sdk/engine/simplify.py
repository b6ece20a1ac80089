"""Graph simplification with onnxsim, kept only when it provably changes nothing on sample sheets."""

from __future__ import annotations

from dataclasses import dataclass

import onnx

from .parity import GraphOutputs, Parity, compare_outputs, run_graph
from .sheets import SheetSet

__all__ = ["SimplifyOutcome", "simplify_graph"]


@dataclass(frozen=True)
class SimplifyOutcome:
    """The graph to continue with and what happened to it."""

    model: onnx.ModelProto
    simplified: bool  # False: the original graph was kept (see ``note``)
    note: str
    parity: Parity | None
    nodes_before: int
    nodes_after: int

    def to_dict(self) -> dict[str, object]:
        return {
            "simplified": self.simplified,
            "note": self.note,
            "nodes_before": self.nodes_before,
            "nodes_after": self.nodes_after,
            "parity": self.parity.to_dict() if self.parity else None,
        }


def simplify_graph(model: onnx.ModelProto, sheets: SheetSet, reference: GraphOutputs | None = None) -> SimplifyOutcome:
    """Simplify ``model`` with onnxsim; fall back to ``model`` itself if that fails or breaks parity.

    Args:
        model: the exported graph.
        sheets: sample sheets both graphs are run on.
        reference: ``model``'s outputs on ``sheets`` if already computed.
    """
    before = len(model.graph.node)
    try:
        import onnxsim
    except ImportError:
        return SimplifyOutcome(
            model,
            False,
            "onnxsim is not installed (pip install onnxsim): kept the original graph",
            None,
            before,
            before,
        )
    try:
        candidate, checked = onnxsim.simplify(model, check_n=0)
    except Exception as exc:  # onnxsim surfaces ORT/protobuf errors of every kind
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return SimplifyOutcome(
            model, False, f"onnxsim failed ({first_line}): kept the original graph", None, before, before
        )
    if not checked:
        return SimplifyOutcome(
            model, False, "onnxsim could not validate its result: kept the original graph", None, before, before
        )
    del candidate.metadata_props[:]
    candidate.metadata_props.extend(model.metadata_props)
    reference = reference or run_graph(model, sheets)
    parity = compare_outputs(reference, run_graph(candidate, sheets))
    if not parity.ok:
        return SimplifyOutcome(
            model,
            False,
            f"simplified graph differs ({parity.summary()}): kept the original graph",
            parity,
            before,
            len(candidate.graph.node),
        )
    after = len(candidate.graph.node)
    return SimplifyOutcome(
        candidate, True, f"simplified: {before} -> {after} nodes, {parity.summary()}", parity, before, after
    )
