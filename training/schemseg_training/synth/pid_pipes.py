"""Process pipes of a P&ID sheet: orthogonal routes that avoid symbols and text, with valves and
fittings (ours and unlabelled ones) placed in line, and pipe corridors reserved so later symbols and
text keep off the pipes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .catalog import build_shape
from .layout import Layout, orientations, pick
from .pid_record import RecordingCanvas
from .pid_text import TextWriter
from .strokes import Pen, PlacedShape, Placement, Shape
from .symbols_unlabelled import INLINE_UNLABELLED

__all__ = ["PidDrawing", "PIPE_ITEMS", "PID_SIZE"]

Point = tuple[float, float]

PIPE_ITEMS: dict[str, float] = {
    "gate_valve": 3.0,
    "globe_valve": 2.0,
    "ball_valve": 2.0,
    "check_valve": 1.5,
    "butterfly_valve": 1.2,
    "control_valve": 1.6,
    "reducer": 1.4,
    "orifice_plate": 0.7,
    "flange": 1.6,
    "flow_arrow": 1.2,
    "unlabelled": 2.2,
}
"""Relative frequency of the items placed on a pipe (``unlabelled``: spectacle blind, strainer, ...)."""

PID_SIZE: dict[str, tuple[float, float]] = {
    "instrument_field": (2.0, 2.6),
    "instrument_panel": (2.0, 2.6),
    "pump": (2.2, 3.6),
    "compressor": (2.8, 4.5),
    "heat_exchanger": (3.0, 6.0),
    "vessel": (6.0, 13.0),
    "flow_arrow": (0.6, 0.9),
    "flange": (0.7, 0.9),
    "relief_valve": (0.9, 1.2),
    "control_valve": (1.0, 1.2),
}
"""Scale of a class on a P&ID sheet as a multiple of the symbol unit (default ``(0.85, 1.15)``): as on
CAD sheets (DEXPI examples), a bubble is about a valve's length across, a pump two to three, an
exchanger four to eight and a vessel ten to thirty."""


@dataclass
class PidDrawing:
    """State of one P&ID sheet being composed (at the model scale, on a recording canvas)."""

    lay: Layout
    canvas: RecordingCanvas
    pipe_pen: Pen
    signal_pen: Pen
    text: TextWriter
    region: tuple[int, int, int, int]
    stretches: list[tuple[Point, Point]] = field(default_factory=list)  # plain pipe: (point, direction)
    symbols: int = 0

    @property
    def rng(self) -> np.random.Generator:
        return self.lay.rng

    @property
    def base(self) -> float:
        return self.lay.base

    def scale_of(self, name: str) -> float:
        lo, hi = PID_SIZE.get(name, (0.85, 1.15))
        return self.base * float(self.rng.uniform(lo, hi))

    def place(
        self,
        name: str,
        term: str | None,
        at: Point,
        orient: tuple[int, bool],
        shape: Shape | None = None,
        scale: float | None = None,
        unlabelled: bool = False,
    ) -> PlacedShape | None:
        """Place a symbol (``unlabelled``: as background ink); counts the labelled ones."""
        shape = shape or build_shape(name, self.rng)
        placed = self.lay.place(
            name, term, at, orient, scale=scale or self.scale_of(name), shape=shape, class_id=0 if unlabelled else None
        )
        if placed is not None and not unlabelled:
            self.symbols += 1
        return placed

    def corridor_free(self, pts: list[Point], trim: float) -> bool:
        """True if a pipe along ``pts`` crosses no symbol or text and runs along no other pipe."""
        hw = int(self.base * 0.5)
        taken = self.canvas.taken
        x0, y0, x1, y1 = self.region
        for i, (a, b) in enumerate(zip(pts[:-1], pts[1:])):
            lo = np.minimum(a, b) - hw
            hi = np.maximum(a, b) + hw
            if not (x0 <= lo[0] and hi[0] <= x1 and y0 <= lo[1] and hi[1] <= y1):
                return False
            horizontal = a[1] == b[1]
            ax = 0 if horizontal else 1
            forward = a[ax] < b[ax]
            if i == 0:  # the first and last stretches start ``trim`` off their port's symbol
                lo[ax], hi[ax] = (a[ax] + trim, hi[ax]) if forward else (lo[ax], a[ax] - trim)
            if i == len(pts) - 2:
                lo[ax], hi[ax] = (lo[ax], b[ax] - trim) if forward else (b[ax] + trim, hi[ax])
            sub = taken[int(lo[1]) : int(hi[1]) + 1, int(lo[0]) : int(hi[0]) + 1]
            if sub.size == 0:
                continue
            if (sub == 1).any():
                return False
            along = (sub == 2).any(axis=0 if horizontal else 1)
            if _longest_run(along) > 3 * hw:
                return False
        return True

    def pipe(self, pts: list[Point], items: bool = True, density: float = 1.0) -> list[tuple[str, PlacedShape, Point]]:
        """Draw a process pipe along ``pts`` with in-line items, and reserve its corridor; returns the
        items (class name, placed shape, pipe direction) for tags and loops, to be added once the
        whole pipe is drawn so that none lands on it."""
        pts = _clean(pts)
        placed: list[tuple[str, PlacedShape, Point]] = []
        for a, b in zip(pts[:-1], pts[1:]):
            cuts = self._inline_items(a, b, density, placed) if items else []
            self._draw_between(a, b, cuts)
        hw = int(self.base * 0.45)
        for a, b in zip(pts[:-1], pts[1:]):
            lo, hi = np.minimum(a, b) - hw, np.maximum(a, b) + hw
            view = self.canvas.taken[max(0, int(lo[1])) : int(hi[1]) + 1, max(0, int(lo[0])) : int(hi[0]) + 1]
            view[view == 0] = 2
        return placed

    def _draw_between(self, a: Point, b: Point, cuts: list[tuple[float, float]]) -> None:
        d = np.subtract(b, a)
        length = float(np.hypot(*d))
        u = d / max(length, 1e-9)
        t = 0.0
        for c0, c1 in sorted(cuts) + [(length, length)]:
            if c0 - t > 0.5:
                p, q = tuple(np.add(a, u * t)), tuple(np.add(a, u * c0))
                self.canvas.draw_wire([p, q], self.pipe_pen)  # type: ignore[list-item]
                self.lay.wires.append(((round(p[0]), round(p[1])), (round(q[0]), round(q[1]))))
                if c0 - t > self.base * 2.5:
                    mid = tuple(np.add(a, u * (t + c0) / 2))
                    self.stretches.append((mid, (float(u[0]), float(u[1]))))  # type: ignore[arg-type]
            t = c1

    def _inline_items(
        self, a: Point, b: Point, density: float, placed: list[tuple[str, PlacedShape, Point]]
    ) -> list[tuple[float, float]]:
        rng, base = self.rng, self.base
        d = np.subtract(b, a)
        length = float(np.hypot(*d))
        u = (float(d[0] / max(length, 1e-9)), float(d[1] / max(length, 1e-9)))
        cuts: list[tuple[float, float]] = []
        t = base * rng.uniform(1.0, 2.5)
        while t < length - base * 4:
            t += base * rng.uniform(1.0, 5.5) / density
            name = pick(rng, PIPE_ITEMS)
            item, span = self._one_item(name, np.add(a, np.multiply(u, t)), u, length - t - base)
            if item is None:
                t += base
                continue
            cuts.append((t, t + span))
            placed.append((name, item, u))
            t += span
        return cuts

    def _one_item(self, name: str, at: np.ndarray, u: Point, room: float) -> tuple[PlacedShape | None, float]:
        rng = self.rng
        if name == "unlabelled":
            shape = INLINE_UNLABELLED[str(rng.choice(list(INLINE_UNLABELLED)))](rng)
        else:
            shape = build_shape(name, rng)
        scale = self.scale_of(name)
        span = 3.0 * scale
        if span > room:
            return None, 0.0
        orients = [o for o in orientations(shape, u) if _upright(o, u)] or orientations(shape, u)
        orient = orients[int(rng.integers(len(orients)))]
        placed = self.place(
            name if name != "unlabelled" else "flange",
            "a",
            (float(at[0]), float(at[1])),
            orient,
            shape=shape,
            scale=scale,
            unlabelled=name == "unlabelled",
        )
        return placed, span


def _upright(orient: tuple[int, bool], u: Point) -> bool:
    """Keep stems and actuators above a horizontal pipe, and beside a vertical one."""
    v = np.array([0.0, -1.0]) @ Placement(0, 0, 1.0, *orient).matrix()
    return bool(v[1] < -0.5) if abs(u[0]) > 0.5 else bool(abs(v[0]) > 0.5)


def _clean(pts: list[Point]) -> list[Point]:
    out: list[Point] = []
    for x, y in pts:
        p = (float(round(x)), float(round(y)))
        if not out or p != out[-1]:
            out.append(p)
    return out


def _longest_run(flags: np.ndarray) -> int:
    if not flags.any():
        return 0
    padded = np.concatenate([[0], flags.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())
