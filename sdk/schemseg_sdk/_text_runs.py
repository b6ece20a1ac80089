"""Text as it stands on the drawing: runs of character-sized ink, for grouping the text class by words.

The model paints text pixel by pixel and often paints only part of a word: a few letters of a tag, or
a syllable of a table's heading. On the drawing itself a word, a tag or a line number is a run of
characters, ink components about one text height ``h`` in size, each within ``text_gap * h`` of the
next. Grouping (:mod:`~schemseg_sdk.instances`, step 4) joins the text instances that lie on one run,
gives them the run's extent, and drops those that cover only a small part of their runs' ink: a
syllable of a table's text is not a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["TextRuns", "find_text_runs"]

_INK_THRESHOLD = 128  # gray below this is ink (as for the stroke width)
CHARACTER_SIZE = 2.0
"""Ink components up to this many text heights tall and wide are characters (a letter, two touching
letters, a digit with its bracket); larger ones are lines, frames and symbols, which join no run."""
CHARACTER_THICKNESS = 0.3
"""...and at least this many text heights across both ways: dashes, dots and ticks are thinner, and
would chain the labels beside a dashed line into one run (hyphens, "1" and "I" are left out too: the
text instance that covers them joins the runs on either side)."""


@dataclass(frozen=True)
class TextRuns:
    """The text runs of a crop of a sheet.

    Attributes:
        class_id: the text class (``designation``).
        height: the sheet's text height in pixels.
        labels: ``(H, W)`` int32 over the crop: the run of each character ink pixel, 0 elsewhere.
        boxes: ``(R, 4)`` ``x0, y0, x1, y1`` (exclusive) of each run's ink in the crop's coordinates
            (row 0: none); a run may reach beyond the crop.
    """

    class_id: int
    height: float
    labels: np.ndarray
    boxes: np.ndarray


def find_text_runs(
    gray: np.ndarray, mask: np.ndarray, corner: tuple[int, int], class_id: int, height: float, gap: float
) -> TextRuns:
    """The text runs of the crop of ``gray`` (the whole sheet) at ``corner`` the size of ``mask``.

    Characters are ink components at most :data:`CHARACTER_SIZE` text heights (``height``) in size
    and at least :data:`CHARACTER_THICKNESS` across, leaving out ink the model (``mask``) gives another
    symbol class than ``class_id``; characters ``gap`` pixels apart or closer are one run.
    """
    x0, y0 = corner
    ink = gray < _INK_THRESHOLD
    crop = ink[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
    crop &= (mask == 0) | (mask == class_id)  # (a view: ink of other symbols is no text)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    sides = np.sort(stats[:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]], axis=1)
    character = (sides[:, 1] <= CHARACTER_SIZE * height) & (sides[:, 0] >= CHARACTER_THICKNESS * height)
    character[0] = False
    letters = character[parts]
    side = 2 * int(round(gap / 2)) + 1
    grown = cv2.dilate(letters.view(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    _, runs = cv2.connectedComponents(grown, connectivity=8, ltype=cv2.CV_32S)
    runs[~letters] = 0
    run_of_part = np.zeros(count, np.int64)
    run_of_part[parts[letters]] = runs[letters]  # every pixel of a character lies in one run
    boxes = np.zeros((int(runs.max()) + 1, 4), np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    chosen = np.flatnonzero(character)
    left, top = stats[chosen, cv2.CC_STAT_LEFT], stats[chosen, cv2.CC_STAT_TOP]
    right, bottom = left + stats[chosen, cv2.CC_STAT_WIDTH], top + stats[chosen, cv2.CC_STAT_HEIGHT]
    np.minimum.at(boxes[:, 0], run_of_part[chosen], left - x0)
    np.minimum.at(boxes[:, 1], run_of_part[chosen], top - y0)
    np.maximum.at(boxes[:, 2], run_of_part[chosen], right - x0)
    np.maximum.at(boxes[:, 3], run_of_part[chosen], bottom - y0)
    labels = np.ascontiguousarray(runs[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]])
    return TextRuns(class_id, height, labels, boxes)
