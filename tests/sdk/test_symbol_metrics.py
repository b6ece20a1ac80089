"""Symbol-level scores: one-to-one box matching at IoU >= 0.5, per class, ignore boxes, count error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from schemseg_sdk.boxes import SheetBoxes
from schemseg_sdk.classes import class_index
from schemseg_sdk.symbol_metrics import SymbolMatcher, box_iou

RESISTOR, CAPACITOR = class_index("resistor"), class_index("capacitor")


def test_box_iou_uses_exclusive_corners() -> None:
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [10, 0, 20, 10]]))
    assert iou.tolist() == [[1.0, pytest.approx(1 / 3), 0.0]]


def test_matching_is_one_to_one_per_class() -> None:
    matcher = SymbolMatcher()
    truth = SheetBoxes(((RESISTOR, (0, 0, 10, 10)), (CAPACITOR, (20, 0, 30, 10))))
    predicted = [
        (RESISTOR, (0, 0, 10, 10)),
        (RESISTOR, (1, 0, 10, 10)),  # a second fragment of the same resistor: a false positive
        (RESISTOR, (20, 0, 30, 10)),  # right place, wrong class
    ]
    matcher.update(predicted, truth)
    scores = matcher.scores().by_name()
    resistor, capacitor = scores["resistor"], scores["capacitor"]
    assert (resistor.true_count, resistor.predicted, resistor.matched) == (1, 3, 1)
    assert resistor.precision == pytest.approx(1 / 3) and resistor.recall == 1.0 and resistor.f1 == 0.5
    assert resistor.count_error == 2.0
    assert (capacitor.true_count, capacitor.predicted, capacitor.matched) == (1, 0, 0)
    assert capacitor.f1 == 0.0 and capacitor.count_error == -1.0 and math.isnan(capacitor.precision)
    assert matcher.scores().mean_f1 == 0.25


def test_below_half_overlap_is_no_match() -> None:
    matcher = SymbolMatcher()
    matcher.update([(RESISTOR, (5, 0, 15, 10))], SheetBoxes(((RESISTOR, (0, 0, 10, 10)),)))
    assert matcher.scores().by_name()["resistor"].matched == 0


def test_predictions_in_ignored_areas_are_not_scored() -> None:
    matcher = SymbolMatcher()
    truth = SheetBoxes(((RESISTOR, (0, 0, 10, 10)),), ignore=((50, 50, 90, 90),))
    matcher.update([(RESISTOR, (0, 0, 10, 10)), (CAPACITOR, (55, 55, 70, 70)), (CAPACITOR, (80, 80, 120, 120))], truth)
    scores = matcher.scores()
    assert scores.by_name()["capacitor"].predicted == 1  # the one mostly outside the ignored box
    assert scores.mean_f1 == 1.0  # only resistors are true


def test_sheets_add_up_and_serialise() -> None:
    matcher = SymbolMatcher()
    for _ in range(3):
        matcher.update([(RESISTOR, (0, 0, 10, 10))], SheetBoxes(((RESISTOR, (0, 0, 10, 10)),)))
    data = matcher.scores().to_dict()
    assert data["per_class"]["resistor"] == {
        "true": 3,
        "predicted": 3,
        "matched": 3,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "count_error": 0.0,
    }
    assert data["mean_f1"] == 1.0 and data["match_iou"] == 0.5
    assert "resistor" in matcher.scores().table()


def test_pid_mean_f1_runs_over_the_pid_classes_present() -> None:
    valve, pump, text = (class_index(n) for n in ("gate_valve", "pump", "designation"))
    truth = SheetBoxes(
        ((valve, (0, 0, 10, 10)), (pump, (20, 0, 40, 20)), (text, (50, 0, 60, 5)), (RESISTOR, (70, 0, 80, 10)))
    )
    matcher = SymbolMatcher()
    matcher.update([(valve, (0, 0, 10, 10)), (text, (50, 0, 60, 5)), (RESISTOR, (70, 0, 80, 10))], truth)
    scores = matcher.scores()
    assert scores.mean_f1_pid == pytest.approx(2 / 3)  # valve 1, pump 0, designation 1; the resistor is no P&ID class
    assert scores.to_dict()["mean_f1_pid"] == pytest.approx(0.6667)
    assert "mean F1 (P&ID classes)" in scores.table() and "pump" in scores.table()


def test_no_pid_mean_without_a_pid_symbol() -> None:
    matcher = SymbolMatcher()
    matcher.update([], SheetBoxes(((RESISTOR, (0, 0, 10, 10)), (class_index("terminal"), (20, 0, 30, 10)))))
    scores = matcher.scores()
    assert math.isnan(scores.mean_f1_pid) and scores.to_dict()["mean_f1_pid"] is None
    assert "P&ID" not in scores.table()
