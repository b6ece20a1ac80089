"""Cutting any sheet into model-sized tiles and stitching the predictions back together.

A sheet that fits the model input ``S x S`` is one tile, padded at the bottom/right with white (the
:mod:`~schemseg_sdk.geometry` rule). A larger sheet is cut at the model's native scale into
overlapping ``S x S`` tiles, evenly spaced with at least ``overlap`` pixels shared by neighbours,
the first flush with the top/left edge and the last flush with the bottom/right edge (a side
shorter than ``S`` is padded instead). Stitching keeps, for every pixel, the class from the tile
that is most confident there, so a symbol that crosses a tile border is not cut in two; the
outermost ``overlap / 4`` pixels along a tile's inner edges (where it lacks context and a neighbour
sees more) take no part. Without confidence, each pixel takes the tile whose centre is nearest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .geometry import PAD_VALUE

__all__ = ["TilePlan", "TileStitcher", "default_overlap", "tile_positions", "plan_tiles", "copy_tile"]


def default_overlap(size: int) -> int:
    """Pixels shared by neighbouring tiles: an eighth of the tile (76 for 608).

    >>> default_overlap(608)
    76
    """
    return int(round(size / 8))


def tile_positions(length: int, size: int, overlap: int) -> tuple[int, ...]:
    """Start offsets of the tiles along one axis of ``length`` pixels.

    >>> tile_positions(1000, 608, 76)
    (0, 392)
    >>> tile_positions(500, 608, 76)
    (0,)
    """
    if length <= size:
        return (0,)
    if not 0 <= overlap < size:
        raise ValueError(f"overlap {overlap} must be in 0..{size - 1}")
    count = math.ceil((length - overlap) / (size - overlap))
    last = length - size
    return tuple(round(i * last / (count - 1)) for i in range(count))


def _centre_cores(positions: tuple[int, ...], size: int, length: int) -> tuple[tuple[int, int], ...]:
    """The span along one axis where each tile's centre is the nearest (the tile-centre rule)."""
    bounds = [0] + [(a + size + b) // 2 for a, b in zip(positions, positions[1:])] + [length]
    return tuple(zip(bounds, bounds[1:]))


@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of a ``height x width`` sheet lie, for a model input of ``size``."""

    height: int
    width: int
    size: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]
    margin: int = 0  # pixels dropped along a tile's inner edges when stitching by confidence

    def __len__(self) -> int:
        return len(self.ys) * len(self.xs)

    def origin(self, index: int) -> tuple[int, int]:
        """``(y, x)`` of tile ``index`` (row-major order)."""
        return self.ys[index // len(self.xs)], self.xs[index % len(self.xs)]

    def extent(self, index: int) -> tuple[int, int, int, int]:
        """``(y, x, h, w)``: the part of the sheet tile ``index`` covers (h, w <= size)."""
        y, x = self.origin(index)
        return y, x, min(self.size, self.height - y), min(self.size, self.width - x)

    def trusted(self, index: int) -> tuple[int, int, int, int]:
        """``(y, x, h, w)``: the extent of tile ``index`` less :attr:`margin` on edges inside the sheet."""
        y, x, h, w = self.extent(index)
        top = self.margin if y > 0 else 0
        left = self.margin if x > 0 else 0
        bottom = self.margin if y + h < self.height else 0
        right = self.margin if x + w < self.width else 0
        return y + top, x + left, h - top - bottom, w - left - right

    def core(self, index: int) -> tuple[int, int, int, int]:
        """``(y0, y1, x0, x1)``: the sheet pixels whose nearest tile centre is tile ``index``."""
        rows = _centre_cores(self.ys, self.size, self.height)[index // len(self.xs)]
        cols = _centre_cores(self.xs, self.size, self.width)[index % len(self.xs)]
        return rows[0], rows[1], cols[0], cols[1]


def plan_tiles(height: int, width: int, size: int, overlap: int | None = None) -> TilePlan:
    """Plan the tiles of a ``height x width`` sheet for a model input of ``size``.

    >>> len(plan_tiles(600, 600, 608)), len(plan_tiles(7000, 10000, 608))
    (1, 266)
    """
    overlap = default_overlap(size) if overlap is None else overlap
    return TilePlan(
        height, width, size, tile_positions(height, size, overlap), tile_positions(width, size, overlap), overlap // 4
    )


def copy_tile(image: np.ndarray, plan: TilePlan, index: int, out: np.ndarray, pad_value: int = PAD_VALUE) -> None:
    """Write tile ``index`` of ``image`` into ``out`` (``size x size x 3``), padding with white."""
    y, x, h, w = plan.extent(index)
    if h < plan.size or w < plan.size:
        out[...] = pad_value
    out[:h, :w] = image[y : y + h, x : x + w]


class TileStitcher:
    """Collects tile predictions of one sheet into a full-size mask (and confidence).

    The full-size confidence is kept as float16 when the sheet has several tiles (a 10000 x 7000
    scan then needs 140 MB instead of 280 MB); a single-tile sheet keeps the model's float32.
    Tiles may arrive in any order; no tile output is held after :meth:`add` returns.
    """

    def __init__(self, plan: TilePlan, with_confidence: bool) -> None:
        self.plan = plan
        self.with_confidence = with_confidence
        self.remaining = len(plan)
        self.mask: np.ndarray | None = None
        self.confidence: np.ndarray | None = None
        if len(plan) > 1:
            self.mask = np.zeros((plan.height, plan.width), np.uint8)
            if with_confidence:
                self.confidence = np.full((plan.height, plan.width), -1.0, np.float16)

    def add(self, index: int, class_ids: np.ndarray, confidence: np.ndarray | None) -> None:
        """Merge tile ``index``'s ``class_ids`` (and ``confidence``), each ``size x size``."""
        plan = self.plan
        self.remaining -= 1
        if len(plan) == 1:
            self.mask = class_ids[: plan.height, : plan.width].copy()
            if self.with_confidence and confidence is not None:
                self.confidence = confidence[: plan.height, : plan.width].astype(np.float32, copy=True)
            return
        assert self.mask is not None
        if self.confidence is None or confidence is None:
            y0, y1, x0, x1 = plan.core(index)
            y, x = plan.origin(index)
            self.mask[y0:y1, x0:x1] = class_ids[y0 - y : y1 - y, x0 - x : x1 - x]
            return
        y, x, h, w = plan.trusted(index)
        ty, tx = y - plan.origin(index)[0], x - plan.origin(index)[1]
        current = self.confidence[y : y + h, x : x + w]
        new = confidence[ty : ty + h, tx : tx + w]
        better = new > current
        self.mask[y : y + h, x : x + w][better] = class_ids[ty : ty + h, tx : tx + w][better]
        current[better] = new[better]

    @property
    def done(self) -> bool:
        return self.remaining <= 0

    def result(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The ``(mask, confidence)`` of the whole sheet once every tile was added."""
        if not self.done or self.mask is None:
            raise ValueError(f"{self.remaining} of {len(self.plan)} tiles still missing")
        return self.mask, self.confidence
