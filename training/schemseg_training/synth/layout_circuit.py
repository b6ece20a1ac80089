"""Textbook-style circuits: columns of parts in series between supply and ground rails, gates tied
across columns (current mirrors), diode connections, bias lines, shunt parts and I/O ports; or an
op-amp stage with its feedback network."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import symbols_common as sm
from .catalog import build_shape
from .layout import Layout, Point, orientations, pick

__all__ = ["draw_columns", "draw_opamp_stage", "CHAIN_PARTS"]

Region = tuple[int, int, int, int]

CHAIN_PARTS: dict[str, float] = {
    "nmos": 5.0,
    "pmos": 4.0,
    "npn": 1.2,
    "pnp": 1.0,
    "resistor": 2.5,
    "resistor_iec": 0.8,
    "capacitor": 1.5,
    "capacitor_polarized": 0.4,
    "inductor": 0.5,
    "diode": 0.5,
    "zener_diode": 0.35,
    "led": 0.35,
    "current_source": 2.0,
    "voltage_source": 1.0,
    "switch": 0.5,
    "battery": 0.35,
}
_TRANSISTORS = ("nmos", "pmos", "npn", "pnp")
_PREFIX = {
    "nmos": "M",
    "pmos": "M",
    "npn": "Q",
    "pnp": "Q",
    "resistor": "R",
    "resistor_iec": "R",
    "capacitor": "C",
    "capacitor_polarized": "C",
    "inductor": "L",
    "diode": "D",
    "zener_diode": "D",
    "led": "D",
    "current_source": "I",
    "voltage_source": "V",
    "switch": "S",
    "battery": "B",
    "opamp": "U",
    "supply_rail": "X",
    "ground": "",
    "terminal": "X",
}


@dataclass
class _Gate:
    col: int
    point: Point
    side: int  # -1 gate on the left, +1 on the right
    drain: Point


@dataclass
class _Column:
    x: float
    busy: list[tuple[float, float]] = field(default_factory=list)  # y spans covered by parts

    def free_at(self, y: float, margin: float) -> bool:
        return all(not (a - margin <= y <= b + margin) for a, b in self.busy)


def _designate(lay: Layout, name: str, box: tuple[int, int, int, int], p: float = 0.75) -> None:
    if lay.rng.random() < p:
        main, sub = sm.circuit_label(lay.rng, _PREFIX.get(name, "X"))
        lay.label(box, main, sub)


def _chain_part(
    lay: Layout, x: float, y0: float, y1: float, name: str, gates: list[_Gate], col: int, column: _Column, prev: float
) -> Point | None:
    """Place ``name`` along the column between y0 and y1, wired up from ``prev``; returns its lower end."""
    rng = lay.rng
    shape = build_shape(name, rng)
    a, b = (np.asarray(shape.terminals[t]) for t in shape.axis)  # type: ignore[union-attr]
    length = float(np.hypot(*(b - a)))
    scale = min(lay.scale_of(name) * 1.15, (y1 - y0) * 0.85 / length)
    if scale < lay.base * 0.5:
        return None
    orients = orientations(shape, (0.0, 1.0))
    orient = orients[int(rng.integers(len(orients)))]
    top = (y0 + y1) / 2 - length * scale / 2
    placed = lay.place(name, shape.axis[0], (x, top), orient, scale=scale, shape=shape)  # type: ignore[index]
    if placed is None:
        return None
    ta, tb = placed.terminals[shape.axis[0]], placed.terminals[shape.axis[1]]  # type: ignore[index]
    column.busy.append((ta[1], tb[1]))
    _designate(lay, name, placed.bbox())
    if "g" in placed.terminals:
        g = placed.terminals["g"]
        gates.append(_Gate(col, g, 1 if g[0] > x else -1, ta))
    if "k" in placed.terminals:
        k = placed.terminals["k"]
        if rng.random() < 0.5:
            ym = tb[1] - (tb[1] - ta[1]) * 0.08  # tie the bulk to the source lead
            lay.wire(k, (k[0], ym), (x, ym))
        elif rng.random() < 0.7:
            lay.wire(k, (k[0] + np.sign(k[0] - x) * lay.base * rng.uniform(0.5, 2.5), k[1]))
    lay.wire((x, prev), ta)
    return tb


def draw_columns(lay: Layout, region: Region) -> None:
    """Columns of series parts between a top and a bottom rail, then the cross connections."""
    rng = lay.rng
    x0, y0, x1, y1 = region
    if y1 - y0 < lay.base * 6 or x1 - x0 < lay.base * 3:
        return
    spacing = lay.base * rng.uniform(4.0, 6.5)
    ncols = int(np.clip((x1 - x0) // spacing, 1, 7))
    xs = np.linspace(x0 + spacing * 0.5, x1 - spacing * 0.5, ncols) if ncols > 1 else np.array([(x0 + x1) / 2])
    xs = np.round(xs + rng.uniform(-0.1, 0.1, ncols) * spacing)
    top, bot = y0 + lay.base * 1.5, y1 - lay.base * 1.5
    gates: list[_Gate] = []
    columns: list[_Column] = []
    shared_rows = rng.random() < 0.7
    rows = int(np.clip(round((bot - top) / (lay.base * rng.uniform(3.8, 5.5))), 1, 5))
    for c, x in enumerate(xs):
        column = _Column(float(x))
        columns.append(column)
        n = rows if shared_rows else int(np.clip(round((bot - top) / (lay.base * rng.uniform(3.8, 5.5))), 1, 5))
        bounds = np.linspace(top, bot, n + 1)
        y = top
        for i in range(n):
            if rng.random() < 0.15:
                continue
            name = pick(rng, CHAIN_PARTS)
            if name in ("nmos", "pmos") and rng.random() < 0.75:
                name = "pmos" if (i + 0.5) / n < 0.45 else "nmos"  # pmos near the supply, as drawn in books
            end = _chain_part(lay, float(x), float(bounds[i]), float(bounds[i + 1]), name, gates, c, column, y)
            if end is not None:
                y = end[1]
        lay.wire((x, y), (x, bot))
    _rails(lay, xs, top, bot)
    _connect_gates(lay, gates, columns, xs, region)
    _cross_links(lay, columns, top, bot)


def _rails(lay: Layout, xs: np.ndarray, top: float, bot: float) -> None:
    rng = lay.rng
    for y, sym, _name in ((top, "supply_rail", "V"), (bot, "ground", "")):
        if len(xs) > 1 and rng.random() < 0.65:
            ext = lay.base * rng.uniform(0, 1.5)
            lay.wire((xs[0] - ext, y), (xs[-1] + ext, y))
            if sym == "ground" or rng.random() < 0.6:
                for x in rng.choice(xs, size=int(rng.integers(1, 3)), replace=False):
                    _rail_symbol(lay, sym, (float(x), y))
            else:
                main, sub = sm.circuit_label(rng, "")
                lay.label(
                    (int(xs.mean()) - 2, int(y) - 2, int(xs.mean()) + 2, int(y) + 2),
                    main,
                    sub,
                    sides=("top",) if sym == "supply_rail" else ("bottom",),
                )
        else:
            for x in xs:
                _rail_symbol(lay, sym if rng.random() < 0.85 else "terminal", (float(x), y))


def _rail_symbol(lay: Layout, sym: str, at: Point) -> None:
    if sym == "terminal":
        orient = (1, False) if at[1] < lay.canvas.size / 2 else (3, False)
        placed = lay.place("terminal", "a", at, orient)
    else:
        placed = lay.place(sym, "a", at, (0, False))
    if placed is not None and sym == "supply_rail" and lay.rng.random() < 0.8:
        main, sub = sm.circuit_label(lay.rng, "")
        lay.label(placed.bbox(), main, sub, sides=("top", "right", "left"))


def _connect_gates(lay: Layout, gates: list[_Gate], columns: list[_Column], xs: np.ndarray, region: Region) -> None:
    rng = lay.rng
    done: set[int] = set()
    for i, g in enumerate(gates):
        if i in done:
            continue
        partner = next(
            (
                j
                for j, h in enumerate(gates)
                if j not in done and j != i and h.col == g.col + g.side and h.side == -g.side
            ),
            None,
        )
        u = rng.random()
        if partner is not None and u < 0.7:
            h = gates[partner]
            done.update((i, partner))
            mx = (g.point[0] + h.point[0]) / 2
            lay.wire(g.point, (mx, g.point[1]), (mx, h.point[1]), h.point)
            continue
        done.add(i)
        if u < 0.45:  # diode connection: gate back to the drain node
            out = g.point[0] + g.side * lay.base * rng.uniform(0.3, 0.8)
            ytie = g.drain[1] - lay.base * rng.uniform(0.4, 1.0)
            lay.wire(g.point, (out, g.point[1]), (out, ytie), (columns[g.col].x, ytie))
        else:
            _port_wire(lay, g.point, g.side, xs, region, columns)


def _port_wire(lay: Layout, start: Point, side: int, xs: np.ndarray, region: Region, columns: list[_Column]) -> None:
    """A wire from ``start`` out to an I/O port (possibly across other columns)."""
    rng = lay.rng
    far = rng.random() < 0.3
    if far:
        end_x = region[0] + 4 if side < 0 else region[2] - 4
    else:
        end_x = start[0] + side * lay.base * rng.uniform(1.0, 2.5)
    end = (float(end_x), start[1])
    placed = lay.place("terminal", "a", end, (0 if side < 0 else 2, False))
    if placed is None:
        end = (start[0] + side * lay.base * 0.8, start[1])
        lay.wire(start, end)
        return
    lay.wire(start, end)
    if rng.random() < 0.7:
        main, sub = sm.circuit_label(rng, "")
        lay.label(placed.bbox(), main, sub, sides=("top", "left" if side < 0 else "right", "bottom"))


def _cross_links(lay: Layout, columns: list[_Column], top: float, bot: float) -> None:
    """Horizontal wires between column nodes, some with a part in series, some ending in ground."""
    rng = lay.rng
    for _ in range(int(rng.integers(0, 2 * len(columns) + 1))):
        c = int(rng.integers(len(columns)))
        y = float(np.round(rng.uniform(top + lay.base, bot - lay.base)))
        if not columns[c].free_at(y, lay.base * 0.6):
            continue
        if c + 1 < len(columns) and rng.random() < 0.6:
            d = c + 1 + int(rng.integers(0, min(2, len(columns) - c - 1)))
            if not columns[d].free_at(y, lay.base * 0.6):
                continue
            _series_link(lay, (columns[c].x, y), (columns[d].x, y))
        else:
            side = -1 if rng.random() < 0.5 else 1
            _shunt(lay, (columns[c].x, y), side, bot)


def _series_link(lay: Layout, a: Point, b: Point) -> None:
    rng = lay.rng
    if rng.random() < 0.5 and b[0] - a[0] > lay.base * 4:
        name = pick(rng, {"resistor": 2, "capacitor": 2, "resistor_iec": 1, "inductor": 0.5, "diode": 0.5})
        shape = build_shape(name, rng)
        orients = orientations(shape, (1.0, 0.0))
        scale = min(lay.scale_of(name), (b[0] - a[0]) * 0.25)
        start = ((a[0] + b[0]) / 2 - 1.5 * scale, a[1])
        placed = lay.place(name, "a", start, orients[int(rng.integers(len(orients)))], scale=scale, shape=shape)
        if placed is not None:
            lay.wire(a, placed.terminals["a"])
            lay.wire(placed.terminals["b"], b)
            _designate(lay, name, placed.bbox(), 0.8)
            return
    lay.wire(a, b)


def _shunt(lay: Layout, a: Point, side: int, bot: float) -> None:
    """From a column node sideways, then down through a part to ground (or out to a port)."""
    rng = lay.rng
    x = a[0] + side * lay.base * rng.uniform(1.2, 2.2)
    if rng.random() < 0.35:
        placed = lay.place("terminal", "a", (x, a[1]), (0 if side < 0 else 2, False))
        if placed is not None:
            lay.wire(a, (x, a[1]))
            _designate(lay, "terminal", placed.bbox(), 0.6)
        return
    name = pick(
        rng,
        {
            "capacitor": 3,
            "resistor": 2,
            "current_source": 1,
            "capacitor_polarized": 0.5,
            "resistor_iec": 0.5,
            "diode": 0.3,
        },
    )
    shape = build_shape(name, rng)
    scale = lay.scale_of(name)
    orients = orientations(shape, (0.0, 1.0))
    start = (x, a[1] + lay.base * 0.4)
    placed = lay.place(name, "a", start, orients[int(rng.integers(len(orients)))], scale=scale, shape=shape)
    if placed is None:
        return
    lay.wire(a, (x, a[1]), placed.terminals["a"])
    end = placed.terminals["b"]
    g = lay.place("ground", "a", (end[0], end[1] + lay.base * 0.3), (0, False))
    if g is not None:
        lay.wire(end, (end[0], end[1] + lay.base * 0.3))
    _designate(lay, name, placed.bbox(), 0.8)


def draw_opamp_stage(lay: Layout, region: Region) -> None:
    """An op-amp with input and feedback parts, ground on the other input, ports at both ends."""
    rng = lay.rng
    x0, y0, x1, y1 = region
    if y1 - y0 < lay.base * 6 or x1 - x0 < lay.base * 9:
        return
    cx, cy = (x0 + x1) / 2 + rng.uniform(-0.1, 0.1) * (x1 - x0), (y0 + y1) / 2
    placed = lay.place("opamp", None, (cx, cy), (0, bool(rng.random() < 0.15)))
    if placed is None:
        return
    _designate(lay, "opamp", placed.bbox(), 0.5)
    t = placed.terminals
    inv, non = (t["in1"], t["in2"]) if rng.random() < 0.6 else (t["in2"], t["in1"])
    left = x0 + lay.base
    node = (inv[0] - lay.base * rng.uniform(1.0, 2.0), inv[1])
    lay.wire(inv, node)
    _series_link(lay, (left, inv[1]), node)
    lay.place("terminal", "a", (left, inv[1]), (0, False))
    fb_y = (
        min(inv[1], non[1]) - lay.base * rng.uniform(2.0, 3.5)
        if inv[1] < non[1]
        else max(inv[1], non[1]) + lay.base * rng.uniform(2.0, 3.5)
    )
    out = t["out"]
    out_node = (out[0] + lay.base * rng.uniform(1.0, 2.0), out[1])
    lay.wire(out, out_node)
    lay.wire(node, (node[0], fb_y))
    lay.wire(out_node, (out_node[0], fb_y))
    _series_link(lay, (node[0], fb_y), (out_node[0], fb_y))
    gx = non[0] - lay.base * rng.uniform(0.6, 1.2)
    gy = non[1] + (lay.base * 1.2 if non[1] > inv[1] else -lay.base * 1.2)
    if non[1] > inv[1] and lay.place("ground", "a", (gx, gy), (0, False)) is not None:
        lay.wire(non, (gx, non[1]), (gx, gy))
    else:
        _port_wire(lay, non, -1, np.array([cx]), region, [])
    right = (x1 - lay.base, out[1])
    if lay.place("terminal", "a", right, (2, False)) is not None:
        lay.wire(out_node, right)
