"""LabelMe label maps and shapes, shared by the reader (:mod:`.labelme`) and the painter (:mod:`.paint`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from schemseg_sdk.classes import CLASS_NAMES

__all__ = ["LabelMap", "Shape", "ShapeKind"]

ShapeKind = Literal["rectangle", "polygon"]


@dataclass(frozen=True)
class LabelMap:
    """LabelMe label -> class id in ``class_names``, or None for "ignore the pixels of this label"."""

    name: str  # the bundled name or the file path, as given
    class_ids: dict[str, int | None]
    class_names: tuple[str, ...] = CLASS_NAMES  # the dataset's class list (background first)


@dataclass(frozen=True)
class Shape:
    """One LabelMe shape: a rectangle (two corners) or a polygon (three or more vertices)."""

    label: str
    kind: ShapeKind
    points: np.ndarray  # float (N, 2) of x, y in image pixels

    @property
    def area(self) -> float:
        if self.kind == "rectangle":
            (x0, y0), (x1, y1) = self.points
            return abs(float(x1 - x0) * float(y1 - y0))
        x, y = self.points[:, 0], self.points[:, 1]
        return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
