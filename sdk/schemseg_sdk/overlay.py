"""Overlay pictures: the drawing with its symbols coloured by class, and a legend of the classes present."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .classes import CLASS_NAMES
from .errors import InvalidInputError
from .palette import blend_mask, class_colors
from .symbols import class_histogram

__all__ = ["draw_overlay", "draw_legend", "encode_png"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_ROW = 22  # legend row height at scale 1
_MARGIN = 8


def draw_overlay(
    image: np.ndarray, mask: np.ndarray, class_names: Sequence[str] = CLASS_NAMES, alpha: float = 0.55
) -> np.ndarray:
    """Blend class colours over ``image`` (BGR) and append a legend panel on the right.

    The legend lists every class present in ``mask`` (background excluded) with its colour and
    pixel share; it grows with the sheet so it stays legible on large scans.

    >>> picture = draw_overlay(np.full((50, 60, 3), 255, np.uint8), np.zeros((50, 60), np.uint8))
    >>> picture.shape[0], picture.shape[1] > 60
    (50, True)
    """
    if image.shape[:2] != mask.shape:
        raise InvalidInputError(f"overlay: image {image.shape[:2]} and mask {mask.shape} differ in size")
    blended = blend_mask(image, mask, alpha)
    scale = max(1.0, min(image.shape[:2]) / 1200.0)
    legend = draw_legend(mask, class_names, scale)
    height = max(blended.shape[0], legend.shape[0])
    canvas = np.full((height, blended.shape[1] + legend.shape[1], 3), 255, np.uint8)
    canvas[: blended.shape[0], : blended.shape[1]] = blended
    canvas[: legend.shape[0], blended.shape[1] :] = legend
    canvas[:, blended.shape[1]] = 160  # a grey rule keeps the drawing's lines apart from the legend
    return canvas


def draw_legend(mask: np.ndarray, class_names: Sequence[str] = CLASS_NAMES, scale: float = 1.0) -> np.ndarray:
    """A white panel listing the classes present in ``mask`` with their colour swatch and pixel share."""
    counts = class_histogram(mask, minlength=len(class_names))
    present = [int(c) for c in np.flatnonzero(counts[1 : len(class_names)]) + 1]
    colors = class_colors(len(class_names))
    total = max(int(mask.size), 1)
    row = int(round(_ROW * scale))
    margin = int(round(_MARGIN * scale))
    font_scale = 0.45 * scale
    thickness = max(1, int(round(scale)))
    lines: list[tuple[int | None, str]] = [(None, "classes present" if present else "no symbols found")]
    lines += [(c, f"{class_names[c]} {100.0 * counts[c] / total:.1f}%") for c in present]
    text_width = max(cv2.getTextSize(text, _FONT, font_scale, thickness)[0][0] for _, text in lines)
    width = margin * 2 + row + text_width
    panel = np.full((margin * 2 + row * len(lines), width, 3), 255, np.uint8)
    for i, (class_id, text) in enumerate(lines):
        top = margin + i * row
        text_x = margin
        if class_id is not None:
            swatch = tuple(int(v) for v in colors[class_id])
            cv2.rectangle(panel, (margin, top + 3), (margin + row - 6, top + row - 3), swatch, -1)
            text_x = margin + row
        cv2.putText(panel, text, (text_x, top + row - 7), _FONT, font_scale, (0, 0, 0), thickness, cv2.LINE_AA)
    return panel


def encode_png(image: np.ndarray, name: str = "overlay") -> bytes:
    """Encode a BGR ``image`` as PNG bytes."""
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise InvalidInputError(f"{name}: could not encode a {image.shape} {image.dtype} array as PNG")
    return data.tobytes()
