"""P&ID sheets: process lines between equipment, in-line valves and fittings, flow arrows,
instrument bubbles on signal lines, relief valves on branches, and tie-in pipes that cross."""

from __future__ import annotations

import numpy as np

from . import symbols_common as sm
from .catalog import build_shape
from .layout import Layout, Point, orientations, pick
from .symbols_unlabelled import INLINE_UNLABELLED

__all__ = ["draw_pid", "INLINE_PARTS"]

Region = tuple[int, int, int, int]

INLINE_PARTS: dict[str, float] = {
    "gate_valve": 2.0,
    "globe_valve": 1.5,
    "ball_valve": 1.5,
    "check_valve": 1.5,
    "butterfly_valve": 1.2,
    "control_valve": 1.5,
    "reducer": 1.0,
    "orifice_plate": 1.0,
    "flange": 1.2,
    "flow_arrow": 2.0,
    "heat_exchanger": 0.6,
    "compressor": 0.5,
    "unlabelled": 1.2,
}


def _tag(lay: Layout, box: tuple[int, int, int, int], p: float) -> None:
    if lay.rng.random() < p:
        main, sub = sm.pid_label(lay.rng)
        lay.label(box, main, sub, sides=("top", "bottom", "right", "left"))


def _inline(lay: Layout, name: str, start: Point, max_len: float) -> Point | None:
    """Put ``name`` on a horizontal pipe with its inlet at ``start``; returns its outlet."""
    rng = lay.rng
    unlabelled = name == "unlabelled"  # a fitting outside our classes: ink, mask 0
    shape = INLINE_UNLABELLED[str(rng.choice(list(INLINE_UNLABELLED)))](rng) if unlabelled else build_shape(name, rng)
    orients = orientations(shape, (1.0, 0.0))
    if name == "control_valve":
        orients = [o for o in orients if o[0] == 0]
    a, b = (np.asarray(shape.terminals[t]) for t in shape.axis)  # type: ignore[union-attr]
    scale = min(lay.scale_of("flange" if unlabelled else name), max_len / float(np.hypot(*(b - a))))
    if scale < lay.base * 0.4:
        return None
    placed = lay.place(
        name,
        shape.axis[0],
        start,
        orients[int(rng.integers(len(orients)))],  # type: ignore[index]
        scale=scale,
        shape=shape,
        class_id=0 if unlabelled else None,
    )
    if placed is None:
        return None
    if name not in ("flow_arrow", "unlabelled"):
        _tag(lay, placed.bbox(), 0.35)
    if name == "control_valve" and rng.random() < 0.7:
        _instrument(lay, (start[0] + 1.5 * scale, placed.bbox()[1]), up=True, dashed=True)
    return placed.terminals[shape.axis[1]]  # type: ignore[index]


def _instrument(lay: Layout, at: Point, up: bool, dashed: bool) -> None:
    rng = lay.rng
    name = "instrument_field" if rng.random() < 0.6 else "instrument_panel"
    dist = lay.base * rng.uniform(1.5, 3.0)
    end = (at[0], at[1] - dist if up else at[1] + dist)
    term = "a" if up else "n"  # bubbles stay upright, so that their tags read letters over number
    placed = lay.place(name, term, end, (0, False))
    if placed is None:
        return
    lay.wire(at, placed.terminals[term], dashed=dashed)


def _line(lay: Layout, y: float, x0: float, x1: float) -> list[float]:
    """One process line from x0 to x1 with equipment at the ends; returns x of plain pipe points."""
    rng = lay.rng
    x = x0
    start_kind = rng.choice(["pump", "vessel", "terminal", "none"], p=[0.35, 0.25, 0.2, 0.2])
    if start_kind == "pump":
        placed = lay.place("pump", "b", (x0 + lay.base * 2.5, y), (0, False))
        if placed is not None:
            x = placed.terminals["b"][0]
            _tag(lay, placed.bbox(), 0.7)
    elif start_kind == "vessel":
        placed = lay.place("vessel", "b", (x0 + lay.base * 1.5, y - lay.base * 0.2), (0, False))
        if placed is not None:
            bx, by = placed.terminals["b"]
            x = bx + lay.base
            lay.wire((bx, by), (bx, y), (x, y))
            _tag(lay, placed.bbox(), 0.8)
    elif start_kind == "terminal":
        if lay.place("terminal", "a", (x0, y), (0, False)) is not None:
            x = x0
    free: list[float] = []
    end = x1 - lay.base * (3.0 if rng.random() < 0.3 else 0.5)
    while x < end - lay.base * 2:
        gap = lay.base * rng.uniform(0.8, 3.0)
        name = pick(rng, INLINE_PARTS)
        out = _inline(lay, name, (x + gap, y), end - x - gap)
        if out is None:
            break
        lay.wire((x, y), (x + gap, y))
        free.append(x + gap / 2)
        x = out[0]
    lay.wire((x, y), (end, y))
    free.append((x + end) / 2)
    if end < x1 - lay.base:
        placed = lay.place("vessel", "a", (end + lay.base * 1.2, y + lay.base), (0, False))
        if placed is not None:
            ax, ay = placed.terminals["a"]
            lay.wire((end, y), (ax, y), (ax, ay))
            _tag(lay, placed.bbox(), 0.8)
    return free


def draw_pid(lay: Layout, region: Region) -> None:
    """Compose a P&ID in ``region``."""
    rng = lay.rng
    x0, y0, x1, y1 = region
    if y1 - y0 < lay.base * 4 or x1 - x0 < lay.base * 8:
        return
    n = int(np.clip((y1 - y0) // (lay.base * 6), 1, 4))
    ys = np.round(np.linspace(y0 + (y1 - y0) / (2 * n), y1 - (y1 - y0) / (2 * n), n))
    pipe_points: list[Point] = []
    for y in ys:
        for fx in _line(lay, float(y), x0 + lay.base, x1 - lay.base):
            pipe_points.append((fx, float(y)))
    rng.shuffle(pipe_points)
    for px, py in pipe_points[: int(rng.integers(1, 5))]:
        u = rng.random()
        if u < 0.5:
            _instrument(lay, (px, py), up=bool(rng.random() < 0.6), dashed=bool(rng.random() < 0.6))
        elif u < 0.75:
            _relief(lay, (px, py))
        else:
            main, sub = sm.pid_label(rng)
            lay.label((int(px) - 2, int(py) - 2, int(px) + 2, int(py) + 2), main, sub, sides=("top", "bottom"))
    if n > 1:
        for _ in range(int(rng.integers(0, 3))):
            x = float(np.round(rng.uniform(x0 + lay.base * 3, x1 - lay.base * 3)))
            i = int(rng.integers(0, n - 1))
            lay.wire((x, ys[i]), (x, ys[min(n - 1, i + 1 + int(rng.integers(0, 2)))]))


def _relief(lay: Layout, at: Point) -> None:
    rng = lay.rng
    up = lay.base * rng.uniform(1.0, 2.0)
    placed = lay.place("relief_valve", "a", (at[0], at[1] - up), (0, bool(rng.random() < 0.5)))
    if placed is None:
        return
    lay.wire(at, placed.terminals["a"])
    bx, by = placed.terminals["b"]
    lay.wire((bx, by), (bx + np.sign(bx - at[0]) * lay.base, by))
    _tag(lay, placed.bbox(), 0.5)
