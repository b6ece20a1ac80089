"""Straight segments of the traced lines: horizontal and vertical runs, and the rest as boxes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from ._regions import lookup, regions
from .lines import LineTrace

__all__ = ["Segment", "SegmentShape", "find_segments"]

SegmentShape = Literal["horizontal", "vertical", "other"]


@dataclass(frozen=True)
class Segment:
    """A straight stretch of one net's line, from ``(x0, y0)`` to ``(x1, y1)`` in pixels.

    ``shape`` is ``"horizontal"`` or ``"vertical"`` for runs along the sheet's axes and ``"other"``
    for what is left (slanted leads, hops, arcs), given by its box corners.
    """

    net: int
    x0: int
    y0: int
    x1: int
    y1: int
    shape: SegmentShape

    def to_dict(self) -> dict[str, object]:
        return {"from": [self.x0, self.y0], "to": [self.x1, self.y1], "shape": self.shape}


def find_segments(trace: LineTrace) -> list[Segment]:
    """Cut every kept line piece into horizontal runs, vertical runs and other pieces, each with its net."""
    if trace.net_count == 0:
        return []
    kept = trace.net_of >= 0
    line = lookup(kept, trace.labels).view(np.uint8)
    run = round(max(6.0, 3.0 * trace.stroke_width))
    segments: list[Segment] = []
    straight = np.zeros_like(line)
    for shape, kernel in (("horizontal", np.ones((1, run), np.uint8)), ("vertical", np.ones((run, 1), np.uint8))):
        opened = cv2.morphologyEx(line, cv2.MORPH_OPEN, kernel)
        straight |= opened
        segments += _boxes(opened, trace, shape)  # type: ignore[arg-type]
    grow = int(np.ceil(trace.stroke_width)) + 1
    rest = (line > 0) & (cv2.dilate(straight, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) == 0)
    segments += _boxes(rest.view(np.uint8), trace, "other", min_area=2.0 * trace.stroke_width**2)
    return segments


def _boxes(pieces: np.ndarray, trace: LineTrace, shape: SegmentShape, min_area: float = 0.0) -> list[Segment]:
    found = []
    for (x, y, w, h), pixels in regions(pieces):
        if pixels.sum() < min_area:
            continue
        labels = trace.labels[y : y + h, x : x + w][pixels]
        labels = labels[labels > 0]
        if labels.size == 0:
            continue
        net = int(trace.net_of[int(np.bincount(labels).argmax())])
        if net < 0:
            continue
        if shape == "horizontal":
            found.append(Segment(net, x, y + h // 2, x + w - 1, y + h // 2, shape))
        elif shape == "vertical":
            found.append(Segment(net, x + w // 2, y, x + w // 2, y + h - 1, shape))
        else:
            found.append(Segment(net, x, y, x + w - 1, y + h - 1, shape))
    return found
