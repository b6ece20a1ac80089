"""Placing a Proteus drawing on a rendering of it: drawing units -> image pixels.

Renderings differ per tool: some map the drawing's extent exactly onto the page (PDF exports),
others add margins, crop, or scale x and y slightly differently. The transform is
``px = sx * (x - x0) + tx``, ``py = sy * (y1 - y) + ty`` (the y axis flips: drawings point up,
images down). It starts from candidate guesses (extent onto the whole image, stroke bounds onto
ink bounds) and is refined by chamfer matching: the drawing's strokes are moved and scaled until
they lie on the rendering's ink. The share of stroke points that end up on ink is the alignment
score; a rendering below the acceptance score is not imported.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .dexpi_xml import ProteusDrawing

__all__ = ["WORK_SIDE", "Placement", "ink_of", "place_drawing"]

WORK_SIDE = 1600
"""Matching runs on a copy whose longer side is at most this (seconds, not minutes, per sheet)."""

_CLIP = 12.0  # px at working size: farther stroke points count as this far (one bad symbol cannot dominate)
_ON_INK = 2.0  # px at working size: a stroke point this close to ink counts as matched


@dataclass(frozen=True)
class Placement:
    """Drawing -> pixel transform of one rendering, and how well the strokes land on ink."""

    sx: float
    sy: float
    tx: float
    ty: float
    x0: float  # drawing extent origin (left) and top (y1), the transform's reference
    y1: float
    score: float  # share of the drawing's stroke points on ink (0..1)

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """``(N, 2)`` drawing coordinates -> ``(N, 2)`` pixel coordinates (x right, y down)."""
        points = np.asarray(points, float).reshape(-1, 2)
        return np.stack(
            [self.sx * (points[:, 0] - self.x0) + self.tx, self.sy * (self.y1 - points[:, 1]) + self.ty], axis=1
        )

    def box(self, bounds: tuple[float, float, float, float], pad: float = 0.0) -> np.ndarray:
        """Drawing bounds ``(x0, y0, x1, y1)`` -> pixel rectangle ``[[x0, y0], [x1, y1]]`` grown by ``pad``."""
        corners = self.to_pixels(np.array([bounds[:2], bounds[2:]]))
        return np.array([corners.min(axis=0) - pad, corners.max(axis=0) + pad])


def ink_of(image: np.ndarray) -> np.ndarray:
    """Pixels that are not paper: any channel darker than 160 (coloured lines count, light grids do not)."""
    return image.min(axis=2) < 160


def place_drawing(drawing: ProteusDrawing, image: np.ndarray) -> Placement:
    """The best transform of ``drawing`` onto the BGR ``image`` (see the module docstring)."""
    factor = min(1.0, WORK_SIDE / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else image
    ink = ink_of(small)
    distance = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3).astype(np.float32)
    strokes = _sample(drawing.strokes)
    x0, _, _, y1 = drawing.extent
    best: tuple[float, np.ndarray] | None = None
    for guess in _guesses(drawing, strokes, ink):
        params = _refine(guess, strokes, distance, (x0, y1))
        cost = _cost(params, strokes, distance, (x0, y1))
        if best is None or cost < best[0]:
            best = (cost, params)
    assert best is not None
    sx, sy, tx, ty = best[1]
    points = _project(best[1], strokes, (x0, y1))
    score = float(np.mean(_lookup(distance, points) <= _ON_INK)) if len(points) else 0.0
    return Placement(sx / factor, sy / factor, tx / factor, ty / factor, x0, y1, score)


def _sample(strokes: np.ndarray, limit: int = 6000) -> np.ndarray:
    if len(strokes) <= limit:
        return strokes
    return strokes[np.linspace(0, len(strokes) - 1, limit).astype(int)]


def _guesses(drawing: ProteusDrawing, strokes: np.ndarray, ink: np.ndarray) -> list[np.ndarray]:
    """Starting transforms (sx, sy, tx, ty) at working size."""
    height, width = ink.shape
    x0, y0, x1, y1 = drawing.extent
    dw, dh = x1 - x0, y1 - y0
    guesses = [np.array([width / dw, height / dh, 0.0, 0.0])]
    for s in (width / dw, height / dh):  # one uniform scale, the sheet centred
        guesses.append(np.array([s, s, (width - s * dw) / 2, (height - s * dh) / 2]))
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(strokes) and rows.size:
        (sx0, sy0), (sx1, sy1) = strokes.min(axis=0), strokes.max(axis=0)
        if sx1 > sx0 and sy1 > sy0:
            scale_x = (cols[-1] - cols[0]) / (sx1 - sx0)
            scale_y = (rows[-1] - rows[0]) / (sy1 - sy0)
            guesses.append(np.array([scale_x, scale_y, cols[0] - scale_x * (sx0 - x0), rows[0] - scale_y * (y1 - sy1)]))
    return guesses


def _refine(params: np.ndarray, strokes: np.ndarray, distance: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    """Coordinate descent on (sx, sy, tx, ty) with shrinking steps."""
    params = params.astype(float).copy()
    best = _cost(params, strokes, distance, origin)
    for step in (24.0, 12.0, 6.0, 3.0, 1.5, 0.75, 0.35):
        improved = True
        while improved:
            improved = False
            for index in range(4):
                for sign in (1.0, -1.0):
                    trial = params.copy()
                    if index < 2:
                        trial[index] *= 1 + sign * step / max(distance.shape)
                    else:
                        trial[index] += sign * step
                    cost = _cost(trial, strokes, distance, origin)
                    if cost < best - 1e-6:
                        params, best, improved = trial, cost, True
    return params


def _project(params: np.ndarray, strokes: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    sx, sy, tx, ty = params
    return np.stack([sx * (strokes[:, 0] - origin[0]) + tx, sy * (origin[1] - strokes[:, 1]) + ty], axis=1)


def _lookup(distance: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance to the nearest ink at each point; points off the image count as far."""
    height, width = distance.shape
    x, y = np.rint(points[:, 0]).astype(int), np.rint(points[:, 1]).astype(int)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    values = np.full(len(points), _CLIP, np.float32)
    values[inside] = np.minimum(distance[y[inside], x[inside]], _CLIP)
    return values


def _cost(params: np.ndarray, strokes: np.ndarray, distance: np.ndarray, origin: tuple[float, float]) -> float:
    if params[0] <= 0 or params[1] <= 0 or not len(strokes):
        return float("inf")
    return float(np.mean(_lookup(distance, _project(params, strokes, origin))))
