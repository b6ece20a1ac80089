"""Vector shapes in symbol-local units, their placement on a sheet, and anti-aliased rendering.

A symbol is built once as a :class:`Shape` in local units (about -1.5..1.5), then placed with a
:class:`Placement` (scale in px per unit, quarter turns, mirroring, centre). Rendering draws the
placed shape into a private ink crop (0 = paper, 255 = full ink), which the sheet composites with
``max``; the same crop gives the symbol's mask, so image and mask cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = [
    "Shape",
    "Placement",
    "PlacedShape",
    "Pen",
    "place_shape",
    "render_ink",
    "fill_holes",
    "arc_points",
    "arrow_head",
    "legible_arrows",
    "text_ink",
    "SHIFT",
    "LEGIBLE_ARROW_PENS",
    "LEGIBLE_ARROW_PX",
]

SHIFT = 4  # cv2 sub-pixel bits: coordinates are multiplied by 16 before drawing
LEGIBLE_ARROW_PENS = 3.0
LEGIBLE_ARROW_PX = 5.0
"""A :meth:`Shape.arrow` is drawn at least this many pen widths (and pixels) long, whatever the
symbol's scale: a shorter head inks into a blob whose direction no reader can tell."""
_ONE = 1 << SHIFT


@dataclass
class Shape:
    """Primitives of one symbol in local units; ``terminals`` are the points wires attach to.

    ``axis`` names the two terminals that a series chain runs through (e.g. ``("a", "b")``).
    ``ports`` names the terminals whose port a drawing choice decides (an op-amp's ``+`` input);
    other circuit symbols take theirs from :data:`~.symbols_circuit.TERMINAL_PORTS`.
    """

    lines: list[tuple[np.ndarray, bool, float]] = field(default_factory=list)
    polys: list[np.ndarray] = field(default_factory=list)
    circles: list[tuple[float, float, float, bool, float]] = field(default_factory=list)
    texts: list[tuple[float, float, str, float]] = field(default_factory=list)
    terminals: dict[str, tuple[float, float]] = field(default_factory=dict)
    axis: tuple[str, str] | None = None
    dashed: bool = False
    ports: dict[str, str] = field(default_factory=dict)
    arrows: list[tuple[np.ndarray, np.ndarray, float, float, bool]] = field(default_factory=list)

    def line(self, *points: tuple[float, float], closed: bool = False, width: float = 1.0) -> Shape:
        """Add a polyline through ``points``."""
        self.lines.append((np.asarray(points, np.float64), closed, width))
        return self

    def path(self, points: np.ndarray, closed: bool = False, width: float = 1.0) -> Shape:
        """Add a polyline from an ``(N, 2)`` array."""
        self.lines.append((np.asarray(points, np.float64), closed, width))
        return self

    def fill(self, *points: tuple[float, float]) -> Shape:
        """Add a filled polygon."""
        self.polys.append(np.asarray(points, np.float64))
        return self

    def arrow(
        self, tip: tuple[float, float], direction: tuple[float, float], length: float, half_width: float, filled: bool
    ) -> Shape:
        """Add an arrowhead whose direction tells the symbol's class (a transistor's polarity): drawn
        like :func:`arrow_head`, but never shorter than :data:`LEGIBLE_ARROW_PENS` pen widths."""
        self.arrows.append((np.asarray(tip, np.float64), np.asarray(direction, np.float64), length, half_width, filled))
        return self

    def circle(self, x: float, y: float, r: float, filled: bool = False, width: float = 1.0) -> Shape:
        """Add a circle (outline, or a filled disc)."""
        self.circles.append((x, y, r, filled, width))
        return self

    def text(self, x: float, y: float, text: str, height: float) -> Shape:
        """Add upright text centred on ``(x, y)``, ``height`` local units tall."""
        self.texts.append((x, y, text, height))
        return self


def _orient_matrix(turns: int, mirror: bool) -> np.ndarray:
    m = np.array([[-1.0, 0.0], [0.0, 1.0]]) if mirror else np.eye(2)
    turn = np.array([[0.0, 1.0], [-1.0, 0.0]])  # row vector (x, y) -> (-y, x): clockwise on screen
    for _ in range(turns):
        m = m @ turn
    return m


_ORIENT_MATRICES = {(k, m): _orient_matrix(k, m) for k in range(4) for m in (False, True)}


@dataclass(frozen=True)
class Placement:
    """Where and how a shape lands on the sheet."""

    cx: float
    cy: float
    scale: float  # px per local unit
    turns: int = 0  # quarter turns, clockwise on screen
    mirror: bool = False  # mirror x before turning

    def matrix(self) -> np.ndarray:
        """The 2x2 linear part (mirror, quarter turns, scale) as applied to row vectors."""
        return _ORIENT_MATRICES[(self.turns % 4, self.mirror)] * self.scale

    def apply(self, pts: np.ndarray) -> np.ndarray:
        """Map local ``(N, 2)`` points to sheet pixels."""
        return np.asarray(pts, np.float64).reshape(-1, 2) @ self.matrix() + (self.cx, self.cy)


@dataclass
class PlacedShape:
    """A shape in sheet pixels, ready to render."""

    lines: list[tuple[np.ndarray, bool, float]]
    polys: list[np.ndarray]
    circles: list[tuple[float, float, float, bool, float]]
    texts: list[tuple[float, float, str, float]]
    terminals: dict[str, tuple[float, float]]
    dashed: bool = False
    arrows: list[tuple[np.ndarray, np.ndarray, float, float, bool]] = field(default_factory=list)

    def bbox(self, pad: float = 0.0) -> tuple[int, int, int, int]:
        """Integer box ``(x0, y0, x1, y1)`` (exclusive end) holding every primitive, grown by ``pad``."""
        chunks = [pts for pts, _, _ in self.lines] + list(self.polys)
        chunks += [
            np.asarray(arrow_head(tuple(tip), tuple(d), length, half)) for tip, d, length, half, _ in self.arrows
        ]
        for x, y, r, _, _ in self.circles:
            chunks.append(np.array([[x - r, y - r], [x + r, y + r]]))
        for x, y, text, h in self.texts:
            w = 0.62 * h * max(len(text), 1)
            chunks.append(np.array([[x - w / 2, y - h], [x + w / 2, y + h]]))
        if not chunks:
            return (0, 0, 0, 0)
        allp = np.concatenate(chunks)
        lo, hi = allp.min(axis=0) - pad, allp.max(axis=0) + pad
        return (int(np.floor(lo[0])), int(np.floor(lo[1])), int(np.ceil(hi[0])) + 1, int(np.ceil(hi[1])) + 1)


@dataclass(frozen=True)
class Pen:
    """Line style of a sheet: stroke width in px and the Hershey font of its text."""

    width: int = 2
    font: int = cv2.FONT_HERSHEY_COMPLEX
    text_thickness: int = 1


def place_shape(shape: Shape, placement: Placement) -> PlacedShape:
    """Transform every primitive of ``shape`` into sheet pixels."""
    m = placement.matrix()
    off = np.array([placement.cx, placement.cy])
    lines = [(p @ m + off, c, w) for p, c, w in shape.lines]
    polys = [p @ m + off for p in shape.polys]
    circles = []
    for x, y, r, f, w in shape.circles:
        px, py = np.array([x, y]) @ m + off
        circles.append((float(px), float(py), r * placement.scale, f, w))
    texts = []
    for x, y, t, h in shape.texts:
        px, py = np.array([x, y]) @ m + off
        texts.append((float(px), float(py), t, h * placement.scale))
    terms = {}
    for k, (x, y) in shape.terminals.items():
        px, py = np.array([x, y]) @ m + off
        terms[k] = (float(px), float(py))
    arrows = [
        (tip @ m + off, d @ m, length * placement.scale, half * placement.scale, f)
        for tip, d, length, half, f in shape.arrows
    ]
    return PlacedShape(lines, polys, circles, texts, terms, shape.dashed, arrows)


def _fx(pts: np.ndarray, x0: int, y0: int) -> np.ndarray:
    return np.round((pts - (x0, y0)) * _ONE).astype(np.int32)


def legible_arrows(placed: PlacedShape, pen: Pen) -> list[tuple[np.ndarray, bool]]:
    """The corners (tip first) of each of ``placed``'s arrows as ``pen`` draws them, and whether filled:
    heads shorter than :data:`LEGIBLE_ARROW_PENS` pen widths (or :data:`LEGIBLE_ARROW_PX`) grow to it,
    keeping their tip and shape."""
    least = max(LEGIBLE_ARROW_PENS * pen.width, LEGIBLE_ARROW_PX)
    out = []
    for tip, d, length, half, filled in placed.arrows:
        grow = max(1.0, least / max(length, 1e-9))
        out.append((np.asarray(arrow_head(tuple(tip), tuple(d), length * grow, half * grow)), filled))
    return out


def render_ink(placed: PlacedShape, pen: Pen) -> tuple[np.ndarray, int, int]:
    """Draw ``placed`` into a private ink crop; returns ``(crop uint8, x0, y0)``."""
    heads = legible_arrows(placed, pen)
    grown = PlacedShape(placed.lines, placed.polys + [head for head, _ in heads], placed.circles, placed.texts, {})
    x0, y0, x1, y1 = grown.bbox(pad=pen.width * 2 + 3)
    crop = np.zeros((max(y1 - y0, 1), max(x1 - x0, 1)), np.uint8)
    for pts, closed, w in placed.lines:
        thick = max(1, int(round(pen.width * w)))
        if placed.dashed:
            _dashed(crop, pts - (x0, y0), closed, thick, pen.width)
        else:
            cv2.polylines(crop, [_fx(pts, x0, y0)], closed, 255, thick, cv2.LINE_AA, SHIFT)
    for poly in placed.polys + [head for head, filled in heads if filled]:
        fp = _fx(poly, x0, y0)
        cv2.fillPoly(crop, [fp], 255, cv2.LINE_AA, SHIFT)
        cv2.polylines(crop, [fp], True, 255, max(1, pen.width // 2), cv2.LINE_AA, SHIFT)
    for head, filled in heads:
        if not filled:  # an open head: its two sides, as Shape.line draws them
            cv2.polylines(crop, [_fx(head[[1, 0, 2]], x0, y0)], False, 255, pen.width, cv2.LINE_AA, SHIFT)
    for x, y, r, filled, w in placed.circles:
        c = (int(round((x - x0) * _ONE)), int(round((y - y0) * _ONE)))
        thick = -1 if filled else max(1, int(round(pen.width * w)))
        cv2.circle(crop, c, max(1, int(round(r * _ONE))), 255, thick, cv2.LINE_AA, SHIFT)
    for x, y, t, h in placed.texts:
        ink, _ = text_ink(t, h, pen)
        _paste_max(crop, ink, int(round(x - x0 - ink.shape[1] / 2)), int(round(y - y0 - ink.shape[0] / 2)))
    return crop, x0, y0


def _dashed(crop: np.ndarray, pts: np.ndarray, closed: bool, thick: int, width: int) -> None:
    seq = np.vstack([pts, pts[:1]]) if closed else pts
    dash, gap = 3.0 * width + 3, 2.0 * width + 2
    for a, b in zip(seq[:-1], seq[1:]):
        length = float(np.hypot(*(b - a)))
        t = 0.0
        while t < length:
            p = a + (b - a) * (t / max(length, 1e-6))
            q = a + (b - a) * (min(t + dash, length) / max(length, 1e-6))
            cv2.line(
                crop,
                tuple(np.round(p * _ONE).astype(int)),
                tuple(np.round(q * _ONE).astype(int)),
                255,
                thick,
                cv2.LINE_AA,
                SHIFT,
            )
            t += dash + gap


def _paste_max(dst: np.ndarray, src: np.ndarray, x: int, y: int) -> None:
    h, w = src.shape
    dx0, dy0 = max(x, 0), max(y, 0)
    dx1, dy1 = min(x + w, dst.shape[1]), min(y + h, dst.shape[0])
    if dx1 <= dx0 or dy1 <= dy0:
        return
    sub = src[dy0 - y : dy1 - y, dx0 - x : dx1 - x]
    np.maximum(dst[dy0:dy1, dx0:dx1], sub, out=dst[dy0:dy1, dx0:dx1])


def text_ink(text: str, height: float, pen: Pen) -> tuple[np.ndarray, int]:
    """Render ``text`` about ``height`` px tall (cap height); returns ``(ink crop, baseline offset)``."""
    scale = max(height, 4.0) / 22.0 * (1.4 if pen.font & 0xF == cv2.FONT_HERSHEY_SCRIPT_SIMPLEX else 1.0)
    thick = max(1, pen.text_thickness)
    (w, h), base = cv2.getTextSize(text, pen.font, scale, thick)
    pad = thick + 2
    ink = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(ink, text, (pad, pad + h), pen.font, scale, 255, thick, cv2.LINE_AA)
    return ink, base


def fill_holes(ink: np.ndarray, threshold: int = 40) -> np.ndarray:
    """Binary mask of ``ink`` strokes plus every area they fully enclose."""
    solid = (ink > threshold).astype(np.uint8)
    flood = cv2.copyMakeBorder(solid, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.floodFill(flood, None, (0, 0), 2)
    return (flood[1:-1, 1:-1] != 2).astype(np.uint8)


def arc_points(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 16) -> np.ndarray:
    """Points on an elliptic arc from angle ``a0`` to ``a1`` (degrees, y down)."""
    t = np.deg2rad(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def arrow_head(
    tip: tuple[float, float], direction: tuple[float, float], length: float, half_width: float
) -> list[tuple[float, float]]:
    """Three corners of an arrowhead whose tip is at ``tip`` pointing along ``direction``."""
    d = np.asarray(direction, np.float64)
    d = d / max(np.hypot(*d), 1e-9)
    n = np.array([-d[1], d[0]])
    t = np.asarray(tip, np.float64)
    base = t - d * length
    return [tuple(t), tuple(base + n * half_width), tuple(base - n * half_width)]
