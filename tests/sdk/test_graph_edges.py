"""Graph edge scores: hand-made graphs (perfect, a missing edge, an extra edge, kinds, labels) and ``schemseg eval-graph``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
from click.testing import CliRunner
from graph_drawings import Sheet

from schemseg_sdk.boxes import write_boxes
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.cli import main
from schemseg_sdk.graph import EdgeGraph, TrueNet, read_true_graph, score_edges
from schemseg_sdk.graph.edges import write_true_graph

R, C, V = ("resistor", (0, 0, 20, 10)), ("capacitor", (40, 0, 60, 10)), ("gate_valve", (80, 0, 100, 10))
TRUTH = EdgeGraph((R, C, V), (TrueNet((0, 1), "solid"), TrueNet((1, 2), "solid"), TrueNet((0, 2), "dashed")))


def test_the_truth_scored_against_itself_is_perfect() -> None:
    counts = score_edges(TRUTH, TRUTH)
    assert (counts["all"].precision, counts["all"].recall, counts["all"].f1) == (1.0, 1.0, 1.0)
    assert counts["solid"].true == 2 and counts["dashed"].true == 1


def test_a_missing_edge_lowers_recall_only() -> None:
    pred = EdgeGraph((C, R, V), (TrueNet((0, 1), "solid"), TrueNet((1, 2), "dashed")))  # other order, one net lost
    all_ = score_edges(pred, TRUTH)["all"]
    assert (all_.true, all_.predicted, all_.matched) == (3, 2, 2)
    assert all_.precision == 1.0 and math.isclose(all_.recall, 2 / 3)


def test_an_extra_edge_and_a_wrong_kind_lower_precision() -> None:
    merged = EdgeGraph((R, C, V), (TrueNet((0, 1, 2), "solid"),))  # the signal line read as a pipe
    counts = score_edges(merged, TRUTH)
    assert (counts["solid"].true, counts["solid"].predicted, counts["solid"].matched) == (2, 3, 2)
    assert counts["dashed"].matched == 0 and counts["all"].predicted == 3 and counts["all"].matched == 2


def test_symbols_match_by_class_and_box_overlap() -> None:
    shifted = EdgeGraph((("resistor", (2, 0, 22, 10)), ("capacitor", (40, 0, 60, 10))), (TrueNet((0, 1), "solid"),))
    assert score_edges(shifted, TRUTH)["solid"].matched == 1
    far = EdgeGraph((("resistor", (200, 0, 220, 10)), ("capacitor", (40, 0, 60, 10))), (TrueNet((0, 1), "solid"),))
    assert score_edges(far, TRUTH)["solid"].matched == 0
    wrong_class = EdgeGraph((("inductor", R[1]), C), (TrueNet((0, 1), "solid"),))
    assert score_edges(wrong_class, TRUTH)["solid"].matched == 0


def test_nets_of_one_label_are_one_net() -> None:
    g = ("ground", (0, 30, 10, 40))
    grounds = EdgeGraph((R, C, g, g), (TrueNet((0, 2), "solid", "GND"), TrueNet((1, 3), "solid", "GND")))
    assert (0, 1, "solid") in grounds.edges() and len(grounds.edges()) == 6


def _dataset(root: Path) -> None:
    """One sheet: resistor - capacitor on a wire, its true graph beside it."""
    sheet = Sheet().wire(30, 80, 80, 80).wire(120, 80, 170, 80)
    sheet.box_symbol("resistor", 10, 70, 30, 90).box_symbol("capacitor", 80, 70, 120, 90)
    sheet.box_symbol("resistor", 170, 70, 190, 90)
    for sub in ("images", "masks", "boxes", "graphs"):
        (root / sub).mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "00000.png"), sheet.image)
    cv2.imwrite(str(root / "masks" / "00000.png"), sheet.mask)
    instances = [(s.class_id, s.bbox) for s in sheet.symbols]
    write_boxes(root / "boxes" / "00000.json", instances)
    nets = [TrueNet((0, 1), "solid"), TrueNet((1, 2), "solid")]
    write_true_graph(root / "graphs" / "00000.json", instances, nets, CLASS_NAMES)


def test_eval_graph_traces_true_symbols_and_scores_a_prediction_folder(tmp_path: Path) -> None:
    _dataset(tmp_path / "data")
    assert len(read_true_graph(tmp_path / "data" / "graphs" / "00000.json").nets) == 2
    result = CliRunner().invoke(main, ["eval-graph", str(tmp_path / "data"), "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "00000  edges true 2 predicted 2 right 2  F1 1.000"
    assert json.loads((tmp_path / "s.json").read_text())["all"]["f1"] == 1.0
    (tmp_path / "pred").mkdir()
    result = CliRunner().invoke(main, ["eval-graph", str(tmp_path / "data"), str(tmp_path / "pred")])
    assert result.exit_code == 0, result.output
    assert "all: precision - recall 0.000 F1 0.000 (0 of 2 true, 0 predicted)" in result.output


def test_eval_graph_without_true_graphs_is_a_clean_error(tmp_path: Path) -> None:
    _dataset(tmp_path)
    for path in (tmp_path / "graphs").iterdir():
        path.unlink()
    (tmp_path / "graphs").rmdir()
    result = CliRunner().invoke(main, ["eval-graph", str(tmp_path)])
    assert result.exit_code == 1
    assert "no graphs/ folder; regenerate the dataset with 'schemseg synth'" in result.output
