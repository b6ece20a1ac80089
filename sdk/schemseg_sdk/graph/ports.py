"""Port names: which terminal of a symbol is a MOSFET's gate, a transistor's emitter, an op-amp's output.

Circuit symbols take the port names of the CI2N device definitions (``device_def.toml``): a
resistor has ``Pos``/``Neg``, an NMOS ``Drain``/``Gate``/``Source`` (and ``Body``), an NPN
``Base``/``Emitter``/``Collector``, an op-amp ``InP``/``InN``/``Out``. The names come from where
the terminals lie, so a rotated or mirrored symbol is named as well as an upright one:

- the control terminal (gate, base) is the one lying midway between the two others along their
  axis, the two others lining up along the sheet's axes; an op-amp's output is the terminal
  apart from the two closest ones (its inputs, on the triangle's base); a fourth MOSFET terminal, opposite the gate, is the body;
- of a bipolar transistor's two other terminals the emitter is on the side with more symbol ink
  (its arrow head), ink being the drawn strokes under the symbol's mask (the mask fills the
  transistor's circle, which hides the arrow) away from the base lead; a MOSFET's drain is the upper (NMOS) or lower (PMOS) one, which the CI2N
  scorer does not tell apart anyway;
- of an op-amp's inputs the non-inverting one has more ink next to it (a plus has two strokes);
- a two-terminal symbol's first port is the upper (or left) terminal.

A symbol with more terminals than ports keeps those whose nets reach other symbols first, then
the widest contacts; a MOSFET has a body only when four of its terminals reach other symbols. Other symbols (valves, pumps, instruments) have ports ``p1``, ``p2``, ...
clockwise from the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .ci2n_graph import CI2N_PORTS
from .terminals import Terminal

__all__ = ["CI2N_TYPES", "name_ports"]

CI2N_TYPES: dict[str, str] = {
    "resistor": "Res",
    "resistor_iec": "Res",
    "capacitor": "Cap",
    "capacitor_polarized": "Cap",
    "inductor": "Ind",
    "diode": "Diode",
    "zener_diode": "Diode",
    "led": "Diode",
    "npn": "NPN",
    "pnp": "PNP",
    "nmos": "NMOS",
    "pmos": "PMOS",
    "voltage_source": "Voltage",
    "battery": "Voltage",
    "current_source": "Current",
    "switch": "Switch",
    "opamp": "Diso_amp",
}
"""The CI2N component type of each schemseg circuit class."""

_TWO_PORTS = {kind: ports for kind, ports in CI2N_PORTS.items() if len(ports) == 2}


def name_ports(
    class_name: str,
    terminals: Sequence[Terminal],
    net_reach: Mapping[int, int],
    ink: np.ndarray,
    origin: tuple[int, int],
) -> list[tuple[str, Terminal]]:
    """Name the terminals of one symbol.

    Args:
        class_name: the symbol's class.
        terminals: its terminals.
        net_reach: how many terminals (of all symbols) each net touches.
        ink: the symbol's own ink, a boolean crop whose top-left pixel is ``origin``.
        origin: ``(x, y)`` of ``ink[0, 0]`` on the sheet.
    """
    kind = CI2N_TYPES.get(class_name)
    if kind in _TWO_PORTS:
        picked = _order_along_axis(_best(terminals, 2, net_reach))
        return list(zip(_TWO_PORTS[kind], picked))
    if kind in ("NMOS", "PMOS"):
        return _mosfet_ports(kind, _best(terminals, 4, net_reach, least=3))
    if kind in ("NPN", "PNP"):
        return _bipolar_ports(kind, _best(terminals, 3, net_reach), ink, origin)
    if kind == "Diso_amp":
        return _opamp_ports(_best(terminals, 3, net_reach), ink, origin)
    return [(f"p{i + 1}", t) for i, t in enumerate(_clockwise(terminals))]


def _best(
    terminals: Sequence[Terminal], count: int, net_reach: Mapping[int, int], least: int | None = None
) -> list[Terminal]:
    """Up to ``count`` terminals, those on nets reaching other symbols first; weak ones only up to ``least``."""
    ranked = sorted(terminals, key=lambda t: (net_reach.get(t.net, 0) > 1, t.area), reverse=True)
    strong = [t for t in ranked if net_reach.get(t.net, 0) > 1][:count]
    weak = [t for t in ranked if net_reach.get(t.net, 0) <= 1]
    return strong + weak[: max(0, (count if least is None else least) - len(strong))]


def _order_along_axis(terminals: Sequence[Terminal]) -> list[Terminal]:
    if len(terminals) < 2:
        return list(terminals)
    a, b = terminals[0], terminals[1]
    vertical = abs(a.y - b.y) >= abs(a.x - b.x)
    return sorted(terminals, key=lambda t: t.y if vertical else t.x)


def _control_split(terminals: Sequence[Terminal]) -> tuple[Terminal, list[Terminal]]:
    """The terminal lying midway between the other two along their axis, and those two."""

    def off_centre(i: int) -> float:
        a, b = (terminals[j] for j in range(3) if j != i)
        return _off_centre(terminals[i], a, b) + _slant(a, b)

    control = min(range(3), key=off_centre)
    return terminals[control], [terminals[j] for j in range(3) if j != control]


def _off_centre(c: Terminal, a: Terminal, b: Terminal) -> float:
    """How far ``c`` lies from the perpendicular bisector of ``a``-``b``, over their distance."""
    axis = np.array([b.x - a.x, b.y - a.y])
    length = float(np.hypot(*axis)) or 1.0
    along = float(np.dot([c.x - (a.x + b.x) / 2, c.y - (a.y + b.y) / 2], axis)) / length
    return abs(along) / length


def _slant(a: Terminal, b: Terminal) -> float:
    """0 for two terminals on a line along the sheet's axes, 1 at 45 degrees (drain and source line up)."""
    dx, dy = abs(a.x - b.x), abs(a.y - b.y)
    return min(dx, dy) / max(dx, dy, 1e-9)


def _mosfet_ports(kind: str, terminals: list[Terminal]) -> list[tuple[str, Terminal]]:
    if len(terminals) < 3:
        return list(zip(("Drain", "Source"), _order_along_axis(terminals)))
    body = None
    if len(terminals) == 4:
        # drain and source: the pair with both others midway along it; of those the gate lies farther out
        pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
        i, j = min(
            pairs,
            key=lambda p: (
                _slant(terminals[p[0]], terminals[p[1]])
                + sum(_off_centre(terminals[k], terminals[p[0]], terminals[p[1]]) for k in range(4) if k not in p)
            ),
        )
        mid = Terminal((terminals[i].x + terminals[j].x) / 2, (terminals[i].y + terminals[j].y) / 2, -1, 0)
        near, far = sorted((terminals[k] for k in range(4) if k not in (i, j)), key=lambda t: _distance(t, mid))
        body = near
        terminals = [terminals[i], far, terminals[j]]
    gate, pair = _control_split(terminals)
    upper, lower = sorted(pair, key=lambda t: (t.y, t.x))
    drain, source = (upper, lower) if kind == "NMOS" else (lower, upper)
    ports = [("Drain", drain), ("Gate", gate), ("Source", source)]
    return ports + ([("Body", body)] if body is not None else [])


def _bipolar_ports(
    kind: str, terminals: list[Terminal], ink: np.ndarray, origin: tuple[int, int]
) -> list[tuple[str, Terminal]]:
    if len(terminals) < 3:
        return list(zip(("Collector", "Emitter"), _order_along_axis(terminals)))
    base, (a, b) = _control_split(terminals)
    ink_a, ink_b = _ink_toward(ink, origin, a, b, _BASE_BAND), _ink_toward(ink, origin, b, a, _BASE_BAND)
    emitter, collector = (a, b) if ink_a > ink_b else (b, a)
    return [("Collector", collector), ("Base", base), ("Emitter", emitter)]


def _opamp_ports(terminals: list[Terminal], ink: np.ndarray, origin: tuple[int, int]) -> list[tuple[str, Terminal]]:
    if len(terminals) < 3:
        return list(zip(("InP", "InN"), _order_along_axis(terminals)))
    # the inputs sit close together on the triangle's base, the output alone at its apex
    a, b = min(((x, y) for i, x in enumerate(terminals) for y in terminals[i + 1 :]), key=lambda p: _distance(*p))
    out = next(t for t in terminals if t is not a and t is not b)
    plus, minus = (a, b) if _ink_near(ink, origin, a, out) > _ink_near(ink, origin, b, out) else (b, a)
    return [("InP", plus), ("InN", minus), ("Out", out)]


_BASE_BAND = 0.08
"""Of the collector-emitter distance, how far either side of their bisector ink is not weighed: the
base lead runs along the bisector, and a stroke a pixel or two thick lying a half pixel off it would
outweigh the emitter's arrow head (which sits 0.15-0.25 of the distance out)."""


def _ink_toward(ink: np.ndarray, origin: tuple[int, int], near: Terminal, far: Terminal, band: float = 0.0) -> int:
    """Symbol ink on ``near``'s side of the perpendicular bisector of ``near``-``far``, more than ``band``
    times their distance from it."""
    ys, xs = np.nonzero(ink)
    if xs.size == 0:
        return 0
    mx, my = (near.x + far.x) / 2 - origin[0], (near.y + far.y) / 2 - origin[1]
    length2 = (near.x - far.x) ** 2 + (near.y - far.y) ** 2 or 1.0
    along = ((xs - mx) * (near.x - far.x) + (ys - my) * (near.y - far.y)) / length2
    return int(np.count_nonzero(along > band))


def _ink_near(ink: np.ndarray, origin: tuple[int, int], at: Terminal, toward: Terminal) -> int:
    """Symbol ink in a window a third of the way from ``at`` toward ``toward``, half as wide as that way is long."""
    ys, xs = np.nonzero(ink)
    if xs.size == 0:
        return 0
    px, py = at.x - origin[0], at.y - origin[1]
    dx, dy = toward.x - at.x, toward.y - at.y
    length = float(np.hypot(dx, dy)) or 1.0
    along = ((xs - px) * dx + (ys - py) * dy) / length
    across = np.abs((xs - px) * dy - (ys - py) * dx) / length
    return int(np.count_nonzero((along > 0) & (along < length / 3) & (across < length / 4)))


def _distance(a: Terminal, b: Terminal) -> float:
    return float(np.hypot(a.x - b.x, a.y - b.y))


def _clockwise(terminals: Sequence[Terminal]) -> list[Terminal]:
    if not terminals:
        return []
    cx = sum(t.x for t in terminals) / len(terminals)
    cy = sum(t.y for t in terminals) / len(terminals)
    return sorted(terminals, key=lambda t: (np.arctan2(t.x - cx, -(t.y - cy)) + 2 * np.pi) % (2 * np.pi))
