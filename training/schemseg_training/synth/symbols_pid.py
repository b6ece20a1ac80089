"""P&ID valves and in-line fittings in local units (ISA-5.1 / ISO 10628-2 look), in the variants CAD
tools draw: hollow or filled bodies, flanged, welded or plugged ends, hand wheels, and the actuators
that make a control valve.

In-line items run from terminal ``a`` at (-1.5, 0) to ``b`` at (1.5, 0) along the pipe. Everything a
builder draws belongs to its class (operators, end flanges and actuators are part of the valve); the
pipe fittings next to a valve (nozzles, blinds, strainers) are drawn by the sheet, unlabelled.
Equipment is in :mod:`.symbols_equipment`, instruments in :mod:`.symbols_instruments`.
"""

from __future__ import annotations

import numpy as np

from .strokes import Shape, arc_points

__all__ = [
    "gate_valve",
    "globe_valve",
    "ball_valve",
    "check_valve",
    "butterfly_valve",
    "control_valve",
    "relief_valve",
    "reducer",
    "orifice_plate",
    "flange",
    "blind_flange",
    "valve_body",
]

Rng = np.random.Generator


def _inline(lead: float = 1.5) -> Shape:
    return Shape(terminals={"a": (-lead, 0.0), "b": (lead, 0.0)}, axis=("a", "b"))


def _bowtie(s: Shape, w: float, h: float, filled: bool = False, filled_right: bool = False) -> None:
    left, right = ((-w, -h), (-w, h), (0, 0)), ((w, -h), (w, h), (0, 0))
    for tri, solid in ((left, filled), (right, filled or filled_right)):
        if solid:
            s.fill(*tri)
        s.line(*tri, closed=True)


def _ends(s: Shape, rng: Rng, w: float, h: float) -> None:
    """Leads from the body to the terminals, plain, flanged, welded or plugged (capped outlet)."""
    style = rng.choice(4, p=[0.5, 0.3, 0.1, 0.1])
    if style == 1:  # flanged ends: a bar just outside each end of the body
        f = w + rng.uniform(0.1, 0.18)
        s.line((-f, -h * 0.9), (-f, h * 0.9))
        s.line((f, -h * 0.9), (f, h * 0.9))
        s.line((-1.5, 0), (-f, 0))
        s.line((f, 0), (1.5, 0))
        return
    s.line((-1.5, 0), (-w, 0))
    s.line((w, 0), (1.5, 0))
    if style == 2:  # butt-welded ends: a dot where the body meets the pipe
        s.circle(-w - 0.12, 0, 0.09, filled=True)
        s.circle(w + 0.12, 0, 0.09, filled=True)
    elif style == 3:  # plugged / capped outlet (vent or drain valve): a thick bar across the far lead
        s.line((1.5, -h * 0.55), (1.5, h * 0.55), width=2.0)


def _stem_operator(s: Shape, rng: Rng, top: float, p: float) -> None:
    """With probability ``p``: a stem and a hand wheel (T bar), a lever or a gear box."""
    if rng.random() >= p:
        return
    end = top - rng.uniform(0.45, 0.8)
    s.line((0, 0), (0, end))
    style = rng.choice(3, p=[0.7, 0.15, 0.15])
    if style == 0:
        half = rng.uniform(0.3, 0.5)
        s.line((-half, end), (half, end))
    elif style == 1:
        s.line((0, end), (rng.uniform(0.5, 0.8), end - 0.15))
    else:
        s.line((-0.3, end), (0.3, end), (0.3, end - 0.4), (-0.3, end - 0.4), closed=True)


def valve_body(s: Shape, rng: Rng, kind: str, filled: bool) -> tuple[float, float]:
    """Draw the body of a gate, globe, ball or butterfly valve centred on the origin; returns (w, h)."""
    w, h = rng.uniform(0.6, 0.85), rng.uniform(0.38, 0.55)
    if kind == "butterfly" and rng.random() < 0.3:  # a boxed disc, as some CAD libraries draw it
        s.line((-w * 0.6, -h), (w * 0.6, -h), (w * 0.6, h), (-w * 0.6, h), closed=True)
        s.line((-w * 0.5, h * 0.85), (w * 0.5, -h * 0.85))
        s.circle(0, 0, h * 0.3)
        return w * 0.6, h
    if kind == "ball" and rng.random() < 0.3:  # NORSOK: the ball alone between the flange faces
        r = h * rng.uniform(0.8, 1.0)
        s.circle(0, 0, r, filled=filled)
        return r, h
    if kind == "butterfly":
        s.line((-w * 0.7, -h * 1.3), (-w * 0.7, h * 1.3))
        s.line((w * 0.7, -h * 1.3), (w * 0.7, h * 1.3))
        s.line((-w * 0.45, h), (w * 0.45, -h))
        s.circle(0, 0, 0.1, filled=True)
        return w * 0.7, h * 1.3
    _bowtie(s, w, h, filled=filled and kind != "ball")
    if kind == "globe":
        s.circle(0, 0, h * rng.uniform(0.3, 0.45), filled=True)
    elif kind == "ball":
        s.circle(0, 0, h * rng.uniform(0.45, 0.6), filled=filled)
    return w, h


def _manual(rng: Rng, kind: str) -> Shape:
    s = _inline()
    w, h = valve_body(s, rng, kind, filled=rng.random() < 0.25)
    _ends(s, rng, w, h)
    _stem_operator(s, rng, -h, 0.35)
    return s


def gate_valve(rng: Rng) -> Shape:
    """Bow tie, hollow or filled (normally closed), with plain, flanged, welded or plugged ends."""
    return _manual(rng, "gate")


def globe_valve(rng: Rng) -> Shape:
    """Bow tie with a solid dot in the waist."""
    return _manual(rng, "globe")


def ball_valve(rng: Rng) -> Shape:
    """Bow tie with a ball (open or solid) in the middle."""
    return _manual(rng, "ball")


def butterfly_valve(rng: Rng) -> Shape:
    """Two end bars with a disc seen edge-on (slanted line and pivot)."""
    return _manual(rng, "butterfly")


def check_valve(rng: Rng) -> Shape:
    """Bow tie with one filled half and a seat bar, a body with a flap, or a bow tie with a flow arrow."""
    s = _inline()
    w, h = rng.uniform(0.6, 0.85), rng.uniform(0.38, 0.55)
    u = rng.random()
    if u < 0.5:
        _bowtie(s, w, h, filled_right=True)
        s.line((w, -h), (w, h), width=1.5)
    elif u < 0.8:
        s.line((-w, -h), (w, -h), (w, h), (-w, h), closed=True)
        s.line((-w * 0.5, h), (w * 0.6, -h * 0.6))
        s.circle(w * 0.6, -h * 0.6, 0.08, filled=True)
    else:
        _bowtie(s, w, h)
        s.line((-w * 0.8, -h - 0.35), (w * 0.6, -h - 0.35))
        s.arrow((w * 0.9, -h - 0.35), (1, 0), 0.35, 0.16, filled=True)
    _ends(s, rng, w, h)
    return s


_ACTUATORS = ("diaphragm", "diaphragm", "diaphragm", "piston", "motor", "solenoid", "regulator", "hydraulic")


def _actuator(s: Shape, rng: Rng, kind: str, top: float) -> None:
    """Actuator whose bottom sits at ``top`` (above the stem), centred on x = 0."""
    if kind in ("diaphragm", "regulator"):
        rx, ry = rng.uniform(0.5, 0.7), rng.uniform(0.35, 0.55)
        s.path(arc_points(0, top, rx, ry, 180, 360, 16), closed=True)
        if kind == "regulator":  # self-acting: an impulse line from the diaphragm to the outlet pipe
            y = top - ry * 0.4
            s.line((rx * 0.9, y), (1.2, y), (1.2, -0.12))
        return
    if kind == "piston":
        hw, ht = rng.uniform(0.35, 0.5), rng.uniform(0.5, 0.75)
        s.line((-hw, top), (hw, top), (hw, top - ht), (-hw, top - ht), closed=True)
        s.line((-hw, top - ht * 0.45), (hw, top - ht * 0.45))
        return
    if kind == "motor":
        r = rng.uniform(0.4, 0.5)
        s.circle(0, top - r, r)
        s.text(0, top - r, "M", r * 1.0)
        return
    hw, ht = rng.uniform(0.32, 0.45), rng.uniform(0.55, 0.75)
    s.line((-hw, top), (hw, top), (hw, top - ht), (-hw, top - ht), closed=True)
    s.text(0, top - ht / 2, "S" if kind == "solenoid" else "E/H", ht * 0.5 if kind == "solenoid" else ht * 0.32)


def control_valve(rng: Rng) -> Shape:
    """A valve body (gate, globe, ball or butterfly; hollow or filled) with a stem and an actuator:
    diaphragm, piston, motor, solenoid, electro-hydraulic, or a self-acting regulator's diaphragm with
    its impulse line (regulators are final control elements, so they belong here)."""
    s = _inline()
    body = str(rng.choice(["gate", "globe", "ball", "butterfly"], p=[0.55, 0.2, 0.1, 0.15]))
    w, h = valve_body(s, rng, body, filled=rng.random() < 0.15)
    _ends(s, rng, w, h)
    top = -h - rng.uniform(0.5, 0.9)
    s.line((0, 0 if body != "butterfly" else -0.1), (0, top))
    _actuator(s, rng, str(rng.choice(_ACTUATORS)), top)
    return s


def relief_valve(rng: Rng) -> Shape:
    """Angle body (inlet from below, outlet to the side), hollow or filled, loaded by a spring
    (zigzag on top or drawn across the body) or by a weighted lever."""
    s = Shape(terminals={"a": (0.0, 1.5), "b": (1.5, 0.0)}, axis=None)
    w = rng.uniform(0.42, 0.6)
    filled = rng.random() < 0.2
    for tri in (((-w, 0.9), (w, 0.9), (0, 0)), ((0.9, -w), (0.9, w), (0, 0))):
        if filled:
            s.fill(*tri)
        s.line(*tri, closed=True)
    s.line((0, 0.9), (0, 1.5))
    s.line((0.9, 0), (1.5, 0))
    u = rng.random()
    if u < 0.6:
        zig = [(0.0, 0.0)] + [((-0.25 if i % 2 else 0.25), -0.2 - i * 0.2) for i in range(5)] + [(0.0, -1.25)]
        s.line(*zig)
        if rng.random() < 0.4:
            s.line((-0.3, -1.25), (0.3, -1.25))
    elif u < 0.85:  # ISO 10628: the spring drawn as a zigzag arrow across the body
        zig = [(-0.75, 0.55)] + [(-0.55 + 0.22 * i + (0.1 if i % 2 else -0.1), 0.35 - 0.22 * i) for i in range(5)]
        s.line(*zig)
        s.arrow((0.65, -0.65), (1, -1), 0.3, 0.14, filled=True)
    else:
        s.line((0, 0), (0, -0.6))
        s.line((-0.2, -0.6), (1.1, -0.6))
        s.fill((0.75, -0.75), (1.05, -0.75), (1.05, -0.45), (0.75, -0.45))
    return s


def reducer(rng: Rng) -> Shape:
    """Concentric (symmetric trapezoid) or eccentric (one flat side) reducer, hollow or filled."""
    s = _inline()
    w, a, b = rng.uniform(0.3, 0.55), rng.uniform(0.45, 0.7), rng.uniform(0.15, 0.35)
    if rng.random() < 0.6:
        pts = ((-w, -a), (w, -b), (w, b), (-w, a))
    else:
        flat = 1 if rng.random() < 0.5 else -1
        pts = ((-w, -a * flat), (w, (a - 2 * b) * -flat), (w, a * flat), (-w, a * flat))
    if rng.random() < 0.15:
        s.fill(*pts)
    s.line(*pts, closed=True)
    s.line((-1.5, 0), (-w, 0))
    s.line((w, 0), (1.5, 0))
    return s


def orifice_plate(rng: Rng) -> Shape:
    """Two tall bars across the pipe with the bore gap between them (flange taps optional)."""
    s = _inline()
    g, h = rng.uniform(0.18, 0.3), rng.uniform(0.6, 0.85)
    s.line((-g, -h), (-g, h))
    s.line((g, -h), (g, h))
    s.line((-1.5, 0), (-g, 0))
    s.line((g, 0), (1.5, 0))
    if rng.random() < 0.5:
        s.line((-g, -h * 0.4), (g, -h * 0.4))
    if rng.random() < 0.3:
        s.line((-g - 0.3, -h), (-g - 0.3, -h * 0.3))
        s.line((g + 0.3, -h), (g + 0.3, -h * 0.3))
    return s


def flange(rng: Rng) -> Shape:
    """A pair of flange faces across the pipe (thick or thin bars)."""
    s = _inline()
    g, h = rng.uniform(0.08, 0.16), rng.uniform(0.35, 0.55)
    width = float(rng.choice([1.0, 1.5, 2.0]))
    s.line((-g, -h), (-g, h), width=width)
    s.line((g, -h), (g, h), width=width)
    s.line((-1.5, 0), (-g, 0))
    s.line((g, 0), (1.5, 0))
    return s


def blind_flange(rng: Rng) -> Shape:
    """A flange closed by a blind at the end of a branch (class ``flange``): the pipe arrives at ``a``
    and stops; ``b`` is the blind's far face."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (0.3, 0.0)}, axis=("a", "b"))
    g, h = rng.uniform(0.08, 0.14), rng.uniform(0.35, 0.55)
    s.line((-1.5, 0), (-g, 0))
    s.line((-g, -h), (-g, h))
    if rng.random() < 0.5:
        s.fill((g, -h), (g + 0.15, -h), (g + 0.15, h), (g, h))
    else:
        s.line((g, -h), (g, h), width=2.0)
    return s
