"""find_symbols: one symbol per 8-connected region of a class, with bbox, area and mean confidence."""

from __future__ import annotations

import numpy as np
import pytest

from schemseg_sdk.symbols import Symbol, find_symbols


def test_regions_bboxes_areas_and_mean_confidence() -> None:
    mask = np.zeros((10, 12), np.uint8)
    mask[1:4, 2:6] = 1  # 12 px
    mask[4, 6] = 1  # touches the block diagonally: same symbol (8-connected)
    mask[8:10, 0:2] = 1  # another resistor
    mask[6:9, 8:11] = 3  # a capacitor
    confidence = np.full((10, 12), 0.5, np.float32)
    confidence[1:4, 2:6] = 1.0
    symbols = find_symbols(mask, confidence)
    assert symbols == [
        Symbol(1, "resistor", (2, 1, 7, 5), 13, pytest.approx((12 * 1.0 + 0.5) / 13)),
        Symbol(1, "resistor", (0, 8, 2, 10), 4, 0.5),
        Symbol(3, "capacitor", (8, 6, 11, 9), 9, 0.5),
    ]
    x0, y0, x1, y1 = symbols[2].bbox
    assert (mask[y0:y1, x0:x1] == 3).all()


def test_without_confidence_and_with_min_area() -> None:
    mask = np.zeros((5, 5), np.uint8)
    mask[0, 0] = 2
    mask[2:5, 2:5] = 2
    symbols = find_symbols(mask, None, min_area=2)
    assert symbols == [Symbol(2, "resistor_iec", (2, 2, 5, 5), 9, None)]
    assert symbols[0].to_dict() == {
        "class_id": 2,
        "class_name": "resistor_iec",
        "bbox": [2, 2, 5, 5],
        "area": 9,
        "confidence": None,
    }


def test_background_only_and_unknown_ids() -> None:
    assert find_symbols(np.zeros((4, 4), np.uint8)) == []
    mask = np.zeros((4, 4), np.uint8)
    mask[0, 0] = 200
    assert find_symbols(mask, class_names=("background", "a"))[0].class_name == "class_200"


def test_areas_add_up_to_the_class_pixels() -> None:
    mask = np.random.default_rng(0).integers(0, 5, (60, 80)).astype(np.uint8)
    symbols = find_symbols(mask)
    for class_id in range(1, 5):
        assert sum(s.area for s in symbols if s.class_id == class_id) == int((mask == class_id).sum())
