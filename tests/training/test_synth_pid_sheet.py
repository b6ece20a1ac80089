"""Whole synthetic P&ID sheets: determinism, paper proportions, pixel-exact masks, the same sheet at
another zoom, symbol counts, and the ``schemseg synth --kind pid-sheet`` command."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.cli import main
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_training.synth import PidSheetOptions, render_pid_sheet
from schemseg_training.synth.canvas import SheetCanvas
from schemseg_training.synth.catalog import build_shape
from schemseg_training.synth.pid_record import replay
from schemseg_training.synth.pid_sheet import PAPER_MM, compose_pid_sheet
from schemseg_training.synth.strokes import Pen, Placement, place_shape, render_ink
from schemseg_training.synth.symbols_unlabelled import END_UNLABELLED, INLINE_UNLABELLED, interlock, motor, nozzle

A3 = PidSheetOptions(paper="A3", artefacts=False)


@pytest.fixture(scope="module")
def a3() -> object:
    return render_pid_sheet(2, A3)


def test_same_seed_same_sheet_and_landscape_paper(a3) -> None:  # type: ignore[no-untyped-def]
    again = render_pid_sheet(2, A3)
    assert np.array_equal(a3.image, again.image) and np.array_equal(a3.mask, again.mask)
    assert a3.instances == again.instances
    h, w = a3.mask.shape
    assert abs(w / h - PAPER_MM["A3"][0] / PAPER_MM["A3"][1]) < 0.01
    assert 1700 < w < 3400  # model scale: 9-12 px per symbol unit of 1.5-2.2 mm
    assert render_pid_sheet(3, A3).instances != a3.instances


def test_mask_is_ink_and_every_symbol_owns_its_strokes(a3) -> None:  # type: ignore[no-untyped-def]
    ink = cv2.cvtColor(a3.image, cv2.COLOR_BGR2GRAY) < 128
    labelled = a3.mask > 0
    assert (ink & labelled).sum() > 0.5 * (labelled & ink).sum()
    for class_id, (x0, y0, x1, y1) in a3.instances:
        inside = a3.mask[y0:y1, x0:x1] == class_id
        assert inside.any(), CLASS_NAMES[class_id]
        assert ink[y0:y1, x0:x1][inside].mean() > 0.03, CLASS_NAMES[class_id]
    assert (ink & ~labelled).sum() > 0.3 * ink.sum()  # pipes, frame, notes, unlabelled symbols


def test_a_sheet_is_crowded(a3) -> None:  # type: ignore[no-untyped-def]
    names = [CLASS_NAMES[c] for c, _ in a3.instances]
    symbols = [n for n in names if n != "designation"]
    assert len(symbols) >= 30  # an A3 holds about a quarter of an A1's 100-250
    assert names.count("designation") >= 15
    pid = {"gate_valve", "control_valve", "instrument_field", "instrument_panel", "vessel"}
    assert len(pid & set(names)) >= 3
    assert "junction" in names  # tees get their dot: pipe corridors must not keep it off the pipes


def test_zoom_draws_the_same_sheet_bigger(a3) -> None:  # type: ignore[no-untyped-def]
    big = render_pid_sheet(2, PidSheetOptions(paper="A3", zoom=2.0, artefacts=False))
    h, w = a3.mask.shape
    assert abs(big.mask.shape[0] - 2 * h) <= 1 and abs(big.mask.shape[1] - 2 * w) <= 1
    assert len(big.instances) == len(a3.instances)
    assert [c for c, _ in big.instances] == [c for c, _ in a3.instances]
    small = cv2.resize(big.mask, (w, h), interpolation=cv2.INTER_NEAREST)
    agree = (small == a3.mask)[(a3.mask > 0) | (small > 0)].mean()
    assert agree > 0.6


def test_dpi_sets_the_print_resolution() -> None:
    sheet = render_pid_sheet(1, PidSheetOptions(paper="A4", dpi=100, artefacts=False))
    h, w = sheet.mask.shape
    assert abs(w - 297 / 25.4 * 100) < 3 and abs(h - 210 / 25.4 * 100) < 3


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="paper 'B2' is not known"):
        render_pid_sheet(0, PidSheetOptions(paper="B2"))
    with pytest.raises(ValueError, match="over the"):
        render_pid_sheet(0, PidSheetOptions(paper="A0", zoom=10.0))


def test_cli_writes_pid_sheets(tmp_path: Path) -> None:
    out = tmp_path / "pid"
    result = CliRunner().invoke(
        main,
        ["synth", "--out", str(out), "--kind", "pid-sheet", "--count", "2", "--seed", "4", "--zoom-range", "0.3,0.4"],
    )
    assert result.exit_code == 0, result.output
    info = json.loads((out / "dataset.json").read_text())
    assert info["kind"] == "pid-sheet" and info["zoom_range"] == [0.3, 0.4] and info["generator_version"] == "5"
    ds = SegmentationDataset(out)
    image, mask = ds[0]
    assert image.shape[:2] == mask.shape and image.shape[1] > image.shape[0]
    assert info["class_instances"]["gate_valve"] + info["class_instances"]["globe_valve"] > 0
    assert class_index("vessel") in np.unique(mask)


def test_cli_refuses_a_bad_zoom_range(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["synth", "--out", str(tmp_path / "x"), "--count", "1", "--kind", "pid-sheet", "--zoom-range", "2,1"]
    )
    assert result.exit_code == 2
    assert "--zoom-range needs 0 < LO <= HI, got '2,1'" in result.output


def test_replay_at_zoom_one_redraws_the_composed_sheet_exactly() -> None:
    """Another zoom is a replay of the recorded drawing: at zoom 1 it must give back the same arrays."""
    canvas, _ = compose_pid_sheet(5, "A3")
    again = replay(canvas, 1.0)
    assert np.array_equal(again.ink, canvas.ink)
    assert np.array_equal(again.mask, canvas.mask)
    assert again.instances == canvas.instances


@pytest.mark.parametrize("name", [*INLINE_UNLABELLED, *END_UNLABELLED, "nozzle", "interlock", "motor"])
def test_symbols_outside_our_classes_are_ink_without_a_label(name: str) -> None:
    builders = {**INLINE_UNLABELLED, **END_UNLABELLED, "nozzle": nozzle, "interlock": interlock, "motor": motor}
    canvas = SheetCanvas(120, 100)
    canvas.draw_symbol(0, builders[name](np.random.default_rng(0)), Placement(60, 50, 14.0), Pen(width=2))
    assert canvas.ink.max() > 200 and not canvas.mask.any() and not canvas.instances


@pytest.mark.parametrize("name", ["instrument_field", "instrument_panel"])
def test_instruments_stay_upright_with_a_terminal_on_each_side(name: str) -> None:
    """A bubble's tag reads letters over number, so sheets never turn it; they attach signal lines to
    whichever side faces the pipe, on the outline."""
    for seed in range(12):
        shape = build_shape(name, np.random.default_rng(seed))
        (_, y_letters, letters, _), (_, y_number, number, _) = shape.texts
        assert y_letters < y_number and letters.isalpha() and number[0].isdigit()
        assert set(shape.terminals) == {"a", "n", "w", "e"}
        placed = place_shape(shape, Placement(50, 50, 14.0))
        ink, x0, y0 = render_ink(placed, Pen(width=2))
        for tx, ty in placed.terminals.values():
            x, y = int(round(tx)) - x0, int(round(ty)) - y0
            assert ink[y - 1 : y + 2, x - 1 : x + 2].max() > 128  # on the outline


def test_text_in_a_sheet_is_a_designation_or_background(a3) -> None:  # type: ignore[no-untyped-def]
    """Tags and line numbers are designations; every designation box holds text-sized ink."""
    designation = class_index("designation")
    boxes = [box for c, box in a3.instances if c == designation]
    assert boxes
    for x0, y0, x1, y1 in boxes:
        assert min(x1 - x0, y1 - y0) < 60  # one line of text, horizontal or turned along a pipe


def test_cli_paper_and_a_zoom_the_paper_cannot_take(tmp_path: Path) -> None:
    """The zoom limit is checked before any sheet is drawn, and names the way out (smaller paper)."""
    result = CliRunner().invoke(
        main, ["synth", "--out", str(tmp_path / "big"), "--count", "3", "--kind", "pid-sheet", "--zoom-range", "1,2"]
    )
    assert result.exit_code == 1
    assert "zoom 2 is too large for the A3-A0 sheets drawn at random" in result.output
    assert "keep the zoom at most 1.77 or choose smaller paper" in result.output
    out = tmp_path / "a4"
    result = CliRunner().invoke(
        main,
        ["synth", "--out", str(out), "--count", "1", "--kind", "pid-sheet", "--paper", "A4", "--zoom-range", "0.5,0.5"],
    )
    assert result.exit_code == 0, result.output
    info = json.loads((out / "dataset.json").read_text())
    assert info["paper"] == "A4"
    image, _ = SegmentationDataset(out)[0]
    assert abs(image.shape[1] / image.shape[0] - 297 / 210) < 0.01
