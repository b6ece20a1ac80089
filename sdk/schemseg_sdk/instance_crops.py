"""What the symbol classifier sees of an instance: a square crop of the drawing and a few numbers.

One definition, used when the classifier's training set is made and when it runs in the SDK:

* the crop: a square around the instance's box, ``margin`` of its longer side plus two stroke
  widths wider on every side (so a symbol's leads and its neighbours' edges show), white outside
  the sheet, gray, resized to ``CROP_SIZE`` pixels (area interpolation);
* the features: the box's width and height and the instance's area in stroke widths (logs), then
  the segmentation model's vote: the mean confidence of the instance's pixels in each class
  (``0`` for classes none of its pixels took).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ["CROP_SIZE", "CROP_MARGIN", "SIZE_FEATURES", "instance_crops", "instance_features", "to_gray"]

CROP_SIZE = 64
CROP_MARGIN = 0.15
SIZE_FEATURES = ("log_width", "log_height", "log_area")


def to_gray(image: np.ndarray) -> np.ndarray:
    """A uint8 gray copy of a BGR or gray drawing (the sheet as the crops take it)."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def instance_crops(gray: np.ndarray, boxes: np.ndarray, stroke_width: float, size: int = CROP_SIZE) -> np.ndarray:
    """``(N, size, size)`` uint8 crops of ``gray`` around ``boxes`` ``(N, 4)`` (x0, y0, x1, y1; x1/y1 exclusive).

    >>> sheet = np.full((50, 50), 255, np.uint8); sheet[20:30, 10:40] = 0
    >>> crops = instance_crops(sheet, np.array([[10, 20, 40, 30]]), 1.0, size=16)
    >>> crops.shape, int(crops[0, 8, 8]), int(crops[0, 0, 0])
    ((1, 16, 16), 0, 255)
    """
    crops = np.empty((len(boxes), size, size), np.uint8)
    height, width = gray.shape
    for index, (x0, y0, x1, y1) in enumerate(np.asarray(boxes, np.float64).tolist()):
        longer = max(x1 - x0, y1 - y0, 1.0)
        side = max(1, int(round(longer + 2 * max(2 * stroke_width, CROP_MARGIN * longer))))
        left = int(round((x0 + x1 - side) / 2))
        top = int(round((y0 + y1 - side) / 2))
        square = np.full((side, side), 255, np.uint8)
        sx0, sy0 = max(left, 0), max(top, 0)
        sx1, sy1 = min(left + side, width), min(top + side, height)
        if sx1 > sx0 and sy1 > sy0:
            square[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = gray[sy0:sy1, sx0:sx1]
        interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
        crops[index] = cv2.resize(square, (size, size), interpolation=interpolation)
    return crops


def instance_features(
    boxes: np.ndarray, areas: np.ndarray, stroke_width: float, votes: np.ndarray, class_names: Sequence[str]
) -> np.ndarray:
    """``(N, 3 + len(class_names))`` float32: the size features, then the vote per class (background 0).

    ``votes`` ``(N, C)``: each instance's mean confidence per class; ``C`` may be smaller than the
    class list (classes no pixel of the sheet took), never larger.

    >>> instance_features(np.array([[0, 0, 8, 4]]), np.array([16]), 2.0, np.array([[0.0, 0.9]]), ("bg", "a", "b")).astype(float).round(3).tolist()
    [[1.386, 0.693, 1.386, 0.0, 0.9, 0.0]]
    """
    boxes = np.asarray(boxes, np.float64)
    width = np.maximum(boxes[:, 2] - boxes[:, 0], 1.0) / stroke_width
    height = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0) / stroke_width
    area = np.maximum(np.asarray(areas, np.float64), 1.0) / stroke_width**2
    features = np.zeros((len(boxes), len(SIZE_FEATURES) + len(class_names)), np.float32)
    features[:, 0], features[:, 1], features[:, 2] = np.log(width), np.log(height), np.log(area)
    votes = np.asarray(votes, np.float32)
    features[:, len(SIZE_FEATURES) : len(SIZE_FEATURES) + votes.shape[1]] = votes
    features[:, len(SIZE_FEATURES)] = 0.0  # background never wins a vote
    return features
