"""The true graph the generator writes: a hand-checked drawing, and the graphs of generated sheets."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.cli import main
from schemseg_sdk.graph import TRUE_GRAPH_SCHEMA, read_true_graph
from schemseg_sdk.graph.roles import class_roles
from schemseg_training.synth import render_pid_sheet, render_sheet, write_dataset
from schemseg_training.synth.canvas import SheetCanvas
from schemseg_training.synth.catalog import build_shape
from schemseg_training.synth.connections import true_nets
from schemseg_training.synth.layout import Layout, orientations
from schemseg_training.synth.pid_sheet import PidSheetOptions
from schemseg_training.synth.strokes import Pen


def _layout() -> Layout:
    canvas = SheetCanvas(240)
    return Layout(canvas, np.random.default_rng(0), Pen(width=2, font=cv2.FONT_HERSHEY_SIMPLEX), 12.0, 10.0)


def _place(lay: Layout, name: str, at: tuple[float, float], direction: tuple[float, float] | None) -> int:
    """Place ``name`` with its terminal ``a`` at ``at`` (its axis along ``direction``); its instance index."""
    shape = build_shape(name, lay.rng)
    orient = orientations(shape, direction)[0] if direction else (0, False)
    assert lay.place(name, "a", at, orient, scale=12.0, shape=shape) is not None, name
    return len(lay.canvas.instances) - 1


def _nets(lay: Layout) -> set[tuple[frozenset[str], str, str | None]]:
    names = {i: CLASS_NAMES[c] for i, (c, _) in enumerate(lay.canvas.instances)}
    return {(frozenset(names[m] for m in n.members), n.kind, n.label) for n in true_nets(lay.canvas.connections)}


def test_a_hand_checked_chain_tee_crossing_and_grounds() -> None:
    lay = _layout()
    _place(lay, "resistor", (20, 40), (1.0, 0.0))  # a at x=20, b at x=56
    lay.wire((56, 40), (100, 40))
    _place(lay, "capacitor", (100, 40), (1.0, 0.0))  # b at x=136
    lay.wire((78, 40), (78, 100))  # a tee into the resistor-capacitor wire
    _place(lay, "inductor", (78, 100), (0.0, 1.0))  # b at y=136
    lay.wire((136, 40), (200, 40), (200, 60))
    _place(lay, "ground", (200, 60), None)
    lay.wire((170, 10), (170, 90))  # crosses the capacitor's wire: no join
    _place(lay, "terminal", (170, 10), None)
    _place(lay, "terminal", (170, 90), None)
    nets = _nets(lay)
    assert (frozenset({"resistor", "capacitor", "inductor"}), "solid", None) in nets
    assert (frozenset({"capacitor", "ground"}), "solid", "GND") in nets
    assert (frozenset({"terminal"}), "solid", None) in nets  # both ports: one class, one net
    assert len(nets) == 3


def test_a_dashed_line_on_a_pipe_taps_it_without_joining() -> None:
    lay = _layout()
    _place(lay, "gate_valve", (20, 100), (1.0, 0.0))
    lay.wire((56, 100), (150, 100))
    _place(lay, "ball_valve", (150, 100), (1.0, 0.0))
    lay.wire((100, 100), (100, 50), dashed=True)
    _place(lay, "instrument_field", (100, 50), None)
    nets = _nets(lay)
    assert (frozenset({"gate_valve", "ball_valve"}), "solid", None) in nets
    assert (frozenset({"instrument_field"}), "dashed", None) in nets


def test_an_unlabelled_fitting_passes_its_pipe_through() -> None:
    lay = _layout()
    _place(lay, "gate_valve", (20, 60), (1.0, 0.0))
    lay.wire((56, 60), (100, 60))
    shape = build_shape("flange", lay.rng)
    assert lay.place("flange", "a", (100, 60), orientations(shape, (1.0, 0.0))[0], 12.0, shape, class_id=0)
    end = 100 + float(np.hypot(*np.subtract(shape.terminals["b"], shape.terminals["a"]))) * 12.0
    lay.wire((end, 60), (end + 40, 60))
    _place(lay, "check_valve", (end + 40, 60), (1.0, 0.0))
    assert _nets(lay) == {(frozenset({"gate_valve", "check_valve"}), "solid", None)}


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_every_net_member_of_a_generated_sheet_is_a_graph_symbol(seed: int) -> None:
    sheet = render_sheet(seed, size=320)
    symbol = class_roles(CLASS_NAMES).symbol
    nets = sheet.true_nets()
    assert nets, "a circuit or P&ID sheet has wired symbols"
    for net in nets:
        assert net.members and all(symbol[sheet.instances[m][0]] for m in net.members)
        assert net.kind in ("solid", "dashed")


def test_a_pid_sheet_has_pipes_and_signal_lines() -> None:
    sheet = render_pid_sheet(0, PidSheetOptions(paper="A4", zoom=0.5))
    kinds = {net.kind for net in sheet.true_nets() if len(net.members) > 1}
    assert kinds == {"solid", "dashed"}


def test_the_dataset_holds_a_true_graph_per_sheet(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=2, seed=5, size=256, progress=False)
    for name in ("00000", "00001"):
        data = json.loads((tmp_path / "graphs" / f"{name}.json").read_text())
        boxes = json.loads((tmp_path / "boxes" / f"{name}.json").read_text())["boxes"]
        assert data["schema"] == TRUE_GRAPH_SCHEMA
        for s in data["symbols"]:
            assert boxes[s["id"]]["bbox"] == s["bbox"] and boxes[s["id"]]["class_name"] == s["class_name"]
        ids = {s["id"] for s in data["symbols"]}
        assert all(set(n["members"]) <= ids for n in data["nets"])
        graph = read_true_graph(tmp_path / "graphs" / f"{name}.json")
        assert len(graph.symbols) == len(data["symbols"])


def _ports(lay: Layout) -> dict[tuple[str, str], str]:
    """(class, port) -> the classes of the other members of its net."""
    names = {i: CLASS_NAMES[c] for i, (c, _) in enumerate(lay.canvas.instances)}
    found = {}
    for net in true_nets(lay.canvas.connections):
        for port in net.ports:
            found[(names[port.symbol], port.name)] = "+".join(sorted(names[m] for m in net.members if m != port.symbol))
    return found


@pytest.mark.parametrize("orient", [(0, False), (1, False), (2, True)])
def test_a_wire_at_a_transistor_terminal_records_its_port_however_it_is_turned(orient: tuple[int, bool]) -> None:
    lay = _layout()
    placed = lay.place("nmos", None, (120, 120), orient, scale=12.0)
    assert placed is not None
    for terminal, name in (("g", "resistor"), ("d", "capacitor"), ("s", "inductor")):
        x, y = placed.terminals[terminal]
        away = (np.sign(x - 120), 0.0) if abs(x - 120) > abs(y - 120) else (0.0, np.sign(y - 120))
        out = (x + away[0] * 30, y + away[1] * 30)
        lay.wire((x, y), out)
        _place(lay, name, out, away)
    ports = _ports(lay)
    assert {k: v for k, v in ports.items() if k[0] == "nmos"} == {
        ("nmos", "Gate"): "resistor",
        ("nmos", "Drain"): "capacitor",
        ("nmos", "Source"): "inductor",
    }
    assert ports[("resistor", "Pos")] == ports[("capacitor", "Pos")] == ports[("inductor", "Pos")] == "nmos"  # a: Pos


def test_an_opamp_names_the_input_it_drew_the_plus_at() -> None:
    for seed in range(6):
        shape = build_shape("opamp", np.random.default_rng(seed))
        plus = [x for x, _, _ in shape.lines if len(x) == 2 and abs(x[0, 0] - x[1, 0]) < 1e-9 and x[0, 0] > -1.0]
        plus_y = float(np.mean(plus[0][:, 1]))  # the plus's vertical stroke
        inp = next(t for t, p in shape.ports.items() if p == "InP")
        assert abs(shape.terminals[inp][1] - plus_y) < 1e-6
        assert sorted(shape.ports.values()) == ["InN", "InP", "Out"]


@pytest.mark.parametrize("seed", [0, 3, 11, 12])
def test_every_port_of_a_generated_sheet_lies_at_its_symbol(seed: int) -> None:
    sheet = render_sheet(seed, size=320)
    ports = [p for net in sheet.true_nets() for p in net.ports]
    assert ports, "a sheet with circuit parts names their ports"
    for port in ports:
        x0, y0, x1, y1 = sheet.instances[port.symbol][1]
        assert x0 - 2 <= port.at[0] <= x1 + 2 and y0 - 2 <= port.at[1] <= y1 + 2, (port, (x0, y0, x1, y1))


def test_eval_graph_scores_port_names_on_generated_sheets(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=2, seed=5, size=256, progress=False)
    nets = [n for path in (tmp_path / "graphs").iterdir() for n in json.loads(path.read_text())["nets"]]
    assert any(p["port"] in ("Gate", "Pos", "Drain", "Base") for n in nets for p in n["ports"])
    result = CliRunner().invoke(main, ["eval-graph", str(tmp_path), "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("ports all: right ") for line in result.output.splitlines())
    total = json.loads((tmp_path / "s.json").read_text())["ports"]["all"]
    assert 0 < total["right"] <= total["right_ci2n"] <= total["true"]


def test_a_true_graph_written_without_ports_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    symbols = [{"id": 0, "class_name": "resistor", "bbox": [0, 0, 9, 4]}]
    path.write_text(
        json.dumps(
            {
                "schema": TRUE_GRAPH_SCHEMA,
                "symbols": symbols,
                "nets": [{"members": [0], "kind": "solid", "label": None}],
            }
        )
    )
    assert read_true_graph(path).nets[0].ports == ()
