"""Connected regions of a sparse binary mask without a full-size label image, and label lookups in strips.

``cv2.connectedComponentsWithStats`` writes an int32 label per pixel: four bytes per pixel of a
10000 x 7000 sheet (280 MB) for a mask that marks a few thousand crossings. The outer contours of
the regions give their boxes and, filled, their pixels, in memory proportional to the regions.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

__all__ = ["lookup", "regions"]

_STRIP_ROWS = 512


def lookup(table: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``table[labels]`` for a full-size int32 label image, strip by strip.

    NumPy widens int32 indices to int64 for fancy indexing: on a 10000 x 7000 sheet that is a
    560 MB temporary; strips of rows keep it to a few megabytes.

    >>> lookup(np.array([False, True]), np.array([[0, 1], [1, 1]], np.int32)).tolist()
    [[False, True], [True, True]]
    """
    out = np.empty(labels.shape, table.dtype)
    for top in range(0, labels.shape[0], _STRIP_ROWS):
        out[top : top + _STRIP_ROWS] = table[labels[top : top + _STRIP_ROWS]]
    return out


def regions(binary: np.ndarray) -> Iterator[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Each 8-connected region of ``binary``: its box ``(x, y, w, h)`` and its filled pixels in that box (bool).

    >>> m = np.zeros((5, 8), np.uint8); m[1:3, 1:3] = 1; m[4, 5:8] = 1
    >>> [(box, int(pixels.sum())) for box, pixels in regions(m)]
    [((5, 4, 3, 1), 3), ((1, 1, 2, 2), 4)]
    """
    contours, _ = cv2.findContours(binary.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        filled = np.zeros((h, w), np.uint8)
        cv2.drawContours(filled, [contour - np.array([x, y])], -1, 1, thickness=-1)
        yield (x, y, w, h), filled.astype(bool) & (binary[y : y + h, x : x + w] > 0)
