"""How sheets are padded to the model's input and cropped back: one rule for training, export and SDK.

Sheets are padded at the bottom and right with white paper (255) up to the next multiple of
:data:`PAD_MULTIPLE`; a 600x600 sheet becomes 608x608. Predictions are cropped back to the
top-left ``height x width``. Larger drawings are tiled by the SDK at the model's native scale.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHEET_SIZE", "PAD_MULTIPLE", "PAD_VALUE", "MODEL_INPUT_SIZE", "padded_length", "pad_image", "crop_to"]

SHEET_SIZE = 600
PAD_MULTIPLE = 32
PAD_VALUE = 255
MODEL_INPUT_SIZE = 608  # SHEET_SIZE padded to PAD_MULTIPLE


def padded_length(length: int, multiple: int = PAD_MULTIPLE) -> int:
    """Smallest multiple of ``multiple`` that is >= ``length``.

    >>> padded_length(600)
    608
    """
    return -(-int(length) // multiple) * multiple


def pad_image(image: np.ndarray, height: int, width: int, value: int = PAD_VALUE) -> np.ndarray:
    """Pad ``image`` (H, W[, C]) at the bottom and right to ``height`` x ``width``.

    The image is returned unchanged (not copied) when it already has that size.
    """
    h, w = image.shape[:2]
    if h > height or w > width:
        raise ValueError(f"image {h}x{w} is larger than the padded size {height}x{width}")
    if (h, w) == (height, width):
        return image
    out = np.full((height, width) + image.shape[2:], value, dtype=image.dtype)
    out[:h, :w] = image
    return out


def crop_to(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop the last two spatial axes of a (.., H, W) prediction back to ``height`` x ``width``."""
    return array[..., :height, :width]
