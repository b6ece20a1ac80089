"""Mixing dataset folders by weight, and training on a mix with several validation sets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training tests need the 'train' extra (torch)")

from click.testing import CliRunner  # noqa: E402
from test_training import TINY, _write_dataset  # noqa: E402

from schemseg_sdk.cli import main  # noqa: E402
from schemseg_sdk.errors import InvalidInputError  # noqa: E402
from schemseg_training.augment import AugmentConfig, augment_crop  # noqa: E402
from schemseg_training.train import parse_data_spec, parse_focus, resolve_precision  # noqa: E402
from schemseg_training.train_data import MixedSheets, SheetSource  # noqa: E402


class _Numbered(SheetSource):
    """Sheet ``i`` is a 1x1 image whose pixel holds the source's tag and ``i``."""

    def __init__(self, tag: int, count: int) -> None:
        self.tag, self.count = tag, count

    def __len__(self) -> int:
        return self.count

    def sheet(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return np.array([[[self.tag, index, 0]]], np.uint8), np.zeros((1, 1), np.uint8)


def _epoch(mix: MixedSheets, epoch: int) -> list[tuple[int, int]]:
    mix.set_epoch(epoch)
    return [tuple(int(v) for v in mix.sheet(i)[0][0, 0, :2]) for i in range(len(mix))]  # type: ignore[misc]


def test_weights_set_the_share_and_every_sheet_comes_up_equally_often() -> None:
    mix = MixedSheets([_Numbered(0, 30), _Numbered(1, 10)], [1.0, 3.0], seed=5)
    assert len(mix) == 40 and mix.slots.tolist() == [10, 30]
    seen: Counter[tuple[int, int]] = Counter()
    for epoch in range(3):
        items = _epoch(mix, epoch)
        assert Counter(tag for tag, _ in items) == {0: 10, 1: 30}
        seen.update(items)
    assert {seen[(0, i)] for i in range(30)} == {1}  # 3 epochs x 10 slots = each of 30 sheets once
    assert {seen[(1, i)] for i in range(10)} == {9}  # 3 epochs x 30 slots = each of 10 sheets 9 times
    assert _epoch(mix, 1) == _epoch(MixedSheets([_Numbered(0, 30), _Numbered(1, 10)], [1.0, 3.0], seed=5), 1)
    assert _epoch(mix, 1) != _epoch(mix, 2)


def test_data_spec_and_precision_parsing() -> None:
    assert parse_data_spec("data/real") == ("data/real", 1.0)
    assert parse_data_spec("data/real:0.5") == ("data/real", 0.5)
    assert parse_data_spec("c:/odd:name") == ("c:/odd:name", 1.0)
    with pytest.raises(InvalidInputError, match="must be a positive number"):
        parse_data_spec("data/real:0")
    assert resolve_precision("fp32", torch.device("cpu")) is None
    assert resolve_precision("bf16", torch.device("cpu")) is torch.bfloat16
    with pytest.raises(InvalidInputError, match="expected auto, fp32 or bf16"):
        resolve_precision("fp8", torch.device("cpu"))


def test_focus_centres_crops_on_a_rare_class_and_parses_class_and_share() -> None:
    mask = np.zeros((400, 400), np.uint8)
    for k in range(1, 9):  # eight common classes in big blocks, class 9 a few pixels in one corner
        mask[40 * k : 40 * k + 30, 20:380] = k
    mask[390:394, 390:394] = 9
    image = np.full((400, 400, 3), 255, np.uint8)

    def share_with_rare(config: AugmentConfig) -> float:
        crops = [augment_crop(image, mask, 96, np.random.default_rng([3, i]), config)[1] for i in range(200)]
        return float(np.mean([(crop == 9).any() for crop in crops]))

    plain = share_with_rare(AugmentConfig())
    focused = share_with_rare(AugmentConfig(focus=((9, 0.8),)))
    assert plain < 0.25 and focused > 0.6  # about 0.8 x 0.8 = 0.64 of crops centre on it, plus the plain ones
    assert share_with_rare(AugmentConfig(focus=((10, 1.0),))) == plain  # an absent class draws no number
    assert parse_focus(["crossover:0.3", "junction:1"], ("background", "junction", "crossover")) == ((2, 0.3), (1, 1.0))
    with pytest.raises(InvalidInputError, match="not a class of the training data"):
        parse_focus(["background:0.5"], ("background", "junction"))
    for bad in ("junction", "junction:0", "junction:1.5", "junction:x"):
        with pytest.raises(InvalidInputError, match="expected CLASS:SHARE"):
            parse_focus([bad], ("background", "junction"))


def test_crops_of_a_whole_large_sheet_still_find_its_rare_symbols() -> None:
    mask = np.zeros((3000, 4000), np.uint8)  # a whole sheet: far more pixels than any crop window needs
    mask[2900:2910, 3900:3910] = 7
    mask[100:110, 100:110] = 5
    image = np.full((3000, 4000, 3), 255, np.uint8)
    image[mask > 0] = 0
    crops = [
        augment_crop(image, mask, 96, np.random.default_rng([5, i]), AugmentConfig(focus=((7, 1.0),)))
        for i in range(40)
    ]
    assert all(crop.shape == (96, 96, 3) and crop_mask.shape == (96, 96) for crop, crop_mask in crops)
    assert np.mean([(crop_mask == 7).any() for _, crop_mask in crops]) > 0.6


def test_train_cli_mixes_folders_and_validates_on_each(tmp_path: Path) -> None:
    synth = _write_dataset(tmp_path / "synth", count=4, size=64)
    real = _write_dataset(tmp_path / "real", count=2, size=64)
    out = tmp_path / "run"
    args = [
        "train",
        "--data",
        f"{synth}:1",
        "--data",
        f"{real}:3",
        "--val",
        str(synth),
        "--val",
        str(real),
        "--out",
        str(out),
        "--epochs",
        "1",
        "--batch",
        "2",
        "--size",
        "64",
        "--device",
        "cpu",
        "--workers",
        "0",
        "--threads",
        "2",
        "--precision",
        "fp32",
        "--decoder-channels",
        "16,16,8,8,8",
        "--focus",
        "resistor:0.5",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["focus"] == ["resistor:0.5"]
    assert config["data"] == [f"{synth}:1", f"{real}:3"] and config["model_options"] == {
        "decoder_channels": [16, 16, 8, 8, 8]
    }
    row = json.loads((out / "metrics.json").read_text())[-1]
    assert row["step"] == 3  # 6 sheets, batch 2
    assert row["val_miou"] == pytest.approx((row["val_miou_synth"] + row["val_miou_real"]) / 2)
    assert (out / "val_synth_epoch001.json").is_file() and (out / "val_real_epoch001.json").is_file()
    assert TINY["decoder_channels"] == [16, 16, 8, 8, 8]


def test_train_cli_refuses_bad_decoder_and_missing_folder(tmp_path: Path) -> None:
    synth = _write_dataset(tmp_path / "synth", count=2, size=64)
    base = ["train", "--out", str(tmp_path / "run")]
    result = CliRunner().invoke(main, [*base, "--data", str(synth), "--decoder-channels", "16,16"])
    assert result.exit_code == 2 and "expected five positive integers" in result.output
    result = CliRunner().invoke(main, [*base, "--data", f"{tmp_path / 'nope'}:2"])
    assert result.exit_code == 2 and f"{tmp_path / 'nope'} is not a folder" in result.output
