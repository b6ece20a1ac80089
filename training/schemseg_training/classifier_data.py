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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from schemseg_sdk import Segmenter
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.instance_crops import instance_crops, instance_features, to_gray
from schemseg_sdk.instances import GroupingSettings, find_instances
from schemseg_sdk.symbol_metrics import box_iou, covered_fraction, greedy_pairs

__all__ = ["InstanceSet", "MATCH_IOU", "NEGATIVES", "collect_instances", "label_instances", "cached_prediction"]

MATCH_IOU = 0.3  # looser than the scoring's 0.5: a symbol found with a loose box still teaches its class
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
        return InstanceSet(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                             ("crops", "features", "labels", "predicted")))


def label_instances(boxes: np.ndarray, truth: list[tuple[int, tuple[int, int, int, int]]]) -> np.ndarray:
    """The class of the true symbol each of ``boxes`` pairs with (0: none), pairs taken by highest IoU.

    >>> label_instances(np.array([[0, 0, 10, 10], [1, 1, 9, 9], [50, 50, 60, 60]]), [(4, (0, 0, 10, 10))]).tolist()
    [4, 0, 0]
    """
    labels = np.zeros(len(boxes), np.int64)
    if not len(boxes) or not truth:
        return labels
    iou = box_iou(np.asarray(boxes), np.array([box for _, box in truth]))
    for index, symbol in greedy_pairs(iou, MATCH_IOU):
        labels[index] = truth[symbol][0]
    return labels


def collect_instances(data: str | Path, segmenter: Segmenter, predictions: Path, *, negatives: str = "all",
                      limit: int | None = None, settings: GroupingSettings = GroupingSettings()) -> InstanceSet:
    """The labelled instances of the sheets of ``data`` grouped with ``settings`` (see the module docstring)."""
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
        table = find_instances(mask, confidence, image, settings)
        truth = dataset.read_boxes(index)
        labels = label_instances(table.boxes, list(truth.symbols))
        unpaired_kept = (table.classes != text) if negatives != "none" else np.zeros(len(labels), bool)
        use = (covered_fraction(table.boxes, truth.ignore) < 0.5) & ((labels > 0) | unpaired_kept)
        boxes = table.boxes[use]
        parts.append(InstanceSet(
            instance_crops(to_gray(image), boxes, table.stroke_width),
            instance_features(boxes, table.areas[use], table.stroke_width, table.votes[use], segmenter.class_names),
            labels[use], table.classes[use],
        ))
    return InstanceSet.concatenate(parts)


def cached_prediction(segmenter: Segmenter, image: np.ndarray, path: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The model's mask and confidence of ``image``: read from ``path`` (``.npz``) when it was made from this
    very image (its digest is kept beside the arrays), else inferred and kept there.

    A regenerated or edited dataset thus never scores another image's prediction; the cache folder's name
    ties it to one model file (``measure_symbols.sh``, ``train-classifier --predictions``)."""
    digest = image_digest(image)
    if path is not None and path.is_file():
        saved = np.load(path)
        if "image_sha1" in saved.files and str(saved["image_sha1"]) == digest:
            return saved["mask"], saved["conf"].astype(np.float32)
    result = segmenter.predict(image)
    assert result.confidence is not None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, mask=result.mask, conf=result.confidence, image_sha1=np.str_(digest))
    return result.mask, result.confidence.astype(np.float32)


def image_digest(image: np.ndarray) -> str:
    """SHA-1 of an image's shape and pixels."""
    digest = hashlib.sha1(repr((image.shape, image.dtype.str)).encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()
