"""The gate on what users see: bootstrap intervals, hardly-found classes, symbol F1 (real graphs, real runs)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from engine_testdata import write_dataset, write_model

from schemseg_sdk.boxes import write_boxes
from schemseg_sdk.engine.pipeline import build_engine
from schemseg_sdk.engine.quantize import scale_qdq_scales
from schemseg_sdk.engine.sheet_gate import (
    MAX_F1_DROP,
    SheetCounts,
    bootstrap_drops,
    count_sheets,
    judge,
)
from schemseg_sdk.fileio import sha256_file
from schemseg_sdk.instances import GroupingSettings
from schemseg_sdk.segmenter import Segmenter


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny model, its calibrated int8 graphs, a damaged copy, and a dataset whose boxes are fp32's symbols."""
    root = tmp_path_factory.mktemp("sheetgate")
    val = write_dataset(root / "val", count=12, attention=True)
    model = write_model(root / "tiny.onnx", attention=True)
    # the truth is the fp32 graph's own grouped symbols at the sheets' pixels, as the gate reads them: fp32
    # scores F1 1.0, a graph that changes them less
    (val / "boxes").mkdir()
    with Segmenter(model, device="cpu", grouping=GroupingSettings(), classifier=None, scale=1.0) as segmenter:
        for image in sorted((val / "images").glob("*.png")):
            symbols = segmenter.predict(image).symbols
            write_boxes(val / "boxes" / f"{image.stem}.json", [(s.class_id, s.bbox) for s in symbols])
    result = build_engine(model, "int8", root / "engines", calib=val, calib_count=8, onnx_only=True, cache_dir=None)
    damaged = root / "damaged.int8.onnx"
    onnx.save(scale_qdq_scales(onnx.load(str(result.onnx_path)), 1000.0), str(damaged))
    return {"fp32": model, "int8": result.onnx_path, "damaged": damaged, "val": val}


@pytest.fixture(scope="module")
def counts(graphs: dict[str, Path]) -> dict[str, SheetCounts]:
    found = {name: count_sheets(graphs[name], graphs["val"]) for name in ("fp32", "int8", "damaged")}
    if importlib.util.find_spec("openvino") is not None:
        found["fp32-openvino"] = count_sheets(graphs["fp32"], graphs["val"], runtime="openvino")
    return found


def test_counts_hold_pixels_and_symbols_per_sheet(counts: dict[str, SheetCounts]) -> None:
    fp32 = counts["fp32"]
    assert fp32.sheets == 12 and fp32.inter.shape == fp32.union.shape == (12, 41)
    assert (fp32.inter <= fp32.union).all()
    assert fp32.true_symbols is not None and fp32.true_symbols.sum() > 0
    # the truth is fp32's own symbols, so fp32 matches every one of them
    np.testing.assert_array_equal(fp32.matched, fp32.true_symbols)


def test_a_graph_with_the_same_symbols_passes(counts: dict[str, SheetCounts]) -> None:
    if "fp32-openvino" not in counts:
        pytest.skip("openvino is not installed (pip install 'schemseg[openvino]')")
    # the same fp32 graph in OpenVINO's kernels: other summation orders, the same symbols
    verdict = judge(counts["fp32"], counts["fp32-openvino"], label="fp32 (OpenVINO)", graph="tiny.onnx", val="val")
    assert verdict.passed, verdict.table()
    assert verdict.f1 is not None and verdict.f1[0] == pytest.approx(1.0)
    assert verdict.f1_drop is not None and verdict.f1_drop[0] <= MAX_F1_DROP
    assert "symbol F1 (grouped, classifier)" in verdict.table()
    json.dumps(verdict.to_dict())  # the report is plain JSON


def test_symbols_catch_what_the_pixels_miss(counts: dict[str, SheetCounts]) -> None:
    # The dataset scores only the tiny model's confident pixels, where its int8 graph agrees with fp32
    # on every one; its near-ties flip, and so do symbols: the pixel checks pass, the symbol gate does not.
    verdict = judge(counts["fp32"], counts["int8"], label="int8 (Q/DQ)", graph="tiny.int8.onnx", val="val")
    assert verdict.mean_drop[0] <= 0.5 and not any(c.failed for c in verdict.classes)
    assert verdict.f1_drop is not None and verdict.f1_drop[0] > MAX_F1_DROP
    assert verdict.failures == [f"mean symbol F1 dropped {verdict.f1_drop[0]:.2f} points (allowed {MAX_F1_DROP})"]


def test_a_damaged_graph_fails_on_symbols_and_pixels(counts: dict[str, SheetCounts]) -> None:
    verdict = judge(counts["fp32"], counts["damaged"], label="int8 damaged", graph="damaged.int8.onnx", val="val")
    assert not verdict.passed
    assert verdict.f1_drop is not None and verdict.f1_drop[0] > MAX_F1_DROP
    assert any(f.startswith("mean symbol F1 dropped ") for f in verdict.failures)
    assert any(f.startswith("mean IoU dropped ") for f in verdict.failures)
    assert "FAILED" in verdict.table().splitlines()[0]


def test_bootstrap_interval_holds_the_point_and_is_zero_for_identical_graphs(counts: dict[str, SheetCounts]) -> None:
    same = bootstrap_drops(counts["fp32"], counts["fp32"], samples=200)
    assert float(same["mean_drop"]) == 0.0 and float(same["mean_low"]) == 0.0 == float(same["mean_high"])
    drops = bootstrap_drops(counts["fp32"], counts["damaged"], samples=200)
    assert float(drops["mean_low"]) <= float(drops["mean_drop"]) <= float(drops["mean_high"])


def _counts(inter: list[list[int]], union: list[list[int]], truth: list[list[int]]) -> SheetCounts:
    return SheetCounts(
        ("background", "common", "rare"), np.array(inter), np.array(union), np.array(truth), None, None, None
    )


def test_a_class_the_model_hardly_finds_is_judged_by_its_share() -> None:
    # 'rare': fp32 IoU 0.04 on 1% of the symbol pixels; int8 halves it (2 points), costing 0.02 weighted points
    truth = [[900, 495, 5]] * 20
    reference = _counts([[900, 450, 0]] * 19 + [[900, 450, 4]], [[950, 500, 5]] * 20, truth)
    candidate = _counts([[900, 450, 0]] * 19 + [[900, 450, 2]], [[950, 500, 5]] * 20, truth)
    verdict = judge(reference, candidate, label="int8", graph="g", val="v")
    rare = next(c for c in verdict.classes if c.name == "rare")
    assert not rare.found and rare.drop == pytest.approx(2.0) and not rare.failed
    assert not any("rare" in failure for failure in verdict.failures)  # (the 2-class mean still moves 1 point)
    json.dumps(verdict.to_dict())  # plain Python values, also for hardly-found classes


def test_a_found_class_fails_only_when_its_interval_is_above_zero() -> None:
    truth = [[900, 100, 100]] * 20
    reference = _counts([[900, 80, 80]] * 20, [[1000, 100, 100]] * 20, truth)
    steady = _counts([[900, 80, 75]] * 20, [[1000, 100, 100]] * 20, truth)  # 5 points on every sheet
    one_sheet = _counts([[900, 80, 80]] * 19 + [[900, 80, 0]], [[1000, 100, 100]] * 20, truth)  # one sheet lost
    assert [c.name for c in judge(reference, steady, label="a", graph="g", val="v").classes if c.failed] == ["rare"]
    lost = judge(reference, one_sheet, label="a", graph="g", val="v")
    rare = next(c for c in lost.classes if c.name == "rare")
    assert rare.drop == pytest.approx(4.0) and rare.low == pytest.approx(0.0) and not rare.failed


def test_cli_writes_the_report_and_exits_3_when_the_gate_fails(graphs: dict[str, Path]) -> None:
    from click.testing import CliRunner

    from schemseg_sdk.cli import main

    args = ["gate-graph", str(graphs["damaged"]), "--fp32", str(graphs["fp32"]), "--val", str(graphs["val"])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, result.output
    assert "Error: accuracy gate failed for damaged.int8.onnx (" in result.output
    report = json.loads(graphs["damaged"].with_name("damaged.int8.gate.json").read_text())
    assert report["status"] == "failed" and report["results"][0]["failures"]
    assert report["graph_sha256"] == sha256_file(graphs["damaged"])  # what Segmenter() checks before trusting it


def test_cli_judges_a_graph_in_bf16_and_names_the_report_after_the_precision(graphs: dict[str, Path]) -> None:
    from click.testing import CliRunner

    from schemseg_sdk.cli import main
    from schemseg_sdk.cpu import has_fast_bf16

    if importlib.util.find_spec("openvino") is None:
        pytest.skip("openvino is not installed (pip install 'schemseg[openvino]')")
    fp32 = graphs["fp32"]
    args = ["gate-graph", str(fp32), "--precision", "bf16", "--fp32", str(fp32), "--val", str(graphs["val"])]
    result = CliRunner().invoke(main, args)
    if not has_fast_bf16():
        assert result.exit_code == 1 and "does not compute bfloat16 natively" in result.output
        return
    assert result.exit_code in (0, 3), result.output
    assert "accuracy gate: OpenVINO bf16 (" in result.output
    report = json.loads(fp32.with_name(fp32.name.replace(".onnx", ".openvino-bf16.gate.json")).read_text())
    assert report["precision"] == "bf16" and report["graph_sha256"] == sha256_file(fp32)
