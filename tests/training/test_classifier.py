"""The symbol classifier's training: instances from real predictions, labels from boxes, export, use in the SDK."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training tests need the 'train' extra (torch)")

from click.testing import CliRunner  # noqa: E402

from schemseg_sdk import Segmenter  # noqa: E402
from schemseg_sdk.cli import main  # noqa: E402
from schemseg_sdk.dataset import SegmentationDataset  # noqa: E402
from schemseg_sdk.instances import GroupingSettings, InstanceTable  # noqa: E402
from schemseg_sdk.symbol_classifier import SymbolClassifier  # noqa: E402
from schemseg_training.classifier_data import (  # noqa: E402
    _union_of_groupings,
    cached_prediction,
    collect_instances,
    holds_several,
    image_digest,
    label_instances,
)
from schemseg_training.classifier_train import class_weights  # noqa: E402
from schemseg_training.synth import write_dataset  # noqa: E402


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    write_dataset(root, count=3, seed=5, size=200, progress=False)
    return root


def test_instances_pair_one_to_one_with_true_symbols_whatever_their_class() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [20, 20, 30, 30], [40, 40, 44, 44]])
    truth = [(3, (0, 0, 10, 10)), (7, (21, 21, 30, 31)), (5, (60, 60, 70, 70))]
    # the duplicate of the first symbol and the stray box are "no symbol" (0)
    assert label_instances(boxes, truth).tolist() == [3, 0, 7, 0]


def test_an_instance_holding_two_symbols_of_one_class_is_no_symbol() -> None:
    # two orifice plates on one pipe joined into one instance: IoU 0.45 with each, paired with neither;
    # a big symbol with a small one of another class inside, or with a small pair of one class, still pairs
    truth = [
        (35, (0, 0, 20, 10)),
        (35, (24, 0, 44, 10)),
        (19, (100, 0, 160, 60)),
        (11, (110, 10, 114, 14)),
        (9, (200, 0, 260, 60)),
        (11, (210, 10, 214, 14)),
        (11, (220, 10, 224, 14)),
    ]
    boxes = np.array([[0, 0, 44, 10], [100, 0, 160, 60], [200, 0, 260, 60]])
    assert holds_several(boxes, truth).tolist() == [True, False, False]
    assert label_instances(boxes, truth).tolist() == [0, 19, 9]
    assert label_instances(boxes[:1], truth[:1]).tolist() == [35]  # the same box holding only one


def test_collect_instances_caches_the_predictions(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    with Segmenter(tiny_model, device="cpu", grouping=None) as segmenter:
        first = collect_instances(sheets, segmenter, tmp_path / "cache")
        assert len(list((tmp_path / "cache").glob("*.npz"))) == 3
        again = collect_instances(sheets, segmenter, tmp_path / "cache")
        positives = collect_instances(sheets, segmenter, tmp_path / "cache", negatives="none")
        with pytest.raises(ValueError, match="expected one of"):
            collect_instances(sheets, segmenter, tmp_path / "cache", negatives="some")
    assert len(first.labels) > 0 and first.crops.shape[1:] == (64, 64)
    assert first.features.shape == (len(first.labels), 3 + len(segmenter.class_names))
    np.testing.assert_array_equal(first.labels, again.labels)
    assert (positives.labels > 0).all() and len(positives.labels) == int((first.labels > 0).sum())


def test_symbols_only_datasets_keep_unpaired_instances_unless_the_model_calls_them_text(
    sheets: Path, tmp_path: Path
) -> None:
    # a synthetic dataset whose text boxes are dropped reads like a real drawing: symbols boxed, labels not
    real = tmp_path / "real"
    shutil.copytree(sheets, real)
    for path in (real / "boxes").glob("*.json"):
        payload = json.loads(path.read_text())
        payload["boxes"] = [box for box in payload["boxes"] if box["class_name"] != "designation"]
        path.write_text(json.dumps(payload))
    with Segmenter(None, device="cpu", grouping=None) as segmenter:  # the bundled model: it paints the labels
        every = collect_instances(real, segmenter, tmp_path / "cache")
        non_text = collect_instances(real, segmenter, tmp_path / "cache", negatives="non_text")
        text = segmenter.class_names.index("designation")
    kept = (every.labels > 0) | (every.predicted != text)
    assert (every.labels[~kept] == 0).sum() >= 3  # the sheets' labels, unpaired now, are left out
    assert (non_text.labels == 0).sum() >= 3  # other unpaired ink stays "no symbol"
    np.testing.assert_array_equal(non_text.labels, every.labels[kept])
    np.testing.assert_array_equal(non_text.predicted, every.predicted[kept])


def test_collect_instances_groups_with_the_given_settings(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    with Segmenter(tiny_model, device="cpu", grouping=None) as segmenter:
        default = collect_instances(sheets, segmenter, tmp_path / "cache")
        none = collect_instances(sheets, segmenter, tmp_path / "cache", settings=GroupingSettings(min_area=1e6))
    assert len(default.labels) > 0 and len(none.labels) == 0 and none.crops.shape[1:] == (64, 64)
    with Segmenter(tiny_model, device="cpu", grouping=None) as segmenter:
        twice = collect_instances(sheets, segmenter, tmp_path / "cache", settings=[GroupingSettings()] * 2)
        either = collect_instances(
            sheets, segmenter, tmp_path / "cache", settings=[GroupingSettings(min_area=1e6), GroupingSettings()]
        )
    for union in (twice, either):  # the instances of each grouping, each box once
        np.testing.assert_array_equal(union.labels, default.labels)
        np.testing.assert_array_equal(union.crops, default.crops)


def test_instances_of_several_groupings_are_each_box_once() -> None:
    def table(boxes: list[list[int]], classes: list[int]) -> InstanceTable:
        return InstanceTable(np.array(boxes), np.full(len(boxes), 10), np.eye(4)[classes], np.array(classes), 2.0)

    apart = table([[0, 0, 10, 10], [12, 0, 22, 10], [40, 40, 50, 50]], [1, 1, 2])
    joined = table([[0, 0, 22, 10], [40, 40, 50, 50]], [1, 3])
    union = _union_of_groupings(
        [
            apart,
            joined,
            InstanceTable(
                np.zeros((0, 4), np.int64), np.zeros(0, np.int64), np.zeros((0, 1)), np.zeros(0, np.int64), 2.0
            ),
        ]
    )
    assert union.boxes.tolist() == [[0, 0, 10, 10], [12, 0, 22, 10], [40, 40, 50, 50], [0, 0, 22, 10]]
    assert union.classes.tolist() == [1, 1, 2, 1] and union.votes.shape == (4, 4)  # a box both find: the first's


def test_train_classifier_cli_writes_a_classifier_the_segmenter_uses(
    sheets: Path, tiny_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "classifier.onnx"
    result = CliRunner().invoke(
        main,
        [
            "train-classifier",
            "--data",
            str(sheets),
            "--symbols-only",
            str(sheets),
            "--val",
            str(sheets),
            "--model",
            str(tiny_model),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--predictions",
            str(tmp_path / "cache"),
            "--threads",
            "2",
            "--merge-gap",
            "3",
            "--merge-gap",
            "5",
            "--class-balance",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "epoch 1/1" in result.output and "val accuracy" in result.output
    with SymbolClassifier(out) as classifier:
        assert classifier.segmentation_model == "tiny_test_model test"
        assert classifier.trained_on.count("synth") == 2 and "not symbols)" in classifier.trained_on
    with Segmenter(tiny_model, device="cpu", classifier=out) as segmenter:
        sheet = segmenter.predict(sheets / "images" / "00000.png")
    assert sheet.grouping is not None and sheet.grouping["classifier"]["file"] == "classifier.onnx"
    assert all(s.confidence is not None and 0 <= s.confidence <= 1 for s in sheet.symbols)


def test_class_weights_lift_rare_classes_and_keep_the_mean_weight_one() -> None:
    labels = np.array([0] * 90 + [1] * 9 + [3])  # class 2 has no instance
    even = class_weights(labels, 4, 1.0).numpy()
    counts = np.bincount(labels, minlength=4)
    assert even[2] == 0 and np.allclose((even * counts)[[0, 1, 3]], (even * counts)[0])  # each class weighs alike
    assert np.isclose((even * counts).sum(), len(labels))  # the instances' mean weight stays 1
    half = class_weights(labels, 4, 0.5).numpy()
    assert half[3] > half[1] > half[0] and np.isclose((half * counts).sum(), len(labels))
    assert np.allclose(class_weights(labels, 4, 0.0).numpy()[[0, 1, 3]], 1.0)


def test_train_classifier_needs_a_dataset(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train-classifier", "--out", str(tmp_path / "c.onnx")])
    assert result.exit_code == 2 and "give at least one --data, --symbols-only or --partial dataset" in result.output


def test_cached_prediction_is_made_again_for_a_changed_image(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    image = SegmentationDataset(sheets).read_image(0)
    edited = image.copy()
    edited[:8, :8] = 0
    path = tmp_path / "cache" / "sheet.npz"
    with Segmenter(tiny_model, device="cpu", grouping=None) as segmenter:
        mask, _ = cached_prediction(segmenter, image, path)
        np.savez_compressed(path, **{**np.load(path), "mask": np.zeros_like(mask)})  # mark the cached copy
        assert not cached_prediction(segmenter, image, path)[0].any()  # the same image: the cached copy
        again, _ = cached_prediction(segmenter, edited, path)  # another image under the same name: inferred
        np.testing.assert_array_equal(again, segmenter.predict(edited).mask)
    assert str(np.load(path)["image_sha1"]) == image_digest(edited)


def test_a_torn_cached_prediction_is_made_again(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    image = SegmentationDataset(sheets).read_image(0)
    path = tmp_path / "cache" / "sheet.npz"
    path.parent.mkdir()
    path.write_bytes(b"PK\x03\x04 a run killed while writing")
    with Segmenter(tiny_model, device="cpu", grouping=None) as segmenter:
        mask, _ = cached_prediction(segmenter, image, path)
        np.testing.assert_array_equal(mask, segmenter.predict(image).mask)
    assert str(np.load(path)["image_sha1"]) == image_digest(image)
    assert [p.name for p in path.parent.iterdir()] == ["sheet.npz"]  # written beside, then renamed into place
