"""ISA-5.1 instrument symbols with their tag written inside (function letters over the loop number).

The symbol's outline tells the device (circle: discrete instrument; circle in a square: shared
display / DCS; diamond in a square: PLC; hexagon: computer function); a horizontal bar through it
tells the location. Our classes split on the bar only: ``instrument_field`` has none (field
mounted), ``instrument_panel`` has one (solid: central control room, double: auxiliary panel,
dashed: behind the panel), whatever the outline (a stretched circle, the "stadium" some CAD
tools draw for long tags, counts as a circle). The tag inside is part of the symbol's mask: it
lies inside the closed outline, so grouping fills it anyway, and a reader takes bubble and tag as
one thing.
"""

from __future__ import annotations

import numpy as np

from .strokes import Shape, arc_points

__all__ = ["instrument_field", "instrument_panel", "instrument_tag", "OUTLINES"]

Rng = np.random.Generator

OUTLINES = ("circle", "dcs", "plc", "computer", "stadium")
_FIRST = "PTFLAHSWZ"
_FIRST_P = (0.26, 0.2, 0.2, 0.14, 0.06, 0.04, 0.04, 0.03, 0.03)
_MODIFIER = ("", "", "", "D", "Q")
_SUCCEEDING = ("T", "I", "IC", "E", "V", "IT", "C", "G", "S", "SH", "SL", "AH", "AL", "Y", "R", "ALL", "ZH", "CV")


def instrument_tag(rng: Rng) -> tuple[str, str]:
    """Function letters and loop number of an ISA instrument tag, e.g. ``("PIC", "1203")``."""
    first = str(rng.choice(list(_FIRST), p=_FIRST_P))
    letters = first + str(rng.choice(_MODIFIER)) + str(rng.choice(_SUCCEEDING))
    u = rng.random()
    if u < 0.5:
        number = str(int(rng.integers(1, 100)) * 100 + int(rng.integers(0, 100)))
    elif u < 0.8:
        number = f"{int(rng.integers(1, 99)):02d}{int(rng.integers(0, 999)):03d}"
    else:
        number = f"{int(rng.integers(1000, 9999))}.{int(rng.integers(1, 20)):02d}"
    if rng.random() < 0.15:
        number += str(rng.choice(list("ABC")))
    return letters, number


def _outline(s: Shape, kind: str) -> float:
    """Draw the outline; returns its half height (where a signal line meets it above and below)."""
    if kind == "circle":
        s.circle(0, 0, 1.0)
        return 1.0
    if kind == "stadium":  # CAD tools stretch the discrete-instrument circle for long tags
        pts = np.concatenate(
            [arc_points(0.55, 0, 0.75, 0.75, -90, 90, 12), arc_points(-0.55, 0, 0.75, 0.75, 90, 270, 12)]
        )
        s.path(pts, closed=True)
        return 0.75
    if kind == "computer":
        corners = [(np.cos(np.deg2rad(a)), np.sin(np.deg2rad(a))) for a in range(0, 360, 60)]
        s.line(*corners, closed=True)
        return float(np.sin(np.deg2rad(60)))
    s.line((-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), closed=True)
    if kind == "dcs":
        s.circle(0, 0, 1.0)
    else:
        s.line((0, -1.0), (1.0, 0), (0, 1.0), (-1.0, 0), closed=True)
    return 1.0


def _instrument(rng: Rng, bar: bool) -> Shape:
    """Outline, optional bar and tag; always upright (the tag reads letters over number), with a
    terminal on each side: ``a`` below, ``n`` above, ``w`` left, ``e`` right."""
    kind = str(rng.choice(OUTLINES, p=[0.52, 0.18, 0.1, 0.07, 0.13]))
    s = Shape()
    half = _outline(s, kind)
    side = 1.3 if kind == "stadium" else 1.0
    s.terminals.update({"a": (0.0, half), "n": (0.0, -half), "w": (-side, 0.0), "e": (side, 0.0)})
    letters, number = instrument_tag(rng)
    size = {"circle": 0.46, "dcs": 0.46, "stadium": 0.4}.get(kind, 0.36)
    fit = (2.2 if kind == "stadium" else 1.5) / 0.9  # a Hershey glyph is about 0.9 of its height wide
    size_l, size_n = min(size, fit / len(letters)), min(size * 0.85, fit / len(number))
    if bar:
        style = rng.choice(3, p=[0.7, 0.15, 0.15])
        if style == 1:
            s.line((-side, -0.06), (side, -0.06))
            s.line((-side, 0.06), (side, 0.06))
        elif style == 2:
            s.line((-side, 0), (-0.45, 0))
            s.line((-0.2, 0), (0.2, 0))
            s.line((0.45, 0), (side, 0))
        else:
            s.line((-side, 0), (side, 0))
        s.text(0, -0.4 * half, letters, min(size_l, 0.42 * half))
        s.text(0, 0.42 * half, number, min(size_n, 0.36 * half))
    else:
        s.text(0, -0.3 * half, letters, size_l * min(1.0, half * 1.2))
        s.text(0, 0.36 * half, number, size_n * min(1.0, half * 1.2))
    return s


def instrument_field(rng: Rng) -> Shape:
    """Field-mounted instrument: an outline without a bar, the tag inside."""
    return _instrument(rng, bar=False)


def instrument_panel(rng: Rng) -> Shape:
    """Operator-accessible instrument: the same outlines with a bar (solid, double or dashed)."""
    return _instrument(rng, bar=True)
