"""How grouping labels a crop of predicted pixels: instances, their votes, splits, merges and the classifier's say.

The steps are described in :mod:`~schemseg_sdk.instances`, whose functions are the public face of this
module; their parameters, :class:`~schemseg_sdk._grouping_settings.GroupingSettings`, are re-exported there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ._grouping_settings import GroupingSettings
from ._text_runs import TextRuns
from .symbols import Symbol

if TYPE_CHECKING:
    from .symbol_classifier import SymbolClassifier


@dataclass(frozen=True)
class ClassifierView:
    """The classifier's view of a sheet: class probabilities of instances of a crop at ``offset``."""

    classifier: SymbolClassifier
    gray: np.ndarray
    offset: np.ndarray  # the crop's corner, as a box offset (x0, y0, x0, y0)
    width: float

    def __call__(self, boxes: np.ndarray, areas: np.ndarray, votes: np.ndarray) -> np.ndarray:
        """Probabilities ``(N, K)`` of instances with ``boxes`` on the crop, pixel counts and mean votes."""
        return self.classifier.classify(self.gray, boxes + self.offset, areas, votes, self.width)


class InstanceLabels:
    """Instance id, class and vote of every predicted pixel of a crop."""

    def __init__(
        self, crop: np.ndarray, labels: np.ndarray, count: int, confident: bool, judge: ClassifierView | None
    ) -> None:
        self.crop, self.labels, self.count, self.confident, self.judge = crop, labels, count, confident, judge
        self.fg = crop != 0
        self.classes_count = int(crop.max()) + 1
        self.keep = np.ones(count, bool)
        self.probability: np.ndarray | None = None  # the classifier's, once it has spoken
        self.judged: dict[int, np.ndarray] = {}  # instance -> the classifier's probabilities, where already asked
        self.boxes: np.ndarray = np.zeros((0, 4), np.int64)  # (count, 4) x0, y0, x1, y1 of each instance
        self.pixels: np.ndarray = np.zeros((0, 0), np.int64)  # (count, classes) pixels of each class
        self.votes: np.ndarray = np.zeros((0, 0), np.float64)  # (count, classes) the same, weighted by confidence

    @classmethod
    def label(
        cls,
        crop: np.ndarray,
        weights: np.ndarray | None,
        width: float,
        settings: GroupingSettings,
        judge: ClassifierView | None = None,
        text: TextRuns | None = None,
    ) -> InstanceLabels:
        """Label ``crop`` (class ids) with stroke width ``width``; ``text``: the sheet's text (``None``: no
        text class, or its height unknown)."""
        closed = _close(crop != 0, settings.gap * width)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8, ltype=cv2.CV_32S)
        self = cls(crop, labels, count, weights is not None, judge)
        # a closing stays inside the bounding box of what it closes: these are the boxes of the ink
        self.boxes = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]])
        self._vote(weights)
        judged = judge is not None and settings.apart_margin <= 1  # the classifier has its say on splits
        confidence = settings.judged_split_confidence if judged else settings.split_confidence
        strong = self._strong(width * width * settings.split_area, confidence)
        split = np.flatnonzero(strong.sum(axis=1) >= 2)  # two confident classes or more
        siblings = np.arange(self.count)  # the pieces of one split instance share a number
        if split.size:
            siblings = self._split(split, strong, weights)
        min_pixels = settings.min_area * width * width
        gaps = np.full(self.classes_count, settings.merge_gap * width)
        if text is not None and text.class_id < self.classes_count:
            gaps[text.class_id] = settings.text_gap * text.height
        target = self._merge_targets(gaps)
        if judge is not None and judged:  # (with apart_margin above 1 nothing stays apart: not asked)
            # a split is undone as a merge is: unless the classifier takes each piece for a symbol
            target = self._keep_apart(_union(target, siblings), judge, min_pixels, settings.apart_margin)
        self._regroup(target, weights)
        if text is not None and text.class_id < self.classes_count:
            self._fit_text(text, settings.text_cover, weights)
        self.keep &= self.area >= min_pixels
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

    def _strong(self, pixels: float, confidence: float) -> np.ndarray:
        """``(count, classes)``: classes holding a confident region of their own in each instance: at
        least ``pixels`` pixels at a mean confidence of ``confidence`` or more (none without confidence)."""
        if not self.confident:
            return np.zeros(self.votes.shape, bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.votes / self.pixels
        strong = (self.pixels >= pixels) & (mean >= confidence)
        strong[:, 0] = False
        return strong

    def _split(self, split: np.ndarray, strong: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Give every pixel of each instance in ``split`` to its nearest confident region (``strong``:
        :meth:`_strong`); returns ``(count,)``, equal for the pieces of one instance (the emptied
        instance is on its own)."""
        boxes = [self.boxes]
        next_label = self.count
        sibling_list: list[int] = []
        for instance in split.tolist():
            x0, y0, x1, y1 = self.boxes[instance].tolist()
            labels, classes = self.labels[y0:y1, x0:x1], self.crop[y0:y1, x0:x1]
            inside = labels == instance
            seeds = inside & np.isin(classes, np.flatnonzero(strong[instance]))
            source = np.where(seeds, 0, 255).astype(np.uint8)
            _, nearest = cv2.distanceTransformWithLabels(source, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
            owner = classes[seeds][nearest - 1]  # DIST_LABEL_PIXEL numbers the seeds in row-major order
            first = next_label
            for class_id in np.unique(classes[seeds]).tolist():
                part = inside & (owner == class_id) & (classes != 0)
                labels[part] = next_label
                boxes.append(_box_of(part, x0, y0)[None])
                sibling_list.append(first)
                next_label += 1
        siblings = np.concatenate([np.arange(self.count), np.array(sibling_list, np.int64)])
        self.count = next_label
        self.boxes = np.concatenate(boxes)
        self.keep = np.ones(self.count, bool)
        self._vote(weights)
        return siblings

    def _merge_targets(self, gaps: np.ndarray) -> np.ndarray:
        """``(count,)``: the group of each instance when those of one winning class ``c`` closer than
        ``gaps[c]`` pixels join (numbered from 0, the background's)."""
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
            count, joined = cv2.connectedComponents(_grow(pixels, gaps[class_id] / 2), connectivity=8, ltype=cv2.CV_32S)
            labels = self.labels[y0:y1, x0:x1][pixels]
            component = np.zeros(self.count, np.int64)
            component[labels] = joined[pixels]  # every pixel of an instance lies in one joined component
            target[members] = offset + component[members]
            offset += count
        return np.unique(target, return_inverse=True)[1]

    def _keep_apart(self, target: np.ndarray, judge: ClassifierView, min_pixels: float, margin: float) -> np.ndarray:
        """``target`` with the groups the classifier takes for several symbols undone (see
        ``GroupingSettings.apart_margin``); remembers what it said of the instances that result."""
        sizes = np.bincount(target)
        pieces = np.flatnonzero((sizes[target] >= 2) & (self.area >= min_pixels))
        pieces = pieces[pieces > 0]
        big = np.bincount(target[pieces], minlength=len(sizes))
        pieces = pieces[big[target[pieces]] >= 2]
        if not pieces.size:
            return target
        groups = np.flatnonzero(big >= 2)
        areas = np.bincount(target, weights=self.area, minlength=len(sizes))[groups].astype(np.int64)
        votes = np.zeros((len(sizes), self.votes.shape[1]))
        np.add.at(votes, target, self.votes)
        both = judge(
            np.concatenate([self.boxes[pieces], _group_boxes(self.boxes, target)[groups]]),  # one run
            np.concatenate([self.area[pieces], areas]),
            np.concatenate([self.mean_votes()[pieces], votes[groups] / np.maximum(areas, 1)[:, None]]),
        )
        said, whole = both[: len(pieces)], both[len(pieces) :]
        weakest = np.full(len(sizes), np.inf)  # a piece called "no symbol" (-inf) keeps its group whole
        np.minimum.at(weakest, target[pieces], np.where(said.argmax(axis=1) > 0, said.max(axis=1), -np.inf))
        apart = np.zeros(len(sizes), bool)
        apart[groups] = whole[:, 1:].max(axis=1) <= weakest[groups] - margin  # "no symbol" for the whole: apart
        member = np.zeros(len(sizes), np.int64)
        member[target] = np.arange(self.count)  # one member of each group
        alone = apart[target]
        target = np.unique(np.where(alone, len(sizes) + np.arange(self.count), target), return_inverse=True)[1]
        self.judged = {int(target[piece]): row for piece, row in zip(pieces.tolist(), said) if alone[piece]}
        self.judged.update(
            (int(target[member[group]]), row) for group, row in zip(groups.tolist(), whole) if not apart[group]
        )
        return target

    def _fit_text(self, text: TextRuns, least: float, weights: np.ndarray | None) -> None:
        """Text instances on one run join and take its extent; those covering less than ``least`` of their
        runs' ink (counting every text instance's pixels there) are dropped (see ``GroupingSettings.text_cover``)."""
        is_text = self.winner == text.class_id
        is_text[0] = False
        on_run = (text.labels > 0) & self.fg & is_text[self.labels]
        runs = len(text.boxes)
        total = np.bincount(text.labels.ravel(), minlength=runs)
        covered = np.bincount(text.labels[on_run], minlength=runs)
        pairs = np.unique(self.labels[on_run].astype(np.int64) * runs + text.labels[on_run])
        instance, run = pairs // runs, pairs % runs
        ink = np.bincount(instance, weights=total[run], minlength=self.count)
        support = np.bincount(instance, weights=covered[run], minlength=self.count) / np.maximum(ink, 1)
        dropped = (ink > 0) & (support < least)
        joined = ~dropped[instance]
        target = _components(self.count + runs, instance[joined], self.count + run[joined])[: self.count]
        target = np.unique(target, return_inverse=True)[1]
        # what the classifier said of other instances still holds; text is asked again, as it now stands
        self.judged = {int(target[i]): row for i, row in self.judged.items() if not is_text[i]}
        self._regroup(target, weights)
        reach = _group_boxes(
            np.concatenate([self.boxes, text.boxes[run[joined]]]),
            np.concatenate([np.arange(self.count), target[instance[joined]]]),
        )
        self.boxes = reach
        self.keep[target[dropped]] = False

    def _regroup(self, target: np.ndarray, weights: np.ndarray | None) -> None:
        """Relabel every instance ``i`` as ``target[i]`` (joining those with one target)."""
        if target.max() + 1 == self.count:
            return
        boxes = _group_boxes(self.boxes, target)
        self.labels = target.astype(np.int32)[self.labels]
        self.count, self.boxes = len(boxes), boxes
        self.keep = np.ones(self.count, bool)
        self._vote(weights)

    def reclassify(self) -> None:
        """Give every kept instance the classifier's class; those it calls class 0 (no symbol) are dropped."""
        assert self.judge is not None, "labelled without a classifier"
        kept = np.flatnonzero(self.keep)
        self.probability = np.zeros(self.count)
        if not kept.size:
            return
        asked = np.array([instance not in self.judged for instance in kept.tolist()], bool)
        probabilities = np.zeros((len(kept), len(self.judge.classifier.class_names)), np.float32)
        if asked.any():
            ids = kept[asked]
            probabilities[asked] = self.judge(self.boxes[ids], self.area[ids], self.mean_votes()[ids])
        for row in np.flatnonzero(~asked).tolist():
            probabilities[row] = self.judged[int(kept[row])]
        best = probabilities.argmax(axis=1)
        self.winner = self.winner.copy()
        self.winner[kept] = best
        self.probability[kept] = probabilities[np.arange(len(kept)), best]
        self.keep[kept[best == 0]] = False

    def join_overlapping(self, least: float) -> None:
        """Join kept instances of one class when ``least`` of the smaller one's box or more lies in the
        other's (``GroupingSettings.overlap_join``); the joined instance keeps the larger probability."""
        assert self.probability is not None, "join after reclassify()"
        pairs = []
        for class_id in np.unique(self.winner[self.keep]).tolist():
            members = np.flatnonzero(self.keep & (self.winner == class_id))
            if len(members) < 2:
                continue
            boxes = self.boxes[members]
            across = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:]) - np.maximum(
                boxes[:, None, :2], boxes[None, :, :2]
            )
            inside = np.clip(across, 0, None).prod(axis=2)
            size = (boxes[:, 2:] - boxes[:, :2]).prod(axis=1)
            first, second = np.nonzero(np.triu(inside >= least * np.minimum(size[:, None], size[None, :]), 1))
            pairs.append(members[np.stack([first, second])])
        ends = np.concatenate(pairs, axis=1) if pairs else np.zeros((2, 0), np.int64)
        if not ends.shape[1]:
            return
        target = _components(self.count, ends[0], ends[1])
        count = int(target.max()) + 1
        for name in ("votes", "pixels"):
            summed = np.zeros((count, getattr(self, name).shape[1]), getattr(self, name).dtype)
            np.add.at(summed, target, getattr(self, name))
            setattr(self, name, summed)
        probability = np.zeros(count)
        np.maximum.at(probability, target, self.probability)
        winner, keep = np.zeros(count, self.winner.dtype), np.zeros(count, bool)
        winner[target], keep[target] = self.winner, self.keep  # members share their class and keep
        self.labels = target.astype(np.int32)[self.labels]
        self.boxes, self.count = _group_boxes(self.boxes, target), count
        self.area, self.winner, self.keep, self.probability = self.pixels.sum(axis=1), winner, keep, probability

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


def _union(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The groups (numbered from 0) of the union of two partitions of the same items: items in one
    group of either are in one group."""
    items = np.arange(len(first))
    ends = [np.unique(groups, return_index=True, return_inverse=True) for groups in (first, second)]
    leaders = np.concatenate([index[inverse] for _, index, inverse in ends])  # each item to its group's first
    return _components(len(first), np.concatenate([items, items]), leaders)


def _components(count: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The connected components (numbered from 0, in the order of their first item) of ``count``
    items joined pairwise by the edges ``first[i]``-``second[i]``."""
    label = np.arange(count)
    while True:
        low = np.minimum(label[first], label[second])
        joined = label.copy()
        np.minimum.at(joined, first, low)
        np.minimum.at(joined, second, low)
        joined = joined[joined]  # labels are items: follow each to its own label
        if (joined == label).all():
            return np.unique(label, return_inverse=True)[1]
        label = joined


def _group_boxes(boxes: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(target.max() + 1, 4)``: the box around the ``boxes`` of each group of ``target``."""
    grouped = np.zeros((target.max() + 1, 4), np.int64)
    grouped[:, :2] = np.iinfo(np.int64).max
    np.minimum.at(grouped[:, 0], target, boxes[:, 0])
    np.minimum.at(grouped[:, 1], target, boxes[:, 1])
    np.maximum.at(grouped[:, 2], target, boxes[:, 2])
    np.maximum.at(grouped[:, 3], target, boxes[:, 3])
    return grouped


def _box_of(pixels: np.ndarray, x0: int, y0: int) -> np.ndarray:
    rows, cols = np.flatnonzero(pixels.any(axis=1)), np.flatnonzero(pixels.any(axis=0))
    if not rows.size:
        return np.zeros(4, np.int64)
    return np.array([x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1], np.int64)
