"""Terminals: where a line meets a symbol.

A symbol's ink is the symbol-class pixels inside its box. Around it lies a ring (a little wider
than a stroke); the line ink in that ring, split into connected blobs, gives one terminal per blob:
its position (the blob's centre) and its net (the piece of line the blob belongs to). A symbol
whose leads the model left unlabelled still gets terminals: at the ends of those leads, which are
then short line pieces reaching no other symbol.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..symbols import Symbol
from .lines import LineTrace
from .roles import ClassRoles

FAR_REACH = 0.6
"""How far (times the symbol's shorter side) the second search for a missing terminal reaches."""

__all__ = ["EXPECTED_TERMINALS", "Terminal", "find_terminals", "symbols_per_net"]

EXPECTED_TERMINALS = {"nmos": 3, "pmos": 3, "npn": 3, "pnp": 3, "opamp": 3}
"""Symbols whose control terminal often lies a gap away: a MOSFET's gate plate is drawn apart from its
channel, and the model tends to leave the plate to the line. With fewer terminals than this, the
search reaches :data:`FAR_REACH` times the symbol's shorter side further and adds the nearest contacts that lie
that far from the terminals already found."""


@dataclass(frozen=True)
class Terminal:
    """A point where a line meets a symbol.

    Attributes:
        x: column of the contact's centre (pixels).
        y: row of the contact's centre.
        net: the net index of the line (see :class:`~schemseg_sdk.graph.lines.LineTrace`).
        area: contact pixels (a wider contact is a surer one).
    """

    x: float
    y: float
    net: int
    area: int


def find_terminals(
    symbols: Sequence[Symbol], mask: np.ndarray, roles: ClassRoles, trace: LineTrace
) -> list[list[Terminal]]:
    """The terminals of each symbol, in the order of ``symbols``.

    A contact whose net reaches no other symbol (a designation's stray letter, a lead stub) is weak:
    it does not count toward :data:`EXPECTED_TERMINALS`, and weak contacts are listed last.
    """
    reach = int(np.ceil(trace.stroke_width)) + 2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    found = [_symbol_terminals(symbol, mask, roles, trace, reach, kernel) for symbol in symbols]
    net_reach = symbols_per_net(found)
    for symbol, terminals in zip(symbols, found):
        expected = EXPECTED_TERMINALS.get(symbol.class_name, 0)
        strong = [t for t in terminals if net_reach[t.net] > 1]
        if len(strong) < expected:
            x0, y0, x1, y1 = symbol.bbox
            far = max(reach, round(min(x1 - x0, y1 - y0) * FAR_REACH))
            wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * far + 1, 2 * far + 1))
            # a diode-connected gate is on its drain's net: a new place is enough, not a new net
            extra = _symbol_terminals(symbol, mask, roles, trace, far, wide)
            for t in sorted(extra, key=lambda t: (net_reach[t.net] <= 1, _gap(symbol, t))):
                if len(strong) < expected and all(_distance(t, u) > far for u in strong):
                    strong.append(t)
        terminals[:] = strong + [t for t in terminals if t not in strong]
    return found


def symbols_per_net(terminals: Sequence[Sequence[Terminal]]) -> Counter[int]:
    """How many symbols each net touches (a net touching one symbol twice counts once)."""
    return Counter(net for found in terminals for net in {t.net for t in found})


def _distance(a: Terminal, b: Terminal) -> float:
    return float(np.hypot(a.x - b.x, a.y - b.y))


def _gap(symbol: Symbol, t: Terminal) -> float:
    """Distance from a terminal to the symbol's box."""
    x0, y0, x1, y1 = symbol.bbox
    return float(np.hypot(max(x0 - t.x, 0, t.x - x1), max(y0 - t.y, 0, t.y - y1)))


def _symbol_terminals(
    symbol: Symbol, mask: np.ndarray, roles: ClassRoles, trace: LineTrace, reach: int, kernel: np.ndarray
) -> list[Terminal]:
    height, width = mask.shape
    bx0, by0, bx1, by1 = symbol.bbox
    x0, y0 = max(0, bx0 - reach), max(0, by0 - reach)
    x1, y1 = min(width, bx1 + reach), min(height, by1 + reach)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    own[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] = roles.symbol[mask[by0:by1, bx0:bx1]]
    ring = cv2.dilate(own, kernel).astype(bool) & ~own.astype(bool)
    labels = trace.labels[y0:y1, x0:x1]
    nets = np.where(labels > 0, trace.net_of[labels], -1)
    contact = (ring & (nets >= 0)).view(np.uint8)
    count, blobs, stats, _ = cv2.connectedComponentsWithStats(contact, connectivity=8)
    found = []
    for blob in range(1, count):
        x, y, w, h = (int(v) for v in stats[blob, :4])
        inside = blobs[y : y + h, x : x + w] == blob
        blob_nets = nets[y : y + h, x : x + w]
        for net in np.unique(blob_nets[inside]):  # lines of two nets may touch within one contact
            ys, xs = np.nonzero(inside & (blob_nets == net))
            found.append(Terminal(float(xs.mean() + x + x0), float(ys.mean() + y + y0), int(net), int(xs.size)))
    return _merge_close(found, 2.0 * trace.stroke_width + 2)


def _merge_close(terminals: list[Terminal], distance: float) -> list[Terminal]:
    """One terminal for blobs of the same net closer than ``distance`` (a lead cut in two by the ring)."""
    merged: list[Terminal] = []
    for t in sorted(terminals, key=lambda t: -t.area):
        if not any(m.net == t.net and np.hypot(m.x - t.x, m.y - t.y) < distance for m in merged):
            merged.append(t)
    return merged
