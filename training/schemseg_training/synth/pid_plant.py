"""The process of a P&ID sheet: equipment on a loose grid, nozzles, pipes between them and to
off-page connectors, headers with tees, then instruments, branches and line numbers on the pipes."""

from __future__ import annotations

import numpy as np

from .catalog import build_shape
from .pid_instruments import attach_to_items, branch_on_pipe, instrument_on_pipe, instrument_on_shell, spread
from .pid_pipes import PidDrawing
from .pid_text import equipment_tag, line_number
from .strokes import PlacedShape, Placement, place_shape
from .symbols_unlabelled import motor, nozzle, off_page_connector

__all__ = ["draw_plant"]

Point = tuple[float, float]
Box = tuple[int, int, int, int]
_MAJOR = {"vessel": 0.45, "heat_exchanger": 0.22, "compressor": 0.08, "pump": 0.25}
_DIRS = {"t": (0.0, -1.0), "b": (0.0, 1.0), "l": (-1.0, 0.0), "r": (1.0, 0.0)}
_TURNS = {(1.0, 0.0): 0, (0.0, 1.0): 1, (-1.0, 0.0): 2, (0.0, -1.0): 3}


def draw_plant(d: PidDrawing, target: int) -> None:
    """Compose the process in ``d.region`` until about ``target`` symbols are drawn (or no room is left)."""
    labels: list[tuple[Box, str, bool, float]] = []
    ports = _equipment(d, labels)
    _connect(d, ports)
    for box, text, designation, scale in labels:  # after the pipes, so that no tag blocks a nozzle's pipe
        d.text.beside(box, text, designation=designation, height=d.text.height * scale)
    _headers(d)
    for _ in range(6):
        if d.symbols >= target:
            break
        before = d.symbols
        _decorate(d, target)
        _headers(d)
        if d.symbols == before:
            break


def _equipment(d: PidDrawing, labels: list[tuple[Box, str, bool, float]]) -> list[tuple[Point, Point]]:
    """Place equipment on a grid; returns its ports (pipe start, outward direction) and adds its tags
    and nozzle marks to ``labels``."""
    rng, base = d.rng, d.base
    x0, y0, x1, y1 = d.region
    cols = max(2, int((x1 - x0) / (base * rng.uniform(70, 100))))
    rows = max(1, int((y1 - y0) / (base * rng.uniform(55, 80))))
    ports: list[tuple[Point, Point]] = []
    for r in range(rows):
        for c in range(cols):
            if rng.random() < 0.2:
                continue
            cx = x0 + (x1 - x0) * (c + rng.uniform(0.3, 0.7)) / cols
            cy = y0 + (y1 - y0) * (r + rng.uniform(0.3, 0.7)) / rows
            name = str(rng.choice(list(_MAJOR), p=list(_MAJOR.values())))
            shape, scale, mirror = build_shape(name, rng), d.scale_of(name), bool(rng.random() < 0.5)
            placed = None
            for shrink in (1.0, 0.75, 0.55):  # a tall column may not fit its cell at full size
                placed = d.place(name, None, (cx, cy), (0, mirror), shape=shape, scale=scale * shrink)
                if placed is not None:
                    break
            if placed is None:
                continue
            labels.append((placed.bbox(), equipment_tag(rng, name), True, 1.2))
            ports += _ports(d, name, placed, labels)
            if name in ("pump", "compressor") and rng.random() < 0.5:
                _driver(d, placed)
    return ports


def _ports(
    d: PidDrawing, name: str, placed: PlacedShape, labels: list[tuple[Box, str, bool, float]]
) -> list[tuple[Point, Point]]:
    """Pipe starts of one piece of equipment: nozzles (drawn, unlabelled) on vessels, leads otherwise."""
    rng = d.rng
    if name != "vessel":
        a, b = placed.terminals["a"], placed.terminals["b"]
        cx = (placed.bbox()[0] + placed.bbox()[2]) / 2
        return [(a, (-1.0 if a[0] < cx else 1.0, 0.0)), (b, (1.0 if b[0] > cx else -1.0, 0.0))]
    out = []
    keys = [k for k in placed.terminals if k[0] in _DIRS and k[1:].isdigit()]
    for k in rng.permutation(keys)[: int(rng.integers(2, 6))]:
        direction = _DIRS[str(k)[0]]
        at = placed.terminals[str(k)]
        length = d.base * rng.uniform(0.8, 1.4)
        end = (at[0] + direction[0] * length, at[1] + direction[1] * length)
        if not _nozzle(d, at, direction, length):
            continue
        labels.append(
            (
                (int(end[0]) - 2, int(end[1]) - 2, int(end[0]) + 2, int(end[1]) + 2),
                f"N{int(rng.integers(1, 12))}",
                False,
                0.8,
            )
        )
        out.append((end, direction))
    for k in rng.permutation([k for k in keys if k[0] in "lr"])[: int(rng.integers(0, 3))]:
        instrument_on_shell(d, placed.terminals[str(k)], _DIRS[str(k)[0]])
    return out


def _driver(d: PidDrawing, machine: PlacedShape) -> None:
    """An electric motor (unlabelled) under a pump or compressor, its shaft up to the casing."""
    x0, _, x1, y1 = machine.bbox()
    d.place(
        "flange",
        "a",
        ((x0 + x1) / 2, float(y1) + d.lay.pen.width + 3),
        (2, False),
        shape=motor(d.rng),
        scale=d.base * d.rng.uniform(1.6, 2.4),
        unlabelled=True,
    )


def _nozzle(d: PidDrawing, at: Point, direction: Point, length: float) -> bool:
    """Draw a nozzle (unlabelled) from the shell point ``at`` outwards; False if its flange end is taken."""
    turns = _TURNS[direction]
    placement = Placement(at[0], at[1], length, turns)
    placed = place_shape(nozzle(d.rng), placement)
    x0, y0, x1, y1 = placed.bbox(pad=d.lay.pen.width)
    end = placed.terminals["b"]
    probe = (int(end[0]) - 3, int(end[1]) - 3, int(end[0]) + 4, int(end[1]) + 4)
    if not d.canvas.is_free(probe, 2):
        return False
    d.canvas.draw_symbol(0, nozzle(d.rng), placement, d.lay.pen)
    d.canvas.reserve((x0, y0, x1, y1))
    return True


def _route(d: PidDrawing, s: Point, ds: Point, e: Point, de: Point) -> list[Point] | None:
    """An orthogonal route from port ``s`` (leaving along ``ds``) to port ``e`` (entered against ``de``)
    that never doubles back on itself and keeps off symbols, text and other pipes."""
    rng, base = d.rng, d.base
    for _ in range(4):
        run1, run2 = base * rng.uniform(1.5, 4.0), base * rng.uniform(1.5, 4.0)
        p1 = (s[0] + ds[0] * run1, s[1] + ds[1] * run1)
        q1 = (e[0] + de[0] * run2, e[1] + de[1] * run2)
        f = rng.uniform(0.2, 0.8)
        mx, my = p1[0] + (q1[0] - p1[0]) * f, p1[1] + (q1[1] - p1[1]) * f
        middles = [[(q1[0], p1[1])], [(p1[0], q1[1])], [(mx, p1[1]), (mx, q1[1])], [(p1[0], my), (q1[0], my)]]
        for k in rng.permutation(len(middles)):
            pts = [(float(round(x)), float(round(y))) for x, y in [s, p1, *middles[k], q1, e]]
            if _straight_ahead(pts) and d.corridor_free(pts, trim=base * 0.6):
                return pts
    return None


def _straight_ahead(pts: list[Point]) -> bool:
    """True if ``pts`` is orthogonal and never turns back on itself."""
    dirs = []
    for a, b in zip(pts[:-1], pts[1:]):
        dx, dy = b[0] - a[0], b[1] - a[1]
        if dx and dy:
            return False
        if dx or dy:
            dirs.append((np.sign(dx), np.sign(dy)))
    return all(not (u[0] == -v[0] and u[1] == -v[1]) for u, v in zip(dirs[:-1], dirs[1:]))


def _connect(d: PidDrawing, ports: list[tuple[Point, Point]]) -> None:
    """Join ports pairwise (nearest unused first), and run the rest to off-page connectors."""
    rng = d.rng
    free = list(range(len(ports)))
    rng.shuffle(free)
    while free:
        i = free.pop()
        s, ds = ports[i]
        near = sorted(free, key=lambda j: float(np.hypot(*np.subtract(ports[j][0], s))))
        done = False
        for j in near[:3]:
            pts = _route(d, s, ds, *ports[j])
            if pts is not None:
                free.remove(j)
                _lay(d, pts)
                done = True
                break
        if not done:
            _to_edge(d, s, ds)


def _to_edge(d: PidDrawing, s: Point, ds: Point) -> None:
    """Run a pipe from ``s`` towards the nearest region edge and end it in an off-page connector."""
    rng = d.rng
    x0, y0, x1, y1 = d.region
    length = d.base * rng.uniform(6, 20)
    e = (s[0] + ds[0] * length, s[1] + ds[1] * length)
    e = (float(np.clip(e[0], x0 + d.base * 8, x1 - d.base * 8)), float(np.clip(e[1], y0 + d.base * 4, y1 - d.base * 4)))
    pts = [s, e] if (abs(ds[0]) > 0.5 and abs(e[1] - s[1]) < 1) or (abs(ds[1]) > 0.5 and abs(e[0] - s[0]) < 1) else None
    if pts is None or np.hypot(e[0] - s[0], e[1] - s[1]) < d.base * 3 or not d.corridor_free(pts, trim=d.base * 0.6):
        return
    turns = _TURNS[(float(ds[0]) + 0.0, float(ds[1]) + 0.0)]
    if (
        d.place("flange", "a", e, (turns, False), shape=off_page_connector(rng), scale=d.base * 1.1, unlabelled=True)
        is not None
    ):
        _lay(d, pts)


def _lay(d: PidDrawing, pts: list[Point]) -> None:
    """Draw a pipe along ``pts`` with its items' tags and loops, and its line number along its
    longest segments."""
    attach_to_items(d, d.pipe(pts))
    segments = sorted(zip(pts[:-1], pts[1:]), key=lambda ab: -float(np.hypot(*np.subtract(ab[1], ab[0]))))
    for a, b in segments[: int(d.rng.integers(1, 3))]:
        if np.hypot(*np.subtract(b, a)) > d.base * 8:
            _line_number(d, a, b)


def _line_number(d: PidDrawing, a: Point, b: Point) -> None:
    """A line number along the segment ``a``-``b``, or (a quarter of the time) off it on a leader."""
    if d.rng.random() < 0.75:
        d.text.along(a, b, line_number(d.rng))
        return
    f = d.rng.uniform(0.3, 0.7)
    side = 1.0 if d.rng.random() < 0.5 else -1.0
    out = (0.0, side) if abs(a[1] - b[1]) < 0.5 else (side, 0.0)
    at = (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
    d.text.leader(at, out, line_number(d.rng), d.base * d.rng.uniform(2.5, 5.0))


def _headers(d: PidDrawing) -> None:
    """Long horizontal or vertical pipes across free space, ending in off-page connectors."""
    rng = d.rng
    x0, y0, x1, y1 = d.region
    for _ in range(int(rng.integers(2, 6))):
        if rng.random() < 0.6:
            y = float(round(rng.uniform(y0 + d.base * 4, y1 - d.base * 4)))
            a = float(round(rng.uniform(x0 + d.base * 6, (x0 + x1) / 2)))
            b = float(round(rng.uniform((x0 + x1) / 2, x1 - d.base * 6)))
            pts, ds = [(a, y), (b, y)], (1.0, 0.0)
        else:
            x = float(round(rng.uniform(x0 + d.base * 6, x1 - d.base * 6)))
            a = float(round(rng.uniform(y0 + d.base * 4, (y0 + y1) / 2)))
            b = float(round(rng.uniform((y0 + y1) / 2, y1 - d.base * 4)))
            pts, ds = [(x, a), (x, b)], (0.0, 1.0)
        if not d.corridor_free(pts, trim=0):
            continue
        if (
            d.place(
                "flange",
                "a",
                pts[1],
                (0 if ds[0] else 1, False),
                shape=off_page_connector(rng),
                scale=d.base * 1.1,
                unlabelled=True,
            )
            is not None
        ):
            _lay(d, pts)


def _decorate(d: PidDrawing, target: int) -> None:
    """Instruments and branches on plain stretches of pipe."""
    rng = d.rng
    chosen = spread(d.stretches, rng, 0.8)
    d.stretches = [s for s in d.stretches if s not in chosen]
    for at, u in chosen:
        if d.symbols >= target:
            return
        v = rng.random()
        if v < 0.6:
            instrument_on_pipe(d, at, u)
        elif v < 0.8:
            branch_on_pipe(d, at, u)
        else:
            _tee_run(d, at, u)


def _tee_run(d: PidDrawing, at: Point, u: Point) -> None:
    """A new line teed off the pipe at ``at``: out, one turn, and into a pump, an exchanger or an
    off-page connector (a pump's discharge then runs on to the sheet edge)."""
    rng, base = d.rng, d.base
    side = 1.0 if rng.random() < 0.5 else -1.0
    out = (-u[1] * side, u[0] * side)
    turn = (-out[1], out[0]) if rng.random() < 0.5 else (out[1], -out[0])
    l1, l2 = base * rng.uniform(4, 16), base * rng.uniform(6, 26)
    p1 = (at[0] + out[0] * l1, at[1] + out[1] * l1)
    end = (p1[0] + turn[0] * l2, p1[1] + turn[1] * l2)
    pts = [(float(round(x)), float(round(y))) for x, y in (at, p1, end)]
    if not d.corridor_free(pts, trim=base * 0.6):
        return
    name = str(rng.choice(["pump", "heat_exchanger", "compressor", "connector"], p=[0.35, 0.25, 0.1, 0.3]))
    if name == "connector":
        placed = d.place(
            "flange",
            "a",
            pts[-1],
            (_TURNS[turn], False),
            shape=off_page_connector(rng),
            scale=base * 1.1,
            unlabelled=True,
        )
    else:
        placed = d.place(name, "a", pts[-1], (_TURNS[turn], False))
    if placed is None:
        return
    _lay(d, pts)
    if name == "connector":
        return
    d.text.beside(placed.bbox(), equipment_tag(rng, name), height=d.text.height * 1.2)
    _to_edge(d, placed.terminals["b"], turn)  # the outlet lead leaves along the line's direction
