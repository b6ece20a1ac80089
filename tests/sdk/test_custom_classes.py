"""Any class list: a 4-class model through segment, overlay, symbols, JSON, eval and the int8 gate."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from engine_testdata import write_dataset, write_model

from schemseg_sdk import DatasetError, Segmenter, evaluate_model
from schemseg_sdk.cli import main
from schemseg_sdk.engine.pipeline import build_engine
from schemseg_sdk.instances import group_symbols
from schemseg_sdk.palette import class_colors
from schemseg_sdk.symbols import find_symbols

NAMES = ("background", "pump", "valve", "tank")


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny real 4-class model and a dataset labelled in its class list."""
    root = tmp_path_factory.mktemp("four")
    model = write_model(root / "four.onnx", class_names=NAMES)
    return model, write_dataset(root / "val", count=8, class_names=NAMES)


def _sheet(size: tuple[int, int] = (150, 170)) -> np.ndarray:
    """A drawing larger than the 64 px model input, so it is tiled."""
    image = np.full((*size, 3), 255, np.uint8)
    for i in range(6):
        cv2.rectangle(image, (10 + 25 * i, 20), (25 + 25 * i, 45 + 10 * i), (0, 0, 0), 2)
        cv2.circle(image, (20 + 25 * i, 110), 8, (0, 0, 0), 2)
    return image


def test_segment_symbols_and_json_follow_the_model(four: tuple[Path, Path]) -> None:
    sheet = _sheet()
    with Segmenter(four[0]) as seg, Segmenter(four[0], grouping=None) as raw_seg:
        assert seg.class_names == NAMES and raw_seg.class_names == NAMES
        result, raw = seg.predict(sheet), raw_seg.predict(sheet)
    assert result.tiles > 1 and int(result.mask.max()) < len(NAMES) and result.symbols
    assert {s.class_name for s in result.symbols} <= set(NAMES[1:])
    assert all(NAMES[s.class_id] == s.class_name for s in result.symbols)
    assert find_symbols(raw.mask, raw.confidence, NAMES) == raw.symbols  # one per region, as painted
    assert group_symbols(raw.mask, raw.confidence, sheet, NAMES).symbols == result.symbols  # grouped (default)
    data = json.loads(result.to_json())
    assert {s["class_name"] for s in data["symbols"]} == set(result.symbol_counts())


def test_overlay_legend_uses_a_colour_per_class_of_the_model(four: tuple[Path, Path]) -> None:
    with Segmenter(four[0]) as seg:
        result = seg.predict(_sheet())
    picture = result.overlay()
    height, width = result.mask.shape
    legend = picture[:, width + 1 :]
    colors = class_colors(len(NAMES))
    for class_id in np.unique(result.mask)[1:]:
        assert (legend == colors[class_id]).all(axis=2).any(), NAMES[class_id]
    assert len(np.unique(result.mask)) > 2  # more than one class is drawn and listed


def test_segment_cli_writes_the_custom_names(four: tuple[Path, Path], tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "sheet.png"), _sheet())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["segment", str(tmp_path / "sheet.png"), "--model", str(four[0]), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = {s["class_name"] for s in json.loads((out / "sheet.json").read_text())["symbols"]}
    assert names and names <= set(NAMES[1:])
    assert {line.split()[0] for line in result.stdout.splitlines()[1:-2]} == names


def test_eval_scores_the_model_classes(four: tuple[Path, Path]) -> None:
    # the labels are the model's own predictions at these 64 px drawings' pixels: read them as drawn
    scores = evaluate_model(four[0], four[1], progress=False, scale=1.0)
    assert scores.class_names == NAMES and len(scores.iou) == 4
    assert scores.mean_iou == 1.0


def test_eval_refuses_a_dataset_with_other_classes(four: tuple[Path, Path], tiny_model: Path) -> None:
    with pytest.raises(DatasetError) as info:
        evaluate_model(tiny_model, four[1], progress=False)
    message = str(info.value)
    assert message.startswith(f"{four[1]}: the dataset's 4 classes differ from the 41 of model tiny.onnx (")
    assert "(only in the dataset: 'valve', 'tank'; only in model tiny.onnx: 'resistor', " in message
    assert "and 31 more)" in message and message.endswith(
        "adapt a model to the data's classes with 'schemseg train --init'"
    )


def test_int8_gate_on_a_four_class_model(four: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = four
    lines: list[str] = []
    result = build_engine(
        model,
        "int8",
        tmp_path / "engines",
        calib=data,
        calib_count=6,
        val=data,
        onnx_only=True,
        cache_dir=None,
        report=lines.append,
    )
    assert result.gate["status"] == "passed"
    table = result.gate_report.with_name("four.int8.gate.txt").read_text()
    assert {row.split()[0] for row in table.splitlines() if row.split() and row.split()[0] in NAMES} <= set(NAMES[1:])
    assert any(name in table for name in NAMES[1:])
    with Segmenter(result.cpu_onnx_path) as seg:
        assert seg.class_names == NAMES
