"""evaluate_model: scores through the real Segmenter path (tiling included) on a real dataset folder."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from schemseg_sdk import DatasetError, Segmenter, evaluate_model
from schemseg_sdk.dataset import SegmentationDataset


@pytest.fixture(scope="module")
def dataset(ci2n_dir: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three real drawings (one tiled) whose masks are the tiny model's own answer, one pixel off."""
    root = tmp_path_factory.mktemp("dataset")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    with Segmenter(tiny_model) as seg:
        for name, (h, w) in (("1.png", (60, 50)), ("10.png", (130, 90)), ("101.png", (64, 64))):
            image = cv2.imread(str(ci2n_dir / name))[:h, :w]
            cv2.imwrite(str(root / "images" / name), image)
            mask = seg.predict(image, with_confidence=False).mask
            mask[0, 0] = 255  # ignored pixel
            cv2.imwrite(str(root / "masks" / name), mask)
    return root


def test_perfect_masks_score_one(dataset: Path, tiny_model: Path) -> None:
    scores = evaluate_model(tiny_model, dataset, batch_size=2, progress=False)
    assert scores.pixel_accuracy == 1.0 and scores.mean_iou == 1.0
    assert scores.class_names[0] == "background"


def test_segmenter_stays_open_and_limit_counts_sheets(dataset: Path, tiny_model: Path) -> None:
    with Segmenter(tiny_model) as seg:
        scores = evaluate_model(seg, SegmentationDataset(dataset), limit=1, progress=False)
        assert scores.mean_iou == 1.0
        assert seg.predict(np.full((10, 10, 3), 255, np.uint8)).mask.shape == (10, 10)


def test_wrong_masks_lower_the_score(dataset: Path, tiny_model: Path, tmp_path: Path) -> None:
    for folder in ("images", "masks"):
        (tmp_path / folder).mkdir()
        for file in (dataset / folder).iterdir():
            (tmp_path / folder / file.name).write_bytes(file.read_bytes())
    mask_path = tmp_path / "masks" / "10.png"
    mask = cv2.imread(str(mask_path), cv2.IMREAD_UNCHANGED)
    mask[:, :45] = 0
    cv2.imwrite(str(mask_path), mask)
    scores = evaluate_model(tiny_model, tmp_path, progress=False)
    assert scores.pixel_accuracy < 1.0 and not math.isnan(scores.mean_iou) and scores.mean_iou < 1.0


def test_missing_dataset_folder(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no images/ folder"):
        evaluate_model(tiny_model, tmp_path, progress=False)
