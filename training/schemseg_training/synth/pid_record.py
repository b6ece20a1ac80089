"""A sheet canvas that records what it draws, so one composed P&ID can be drawn again at any zoom.

Composing a sheet makes placement decisions against pixels (is this spot free?); done at another
resolution, rounding would change some of them and the rest of the random stream with them. So a
sheet is always composed at the model scale on a :class:`RecordingCanvas`, and another scale is a
:func:`replay` of its drawing operations, every coordinate, symbol scale, pen and text height
multiplied by the zoom: the same sheet, drawn bigger or smaller.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from .canvas import Box, SheetCanvas
from .strokes import Pen, PlacedShape, Placement, Shape, text_ink

__all__ = ["RecordingCanvas", "replay", "pattern_line"]

Point = tuple[float, float]


class _Symbol(NamedTuple):
    class_id: int
    shape: Shape
    placement: Placement
    pen: Pen


class _Wire(NamedTuple):
    points: list[Point]
    pen: Pen
    dashed: bool
    value: int


class _Line(NamedTuple):
    points: list[Point]
    pen: Pen
    dashed: bool


class _Clear(NamedTuple):
    box: Box


class _Text(NamedTuple):
    text: str
    x: int
    y: int
    height: float
    pen: Pen
    turns: int
    class_id: int


class RecordingCanvas(SheetCanvas):
    """A :class:`SheetCanvas` that also keeps a list of its drawing operations for :func:`replay`."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(width, height)
        self.ops: list[_Symbol | _Wire | _Line | _Clear | _Text] = []
        self.pen_px: dict[Pen, float] = {}

    def register_pen(self, width_px: float, font: int, text_thickness: int = 1) -> Pen:
        """A pen ``round(width_px)`` wide whose exact width a replay scales."""
        pen = Pen(width=max(1, int(round(width_px))), font=font, text_thickness=text_thickness)
        self.pen_px.setdefault(pen, width_px)
        return pen

    def draw_symbol(self, class_id: int, shape: Shape, placement: Placement, pen: Pen) -> PlacedShape:
        self.ops.append(_Symbol(class_id, shape, placement, pen))
        return super().draw_symbol(class_id, shape, placement, pen)

    def draw_wire(self, points: list[tuple[float, float]], pen: Pen, dashed: bool = False, value: int = 255) -> None:
        self.ops.append(_Wire([(float(x), float(y)) for x, y in points], pen, dashed, value))
        super().draw_wire(points, pen, dashed, value)

    def log_line(self, points: list[tuple[float, float]], pen: Pen, dashed: bool) -> None:
        self.ops.append(_Line([(float(x), float(y)) for x, y in points], pen, dashed))
        super().log_line(points, pen, dashed)

    def clear(self, box: Box) -> None:
        self.ops.append(_Clear(box))
        super().clear(box)

    def put_text(self, text: str, x: int, y: int, height: float, pen: Pen, turns: int = 0, class_id: int = 0) -> Box:
        """Paste ``text`` with its top-left corner at ``(x, y)`` (turned by quarter turns); returns its box."""
        self.ops.append(_Text(text, x, y, height, pen, turns, class_id))
        ink = text_block(text, height, pen, turns)
        self.paste(ink, x, y, class_id)
        return (x, y, x + ink.shape[1], y + ink.shape[0])


def text_block(text: str, height: float, pen: Pen, turns: int = 0) -> np.ndarray:
    """Ink of ``text``, turned counter-clockwise by ``turns`` quarter turns (text read from below)."""
    ink, _ = text_ink(text, height, pen)
    return np.ascontiguousarray(np.rot90(ink, turns % 4)) if turns % 4 else ink


def pattern_line(points: list[Point], pattern: str, step: float) -> Shape:
    """A signal line in sheet pixels: ``dotted`` (short dashes) or ``slashed`` (pneumatic: a solid line
    with a pair of short slashes every few ``step``); draw it with ``Placement(0, 0, 1.0)``."""
    s = Shape()
    pts = np.asarray(points, np.float64)
    for a, b in zip(pts[:-1], pts[1:]):
        length = float(np.hypot(*(b - a)))
        if length < 1e-6:
            continue
        d = (b - a) / length
        n = np.array([-d[1], d[0]])
        if pattern == "dotted":
            for t in np.arange(0.0, length, step * 0.9):
                p = a + d * t
                q = a + d * min(t + step * 0.3, length)
                s.line(tuple(p), tuple(q))
            continue
        s.line(tuple(a), tuple(b))
        for t in np.arange(step * 2.0, length - step, step * 5.0):
            for off in (-0.25, 0.25):
                c = a + d * (t + off * step)
                s.line(tuple(c - n * step * 0.45 - d * step * 0.2), tuple(c + n * step * 0.45 + d * step * 0.2))
    return s


def _scaled_pen(pen: Pen, pen_px: dict[Pen, float], zoom: float) -> Pen:
    width = pen_px.get(pen, float(pen.width)) * zoom
    return replace(pen, width=max(1, int(round(width))), text_thickness=max(1, int(round(pen.text_thickness * zoom))))


def replay(source: RecordingCanvas, zoom: float) -> SheetCanvas:
    """Draw ``source``'s operations again on a canvas ``zoom`` times as large."""
    w, h = int(round(source.width * zoom)), int(round(source.height * zoom))
    out = SheetCanvas(w, h)
    pens: dict[Pen, Pen] = {}

    def scaled(pen: Pen) -> Pen:
        if pen not in pens:
            pens[pen] = _scaled_pen(pen, source.pen_px, zoom)
        return pens[pen]

    for op in source.ops:
        if isinstance(op, _Symbol):
            pl = op.placement
            placement = Placement(pl.cx * zoom, pl.cy * zoom, pl.scale * zoom, pl.turns, pl.mirror)
            out.draw_symbol(op.class_id, op.shape, placement, scaled(op.pen))
        elif isinstance(op, _Wire):
            out.draw_wire([(x * zoom, y * zoom) for x, y in op.points], scaled(op.pen), op.dashed, op.value)
        elif isinstance(op, _Line):
            out.log_line([(x * zoom, y * zoom) for x, y in op.points], scaled(op.pen), op.dashed)
        elif isinstance(op, _Clear):
            x0, y0, x1, y1 = op.box
            out.clear((int(x0 * zoom), int(y0 * zoom), int(np.ceil(x1 * zoom)), int(np.ceil(y1 * zoom))))
        else:
            ink = text_block(op.text, op.height * zoom, scaled(op.pen), op.turns)
            out.paste(ink, int(round(op.x * zoom)), int(round(op.y * zoom)), op.class_id)
    return out
