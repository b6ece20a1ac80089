"""Validation predicts whole large sheets in tiles, as the SDK does, and agrees with a single pass."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training tests need the 'train' extra (torch)")

from test_training import TINY  # noqa: E402

from schemseg_sdk.classes import CLASS_NAMES  # noqa: E402
from schemseg_sdk.model_info import ModelInfo  # noqa: E402
from schemseg_training import validate as validation  # noqa: E402
from schemseg_training.model import SchemsegNet, create_model  # noqa: E402


def test_large_sheets_are_predicted_in_tiles_that_agree_with_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    net = SchemsegNet(create_model(num_classes=len(CLASS_NAMES), **TINY), ModelInfo(CLASS_NAMES, input_size=128)).eval()
    rng = np.random.default_rng(0)
    image = np.full((300, 420, 3), 255, np.uint8)
    for _ in range(40):  # strokes all over the sheet, so the tiny network's output varies from place to place
        x, y = int(rng.integers(0, 400)), int(rng.integers(0, 280))
        image[y : y + 3, x : x + 20] = 0
    whole = validation.predict_ids(net, image, torch.device("cpu"))
    monkeypatch.setattr(validation, "WHOLE_SHEET_LIMIT", 128)
    tiled = validation.predict_ids(net, image, torch.device("cpu"))
    assert tiled.shape == whole.shape == (300, 420)
    assert len(np.unique(whole)) > 1
    # the bottleneck self-attention sees the whole input, so an untrained net differs between a tile and a
    # whole sheet more than a plain convolutional one; most pixels still agree
    assert (tiled == whole).mean() > 0.8
