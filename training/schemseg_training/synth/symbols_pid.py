"""Piping and instrumentation (P&ID) symbols in local units (ISA-5.1 / ISO 10628 look).

In-line items run from terminal ``a`` at (-1.5, 0) to ``b`` at (1.5, 0) along the pipe.
"""
from __future__ import annotations

import numpy as np

from .strokes import Shape, arc_points

__all__ = [
    "gate_valve", "globe_valve", "ball_valve", "check_valve", "butterfly_valve", "control_valve",
    "relief_valve", "pump", "compressor", "heat_exchanger", "vessel", "instrument_field",
    "instrument_panel", "reducer", "orifice_plate", "flange", "instrument_tag",
]

Rng = np.random.Generator

_TAG_LETTERS = ("PT", "TT", "FT", "LT", "PI", "TI", "FI", "LI", "FIC", "PIC", "TIC", "LIC", "FE", "PDT", "AT", "FV")


def _inline(lead: float = 1.5) -> Shape:
    return Shape(terminals={"a": (-lead, 0.0), "b": (lead, 0.0)}, axis=("a", "b"))


def _bowtie(s: Shape, w: float, h: float, filled_right: bool = False) -> None:
    s.line((-w, -h), (-w, h), (0, 0), closed=True)
    if filled_right:
        s.fill((w, -h), (w, h), (0, 0))
    else:
        s.line((w, -h), (w, h), (0, 0), closed=True)
    s.line((-1.5, 0), (-w, 0))
    s.line((w, 0), (1.5, 0))


def gate_valve(rng: Rng) -> Shape:
    """Bow tie (optionally with a stem and hand wheel bar)."""
    s = _inline()
    w, h = rng.uniform(0.6, 0.9), rng.uniform(0.4, 0.6)
    _bowtie(s, w, h)
    if rng.random() < 0.3:
        s.line((0, 0), (0, -h - 0.3))
        s.line((-0.3, -h - 0.3), (0.3, -h - 0.3))
    return s


def globe_valve(rng: Rng) -> Shape:
    """Bow tie with a solid dot in the middle."""
    s = _inline()
    w, h = rng.uniform(0.6, 0.9), rng.uniform(0.4, 0.6)
    _bowtie(s, w, h)
    s.circle(0, 0, h * 0.4, filled=True)
    return s


def ball_valve(rng: Rng) -> Shape:
    """Bow tie with an open ball in the middle."""
    s = _inline()
    w, h = rng.uniform(0.6, 0.9), rng.uniform(0.45, 0.6)
    _bowtie(s, w, h)
    s.circle(0, 0, h * 0.5, filled=rng.random() < 0.2)
    return s


def check_valve(rng: Rng) -> Shape:
    """Bow tie with one filled half, or a body with a flap and flow arrow."""
    s = _inline()
    w, h = rng.uniform(0.6, 0.9), rng.uniform(0.4, 0.6)
    if rng.random() < 0.6:
        _bowtie(s, w, h, filled_right=True)
        s.line((w, -h), (w, h), width=1.5)
    else:
        s.line((-w, -h), (w, -h), (w, h), (-w, h), closed=True)
        s.line((-w * 0.5, h), (w * 0.6, -h * 0.6))
        s.circle(w * 0.6, -h * 0.6, 0.08, filled=True)
        s.line((-1.5, 0), (-w, 0))
        s.line((w, 0), (1.5, 0))
    return s


def butterfly_valve(rng: Rng) -> Shape:
    """Two end bars with a disc seen edge-on (slanted line and pivot)."""
    s = _inline()
    w, h = rng.uniform(0.45, 0.7), rng.uniform(0.55, 0.75)
    s.line((-w, -h), (-w, h))
    s.line((w, -h), (w, h))
    s.line((-w * 0.6, h * 0.7), (w * 0.6, -h * 0.7))
    s.circle(0, 0, 0.1, filled=True)
    s.line((-1.5, 0), (-w, 0))
    s.line((w, 0), (1.5, 0))
    return s


def control_valve(rng: Rng) -> Shape:
    """Bow tie with a stem and a diaphragm (dome) or box actuator."""
    s = _inline()
    w, h = rng.uniform(0.6, 0.8), rng.uniform(0.4, 0.55)
    _bowtie(s, w, h)
    top = -h - 0.8
    s.line((0, 0), (0, top))
    if rng.random() < 0.7:
        s.path(arc_points(0, top, 0.6, 0.5, 180, 360, 14), closed=True)
    else:
        s.line((-0.45, top), (0.45, top), (0.45, top - 0.5), (-0.45, top - 0.5), closed=True)
    return s


def relief_valve(rng: Rng) -> Shape:
    """Angle body (inlet from below, outlet to the side) with a spring."""
    s = Shape(terminals={"a": (0.0, 1.5), "b": (1.5, 0.0)}, axis=None)
    w = rng.uniform(0.45, 0.6)
    s.line((-w, 0.9), (w, 0.9), (0, 0), closed=True)
    s.line((0.9, -w), (0.9, w), (0, 0), closed=True)
    s.line((0, 0.9), (0, 1.5))
    s.line((0.9, 0), (1.5, 0))
    zig = [(0.0, 0.0)] + [((-0.25 if i % 2 else 0.25), -0.2 - i * 0.2) for i in range(5)] + [(0.0, -1.25)]
    s.line(*zig)
    return s


def pump(rng: Rng) -> Shape:
    """Circle with a tangential discharge and optional feet."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, -0.85)}, axis=None)
    r = 0.85
    s.circle(0, 0, r)
    s.line((-1.5, 0), (-r, 0))
    s.line((0, -r), (1.5, -r))
    if rng.random() < 0.6:
        s.line((-0.5, 0.68), (-0.8, 1.1), (0.8, 1.1), (0.5, 0.68))
    if rng.random() < 0.5:
        s.line((-0.45, -0.4), (0.55, 0), (-0.45, 0.4), closed=True)
    return s


def compressor(rng: Rng) -> Shape:
    """Circle with two converging lines (trapezoid)."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, 0.0)}, axis=("a", "b"))
    r = 0.9
    s.circle(0, 0, r)
    s.line((-0.55, -0.72), (0.7, -0.35))
    s.line((-0.55, 0.72), (0.7, 0.35))
    s.line((-1.5, 0), (-r, 0))
    s.line((r, 0), (1.5, 0))
    return s


def heat_exchanger(rng: Rng) -> Shape:
    """Circle crossed by a zigzag tube, or a shell with a U-tube."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, 0.0)}, axis=("a", "b"))
    if rng.random() < 0.6:
        r = 0.85
        s.circle(0, 0, r)
        s.line((-1.5, 0), (-0.55, 0), (-0.3, -0.4), (0.0, 0.4), (0.3, -0.4), (0.55, 0), (1.5, 0))
        return s
    s.line((-1.1, -0.55), (1.1, -0.55))
    s.line((-1.1, 0.55), (1.1, 0.55))
    s.path(arc_points(-1.1, 0, 0.3, 0.55, 90, 270, 10))
    s.path(arc_points(1.1, 0, 0.3, 0.55, -90, 90, 10))
    s.line((-1.5, 0), (-1.4, 0))
    s.line((1.4, 0), (1.5, 0))
    s.line((-0.9, -0.2), (0.7, -0.2))
    s.path(arc_points(0.7, 0, 0.2, 0.2, -90, 90, 8))
    s.line((0.7, 0.2), (-0.9, 0.2))
    return s


def vessel(rng: Rng) -> Shape:
    """Tall or lying drum with elliptic heads; nozzles ``a`` (top) and ``b`` (bottom)."""
    w, h = rng.uniform(0.55, 0.8), rng.uniform(1.0, 1.5)
    s = Shape(terminals={"a": (0.0, -h - w * 0.5 - 0.3), "b": (0.0, h + w * 0.5 + 0.3)}, axis=("a", "b"))
    k = w * rng.uniform(0.35, 0.6)
    pts = np.concatenate([arc_points(0, -h, w, k, 180, 360, 14), arc_points(0, h, w, k, 0, 180, 14)])
    s.path(pts, closed=True)
    if rng.random() < 0.5:
        s.line((-w, -h), (w, -h))
        s.line((-w, h), (w, h))
    s.line((0, -h - k), (0, -h - w * 0.5 - 0.3))
    s.line((0, h + k), (0, h + w * 0.5 + 0.3))
    return s


def instrument_tag(rng: Rng) -> tuple[str, str]:
    """Letters and loop number of an ISA instrument tag, e.g. ``("PT", "101")``."""
    return str(rng.choice(_TAG_LETTERS)), str(int(rng.integers(1, 40)) * 100 + int(rng.integers(0, 10)))


def _bubble(rng: Rng) -> tuple[Shape, str, str]:
    s = Shape(terminals={"a": (0.0, 1.5)})
    s.circle(0, 0, 1.0)
    s.line((0, 1.0), (0, 1.5))
    letters, number = instrument_tag(rng)
    return s, letters, number


def instrument_field(rng: Rng) -> Shape:
    """Field instrument bubble: a circle with the tag written inside."""
    s, letters, number = _bubble(rng)
    s.text(0, -0.3, letters, 0.42)
    s.text(0, 0.38, number, 0.36)
    return s


def instrument_panel(rng: Rng) -> Shape:
    """Panel-mounted instrument: a circle with a horizontal line and the tag."""
    s, letters, number = _bubble(rng)
    s.line((-1.0, 0), (1.0, 0))
    s.text(0, -0.4, letters, 0.4)
    s.text(0, 0.45, number, 0.33)
    return s


def reducer(rng: Rng) -> Shape:
    """Concentric (trapezoid) or eccentric reducer."""
    s = _inline()
    w, a, b = rng.uniform(0.35, 0.55), rng.uniform(0.5, 0.7), rng.uniform(0.2, 0.35)
    if rng.random() < 0.7:
        s.line((-w, -a), (w, -b), (w, b), (-w, a), closed=True)
    else:
        s.line((-w, -a), (w, a - 2 * b), (w, a), (-w, a), closed=True)
    s.line((-1.5, 0), (-w, 0))
    s.line((w, 0), (1.5, 0))
    return s


def orifice_plate(rng: Rng) -> Shape:
    """Two tall bars across the pipe with the bore gap between them."""
    s = _inline()
    g, h = rng.uniform(0.18, 0.3), rng.uniform(0.6, 0.85)
    s.line((-g, -h), (-g, h))
    s.line((g, -h), (g, h))
    s.line((-1.5, 0), (-g, 0))
    s.line((g, 0), (1.5, 0))
    if rng.random() < 0.5:
        s.line((-g, -h * 0.4), (g, -h * 0.4))
    return s


def flange(rng: Rng) -> Shape:
    """A pair of short flange faces (or a single bar for a blind/slip-on)."""
    s = _inline()
    g, h = rng.uniform(0.08, 0.14), rng.uniform(0.35, 0.5)
    s.line((-g, -h), (-g, h), width=1.5)
    s.line((g, -h), (g, h), width=1.5)
    s.line((-1.5, 0), (-g, 0))
    s.line((g, 0), (1.5, 0))
    return s
