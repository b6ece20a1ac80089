"""The sheet's own scale: measuring it, choosing the zoom, and results mapped back to the sheet's pixels."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from schemseg_sdk import Segmenter, sheet_scale
from schemseg_sdk.cli import main
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.imageio import read_image
from schemseg_sdk.sheet_scale import (
    BIG_SHEET_PIXELS,
    MODEL_SCALE,
    ScaleMeasure,
    check_scale,
    choose_zoom,
    measure_scale,
    pixels_to_sheet,
    resolve_scale,
    symbols_to_sheet,
)
from schemseg_sdk.symbols import Symbol

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk" / "schemseg_sdk" / "examples"
BAD_SCALES = (0, -1.0, float("nan"), float("inf"), 100.0, 0.001, True, "big", None)


def _drawing(unit: int, width: int = 1, text: bool = True) -> np.ndarray:
    """Lines ``width`` px thick and rows of tags ``unit`` px tall, drawn in code (white paper, black ink)."""
    sheet = np.full((40 * unit, 60 * unit), 255, np.uint8)
    for row in range(4, 40, 6):
        sheet[row * unit : row * unit + width, unit : 59 * unit] = 0
        if text:
            for col in range(2, 50, 12):
                cv2.putText(
                    sheet,
                    "FV101",
                    (col * unit, (row - 1) * unit),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    unit / 22,
                    0,
                    1,
                    cv2.LINE_AA,
                )
    return sheet


# -- measuring and choosing --------------------------------------------------------------------
def test_stroke_width_is_sub_pixel() -> None:
    for width in (1, 2, 3, 5):
        measured = measure_scale(_drawing(12, width, text=False)).stroke_px
        assert measured == pytest.approx(width, rel=0.12)
    halved = cv2.resize(_drawing(12, 3, text=False), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert measure_scale(halved).stroke_px == pytest.approx(1.5, rel=0.12)
    assert measure_scale(np.full((100, 100, 3), 255, np.uint8)) == ScaleMeasure(None, None, 0)


def test_text_height_grows_with_the_text() -> None:
    small, large = measure_scale(_drawing(12)), measure_scale(_drawing(36))
    assert small.text_px is not None and large.text_px is not None
    assert large.text_px / small.text_px == pytest.approx(3.0, rel=0.15)


def test_a_sheet_over_the_measure_budget_is_measured_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Big text at the top, small text below: a big sheet is measured over all of it, not its first rows."""
    monkeypatch.setattr(sheet_scale, "_MEASURE_PIXELS", 1_000_000)
    small_text = np.tile(_drawing(12), (4, 2))  # 1920 x 1440, 960 tags' characters
    sheet = np.vstack([_drawing(24), small_text])  # 2880 x 1440 = 4.1 Mpx, over the budget
    whole, alone = measure_scale(sheet), measure_scale(_drawing(12))
    assert whole.text_px is not None and alone.text_px is not None
    assert whole.text_px == pytest.approx(alone.text_px, rel=0.15)


def test_choose_zoom_leaves_sheets_inside_the_band_alone() -> None:
    inside = ScaleMeasure(2.0, 12.0, 40)
    assert choose_zoom(inside, 600 * 600).zoom == 1.0
    assert choose_zoom(ScaleMeasure(2.0, None, 0), 600 * 600).zoom == 1.0
    assert choose_zoom(ScaleMeasure(None, None, 0), 600 * 600).zoom == 1.0


def test_choose_zoom_brings_big_drawing_back_to_the_reference() -> None:
    scale = choose_zoom(ScaleMeasure(9.0, 3 * MODEL_SCALE.text_ref, 200), 1800 * 1800)
    assert scale.zoom == pytest.approx(1 / 3, abs=0.01) and "outside" in scale.reason
    thick_only = choose_zoom(ScaleMeasure(4 * MODEL_SCALE.stroke_ref, None, 0), 600 * 600)
    assert thick_only.zoom == pytest.approx(0.25, abs=0.01)
    tiny = choose_zoom(ScaleMeasure(0.5, MODEL_SCALE.text_ref / 4, 50), 600 * 600)
    assert tiny.zoom > 1


def test_a_big_sheet_inside_the_band_is_shrunk_to_the_reference_only() -> None:
    text = MODEL_SCALE.text_ref * 1.5
    assert choose_zoom(ScaleMeasure(3.0, text, 300), 600 * 600).zoom == 1.0
    big = choose_zoom(ScaleMeasure(3.0, text, 300), BIG_SHEET_PIXELS + 1)
    assert big.zoom == pytest.approx(1 / 1.5, abs=0.01) and "big sheet" in big.reason
    small_text = choose_zoom(ScaleMeasure(2.0, MODEL_SCALE.text_ref * 0.8, 300), BIG_SHEET_PIXELS + 1)
    assert small_text.zoom == 1.0  # never enlarged for speed


@pytest.mark.parametrize("bad", BAD_SCALES)
def test_bad_scales_are_refused_with_a_fix(bad: object) -> None:
    with pytest.raises(InvalidInputError, match=r"scale must be 'auto' or a zoom factor.*use 'auto'"):
        check_scale(bad)


def test_fixed_scales_are_used_as_given() -> None:
    scale = resolve_scale(np.zeros((10, 10), np.uint8), 0.5)
    assert (scale.zoom, scale.mode, scale.stroke_px) == (0.5, "fixed", None)


# -- mapping back to the sheet -----------------------------------------------------------------
def test_pixels_and_boxes_go_back_to_the_sheet_grid() -> None:
    mask = np.zeros((10, 20), np.uint8)
    mask[2:4, 5:10] = 3
    back = pixels_to_sheet(mask, 30, 60)
    assert back.shape == (30, 60) and np.array_equal(np.argwhere(back == 3).min(axis=0), [6, 15])
    half = pixels_to_sheet(np.full((10, 20), 0.5, np.float16), 21, 41)
    assert half.dtype == np.float16 and half.shape == (21, 41) and float(half[20, 40]) == 0.5
    symbol = Symbol(3, "x", (5, 2, 10, 4), 10, 0.9)
    moved = symbols_to_sheet([symbol], 1 / 3, 30, 60)[0]
    assert moved.bbox == (15, 6, 30, 12) and moved.area == 90 and moved.confidence == 0.9
    edge = symbols_to_sheet([Symbol(1, "x", (18, 8, 20, 10), 4, None)], 0.34, 29, 58)[0]
    assert edge.bbox[2] <= 58 and edge.bbox[3] <= 29


# -- the Segmenter -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_auto(tiny_model: Path) -> Iterator[Segmenter]:
    with Segmenter(tiny_model, device="cpu") as segmenter:
        yield segmenter


def test_results_stay_in_the_sheet_pixels_when_resampled(tiny_model: Path) -> None:
    sheet = cv2.cvtColor(_drawing(20, 8, text=False), cv2.COLOR_GRAY2BGR)  # strokes above the band: shrunk
    with Segmenter(tiny_model, device="cpu", grouping=None) as seg:
        result = seg.predict(sheet)
    assert result.scale is not None and result.scale["mode"] == "auto" and float(result.scale["zoom"]) < 0.8  # type: ignore[arg-type]
    assert result.mask.shape == sheet.shape[:2] and result.image is not None and result.image.shape == sheet.shape
    assert result.confidence is not None and result.confidence.shape == sheet.shape[:2]
    for symbol in result.symbols:
        x0, y0, x1, y1 = symbol.bbox
        assert 0 <= x0 < x1 <= sheet.shape[1] and 0 <= y0 < y1 <= sheet.shape[0]
    payload = json.loads(result.to_json())
    assert payload["scale"]["zoom"] == result.scale["zoom"] and payload["width"] == sheet.shape[1]


def test_model_scale_sheets_are_read_as_they_are(tiny_auto: Segmenter, ci2n_dir: Path) -> None:
    for name in ("0.png", "1.png", "10.png", "100.png", "101.png"):
        result = tiny_auto.predict(ci2n_dir / name)
        assert result.scale is not None and result.scale["zoom"] == 1.0, (name, result.scale)


def test_the_override_is_used_and_recorded(tiny_model: Path) -> None:
    sheet = read_image(EXAMPLES / "circuit_bias.png")
    with Segmenter(tiny_model, device="cpu", scale=0.5) as seg:
        half = seg.predict(sheet)
    with Segmenter(tiny_model, device="cpu", scale=1) as seg:
        whole = seg.predict(sheet)
    assert half.scale == {
        "zoom": 0.5,
        "mode": "fixed",
        "reason": "zoom 0.5 given by the caller",
        "stroke_px": None,
        "text_px": None,
    }
    assert half.mask.shape == whole.mask.shape == sheet.shape[:2]
    model_tiles = math.ceil((300 - 8) / (64 - 8)) ** 2  # 600 px at 0.5 on the 64-px tiny model
    assert half.tiles == model_tiles and whole.tiles > half.tiles


@pytest.mark.parametrize("bad", BAD_SCALES)
def test_segmenter_refuses_bad_scales(tiny_model: Path, bad: object) -> None:
    with pytest.raises(InvalidInputError, match="scale must be"):
        Segmenter(tiny_model, device="cpu", scale=bad)  # type: ignore[arg-type]


def test_cli_scale_option(tiny_model: Path, tmp_path: Path) -> None:
    sheet = EXAMPLES / "circuit_bias.png"
    bad = CliRunner().invoke(main, ["segment", str(sheet), "--model", str(tiny_model), "--scale", "0"])
    assert bad.exit_code == 2 and "--scale 0: scale must be 'auto' or a zoom factor" in bad.output
    word = CliRunner().invoke(main, ["segment", str(sheet), "--model", str(tiny_model), "--scale", "big"])
    assert word.exit_code == 2 and "expected 'auto' or a number, got 'big'" in word.output
    ok = CliRunner().invoke(
        main,
        ["segment", str(sheet), "--model", str(tiny_model), "--scale", "0.5", "--out", str(tmp_path), "--no-overlay"],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads((tmp_path / "circuit_bias.json").read_text())["scale"]["zoom"] == 0.5
    again = CliRunner().invoke(
        main, ["segment", str(sheet), "--model", str(tiny_model), "--out", str(tmp_path), "--no-overlay"]
    )
    assert again.exit_code == 0 and "skipped" not in again.output  # another scale: the sheet is redone


def test_a_symbol_drawn_at_3x_is_found_at_its_3x_position() -> None:
    """The bundled model on an example sheet, and on the same sheet enlarged 3x read with ``scale="auto"``."""
    sheet = read_image(EXAMPLES / "pid_process_line.png")  # text 14 px, near the model's reference 13
    enlarged = cv2.resize(sheet, None, fx=3, fy=3, interpolation=cv2.INTER_LINEAR)
    with Segmenter(device="cpu", threads=2) as seg:
        original, big = seg.predict(sheet), seg.predict(enlarged)
    assert original.scale is not None and original.scale["zoom"] == 1.0
    assert big.scale is not None and float(big.scale["zoom"]) == pytest.approx(1 / 3, rel=0.15)  # type: ignore[arg-type]
    assert big.mask.shape == enlarged.shape[:2]
    found = 0
    for symbol in original.symbols:
        target = np.array(symbol.bbox) * 3
        best = max((_iou(target, np.array(s.bbox)) for s in big.symbols if s.class_id == symbol.class_id), default=0)
        found += best >= 0.5
    assert original.symbols and found >= 0.8 * len(original.symbols), (found, len(original.symbols))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union else 0.0
