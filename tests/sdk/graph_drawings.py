"""Drawings made in code for the graph tests: ink on white, the class mask a perfect model would give, the symbols."""

from __future__ import annotations

import cv2
import numpy as np

from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.symbols import Symbol

INK = 0
STROKE = 2


class Sheet:
    """A blank sheet to draw wires and symbols on; ``symbols`` lists what was drawn as a symbol."""

    def __init__(self, width: int = 200, height: int = 160) -> None:
        self.image = np.full((height, width, 3), 255, np.uint8)
        self.mask = np.zeros((height, width), np.uint8)
        self.symbols: list[Symbol] = []

    def wire(self, x0: int, y0: int, x1: int, y1: int) -> Sheet:
        cv2.line(self.image, (x0, y0), (x1, y1), (INK, INK, INK), STROKE)
        return self

    def dashed(self, x0: int, x1: int, y: int, dash: int = 8, gap: int = 5) -> Sheet:
        for x in range(x0, x1, dash + gap):
            self.wire(x, y, min(x + dash, x1), y)
        return self

    def thin_dashed(self, x0: int, x1: int, y: int, dash: int = 6, gap: int = 4, gray: int = 175) -> Sheet:
        """A fine-pen dashed line between rows ``y`` and ``y + 1``: two rows of light gray, as anti-aliasing draws it."""
        for x in range(x0, x1, dash + gap):
            self.image[y : y + 2, x : min(x + dash, x1)] = gray
        return self

    def box_symbol(self, name: str, x0: int, y0: int, x1: int, y1: int, pen: int = STROKE) -> Sheet:
        """A symbol drawn as a box outline with a ``pen`` pixels wide (inside the box), labelled ``name`` in the mask."""
        inset = pen // 2  # OpenCV centres the pen on the outline
        cv2.rectangle(self.image, (x0 + inset, y0 + inset), (x1 - 1 - inset, y1 - 1 - inset), (INK, INK, INK), pen)
        ink = self.image[y0:y1, x0:x1, 0] < 128
        self.mask[y0:y1, x0:x1][ink] = class_index(name)
        self.symbols.append(Symbol(class_index(name), name, (x0, y0, x1, y1), int(ink.sum()), 1.0))
        return self

    def label(self, name: str, x0: int, y0: int, x1: int, y1: int) -> Sheet:
        """Mark the ink in a box as ``name`` (a junction, a crossover, a designation), not as a symbol."""
        ink = self.image[y0:y1, x0:x1, 0] < 128
        self.mask[y0:y1, x0:x1][ink] = class_index(name)
        return self

    def text(self, words: str, x: int, y: int) -> Sheet:
        cv2.putText(self.image, words, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (INK, INK, INK), 1)
        return self


def bubble_and_valve(wired: bool = True) -> Sheet:
    """An instrument bubble (x 10-40) and a control valve (x 70-100) on rows 60-100, facing each other
    across x 40-70 at row 80, where the tests draw a signal line; ``wired``: a pipe leaves the valve."""
    sheet = Sheet().box_symbol("instrument_field", 10, 60, 40, 100).box_symbol("control_valve", 70, 60, 100, 100)
    return sheet.wire(100, 90, 190, 90) if wired else sheet


__all__ = ["CLASS_NAMES", "Sheet", "bubble_and_valve"]
