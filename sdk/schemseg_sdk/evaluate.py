"""Scoring a model (ONNX or TensorRT engine) on a labelled dataset, through the real SDK path.

Predictions go through :class:`~schemseg_sdk.Segmenter`, so sheets larger than the model input are
tiled exactly as in production; the accuracy gate, ``schemseg eval`` and the benchmark use this.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
from tqdm import tqdm

from .backends.onnxruntime import Device
from .dataset import SegmentationDataset
from .metrics import ConfusionMatrix, SegmentationScores
from .segmenter import Segmenter

__all__ = ["evaluate_model"]


def evaluate_model(
    model: str | os.PathLike[str] | Segmenter,
    data: SegmentationDataset | str | os.PathLike[str],
    *,
    batch_size: int = 4,
    threads: int | None = None,
    limit: int | None = None,
    progress: bool = True,
    device: Device = "auto",
) -> SegmentationScores:
    """Return per-class IoU, mean IoU and pixel accuracy of ``model`` on ``data``.

    Args:
        model: a model path (``.onnx``, ``.engine``/``.plan``) or an open :class:`Segmenter`
            (left open; a path is opened and closed here).
        data: a :class:`SegmentationDataset` or its folder (``images/`` + ``masks/``).
        batch_size, threads, device: passed to :class:`Segmenter` when ``model`` is a path.
        limit: score only the first ``limit`` sheets.
        progress: show a tqdm bar on stderr.

    Raises:
        DatasetError: missing/mismatched masks or unreadable images in ``data``, or a dataset whose
            class list differs from the model's.
        ModelFormatError, BackendUnavailableError, InferenceError: from the model.

    >>> scores = evaluate_model("model.onnx", "data/val", limit=20)  # doctest: +SKIP
    >>> print(scores.table())  # doctest: +SKIP
    """
    dataset = data if isinstance(data, SegmentationDataset) else SegmentationDataset(data)
    count = len(dataset) if limit is None else max(0, min(limit, len(dataset)))
    if isinstance(model, Segmenter):
        return _score(model, dataset, count, progress)
    with Segmenter(model, device=device, batch_size=batch_size, threads=threads) as segmenter:
        return _score(segmenter, dataset, count, progress)


def _score(segmenter: Segmenter, dataset: SegmentationDataset, count: int, progress: bool) -> SegmentationScores:
    names = segmenter.class_names
    dataset.require_classes(names, f"model {segmenter.model_path.name}")
    matrix = ConfusionMatrix(len(names), names)
    images = _images(dataset, count)
    results = segmenter.predict_stream(images, with_confidence=False)
    bar = tqdm(total=count, desc="evaluate", unit="sheet", disable=not progress, leave=False)
    with bar:
        for index, result in enumerate(results):
            target = dataset.read_mask(index, result.mask.shape)
            matrix.update(result.mask, target)
            bar.update(1)
    return matrix.scores()


def _images(dataset: SegmentationDataset, count: int) -> Iterator[np.ndarray]:
    for index in range(count):
        yield dataset.read_image(index)
