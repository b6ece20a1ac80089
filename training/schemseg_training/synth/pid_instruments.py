"""Instrumentation and branches on a P&ID sheet: bubbles on signal lines (dashed, dotted, pneumatic
or solid process connections), control loops on control valves, interlocks, and short branches
with a valve and a drain, vent, blind, relief valve or off-page connector."""

from __future__ import annotations

import numpy as np

from .catalog import ID
from .pid_pipes import PidDrawing
from .pid_record import pattern_line
from .strokes import PlacedShape, Placement
from .symbols_pid import blind_flange
from .symbols_unlabelled import END_UNLABELLED, interlock, off_page_connector

__all__ = [
    "loop_on_valve",
    "attach_to_items",
    "instrument_on_pipe",
    "instrument_on_shell",
    "branch_on_pipe",
    "SIGNAL_STYLES",
]

Point = tuple[float, float]
SIGNAL_STYLES = ("dashed", "dotted", "slashed", "solid")
_FACING = {(0.0, -1.0): "a", (0.0, 1.0): "n", (1.0, 0.0): "w", (-1.0, 0.0): "e"}
"""The instrument terminal that faces back along a direction (a bubble above its pipe: the one below)."""


def _turns_facing(direction: Point) -> int:
    """Quarter turns that put a bubble's terminal ``a`` (local +y) towards ``-direction``."""
    dx, dy = direction
    if abs(dy) > 0.5:
        return 0 if dy < 0 else 2
    return 1 if dx > 0 else 3


def signal(d: PidDrawing, pts: list[Point], style: str | None = None) -> None:
    """A signal line (background): dashed electric, dotted, pneumatic (slashed) or solid capillary."""
    style = style or str(d.rng.choice(SIGNAL_STYLES, p=[0.55, 0.15, 0.15, 0.15]))
    if style in ("dashed", "solid"):
        d.canvas.draw_wire(pts, d.signal_pen, dashed=style == "dashed")
        return
    shape = pattern_line(pts, style, d.base * 0.45)
    d.canvas.draw_symbol(0, shape, Placement(0, 0, 1.0), d.signal_pen)
    d.canvas.log_line(pts, d.signal_pen, dashed=style == "dotted")  # a pneumatic line is solid with slashes


def bubble(d: PidDrawing, at: Point, direction: Point, dist: float) -> tuple[PlacedShape | None, str]:
    """Place an instrument (upright) ``dist`` from ``at`` along ``direction``; returns it and the name
    of its terminal that faces ``at``."""
    name = "instrument_field" if d.rng.random() < 0.55 else "instrument_panel"
    end = (at[0] + direction[0] * dist, at[1] + direction[1] * dist)
    term = _FACING[(direction[0] + 0.0, direction[1] + 0.0)]
    return d.place(name, term, end, (0, False)), term


def attach_to_items(d: PidDrawing, items: list[tuple[str, PlacedShape, Point]]) -> None:
    """Tags beside a pipe's in-line items, and a controller bubble on control valves and orifices."""
    rng = d.rng
    for name, item, u in items:
        if name in ID and name not in ("flow_arrow", "flange") and rng.random() < 0.6:
            d.text.tag_beside(item.bbox(), vertical=abs(u[1]) > 0.5)
        if name in ("control_valve", "orifice_plate") and rng.random() < 0.8:
            loop_on_valve(d, item, u)


def loop_on_valve(d: PidDrawing, valve: PlacedShape, pipe_dir: Point) -> None:
    """The controller of a control valve: a bubble beyond the actuator, joined by a signal line."""
    x0, y0, x1, y1 = valve.bbox()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    up = (0.0, -1.0) if abs(pipe_dir[0]) > 0.5 else ((1.0, 0.0) if d.rng.random() < 0.5 else (-1.0, 0.0))
    start = (cx, float(y0)) if up[1] < 0 else ((float(x1), cy) if up[0] > 0 else (float(x0), cy))
    placed, term = bubble(d, start, up, d.base * d.rng.uniform(1.2, 2.5))
    if placed is None:
        return
    signal(d, [start, placed.terminals[term]])


def instrument_on_pipe(d: PidDrawing, at: Point, pipe_dir: Point) -> bool:
    """A bubble beside the pipe at ``at`` on a signal line; sometimes a second one (controller) or an
    interlock diamond chained to it."""
    rng = d.rng
    side = 1.0 if rng.random() < 0.5 else -1.0
    out = (-pipe_dir[1] * side, pipe_dir[0] * side)
    placed, term = bubble(d, at, out, d.base * rng.uniform(2.0, 4.5))
    if placed is None:
        return False
    signal(d, [at, placed.terminals[term]], "solid" if rng.random() < 0.3 else None)
    if rng.random() < 0.35:
        _chain(d, placed, out)
    return True


def instrument_on_shell(d: PidDrawing, at: Point, out: Point) -> bool:
    """A level or temperature instrument beside a vessel, tapped into its shell at ``at``."""
    placed, term = bubble(d, at, out, d.base * d.rng.uniform(2.0, 4.0))
    if placed is None:
        return False
    signal(d, [at, placed.terminals[term]], "solid" if d.rng.random() < 0.6 else "dashed")
    return True


def _chain(d: PidDrawing, first: PlacedShape, out: Point) -> None:
    """Another bubble or an interlock beside ``first``, joined by a signal line."""
    x0, y0, x1, y1 = first.bbox()
    along = (out[1], -out[0]) if d.rng.random() < 0.5 else (-out[1], out[0])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    r = max(x1 - x0, y1 - y0) / 2
    start = (cx + along[0] * r, cy + along[1] * r)
    dist = d.base * d.rng.uniform(1.5, 3.0)
    term = "a"
    if d.rng.random() < 0.7:
        placed, term = bubble(d, start, along, dist)
    else:
        end = (start[0] + along[0] * dist, start[1] + along[1] * dist)
        placed = d.place(
            "flange",
            "a",
            end,
            (_turns_facing(along), False),
            shape=interlock(d.rng),
            scale=d.base * 1.3,
            unlabelled=True,
        )
    if placed is not None:
        signal(d, [start, placed.terminals[term]], "dashed")


def branch_on_pipe(d: PidDrawing, at: Point, pipe_dir: Point) -> bool:
    """A short branch at ``at``: a valve, then a drain / vent / cap, a relief valve or an off-page flag."""
    rng = d.rng
    side = 1.0 if rng.random() < 0.5 else -1.0
    out = (-pipe_dir[1] * side, pipe_dir[0] * side)
    length = d.base * rng.uniform(4.0, 8.0)
    end = (at[0] + out[0] * length, at[1] + out[1] * length)
    pts = [at, end]
    if not d.corridor_free(pts, trim=d.base * 0.6) or not _branch_end(d, end, out):
        return False
    attach_to_items(d, d.pipe(pts, density=1.5))
    return True


def _branch_end(d: PidDrawing, end: Point, out: Point) -> bool:
    """A relief valve, an off-page flag, a drain / vent / cap, or nothing, at the end of a branch."""
    rng = d.rng
    u = rng.random()
    if u < 0.25:
        placed = d.place("relief_valve", "a", end, (_turns_facing(out), False))
        if placed is not None:
            d.text.tag_beside(placed.bbox(), text=f"PSV-{int(rng.integers(100, 9999))}")
        return placed is not None
    if u < 0.45:
        shape = off_page_connector(rng, str(rng.choice(["TO FLARE", "FROM U-200", "TO DRAIN", "CWR"])))
        return (
            d.place("flange", "a", end, (_turns_for_connector(out), False), shape=shape, scale=d.base, unlabelled=True)
            is not None
        )
    if u < 0.8:
        shape = END_UNLABELLED["drain"](rng)
        return (
            d.place(
                "flange",
                "a",
                end,
                (_turns_facing((-out[0], -out[1])), False),
                shape=shape,
                scale=d.base * 0.9,
                unlabelled=True,
            )
            is not None
        )
    if u < 0.92:
        return d.place("flange", "a", end, (_turns_for_connector(out), False), shape=blind_flange(rng)) is not None
    return True


def _turns_for_connector(out: Point) -> int:
    """Quarter turns that make a connector's tail (local -x) meet the pipe coming along ``out``."""
    dx, dy = out
    if abs(dx) > 0.5:
        return 0 if dx > 0 else 2
    return 1 if dy > 0 else 3


def spread(points: list[tuple[Point, Point]], rng: np.random.Generator, share: float) -> list[tuple[Point, Point]]:
    """A random ``share`` of ``points`` (pipe stretches), in random order."""
    order = rng.permutation(len(points))
    return [points[i] for i in order[: int(round(len(points) * share))]]
