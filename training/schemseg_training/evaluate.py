"""``schemseg eval``: score a checkpoint or an exported model on a dataset folder.

Both go through :class:`~schemseg_sdk.Segmenter` (same padding, tiling and symbol grouping), so a
checkpoint and its ONNX export are scored identically.
"""

from __future__ import annotations

from pathlib import Path

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.evaluate import Evaluation, evaluate_dataset
from schemseg_sdk.instances import GroupingSettings
from schemseg_sdk.segmenter import Segmenter
from schemseg_sdk.sheet_scale import ScaleChoice
from schemseg_sdk.symbol_classifier import ClassifierChoice

__all__ = ["evaluate_path"]


def evaluate_path(
    model: str | Path,
    data: str | Path,
    limit: int | None = None,
    threads: int | None = None,
    progress: bool = True,
    grouping: GroupingSettings | None = GroupingSettings(),
    scale: ScaleChoice = "auto",
    classifier: ClassifierChoice = "auto",
) -> Evaluation:
    """Pixel and symbol scores of ``model`` (``.pt`` checkpoint, ``.onnx`` or engine) on the dataset at ``data``.

    ``scale`` is the Segmenter's (``"auto"``, or a zoom for every sheet); masks and boxes are
    scored in the sheets' own pixels either way. ``classifier`` is the Segmenter's: ``"auto"`` uses a
    classifier (``NAME.classifier.onnx`` beside the model, else the bundled one) only for the model it
    was trained for, so a candidate checkpoint is scored with the model's own votes unless a classifier
    file is given.
    """
    dataset = SegmentationDataset(data)
    suffix = Path(model).suffix.lower()
    if suffix in (".pt", ".pth"):
        from .torch_backend import TorchBackend

        backend = TorchBackend.from_checkpoint(model, threads=threads)
        with Segmenter.from_backend(
            backend, name=str(model), grouping=grouping, scale=scale, classifier=classifier
        ) as seg:
            return evaluate_dataset(seg, dataset, limit=limit, progress=progress)
    if suffix in (".onnx", ".engine", ".plan"):
        with Segmenter(model, threads=threads, grouping=grouping, scale=scale, classifier=classifier) as seg:
            return evaluate_dataset(seg, dataset, limit=limit, progress=progress)
    raise InvalidInputError(f"{model}: expected a checkpoint (.pt), an .onnx model or an engine, got '{suffix}'")
