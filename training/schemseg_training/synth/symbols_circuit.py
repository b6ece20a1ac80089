"""Electronic circuit symbols in local units, several styles each (IEEE and IEC, textbook CMOS).

Two-terminal parts run from terminal ``a`` at (-1.5, 0) to ``b`` at (1.5, 0). Transistors have
``d`` (drain/collector, top), ``s`` (source/emitter, bottom) and ``g`` (gate/base, left), plus
``k`` (bulk) when drawn with four terminals.

:data:`TERMINAL_PORTS` names each terminal's port in the CI2N vocabulary
(:mod:`schemseg_sdk.graph.ports`), so a sheet's true graph says which port a wire reaches. The
names follow what is drawn: a diode's triangle points from ``a`` (anode, ``In``) to its bar at
``b``; a polarised capacitor's ``+`` and a source's ``+`` (a battery's long plate) are at ``a``; a
current source's arrow runs from ``a`` to ``b``; a transistor's arrow sits on ``s`` (source,
emitter). An op-amp's ``+`` input is drawn on either side, so :func:`opamp` names its own ports.
"""

from __future__ import annotations

import numpy as np

from .strokes import Shape, arc_points, arrow_head

__all__ = [
    "resistor",
    "resistor_iec",
    "capacitor",
    "capacitor_polarized",
    "inductor",
    "diode",
    "zener_diode",
    "led",
    "ground",
    "supply_rail",
    "bjt",
    "mosfet",
    "voltage_source",
    "current_source",
    "switch",
    "opamp",
    "battery",
    "TERMINAL_PORTS",
    "terminal_ports",
]

Rng = np.random.Generator

_POS_NEG = {"a": "Pos", "b": "Neg"}
_DIODE = {"a": "In", "b": "Out"}
_SOURCE = {"a": "Positive", "b": "Negative"}
_MOSFET = {"d": "Drain", "g": "Gate", "s": "Source", "k": "Body"}
_BIPOLAR = {"d": "Collector", "g": "Base", "s": "Emitter"}
TERMINAL_PORTS: dict[str, dict[str, str]] = {
    "resistor": _POS_NEG,
    "resistor_iec": _POS_NEG,
    "capacitor": _POS_NEG,
    "capacitor_polarized": _POS_NEG,
    "inductor": _POS_NEG,
    "switch": _POS_NEG,
    "diode": _DIODE,
    "zener_diode": _DIODE,
    "led": _DIODE,
    "current_source": {"a": "In", "b": "Out"},
    "voltage_source": _SOURCE,
    "battery": _SOURCE,
    "nmos": _MOSFET,
    "pmos": _MOSFET,
    "npn": _BIPOLAR,
    "pnp": _BIPOLAR,
}
"""Terminal -> CI2N port name of each circuit class whose ports do not depend on how it was drawn."""


def terminal_ports(class_name: str, shape: Shape) -> dict[str, str]:
    """The port name of each of ``shape``'s terminals that has one (none for grounds, rails, P&ID symbols).

    >>> terminal_ports("npn", bjt(np.random.default_rng(0), pnp=False))
    {'d': 'Collector', 's': 'Emitter', 'g': 'Base'}
    """
    names = shape.ports or TERMINAL_PORTS.get(class_name, {})
    return {t: names[t] for t in shape.terminals if t in names}


def _two_terminal(lead: float = 1.5) -> Shape:
    return Shape(terminals={"a": (-lead, 0.0), "b": (lead, 0.0)}, axis=("a", "b"))


def _leads(s: Shape, inner: float, lead: float = 1.5) -> None:
    s.line((-lead, 0), (-inner, 0))
    s.line((inner, 0), (lead, 0))


def resistor(rng: Rng) -> Shape:
    """IEEE zigzag resistor."""
    s = _two_terminal()
    half = rng.uniform(0.7, 1.0)
    amp = rng.uniform(0.22, 0.4)
    peaks = int(rng.integers(3, 5)) * 2
    xs = np.linspace(-half, half, peaks + 2)
    ys = np.zeros_like(xs)
    ys[1:-1] = amp * np.where(np.arange(peaks) % 2 == 0, -1, 1)
    s.path(np.concatenate([[[-1.5, 0]], np.stack([xs, ys], 1), [[1.5, 0]]]))
    return s


def resistor_iec(rng: Rng) -> Shape:
    """IEC box resistor."""
    s = _two_terminal()
    half, h = rng.uniform(0.7, 1.0), rng.uniform(0.22, 0.38)
    s.line((-half, -h), (half, -h), (half, h), (-half, h), closed=True)
    _leads(s, half)
    return s


def capacitor(rng: Rng) -> Shape:
    """Two plates, both flat or one curved (textbook style)."""
    s = _two_terminal()
    gap, h = rng.uniform(0.12, 0.25), rng.uniform(0.5, 0.8)
    w = 1.0 if rng.random() < 0.6 else 1.6
    s.line((-gap, -h), (-gap, h), width=w)
    if rng.random() < 0.45:
        s.path(arc_points(gap + 0.9 * h, 0, 0.9 * h, h, 140, 220, 12), width=w)
    else:
        s.line((gap, -h), (gap, h), width=w)
    _leads(s, gap)
    return s


def capacitor_polarized(rng: Rng) -> Shape:
    """Electrolytic capacitor: a '+' mark and a curved or filled plate."""
    s = _two_terminal()
    gap, h = rng.uniform(0.15, 0.25), rng.uniform(0.5, 0.8)
    s.line((-gap, -h), (-gap, h))
    style = rng.integers(3)
    if style == 0:
        s.path(arc_points(gap + 0.9 * h, 0, 0.9 * h, h, 140, 220, 12))
    elif style == 1:
        s.fill((gap, -h), (gap + 0.18, -h), (gap + 0.18, h), (gap, h))
    else:
        s.line((gap, -h), (gap + 0.22, -h), (gap + 0.22, h), (gap, h), closed=True)
    px, py, k = -gap - 0.35, -h * 0.75, 0.15
    s.line((px - k, py), (px + k, py))
    s.line((px, py - k), (px, py + k))
    _leads(s, gap)
    return s


def inductor(rng: Rng) -> Shape:
    """Humps (half circles) or loops."""
    s = _two_terminal()
    n = int(rng.integers(3, 6))
    half = rng.uniform(0.75, 1.0)
    r = half / n
    if rng.random() < 0.7:
        pts = np.concatenate(
            [arc_points(-half + r * (2 * i + 1), 0, r, r * rng.uniform(0.9, 1.3), 180, 360, 10) for i in range(n)]
        )
    else:
        t = np.linspace(0, 2 * np.pi * n, 24 * n)
        pts = np.stack([-half + 2 * half * t / t[-1] - 0.6 * r * np.sin(t), -1.2 * r * (1 - np.cos(t)) / 2], 1)
        pts[:, 0] = np.clip(pts[:, 0], -half, half)
    s.path(pts)
    _leads(s, half)
    return s


def _diode_body(s: Shape, rng: Rng, h: float) -> float:
    filled = rng.random() < 0.4
    tri = ((-h * 0.9, -h), (-h * 0.9, h), (h * 0.8, 0))
    if filled:
        s.fill(*tri)
    else:
        s.line(*tri, closed=True)
    _leads(s, 0.8 * h)
    s.line((-1.5, 0), (-0.9 * h, 0))
    return 0.8 * h


def diode(rng: Rng) -> Shape:
    """Triangle and bar."""
    s = _two_terminal()
    h = rng.uniform(0.45, 0.65)
    x = _diode_body(s, rng, h)
    s.line((x, -h), (x, h))
    return s


def zener_diode(rng: Rng) -> Shape:
    """Diode whose bar has bent (Z) or flag ends."""
    s = _two_terminal()
    h = rng.uniform(0.45, 0.65)
    x = _diode_body(s, rng, h)
    k = 0.25 * h
    if rng.random() < 0.6:
        s.line((x - k, -h - k * 0.6), (x, -h), (x, h), (x + k, h + k * 0.6))
    else:
        s.line((x - k, -h), (x, -h), (x, h), (x + k, h))
    return s


def led(rng: Rng) -> Shape:
    """Diode with two light arrows leaving it."""
    s = diode(rng)
    filled = rng.random() < 0.6
    for dx in (-0.15, 0.3):
        p0, p1 = np.array([dx, -0.7]), np.array([dx + 0.45, -1.15])
        s.line(tuple(p0), tuple(p1 - (p1 - p0) * 0.2 * (not filled)))
        head = arrow_head(tuple(p1), tuple(p1 - p0), 0.22, 0.1)
        s.fill(*head) if filled else s.line(head[1], head[0], head[2])
    return s


def ground(rng: Rng) -> Shape:
    """Earth bars, open triangle, chassis hatch or filled triangle; terminal ``a`` on top."""
    s = Shape(terminals={"a": (0.0, -1.0)})
    w = rng.uniform(0.6, 0.9)
    top = rng.uniform(-0.3, 0.0)
    s.line((0, -1.0), (0, top))
    style = rng.choice(4, p=[0.45, 0.35, 0.1, 0.1])
    if style == 0:
        for i, f in enumerate((1.0, 0.62, 0.28)):
            y = top + i * 0.25
            s.line((-w * f, y), (w * f, y))
    elif style == 1:
        s.line((-w, top), (w, top), (0, top + w * 1.1), closed=True)
    elif style == 2:
        s.line((-w, top), (w, top))
        for x in np.linspace(-w, w, 4):
            s.line((x, top), (x - 0.3, top + 0.35))
    else:
        s.fill((-w * 0.8, top), (w * 0.8, top), (0, top + w * 0.8))
    return s


def supply_rail(rng: Rng) -> Shape:
    """VDD/VCC: a T bar, an arrow (open or filled) or a small circle; terminal ``a`` at the bottom."""
    s = Shape(terminals={"a": (0.0, 1.0)})
    style = rng.choice(4, p=[0.4, 0.3, 0.15, 0.15])
    top = rng.uniform(-0.6, -0.2)
    if style == 0:
        w = rng.uniform(0.4, 0.9)
        s.line((0, 1.0), (0, top))
        s.line((-w, top), (w, top), width=rng.choice([1.0, 1.5]))
    elif style == 1:
        s.line((0, 1.0), (0, top + 0.3))
        s.fill(*arrow_head((0, top), (0, -1), 0.45, 0.25))
    elif style == 2:
        s.line((0, 1.0), (0, top))
        s.line((-0.3, top + 0.4), (0, top), (0.3, top + 0.4))
    else:
        s.line((0, 1.0), (0, top + 0.25))
        s.circle(0, top, 0.25)
    return s


def _arrow_on(s: Shape, a: tuple[float, float], b: tuple[float, float], filled: bool, size: float = 0.32) -> None:
    head = arrow_head(b, (b[0] - a[0], b[1] - a[1]), size, size * 0.55)
    s.fill(*head) if filled else s.line(head[1], head[0], head[2])


def _emitter_arrow(s: Shape, a: tuple[float, float], b: tuple[float, float], filled: bool, size: float = 0.32) -> None:
    """A bipolar transistor's emitter arrow from ``a`` to tip ``b``. Both polarities put it over the
    same stretch of the emitter, so only the head's shape tells npn from pnp: it stays legible on the
    smallest symbols (:meth:`Shape.arrow`). A MOSFET's arrow is told by where it sits (at the leg or at
    the channel), which a blob still shows, and keeps its plain head."""
    s.arrow(b, (b[0] - a[0], b[1] - a[1]), size, size * 0.55, filled)


def bjt(rng: Rng, pnp: bool) -> Shape:
    """NPN/PNP, with or without a circle; emitter arrow out (npn) or in (pnp)."""
    s = Shape(terminals={"d": (0.5, -1.5), "s": (0.5, 1.5), "g": (-1.5, 0.0)}, axis=("d", "s"))
    bx = -0.3
    s.line((-1.5, 0), (bx, 0))
    s.line((bx, -0.6), (bx, 0.6), width=rng.choice([1.0, 1.5, 2.0]))
    s.line((bx, -0.3), (0.5, -0.8), (0.5, -1.5))
    s.line((bx, 0.3), (0.5, 0.8), (0.5, 1.5))
    a, b = (bx, 0.3), (0.5, 0.8)
    mid = (bx + (b[0] - bx) * 0.75, 0.3 + 0.5 * 0.75)
    filled = rng.random() < 0.75
    if pnp:
        _emitter_arrow(s, (0.5, 0.8), (bx + 0.2, 0.3 + 0.5 * 0.25), filled)
    else:
        _emitter_arrow(s, a, mid, filled)
    if rng.random() < 0.45:
        s.circle(0.1, 0, 1.0)
    return s


def mosfet(rng: Rng, pmos: bool) -> Shape:
    """Textbook MOSFET: gate and channel bars, source arrow / pmos bubble / bulk terminal."""
    s = Shape(terminals={"d": (0.5, -1.5), "s": (0.5, 1.5), "g": (-1.5, 0.0)}, axis=("d", "s"))
    gx, cx, h = -0.55, -0.25, rng.uniform(0.6, 0.8)
    bubble = pmos and rng.random() < 0.3
    if bubble:
        s.circle(gx - 0.15, 0, 0.15)
        s.line((-1.5, 0), (gx - 0.3, 0))
    else:
        s.line((-1.5, 0), (gx, 0))
    s.line((gx, -h * 0.85), (gx, h * 0.85), width=rng.choice([1.0, 1.5]))
    if rng.random() < 0.2:  # enhancement-mode: broken channel
        for y0, y1 in ((-h, -h / 3 + 0.08), (-h / 6, h / 6), (h / 3 - 0.08, h)):
            s.line((cx, y0), (cx, y1))
    else:
        s.line((cx, -h), (cx, h), width=rng.choice([1.0, 1.5]))
    y = h * 0.75
    s.line((cx, -y), (0.5, -y), (0.5, -1.5))
    s.line((cx, y), (0.5, y), (0.5, 1.5))
    style = rng.choice(4, p=[0.45, 0.15, 0.15, 0.25])
    filled = rng.random() < 0.8
    if style == 1:  # four terminals, arrow on the bulk
        s.line((cx, 0), (1.2, 0))
        s.terminals["k"] = (1.2, 0.0)
        _arrow_on(s, (0.6, 0), (cx + 0.02, 0), filled) if not pmos else _arrow_on(s, (cx, 0), (0.6, 0), filled)
    elif style in (0, 3) and not bubble:
        if pmos:
            _arrow_on(s, (0.5, y), (cx + 0.05, y), filled)
        else:
            _arrow_on(s, (cx, y), (0.5, y), filled)
    if style == 3:  # bulk line running out through the legs (textbook "cross" style)
        s.line((cx, 0), (1.0, 0))
        s.terminals["k"] = (1.0, 0.0)
    return s


def voltage_source(rng: Rng) -> Shape:
    """Circle with +/- (upright text) or a sine wave."""
    s = _two_terminal()
    r = rng.uniform(0.6, 0.85)
    s.circle(0, 0, r)
    _leads(s, r)
    if rng.random() < 0.65:
        inside = rng.random() < 0.7
        d = r * 0.5 if inside else r + 0.3
        off = 0.0 if inside else r * 0.6
        s.text(-d, off, "+", 0.7 * r)
        s.text(d, off, "-", 0.7 * r)
    else:
        t = np.linspace(-r * 0.6, r * 0.6, 20)
        s.path(np.stack([-np.sin(t / r / 0.6 * np.pi) * r * 0.3, t], 1))
    return s


def current_source(rng: Rng) -> Shape:
    """Circle (or diamond) with an arrow along the axis, or two overlapping circles."""
    s = _two_terminal()
    r = rng.uniform(0.6, 0.85)
    style = rng.choice(3, p=[0.6, 0.3, 0.1])
    if style == 1:
        s.line((-r, 0), (0, -r), (r, 0), (0, r), closed=True)
    elif style == 2:
        s.circle(-r * 0.3, 0, r * 0.7)
        s.circle(r * 0.3, 0, r * 0.7)
        _leads(s, r)
        return s
    else:
        s.circle(0, 0, r)
    _leads(s, r)
    s.line((-r * 0.55, 0), (r * 0.2, 0))
    _arrow_on(s, (-r * 0.5, 0), (r * 0.6, 0), rng.random() < 0.85, 0.4 * r)
    return s


def switch(rng: Rng) -> Shape:
    """Open contact: two terminals (dots/circles or bare) and a slanted blade."""
    s = _two_terminal()
    g = rng.uniform(0.5, 0.8)
    style = rng.integers(3)
    if style == 0:
        s.circle(-g, 0, 0.12)
        s.circle(g, 0, 0.12)
        s.line((-1.5, 0), (-g - 0.12, 0))
        s.line((g + 0.12, 0), (1.5, 0))
        s.line((-g + 0.1, -0.06), (g, -0.55))
    else:
        s.line((-1.5, 0), (-g, 0), (g * 0.85, -0.6 * rng.uniform(0.7, 1.2)))
        s.line((g, 0), (1.5, 0))
        if style == 2:
            s.circle(-g, 0, 0.08, filled=True)
    return s


def opamp(rng: Rng) -> Shape:
    """Triangle with - and + inputs (``in1``, ``in2``) and output ``out``."""
    h = rng.uniform(1.0, 1.3)
    s = Shape(terminals={"in1": (-1.6, -0.5 * h), "in2": (-1.6, 0.5 * h), "out": (1.7, 0.0)})
    s.line((-1.0, -h), (-1.0, h), (1.2, 0), closed=True)
    s.line((-1.6, -0.5 * h), (-1.0, -0.5 * h))
    s.line((-1.6, 0.5 * h), (-1.0, 0.5 * h))
    s.line((1.2, 0), (1.7, 0))
    k = 0.14
    plus_top = rng.random() < 0.4
    s.ports = {"in1": "InP" if plus_top else "InN", "in2": "InN" if plus_top else "InP", "out": "Out"}
    for y, plus in ((-0.5 * h, plus_top), (0.5 * h, not plus_top)):
        s.line((-0.8, y), (-0.8 + 2 * k, y))
        if plus:
            s.line((-0.8 + k, y - k), (-0.8 + k, y + k))
    return s


def battery(rng: Rng) -> Shape:
    """One to three cells of long and short plates."""
    s = _two_terminal()
    cells = int(rng.integers(1, 4))
    pitch = 0.3
    x0 = -pitch * (2 * cells - 1) / 2
    for i in range(2 * cells):
        x = x0 + i * pitch
        h = 0.65 if i % 2 == 0 else 0.32
        s.line((x, -h), (x, h), width=1.0 if i % 2 == 0 else 1.8)
    _leads(s, -x0)
    return s
