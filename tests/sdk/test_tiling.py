"""Tiling: tile layout, stitching, and tiled runs agreeing with whole-sheet runs of the same weights."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_model import build_tiny_model

from schemseg_sdk import Segmenter
from schemseg_sdk.tiling import TileStitcher, plan_tiles, tile_positions


@given(length=st.integers(1, 5000), size=st.sampled_from([64, 160, 608]))
@settings(max_examples=200, deadline=None)
def test_tiles_cover_the_axis_with_the_overlap_and_end_flush(length: int, size: int) -> None:
    overlap = round(size / 8)
    positions = tile_positions(length, size, overlap)
    assert positions[0] == 0
    if length <= size:
        assert positions == (0,)
        return
    assert positions[-1] == length - size
    gaps = np.diff(positions)
    assert (gaps > 0).all() and (size - gaps >= overlap).all()
    assert len(positions) == int(np.ceil((length - overlap) / (size - overlap)))


def test_plan_of_a_big_scan_and_of_a_sheet_that_fits() -> None:
    assert len(plan_tiles(600, 600, 608)) == 1
    big = plan_tiles(7000, 10000, 608)
    assert (len(big.ys), len(big.xs)) == (14, 19)
    assert big.extent(len(big) - 1) == (7000 - 608, 10000 - 608, 608, 608)


def test_centre_cores_partition_the_sheet() -> None:
    plan = plan_tiles(300, 450, 64)
    hits = np.zeros((300, 450), np.int32)
    for index in range(len(plan)):
        y0, y1, x0, x1 = plan.core(index)
        y, x, h, w = plan.extent(index)
        assert y <= y0 < y1 <= y + h and x <= x0 < x1 <= x + w
        hits[y0:y1, x0:x1] += 1
    assert (hits == 1).all()


def test_stitcher_takes_the_most_confident_tile() -> None:
    plan = plan_tiles(64, 100, 64)  # two tiles across, overlapping on columns 36..63
    stitcher = TileStitcher(plan, with_confidence=True)
    stitcher.add(1, np.full((64, 64), 2, np.uint8), np.full((64, 64), 0.9, np.float32))
    stitcher.add(0, np.full((64, 64), 1, np.uint8), np.full((64, 64), 0.5, np.float32))
    mask, confidence = stitcher.result()
    assert confidence is not None and confidence.dtype == np.float16
    left_of_second = plan.xs[1] + plan.margin
    assert (mask[:, :left_of_second] == 1).all() and (mask[:, left_of_second:] == 2).all()


def test_stitcher_result_before_all_tiles_is_an_error() -> None:
    stitcher = TileStitcher(plan_tiles(64, 100, 64), with_confidence=False)
    with pytest.raises(ValueError, match="^2 of 2 tiles still missing$"):
        stitcher.result()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The tiny model at three input sizes with one seed: the same weights at any size."""
    folder = tmp_path_factory.mktemp("tiled")
    return {size: build_tiny_model(folder / f"tiny{size}.onnx", input_size=size, seed=0) for size in (64, 160, 224)}


@pytest.mark.parametrize("with_confidence", [True, False])
def test_tiled_sheet_agrees_with_a_whole_sheet_run(
    ci2n_dir: Path, models: dict[int, Path], with_confidence: bool
) -> None:
    sheet = cv2.imread(str(ci2n_dir / "0.png"))[200:360, 300:460]  # 160 x 160
    with (
        Segmenter(models[64], device="cpu", grouping=None) as tiled,
        Segmenter(models[160], device="cpu", grouping=None) as whole,
    ):
        a = tiled.predict(sheet, with_confidence=with_confidence)
        b = whole.predict(sheet)
    assert (a.tiles, b.tiles) == (9, 1)
    agreement = float((a.mask == b.mask).mean())
    assert agreement >= 0.995, agreement
    if with_confidence:
        assert a.confidence is not None and b.confidence is not None
        np.testing.assert_allclose(a.confidence.astype(np.float32), b.confidence, atol=2e-3)


def test_odd_sized_tiled_sheet_agrees_away_from_the_padded_edge(ci2n_dir: Path, models: dict[int, Path]) -> None:
    sheet = cv2.imread(str(ci2n_dir / "1.png"))[100:250, 50:250]  # 150 x 200
    with (
        Segmenter(models[64], device="cpu", grouping=None) as tiled,
        Segmenter(models[224], device="cpu", grouping=None) as whole,
    ):
        a, b = tiled.predict(sheet), whole.predict(sheet)
    assert a.mask.shape == b.mask.shape == (150, 200)
    # The whole run sees white padding beyond the right/bottom edge; a flush edge tile does not.
    assert float((a.mask[:-2, :-2] == b.mask[:-2, :-2]).mean()) >= 0.995


def test_a_big_sheet_never_holds_full_size_logits(models: dict[int, Path]) -> None:
    height, width = 1200, 1600
    rng = np.random.default_rng(0)
    sheet = np.full((height, width, 3), 255, np.uint8)
    for _ in range(300):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        cv2.rectangle(sheet, (x, y), (x + 30, y + 20), (0, 0, 0), 2)
    with Segmenter(models[64], device="cpu", batch_size=8, grouping=None) as segmenter:
        tracemalloc.start()
        try:
            result = segmenter.predict(sheet)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert result.tiles == 22 * 29 and result.confidence is not None
    assert result.confidence.dtype == np.float16
    # mask 1 B + confidence 2 B + symbol labelling (bool + int32 labels per class box) ~ 6 B per pixel,
    # plus fixed-size strips and tile batches;
    # full-size logits would be 41 x 4 = 164 B per pixel.
    assert peak < 16 * height * width, peak / (height * width)
