"""``render_sheet``: one random circuit, P&ID or mixed drawing with its class mask."""
from __future__ import annotations

import cv2
import numpy as np

from . import symbols_common as sm
from .artefacts import degrade, ink_to_page, rotate_pair
from .canvas import SheetCanvas
from .catalog import SyntheticSheet
from .layout import Layout
from .layout_circuit import draw_columns, draw_opamp_stage
from .layout_pid import draw_pid
from .strokes import Pen, arrow_head, text_ink

__all__ = ["render_sheet", "GENERATOR_VERSION"]

GENERATOR_VERSION = "1"
"""Bumped whenever the same seed would give a different sheet."""

_FONTS = (cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
          cv2.FONT_HERSHEY_COMPLEX_SMALL, cv2.FONT_HERSHEY_PLAIN)
_FONT_P = (0.5, 0.25, 0.08, 0.07, 0.06, 0.04)
Region = tuple[int, int, int, int]


def render_sheet(seed: int, size: int = 600, *, artefacts: bool = True) -> SyntheticSheet:
    """Draw one synthetic sheet; the same ``(seed, size)`` always gives the same arrays.

    Args:
        seed: any non-negative integer.
        size: side of the square sheet in pixels.
        artefacts: apply paper tone, blur, noise, JPEG and skew (off: clean ink, exact masks).

    >>> sheet = render_sheet(7, size=256)
    >>> sheet.image.shape, sheet.mask.shape
    ((256, 256, 3), (256, 256))
    """
    rng = np.random.default_rng(seed)
    canvas = SheetCanvas(size)
    lay = _new_layout(canvas, rng, size)
    region = _distractors_before(lay)
    kind = rng.choice(["circuit", "pid", "mixed"], p=[0.6, 0.18, 0.22])
    for sub, sub_kind in _split(region, str(kind), rng):
        lay.pid = sub_kind == "pid"
        if sub_kind == "pid":
            draw_pid(lay, sub)
        elif sub_kind == "opamp":
            draw_opamp_stage(lay, sub)
        else:
            draw_columns(lay, sub)
    lay.flush_labels()
    lay.finish_wires()
    _distractors_after(lay)
    lay.flush_labels()
    if not artefacts:
        image = cv2.cvtColor(255 - canvas.ink, cv2.COLOR_GRAY2BGR)
        return SyntheticSheet(image, canvas.mask, canvas.instances)
    image = degrade(ink_to_page(canvas.ink, rng), rng)
    mask, instances = canvas.mask, canvas.instances
    if rng.random() < 0.2:
        angle = float(rng.uniform(-1.5, 1.5))
        image, mask = rotate_pair(image, mask, angle)
        instances = _rotate_boxes(instances, angle, size)
    return SyntheticSheet(np.ascontiguousarray(image), mask, instances)


def _new_layout(canvas: SheetCanvas, rng: np.random.Generator, size: int) -> Layout:
    zoom = size / 600.0
    base = float(rng.uniform(8.0, 24.0)) * zoom
    width = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.5, 0.17, 0.03]))
    if base < 10 * zoom:
        width = min(width, 2)
    font = int(_FONTS[int(rng.choice(len(_FONTS), p=_FONT_P))])
    text_thickness = 1 if rng.random() < 0.6 or width == 1 else 2
    pen = Pen(width=max(1, int(round(width * min(1.0, zoom * 1.2)))), font=font, text_thickness=text_thickness)
    text_height = float(np.clip(base * rng.uniform(0.7, 1.1), 7 * zoom, 18 * zoom))
    return Layout(canvas, rng, pen, base, text_height)


def _split(region: Region, kind: str, rng: np.random.Generator) -> list[tuple[Region, str]]:
    x0, y0, x1, y1 = region
    if kind == "pid":
        return [(region, "pid")]
    first = "opamp" if rng.random() < 0.2 else "columns"
    if kind == "circuit" and rng.random() < 0.6:
        return [(region, first)]
    second = "pid" if kind == "mixed" else ("opamp" if rng.random() < 0.4 else "columns")
    if rng.random() < 0.5:
        xm = int(rng.uniform(0.4, 0.6) * (x1 - x0)) + x0
        return [((x0, y0, xm, y1), first), ((xm, y0, x1, y1), second)]
    ym = int(rng.uniform(0.4, 0.6) * (y1 - y0)) + y0
    return [((x0, y0, x1, ym), first), ((x0, ym, x1, y1), second)]


def _distractors_before(lay: Layout) -> Region:
    """Grid, frame and title block (all background); returns the area left for the drawing."""
    rng, canvas, size = lay.rng, lay.canvas, lay.canvas.size
    if rng.random() < 0.04:
        step = int(rng.integers(15, 50))
        tone = int(rng.integers(20, 70))
        canvas.ink[::step, :] = np.maximum(canvas.ink[::step, :], tone)
        canvas.ink[:, ::step] = np.maximum(canvas.ink[:, ::step], tone)
    m = [int(rng.uniform(0.01, 0.12) * size) for _ in range(4)]
    region = (m[0], m[1], size - m[2], size - m[3])
    if rng.random() < 0.2:
        f = int(rng.integers(3, 12))
        cv2.rectangle(canvas.ink, (f, f), (size - f - 1, size - f - 1), 255, lay.pen.width, cv2.LINE_AA)
        region = (max(region[0], f + 12), max(region[1], f + 12), min(region[2], size - f - 12),
                  min(region[3], size - f - 12))
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


def _distractors_after(lay: Layout) -> None:
    """Signal arrows beside wires (background, as in textbooks) and free annotation text."""
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
        box = (int(min(p0[0], p1[0])) - 6, int(min(p0[1], p1[1])) - 6, int(max(p0[0], p1[0])) + 7,
               int(max(p0[1], p1[1])) + 7)
        if not lay.canvas.is_free(box) or lay._hits_wire(box):
            continue
        lay.canvas.draw_wire([p0, p1], lay.pen)
        head = np.asarray(arrow_head(p1, d, lay.base * 0.45, lay.base * 0.2))
        pts = np.round(head * 16).astype(np.int32)
        cv2.fillPoly(lay.canvas.ink, [pts], 255, cv2.LINE_AA, 4)
        lay.canvas.reserve(box)
        main, sub = sm.circuit_label(rng, "I")
        lay.label(box, main, sub)


def _rotate_boxes(instances: list[tuple[int, tuple[int, int, int, int]]], angle: float,
                  size: int) -> list[tuple[int, tuple[int, int, int, int]]]:
    m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    out = []
    for cid, (x0, y0, x1, y1) in instances:
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ m.T
        lo = np.clip(np.floor(corners.min(0)), 0, size).astype(int)
        hi = np.clip(np.ceil(corners.max(0)), 0, size).astype(int)
        out.append((cid, (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))))
    return out
