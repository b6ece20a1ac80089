"""Symbols shared by circuits and P&IDs: terminal, junction, crossover, flow arrow, designation text."""

from __future__ import annotations

import cv2
import numpy as np

from .strokes import Pen, Shape, arc_points, arrow_head, text_ink

__all__ = [
    "terminal",
    "junction",
    "crossover",
    "flow_arrow",
    "designation_text",
    "designation_ink",
    "circuit_label",
    "pid_label",
]

Rng = np.random.Generator

_PREFIX_VALUES = {
    "R": ("1k", "4.7k", "10k", "100", "2.2k", "47k", "1M", "330", "R", "100k"),
    "C": ("10uF", "1nF", "100pF", "0.1uF", "22pF", "4.7uF", "C", "1uF"),
    "L": ("10uH", "1mH", "L", "100nH"),
    "M": (),
    "Q": (),
    "D": (),
    "U": (),
    "V": ("5V", "12V", "1.2V", "Vin"),
    "I": ("100uA", "1mA", "I"),
    "S": (),
    "J": (),
    "B": ("9V", "3V"),
}
_SUBSCRIPTED = (
    ("V", "DD"),
    ("V", "CC"),
    ("V", "SS"),
    ("V", "EE"),
    ("V", "BIAS"),
    ("v", "in"),
    ("v", "out"),
    ("V", "out"),
    ("I", "REF"),
    ("I", "BIAS"),
    ("I", "D"),
    ("C", "L"),
    ("R", "L"),
    ("C", "C"),
    ("R", "D"),
    ("R", "S"),
    ("V", "b1"),
    ("V", "b2"),
    ("g", "m"),
    ("r", "o"),
    ("C", "gs"),
    ("V", "+"),
    ("V", "-"),
    ("i", "out"),
)
_PID_PREFIX = ("P", "V", "E", "T", "FV", "PV", "XV", "HV", "LV", "PSV", "K", "C", "TK")


def terminal(rng: Rng) -> Shape:
    """I/O port: a small open circle at a wire end, or a pentagon flag / square pin; wire at ``a``."""
    style = rng.choice(3, p=[0.75, 0.17, 0.08])
    if style == 0:
        s = Shape(terminals={"a": (0.5, 0.0)})
        s.circle(0, 0, 0.5)
        return s
    if style == 1:
        s = Shape(terminals={"a": (1.2, 0.0)})
        s.line((-1.2, -0.45), (0.7, -0.45), (1.2, 0), (0.7, 0.45), (-1.2, 0.45), closed=True)
        return s
    s = Shape(terminals={"a": (0.9, 0.0)})
    s.line((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5), closed=True)
    s.line((0.5, 0), (0.9, 0))
    return s


def junction(rng: Rng) -> Shape:
    """Filled connection dot."""
    return Shape(terminals={"a": (0.0, 0.0)}).circle(0, 0, 1.0, filled=True)


def crossover(rng: Rng, min_gap: float = 0.0, broken_share: float = 0.1) -> Shape:
    """Wire ``a``-``b`` hopping over wire ``c``-``d`` with a half circle (or, ``broken_share`` of the
    time, a broken wire).

    ``min_gap``: the least half-width of the broken wire's gap, in shape units. The crossing wire
    fills a narrower gap, and the drawing then shows a plain crossing (no symbol to a reader), so
    the sheet generator passes what its pen needs for paper to show on both sides.
    """
    s = Shape(terminals={"a": (-1.0, 0.0), "b": (1.0, 0.0), "c": (0.0, -1.0), "d": (0.0, 1.0)}, axis=("a", "b"))
    r = rng.uniform(0.4, 0.6)
    s.line((0, -1.0), (0, 1.0))
    if rng.random() < 1.0 - broken_share:
        s.line((-1.0, 0), (-r, 0))
        s.path(arc_points(0, 0, r, r * rng.uniform(0.9, 1.2), 180, 360, 14))
        s.line((r, 0), (1.0, 0))
    else:
        gap = min(max(r * 0.6, min_gap), 0.9)
        s.line((-1.0, 0), (-gap, 0))
        s.line((gap, 0), (1.0, 0))
    return s


def flow_arrow(rng: Rng) -> Shape:
    """Arrowhead sitting on a pipe: filled, outlined, or an open chevron (as some CAD tools draw it)."""
    s = Shape(terminals={"a": (-1.0, 0.0), "b": (1.0, 0.0)}, axis=("a", "b"))
    s.line((-1.0, 0), (1.0, 0))
    head = arrow_head((0.45, 0), (1, 0), 0.9, rng.uniform(0.3, 0.45))
    u = rng.random()
    if u < 0.6:
        s.fill(*head)
    elif u < 0.85:
        s.line(*head, closed=True)
    else:
        s.line(head[1], head[0], head[2])
    return s


def circuit_label(rng: Rng, prefix: str) -> tuple[str, str]:
    """A circuit designation ``(main, subscript)``: ``("M3", "")``, ``("4.7k", "")``, ``("V", "DD")``."""
    u = rng.random()
    values = _PREFIX_VALUES.get(prefix, ())
    if prefix in ("", "X") or u < 0.12:
        return _SUBSCRIPTED[int(rng.integers(len(_SUBSCRIPTED)))]
    if values and u < 0.4:
        return str(rng.choice(values)), ""
    if u < 0.45:
        return prefix, str(int(rng.integers(1, 12)))
    return f"{prefix}{int(rng.integers(1, 20))}", ""


def pid_label(rng: Rng) -> tuple[str, str]:
    """An equipment / line tag such as ``P-101``, ``FV-2001`` or ``6"-PL-1001``."""
    if rng.random() < 0.2:
        return f'{int(rng.integers(1, 13))}"-{rng.choice(["PL", "CW", "ST", "HC"])}-{int(rng.integers(1000, 9999))}', ""
    return f"{rng.choice(_PID_PREFIX)}-{int(rng.integers(1, 40)) * 100 + int(rng.integers(0, 10))}", ""


def designation_text(rng: Rng, pid: bool = False) -> tuple[str, str]:
    """Any designation, circuit or P&ID."""
    if pid:
        return pid_label(rng)
    return circuit_label(rng, str(rng.choice(list(_PREFIX_VALUES))))


def designation_ink(main: str, sub: str, height: float, pen: Pen, italic_sub: bool = True) -> np.ndarray:
    """Ink crop of a designation: ``main`` text with an optional lowered, smaller subscript."""
    ink, base = text_ink(main, height, pen)
    if not sub:
        return ink
    sub_pen = Pen(pen.width, pen.font | (cv2.FONT_ITALIC if italic_sub else 0), max(1, pen.text_thickness))
    sub_ink, _ = text_ink(sub, height * 0.7, sub_pen)
    drop = int(round(height * 0.4))
    h = max(ink.shape[0], sub_ink.shape[0] + drop)
    out = np.zeros((h, ink.shape[1] + sub_ink.shape[1] - 4), np.uint8)
    out[: ink.shape[0], : ink.shape[1]] = ink
    x = ink.shape[1] - 4
    region = out[drop : drop + sub_ink.shape[0], x : x + sub_ink.shape[1]]
    np.maximum(region, sub_ink[: region.shape[0], : region.shape[1]], out=region)
    return out
