"""The CI2N netlist scorer on tiny netlists with known graph edit distances, and the eval-netlist / netlist commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemseg_sdk.cli import main
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.graph import port_graph, score_netlist

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk" / "schemseg_sdk" / "examples"


def _netlist(*components: tuple[str, dict[str, str]]) -> dict[str, object]:
    return {"ckt_netlist": [{"component_type": t, "port_connection": p} for t, p in components]}


AMP = _netlist(
    ("NMOS", {"Drain": "out", "Gate": "in", "Source": "GND"}),
    ("Res", {"Pos": "VDD", "Neg": "out"}),
)


def test_identical_netlists_with_other_net_names_and_order_are_exact() -> None:
    renamed = _netlist(("Res", {"Neg": "n1", "Pos": "n2"}), ("NMOS", {"Source": "n3", "Gate": "n4", "Drain": "n1"}))
    assert score_netlist(renamed, AMP).exact


def test_drain_and_source_swapped_is_exact_as_in_the_official_scorer() -> None:
    swapped = _netlist(("NMOS", {"Drain": "GND", "Gate": "in", "Source": "out"}), ("Res", {"Pos": "VDD", "Neg": "out"}))
    assert score_netlist(swapped, AMP).ged == 0


def test_known_edit_distances() -> None:
    as_cap = _netlist(("NMOS", {"Drain": "out", "Gate": "in", "Source": "GND"}), ("Cap", {"Pos": "VDD", "Neg": "out"}))
    assert score_netlist(as_cap, AMP).ged == 3  # relabel the node and its two edges
    no_res = _netlist(("NMOS", {"Drain": "out", "Gate": "in", "Source": "GND"}))
    assert score_netlist(no_res, AMP).ged == 4  # the resistor, its two edges and the VDD net
    gate_on_drain = _netlist(
        ("NMOS", {"Drain": "out", "Gate": "out", "Source": "GND"}), ("Res", {"Pos": "VDD", "Neg": "out"})
    )
    score = score_netlist(gate_on_drain, AMP)
    assert score.ged == 3 and not score.exact  # the gate edge goes and comes back elsewhere (2), the "in" net goes (1)
    assert score.ned == pytest.approx(3 / (10 + 11))  # over both graphs' nodes + edges (5 + 5 and 6 + 5)


def test_empty_prediction_scores_one() -> None:
    score = score_netlist({"ckt_netlist": []}, AMP)
    assert score.ged == 11 and score.ned == 1.0  # every node (6) and edge (5) of the golden graph inserted


def test_four_port_nmos_types_its_source_apart() -> None:
    edges = sorted(
        d["etype"]
        for *_, d in port_graph(_netlist(("NMOS", {"Drain": "a", "Gate": "b", "Source": "c", "Body": "d"}))).edges(
            data=True
        )
    )
    assert edges == ["bn2n", "dn2n", "gn2n", "sn2n"]


def test_a_bad_netlist_says_what_was_expected() -> None:
    with pytest.raises(InvalidInputError, match="ckt_netlist"):
        port_graph({"components": []})


def _write(folder: Path, name: str, netlist: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(netlist))


def test_eval_netlist_prints_per_sheet_and_the_summary_line(tmp_path: Path) -> None:
    _write(tmp_path / "gold", "001", AMP)
    _write(tmp_path / "gold", "002", AMP)
    _write(tmp_path / "pred", "001", AMP)
    result = CliRunner().invoke(
        main, ["eval-netlist", str(tmp_path / "pred"), str(tmp_path / "gold"), "--json", str(tmp_path / "s.json")]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("001  GED  0") and "exact" in lines[0]
    assert "(no prediction)" in lines[1]
    assert lines[-1] == "exact 1/2, mean NED 0.5000"
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["exact_rate"] == 0.5 and saved["mean_ned"] == 0.5


def test_eval_netlist_on_an_empty_golden_folder_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "gold").mkdir()
    result = CliRunner().invoke(main, ["eval-netlist", str(tmp_path), str(tmp_path / "gold")])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "holds no *.json" in result.output


def test_netlist_command_on_a_real_drawing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["netlist", str(EXAMPLES / "circuit_bias.png"), "--out", str(tmp_path), "--graphml", "--spice"]
    )
    assert result.exit_code == 0, result.output
    netlist = json.loads((tmp_path / "circuit_bias.json").read_text())
    assert isinstance(netlist["ckt_netlist"], list)
    graph = json.loads((tmp_path / "circuit_bias.graph.json").read_text())
    assert graph["schema"] == "schemseg.graph/1" and graph["symbols"]
    for suffix in (".graphml", ".cir", ".nets.png"):
        assert (tmp_path / f"circuit_bias{suffix}").stat().st_size > 0


def test_netlist_reads_classifier_as_segment_does(tmp_path: Path) -> None:
    drawing = str(EXAMPLES / "circuit_bias.png")
    missing = CliRunner().invoke(main, ["netlist", drawing, "--out", str(tmp_path), "--classifier", "x.onnx"])
    assert missing.exit_code == 2 and "--classifier x.onnx: no such file" in missing.output
    result = CliRunner().invoke(main, ["netlist", drawing, "--out", str(tmp_path), "--classifier", "none"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "circuit_bias.graph.json").read_text())["symbols"]


def test_segment_graph_output_is_part_of_a_complete_sheet(tmp_path: Path) -> None:
    from schemseg_sdk.archive.jobs import Outputs, SheetJob

    outputs = Outputs(tmp_path, write_json=False, write_overlay=False, write_graph=True)
    assert outputs.paths("a") == [tmp_path / "a.graph.json"]
    job = SheetJob(tmp_path / "a.png", "a")
    assert not outputs.complete(job)
    (tmp_path / "a.graph.json").write_text(json.dumps({"schema": "schemseg.graph/1", "nets": []}))
    assert outputs.complete(job)
