"""From ink to a printed or scanned page: paper and ink tones, resolution loss, blur, noise, JPEG,
and a slight rotation applied identically to image (bilinear) and mask (nearest neighbour)."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["ink_to_page", "degrade", "degrade_sheet", "rotate_pair"]


def ink_to_page(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blend ink coverage (0..255) between a paper colour and an ink colour; BGR uint8."""
    if rng.random() < 0.88:
        paper = np.full(3, 255.0)
    else:
        tone = rng.uniform(225, 252)
        paper = np.array([tone - rng.uniform(0, 15), tone - rng.uniform(0, 5), tone])
    ink_color = np.full(3, rng.uniform(0, 70)) if rng.random() < 0.9 else rng.uniform(0, 90, 3)
    a = np.arange(256, dtype=np.float64)[:, None] / 255.0
    lut = np.clip(paper[None, :] * (1.0 - a) + ink_color[None, :] * a + 0.5, 0, 255).astype(np.uint8)
    if (lut == lut[:, :1]).all():  # grey paper and grey ink: one channel through the table, then copied
        return cv2.cvtColor(cv2.LUT(ink, lut[:, 0].copy()), cv2.COLOR_GRAY2BGR)
    return cv2.LUT(cv2.merge([ink, ink, ink]), lut.reshape(256, 1, 3))


def degrade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random resolution loss, blur, noise and JPEG compression (each applied only sometimes)."""
    h, w = image.shape[:2]
    if rng.random() < 0.3:
        f = rng.uniform(0.45, 0.85)
        small = cv2.resize(image, (max(8, int(w * f)), max(8, int(h * f))), interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR if rng.random() < 0.7 else cv2.INTER_CUBIC)
    if rng.random() < 0.25:
        image = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.3, 0.9))
    if rng.random() < 0.15:
        noise = rng.normal(0, rng.uniform(2, 6), image.shape[:2]).astype(np.float32)
        image = np.clip(image.astype(np.float32) + noise[:, :, None], 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 96))])
        if ok:
            image = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return image


def degrade_sheet(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Plot or scan a large sheet: paper and ink tones, then the artefacts of :func:`degrade` (noise
    goes onto the one-channel ink layer first, which keeps a 30-megapixel sheet under a second)."""
    if rng.random() < 0.2:
        sigma = float(rng.uniform(2, 8))
        noise = rng.standard_normal(ink.shape, dtype=np.float32) * sigma
        ink = cv2.add(ink, noise, dtype=cv2.CV_8U)
    image = ink_to_page(ink, rng)
    h, w = image.shape[:2]
    if rng.random() < 0.3:
        f = rng.uniform(0.55, 0.9)
        small = cv2.resize(image, (max(8, int(w * f)), max(8, int(h * f))), interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.25:
        image = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.3, 0.8))
    if rng.random() < 0.6:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 96))])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
        image = image if decoded is None else decoded
    return image


def rotate_pair(image: np.ndarray, mask: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate image and mask by ``angle`` degrees about the centre (paper white / background outside)."""
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    image = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return image, mask
