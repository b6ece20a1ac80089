"""``render_sheet``: one random circuit, P&ID or mixed drawing with its class mask."""

from __future__ import annotations

import cv2
import numpy as np

from .artefacts import degrade, ink_to_page, rotate_pair
from .canvas import SheetCanvas
from .catalog import SyntheticSheet
from .distractors import draw_annotations, draw_furniture
from .layout import Layout
from .layout_circuit import draw_columns, draw_opamp_stage
from .layout_pid import draw_pid
from .strokes import Pen

__all__ = ["render_sheet", "GENERATOR_VERSION"]

GENERATOR_VERSION = "5"
"""Bumped whenever the same seed would give a different sheet."""

_FONTS = (
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
    cv2.FONT_HERSHEY_PLAIN,
)
_FONT_P = (0.5, 0.25, 0.08, 0.07, 0.06, 0.04)
Region = tuple[int, int, int, int]


def render_sheet(
    seed: int, size: int = 600, *, artefacts: bool = True, broken_wire_share: float = 0.1
) -> SyntheticSheet:
    """Draw one synthetic sheet; the same ``(seed, size)`` always gives the same arrays.

    Args:
        seed: any non-negative integer.
        size: side of the square sheet in pixels.
        artefacts: apply paper tone, blur, noise, JPEG and skew (off: clean ink, exact masks).
        broken_wire_share: of the wire crossovers, the share drawn as a broken wire rather than a hop
            (another share changes more than the crossovers: the two styles draw different random numbers).

    >>> sheet = render_sheet(7, size=256)
    >>> sheet.image.shape, sheet.mask.shape
    ((256, 256, 3), (256, 256))
    """
    rng = np.random.default_rng(seed)
    canvas = SheetCanvas(size)
    lay = _new_layout(canvas, rng, size)
    lay.broken_wire_share = broken_wire_share
    region = draw_furniture(lay)
    kind = rng.choice(["circuit", "pid", "mixed"], p=[0.65, 0.15, 0.2])
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
    draw_annotations(lay)
    lay.flush_labels()
    if not artefacts:
        image = cv2.cvtColor(255 - canvas.ink, cv2.COLOR_GRAY2BGR)
        return SyntheticSheet(image, canvas.mask, canvas.instances, canvas.connections)
    image = degrade(ink_to_page(canvas.ink, rng), rng)
    mask, instances = canvas.mask, canvas.instances
    if rng.random() < 0.2:
        angle = float(rng.uniform(-1.5, 1.5))
        image, mask = rotate_pair(image, mask, angle)
        instances = _rotate_boxes(instances, angle, size)
        turn = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
        return SyntheticSheet(np.ascontiguousarray(image), mask, instances, canvas.connections, turn)
    return SyntheticSheet(np.ascontiguousarray(image), mask, instances, canvas.connections)


def _new_layout(canvas: SheetCanvas, rng: np.random.Generator, size: int) -> Layout:
    zoom = size / 600.0
    base = float(np.exp(rng.uniform(np.log(9.0), np.log(30.0)))) * zoom  # px per symbol unit
    width = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.5, 0.17, 0.03]))
    width = max(1, min(width, int(round(base / 6.0))))  # thick pens only on big symbols
    font = int(_FONTS[int(rng.choice(len(_FONTS), p=_FONT_P))])
    text_height = float(np.clip(base * rng.uniform(0.7, 1.2), 8 * zoom, 24 * zoom))
    text_thickness = 2 if text_height >= 13 * zoom and width > 1 and rng.random() < 0.5 else 1
    pen = Pen(width=max(1, int(round(width * min(1.0, zoom * 1.2)))), font=font, text_thickness=text_thickness)
    return Layout(canvas, rng, pen, base, text_height)


def _split(region: Region, kind: str, rng: np.random.Generator) -> list[tuple[Region, str]]:
    x0, y0, x1, y1 = region
    if kind == "pid":
        return [(region, "pid")]
    first = "opamp" if rng.random() < 0.08 else "columns"
    if kind == "circuit" and rng.random() < 0.6:
        return [(region, first)]
    second = "pid" if kind == "mixed" else ("opamp" if rng.random() < 0.4 else "columns")
    if rng.random() < 0.5:
        xm = int(rng.uniform(0.4, 0.6) * (x1 - x0)) + x0
        return [((x0, y0, xm, y1), first), ((xm, y0, x1, y1), second)]
    ym = int(rng.uniform(0.4, 0.6) * (y1 - y0)) + y0
    return [((x0, y0, x1, ym), first), ((x0, ym, x1, y1), second)]


def _rotate_boxes(
    instances: list[tuple[int, tuple[int, int, int, int]]], angle: float, size: int
) -> list[tuple[int, tuple[int, int, int, int]]]:
    m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    out = []
    for cid, (x0, y0, x1, y1) in instances:
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ m.T
        lo = np.clip(np.floor(corners.min(0)), 0, size).astype(int)
        hi = np.clip(np.ceil(corners.max(0)), 0, size).astype(int)
        out.append((cid, (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))))
    return out
