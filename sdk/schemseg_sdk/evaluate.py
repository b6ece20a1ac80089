"""Scoring a model (ONNX or TensorRT engine) on a labelled dataset, through the real SDK path.

Predictions go through :class:`~schemseg_sdk.Segmenter`, so sheets larger than the model input are
tiled (and symbols grouped) exactly as in production; the accuracy gate, ``schemseg eval`` and the
benchmark use this. :func:`evaluate_model` gives pixel scores; :func:`evaluate_dataset` adds the
symbol-level scores (:mod:`~schemseg_sdk.symbol_metrics`) where the dataset has ``boxes/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .backends.onnxruntime import Device
from .dataset import SegmentationDataset
from .instances import GroupingSettings
from .metrics import ConfusionMatrix, SegmentationScores
from .segmenter import Segmenter
from .sheet_scale import ScaleChoice
from .symbol_metrics import SymbolMatcher, SymbolScores

__all__ = ["evaluate_model", "evaluate_dataset", "Evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """Pixel scores and, where the dataset records its symbols' boxes, symbol-level scores."""

    pixels: SegmentationScores
    symbols: SymbolScores | None
    grouped: bool

    def to_dict(self) -> dict[str, object]:
        return {
            **self.pixels.to_dict(),
            "grouped": self.grouped,
            "symbols": None if self.symbols is None else self.symbols.to_dict(),
        }

    def table(self) -> str:
        """The pixel table, then the symbol table (or why there is none)."""
        if self.symbols is None:
            return self.pixels.table() + "\nsymbols: not scored (the dataset has no boxes/)"
        return f"{self.pixels.table()}\n\nsymbols (boxes matched at IoU >= {self.symbols.match_iou}):\n{self.symbols.table()}"


def evaluate_model(
    model: str | os.PathLike[str] | Segmenter,
    data: SegmentationDataset | str | os.PathLike[str],
    *,
    batch_size: int = 4,
    threads: int | None = None,
    limit: int | None = None,
    progress: bool = True,
    device: Device = "auto",
    grouping: GroupingSettings | None = GroupingSettings(),
    scale: ScaleChoice = "auto",
) -> SegmentationScores:
    """Return per-class IoU, mean IoU and pixel accuracy of ``model`` on ``data``.

    Args:
        model: a model path (``.onnx``, ``.engine``/``.plan``) or an open :class:`Segmenter`
            (left open; a path is opened and closed here).
        data: a :class:`SegmentationDataset` or its folder (``images/`` + ``masks/``).
        batch_size, threads, device, grouping, scale: passed to :class:`Segmenter` when ``model`` is a path
            (``grouping=None`` scores the model's own masks, as the accuracy gate does).
        limit: score only the first ``limit`` sheets.
        progress: show a tqdm bar on stderr.

    Raises:
        DatasetError: missing/mismatched masks or unreadable images in ``data``, or a dataset whose
            class list differs from the model's.
        ModelFormatError, BackendUnavailableError, InferenceError: from the model.

    >>> scores = evaluate_model("model.onnx", "data/val", limit=20)  # doctest: +SKIP
    >>> print(scores.table())  # doctest: +SKIP
    """
    dataset, count = _open(data, limit)
    if isinstance(model, Segmenter):
        return _score(model, dataset, count, progress, symbols=False).pixels
    with Segmenter(
        model, device=device, batch_size=batch_size, threads=threads, grouping=grouping, scale=scale
    ) as segmenter:
        return _score(segmenter, dataset, count, progress, symbols=False).pixels


def evaluate_dataset(
    segmenter: Segmenter,
    data: SegmentationDataset | str | os.PathLike[str],
    *,
    limit: int | None = None,
    progress: bool = True,
) -> Evaluation:
    """Pixel scores and symbol-level scores (per-class precision, recall, F1, count error) of an open Segmenter.

    Symbols are scored when ``data`` has ``boxes/``; the Segmenter's own ``grouping`` decides what a
    symbol is. Arguments otherwise as for :func:`evaluate_model`.

    >>> with Segmenter("model.onnx") as seg:  # doctest: +SKIP
    ...     print(evaluate_dataset(seg, "data/val").symbols.mean_f1)
    """
    dataset, count = _open(data, limit)
    return _score(segmenter, dataset, count, progress, symbols=dataset.has_boxes)


def _open(data: SegmentationDataset | str | os.PathLike[str], limit: int | None) -> tuple[SegmentationDataset, int]:
    dataset = data if isinstance(data, SegmentationDataset) else SegmentationDataset(data)
    return dataset, len(dataset) if limit is None else max(0, min(limit, len(dataset)))


def _score(segmenter: Segmenter, dataset: SegmentationDataset, count: int, progress: bool, symbols: bool) -> Evaluation:
    names = segmenter.class_names
    dataset.require_classes(names, f"model {segmenter.model_path.name}")
    matrix = ConfusionMatrix(len(names), names)
    matcher = SymbolMatcher(names) if symbols else None
    images = _images(dataset, count)
    # grouping votes with the confidence: without it the grouped masks would differ from production's
    results = segmenter.predict_stream(images, with_confidence=segmenter.grouping is not None)
    bar = tqdm(total=count, desc="evaluate", unit="sheet", disable=not progress, leave=False)
    with bar:
        for index, result in enumerate(results):
            target = dataset.read_mask(index, result.mask.shape)
            matrix.update(result.mask, target)
            if matcher is not None:
                matcher.update([(s.class_id, s.bbox) for s in result.symbols], dataset.read_boxes(index))
            bar.update(1)
    return Evaluation(matrix.scores(), None if matcher is None else matcher.scores(), segmenter.grouping is not None)


def _images(dataset: SegmentationDataset, count: int) -> Iterator[np.ndarray]:
    for index in range(count):
        yield dataset.read_image(index)
