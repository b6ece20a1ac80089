"""Text on a P&ID sheet: tags beside symbols and line numbers along pipes (class ``designation``),
and nozzle marks, notes and equipment names (unlabelled), each put only where it covers no ink.

Rule: text that names one symbol or one line (an equipment or valve tag, a line number with its
size and spec) is a ``designation``; text that names no symbol of ours (nozzle marks, notes, the
equipment's duty, off-page destinations, title block) is background.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canvas import Box
from .catalog import ID
from .pid_record import RecordingCanvas, text_block
from .strokes import Pen, Placement, Shape

__all__ = ["TextWriter", "line_number", "equipment_tag", "valve_tag"]

_FLUIDS = ("P", "PL", "CW", "ST", "HC", "N", "FG", "BD", "LS", "PW", "IA", "CWR", "CWS", "DR")
_SPECS = ("A1A", "B1C", "C2E", "1CA1", "3CS2", "A3B", "AA1", "CS150")
_EQUIP = {"pump": "P", "compressor": "K", "heat_exchanger": "E", "vessel": "V"}


def line_number(rng: np.random.Generator) -> str:
    """A line number such as ``6"-P-1203-A1A-IH``, ``DN80-CW-2001`` or ``MNb 47123 75HB13 80``."""
    u = rng.random()
    size = str(rng.choice(['1/2"', '3/4"', '1"', '1-1/2"', '2"', '3"', '4"', '6"', '8"', '10"', '12"', '16"']))
    fluid, spec = str(rng.choice(_FLUIDS)), str(rng.choice(_SPECS))
    number = int(rng.integers(1000, 99999))
    if u < 0.5:
        return f"{size}-{fluid}-{number}-{spec}" + ("-IH" if rng.random() < 0.2 else "")
    if u < 0.8:
        return f"DN{int(rng.choice([15, 25, 40, 50, 80, 100, 150, 200, 300]))}-{fluid}-{number}-{spec}"
    return f"{fluid}{rng.choice(list('abc'))!s} {number} {spec} {int(rng.choice([25, 50, 80, 100]))}"


def equipment_tag(rng: np.random.Generator, name: str) -> str:
    """An equipment tag such as ``P-1203A`` or ``V 4750``."""
    sep = str(rng.choice(["-", " ", ""]))
    suffix = str(rng.choice(["", "", "A", "B"]))
    return f"{_EQUIP.get(name, 'X')}{sep}{int(rng.integers(100, 9999))}{suffix}"


def valve_tag(rng: np.random.Generator) -> str:
    """A valve or item tag such as ``HV-1203``, ``FV 4750.01`` or ``XV-22``."""
    prefix = str(rng.choice(["HV", "FV", "PV", "LV", "TV", "XV", "V", "SP", "PSV", "HS"]))
    sep = str(rng.choice(["-", " "]))
    if rng.random() < 0.3:
        return f"{prefix}{sep}{int(rng.integers(1000, 9999))}.{int(rng.integers(1, 20)):02d}"
    return f"{prefix}{sep}{int(rng.integers(1, 9999))}"


@dataclass
class TextWriter:
    """Puts text of one height and pen on a recording canvas, avoiding ink and reserved areas."""

    canvas: RecordingCanvas
    rng: np.random.Generator
    pen: Pen
    height: float
    clearance: int = 0  # least distance of text from a pipe's centre line (its reserved corridor)
    written: int = 0

    def try_put(
        self,
        text: str,
        spots: list[tuple[int, int]],
        turns: int = 0,
        designation: bool = True,
        height: float | None = None,
    ) -> Box | None:
        """Write ``text`` at the first free top-left spot; returns its box or None."""
        h = height or self.height
        ink = text_block(text, h, self.pen, turns)
        th, tw = ink.shape
        for x, y in spots:
            box = (x, y, x + tw, y + th)
            if self.canvas.is_free(box, 1) and not self.canvas.ink[max(0, y) : y + th, max(0, x) : x + tw].any():
                self.canvas.put_text(text, x, y, h, self.pen, turns, ID["designation"] if designation else 0)
                self.canvas.reserve(box)
                self.written += 1
                return box
        return None

    def size_of(self, text: str, turns: int = 0, height: float | None = None) -> tuple[int, int]:
        ink = text_block(text, height or self.height, self.pen, turns)
        return ink.shape[1], ink.shape[0]

    def beside(
        self, box: Box, text: str, turns: int = 0, designation: bool = True, height: float | None = None
    ) -> Box | None:
        """Write ``text`` right of, left of, above or below ``box`` (in random order)."""
        w, h = self.size_of(text, turns, height)
        x0, y0, x1, y1 = box
        gap = int(self.rng.integers(2, 6))
        cx, cy = (x0 + x1 - w) // 2, (y0 + y1 - h) // 2
        spots = [
            (x1 + gap, cy),
            (x0 - gap - w, cy),
            (cx, y0 - gap - h),
            (cx, y1 + gap),
            (x1 + gap, y0 - h),
            (x1 + gap, y1),
        ]
        order = list(self.rng.permutation(len(spots)))
        return self.try_put(text, [spots[i] for i in order], turns, designation, height)

    def tag_beside(self, box: Box, vertical: bool = False, text: str = "") -> Box | None:
        """A valve / item tag next to ``box``, turned to read along a vertical pipe half of the time."""
        turns = 1 if vertical and self.rng.random() < 0.5 else 0
        return self.beside(box, text or valve_tag(self.rng), turns, height=self.height * 0.85)

    def along(self, a: tuple[float, float], b: tuple[float, float], text: str) -> Box | None:
        """Write ``text`` parallel to the pipe segment ``a``-``b``, just beside it."""
        vertical = abs(a[0] - b[0]) < 0.5
        turns = 1 if vertical else 0
        w, h = self.size_of(text, turns)
        gap = self.clearance + int(self.height * self.rng.uniform(0.1, 0.4)) + 2
        spots = []
        for f in self.rng.uniform(0.2, 0.8, 3):
            mx, my = a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
            if vertical:
                spots += [(int(mx - gap - w), int(my - h / 2)), (int(mx + gap), int(my - h / 2))]
            else:
                spots += [(int(mx - w / 2), int(my - gap - h)), (int(mx - w / 2), int(my + gap))]
        return self.try_put(text, spots, turns)

    def leader(self, at: tuple[float, float], out: tuple[float, float], text: str, reach: float) -> Box | None:
        """Write ``text`` about ``reach`` px off the pipe point ``at`` (along ``out``) with a leader line
        and an arrowhead pointing at the pipe, as some contractors tag their lines (unlabelled leader)."""
        w, h = self.size_of(text)
        tx, ty = at[0] + out[0] * reach, at[1] + out[1] * reach
        x = int(tx - w / 2) if abs(out[0]) < 0.5 else (int(tx) if out[0] > 0 else int(tx) - w)
        y = int(ty - h / 2) if abs(out[1]) < 0.5 else (int(ty) if out[1] > 0 else int(ty) - h)
        box = self.try_put(text, [(x, y)])
        if box is None:
            return None
        end = (tx - out[0] * 2, ty - out[1] * 2)
        if abs(out[0]) < 0.5:
            end = (tx, float(box[1] - 2) if out[1] > 0 else float(box[3] + 2))
        arrow = Shape().line(at, end).arrow(at, (-out[0], -out[1]), reach * 0.12, reach * 0.04, filled=True)
        self.canvas.draw_symbol(0, arrow, Placement(0, 0, 1.0), self.pen)
        return box
