"""Symbols as a person counts them: predicted ink grouped into instances with one class each.

The model labels pixels; a noisy symbol comes out as several regions of several classes. Grouping:

1. The sheet's stroke width ``w`` is measured on its ink (:func:`estimate_stroke_width`).
2. Predicted symbol pixels are closed with a disc of diameter about ``gap * w``, so fragments of one
   symbol separated by a missed stroke or two join; each connected region is a candidate instance.
3. Each candidate takes the class with the largest confidence-weighted vote of its pixels. It is
   split only where classes disagree with confidence: when two or more classes each hold at least
   ``split_area * w**2`` pixels at a mean confidence of ``split_confidence`` or more (a symbol
   touching its text label, say), every pixel joins the nearest of those confident regions.
4. Instances of one class closer than ``merge_gap * w`` join (the two plates of a capacitor, the
   letters of a label).
5. Instances smaller than ``min_area * w**2`` pixels, small unsure ones, and those of any size whose
   class the model hardly believes in (mean confidence below ``floor_confidence``: a plurality won by
   a few low-confidence pixels, typically a symbol of another class) are dropped (painted
   background).
6. With a :class:`~schemseg_sdk.symbol_classifier.SymbolClassifier`, each remaining instance takes
   the class the classifier gives it from its crop of the drawing, its size and the vote of step 3;
   "no symbol" drops it. The symbol's confidence is then the classifier's probability.
7. The kept instances are painted back into the mask in their one class.

Everything is vectorised (OpenCV morphology and labelling, ``numpy.bincount`` votes); grouping runs
on the stitched sheet, so a symbol across a tile seam is one instance.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import time

import cv2
import numpy as np

from .classes import CLASS_NAMES
from .instance_crops import to_gray
from .symbols import Symbol, find_symbols

if TYPE_CHECKING:
    from .symbol_classifier import SymbolClassifier

__all__ = ["GroupingSettings", "GroupedSymbols", "InstanceTable", "group_symbols", "find_instances",
           "estimate_stroke_width", "list_symbols"]

_INK_THRESHOLD = 128  # gray below this is ink (the real-drawing scoring protocol's threshold)
_STRIP_ROWS = 1024  # the stroke width is measured strip by strip: bounded memory on big scans
_STRIP_MARGIN = 16


@dataclass(frozen=True)
class GroupingSettings:
    """How predicted pixels become symbol instances; lengths are in stroke widths.

    Attributes:
        gap: fragments closer than about ``gap`` stroke widths join into one instance, whatever their classes.
        merge_gap: instances of the same class closer than ``merge_gap`` stroke widths join. Chosen
            with the symbol classifier on two tuning sets (synthetic seed 3, 120 CI2N training
            drawings the classifier never saw): 8, the value before the classifier, joins neighbouring
            symbols of one class (two transistors on one wire); 3 splits real capacitors' plates.
        min_area: instances with fewer than ``min_area * w**2`` pixels are dropped.
        min_confidence, unsure_area: so are instances smaller than ``unsure_area * w**2`` whose
            pixels give their class a mean confidence below ``min_confidence`` (pixels of other
            classes count 0): small and unsure is mostly noise; not applied without confidence.
        split_confidence: mean confidence a second class needs to split an instance...
        split_area: ...over at least ``split_area * w**2`` pixels.
        floor_confidence: instances of any size whose mean confidence in their class is below this
            are dropped; not applied without confidence. Chosen on a tuning set of its own (seed 3):
            higher floors count strong classes better but drop the true symbols of the classes the
            model is unsure of everywhere, and lower the mean symbol F1 (README, "Symbols").
    """

    gap: float = 1.0
    merge_gap: float = 5.0
    min_area: float = 2.5
    min_confidence: float = 0.6
    unsure_area: float = 10.0
    split_confidence: float = 0.8
    split_area: float = 2.5
    floor_confidence: float = 0.1


@dataclass(frozen=True)
class GroupedSymbols:
    """The result of :func:`group_symbols`: the repainted mask, one symbol per instance, and ``w``."""

    mask: np.ndarray
    symbols: list[Symbol]
    stroke_width: float
    settings: GroupingSettings = GroupingSettings()
    classifier: dict[str, object] | None = None

    def describe(self) -> dict[str, object]:
        """What the JSON result records about the grouping (stroke width, settings, classifier or ``None``)."""
        return {"stroke_width": self.stroke_width, **asdict(self.settings), "classifier": self.classifier}


@dataclass(frozen=True)
class InstanceTable:
    """The instances grouping keeps before a classifier looks at them (steps 1-5): what it is trained on.

    ``boxes`` ``(N, 4)`` on the sheet (x1/y1 exclusive), ``areas`` ``(N,)`` pixels, ``votes``
    ``(N, C)`` mean confidence per class (background column 0), ``classes`` ``(N,)`` winning class ids.
    """

    boxes: np.ndarray
    areas: np.ndarray
    votes: np.ndarray
    classes: np.ndarray
    stroke_width: float


def find_instances(mask: np.ndarray, confidence: np.ndarray | None, image: np.ndarray,
                   settings: GroupingSettings = GroupingSettings()) -> InstanceTable:
    """The instances of steps 1-5 of the grouping of ``mask`` (see :func:`group_symbols`)."""
    instances, offset, width = _label_sheet(mask, confidence, image, settings)
    if instances is None:
        return InstanceTable(np.zeros((0, 4), np.int64), np.zeros(0, np.int64), np.zeros((0, 1)), np.zeros(0, np.int64), width)
    kept = np.flatnonzero(instances.keep)
    return InstanceTable(instances.boxes[kept] + np.array([*offset, *offset]), instances.area[kept],
                         instances.mean_votes()[kept], instances.winner[kept], width)


def _label_sheet(mask: np.ndarray, confidence: np.ndarray | None, image: np.ndarray,
                 settings: GroupingSettings) -> tuple[_Instances | None, tuple[int, int], float]:
    """The instances of the bounding box of ``mask``'s symbols, that box's corner and the stroke width."""
    width = estimate_stroke_width(image)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None, (0, 0), width
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    weights = None if confidence is None else confidence[y0:y1, x0:x1]
    return _Instances.label(mask[y0:y1, x0:x1], weights, width, settings), (x0, y0), width


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
        ridge[:keep[0]] = False
        ridge[keep[1]:] = False
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

    >>> image = np.full((40, 40, 3), 255, np.uint8); image[10:30, 10:12] = 0
    >>> mask = np.zeros((40, 40), np.uint8); mask[10:20, 10:12] = 1; mask[20:30, 10:12] = 2; mask[21, 10] = 1
    >>> confidence = np.where(mask == 1, 0.9, 0.5).astype(np.float32)
    >>> grouped = group_symbols(mask, confidence, image)
    >>> [(s.class_name, s.bbox, s.area) for s in grouped.symbols], int(grouped.mask[25, 10])
    ([('resistor', (10, 10, 12, 30), 40)], 1)
    """
    out = np.zeros_like(mask)
    described = None if classifier is None else classifier.describe()
    instances, (x0, y0), width = _label_sheet(mask, confidence, image, settings)
    if instances is None:
        return GroupedSymbols(out, [], width, settings, described)
    if classifier is not None:
        instances.reclassify(classifier, to_gray(image), (x0, y0), width)
    out[y0:y0 + instances.crop.shape[0], x0:x0 + instances.crop.shape[1]] = instances.paint()
    symbols = instances.symbols(class_names, (x0, y0), confidence is not None or classifier is not None)
    return GroupedSymbols(out, symbols, width, settings, described)


def list_symbols(
    mask: np.ndarray,
    confidence: np.ndarray | None,
    image: np.ndarray,
    class_names: Sequence[str],
    grouping: GroupingSettings | None,
    timings: dict[str, float],
    classifier: SymbolClassifier | None = None,
) -> tuple[np.ndarray, list[Symbol], dict[str, object] | None]:
    """The symbols of a prediction: grouped into instances (``grouping``, with ``classifier`` if
    given) or one per connected region (``None``).

    Returns the mask (repainted when grouped), the symbols and the grouping's description (or
    ``None``); adds the seconds spent to ``timings["group"]`` or ``timings["postprocess"]``.
    """
    start = time.perf_counter()
    if grouping is None:
        symbols = find_symbols(mask, confidence, class_names)
        timings["postprocess"] += time.perf_counter() - start
        return mask, symbols, None
    grouped = group_symbols(mask, confidence, image, class_names, grouping, classifier)
    timings["group"] += time.perf_counter() - start
    return grouped.mask, grouped.symbols, grouped.describe()


class _Instances:
    """Instance id, class and vote of every predicted pixel of a crop."""

    def __init__(self, crop: np.ndarray, labels: np.ndarray, count: int, confident: bool) -> None:
        self.crop, self.labels, self.count, self.confident = crop, labels, count, confident
        self.fg = crop != 0
        self.classes_count = int(crop.max()) + 1
        self.keep = np.ones(count, bool)
        self.probability: np.ndarray | None = None  # the classifier's, once it has spoken

    @classmethod
    def label(cls, crop: np.ndarray, weights: np.ndarray | None, width: float,
              settings: GroupingSettings) -> _Instances:
        closed = _close(crop != 0, settings.gap * width)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8, ltype=cv2.CV_32S)
        self = cls(crop, labels, count, weights is not None)
        # a closing stays inside the bounding box of what it closes: these are the boxes of the ink
        self.boxes = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]])
        self._vote(weights)
        split = self._split_candidates(width, settings)
        if split.size:
            self._split(split, width, settings, weights)
        self._merge_same_class(settings.merge_gap * width, weights)
        self.keep &= self.area >= settings.min_area * width * width
        if self.confident:
            score = self.score()
            unsure = (score < settings.min_confidence) & (self.area < settings.unsure_area * width * width)
            self.keep &= ~unsure & (score >= settings.floor_confidence)
        self.keep[0] = False
        return self

    def _vote(self, weights: np.ndarray | None) -> None:
        pixel_labels = self.labels[self.fg].astype(np.int64)
        pairs = pixel_labels * self.classes_count + self.crop[self.fg]
        size = self.count * self.classes_count
        self.pixels = np.bincount(pairs, minlength=size).reshape(self.count, self.classes_count)
        if weights is None:
            self.votes = self.pixels.astype(np.float64)
        else:
            votes = np.bincount(pairs, weights=weights[self.fg].astype(np.float32), minlength=size)
            self.votes = votes.reshape(self.count, self.classes_count)
        self.votes[:, 0] = 0.0
        self.winner = self.votes.argmax(axis=1)
        self.area = self.pixels.sum(axis=1)

    def _strong(self, width: float, settings: GroupingSettings) -> np.ndarray:
        """``(count, classes)``: classes holding a confident region of their own in each instance."""
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.votes / self.pixels
        strong = (self.pixels >= settings.split_area * width * width) & (mean >= settings.split_confidence)
        strong[:, 0] = False
        return strong

    def _split_candidates(self, width: float, settings: GroupingSettings) -> np.ndarray:
        if not self.confident:
            return np.zeros(0, np.int64)
        return np.flatnonzero(self._strong(width, settings).sum(axis=1) >= 2)

    def _split(self, split: np.ndarray, width: float, settings: GroupingSettings, weights: np.ndarray | None) -> None:
        """Give every pixel of each instance in ``split`` to its nearest confident region."""
        strong = self._strong(width, settings)
        boxes = [self.boxes]
        next_label = self.count
        for instance in split.tolist():
            x0, y0, x1, y1 = self.boxes[instance].tolist()
            labels, classes = self.labels[y0:y1, x0:x1], self.crop[y0:y1, x0:x1]
            inside = labels == instance
            seeds = inside & np.isin(classes, np.flatnonzero(strong[instance]))
            source = np.where(seeds, 0, 255).astype(np.uint8)
            _, nearest = cv2.distanceTransformWithLabels(source, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
            owner = classes[seeds][nearest - 1]  # DIST_LABEL_PIXEL numbers the seeds in row-major order
            for class_id in np.unique(classes[seeds]).tolist():
                part = inside & (owner == class_id) & (classes != 0)
                labels[part] = next_label
                boxes.append(_box_of(part, x0, y0)[None])
                next_label += 1
        self.count = next_label
        self.boxes = np.concatenate(boxes)
        self.keep = np.ones(self.count, bool)
        self._vote(weights)

    def _merge_same_class(self, gap: float, weights: np.ndarray | None) -> None:
        """Join instances of one winning class that a closing of ``gap`` pixels connects."""
        target = np.arange(self.count)
        painted = self.paint(keep_all=True)
        offset = self.count
        for class_id in np.unique(self.winner[1:]).tolist():
            members = np.flatnonzero(self.winner == class_id)
            members = members[members > 0]
            if len(members) < 2:
                continue
            x0, y0 = self.boxes[members, :2].min(axis=0).tolist()
            x1, y1 = self.boxes[members, 2:].max(axis=0).tolist()
            pixels = painted[y0:y1, x0:x1] == class_id
            count, joined = cv2.connectedComponents(_grow(pixels, gap / 2), connectivity=8, ltype=cv2.CV_32S)
            labels = self.labels[y0:y1, x0:x1][pixels]
            component = np.zeros(self.count, np.int64)
            component[labels] = joined[pixels]  # every pixel of an instance lies in one joined component
            target[members] = offset + component[members]
            offset += count
        _, target = np.unique(target, return_inverse=True)
        if target.max() + 1 == self.count:
            return
        boxes = np.zeros((target.max() + 1, 4), np.int64)
        boxes[:, :2] = np.iinfo(np.int64).max
        np.minimum.at(boxes[:, 0], target, self.boxes[:, 0])
        np.minimum.at(boxes[:, 1], target, self.boxes[:, 1])
        np.maximum.at(boxes[:, 2], target, self.boxes[:, 2])
        np.maximum.at(boxes[:, 3], target, self.boxes[:, 3])
        self.labels = target.astype(np.int32)[self.labels]
        self.count, self.boxes = len(boxes), boxes
        self.keep = np.ones(self.count, bool)
        self._vote(weights)

    def reclassify(self, classifier: SymbolClassifier, gray: np.ndarray, offset: tuple[int, int], width: float) -> None:
        """Give every kept instance the classifier's class; those it calls class 0 (no symbol) are dropped."""
        kept = np.flatnonzero(self.keep)
        self.probability = np.zeros(self.count)
        if not kept.size:
            return
        boxes = self.boxes[kept] + np.array([offset[0], offset[1], offset[0], offset[1]])
        probabilities = classifier.classify(gray, boxes, self.area[kept], self.mean_votes()[kept], width)
        best = probabilities.argmax(axis=1)
        self.winner = self.winner.copy()
        self.winner[kept] = best
        self.probability[kept] = probabilities[np.arange(len(kept)), best]
        self.keep[kept[best == 0]] = False

    def mean_votes(self) -> np.ndarray:
        """``(count, classes)``: each instance's mean confidence per class over its pixels (others count 0)."""
        return self.votes / np.maximum(self.area, 1)[:, None]

    def score(self) -> np.ndarray:
        """Per instance: the classifier's probability of its class when it classified them, else the
        mean over its pixels of the confidence in its class (0 where another class won)."""
        if self.probability is not None:
            return self.probability
        return self.votes[np.arange(self.count), self.winner] / np.maximum(self.area, 1)

    def paint(self, keep_all: bool = False) -> np.ndarray:
        """The crop repainted: each kept instance in its class, dropped ones background."""
        classes = np.where(self.keep | keep_all, self.winner, 0).astype(np.uint8)
        classes[0] = 0
        painted = np.zeros_like(self.crop)
        painted[self.fg] = classes[self.labels[self.fg]]
        return painted

    def symbols(self, class_names: Sequence[str], offset: tuple[int, int], confident: bool) -> list[Symbol]:
        found = []
        scores = self.score()
        for instance in np.flatnonzero(self.keep).tolist():
            class_id = int(self.winner[instance])
            x0, y0, x1, y1 = self.boxes[instance].tolist()
            score = float(scores[instance]) if confident else None
            name = class_names[class_id] if class_id < len(class_names) else f"class_{class_id}"
            bbox = (x0 + offset[0], y0 + offset[1], x1 + offset[0], y1 + offset[1])
            found.append(Symbol(class_id, name, bbox, int(self.area[instance]), score))
        found.sort(key=lambda s: (s.class_id, s.bbox[1], s.bbox[0]))
        return found


def _close(pixels: np.ndarray, gap: float) -> np.ndarray:
    """``pixels`` (bool) closed with a disc about ``gap`` pixels across: gaps up to ``gap`` are bridged."""
    diameter = 2 * int(round(gap / 2)) + 1
    if diameter < 3:
        return pixels.view(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (diameter, diameter))
    return cv2.morphologyEx(pixels.view(np.uint8), cv2.MORPH_CLOSE, kernel)


def _grow(pixels: np.ndarray, reach: float) -> np.ndarray:
    """``pixels`` (bool) dilated by a square ``2 * reach + 1`` across: pixels ``2 * reach`` apart touch.

    A square (separable, fast for any size) rather than a disc: joining is all it is used for.
    """
    side = 2 * int(round(reach)) + 1
    return cv2.dilate(pixels.view(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))


def _box_of(pixels: np.ndarray, x0: int, y0: int) -> np.ndarray:
    rows, cols = np.flatnonzero(pixels.any(axis=1)), np.flatnonzero(pixels.any(axis=0))
    if not rows.size:
        return np.zeros(4, np.int64)
    return np.array([x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1], np.int64)


def _strips(image: np.ndarray) -> Iterator[tuple[np.ndarray, tuple[int, int]]]:
    """Overlapping row strips of ``image`` and the rows of each that are its own (not margin)."""
    height = image.shape[0]
    for top in range(0, height, _STRIP_ROWS):
        start = max(0, top - _STRIP_MARGIN)
        stop = min(height, top + _STRIP_ROWS + _STRIP_MARGIN)
        yield image[start:stop], (top - start, min(top + _STRIP_ROWS, height) - start)
