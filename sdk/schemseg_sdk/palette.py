"""One colour per class (BGR), and mask colouring shared by overlays and dataset previews."""
from __future__ import annotations

import colorsys

import numpy as np

from .classes import CLASS_NAMES

__all__ = ["CLASS_COLORS", "colorize_mask", "blend_mask"]


def _make_colors(n: int) -> np.ndarray:
    colors = np.zeros((n, 3), np.uint8)
    for i in range(1, n):
        # golden-ratio hue steps keep neighbouring class ids far apart in colour
        h = (i * 0.618033988749895) % 1.0
        s = 0.85 if i % 2 else 0.65
        v = 0.95 if (i // 2) % 2 else 0.75
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        colors[i] = (int(b * 255), int(g * 255), int(r * 255))
    return colors


CLASS_COLORS: np.ndarray = _make_colors(len(CLASS_NAMES))
"""``(41, 3)`` uint8 BGR; row 0 (background) is black and never drawn."""


def colorize_mask(mask: np.ndarray) -> np.ndarray:
    """Map a class-id mask ``(H, W)`` to a BGR picture (ids above 40, e.g. 255=ignore, become grey)."""
    lut = np.full((256, 3), 128, np.uint8)
    lut[: len(CLASS_COLORS)] = CLASS_COLORS
    return lut[mask]


def blend_mask(image: np.ndarray, mask: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Blend class colours over a BGR drawing where ``mask`` is not background."""
    out = image.copy()
    fg = mask != 0
    if fg.any():
        colored = colorize_mask(mask)
        out[fg] = (alpha * colored[fg] + (1.0 - alpha) * image[fg]).astype(np.uint8)
    return out
