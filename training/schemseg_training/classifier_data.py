"""The symbol classifier's training set: the instances grouping finds in a segmentation model's output.

For every sheet of a dataset with symbol boxes, the model's prediction (cached as ``NAME.npz`` in a
predictions folder, made when missing) is grouped (:func:`~schemseg_sdk.instances.find_instances`)
and each instance is labelled from the true boxes: instances and true symbols are paired one to one,
greedily from the highest box IoU down, at IoU >= ``MATCH_IOU`` whatever their classes; a paired
instance takes its symbol's class, an unpaired one class 0, "no symbol" (a fragment, a duplicate,
stray ink). Instances mostly inside an ``ignore`` box are left out. Which unpaired instances are kept
as "no symbol" depends on how much of a dataset's ink its boxes cover (``negatives``):

- ``"all"``: every symbol and every text (synthetic sheets);
- ``"non_text"``: every symbol but no text (real drawings such as CI2N): an unpaired instance the
  model calls ``designation`` may be a label's letters and is left out, any other is "no symbol"
  (an arrow, a polarity mark, a wire the model painted);
- ``"none"``: only some symbols: unpaired instances are left out.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from schemseg_sdk import Segmenter
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.instance_crops import instance_crops, instance_features, to_gray
from schemseg_sdk.instances import GroupingSettings, InstanceTable, find_instances, measure_text_height
from schemseg_sdk.symbol_metrics import box_intersection, box_iou, covered_fraction, greedy_pairs

__all__ = [
    "InstanceSet",
    "MATCH_IOU",
    "NEGATIVES",
    "collect_instances",
    "label_instances",
    "holds_several",
    "cached_prediction",
]

MATCH_IOU = 0.3  # looser than the scoring's 0.5: a symbol found with a loose box still teaches its class
HELD_INSIDE, HELD_SHARE = 0.6, 0.2  # a true symbol "held" by an instance box (holds_several)
NEGATIVES = ("all", "non_text", "none")  # which unpaired instances are "no symbol" (module docstring)


@dataclass(frozen=True)
class InstanceSet:
    """Crops ``(N, S, S)`` uint8, features ``(N, F)`` float32, labels ``(N,)`` and the segmentation model's classes."""

    crops: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray

    @staticmethod
    def concatenate(parts: list[InstanceSet]) -> InstanceSet:
        return InstanceSet(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("crops", "features", "labels", "predicted")
            )
        )


def label_instances(boxes: np.ndarray, truth: list[tuple[int, tuple[int, int, int, int]]]) -> np.ndarray:
    """The class of the true symbol each of ``boxes`` pairs with (0: none), pairs taken by highest IoU.

    An instance that holds two or more true symbols of one class (:func:`holds_several`: two orifice
    plates on one pipe, two transistors in a row, joined by grouping) pairs with none of them: it is
    "no symbol", so that the classifier learns to keep such neighbours apart (``apart_margin``).

    >>> label_instances(np.array([[0, 0, 10, 10], [1, 1, 9, 9], [50, 50, 60, 60]]), [(4, (0, 0, 10, 10))]).tolist()
    [4, 0, 0]
    >>> label_instances(np.array([[0, 0, 22, 10]]), [(4, (0, 0, 10, 10)), (4, (12, 0, 22, 10))]).tolist()
    [0]
    """
    labels = np.zeros(len(boxes), np.int64)
    if not len(boxes) or not truth:
        return labels
    iou = box_iou(np.asarray(boxes), np.array([box for _, box in truth]))
    iou[holds_several(np.asarray(boxes), truth)] = 0.0
    for index, symbol in greedy_pairs(iou, MATCH_IOU):
        labels[index] = truth[symbol][0]
    return labels


def holds_several(boxes: np.ndarray, truth: list[tuple[int, tuple[int, int, int, int]]]) -> np.ndarray:
    """``(N,)`` bool: which of ``boxes`` hold two or more true symbols of one class, each at least
    ``HELD_INSIDE`` inside the box and at least ``HELD_SHARE`` of its area (a junction dot or a
    label inside a big symbol does not count).

    >>> holds_several(np.array([[0, 0, 22, 10], [0, 0, 10, 10]]), [(4, (0, 0, 10, 10)), (4, (12, 0, 22, 10))]).tolist()
    [True, False]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    several = np.zeros(len(boxes), bool)
    if not len(boxes) or not truth:
        return several
    classes = np.array([class_id for class_id, _ in truth])
    true_boxes = np.array([box for _, box in truth], np.float64)
    inside = box_intersection(boxes[:, None, :], true_boxes[None, :, :])
    true_area = np.maximum((true_boxes[:, 2:] - true_boxes[:, :2]).prod(axis=1), 1e-9)
    box_area = np.maximum((boxes[:, 2:] - boxes[:, :2]).prod(axis=1), 1e-9)
    held = (inside >= HELD_INSIDE * true_area[None, :]) & (true_area[None, :] >= HELD_SHARE * box_area[:, None])
    for class_id in np.unique(classes).tolist():
        several |= held[:, classes == class_id].sum(axis=1) >= 2
    return several


def collect_instances(
    data: str | Path,
    segmenter: Segmenter,
    predictions: Path,
    *,
    negatives: str = "all",
    limit: int | None = None,
    settings: GroupingSettings | Sequence[GroupingSettings] = GroupingSettings(),
) -> InstanceSet:
    """The labelled instances of the sheets of ``data`` grouped with ``settings`` (see the module docstring).

    Several settings (several ``merge_gap``, say): the instances of each grouping, an instance that
    two of them find alike (same box) once. The groups a larger gap joins are what grouping asks the
    classifier about before joining (``apart_margin``): one symbol, or neighbours to keep apart.
    """
    groupings = [settings] if isinstance(settings, GroupingSettings) else list(settings)
    if negatives not in NEGATIVES:
        raise ValueError(f"negatives={negatives!r}: expected one of {NEGATIVES}")
    names = segmenter.class_names
    text = names.index("designation") if negatives == "non_text" and "designation" in names else -1
    dataset = SegmentationDataset(data)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    parts = []
    for index in tqdm(range(count), desc=f"instances {Path(data).name}"):
        image = dataset.read_image(index)
        mask, confidence = cached_prediction(segmenter, image, predictions / f"{dataset.image_paths[index].stem}.npz")
        height = measure_text_height(mask, image, names)  # once per sheet, for every grouping
        table = _union_of_groupings([find_instances(mask, confidence, image, s, names, height) for s in groupings])
        truth = dataset.read_boxes(index)
        labels = label_instances(table.boxes, list(truth.symbols))
        unpaired_kept = (table.classes != text) if negatives != "none" else np.zeros(len(labels), bool)
        use = (covered_fraction(table.boxes, truth.ignore) < 0.5) & ((labels > 0) | unpaired_kept)
        boxes = table.boxes[use]
        parts.append(
            InstanceSet(
                instance_crops(to_gray(image), boxes, table.stroke_width),
                instance_features(boxes, table.areas[use], table.stroke_width, table.votes[use], segmenter.class_names),
                labels[use],
                table.classes[use],
            )
        )
    return InstanceSet.concatenate(parts)


def _union_of_groupings(tables: list[InstanceTable]) -> InstanceTable:
    """The instances of several groupings of one sheet, each box once (the first table's instance)."""
    tables = [table for table in tables if len(table.boxes)] or tables[:1]  # an empty table's votes are (0, 1)
    if len(tables) == 1:
        return tables[0]
    boxes = np.concatenate([table.boxes for table in tables])
    _, first = np.unique(boxes, axis=0, return_index=True)
    first = np.sort(first)
    return InstanceTable(
        boxes[first],
        np.concatenate([table.areas for table in tables])[first],
        np.concatenate([table.votes for table in tables])[first],
        np.concatenate([table.classes for table in tables])[first],
        tables[0].stroke_width,
    )


def cached_prediction(segmenter: Segmenter, image: np.ndarray, path: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The model's mask and confidence of ``image``: read from ``path`` (``.npz``) when it was made from this
    very image (its digest is kept beside the arrays), else inferred and kept there.

    A regenerated or edited dataset thus never scores another image's prediction; the cache folder's name
    ties it to one model file (``measure_symbols.sh``, ``train-classifier --predictions``)."""
    digest = image_digest(image)
    if path is not None and path.is_file():
        try:
            with np.load(path) as saved:
                if "image_sha1" in saved.files and str(saved["image_sha1"]) == digest:
                    return saved["mask"], saved["conf"].astype(np.float32)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            pass  # unreadable (a run killed while writing it, before writes were atomic): infer again
    result = segmenter.predict(image)
    assert result.confidence is not None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.partial.npz")  # renamed into place: a killed run leaves no torn file
        np.savez_compressed(partial, mask=result.mask, conf=result.confidence, image_sha1=np.str_(digest))
        os.replace(partial, path)
    return result.mask, result.confidence.astype(np.float32)


def image_digest(image: np.ndarray) -> str:
    """SHA-1 of an image's shape and pixels."""
    digest = hashlib.sha1(repr((image.shape, image.dtype.str)).encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()
