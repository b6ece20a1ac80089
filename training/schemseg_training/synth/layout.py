"""Sheet composition shared by circuit and P&ID layouts: placing symbols at terminals, orthogonal
wires, designations, junction dots at T-connections and hops where wires cross."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import symbols_common as sm
from .canvas import SheetCanvas
from .catalog import ID, SIZE_FACTOR, build_shape
from .strokes import Pen, PlacedShape, Placement, Shape, place_shape

__all__ = ["Layout", "Segment", "orientations", "pick", "HOP_LEAST_SCALE_PENS", "HOP_LEAST_SCALE_PX"]

HOP_LEAST_SCALE_PENS, HOP_LEAST_SCALE_PX = 4.5, 5.0
"""A hop's smallest scale (px per unit), from its pen: with the smallest radius (0.4 units) the arc
then shows at least 2 px of paper on each side of the wire it crosses, as the anti-aliased strokes
ink (tests/training/test_synth.py). Up to generator version 3 it was 2.5 pens + 1 px, and on small
sheets the arc closed onto the crossing wire: a blob, which reads as a junction dot."""

Point = tuple[float, float]
Segment = tuple[Point, Point]

_ORIENTS = [(k, m) for k in range(4) for m in (False, True)]
_ORIENT_CACHE: dict[tuple[float, float, Point], list[tuple[int, bool]]] = {}


def pick(rng: np.random.Generator, table: dict[str, float]) -> str:
    """Draw a name from ``table`` with probability proportional to its weight."""
    names = list(table)
    weights = np.fromiter(table.values(), np.float64, len(names))
    cdf = np.cumsum(weights)
    return names[min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(names) - 1)]


def orientations(shape: Shape, direction: Point) -> list[tuple[int, bool]]:
    """All (turns, mirror) that make the shape's axis run from its first to second terminal along ``direction``."""
    if shape.axis is None:
        return _ORIENTS
    a, b = (shape.terminals[t] for t in shape.axis)
    key = (b[0] - a[0], b[1] - a[1], direction)
    if key not in _ORIENT_CACHE:
        out = []
        for k, m in _ORIENTS:
            v = np.asarray(key[:2]) @ Placement(0, 0, 1.0, k, m).matrix()
            v = v / max(float(np.hypot(*v)), 1e-9)
            if abs(v[0] - direction[0]) < 1e-6 and abs(v[1] - direction[1]) < 1e-6:
                out.append((k, m))
        _ORIENT_CACHE[key] = out
    return _ORIENT_CACHE[key]


@dataclass
class Layout:
    """Everything a layout routine needs while it composes one sheet."""

    canvas: SheetCanvas
    rng: np.random.Generator
    pen: Pen
    base: float  # px per symbol unit
    text_height: float
    pid: bool = False
    broken_wire_share: float = 0.1  # of the crossovers, drawn as a broken wire rather than a hop
    wires: list[Segment] = field(default_factory=list)
    signal_lines: list[Segment] = field(default_factory=list)
    labelled: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    pending: list[tuple[tuple[int, int, int, int], str, str, tuple[str, ...]]] = field(default_factory=list)

    def scale_of(self, name: str) -> float:
        lo, hi = SIZE_FACTOR.get(name, (0.8, 1.2))
        return self.base * float(self.rng.uniform(lo, hi))

    def place(
        self,
        name: str,
        term: str | None,
        at: Point,
        orient: tuple[int, bool],
        scale: float | None = None,
        shape: Shape | None = None,
        margin: int = 2,
        class_id: int | None = None,
    ) -> PlacedShape | None:
        """Draw class ``name`` with terminal ``term`` (or its centre) at ``at``; None if the spot is taken.

        ``class_id`` overrides the class written to the mask (0: unlabelled ink, for symbols outside
        the class list; then ``shape`` and ``scale`` must be given)."""
        shape = shape or build_shape(name, self.rng)
        scale = scale or self.scale_of(name)
        trial = place_shape(shape, Placement(0, 0, scale, *orient))
        ox, oy = trial.terminals[term] if term else (0.0, 0.0)
        placement = Placement(at[0] - ox, at[1] - oy, scale, *orient)
        placed = place_shape(shape, placement)
        box = placed.bbox(pad=self.pen.width)
        if not self.canvas.is_free(box, margin):
            return None
        self.canvas.draw_symbol(ID[name] if class_id is None else class_id, shape, placement, self.pen)
        self.canvas.reserve(box)
        self.labelled.append((name, box))
        return placed

    def wire(self, *points: Point, dashed: bool = False) -> None:
        """Draw an orthogonal polyline and remember its segments for junctions and hops."""
        pts = [(float(round(x)), float(round(y))) for x, y in points]
        pts = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
        if len(pts) < 2:
            return
        self.canvas.draw_wire(pts, self.pen, dashed=dashed)
        target = self.signal_lines if dashed else self.wires
        target.extend(zip(pts[:-1], pts[1:]))

    def route(self, a: Point, b: Point, horizontal_first: bool | None = None) -> None:
        """Join ``a`` and ``b`` with an L route (or a straight line when aligned)."""
        if abs(a[0] - b[0]) < 1 or abs(a[1] - b[1]) < 1:
            self.wire(a, b)
            return
        if horizontal_first is None:
            horizontal_first = bool(self.rng.random() < 0.5)
        corner = (b[0], a[1]) if horizontal_first else (a[0], b[1])
        self.wire(a, corner, b)

    def label(
        self,
        box: tuple[int, int, int, int],
        main: str,
        sub: str = "",
        sides: tuple[str, ...] = ("right", "left", "top", "bottom"),
    ) -> None:
        """Queue a designation next to ``box``; :meth:`flush_labels` writes it once the wires are drawn."""
        self.pending.append((box, main, sub, sides))

    def flush_labels(self) -> None:
        """Write every queued designation on the first free side of its box (dropped if none is free)."""
        for box, main, sub, sides in self.pending:
            self._write_label(box, main, sub, sides)
        self.pending.clear()

    def _write_label(self, box: tuple[int, int, int, int], main: str, sub: str, sides: tuple[str, ...]) -> bool:
        pen = self.pen
        italic = self.rng.random() < (0.6 if sub or main[:1].islower() else 0.25)
        font = pen.font | (cv2.FONT_ITALIC if italic else 0)
        ink = sm.designation_ink(main, sub, self.text_height, Pen(pen.width, font, pen.text_thickness))
        h, w = ink.shape
        gap = int(self.rng.integers(1, 5))
        x0, y0, x1, y1 = box
        cy, cx = (y0 + y1 - h) // 2, (x0 + x1 - w) // 2
        spots = {
            "right": (x1 + gap, cy),
            "left": (x0 - gap - w, cy),
            "top": (cx, y0 - gap - h),
            "bottom": (cx, y1 + gap),
        }
        order = list(sides)
        if self.rng.random() < 0.3:
            self.rng.shuffle(order)
        for side in order:
            x, y = spots[side]
            tb = (x, y, x + w, y + h)
            if self.canvas.is_free(tb, 1) and not self._hits_wire(tb):
                self.canvas.paste(ink, x, y, ID["designation"])
                return True
        return False

    def _hits_wire(self, box: tuple[int, int, int, int]) -> bool:
        x0, y0, x1, y1 = box
        return bool(self.canvas.ink[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)].max(initial=0) > 0)

    def finish_wires(self, hop_probability: float = 0.75, dot_probability: float = 0.9) -> None:
        """Add junction dots where a wire ends on another, and hops where two wires cross."""
        hs = [s for s in self.wires if s[0][1] == s[1][1] and s[0][0] != s[1][0]]
        vs = [s for s in self.wires if s[0][0] == s[1][0] and s[0][1] != s[1][1]]
        for h in hs:
            hx0, hx1 = sorted((h[0][0], h[1][0]))
            hy = h[0][1]
            for v in vs:
                vy0, vy1 = sorted((v[0][1], v[1][1]))
                vx = v[0][0]
                if not (hx0 <= vx <= hx1 and vy0 <= hy <= vy1):
                    continue
                inside_h = hx0 + 2 < vx < hx1 - 2
                inside_v = vy0 + 2 < hy < vy1 - 2
                if inside_h and inside_v:
                    if self.rng.random() < hop_probability:
                        self._hop(vx, hy)
                elif inside_h or inside_v:
                    if self.rng.random() < dot_probability:
                        self._dot(vx, hy)

    def _dot(self, x: float, y: float) -> None:
        r = max(self.pen.width * float(self.rng.uniform(1.3, 2.2)), 2.0)
        shape = sm.junction(self.rng)
        box = (int(x - r - 1), int(y - r - 1), int(x + r + 2), int(y + r + 2))
        if self.canvas.is_free(box):
            self.canvas.draw_symbol(ID["junction"], shape, Placement(x, y, r), self.pen)

    def _hop(self, x: float, y: float) -> None:
        s = max(self.scale_of("crossover"), HOP_LEAST_SCALE_PENS * self.pen.width + HOP_LEAST_SCALE_PX)
        box = (int(x - s - 2), int(y - s - 2), int(x + s + 3), int(y + s + 3))
        if not self.canvas.is_free(box):
            return
        half = int(round(s))
        self.canvas.clear((int(x) - half + 1, int(y) - half + 1, int(x) + half, int(y) + half))
        orient = (int(self.rng.choice([0, 1, 2, 3])), False)
        gap = (self.pen.width + 4) / s  # half the crossing wire, paper, the broken end (pen-wide strokes, soft edges)
        self.canvas.draw_symbol(
            ID["crossover"], sm.crossover(self.rng, gap, self.broken_wire_share), Placement(x, y, s, *orient), self.pen
        )
