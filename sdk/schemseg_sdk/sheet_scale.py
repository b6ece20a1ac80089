"""The drawing scale of a sheet, measured on its ink, and the zoom that brings it to the model's scale.

The model reads a sheet at its native scale, and it learnt from sheets whose strokes and text lie in
a known band (the synthetic generator's, measured with this module by
``benchmarks/model_scale.py`` into ``benchmarks/results/model-scale.json``). A P&ID scanned at
600 dpi has strokes and text twice that size; :func:`measure_scale` finds out, :func:`choose_zoom`
picks the factor the sheet is resampled by before tiling. Two measures, both robust to text,
hatching, paper tone, JPEG noise and 1-bit scans:

- **Stroke width**: ink mass over half the ink's border length (``2 * mass / edges``), in blocks of
  :data:`BLOCK` pixels, the median over blocks weighted by their border length. A straight stroke of
  width ``w`` and length ``L`` holds ``w * L`` of ink and ``2 * L`` of border, so the ratio is ``w``;
  ink mass counts grey anti-aliased edges fractionally, so a 1.5 px line reads 1.5, not 1 or 2.
  Solid fills and a few thick lines only move the blocks that hold them, which the median ignores.
- **Text height**: the median height of character-like connected components (taller than a few
  strokes, not solid blobs) that stand beside another of about the same height on the same line,
  as the letters of a tag do. Lone pieces of symbols and dashes seldom have such a neighbour.
  Stroke width distance transforms and run lengths (the stroke width transform of Epshtein et al.,
  CVPR 2010; run-length histograms of document image analysis) measure the same; the mass/border
  ratio is used because it is sub-pixel and needs no skeleton.

Sheets inside the band are left alone, so the sheets the model was trained on and drawings like them
(the CI2N circuits) read as before; a sheet outside is brought to the model's reference scale; a big
sheet (more than :data:`BIG_SHEET_PIXELS`) drawn larger than the reference is shrunk to it even
inside the band, since the model's time grows with the area it reads (the reference, not the
band's low end: symbols on real P&IDs are smaller beside their text than on the generator's sheets,
so the low end of the text band would shrink valves below the smallest the model has seen).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Literal

import cv2
import numpy as np

from .errors import InvalidInputError
from .symbols import Symbol

__all__ = [
    "BIG_SHEET_PIXELS",
    "MODEL_SCALE",
    "ModelScale",
    "ScaleChoice",
    "ScaleMeasure",
    "SheetScale",
    "check_scale",
    "choose_zoom",
    "measure_scale",
    "pixels_to_sheet",
    "resample",
    "resolve_scale",
    "symbols_to_sheet",
]

ScaleChoice = Literal["auto"] | float
"""``"auto"`` (measure the sheet) or a fixed zoom factor (``1.0``: read the sheet as it is)."""

BLOCK = 64  # px side of the blocks the stroke width is measured in
MIN_TEXT_CHARACTERS = 12  # fewer paired characters than this: the text height is unknown
BIG_SHEET_PIXELS = 2_000_000
"""Above this (about 9 model tiles) a sheet inside the band is still shrunk to the reference scale:
the model's time grows with the area it reads. The real circuits it was trained on are at most
1.1 Mpx, so they are never shrunk for speed."""
BAND_TOLERANCE = 1.1
"""A sheet this close to the band's edges counts as inside: the measures vary by about 10% with a
sheet's zoom and content, and the training sheets at the band's edges must read as they are."""
ZOOM_LIMITS = (1 / 16, 8.0)
"""Zoom factors outside these are refused: nothing drawn needs them, and they would exhaust memory."""
_INK_THRESHOLD = 128  # gray below this is ink, for finding the full-ink level
_EDGE_DARKNESS = 0.3  # darkness (0 paper .. 1 full ink) where a stroke's border is drawn
_MASS_DARKNESS = 0.12  # lighter than this is paper noise, not ink mass
_STRIP_ROWS = 2048
_STRIP_MARGIN = 256  # characters up to this tall are seen whole in one strip
_MEASURE_PIXELS = 24_000_000  # bigger sheets are measured on a copy shrunk to this


@dataclass(frozen=True)
class ModelScale:
    """The scale the model was trained at, in the measures of :func:`measure_scale`.

    ``*_band`` are the 1st and 99th percentiles over its training sheets (synthetic and real
    together: a few real circuits have text up to 40 px), ``*_ref`` the medians over the synthetic
    ones (where it learnt P&ID symbols, and P&IDs are the sheets that get resampled).
    """

    stroke_band: tuple[float, float]
    stroke_ref: float
    text_band: tuple[float, float]
    text_ref: float


MODEL_SCALE = ModelScale(stroke_band=(0.75, 5.46), stroke_ref=3.29, text_band=(5.0, 41.4), text_ref=13.0)
"""Measured on generator-v4 and CI2N training sheets by ``benchmarks/model_scale.py``
(``benchmarks/results/model-scale.json``)."""


@dataclass(frozen=True)
class ScaleMeasure:
    """What :func:`measure_scale` found: stroke width and text height in pixels (``None``: not found)."""

    stroke_px: float | None
    text_px: float | None
    characters: int


@dataclass(frozen=True)
class SheetScale:
    """The zoom a sheet is read at and why.

    Attributes:
        zoom: the factor the sheet was resampled by before the model read it (``1.0``: not resampled).
        mode: ``"auto"`` (measured) or ``"fixed"`` (given by the caller).
        reason: one sentence for people.
        stroke_px: the sheet's measured stroke width (``None`` when fixed or no ink).
        text_px: the sheet's measured text height (``None`` when fixed or too little text).
    """

    zoom: float
    mode: Literal["auto", "fixed"]
    reason: str
    stroke_px: float | None = None
    text_px: float | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``result.to_dict()["scale"]``)."""
        return asdict(self)


def check_scale(scale: object) -> ScaleChoice:
    """``scale`` as given to :class:`~schemseg_sdk.Segmenter`, checked.

    >>> check_scale("auto"), check_scale(2)
    ('auto', 2.0)
    """
    if scale == "auto":
        return "auto"
    low, high = ZOOM_LIMITS
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or not low <= scale <= high
    ):
        raise InvalidInputError(
            f"scale must be 'auto' or a zoom factor in {low:g}..{high:g}, got {scale!r}; use 'auto' to measure "
            "each sheet, 1.0 to read sheets as they are, 0.5 to halve a 600 dpi scan"
        )
    return float(scale)


def resolve_scale(image: np.ndarray, scale: ScaleChoice, model: ModelScale = MODEL_SCALE) -> SheetScale:
    """The :class:`SheetScale` of ``image`` for ``scale`` (``"auto"`` or a checked fixed zoom)."""
    if scale != "auto":
        return SheetScale(float(scale), "fixed", f"zoom {float(scale):g} given by the caller")
    return choose_zoom(measure_scale(image), image.shape[0] * image.shape[1], model)


def measure_scale(image: np.ndarray) -> ScaleMeasure:
    """Measure the stroke width and text height of a drawing (BGR, BGRA or gray uint8).

    >>> sheet = np.full((200, 300), 255, np.uint8); sheet[50:53, 10:290] = 0; sheet[20:180, 150:153] = 0
    >>> measure_scale(sheet).stroke_px
    3.0
    """
    gray, factor = _measured_copy(_gray(image))
    paper, ink = _levels(gray)
    stroke_sums = np.zeros((2, 0))
    heights: list[np.ndarray] = []
    for strip, keep in _measured_strips(gray):
        stroke_sums = np.concatenate([stroke_sums, _block_stroke_sums(strip, keep, paper, ink)], axis=1)
        heights.append(_character_boxes(strip, keep, (paper + ink) / 2))
    stroke = _weighted_median(stroke_sums[0] / np.maximum(stroke_sums[1], 1), stroke_sums[1])
    boxes = np.concatenate(heights) if heights else np.zeros((0, 4), np.int64)
    text, characters = _text_height(boxes, stroke or 1.0)
    return ScaleMeasure(
        None if stroke is None else round(stroke / factor, 3),
        None if text is None else round(text / factor, 2),
        characters,
    )


def choose_zoom(measure: ScaleMeasure, pixels: int, model: ModelScale = MODEL_SCALE) -> SheetScale:
    """The zoom for a sheet of ``pixels`` pixels with ``measure``.

    The zooms that put both the stroke width and the text height inside the model's band are
    allowed (the text's alone when the two disagree: it tells the symbols' size better). A sheet
    that 1.0 keeps inside is read as it is, unless it is big and the reference scale would shrink
    it; any other sheet is brought to the reference (text height, else stroke width), clipped to
    the allowed zooms.
    """
    stroke, text = measure.stroke_px, measure.text_px
    if stroke is None:
        return SheetScale(1.0, "auto", "no ink found: read as it is")
    low, high = model.stroke_band[0] / stroke, model.stroke_band[1] / stroke
    ref, by = model.stroke_ref / stroke, "stroke width"
    if text is not None:
        t_low, t_high = model.text_band[0] / text, model.text_band[1] / text
        low, high = (max(low, t_low), min(high, t_high)) if max(low, t_low) <= min(high, t_high) else (t_low, t_high)
        ref, by = model.text_ref / text, "text height"
    seen = f"stroke {stroke:.2f} px" + ("" if text is None else f", text {text:.1f} px")
    inside = low / BAND_TOLERANCE <= 1.0 <= high * BAND_TOLERANCE
    if inside and (pixels <= BIG_SHEET_PIXELS or ref >= 1.0):
        return SheetScale(1.0, "auto", f"{seen}: inside the model's band, read as it is", stroke, text)
    zoom = float(np.clip(min(max(ref, low), high), *ZOOM_LIMITS))
    why = (
        f"big sheet, shrunk to the model's reference {by}"
        if inside
        else f"outside the model's band, brought to its reference {by}"
    )
    zoom = 1.0 if abs(zoom - 1.0) < 0.05 else round(zoom, 3)
    return SheetScale(zoom, "auto", f"{seen}: {why}", stroke, text)


def resample(image: np.ndarray, zoom: float) -> np.ndarray:
    """``image`` zoomed by ``zoom`` (area averaging down, bilinear up; the same array at 1.0)."""
    if zoom == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * zoom)), max(1, round(height * zoom)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR)


# -- measuring -----------------------------------------------------------------------------------
def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(image, code)


def _levels(gray: np.ndarray) -> tuple[float, float]:
    """Paper and full-ink grey levels, from a sample of the sheet (paper tone and faded ink vary)."""
    step = max(1, int(math.sqrt(gray.size / 1_000_000)))
    counts = np.cumsum(cv2.calcHist([np.ascontiguousarray(gray[::step, ::step])], [0], None, [256], [0, 256]).ravel())
    paper = float(np.searchsorted(counts, 0.9 * counts[-1]))
    dark = counts[_INK_THRESHOLD - 1]
    ink = float(np.searchsorted(counts, 0.1 * dark)) if dark else 0.0
    return paper, min(ink, paper - 64.0)


def _measured_copy(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """``gray``, shrunk by area averaging to at most ``_MEASURE_PIXELS``, and the factor it was shrunk by.

    The whole sheet is measured, at one resolution whatever the sheet's: the same drawing scanned
    at 300 or 600 dpi gives the same copy, so the same measures (a sample of strips would see
    different text and line weights on differently sized sheets).
    """
    height, width = gray.shape
    if height * width <= _MEASURE_PIXELS:
        return gray, 1.0
    factor = math.sqrt(_MEASURE_PIXELS / (height * width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), size[0] / width


def _measured_strips(gray: np.ndarray) -> Iterator[tuple[np.ndarray, tuple[int, int]]]:
    """Overlapping row strips (and each one's own rows) covering ``gray``: bounded memory for the measures."""
    height = gray.shape[0]
    for top in range(0, height, _STRIP_ROWS):
        start, stop = max(0, top - _STRIP_MARGIN), min(height, top + _STRIP_ROWS + _STRIP_MARGIN)
        yield gray[start:stop], (top - start, min(top + _STRIP_ROWS, height) - start)


def _block_stroke_sums(gray: np.ndarray, keep: tuple[int, int], paper: float, ink_level: float) -> np.ndarray:
    """``(2, blocks)``: twice the ink mass and the ink border length of each block of the strip's own rows.

    The border is drawn where the ink is 30% dark (so faint thin lines still have one); the mass
    counts every pixel at least 12% dark near the ink, by its darkness, so anti-aliased and blurred
    edges add what they hold and the ratio stays right when a sheet is zoomed. One row of blocks at
    a time, so the memory needed stays a few bytes per pixel of one block row, whatever the sheet.
    """
    levels = np.clip((paper - np.arange(256, dtype=np.float32)) / (paper - ink_level), 0.0, 1.0)
    levels[levels < _MASS_DARKNESS] = 0.0
    inked = (levels >= _EDGE_DARKNESS).astype(np.uint8)
    rows = []
    for top in range(keep[0], keep[1], BLOCK):
        bottom = min(top + BLOCK, keep[1])
        low, high = max(0, top - 2), min(gray.shape[0], bottom + 2)
        ink = inked[gray[low:high]]
        near = cv2.dilate(ink, np.ones((5, 5), np.uint8))[top - low : bottom - low]
        mass = levels[gray[top:bottom]] * near
        edges = np.zeros(near.shape, np.uint8)
        own = ink[top - low : bottom - low]
        edges[:, 1:] = own[:, 1:] != own[:, :-1]
        above = ink[top - low - 1 : bottom - low - 1] if top > low else None
        if above is not None:
            edges += own != above
        rows.append(np.stack([2 * _column_block_sum(mass), _column_block_sum(edges)]))
    return np.concatenate(rows, axis=1) if rows else np.zeros((2, 0))


def _column_block_sum(values: np.ndarray) -> np.ndarray:
    """The sums of one block row of ``values`` over each ``BLOCK``-wide column band."""
    columns = values.sum(axis=0, dtype=np.float64)
    return np.add.reduceat(columns, np.arange(0, len(columns), BLOCK))


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float | None:
    used = weights >= 8  # a block with a few border pixels is a speck, not a stroke
    if not used.any():
        return None
    order = np.argsort(values[used])
    cumulative = np.cumsum(weights[used][order])
    return float(values[used][order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _character_boxes(gray: np.ndarray, keep: tuple[int, int], level: float) -> np.ndarray:
    """``(N, 4)`` ``x, y, w, h`` of the ink components (gray below ``level``) whose top lies in the strip's own rows."""
    ink = (gray < level).view(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_32S)
    x, y, w, h, area = (stats[1:, i].astype(np.int64) for i in range(5))
    whole = (y + h < gray.shape[0]) | (keep[1] == gray.shape[0])
    plausible = (h >= 4) & (h <= _STRIP_MARGIN) & (w <= 1.5 * h) & (area < 0.85 * w * h + 2 * h)
    chosen = (y >= keep[0]) & (y < keep[1]) & whole & plausible
    return np.stack([x, y, w, h], axis=1)[chosen]


def _text_height(boxes: np.ndarray, stroke: float) -> tuple[float | None, int]:
    """The median height of the boxes that have a neighbour of about their height on their line."""
    boxes = boxes[boxes[:, 3] >= 2.5 * stroke]
    if len(boxes) < 2:
        return None, 0
    boxes = boxes[np.argsort(boxes[:, 0])]
    x, y, w, h = boxes.T
    paired = np.zeros(len(boxes), bool)
    for i in range(len(boxes)):
        first = np.searchsorted(x, x[i] + w[i] - 0.1 * h[i])
        last = np.searchsorted(x, x[i] + w[i] + 0.8 * h[i], side="right")
        if last <= first:
            continue
        j = np.arange(first, last)
        j = j[j != i]
        similar = (np.abs(h[j] - h[i]) <= 0.25 * h[i]) & (np.abs((y[j] + h[j]) - (y[i] + h[i])) <= 0.2 * h[i] + 1)
        if similar.any():
            paired[i] = True
            paired[j[similar]] = True
    if paired.sum() < MIN_TEXT_CHARACTERS:
        return None, int(paired.sum())
    return float(np.median(h[paired])), int(paired.sum())


# -- back to the sheet's pixels ------------------------------------------------------------------
def pixels_to_sheet(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """A per-pixel array (class ids, confidence) read at another zoom, on the sheet's ``height x width`` grid.

    Each sheet pixel takes the value of the model pixel its centre falls in (class ids must not be
    blended); float16 confidence is moved as its bits.
    """
    if values.shape[:2] == (height, width):
        return values
    moved = values.view(np.uint16) if values.dtype == np.float16 else values
    out = cv2.resize(moved, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
    return out.view(np.float16) if values.dtype == np.float16 else out


def symbols_to_sheet(symbols: list[Symbol], zoom: float, height: int, width: int) -> list[Symbol]:
    """Symbols found on a sheet read at ``zoom``, with boxes and areas in the sheet's own pixels.

    A box ``[x0, x1)`` read at ``zoom`` covers ``[x0 / zoom, x1 / zoom)`` of the sheet; it is widened
    to whole pixels and kept inside the sheet. Areas are divided by ``zoom ** 2``.
    """
    if zoom == 1.0:
        return symbols
    moved = []
    for symbol in symbols:
        x0, y0, x1, y1 = symbol.bbox
        box = (
            min(width - 1, math.floor(x0 / zoom)),
            min(height - 1, math.floor(y0 / zoom)),
            min(width, math.ceil(x1 / zoom)),
            min(height, math.ceil(y1 / zoom)),
        )
        moved.append(replace(symbol, bbox=box, area=max(1, round(symbol.area / zoom**2))))
    return moved
