"""evaluate_model / evaluate_dataset: scores through the real Segmenter path (tiling, grouping) on a real dataset folder."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from schemseg_sdk import DatasetError, Segmenter, evaluate_model
from schemseg_sdk.boxes import write_boxes
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.evaluate import evaluate_dataset


@pytest.fixture(scope="module")
def dataset(ci2n_dir: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three real drawings (one tiled) whose masks and boxes are the tiny model's own answer, one pixel off."""
    root = tmp_path_factory.mktemp("dataset")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    with Segmenter(tiny_model) as seg:
        for name, (h, w) in (("1.png", (60, 50)), ("10.png", (130, 90)), ("101.png", (64, 64))):
            image = cv2.imread(str(ci2n_dir / name))[:h, :w]
            cv2.imwrite(str(root / "images" / name), image)
            result = seg.predict(image)
            mask = result.mask
            mask[0, 0] = 255  # ignored pixel
            cv2.imwrite(str(root / "masks" / name), mask)
            write_boxes(root / "boxes" / f"{Path(name).stem}.json", [(s.class_id, s.bbox) for s in result.symbols])
    return root


def test_perfect_masks_score_one(dataset: Path, tiny_model: Path) -> None:
    scores = evaluate_model(tiny_model, dataset, batch_size=2, progress=False)
    assert scores.pixel_accuracy == 1.0 and scores.mean_iou == 1.0
    assert scores.class_names[0] == "background"


def test_symbols_found_as_recorded_score_one(dataset: Path, tiny_model: Path) -> None:
    with Segmenter(tiny_model) as seg:
        evaluation = evaluate_dataset(seg, dataset, progress=False)
    assert evaluation.grouped and evaluation.pixels.mean_iou == 1.0
    assert evaluation.symbols is not None and evaluation.symbols.mean_f1 == 1.0
    for row in evaluation.symbols.classes:
        assert (row.precision, row.recall, row.count_error) == (1.0, 1.0, 0.0)
    data = evaluation.to_dict()
    assert data["symbols"]["mean_f1"] == 1.0 and data["mean_iou"] == 1.0
    assert "symbols (boxes matched at IoU >= 0.5):" in evaluation.table()


def test_missing_and_extra_symbols_count(dataset: Path, tiny_model: Path, tmp_path: Path) -> None:
    for folder in ("images", "masks", "boxes"):
        (tmp_path / folder).mkdir()
        for file in (dataset / folder).iterdir():
            (tmp_path / folder / file.name).write_bytes(file.read_bytes())
    truth = SegmentationDataset(tmp_path)
    index = next(i for i in range(len(truth)) if truth.read_boxes(i).symbols)
    symbols = list(truth.read_boxes(index).symbols)
    write_boxes(truth.boxes_path(index), symbols[1:] + [(symbols[0][0], (0, 0, 1, 1))])  # one moved away
    with Segmenter(tiny_model) as seg:
        rows = evaluate_dataset(seg, tmp_path, progress=False).symbols
    assert rows is not None
    row = rows.by_name()[truth.class_names[symbols[0][0]]]
    assert row.matched == row.true_count - 1 == row.predicted - 1
    assert row.precision < 1.0 and row.recall < 1.0 and row.count_error == 0.0


def test_without_boxes_only_pixels_are_scored(dataset: Path, tiny_model: Path, tmp_path: Path) -> None:
    for folder in ("images", "masks"):
        (tmp_path / folder).mkdir()
        for file in (dataset / folder).iterdir():
            (tmp_path / folder / file.name).write_bytes(file.read_bytes())
    with Segmenter(tiny_model, grouping=None) as seg:
        evaluation = evaluate_dataset(seg, tmp_path, progress=False)
    assert evaluation.symbols is None and not evaluation.grouped
    assert evaluation.table().endswith("symbols: not scored (the dataset has no boxes/)")


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
