"""P&ID equipment in local units: pumps, compressors, heat exchangers and vessels in the variants of
ISO 10628-2 / ISA drawings.

A vessel's class is its shell only: nozzles, agitators' motors and the pipes are drawn by the sheet
as unlabelled ink. Vessels name points on their shell where a sheet may attach a nozzle:
``t*`` on top, ``b*`` at the bottom, ``l*`` and ``r*`` on the sides (and ``a`` top, ``b`` bottom).
"""

from __future__ import annotations

import numpy as np

from .strokes import Shape, arc_points

__all__ = ["pump", "compressor", "heat_exchanger", "vessel", "VESSEL_STYLES"]

Rng = np.random.Generator

VESSEL_STYLES = ("drum", "horizontal", "column", "tank")


def pump(rng: Rng) -> Shape:
    """Centrifugal pump (circle with a tangential discharge; ISO triangle or feet optional), or a
    positive-displacement pump (circle with an inner circle / two lobes)."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, -0.85)}, axis=None)
    r = 0.85
    s.circle(0, 0, r)
    s.line((-1.5, 0), (-r, 0))
    s.line((0, -r), (1.5, -r))
    u = rng.random()
    if u < 0.3:  # ISO 10628: two lines from the casing to the outlet point
        s.line((0, -r), (r, 0), (0, r))
        if rng.random() < 0.4:
            s.line((-0.35, -0.35), (0.3, -0.35), (0.3, 0.35), (-0.35, 0.35), closed=True)
    elif u < 0.55:
        s.line((-0.45, -0.4), (0.55, 0), (-0.45, 0.4), closed=True)
    elif u < 0.65:
        s.circle(0, 0, r * 0.45)
    elif u < 0.72:
        s.line((-0.55, -0.55), (0.55, 0.55))
        s.line((-0.55, 0.55), (0.55, -0.55))
    if rng.random() < 0.6:
        s.line((-0.5, 0.68), (-0.8, 1.1), (0.8, 1.1), (0.5, 0.68))
    return s


def compressor(rng: Rng) -> Shape:
    """Circle with two converging lines, a bare trapezoid (ISO), or a fan / blower (circle with blades)."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, 0.0)}, axis=("a", "b"))
    u = rng.random()
    r = 0.9
    if u < 0.55:
        s.circle(0, 0, r)
        s.line((-0.55, -0.72), (0.7, -0.35))
        s.line((-0.55, 0.72), (0.7, 0.35))
    elif u < 0.8:
        s.line((-r, -0.9), (r, -0.4), (r, 0.4), (-r, 0.9), closed=True)
    else:
        s.circle(0, 0, r)
        for ang in (0, 120, 240):
            t = np.deg2rad(ang)
            s.line((0, 0), (0.75 * np.cos(t), 0.75 * np.sin(t)))
    s.line((-1.5, 0), (-r, 0))
    s.line((r, 0), (1.5, 0))
    return s


def heat_exchanger(rng: Rng) -> Shape:
    """Circle with a zigzag tube, shell with a U-tube, shell-and-tube with channel head, or plate pack."""
    s = Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, 0.0)}, axis=("a", "b"))
    u = rng.random()
    if u < 0.35:
        r = 0.85
        s.circle(0, 0, r)
        s.line((-1.5, 0), (-0.55, 0), (-0.3, -0.4), (0.0, 0.4), (0.3, -0.4), (0.55, 0), (1.5, 0))
        return s
    if u < 0.55:
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
    if u < 0.8:  # shell-and-tube: shell, tube sheet, channel head, tube lines
        h = rng.uniform(0.45, 0.65)
        s.line((-1.0, -h), (1.2, -h), (1.2, h), (-1.0, h), closed=True)
        s.line((-1.0, -h), (-1.4, -h * 0.8), (-1.4, h * 0.8), (-1.0, h))
        for y in np.linspace(-h * 0.5, h * 0.5, int(rng.integers(2, 4))):
            s.line((-1.0, y), (1.0, y))
        s.line((-1.5, 0), (-1.4, 0))
        s.line((1.2, 0), (1.5, 0))
        return s
    h = rng.uniform(0.7, 1.0)  # plate exchanger: a frame with the plates (or a cross) drawn across
    s.line((-0.9, -h), (0.9, -h), (0.9, h), (-0.9, h), closed=True)
    if rng.random() < 0.4:
        s.line((-0.9, -h), (0.9, h))
        s.line((-0.9, h), (0.9, -h))
    else:
        for x in np.linspace(-0.6, 0.6, int(rng.integers(3, 6))):
            s.line((x, -h), (x, h))
        if rng.random() < 0.5:
            s.line((-0.9, -h), (0.9, h))
    s.line((-1.5, 0), (-0.9, 0))
    s.line((0.9, 0), (1.5, 0))
    return s


def vessel(rng: Rng) -> Shape:
    """Upright drum, lying drum, column with trays, or flat-bottomed tank with a cone roof."""
    style = str(rng.choice(VESSEL_STYLES, p=[0.4, 0.25, 0.2, 0.15]))
    if style == "horizontal":
        return _lying_drum(rng)
    w = rng.uniform(0.55, 0.8)
    h = rng.uniform(1.0, 1.5) if style != "column" else rng.uniform(2.0, 3.2)
    if style == "column":
        w = rng.uniform(0.45, 0.6)
    k = w * rng.uniform(0.35, 0.6)
    if style == "tank":
        roof = w * rng.uniform(0.15, 0.3)
        s = Shape(terminals={"a": (0.0, -h - roof), "b": (0.0, h)}, axis=("a", "b"))
        s.line((-w, h), (-w, -h), (0, -h - roof), (w, -h), (w, h), closed=True)
    else:
        s = Shape(terminals={"a": (0.0, -h - k), "b": (0.0, h + k)}, axis=("a", "b"))
        pts = np.concatenate([arc_points(0, -h, w, k, 180, 360, 16), arc_points(0, h, w, k, 0, 180, 16)])
        s.path(pts, closed=True)
        if rng.random() < 0.5:
            s.line((-w, -h), (w, -h))
            s.line((-w, h), (w, h))
    if style == "column":
        _internals(s, rng, w, h)
    _side_nozzle_points(s, w, h)
    s.terminals["t0"] = s.terminals["a"]
    s.terminals["b0"] = s.terminals["b"]
    return s


def _internals(s: Shape, rng: Rng, w: float, h: float) -> None:
    """Trays (alternating segments) or packed beds (a cross between two support lines)."""
    if rng.random() < 0.6:
        for i, y in enumerate(np.linspace(-h * 0.8, h * 0.8, int(rng.integers(4, 9)))):
            x = -w if i % 2 else w
            s.line((x, y), (x * -0.45, y))
        return
    beds = int(rng.integers(1, 3))
    edges = np.linspace(-h * 0.85, h * 0.85, 2 * beds)
    for top, bottom in zip(edges[::2], edges[1::2]):
        s.line((-w, top), (w, top))
        s.line((-w, bottom), (w, bottom))
        s.line((-w, top), (w, bottom))
        s.line((-w, bottom), (w, top))


def _side_nozzle_points(s: Shape, w: float, h: float) -> None:
    for i, y in enumerate(np.linspace(-h * 0.75, h * 0.75, 4)):
        s.terminals[f"l{i}"] = (-w, float(y))
        s.terminals[f"r{i}"] = (w, float(y))


def _lying_drum(rng: Rng) -> Shape:
    w, h = rng.uniform(1.2, 1.7), rng.uniform(0.45, 0.65)
    k = h * rng.uniform(0.35, 0.6)
    s = Shape(terminals={"a": (0.0, -h), "b": (0.0, h)}, axis=("a", "b"))
    pts = np.concatenate([arc_points(w, 0, k, h, -90, 90, 16), arc_points(-w, 0, k, h, 90, 270, 16)])
    s.path(pts, closed=True)
    if rng.random() < 0.5:
        s.line((-w, -h), (-w, h))
        s.line((w, -h), (w, h))
    if rng.random() < 0.35:  # a boot (water leg) under the drum
        s.line((w * 0.4, h), (w * 0.4, h + 0.45), (w * 0.75, h + 0.45), (w * 0.75, h))
    for i, x in enumerate(np.linspace(-w * 0.7, w * 0.7, 4)):
        s.terminals[f"t{i}"] = (float(x), -h)
        s.terminals[f"b{i}"] = (float(x), h)
    s.terminals["l0"] = (-w - k, 0.0)
    s.terminals["r0"] = (w + k, 0.0)
    return s
