"""One colour per class id (BGR), for any number of classes, and mask colouring shared by overlays and previews.

Class id ``i`` has the same colour in every model, whatever its class count: the colours are a
fixed sequence, and a model with ``K`` classes uses its first ``K``.
"""

from __future__ import annotations

import colorsys

import numpy as np

from .classes import CLASS_NAMES, IGNORE_INDEX

__all__ = ["CLASS_COLORS", "class_colors", "colorize_mask", "blend_mask"]

_GREY = 128  # ids no model can predict (IGNORE_INDEX = 255) are drawn grey


def class_colors(count: int) -> np.ndarray:
    """``(count, 3)`` uint8 BGR colours of class ids ``0 .. count - 1``; row 0 (background) is black.

    >>> class_colors(4).shape, class_colors(4)[0].tolist()
    ((4, 3), [0, 0, 0])
    """
    colors = np.zeros((count, 3), np.uint8)
    for i in range(1, count):
        # golden-ratio hue steps keep neighbouring class ids far apart in colour
        h = (i * 0.618033988749895) % 1.0
        s = 0.85 if i % 2 else 0.65
        v = 0.95 if (i // 2) % 2 else 0.75
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        colors[i] = (int(b * 255), int(g * 255), int(r * 255))
    return colors


_LUT = np.full((256, 3), _GREY, np.uint8)
_LUT[:IGNORE_INDEX] = class_colors(IGNORE_INDEX)

CLASS_COLORS: np.ndarray = _LUT[: len(CLASS_NAMES)].copy()
"""The reference model's ``(41, 3)`` colours (``class_colors(41)``); row 0 (background) is black."""


def colorize_mask(mask: np.ndarray) -> np.ndarray:
    """Map a class-id mask ``(H, W)`` to a BGR picture (255 = ignore becomes grey)."""
    return _LUT[mask]


def blend_mask(image: np.ndarray, mask: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Blend class colours over a BGR drawing where ``mask`` is not background."""
    out = image.copy()
    fg = mask != 0
    if fg.any():
        colored = colorize_mask(mask)
        out[fg] = (alpha * colored[fg] + (1.0 - alpha) * image[fg]).astype(np.uint8)
    return out
