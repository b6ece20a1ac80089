"""Background furniture and annotations that are not symbols (mask 0): grid, frame, title
block, current arrows beside wires, dashed group boxes."""

from __future__ import annotations

import cv2
import numpy as np

from . import symbols_common as sm
from .layout import Layout
from .strokes import arrow_head, text_ink

__all__ = ["draw_furniture", "draw_annotations"]

Region = tuple[int, int, int, int]


def draw_furniture(lay: Layout) -> Region:
    """Grid, frame and title block (all background); returns the area left for the drawing."""
    rng, canvas, size = lay.rng, lay.canvas, lay.canvas.size
    if rng.random() < 0.04:
        step = int(rng.integers(15, 50))
        tone = int(rng.integers(20, 70))
        canvas.ink[::step, :] = np.maximum(canvas.ink[::step, :], tone)
        canvas.ink[:, ::step] = np.maximum(canvas.ink[:, ::step], tone)
    m = [int(rng.uniform(0.01, 0.1) * size) for _ in range(4)]
    if rng.random() < 0.35:  # real figures are often wide and short, or tall and narrow
        short = int(size * rng.uniform(0.15, 0.45))
        first, second = (1, 3) if rng.random() < 0.6 else (0, 2)
        m[first] += short // 2
        m[second] += short - short // 2
    region = (m[0], m[1], size - m[2], size - m[3])
    if rng.random() < 0.2:
        f = int(rng.integers(3, 12))
        cv2.rectangle(canvas.ink, (f, f), (size - f - 1, size - f - 1), 255, lay.pen.width, cv2.LINE_AA)
        region = (
            max(region[0], f + 12),
            max(region[1], f + 12),
            min(region[2], size - f - 12),
            min(region[3], size - f - 12),
        )
        if rng.random() < 0.6:
            region = _title_block(lay, f, region)
    return region


def _title_block(lay: Layout, f: int, region: Region) -> Region:
    rng, canvas, size = lay.rng, lay.canvas, lay.canvas.size
    w, h = int(size * rng.uniform(0.3, 0.45)), int(size * rng.uniform(0.08, 0.14))
    x0, y0, x1, y1 = size - f - 1 - w, size - f - 1 - h, size - f - 1, size - f - 1
    cv2.rectangle(canvas.ink, (x0, y0), (x1, y1), 255, lay.pen.width)
    rows = int(rng.integers(2, 4))
    for i in range(1, rows):
        y = y0 + i * h // rows
        cv2.line(canvas.ink, (x0, y), (x1, y), 255, 1)
        words = ["DWG NO.", "TITLE", "REV", "SCALE", "DATE", "SHEET 1 OF 1", "CHECKED", "APPROVED"]
        ink, _ = text_ink(str(rng.choice(words)), max(5.0, h / rows * 0.45), lay.pen)
        ty = y - h // rows + 2
        canvas.paste(ink[: h // rows - 2, : w - 4], x0 + 3, ty, 0)
    canvas.reserve((x0 - 4, y0 - 4, x1 + 1, y1 + 1))
    return (region[0], region[1], region[2], min(region[3], y0 - 6))


def draw_annotations(lay: Layout) -> None:
    """Signal arrows beside wires (black or grey) and dashed group boxes; all background."""
    _group_box(lay)
    rng = lay.rng
    if lay.pid or not lay.wires:
        return
    for _ in range(int(rng.integers(0, 4))):
        (ax, ay), (bx, by) = lay.wires[int(rng.integers(len(lay.wires)))]
        vertical = ax == bx
        length = abs(by - ay) if vertical else abs(bx - ax)
        if length < lay.base * 2.5:
            continue
        off = lay.base * rng.uniform(0.5, 0.9) * (1 if rng.random() < 0.5 else -1)
        mid = ((ax + bx) / 2 + (off if vertical else 0), (ay + by) / 2 + (0 if vertical else off))
        d = (0.0, 1.0) if vertical else (1.0, 0.0)
        if rng.random() < 0.5:
            d = (-d[0], -d[1])
        span = lay.base * rng.uniform(0.7, 1.3)
        p0 = (mid[0] - d[0] * span / 2, mid[1] - d[1] * span / 2)
        p1 = (mid[0] + d[0] * span / 2, mid[1] + d[1] * span / 2)
        box = (
            int(min(p0[0], p1[0])) - 6,
            int(min(p0[1], p1[1])) - 6,
            int(max(p0[0], p1[0])) + 7,
            int(max(p0[1], p1[1])) + 7,
        )
        if not lay.canvas.is_free(box) or lay._hits_wire(box):
            continue
        value = 255 if rng.random() < 0.8 else int(rng.integers(90, 170))
        lay.canvas.draw_wire([p0, p1], lay.pen, value=value)
        head = np.asarray(arrow_head(p1, d, lay.base * 0.45, lay.base * 0.2))
        pts = np.round(head * 16).astype(np.int32)
        sub = np.zeros_like(lay.canvas.ink)
        cv2.fillPoly(sub, [pts], value, cv2.LINE_AA, 4)
        np.maximum(lay.canvas.ink, sub, out=lay.canvas.ink)
        lay.canvas.reserve(box)
        main, sub = sm.circuit_label(rng, "I")
        lay.label(box, main, sub)


def _group_box(lay: Layout) -> None:
    """A dashed box around a group of parts, as in 'Output Buffer' figures (border avoids symbols)."""
    rng, canvas = lay.rng, lay.canvas
    if rng.random() > 0.12:
        return
    size = canvas.size
    for _ in range(8):
        x0, x1 = sorted(rng.integers(5, size - 5, 2))
        y0, y1 = sorted(rng.integers(5, size - 5, 2))
        if x1 - x0 < size // 5 or y1 - y0 < size // 5:
            continue
        border = np.zeros_like(canvas.taken)
        cv2.rectangle(border, (int(x0), int(y0)), (int(x1), int(y1)), 1, lay.pen.width + 4)
        if (border & canvas.taken).any():
            continue
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        canvas.draw_wire([(float(x), float(y)) for x, y in corners], lay.pen, dashed=True)
        main, sub = sm.circuit_label(rng, "")
        lay.label((int(x0), int(y1) - 2, int(x1), int(y1) + 2), main, sub, sides=("bottom", "top"))
        return
