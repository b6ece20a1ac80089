"""Does a rewritten graph still say the same thing? Run both on sample sheets with ONNX Runtime (CPU).

Used after simplification and FP16 conversion: class ids must agree on at least
:attr:`Parity.MIN_AGREEMENT` of the pixels and the confidence must stay close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from ..errors import EngineBuildError
from ..model_info import CLASS_IDS, CONFIDENCE
from .sheets import SheetSet

__all__ = ["GraphOutputs", "Parity", "run_graph", "compare_outputs"]


@dataclass(frozen=True)
class GraphOutputs:
    class_ids: np.ndarray  # (N, S, S) uint8
    confidence: np.ndarray  # (N, S, S) float32


@dataclass(frozen=True)
class Parity:
    """Agreement of a candidate graph with its reference on the same sheets."""

    MIN_AGREEMENT = 0.999
    MAX_MEAN_CONFIDENCE_DIFF = 0.01

    pixels: int
    ids_agreement: float  # fraction of pixels with the same class id
    mean_confidence_diff: float
    max_confidence_diff: float

    @property
    def ok(self) -> bool:
        return self.ids_agreement >= self.MIN_AGREEMENT and self.mean_confidence_diff <= self.MAX_MEAN_CONFIDENCE_DIFF

    def summary(self) -> str:
        return (
            f"class ids identical on {100 * self.ids_agreement:.3f}% of {self.pixels} pixels, confidence "
            f"|diff| mean {self.mean_confidence_diff:.2e} max {self.max_confidence_diff:.2e}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "pixels": self.pixels,
            "ids_agreement": round(self.ids_agreement, 6),
            "mean_confidence_diff": float(self.mean_confidence_diff),
            "max_confidence_diff": float(self.max_confidence_diff),
            "ok": self.ok,
        }


def _session(model: onnx.ModelProto, threads: int | None) -> Any:  # onnxruntime.InferenceSession
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: fp16 graphs make ORT warn about inserted casts
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own exception types (Fail, InvalidGraph, NotImplemented...)
        raise EngineBuildError(f"ONNX Runtime cannot load the rewritten graph: {exc}") from None


def run_graph(model: onnx.ModelProto, sheets: SheetSet, threads: int | None = None) -> GraphOutputs:
    """Class ids and confidence of ``model`` on every sheet (one sheet per run, to bound memory)."""
    session = _session(model, threads)
    ids, conf = [], []
    for i in range(len(sheets)):
        class_ids, confidence = session.run([CLASS_IDS, CONFIDENCE], {"image": sheets.batch[i : i + 1]})
        ids.append(class_ids)
        conf.append(confidence)
    return GraphOutputs(np.concatenate(ids), np.concatenate(conf).astype(np.float32))


def compare_outputs(reference: GraphOutputs, candidate: GraphOutputs) -> Parity:
    """How closely ``candidate`` reproduces ``reference``."""
    agree = float(np.mean(reference.class_ids == candidate.class_ids))
    diff = np.abs(reference.confidence.astype(np.float64) - candidate.confidence)
    finite = np.isfinite(diff)
    mean = float(diff[finite].mean()) if finite.all() else float("inf")
    return Parity(int(reference.class_ids.size), agree, mean, float(diff.max()) if finite.all() else float("inf"))
