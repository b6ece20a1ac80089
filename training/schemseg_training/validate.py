"""Validation of a PyTorch model on a dataset folder, with the same padding and tiling rules as the SDK."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.geometry import crop_to, pad_image, padded_length
from schemseg_sdk.metrics import ConfusionMatrix, SegmentationScores
from schemseg_sdk.tiling import TileStitcher, copy_tile, plan_tiles

from .model import SchemsegNet

__all__ = ["validate", "predict_ids", "WHOLE_SHEET_LIMIT"]

WHOLE_SHEET_LIMIT = 1216
"""Sheets up to this side run through the network in one piece; larger ones (whole P&ID sheets of
thousands of pixels, whose full-resolution activations would take many GB) are cut into tiles of the
model's input size and stitched by confidence, as the SDK's Segmenter does."""


@torch.no_grad()
def predict_ids(net: SchemsegNet, image: np.ndarray, device: torch.device) -> np.ndarray:
    """Class ids for one BGR sheet: pad to a multiple of 32, run, crop back (tiled above the limit)."""
    h, w = image.shape[:2]
    if max(h, w) > WHOLE_SHEET_LIMIT:
        return _predict_tiled(net, image, device)
    padded = pad_image(image, padded_length(h), padded_length(w))
    batch = torch.from_numpy(np.ascontiguousarray(padded))[None].to(device)
    use_amp = device.type == "cuda"
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
        ids = net(batch)[0]
    return crop_to(ids[0].cpu().numpy(), h, w)


@torch.no_grad()
def _predict_tiled(net: SchemsegNet, image: np.ndarray, device: torch.device) -> np.ndarray:
    plan = plan_tiles(image.shape[0], image.shape[1], net.info.input_size)
    stitcher = TileStitcher(plan, with_confidence=True)
    tile = np.empty((plan.size, plan.size, 3), np.uint8)
    use_amp = device.type == "cuda"
    for index in range(len(plan)):
        copy_tile(image, plan, index, tile)
        batch = torch.from_numpy(tile.copy())[None].to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            ids, confidence = net(batch)[:2]
        stitcher.add(index, ids[0].cpu().numpy(), confidence[0].float().cpu().numpy())
    return stitcher.result()[0]


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
