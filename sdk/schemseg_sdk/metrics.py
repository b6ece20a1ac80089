"""Segmentation metrics shared by training, the accuracy gate and the benchmark (numpy only).

IoU per class uses intersection and union summed over all pixels of all sheets; the mean runs over
classes 1..K-1 that occur in the ground truth (background excluded). Pixels equal to
:data:`~schemseg_sdk.classes.IGNORE_INDEX` in the target are not scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .classes import CLASS_NAMES, IGNORE_INDEX

__all__ = ["ConfusionMatrix", "SegmentationScores"]


@dataclass(frozen=True)
class SegmentationScores:
    """Per-class IoU (NaN where a class occurs in neither target nor prediction) and summaries."""

    iou: tuple[float, ...]
    present: tuple[bool, ...]  # class occurs in the ground truth
    mean_iou: float
    pixel_accuracy: float
    class_names: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "mean_iou": self.mean_iou,
            "pixel_accuracy": self.pixel_accuracy,
            "per_class": {
                name: (None if np.isnan(v) else round(float(v), 6))
                for name, v, p in zip(self.class_names, self.iou, self.present)
                if p
            },
        }

    def table(self) -> str:
        """A plain-text per-class table (classes that occur only) with the mean at the bottom."""
        width = max(len(n) for n in self.class_names)
        lines = [f"{'class':<{width}}  IoU"]
        for i, (name, value, present) in enumerate(zip(self.class_names, self.iou, self.present)):
            if i == 0 or not present:
                continue
            lines.append(f"{name:<{width}}  {value:.4f}")
        lines.append(f"{'mean (1..' + str(len(self.class_names) - 1) + ')':<{width}}  {self.mean_iou:.4f}")
        lines.append(f"{'pixel accuracy':<{width}}  {self.pixel_accuracy:.4f}")
        return "\n".join(lines)


class ConfusionMatrix:
    """Accumulates a ``K x K`` confusion matrix (rows = target, columns = prediction)."""

    def __init__(self, num_classes: int = len(CLASS_NAMES), class_names: Sequence[str] = CLASS_NAMES) -> None:
        self.num_classes = num_classes
        self.class_names = tuple(class_names)[:num_classes]
        self.matrix = np.zeros((num_classes, num_classes), dtype=np.int64)

    def update(self, prediction: np.ndarray, target: np.ndarray) -> None:
        """Add one or more sheets; ``prediction`` and ``target`` are integer arrays of one shape."""
        if prediction.shape != target.shape:
            raise ValueError(f"prediction shape {prediction.shape} != target shape {target.shape}")
        t = target.reshape(-1).astype(np.int64)
        p = prediction.reshape(-1).astype(np.int64)
        keep = t != IGNORE_INDEX
        t, p = t[keep], p[keep]
        if t.size and (t.max() >= self.num_classes or p.max() >= self.num_classes):
            raise ValueError(f"class id above {self.num_classes - 1} in prediction or target")
        self.matrix += np.bincount(t * self.num_classes + p, minlength=self.num_classes**2).reshape(
            self.num_classes, self.num_classes
        )

    def merge(self, other: ConfusionMatrix) -> None:
        self.matrix += other.matrix

    def scores(self) -> SegmentationScores:
        m = self.matrix.astype(np.float64)
        inter = np.diag(m)
        union = m.sum(0) + m.sum(1) - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = np.where(union > 0, inter / union, np.nan)
        present = m.sum(1) > 0
        fg = present.copy()
        fg[0] = False
        mean = float(np.nanmean(iou[fg])) if fg.any() else float("nan")
        total = m.sum()
        acc = float(inter.sum() / total) if total else float("nan")
        return SegmentationScores(
            tuple(float(v) for v in iou), tuple(bool(v) for v in present), mean, acc, self.class_names
        )
