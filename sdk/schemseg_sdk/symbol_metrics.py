"""Symbol-level scores: predicted symbols matched one-to-one with the true boxes of a dataset.

A predicted symbol and a true symbol of the same class match when their boxes overlap with IoU
>= :data:`MATCH_IOU`; pairs are taken greedily from the highest IoU down, so each box matches at
most once. A matched prediction is a true positive, an unmatched one a false positive (unless at
least half of it lies in an ``ignore`` box of the sheet: then it is not scored), an unmatched true
symbol a false negative. Per class: precision, recall, F1 and the count error (predicted count minus
true count, relative to the true count); the mean F1 runs over the classes that occur in the truth,
and on P&IDs also over the P&ID classes (:data:`PID_CLASSES`) that occur in the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .boxes import Box, SheetBoxes
from .classes import CLASS_NAMES, PID_SYMBOL_CLASSES

__all__ = [
    "MATCH_IOU",
    "PID_CLASSES",
    "SymbolMatcher",
    "SymbolScores",
    "box_intersection",
    "box_iou",
    "covered_fraction",
    "greedy_pairs",
]

MATCH_IOU = 0.5

PID_ONLY_CLASSES = PID_SYMBOL_CLASSES
PID_CLASSES = (*PID_ONLY_CLASSES, "designation", "junction", "crossover", "terminal")
"""The classes a P&ID is scored on: its own symbols plus the ones it shares with circuits (text tags,
junctions, crossovers, terminals). The P&ID mean F1 is reported when one of its own symbols is true."""


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` ``(N, 4)`` with every box of ``b`` ``(M, 4)`` (x1/y1 exclusive): ``(N, M)``.

    >>> box_iou(np.array([[0, 0, 2, 2]]), np.array([[1, 0, 3, 2], [5, 5, 6, 6]])).round(3).tolist()
    [[0.333, 0.0]]
    """
    a, b = a.astype(np.float64)[:, None, :], b.astype(np.float64)[None, :, :]
    inter = box_intersection(a, b)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def covered_fraction(boxes: np.ndarray, cover: Sequence[Box]) -> np.ndarray:
    """Per box of ``boxes`` ``(N, 4)``: the largest fraction of its area inside one box of ``cover``.

    >>> covered_fraction(np.array([[0, 0, 4, 4], [10, 10, 12, 12]]), [(0, 0, 2, 4)]).tolist()
    [0.5, 0.0]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(cover) or not len(boxes):
        return np.zeros(len(boxes))
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-9)
    inside = box_intersection(boxes[:, None, :], np.asarray(cover, np.float64)[None, :, :]).max(axis=1)
    return inside / area


def greedy_pairs(iou: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """One-to-one ``(row, column)`` pairs of an IoU matrix at IoU >= ``threshold``, greedily from the highest.

    >>> greedy_pairs(np.array([[0.9, 0.6], [0.7, 0.2]]), 0.5)
    [(0, 0)]
    """
    rows, cols = np.nonzero(iou >= threshold)
    order = np.argsort(-iou[rows, cols], kind="stable")
    used_rows, used_cols, pairs = set(), set(), []
    for r, c in zip(rows[order].tolist(), cols[order].tolist()):
        if r not in used_rows and c not in used_cols:
            used_rows.add(r)
            used_cols.add(c)
            pairs.append((r, c))
    return pairs


def box_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection areas of boxes ``(..., 4)`` (x1/y1 exclusive), broadcast against each other.

    >>> box_intersection(np.array([[0, 0, 4, 4]])[:, None], np.array([[2, 2, 6, 6], [5, 5, 6, 6]])[None]).tolist()
    [[4, 0]]
    """
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    return width * height


@dataclass(frozen=True)
class ClassSymbolScores:
    """One class: counts of true positives, false positives, false negatives, and the rates."""

    name: str
    true_count: int
    predicted: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else float("nan")

    @property
    def recall(self) -> float:
        return self.matched / self.true_count if self.true_count else float("nan")

    @property
    def f1(self) -> float:
        total = self.predicted + self.true_count
        return 2 * self.matched / total if total else float("nan")

    @property
    def count_error(self) -> float:
        """``(predicted - true) / true``: +0.1 means 10% too many symbols; NaN when none is true."""
        return (self.predicted - self.true_count) / self.true_count if self.true_count else float("nan")

    def to_dict(self) -> dict[str, object]:
        return {
            "true": self.true_count,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "f1": _rounded(self.f1),
            "count_error": _rounded(self.count_error),
        }


@dataclass(frozen=True)
class SymbolScores:
    """Per-class symbol scores of a whole dataset (classes 1.. that were true or predicted)."""

    classes: tuple[ClassSymbolScores, ...]
    match_iou: float = MATCH_IOU

    @property
    def mean_f1(self) -> float:
        """Mean F1 over the classes that occur in the truth (NaN when none does)."""
        values = [c.f1 for c in self.classes if c.true_count]
        return float(np.mean(values)) if values else float("nan")

    @property
    def mean_f1_pid(self) -> float:
        """Mean F1 over the :data:`PID_CLASSES` that occur in the truth; NaN unless a P&ID symbol is true."""
        if not any(c.true_count and c.name in PID_ONLY_CLASSES for c in self.classes):
            return float("nan")
        return float(np.mean([c.f1 for c in self.classes if c.true_count and c.name in PID_CLASSES]))

    def by_name(self) -> dict[str, ClassSymbolScores]:
        return {c.name: c for c in self.classes}

    def to_dict(self) -> dict[str, object]:
        return {
            "match_iou": self.match_iou,
            "mean_f1": _rounded(self.mean_f1),
            "mean_f1_pid": _rounded(self.mean_f1_pid),
            "true": sum(c.true_count for c in self.classes),
            "predicted": sum(c.predicted for c in self.classes),
            "per_class": {c.name: c.to_dict() for c in self.classes},
        }

    def table(self) -> str:
        """Plain-text table: one row per class that is true or predicted, the mean F1 at the bottom."""
        width = max([len("mean F1 (true classes)"), *(len(c.name) for c in self.classes)])
        lines = [f"{'class':<{width}}  {'true':>5}  {'found':>5}  {'prec':>6}  {'recall':>6}  {'F1':>6}  {'count':>6}"]
        for c in self.classes:
            lines.append(
                f"{c.name:<{width}}  {c.true_count:5d}  {c.predicted:5d}  {_cell(c.precision)}  "
                f"{_cell(c.recall)}  {_cell(c.f1)}  {_cell(c.count_error, signed=True)}"
            )
        lines.append(f"{'mean F1 (true classes)':<{width}}  {'':5}  {'':5}  {'':6}  {'':6}  {_cell(self.mean_f1)}")
        if not np.isnan(self.mean_f1_pid):
            lines.append(
                f"{'mean F1 (P&ID classes)':<{width}}  {'':5}  {'':5}  {'':6}  {'':6}  {_cell(self.mean_f1_pid)}"
            )
        return "\n".join(lines)


class SymbolMatcher:
    """Accumulates matches sheet by sheet; :meth:`scores` gives the :class:`SymbolScores`.

    >>> matcher = SymbolMatcher()
    >>> truth = SheetBoxes(((1, (0, 0, 10, 10)),))
    >>> matcher.update([(1, (1, 0, 10, 10)), (1, (30, 30, 40, 40))], truth)
    >>> s = matcher.scores().by_name()["resistor"]; (s.true_count, s.predicted, s.matched)
    (1, 2, 1)
    """

    def __init__(self, class_names: Sequence[str] = CLASS_NAMES, match_iou: float = MATCH_IOU) -> None:
        self.class_names = tuple(class_names)
        self.match_iou = match_iou
        self.true_count = np.zeros(len(self.class_names), np.int64)
        self.predicted = np.zeros(len(self.class_names), np.int64)
        self.matched = np.zeros(len(self.class_names), np.int64)

    def update(self, predicted: Sequence[tuple[int, Box]], truth: SheetBoxes) -> None:
        """Add one sheet: its predicted ``(class_id, bbox)`` pairs and its true boxes."""
        pred = _as_arrays(predicted)
        true = _as_arrays(truth.symbols)
        pred = _drop_ignored(pred, truth.ignore, true)
        for class_id in np.union1d(pred[0], true[0]):
            p_boxes, t_boxes = pred[1][pred[0] == class_id], true[1][true[0] == class_id]
            self.predicted[class_id] += len(p_boxes)
            self.true_count[class_id] += len(t_boxes)
            self.matched[class_id] += _count_matches(p_boxes, t_boxes, self.match_iou)

    def scores(self) -> SymbolScores:
        rows = [
            ClassSymbolScores(
                self.class_names[i], int(self.true_count[i]), int(self.predicted[i]), int(self.matched[i])
            )
            for i in range(1, len(self.class_names))
            if self.true_count[i] or self.predicted[i]
        ]
        return SymbolScores(tuple(rows), self.match_iou)


def _as_arrays(pairs: Sequence[tuple[int, Box]]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter((c for c, _ in pairs), np.int64, len(pairs))
    boxes = np.array([b for _, b in pairs], np.int64).reshape(-1, 4)
    return ids, boxes


def _drop_ignored(
    pred: tuple[np.ndarray, np.ndarray], ignore: Sequence[Box], true: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Leave out predictions that lie at least half in an ignored box and match no true box."""
    if not ignore or not len(pred[0]):
        return pred
    covered = covered_fraction(pred[1], ignore)
    overlaps_truth = np.zeros(len(pred[0]), bool)
    if len(true[0]):
        same_class = pred[0][:, None] == true[0][None, :]
        overlaps_truth = ((box_iou(pred[1], true[1]) >= MATCH_IOU) & same_class).any(axis=1)
    keep = (covered < 0.5) | overlaps_truth
    return pred[0][keep], pred[1][keep]


def _count_matches(predicted: np.ndarray, true: np.ndarray, threshold: float) -> int:
    """One-to-one matches at IoU >= ``threshold``, greedily from the highest IoU."""
    if not len(predicted) or not len(true):
        return 0
    return len(greedy_pairs(box_iou(predicted, true), threshold))


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _cell(value: float, signed: bool = False) -> str:
    if np.isnan(value):
        return f"{'-':>6}"
    return f"{value:+6.2f}" if signed else f"{value:6.3f}"
