"""Augmentations for line drawings: crops, scale, 90-degree rotations, flips, stroke width, blur, noise, JPEG.

Every function takes a numpy ``Generator`` so a crop is reproducible from its index.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from schemseg_sdk.geometry import PAD_VALUE

__all__ = ["AugmentConfig", "augment_crop"]


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges; ``AugmentConfig(enabled=False)`` gives plain random crops."""

    enabled: bool = True
    scale: tuple[float, float] = (0.75, 1.3)
    p_rotate: float = 0.5
    p_flip: float = 0.5
    p_stroke: float = 0.25
    p_blur: float = 0.2
    p_noise: float = 0.25
    p_jpeg: float = 0.25
    p_symbol_crop: float = 0.8  # centre the crop on a symbol of a class drawn uniformly from those present
    # (class id, share): a symbol-centred crop of a sheet showing the class centres on it this share of
    # the time, before the uniform draw (a rare look the model has to learn, such as a broken-wire crossover)
    focus: tuple[tuple[int, float], ...] = ()


def augment_crop(
    image: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator, config: AugmentConfig = AugmentConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Return one ``size x size`` augmented crop of a sheet (image BGR uint8, mask uint8)."""
    if config.enabled:
        image, mask = _window_of_large_sheet(image, mask, size, rng, config)
        image, mask = _random_scale(image, mask, rng, config.scale)
    image, mask = _random_crop(image, mask, size, rng, config.p_symbol_crop if config.enabled else 0.0, config.focus)
    if not config.enabled:
        return image, mask
    if rng.random() < config.p_rotate:
        k = int(rng.integers(1, 4))
        image, mask = np.rot90(image, k), np.rot90(mask, k)
    if rng.random() < config.p_flip:
        axis = int(rng.integers(0, 2))
        image, mask = np.flip(image, axis), np.flip(mask, axis)
    image, mask = np.ascontiguousarray(image), np.ascontiguousarray(mask)
    if rng.random() < config.p_stroke:
        kernel = np.ones((2, 2), np.uint8)
        # erode (min filter) thickens dark ink; dilate thins it
        image = cv2.erode(image, kernel) if rng.random() < 0.6 else cv2.dilate(image, kernel)
    if rng.random() < config.p_blur:
        image = cv2.GaussianBlur(image, (3, 3), float(rng.uniform(0.3, 1.0)))
    if rng.random() < config.p_noise:
        noise = rng.normal(0.0, rng.uniform(3.0, 12.0), image.shape[:2])[..., None]
        image = np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < config.p_jpeg:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 90))])
        if ok:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return image, mask


LARGE_SHEET_WINDOWS = 16
"""A sheet holding more than this many of the largest window a crop can need is cut to such a window
before it is rescaled, so that a crop of a whole A1 sheet does not resize 10+ megapixels."""


def _window_of_large_sheet(
    image: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator, config: AugmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    window = int(np.ceil(size / min(config.scale[0], 1.0))) + 2
    if mask.size <= LARGE_SHEET_WINDOWS * window * window:
        return image, mask
    return _random_crop(image, mask, window, rng, config.p_symbol_crop, config.focus)


def _random_scale(
    image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, scale_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    scale = float(np.exp(rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]))))
    if abs(scale - 1.0) < 0.03:
        return image, mask
    h, w = mask.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp), cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)


def _random_crop(
    image: np.ndarray,
    mask: np.ndarray,
    size: int,
    rng: np.random.Generator,
    p_symbol: float = 0.0,
    focus: tuple[tuple[int, float], ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    if h < size or w < size:
        ph, pw = max(size, h), max(size, w)
        padded_image = np.full((ph, pw, 3), PAD_VALUE, np.uint8)
        padded_mask = np.zeros((ph, pw), np.uint8)
        padded_image[:h, :w], padded_mask[:h, :w] = image, mask
        image, mask, h, w = padded_image, padded_mask, ph, pw
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    if p_symbol and rng.random() < p_symbol:
        y, x = _symbol_centred_origin(mask, size, rng, (y, x), focus)
    return image[y : y + size, x : x + size], mask[y : y + size, x : x + size]


def _symbol_centred_origin(
    mask: np.ndarray,
    size: int,
    rng: np.random.Generator,
    fallback: tuple[int, int],
    focus: tuple[tuple[int, float], ...] = (),
) -> tuple[int, int]:
    """Crop origin around a pixel of a class drawn uniformly from the classes present.

    Rare classes then appear in crops as often as common ones, instead of in proportion to their
    (tiny) share of the sheet's pixels. ``focus`` classes that are present come first, each with its share.
    """
    present = np.flatnonzero(np.bincount(mask.ravel(), minlength=256)[1:255]) + 1
    if present.size == 0:
        return fallback
    chosen = next((c for c, share in focus if c in present and rng.random() < share), None)
    ys, xs = np.nonzero(mask == (chosen if chosen is not None else present[rng.integers(present.size)]))
    pick = int(rng.integers(ys.size))
    h, w = mask.shape
    jitter = rng.integers(-size // 4, size // 4 + 1, 2)
    y = int(np.clip(ys[pick] - size // 2 + jitter[0], 0, h - size))
    x = int(np.clip(xs[pick] - size // 2 + jitter[1], 0, w - size))
    return y, x
