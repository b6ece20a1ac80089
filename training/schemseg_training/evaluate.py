"""``schemseg eval``: score a checkpoint or an exported model on a dataset folder.

Both go through :class:`~schemseg_sdk.Segmenter` (same padding and tiling), so a checkpoint and
its ONNX export are scored identically.
"""
from __future__ import annotations

from pathlib import Path

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.evaluate import evaluate_model
from schemseg_sdk.metrics import SegmentationScores
from schemseg_sdk.segmenter import Segmenter

__all__ = ["evaluate_path"]


def evaluate_path(
    model: str | Path, data: str | Path, limit: int | None = None, threads: int | None = None, progress: bool = True
) -> SegmentationScores:
    """Per-class IoU of ``model`` (``.pt`` checkpoint, ``.onnx`` or engine) on the dataset at ``data``."""
    dataset = SegmentationDataset(data)
    suffix = Path(model).suffix.lower()
    if suffix in (".pt", ".pth"):
        from .torch_backend import TorchBackend

        with Segmenter.from_backend(TorchBackend.from_checkpoint(model, threads=threads), name=str(model)) as seg:
            return evaluate_model(seg, dataset, limit=limit, progress=progress)
    if suffix in (".onnx", ".engine", ".plan"):
        return evaluate_model(model, dataset, threads=threads, limit=limit, progress=progress)
    raise InvalidInputError(f"{model}: expected a checkpoint (.pt), an .onnx model or an engine, got '{suffix}'")
