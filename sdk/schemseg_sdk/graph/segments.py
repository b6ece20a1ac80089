"""Straight segments of the traced lines: horizontal and vertical runs, and the rest as boxes."""

from __future__ import annotations

from dataclasses import dataclass, replace
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


_BAND_ROWS = 2048  # the sheet is cut in bands of rows so that the working masks stay small on big scans


def find_segments(trace: LineTrace) -> list[Segment]:
    """Cut every kept line piece into horizontal runs, vertical runs and other pieces, each with its net.

    The sheet is worked in bands of rows (each read with a margin, so runs are found as on the
    whole sheet); vertical runs cut by a band's edge are joined again.
    """
    if trace.net_count == 0:
        return []
    kept = trace.net_of >= 0
    margin = round(max(6.0, 3.0 * trace.stroke_width)) + int(np.ceil(trace.stroke_width)) + 2
    height = trace.labels.shape[0]
    segments: list[Segment] = []
    for top in range(0, height, _BAND_ROWS):
        bottom = min(height, top + _BAND_ROWS)
        lo, hi = max(0, top - margin), min(height, bottom + margin)
        band = LineTrace(trace.labels[lo:hi], trace.net_of, trace.net_count, trace.dashed, trace.stroke_width)
        for s in _band_segments(band, kept):
            s = replace(s, y0=s.y0 + lo, y1=s.y1 + lo)
            if s.shape == "vertical":
                s = replace(s, y0=max(s.y0, top), y1=min(s.y1, bottom - 1))
                if s.y0 <= s.y1:
                    segments.append(s)
            elif top <= s.y0 < bottom:
                segments.append(s)
    return _join_vertical(segments)


def _band_segments(trace: LineTrace, kept: np.ndarray) -> list[Segment]:
    line = lookup(kept, trace.labels).view(np.uint8)
    run = round(max(6.0, 3.0 * trace.stroke_width))
    segments: list[Segment] = []
    straight = np.zeros_like(line)
    for shape, kernel in (("horizontal", np.ones((1, run), np.uint8)), ("vertical", np.ones((run, 1), np.uint8))):
        opened = cv2.morphologyEx(line, cv2.MORPH_OPEN, kernel)
        np.bitwise_or(straight, opened, out=straight)
        segments += _boxes(opened, trace, shape)  # type: ignore[arg-type]
    grow = int(np.ceil(trace.stroke_width)) + 1
    rest = (line > 0) & (cv2.dilate(straight, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)) == 0)
    segments += _boxes(rest.view(np.uint8), trace, "other", min_area=2.0 * trace.stroke_width**2)
    return segments


def _join_vertical(segments: list[Segment]) -> list[Segment]:
    """Join vertical runs of one net at one column that a band edge cut apart."""
    others = [s for s in segments if s.shape != "vertical"]
    joined: list[Segment] = []
    for s in sorted((s for s in segments if s.shape == "vertical"), key=lambda s: (s.net, s.x0, s.y0)):
        last = joined[-1] if joined else None
        if last is not None and last.net == s.net and abs(last.x0 - s.x0) <= 1 and s.y0 <= last.y1 + 1:
            joined[-1] = replace(last, y1=max(last.y1, s.y1))
        else:
            joined.append(s)
    return others + joined


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
