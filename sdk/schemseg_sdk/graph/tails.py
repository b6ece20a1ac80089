"""Tails: thin strips of a symbol's mask that run out along a line, given back to the line.

A model's mask of a symbol often runs a few pixels out along the line that meets it: a strip
about as wide as the line, from the symbol's body to the edge of its box. A pipe loses a few
pixels that way and still touches the symbol, but a signal line between an instrument bubble and
a valve is often only two dashes long: the tails of both masks swallow its dashes, and nothing is
left to trace between the two. The tail's pixels are line pixels again: they are what the body
of the mask is not (a morphological opening takes the body, keeping what a square a little wider
than a stroke fits in), and they reach the edge of the symbol's box, where a line leaves it. A
symbol whose mask is thin everywhere (a flange, a thin valve) has no body and keeps its mask; a
thin part inside the box (a valve's actuator stem) is not a tail.

Only P&ID symbols are peeled (:data:`TAILED_CLASSES`): a circuit symbol's leads are drawn as part of
it, thin strips that reach its box's edge, and where they end is where its ports are named.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..classes import PID_SYMBOL_CLASSES
from ..symbols import Symbol

__all__ = ["TAILED_CLASSES", "peel_tails"]

TAILED_CLASSES = frozenset(PID_SYMBOL_CLASSES)
"""The classes whose tails are peeled: peeling circuit symbols too lost 1 % of the right edges on the 100
sheets of the synthetic validation set (most of them circuits) with the bundled model."""


def peel_tails(mask: np.ndarray, symbols: Sequence[Symbol], stroke_width: float) -> np.ndarray:
    """``mask`` with the tails of each P&ID symbol set to background (class 0); ``mask`` itself when there are none.

    Args:
        mask: ``(H, W)`` uint8 class ids.
        symbols: the symbols (their class ids and boxes); those not in :data:`TAILED_CLASSES` are left as they are.
        stroke_width: the sheet's stroke width: tails up to ``2 * ceil(stroke_width)`` pixels wide are peeled.

    >>> m = np.zeros((12, 20), np.uint8); m[2:10, 2:10] = 5; m[5:7, 10:18] = 5  # a body and a 2 px tail
    >>> s = Symbol(5, "instrument_field", (2, 2, 18, 10), 80, None)
    >>> int((peel_tails(m, [s], 1.0) == 5).sum())
    64
    """
    side = 2 * int(np.ceil(stroke_width)) + 1
    kernel = np.ones((side, side), np.uint8)
    out = mask
    for symbol in symbols:
        if symbol.class_name not in TAILED_CLASSES:
            continue
        x0, y0, x1, y1 = symbol.bbox
        own = (mask[y0:y1, x0:x1] == symbol.class_id).view(np.uint8)
        tails = _tails(own, kernel)
        if tails is None:
            continue
        if out is mask:
            out = mask.copy()
        out[y0:y1, x0:x1][tails] = 0
    return out


def _tails(own: np.ndarray, kernel: np.ndarray) -> np.ndarray | None:
    """The thin pieces of ``own`` (a box's mask) that reach the box's edge, or None when there are none or no body."""
    body = cv2.morphologyEx(own, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if not body.any():
        return None
    thin = own & (body == 0).view(np.uint8)
    count, labels = cv2.connectedComponents(thin, connectivity=8)
    if count <= 1:
        return None
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge > 0]
    if edge.size == 0:
        return None
    return np.isin(labels, edge)
