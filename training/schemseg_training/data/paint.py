"""LabelMe shapes -> a class-id mask.

Painting rule (the real-drawing scoring protocol): shapes are painted largest first, so a smaller
shape overwrites a larger one. A ``rectangle`` gives its class to the dark ink inside it (gray below
the threshold) and background to the paper; a ``polygon`` gives its class to its whole area; a
shape whose label maps to ``null`` marks its area IGNORE_INDEX. Dark pixels outside every shape
stay background, except with ``unboxed_text="ignore"``, where small isolated pieces of ink outside
every shape (characters of text, which such drawings never box) become IGNORE_INDEX while wires,
long connected strokes, stay background. With ``score_dark_only`` every pixel that is not dark
becomes IGNORE_INDEX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from schemseg_sdk.classes import IGNORE_INDEX
from schemseg_sdk.errors import DatasetError

from .shapes import LabelMap, Shape

__all__ = ["ImportSettings", "UnboxedText", "paint_mask", "TEXT_MAX_FRACTION"]

UnboxedText = Literal["background", "ignore"]

TEXT_MAX_FRACTION = 0.03
"""Unboxed ink whose bounding box is at most this share of the image's longer side counts as text."""


@dataclass(frozen=True)
class ImportSettings:
    """How shapes become class ids (see the module docstring)."""

    label_map: LabelMap
    dark_threshold: int = 128
    score_dark_only: bool = False
    unboxed_text: UnboxedText = "background"


def paint_mask(image: np.ndarray, shapes: list[Shape], settings: ImportSettings, source: str) -> np.ndarray:
    """Return the uint8 class-id mask of ``image`` (BGR) for ``shapes`` (see the module rule).

    Raises:
        DatasetError: a label the map does not know, naming ``source`` and the label.
    """
    dark = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) < settings.dark_threshold
    mask = np.zeros(dark.shape, np.uint8)
    covered = np.zeros(dark.shape, bool)
    for shape in sorted(shapes, key=lambda s: -s.area):  # stable: equal areas keep file order
        if shape.label not in settings.label_map.class_ids:
            raise DatasetError(
                f"{source}: label {shape.label!r} is not in the label map {settings.label_map.name!r}; "
                "--map must map it to a schemseg class name or to null (ignore)"
            )
        class_id = settings.label_map.class_ids[shape.label]
        region = _region(shape, dark.shape)
        covered[region] = True
        if class_id is None:
            mask[region] = IGNORE_INDEX
        elif shape.kind == "rectangle":
            mask[region] = np.where(dark[region], np.uint8(class_id), np.uint8(0))
        else:
            mask[region] = class_id
    if settings.unboxed_text == "ignore":
        mask[_small_ink(dark & ~covered)] = IGNORE_INDEX
    if settings.score_dark_only:
        mask[~dark] = IGNORE_INDEX
    return mask


def _small_ink(ink: np.ndarray) -> np.ndarray:
    """Pixels of the 8-connected ink components whose bounding box is small (text-sized)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    limit = max(2.0, TEXT_MAX_FRACTION * max(ink.shape))
    small = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) <= limit
    small[0] = False  # label 0 is everything that is not ink
    return small[labels]


def _region(shape: Shape, size: tuple[int, int]) -> tuple[slice, slice] | np.ndarray:
    """Pixels covered by ``shape``, clipped to the image; corners are rounded and included."""
    height, width = size
    if shape.kind == "rectangle":
        (x0, x1), (y0, y1) = np.sort(np.rint(shape.points).astype(np.int64), axis=0).T
        return slice(max(y0, 0), max(min(y1 + 1, height), 0)), slice(max(x0, 0), max(min(x1 + 1, width), 0))
    fill = np.zeros(size, np.uint8)
    points = np.clip(np.rint(shape.points), -(2**20), 2**20)  # far outside is still outside; no int32 overflow
    cv2.fillPoly(fill, [points.astype(np.int32)], 1)
    return fill.astype(bool)
