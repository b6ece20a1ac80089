"""Text joins at gaps measured in text height: a label is one symbol at any size, separate labels stay apart.

The sheets are drawn as CAD tools plot them: the pen stays 1 px while the letters (and the gaps between
them) grow with the text, so a gap counted in stroke widths would cut large text into pieces.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from schemseg_sdk import Segmenter, instances, sheet_scale
from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.instances import TEXT_CLASS, GroupingSettings, group_symbols

DESIGNATION = class_index(TEXT_CLASS)
TAGS = ("FIC-101", "PV-2301", '6"-P-1203-A1A', "LT-4711")  # a tag, a valve, a line number, a level transmitter


def _labelled_sheet(
    text_px: int, tags: tuple[str, ...] = TAGS, spacing: float = 3.0
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int, int]]]:
    """``tags`` on one line, ``text_px`` high, ``spacing`` text heights apart, between 1 px pipes (a CAD
    plot's hairlines, whatever the resolution); the mask labels the text's ink ``designation``. Returns
    the image, the mask and each tag's ink box."""
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, text_px, 1)
    widths = [cv2.getTextSize(tag, font, scale, 1)[0][0] for tag in tags]
    image = np.full((7 * text_px, sum(widths) + int((len(tags) + 3) * spacing * text_px), 3), 255, np.uint8)
    x = 2 * text_px
    for tag, width in zip(tags, widths):
        cv2.putText(image, tag, (x, 4 * text_px), font, scale, (0, 0, 0), 1, cv2.LINE_8)
        x += width + int(spacing * text_px)
    ink = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) < 128
    for y in (*range(2, 2 * text_px, 8), *range(5 * text_px, 7 * text_px - 2, 8)):
        image[y, 2:-2] = 0  # the pen's lines outnumber the text's strokes, as on a sheet
    boxes = []
    count, labels = cv2.connectedComponents(_join_rows(ink, text_px * spacing / 2), connectivity=8)
    for label in range(1, count):
        rows, cols = np.nonzero((labels == label) & ink)
        boxes.append((int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1))
    return image, np.where(ink, DESIGNATION, 0).astype(np.uint8), sorted(boxes)


def _join_rows(ink: np.ndarray, reach: float) -> np.ndarray:
    """``ink`` smeared sideways by ``reach`` pixels: what the test knows to be one tag."""
    return cv2.dilate(ink.view(np.uint8), np.ones((1, 2 * int(reach) + 1), np.uint8))


@pytest.mark.parametrize("size", [1, 2, 4])
def test_each_label_is_one_symbol_whatever_its_size(size: int) -> None:
    image, mask, boxes = _labelled_sheet(10 * size)
    grouped = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image)
    assert grouped.stroke_width == 1.0  # the pen does not grow with the text...
    assert len(boxes) == len(TAGS)
    cap_height = np.median([y1 - y0 for _, y0, _, y1 in boxes])
    assert grouped.text_height == pytest.approx(cap_height, rel=0.15)  # ...the text does, and is measured
    assert sorted(s.bbox for s in grouped.symbols) == boxes
    assert {s.class_name for s in grouped.symbols} == {TEXT_CLASS}


@pytest.mark.parametrize("size", [1, 4])
def test_labels_a_text_height_apart_stay_apart(size: int) -> None:
    image, mask, boxes = _labelled_sheet(10 * size, spacing=1.2)
    grouped = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image)
    assert len(grouped.symbols) == len(TAGS)
    assert sorted(s.bbox for s in grouped.symbols) == boxes


def test_text_gap_is_counted_in_text_heights() -> None:
    """At 40 px text the letters stand 5-12 px apart: further than ``merge_gap`` strokes of a 1 px pen."""
    image, mask, _ = _labelled_sheet(40)
    confidence = np.full(mask.shape, 0.9, np.float32)
    letters = sum(tag.replace("-", "").replace('"', "").__len__() for tag in TAGS)
    tight = group_symbols(mask, confidence, image, settings=GroupingSettings(text_gap=0.05))
    assert len(tight.symbols) >= letters - 2  # ("i" and '"' are two strokes each: they may be more)
    not_text = [name if name != TEXT_CLASS else "text" for name in CLASS_NAMES]  # no text class: strokes
    assert len(group_symbols(mask, confidence, image, not_text).symbols) > len(TAGS)
    given = group_symbols(mask, confidence, image, text_height=10.0)  # a height given is used: 6 px gaps
    assert given.text_height == 10.0 and len(given.symbols) > len(TAGS)


def test_without_measurable_text_labels_join_at_the_stroke_gap() -> None:
    """One short label is too little text to measure (a dozen characters are needed): stroke widths decide."""
    image, mask, _ = _labelled_sheet(10, ("P1",))
    grouped = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image)
    assert grouped.text_height is None and grouped.describe()["text_height"] is None
    assert len(grouped.symbols) == 1


def test_a_label_painted_in_part_is_one_symbol_spanning_it() -> None:
    """The model missed the middle of each word and painted its ends apart: one symbol over the whole word.
    (Thin characters, a hyphen or a "1", join no run: a tag is then one run per part, see _text_runs.)"""
    image, mask, boxes = _labelled_sheet(20, ("PUMP", "VESSEL", "DRAWN", "FEED", "WATER"))
    painted = mask.copy()
    for x0, _, x1, _ in boxes:
        painted[:, x0 + 2 * (x1 - x0) // 5 : x0 + 3 * (x1 - x0) // 5] = 0  # a fifth: over a text height
    grouped = group_symbols(painted, np.full(mask.shape, 0.9, np.float32), image)
    assert sorted(s.bbox for s in grouped.symbols) == boxes


def test_a_syllable_of_other_text_painted_as_text_is_dropped() -> None:
    """Ink the model hardly calls text (a table's heading, one syllable of it painted) is no label; a
    label it paints whole, on the same sheet, stays."""
    image, mask, boxes = _labelled_sheet(20, (*TAGS, "DESIGN PRESSURE MAX"))
    heading = boxes[-1]
    syllable = heading[0] + (heading[2] - heading[0]) // 4
    mask[:, heading[0] : syllable - (heading[2] - heading[0]) // 8] = 0  # "DE" of 19 characters painted
    mask[:, syllable:] = 0
    grouped = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image)
    assert sorted(s.bbox for s in grouped.symbols) == boxes[:-1]
    kept = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image, settings=GroupingSettings(text_cover=0))
    word = max(s.bbox for s in kept.symbols)  # kept, it spans its word ("DESIGN")
    assert len(kept.symbols) == len(boxes) and word[0] == heading[0] and word[2] > syllable


def test_labels_beside_a_dashed_line_stay_apart() -> None:
    """A signal line's dashes are character-sized: they must not chain the labels along it into one."""
    image, mask, boxes = _labelled_sheet(20)
    below = max(y1 for _, _, _, y1 in boxes) + 5  # a third of a text height under the labels
    for x in range(0, image.shape[1] - 10, 12):
        image[below : below + 2, x : x + 8] = 0
    grouped = group_symbols(mask, np.full(mask.shape, 0.9, np.float32), image)
    assert sorted(s.bbox for s in grouped.symbols) == boxes


def test_a_text_height_measured_as_none_is_not_measured_again() -> None:
    """``text_height=None``: the caller measured the sheet and found too little text; ``"auto"`` (the default)
    measures it here."""
    image, mask, _ = _labelled_sheet(10)
    confidence = np.full(mask.shape, 0.9, np.float32)
    assert group_symbols(mask, confidence, image).text_height is not None
    assert group_symbols(mask, confidence, image, text_height=None).text_height is None


def test_the_segmenter_measures_text_once_per_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a sheet whose text is too little to measure, grouping takes the Segmenter's measure (none found)
    instead of measuring the sheet again."""
    image = np.full((120, 240, 3), 255, np.uint8)  # a resistor on a wire, and its label
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(image, "R12", (20, 60), font, cv2.getFontScaleFromHeight(font, 14, 1), (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(image, (140, 40), (200, 70), (0, 0, 0), 2)
    cv2.line(image, (120, 55), (230, 55), (0, 0, 0), 2)
    grouping_measured: list[float | None] = []

    def measured(sheet: np.ndarray) -> sheet_scale.ScaleMeasure:
        found = sheet_scale.measure_scale(sheet)
        grouping_measured.append(found.text_px)
        return found

    monkeypatch.setattr(instances, "measure_scale", measured)
    with Segmenter(device="cpu", threads=2, classifier=None) as segmenter:
        result = segmenter.predict(image)
    assert (result.mask == DESIGNATION).any()  # text predicted: grouping would measure it, given nothing
    assert result.scale is not None and result.scale["text_px"] is None
    assert result.grouping is not None and result.grouping["text_height"] is None
    assert grouping_measured == []
