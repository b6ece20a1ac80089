"""Symbols as a person counts them: predicted ink grouped into instances with one class each.

The model labels pixels; a noisy symbol comes out as several regions of several classes. Grouping:

1. The sheet's stroke width ``w`` is measured on its ink (:func:`estimate_stroke_width`).
2. Predicted symbol pixels are closed with a disc of diameter about ``gap * w``, so fragments of one
   symbol separated by a missed stroke or two join; each connected region is a candidate instance.
3. Each candidate takes the class with the largest confidence-weighted vote of its pixels. It is
   split only where classes disagree with confidence: when two or more classes each hold at least
   ``split_area * w**2`` pixels at a mean confidence of ``split_confidence`` or more
   (``judged_split_confidence`` with a classifier, which undoes splits it does not believe in, step 4)
   (a symbol touching its text label, say), every pixel joins the nearest of those confident regions.
4. Instances of one class closer than ``merge_gap * w`` join (the two plates of a capacitor); text
   (``designation``) instances closer than ``text_gap`` times the sheet's text height ``h`` (measured on
   the drawing, :func:`~schemseg_sdk.sheet_scale.measure_scale`) join: the letters of a tag, the words
   of a line number. Letter gaps grow with the text, not with the pen; without a measured ``h`` text
   joins at ``merge_gap * w`` too. With a classifier, a group stays apart when the classifier calls
   each of its pieces a symbol, and is surer of every piece than of the whole being one (by
   ``apart_margin``): two flow arrows on one pipe, two valves in a row. The pieces of a step-3 split
   are such a group too: the split is undone unless the classifier takes each piece for a symbol (the
   halves of a check valve painted in two classes are no symbols; a symbol and its label are two).
   Last, text instances on one run of characters of the drawing join and take its extent, and those
   covering less than ``text_cover`` of their runs are dropped (:mod:`~schemseg_sdk._text_runs`).
5. Instances smaller than ``min_area * w**2`` pixels, small unsure ones, and those of any size whose
   class the model hardly believes in (mean confidence below ``floor_confidence``: a plurality won by
   a few low-confidence pixels, typically a symbol of another class) are dropped (painted
   background).
6. With a :class:`~schemseg_sdk.symbol_classifier.SymbolClassifier`, each remaining instance takes
   the class the classifier gives it from its crop of the drawing, its size and the vote of step 3;
   "no symbol" drops it. The symbol's confidence is then the classifier's probability. Instances it
   names alike whose boxes mostly overlap (``overlap_join``) are parts of one symbol and join.
7. The kept instances are painted back into the mask in their one class.

Everything is vectorised (OpenCV morphology and labelling, ``numpy.bincount`` votes); grouping runs
on the stitched sheet, so a symbol across a tile seam is one instance.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

from ._grouping_settings import GroupingSettings
from ._instance_labels import ClassifierView, InstanceLabels
from ._text_runs import find_text_runs
from .classes import CLASS_NAMES
from .instance_crops import to_gray
from .sheet_scale import measure_scale
from .symbols import Symbol, find_symbols

if TYPE_CHECKING:
    from .symbol_classifier import SymbolClassifier

__all__ = [
    "GroupingSettings",
    "GroupedSymbols",
    "InstanceTable",
    "group_symbols",
    "find_instances",
    "estimate_stroke_width",
    "list_symbols",
    "measure_text_height",
    "TextHeight",
    "TEXT_CLASS",
]

_INK_THRESHOLD = 128  # gray below this is ink (the real-drawing scoring protocol's threshold)
_STRIP_ROWS = 1024  # the stroke width is measured strip by strip: bounded memory on big scans
_STRIP_MARGIN = 16
TEXT_CLASS = "designation"
"""The class whose instances join at gaps measured in text height (``GroupingSettings.text_gap``)."""

TextHeight = float | None | Literal["auto"]
"""The text height grouping is given: pixels, ``None`` (measured already, too little text to tell) or
``"auto"`` (measured on the drawing, once, when text was predicted: :func:`measure_text_height`)."""


@dataclass(frozen=True)
class GroupedSymbols:
    """The result of :func:`group_symbols`: the repainted mask, one symbol per instance, ``w`` and ``h``
    (``text_height``: ``None`` where too little text was found to measure it)."""

    mask: np.ndarray
    symbols: list[Symbol]
    stroke_width: float
    settings: GroupingSettings = GroupingSettings()
    classifier: dict[str, object] | None = None
    text_height: float | None = None

    def describe(self) -> dict[str, object]:
        """What the JSON result records about the grouping (stroke width, text height, settings, classifier)."""
        return {
            "stroke_width": self.stroke_width,
            "text_height": self.text_height,
            **asdict(self.settings),
            "classifier": self.classifier,
        }


@dataclass(frozen=True)
class InstanceTable:
    """The instances of grouping without a classifier (steps 1-5; step 4 joins every group): what it is trained on.

    ``boxes`` ``(N, 4)`` on the sheet (x1/y1 exclusive), ``areas`` ``(N,)`` pixels, ``votes``
    ``(N, C)`` mean confidence per class (background column 0), ``classes`` ``(N,)`` winning class ids.
    """

    boxes: np.ndarray
    areas: np.ndarray
    votes: np.ndarray
    classes: np.ndarray
    stroke_width: float


def find_instances(
    mask: np.ndarray,
    confidence: np.ndarray | None,
    image: np.ndarray,
    settings: GroupingSettings = GroupingSettings(),
    class_names: Sequence[str] = CLASS_NAMES,
    text_height: TextHeight = "auto",
) -> InstanceTable:
    """The instances of steps 1-5 of the grouping of ``mask`` without a classifier (see :func:`group_symbols`)."""
    instances, offset, width, _ = _label_sheet(mask, confidence, image, settings, class_names, None, text_height)
    if instances is None:
        return InstanceTable(
            np.zeros((0, 4), np.int64), np.zeros(0, np.int64), np.zeros((0, 1)), np.zeros(0, np.int64), width
        )
    kept = np.flatnonzero(instances.keep)
    return InstanceTable(
        instances.boxes[kept] + np.array([*offset, *offset]),
        instances.area[kept],
        instances.mean_votes()[kept],
        instances.winner[kept],
        width,
    )


def _label_sheet(
    mask: np.ndarray,
    confidence: np.ndarray | None,
    image: np.ndarray,
    settings: GroupingSettings,
    class_names: Sequence[str],
    classifier: SymbolClassifier | None = None,
    text_height: TextHeight = "auto",
) -> tuple[InstanceLabels | None, tuple[int, int], float, float | None]:
    """The instances of the bounding box of ``mask``'s symbols, that box's corner, the stroke width and the
    text height (``text_height``, measured here when ``"auto"``)."""
    width = estimate_stroke_width(image)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    text_id = list(class_names).index(TEXT_CLASS) if TEXT_CLASS in class_names else None
    if text_height == "auto":
        text_height = measure_text_height(mask, image, class_names)
    if not rows.size:
        return None, (0, 0), width, text_height
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    weights = None if confidence is None else confidence[y0:y1, x0:x1]
    gray = to_gray(image)
    judge = None if classifier is None else ClassifierView(classifier, gray, np.array([x0, y0, x0, y0]), width)
    crop = mask[y0:y1, x0:x1]
    text = None
    if text_id is not None and text_height is not None:
        text = find_text_runs(gray, crop, (x0, y0), text_id, text_height, settings.text_gap * text_height)
    instances = InstanceLabels.label(crop, weights, width, settings, judge, text)
    return instances, (x0, y0), width, text_height


def measure_text_height(mask: np.ndarray, image: np.ndarray, class_names: Sequence[str] = CLASS_NAMES) -> float | None:
    """The text height of the drawing ``image`` in pixels where ``mask`` predicts text (``None``: no text
    predicted, or too little on the drawing to measure: :func:`~schemseg_sdk.sheet_scale.measure_scale`).

    Measure once per sheet and pass the result as ``text_height`` to group it several ways.
    """
    if TEXT_CLASS not in class_names or not (mask == list(class_names).index(TEXT_CLASS)).any():
        return None
    return measure_scale(image).text_px


def estimate_stroke_width(image: np.ndarray) -> float:
    """The typical stroke width of a drawing's ink in pixels (1.0 at least; 1.0 for a blank sheet).

    Twice the median distance-to-paper on the ridges of the ink, minus one pixel: exact for odd
    widths, one less for even ones (their ridge lies between two pixels). The grouping's
    thresholds were tuned with this measure.

    >>> sheet = np.full((60, 60, 3), 255, np.uint8); sheet[10:50, 20:23] = 0; sheet[30:33, 5:55] = 0
    >>> estimate_stroke_width(sheet)
    3.0
    """
    histogram = np.zeros(64, np.int64)
    for strip, keep in _strips(image):
        gray = cv2.cvtColor(strip, cv2.COLOR_BGR2GRAY) if strip.ndim == 3 else strip
        ink = (gray < _INK_THRESHOLD).view(np.uint8)
        distance = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
        ridge = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (ink > 0)
        ridge[: keep[0]] = False
        ridge[keep[1] :] = False
        values = np.rint(2 * np.minimum(distance[ridge], len(histogram))).astype(np.int64)
        values = np.minimum(values, len(histogram) - 1)  # no paper in a strip: huge distances
        histogram += np.bincount(values, minlength=len(histogram))
    if not histogram.any():
        return 1.0
    median = int(np.searchsorted(np.cumsum(histogram), (histogram.sum() + 1) // 2))
    return max(1.0, float(median) - 1.0)


def group_symbols(
    mask: np.ndarray,
    confidence: np.ndarray | None,
    image: np.ndarray,
    class_names: Sequence[str] = CLASS_NAMES,
    settings: GroupingSettings = GroupingSettings(),
    classifier: SymbolClassifier | None = None,
    text_height: TextHeight = "auto",
) -> GroupedSymbols:
    """Group the predicted ``mask`` of ``image`` into symbol instances with one class each.

    Args:
        mask: ``(H, W)`` uint8 class ids as predicted.
        confidence: ``(H, W)`` top probability per pixel, or ``None`` (every pixel then votes 1).
        image: the drawing (BGR or gray), for the stroke width.
        class_names: names of the class ids.
        settings: the grouping's parameters.
        classifier: gives each instance its class (or drops it) from its crop (step 6); its class
            names must be ``class_names``.
        text_height: the drawing's text height in pixels if already measured, ``None`` if measured and
            not found (text then joins at ``merge_gap``), or ``"auto"``: measured on ``image``
            (:func:`measure_text_height`).

    >>> image = np.full((40, 40, 3), 255, np.uint8); image[10:30, 10:12] = 0
    >>> mask = np.zeros((40, 40), np.uint8); mask[10:20, 10:12] = 1; mask[20:30, 10:12] = 2; mask[21, 10] = 1
    >>> confidence = np.where(mask == 1, 0.9, 0.5).astype(np.float32)
    >>> grouped = group_symbols(mask, confidence, image)
    >>> [(s.class_name, s.bbox, s.area) for s in grouped.symbols], int(grouped.mask[25, 10])
    ([('resistor', (10, 10, 12, 30), 40)], 1)
    """
    out = np.zeros_like(mask)
    described = None if classifier is None else classifier.describe()
    instances, (x0, y0), width, height = _label_sheet(
        mask, confidence, image, settings, class_names, classifier, text_height
    )
    if instances is None:
        return GroupedSymbols(out, [], width, settings, described, height)
    if classifier is not None:
        instances.reclassify()
        if settings.overlap_join <= 1:
            instances.join_overlapping(settings.overlap_join)
    out[y0 : y0 + instances.crop.shape[0], x0 : x0 + instances.crop.shape[1]] = instances.paint()
    symbols = instances.symbols(class_names, (x0, y0), confidence is not None or classifier is not None)
    return GroupedSymbols(out, symbols, width, settings, described, height)


def list_symbols(
    mask: np.ndarray,
    confidence: np.ndarray | None,
    image: np.ndarray,
    class_names: Sequence[str],
    grouping: GroupingSettings | None,
    timings: dict[str, float],
    classifier: SymbolClassifier | None = None,
    text_height: TextHeight = "auto",
) -> tuple[np.ndarray, list[Symbol], dict[str, object] | None]:
    """The symbols of a prediction: grouped into instances (``grouping``, with ``classifier`` if
    given, ``text_height`` as in :func:`group_symbols`) or one per connected region (``None``).

    Returns the mask (repainted when grouped), the symbols and the grouping's description (or
    ``None``); adds the seconds spent to ``timings["group"]`` or ``timings["postprocess"]``.
    """
    start = time.perf_counter()
    if grouping is None:
        symbols = find_symbols(mask, confidence, class_names)
        timings["postprocess"] += time.perf_counter() - start
        return mask, symbols, None
    grouped = group_symbols(mask, confidence, image, class_names, grouping, classifier, text_height)
    timings["group"] += time.perf_counter() - start
    return grouped.mask, grouped.symbols, grouped.describe()


def _strips(image: np.ndarray) -> Iterator[tuple[np.ndarray, tuple[int, int]]]:
    """Overlapping row strips of ``image`` and the rows of each that are its own (not margin)."""
    height = image.shape[0]
    for top in range(0, height, _STRIP_ROWS):
        start = max(0, top - _STRIP_MARGIN)
        stop = min(height, top + _STRIP_ROWS + _STRIP_MARGIN)
        yield image[start:stop], (top - start, min(top + _STRIP_ROWS, height) - start)
