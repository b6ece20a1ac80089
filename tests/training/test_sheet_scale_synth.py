"""The sheet-scale estimator on generator sheets: known zooms are recovered, training-scale sheets left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from schemseg_sdk.sheet_scale import MODEL_SCALE, measure_scale, resample, resolve_scale
from schemseg_training.synth import render_sheet

# seeds whose sheets carry both text and lines (0: 1-px pen, 8: thick pen), so both measures are tested
SEEDS = (0, 8)
ZOOMS = (0.5, 2.0, 3.0)


def _zoomed(image: np.ndarray, zoom: float) -> np.ndarray:
    interpolation = cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=interpolation)


@pytest.mark.parametrize("seed", SEEDS)
def test_stroke_and_text_follow_a_known_zoom(seed: int) -> None:
    sheet = render_sheet(seed).image
    base = measure_scale(sheet)
    assert base.stroke_px is not None and base.text_px is not None
    for zoom in ZOOMS:
        measured = measure_scale(_zoomed(sheet, zoom))
        assert measured.stroke_px is not None
        assert measured.stroke_px / base.stroke_px == pytest.approx(zoom, rel=0.15), f"stroke at zoom {zoom}"
        if measured.text_px is not None:  # at 0.5 the thinnest text may merge into blobs
            assert measured.text_px / base.text_px == pytest.approx(zoom, rel=0.15), f"text at zoom {zoom}"


@pytest.mark.parametrize("zoom", (2.0, 3.0))
def test_auto_brings_an_enlarged_sheet_back_into_the_band(zoom: int) -> None:
    enlarged = _zoomed(render_sheet(8).image, zoom)
    scale = resolve_scale(enlarged, "auto")
    assert scale.zoom < 1 and "outside the model's band" in scale.reason
    back = measure_scale(resample(enlarged, scale.zoom))
    assert back.text_px is not None and MODEL_SCALE.text_band[0] <= back.text_px <= MODEL_SCALE.text_band[1]
    assert back.stroke_px is not None and MODEL_SCALE.stroke_band[0] <= back.stroke_px <= MODEL_SCALE.stroke_band[1]


def test_generator_sheets_are_left_alone() -> None:
    """Sheets the model was trained on (seeds the band was not measured on) read as they are."""
    zooms = [resolve_scale(render_sheet(seed).image, "auto").zoom for seed in range(1000, 1012)]
    assert zooms.count(1.0) >= 11, zooms
