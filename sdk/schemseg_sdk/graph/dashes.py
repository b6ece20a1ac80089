"""Dashed and dotted lines: short pieces in a row joined into one line, and their ends bridged to symbols.

A signal line on a P&ID is drawn dashed or dotted, often with a finer pen than the process lines
and often only one to three dashes long (between an instrument bubble and a valve's actuator).
"""

from __future__ import annotations

import cv2
import numpy as np

from ._regions import lookup, regions
from ._union import UnionFind
from .roles import ClassRoles

__all__ = ["join_dashes"]


def join_dashes(
    labels: np.ndarray,
    stats: np.ndarray,
    keep: np.ndarray,
    union: UnionFind,
    stroke_width: float,
    mask: np.ndarray,
    roles: ClassRoles,
) -> list[int]:
    """Join short pieces in a row along their long side into one line; the pieces so joined.

    A row of two is a line too when no symbol or text lies in its gap: a signal line between an
    instrument bubble and a valve's actuator is often two dashes long. Two leads on either side of
    a small symbol have the symbol in their gap and stay apart.
    """
    thin = 2.0 * stroke_width + 1
    longest = max(12.0, 12.0 * stroke_width)
    gap = round(max(8.0, 4.0 * stroke_width))  # fine signal lines have gaps of several pixels even at 1 px strokes
    gap += 1 - gap % 2  # an odd kernel closes in place; an even one shifts the row a pixel, onto what ends it
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    dot = (widths <= thin) & (heights <= thin)
    along_x = keep & (((heights <= thin) & (widths >= 2 * heights) & (widths <= longest)) | dot)
    along_y = keep & (((widths <= thin) & (heights >= 2 * widths) & (heights <= longest)) | dot)
    joined: list[int] = []
    for candidates, shape in ((along_x, (1, gap)), (along_y, (gap, 1))):
        if candidates.sum() < 2:
            continue
        pieces = lookup(candidates, labels).view(np.uint8)
        bridged = cv2.morphologyEx(pieces, cv2.MORPH_CLOSE, np.ones(shape, np.uint8))
        del pieces
        for (x, y, w, h), run in regions(bridged):
            crop = labels[y : y + h, x : x + w]
            members = np.unique(crop[run & candidates[crop]])
            if members.size >= 3 or (members.size == 2 and _clear_gap(run, crop, mask[y : y + h, x : x + w], roles)):
                for member in members[1:]:
                    union.join(int(members[0]), int(member))
                joined.extend(int(m) for m in members)
    return joined


def _clear_gap(run: np.ndarray, pieces: np.ndarray, mask: np.ndarray, roles: ClassRoles) -> bool:
    """True when the pixels bridging a row of pieces hold no symbol or text."""
    gap = run & (pieces == 0)
    return bool(roles.line[mask[gap]].all())
