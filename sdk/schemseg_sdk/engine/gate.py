"""The accuracy gate: a reduced-precision graph may not lose more IoU than allowed against FP32.

Both graphs are scored against the ground truth of a validation set with ONNX Runtime on CPU
(:func:`~schemseg_sdk.evaluate.evaluate_model`). The gate fails when the mean IoU drops by more
than :data:`MAX_MEAN_DROP` points or any class present in the ground truth by more than
:data:`MAX_CLASS_DROP` points. The report is written as JSON and as a readable table.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from ..evaluate import evaluate_model
from ..fileio import atomic_write_text
from ..metrics import SegmentationScores
from .sidecar import skipped_gate

__all__ = [
    "MAX_MEAN_DROP",
    "MAX_CLASS_DROP",
    "ClassDrop",
    "GateResult",
    "compare_scores",
    "score_graph",
    "write_gate_report",
    "Verdict",
    "verdict_heading",
    "skipped_gate",
]

MAX_MEAN_DROP = 0.5  # IoU points (1 point = 0.01 IoU)
MAX_CLASS_DROP = 2.0


@dataclass(frozen=True)
class ClassDrop:
    """One class row of the gate table (IoU in 0..1, drop in points)."""

    name: str
    reference: float
    candidate: float
    drop: float
    failed: bool


@dataclass(frozen=True)
class GateResult:
    """The verdict for one graph against the FP32 reference."""

    label: str  # e.g. "int8 (TensorRT QDQ)"
    graph: str  # file name of the graph under test
    val: str
    sheets: int
    reference_mean: float
    candidate_mean: float
    mean_drop: float
    classes: tuple[ClassDrop, ...]
    max_mean_drop: float = MAX_MEAN_DROP
    max_class_drop: float = MAX_CLASS_DROP

    @property
    def failures(self) -> list[str]:
        """Why the gate failed (empty: passed)."""
        out = []
        if self.mean_drop > self.max_mean_drop:
            out.append(f"mean IoU dropped {self.mean_drop:.2f} points (allowed {self.max_mean_drop})")
        out += [
            f"{c.name} dropped {c.drop:.2f} points (allowed {self.max_class_drop})" for c in self.classes if c.failed
        ]
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    def table(self) -> str:
        width = max([len("mean IoU"), *(len(c.name) for c in self.classes)])
        lines = [
            verdict_heading(self.label, self.graph, self.val, self.sheets, self.passed),
            f"{'class':<{width}}  {'fp32 IoU':>8}  {'IoU':>8}  {'drop (pt)':>9}",
        ]
        for c in self.classes:
            flag = f"  FAIL (> {self.max_class_drop})" if c.failed else ""
            lines.append(f"{c.name:<{width}}  {c.reference:8.4f}  {c.candidate:8.4f}  {c.drop:9.2f}{flag}")
        flag = f"  FAIL (> {self.max_mean_drop})" if self.mean_drop > self.max_mean_drop else ""
        lines.append(
            f"{'mean IoU':<{width}}  {self.reference_mean:8.4f}  {self.candidate_mean:8.4f}  "
            f"{self.mean_drop:9.2f}{flag}"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["passed"] = self.passed
        data["failures"] = self.failures
        return data


def verdict_heading(label: str, graph: str, val: str, sheets: int, passed: bool) -> str:
    """The first line of a gate table."""
    return f"accuracy gate: {label} ({graph}) vs fp32 on {val} ({sheets} sheets): " + ("passed" if passed else "FAILED")


def _points(value: float) -> float:
    return 0.0 if math.isnan(value) else 100.0 * value


def compare_scores(
    reference: SegmentationScores,
    candidate: SegmentationScores,
    *,
    label: str,
    graph: str,
    val: str,
    sheets: int,
    max_mean_drop: float = MAX_MEAN_DROP,
    max_class_drop: float = MAX_CLASS_DROP,
) -> GateResult:
    """Compare per-class IoU of ``candidate`` with ``reference`` (classes 1.. present in the ground truth)."""
    rows = []
    for i, name in enumerate(reference.class_names):
        if i == 0 or not reference.present[i]:
            continue
        drop = _points(reference.iou[i]) - _points(candidate.iou[i])
        rows.append(ClassDrop(name, reference.iou[i], candidate.iou[i], round(drop, 4), drop > max_class_drop))
    mean_drop = _points(reference.mean_iou) - _points(candidate.mean_iou)
    return GateResult(
        label,
        graph,
        val,
        sheets,
        reference.mean_iou,
        candidate.mean_iou,
        round(mean_drop, 4),
        tuple(rows),
        max_mean_drop,
        max_class_drop,
    )


def score_graph(
    model_path: str | os.PathLike[str], val: str | os.PathLike[str], *, limit: int | None, progress: bool
) -> SegmentationScores:
    """IoU of a graph on ``val`` with ONNX Runtime on CPU, through the SDK's own inference path.

    The graph's own masks are scored at the sheets' own pixels (no symbol grouping, no resampling to
    the model's scale): the gate judges the arithmetic, and a step that both sides share could hide a
    drift.
    """
    return evaluate_model(model_path, val, limit=limit, progress=progress, device="cpu", grouping=None, scale=1.0)


class Verdict(Protocol):
    """What a gate report needs of a verdict (:class:`GateResult`, or the sheet gate's result)."""

    @property
    def passed(self) -> bool: ...

    def table(self) -> str: ...

    def to_dict(self) -> dict[str, object]: ...


def write_gate_report(
    base: str | os.PathLike[str],
    precision: str,
    results: Sequence[Verdict],
    accepted_drop: bool,
    graph_sha256: str | None = None,
) -> tuple[Path, Path]:
    """Write ``BASE.gate.json`` and ``BASE.gate.txt``; return both paths. ``graph_sha256``: the judged
    graph's hash, which ``Segmenter()`` compares before it trusts the report for a bundled path."""
    base = Path(base)
    passed = all(r.passed for r in results)
    status = "passed" if passed else ("failed (accepted with --accept-drop)" if accepted_drop else "failed")
    payload: dict[str, object] = {"status": status, "precision": precision}
    if graph_sha256 is not None:
        payload["graph_sha256"] = graph_sha256
    payload["results"] = [r.to_dict() for r in results]
    json_path = base.with_name(base.name + ".gate.json")
    text_path = base.with_name(base.name + ".gate.txt")
    atomic_write_text(json_path, json.dumps(payload, indent=2, allow_nan=True) + "\n")
    atomic_write_text(text_path, "\n\n".join(r.table() for r in results) + f"\n\nverdict: {status}\n")
    return json_path, text_path
