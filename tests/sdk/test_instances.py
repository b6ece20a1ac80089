"""Symbol grouping: one class per symbol, fragments joined, confident neighbours kept apart, specks dropped."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from schemseg_sdk import Segmenter
from schemseg_sdk._instance_labels import InstanceLabels
from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.instances import GroupingSettings, estimate_stroke_width, find_instances, group_symbols

RESISTOR, CAPACITOR, DESIGNATION, JUNCTION = (
    class_index(n) for n in ("resistor", "capacitor", "designation", "junction")
)


def _sheet(size: tuple[int, int] = (120, 160)) -> np.ndarray:
    return np.full((*size, 3), 255, np.uint8)


def _ink(image: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], class_id: int) -> None:
    """A 2 px stroke rectangle outline in ``box``, drawn on the image and labelled in the mask."""
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = 0
    image[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] = 255
    mask[y0:y1, x0:x1][cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY) < 128] = class_id


@pytest.mark.parametrize("width", [1, 3, 5])
def test_stroke_width_of_lines(width: int) -> None:
    image = _sheet((200, 200))
    for y in range(20, 180, 20):
        image[y : y + width, 10:190] = 0  # horizontal strokes exactly `width` px thick
    image[10:190, 100 : 100 + width] = 0
    assert estimate_stroke_width(image) == width
    assert estimate_stroke_width(_sheet()) == 1.0  # blank


def test_even_stroke_widths_read_one_less() -> None:
    image = _sheet((200, 200))
    image[20:100, 50:54] = 0
    image[120:122, 10:190] = 0
    assert estimate_stroke_width(image) in (1.0, 3.0)  # no centre pixel: the ridge sits half a pixel off


def test_a_symbol_painted_in_two_classes_becomes_one_of_the_confident_class() -> None:
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 80, 50), RESISTOR)
    right = mask[:, 60:]
    right[right == RESISTOR] = CAPACITOR  # the model painted a third of it another class, unsure there
    confidence = np.where(mask == RESISTOR, 0.9, 0.4).astype(np.float32)
    grouped = group_symbols(mask, confidence, image)
    assert [(s.class_name, s.bbox) for s in grouped.symbols] == [("resistor", (20, 20, 80, 50))]
    assert set(np.unique(grouped.mask)) == {0, RESISTOR}
    assert np.array_equal(grouped.mask != 0, mask != 0)  # repainted, not redrawn
    symbol = grouped.symbols[0]
    assert symbol.area == int((mask != 0).sum())
    assert symbol.confidence == pytest.approx(0.9 * (mask == RESISTOR).sum() / symbol.area, rel=1e-4)


def test_touching_symbols_both_confident_stay_apart() -> None:
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 80, 50), RESISTOR)
    _ink(image, mask, (79, 25, 110, 45), DESIGNATION)  # touches the resistor's right edge
    confidence = np.full(mask.shape, 0.95, np.float32)
    names = sorted(s.class_name for s in group_symbols(mask, confidence, image).symbols)
    assert names == ["designation", "resistor"]


def test_without_a_classifier_splits_need_split_confidence() -> None:
    """Touching symbols whose second class is 0.7 sure: the vote alone splits them at ``split_confidence``
    (0.8 by default: not split); ``judged_split_confidence`` is for grouping with a classifier only."""
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 80, 50), RESISTOR)
    _ink(image, mask, (79, 25, 110, 45), DESIGNATION)
    confidence = np.where(mask == DESIGNATION, 0.7, 0.95).astype(np.float32)
    assert GroupingSettings().split_confidence == 0.8 and GroupingSettings().judged_split_confidence == 0.6

    def names(settings: GroupingSettings) -> list[str]:
        return sorted(s.class_name for s in group_symbols(mask, confidence, image, settings=settings).symbols)

    assert names(GroupingSettings()) == ["resistor"]
    assert names(GroupingSettings(judged_split_confidence=0.5)) == ["resistor"]
    assert names(GroupingSettings(split_confidence=0.6)) == ["designation", "resistor"]


def test_fragments_of_one_class_join_far_ones_do_not() -> None:
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 40, 50), CAPACITOR)
    _ink(image, mask, (43, 20, 63, 50), CAPACITOR)  # 3 px (3 stroke widths) away: the other plate
    _ink(image, mask, (120, 20, 140, 50), CAPACITOR)  # far away: another capacitor
    symbols = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image).symbols
    assert [s.bbox for s in symbols] == [(20, 20, 63, 50), (120, 20, 140, 50)]


def test_specks_and_unsure_small_regions_are_dropped_confident_dots_kept() -> None:
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 80, 50), RESISTOR)
    mask[100, 100] = RESISTOR  # one pixel: below min_area * w**2
    cv2.circle(mask, (140, 100), 1, JUNCTION, -1)  # a junction dot, confident
    cv2.circle(mask, (20, 100), 1, CAPACITOR, -1)  # the same size, unsure
    confidence = np.where(mask == CAPACITOR, 0.3, 0.9).astype(np.float32)
    grouped = group_symbols(mask, confidence, image)
    assert sorted(s.class_name for s in grouped.symbols) == ["junction", "resistor"]
    assert grouped.mask[100, 100] == 0 and grouped.mask[100, 20] == 0
    without_confidence = group_symbols(mask, None, image)  # no confidence: only the size rule
    assert sorted(s.class_name for s in without_confidence.symbols) == ["capacitor", "junction", "resistor"]
    assert all(s.confidence is None for s in without_confidence.symbols)


def test_large_instances_the_model_hardly_believes_in_are_dropped() -> None:
    """A big region won by a thin plurality of unsure pixels is dropped; as big a sure one is kept."""
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (10, 10, 70, 70), RESISTOR)
    _ink(image, mask, (90, 10, 150, 70), CAPACITOR)
    confidence = np.where(mask == CAPACITOR, 0.9, 0.0).astype(np.float32)
    left = mask[:, :80]  # the left symbol: resistor pixels at 0.05, a third of them (pixel id) another class
    confidence[:, :80][left != 0] = 0.05
    left[(left != 0) & (np.indices(left.shape).sum(axis=0) % 3 == 0)] = DESIGNATION
    grouped = group_symbols(mask, confidence, image)
    assert [s.class_name for s in grouped.symbols] == ["capacitor"]
    assert not grouped.mask[:, :80].any() and (grouped.mask[:, 80:] == mask[:, 80:]).all()
    kept = group_symbols(mask, confidence, image, settings=GroupingSettings(floor_confidence=0.0))
    assert sorted(s.class_name for s in kept.symbols) == ["capacitor", "resistor"]
    resistor = kept.symbols[0]
    assert resistor.area > GroupingSettings().unsure_area * kept.stroke_width**2  # only the floor drops it
    assert resistor.confidence is not None and resistor.confidence < GroupingSettings().floor_confidence
    assert len(group_symbols(mask, None, image).symbols) == 2  # no confidence: no floor


def test_settings_change_what_joins() -> None:
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 40, 50), CAPACITOR)
    _ink(image, mask, (43, 20, 63, 50), CAPACITOR)
    apart = group_symbols(mask, None, image, settings=GroupingSettings(merge_gap=1.0))
    assert len(apart.symbols) == 2
    assert apart.describe()["merge_gap"] == 1.0 and apart.describe()["stroke_width"] == 1.0


def test_empty_prediction() -> None:
    grouped = group_symbols(np.zeros((30, 40), np.uint8), None, _sheet((30, 40)))
    assert grouped.symbols == [] and not grouped.mask.any()


def test_tiled_sheets_are_grouped_whole(tiny_model: Path, ci2n_dir: Path) -> None:
    """Grouping runs on the stitched sheet: the same as grouping the raw stitched prediction."""
    with Segmenter(tiny_model, device="cpu", grouping=None) as raw, Segmenter(tiny_model, device="cpu") as grouped:
        sheet = ci2n_dir / "0.png"
        plain, result = raw.predict(sheet), grouped.predict(sheet)
    assert result.tiles > 1
    expected = group_symbols(plain.mask, plain.confidence, plain.image, grouped.class_names)
    np.testing.assert_array_equal(result.mask, expected.mask)
    assert result.symbols == expected.symbols
    assert len(result.symbols) < len(plain.symbols)


def test_find_instances_lists_what_grouping_keeps() -> None:
    """The instances a classifier is trained on are the symbols grouping gives without one."""
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 80, 50), RESISTOR)
    _ink(image, mask, (100, 60, 140, 100), CAPACITOR)
    mask[110, 5] = JUNCTION  # a speck: dropped by both
    confidence = np.where(mask == RESISTOR, 0.9, 0.7).astype(np.float32)
    table = find_instances(mask, confidence, image)
    grouped = group_symbols(mask, confidence, image)
    listed = zip(table.classes.tolist(), map(tuple, table.boxes.tolist()), table.areas.tolist())
    assert sorted(listed) == sorted((s.class_id, s.bbox, s.area) for s in grouped.symbols)
    assert len(table.boxes) == 2
    assert table.votes[:, 0].max() == 0 and table.votes[table.classes == RESISTOR, RESISTOR][0] == pytest.approx(0.9)
    assert table.stroke_width == grouped.stroke_width


def test_instances_named_alike_whose_boxes_overlap_join_after_the_classifier() -> None:
    """Step 6's join: parts of one symbol that grouping kept apart (a frame, and a part inside it that another
    class won) become one symbol once they carry one class; a neighbour of that class outside stays apart."""
    image, mask = _sheet(), np.zeros((120, 160), np.uint8)
    _ink(image, mask, (20, 20, 80, 70), RESISTOR)  # the frame
    _ink(image, mask, (40, 35, 60, 55), DESIGNATION)  # inside the frame's box, 13 px from its strokes
    _ink(image, mask, (100, 20, 140, 70), RESISTOR)  # a neighbour, beyond merge_gap
    confidence = np.full(mask.shape, 0.9, np.float32)
    instances = InstanceLabels.label(mask, confidence, 2.0, GroupingSettings())
    assert sorted(instances.winner[instances.keep].tolist()) == [RESISTOR, RESISTOR, DESIGNATION]
    instances.probability = np.where(instances.winner == DESIGNATION, 0.95, 0.7)  # as a classifier would say:
    instances.winner = np.where(instances.winner == DESIGNATION, RESISTOR, instances.winner)  # all resistors
    instances.join_overlapping(GroupingSettings().overlap_join)
    symbols = instances.symbols(CLASS_NAMES, (0, 0), True)
    assert [(s.class_id, s.bbox, s.confidence) for s in symbols] == [
        (RESISTOR, (20, 20, 80, 70), 0.95),
        (RESISTOR, (100, 20, 140, 70), 0.7),
    ]
    assert symbols[0].area == int(((mask != 0) & (np.arange(160) < 90)).sum())
    assert (instances.paint()[mask != 0] == RESISTOR).all()
