"""Validation of a PyTorch model on a dataset folder, with the same padding rule as the SDK."""
from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.geometry import crop_to, pad_image, padded_length
from schemseg_sdk.metrics import ConfusionMatrix, SegmentationScores

from .model import SchemsegNet

__all__ = ["validate", "predict_ids"]


@torch.no_grad()
def predict_ids(net: SchemsegNet, image: np.ndarray, device: torch.device) -> np.ndarray:
    """Class ids for one BGR sheet: pad to a multiple of 32, run, crop back."""
    h, w = image.shape[:2]
    padded = pad_image(image, padded_length(h), padded_length(w))
    batch = torch.from_numpy(np.ascontiguousarray(padded))[None].to(device)
    use_amp = device.type == "cuda"
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
        ids = net(batch)[0]
    return crop_to(ids[0].cpu().numpy(), h, w)


def validate(
    net: SchemsegNet, data: SegmentationDataset, device: torch.device, limit: int | None = None, progress: bool = True
) -> SegmentationScores:
    """Per-class IoU over the dataset (summed intersections and unions), background excluded from the mean."""
    was_training = net.training
    net.eval()
    names = net.info.class_names
    matrix = ConfusionMatrix(len(names), names)
    count = len(data) if limit is None else min(limit, len(data))
    for index in tqdm(range(count), desc="validate", disable=not progress, unit="sheet", leave=False):
        image, mask = data[index]
        matrix.update(predict_ids(net, image, device), mask)
    net.train(was_training)
    return matrix.scores()
