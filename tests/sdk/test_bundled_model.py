"""The bundled reference model and example sheets: what `make demo` runs, end to end on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from schemseg_sdk import CLASS_NAMES, Segmenter
from schemseg_sdk.cli import main
from schemseg_sdk.segmenter import DEFAULT_MODEL

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk" / "schemseg_sdk" / "examples"


def test_bundled_model_is_the_reference_model() -> None:
    assert DEFAULT_MODEL.is_file(), f"bundled model missing: {DEFAULT_MODEL}"
    assert DEFAULT_MODEL.stat().st_size <= 30 * 1024 * 1024
    with Segmenter(device="cpu") as seg:
        assert seg.class_names == CLASS_NAMES
        assert seg.input_size == 608
        assert seg.info.model_name == "attention_unetpp_lite0"


def test_bundled_model_segments_an_example_sheet() -> None:
    with Segmenter(device="cpu", threads=2) as seg:
        result = seg.predict(EXAMPLES / "circuit_dense.png")
    ink = result.image.min(axis=2) < 128
    assert result.mask.shape == (600, 600) and result.symbols
    # symbols are found on the drawing's ink, not on blank paper
    assert (result.mask[ink] > 0).mean() > 5 * max((result.mask[~ink] > 0).mean(), 1e-6)


def test_segment_cli_on_an_example(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["segment", str(EXAMPLES / "circuit_bias.png"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "circuit_bias.json").read_text())
    assert payload["schema"] == "schemseg.segmentation/1" and payload["width"] == 600
    assert (tmp_path / "circuit_bias.overlay.png").stat().st_size > 0
    assert np.isfinite(payload["timings"]["total"])
