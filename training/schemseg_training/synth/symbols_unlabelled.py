"""Symbols outside our 40 classes that real P&IDs are full of; a sheet draws them as unlabelled ink
(mask 0, background) so the model learns to leave them alone.

In-line items run from ``a`` at (-1.5, 0) to ``b`` at (1.5, 0) like valves; end items (drain, vent,
off-page connector, motor, nozzle) attach at ``a``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .strokes import Shape, arc_points

__all__ = ["INLINE_UNLABELLED", "END_UNLABELLED", "nozzle", "off_page_connector", "interlock", "motor"]

Rng = np.random.Generator


def _inline() -> Shape:
    return Shape(terminals={"a": (-1.5, 0.0), "b": (1.5, 0.0)}, axis=("a", "b"))


def spectacle_blind(rng: Rng) -> Shape:
    """Figure-eight blind: an open and a solid disc joined by a web, across the pipe."""
    s = _inline()
    r = rng.uniform(0.25, 0.35)
    s.line((-1.5, 0), (1.5, 0))
    s.circle(0, -r * 1.4, r, filled=rng.random() < 0.5)
    s.circle(0, r * 1.4, r, filled=True)
    s.line((0, -r * 0.4), (0, r * 0.4))
    return s


def spacer(rng: Rng) -> Shape:
    """Ring spacer or slip blind: a short thick bar or a ring with a handle."""
    s = _inline()
    s.line((-1.5, 0), (1.5, 0))
    if rng.random() < 0.5:
        s.line((0, -0.5), (0, 0.5), width=2.5)
    else:
        s.circle(0, 0, 0.3)
        s.line((0, -0.3), (0, -0.8))
    return s


def strainer(rng: Rng) -> Shape:
    """Y-strainer (a slanted leg with a screen) or basket strainer (box with a dashed screen)."""
    s = _inline()
    if rng.random() < 0.6:
        s.line((-1.5, 0), (1.5, 0))
        s.line((-0.3, 0), (0.3, 0.7), (0.55, 0.5), (0.0, -0.05))
        s.line((0.02, 0.15), (0.35, 0.55))
    else:
        s.line((-1.5, 0), (-0.5, 0))
        s.line((0.5, 0), (1.5, 0))
        s.line((-0.5, -0.5), (0.5, -0.5), (0.5, 0.6), (-0.5, 0.6), closed=True)
        for y in (-0.3, 0.0, 0.3):
            s.line((-0.25, y + 0.05), (0.25, y + 0.05))
    return s


def steam_trap(rng: Rng) -> Shape:
    """Steam trap: a circle on the pipe with a T inside."""
    s = _inline()
    s.line((-1.5, 0), (-0.45, 0))
    s.line((0.45, 0), (1.5, 0))
    s.circle(0, 0, 0.45)
    s.text(0, 0, str(rng.choice(["T", "ST"])), 0.4)
    return s


def spec_break(rng: Rng) -> Shape:
    """Piping spec break: a bar across the pipe with the two classes written beside it."""
    s = _inline()
    s.line((-1.5, 0), (1.5, 0))
    s.line((0, -0.6), (0, 0.6))
    a, b = (str(x) for x in rng.choice(["150#", "300#", "600#", "A1A", "B2C", "CS", "SS"], 2, replace=False))
    s.text(-0.6, -0.6, a, 0.35)
    s.text(0.6, -0.6, b, 0.35)
    return s


def silencer(rng: Rng) -> Shape:
    """Silencer / flame arrester: a box across the pipe with hatching."""
    s = _inline()
    s.line((-1.5, 0), (-0.5, 0))
    s.line((0.5, 0), (1.5, 0))
    s.line((-0.5, -0.35), (0.5, -0.35), (0.5, 0.35), (-0.5, 0.35), closed=True)
    for x in (-0.25, 0.0, 0.25):
        s.line((x - 0.15, 0.35), (x + 0.15, -0.35))
    return s


INLINE_UNLABELLED: dict[str, Callable[[Rng], Shape]] = {
    "spectacle_blind": spectacle_blind,
    "spacer": spacer,
    "strainer": strainer,
    "steam_trap": steam_trap,
    "spec_break": spec_break,
    "silencer": silencer,
}


def drain(rng: Rng) -> Shape:
    """Open drain / funnel under a pipe end, hose connection, or vent goose neck; attach at ``a`` (top)."""
    s = Shape(terminals={"a": (0.0, -1.0)})
    u = rng.random()
    if u < 0.4:
        s.line((0, -1.0), (0, -0.2))
        s.line((-0.45, 0.0), (-0.15, 0.5), (0.15, 0.5), (0.45, 0.0))
    elif u < 0.7:
        s.line((0, -1.0), (0, 0.2))
        s.line((-0.3, 0.2), (0.3, 0.2), width=2.0)
    else:
        s.line((0, -1.0), (0, 0.1))
        s.path(arc_points(0.35, 0.1, 0.35, 0.35, 180, 0, 10))
        s.line((0.7, 0.1), (0.7, 0.4))
    return s


def off_page_connector(rng: Rng, text: str = "") -> Shape:
    """Off-page / continuation flag: a pentagon arrow with a line or sheet reference inside; ``a`` at its tail."""
    s = Shape(terminals={"a": (-2.2, 0.0)})
    s.line((-2.2, -0.45), (1.6, -0.45), (2.2, 0.0), (1.6, 0.45), (-2.2, 0.45), closed=True)
    s.text(-0.2, 0.0, text or f"{int(rng.integers(100, 999))}-{int(rng.integers(1, 40)):02d}", 0.5)
    return s


def interlock(rng: Rng) -> Shape:
    """Interlock / binary logic: a diamond with ``I`` (and a number); signal at ``a``."""
    s = Shape(terminals={"a": (0.0, 1.0)})
    s.line((0, -1.0), (1.0, 0), (0, 1.0), (-1.0, 0), closed=True)
    s.text(0, -0.15, str(rng.choice(["I", "IL", "ESD", "SIS"])), 0.4)
    s.text(0, 0.35, str(int(rng.integers(1, 99))), 0.3)
    return s


def motor(rng: Rng) -> Shape:
    """Electric motor: a circle with ``M``; the shaft leaves at ``a``."""
    s = Shape(terminals={"a": (0.0, 1.3)})
    s.circle(0, 0, 0.7)
    s.text(0, 0, "M", 0.6)
    s.line((0, 0.7), (0, 1.3))
    return s


def nozzle(rng: Rng) -> Shape:
    """Vessel nozzle: a stub from the shell (``a``) to a flange face (bar) at ``b``."""
    s = Shape(terminals={"a": (0.0, 0.0), "b": (1.0, 0.0)})
    s.line((0, 0), (1.0, 0))
    s.line((1.0, -0.35), (1.0, 0.35), width=float(rng.choice([1.0, 1.5])))
    if rng.random() < 0.3:
        s.line((0.85, -0.35), (0.85, 0.35))
    return s


END_UNLABELLED: dict[str, Callable[[Rng], Shape]] = {"drain": drain, "off_page_connector": off_page_connector}
