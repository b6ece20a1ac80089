"""The graph of drawings made in code: wires, junctions, crossings, dashed lines, ports, empty and text-only sheets."""

from __future__ import annotations

import cv2
import networkx as nx
import numpy as np
from graph_drawings import Sheet, bubble_and_valve

from schemseg_sdk.graph import SheetGraph, graph_from_arrays
from schemseg_sdk.graph.lines import thin_line_ink
from schemseg_sdk.graph.overlay import draw_graph
from schemseg_sdk.graph.ports import name_ports
from schemseg_sdk.graph.terminals import Terminal


def _graph(sheet: Sheet) -> SheetGraph:
    return graph_from_arrays(sheet.image, sheet.mask, sheet.symbols)


def _port_nets(graph: SheetGraph) -> list[set[int]]:
    return [{p.net for p in s.ports} for s in graph.symbols]


def test_resistor_between_two_wires_has_two_ports_on_two_nets() -> None:
    sheet = Sheet().wire(10, 80, 80, 80).wire(120, 80, 190, 80).box_symbol("resistor", 80, 70, 120, 90)
    sheet.box_symbol("terminal", 2, 74, 12, 86).box_symbol("terminal", 188, 74, 198, 86)
    graph = _graph(sheet)
    resistor = graph.symbols[0]
    assert [p.name for p in resistor.ports] == ["Pos", "Neg"]
    assert resistor.ports[0].x < resistor.ports[1].x
    assert resistor.ports[0].net != resistor.ports[1].net
    netlist = graph.to_netlist()
    assert netlist["ckt_netlist"] == [
        {
            "component_type": "Res",
            "port_connection": {"Pos": f"net{resistor.ports[0].net}", "Neg": f"net{resistor.ports[1].net}"},
        }
    ]
    assert graph.to_spice().splitlines()[1].endswith(") resistor")


def _cross(sheet: Sheet) -> Sheet:
    """A horizontal and a vertical wire crossing at (100, 80), a resistor at each of the four ends."""
    sheet.wire(30, 80, 170, 80).wire(100, 20, 100, 140)
    sheet.box_symbol("resistor", 10, 70, 30, 90).box_symbol("resistor", 170, 70, 190, 90)
    sheet.box_symbol("resistor", 90, 2, 110, 20).box_symbol("resistor", 90, 140, 110, 158)
    return sheet


def test_a_plain_crossing_does_not_join() -> None:
    nets = _port_nets(_graph(_cross(Sheet())))
    left, right, top, bottom = (n - {-1} for n in nets)
    assert left & right and top & bottom
    assert not (left & right) & (top & bottom)


def test_a_junction_dot_joins() -> None:
    sheet = _cross(Sheet())
    cv2.circle(sheet.image, (100, 80), 5, (0, 0, 0), -1)
    sheet.label("junction", 94, 74, 107, 87)
    graph = _graph(sheet)
    shared = set.intersection(*_port_nets(graph))
    assert len(shared) == 1


def test_a_crossover_the_model_marks_does_not_join() -> None:
    sheet = _cross(Sheet())
    cv2.circle(sheet.image, (100, 80), 5, (0, 0, 0), -1)  # ink a dot would make, but the model says crossover
    sheet.label("crossover", 92, 72, 109, 89)
    left, right, top, bottom = _port_nets(_graph(sheet))
    assert left & right and top & bottom and not (left & right) & (top & bottom)


def test_dashed_line_is_one_dashed_net_apart_from_solid_ones() -> None:
    sheet = Sheet().box_symbol("instrument_field", 10, 60, 40, 100).box_symbol("control_valve", 160, 60, 190, 100)
    sheet.dashed(40, 166, 80).wire(100, 100, 100, 150)
    graph = _graph(sheet)
    (a,), (b,) = _port_nets(graph)
    assert a == b
    assert graph.net(a).kind == "dashed"
    assert [n.kind for n in graph.nets if n.id != a] == ["solid"]


def test_empty_sheet_gives_an_empty_graph() -> None:
    graph = _graph(Sheet())
    assert graph.symbols == [] and graph.nets == []
    assert graph.to_netlist() == {"ckt_netlist": [], "ckt_type": ""}
    assert graph.to_networkx().number_of_nodes() == 0


def test_text_only_sheet_gives_no_net() -> None:
    sheet = Sheet().text("R1 10k", 20, 60).text("VDD", 20, 120)
    sheet.label("designation", 0, 0, 200, 160)
    assert _graph(sheet).nets == []


def test_one_symbol_gives_one_node() -> None:
    graph = _graph(Sheet().box_symbol("pump", 60, 40, 140, 120))
    assert [s.class_name for s in graph.symbols] == ["pump"]
    assert graph.symbols[0].ports == () and graph.to_networkx().number_of_nodes() == 1


def test_graphml_and_overlay(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sheet = _cross(Sheet())
    graph = _graph(sheet)
    graph.save_graphml(tmp_path / "g.graphml")
    read = nx.read_graphml(tmp_path / "g.graphml")
    assert sum(1 for _, d in read.nodes(data=True) if d["kind"] == "symbol") == 4
    assert read.number_of_edges() == 4
    picture = draw_graph(sheet.image, graph)
    assert picture.shape == sheet.image.shape and not np.array_equal(picture, sheet.image)


def test_mosfet_ports_follow_the_terminals_in_any_orientation() -> None:
    ink = np.zeros((60, 60), bool)
    upright = [Terminal(40, 0, 1, 10), Terminal(0, 30, 2, 10), Terminal(40, 60, 3, 10)]
    ports = dict(name_ports("nmos", upright, {1: 2, 2: 2, 3: 2}, ink, (0, 0)))
    assert ports["Gate"].net == 2 and ports["Drain"].net == 1 and ports["Source"].net == 3
    turned = [Terminal(0, 40, 1, 10), Terminal(30, 0, 2, 10), Terminal(60, 40, 3, 10)]
    assert dict(name_ports("pmos", turned, {1: 2, 2: 2, 3: 2}, ink, (0, 0)))["Gate"].net == 2
    with_body = upright + [Terminal(60, 30, 4, 10)]
    ports = dict(name_ports("nmos", with_body, {1: 2, 2: 2, 3: 2, 4: 2}, ink, (0, 0)))
    assert ports["Gate"].net == 2 and ports["Body"].net == 4


def test_emitter_is_on_the_side_with_the_arrow_ink() -> None:
    ink = np.zeros((60, 60), bool)
    ink[45:55, 30:45] = True  # the arrow head near the lower terminal
    terminals = [Terminal(40, 0, 1, 10), Terminal(0, 30, 2, 10), Terminal(40, 60, 3, 10)]
    ports = dict(name_ports("npn", terminals, {1: 2, 2: 2, 3: 2}, ink, (0, 0)))
    assert ports["Base"].net == 2 and ports["Emitter"].net == 3 and ports["Collector"].net == 1


def test_segments_cut_by_bands_are_joined(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from schemseg_sdk.graph import segments

    monkeypatch.setattr(segments, "_BAND_ROWS", 37)  # band edges fall across the vertical wire
    graph = _graph(_cross(Sheet()))
    vertical = [s for n in graph.nets for s in n.segments if s.shape == "vertical"]
    # one run above and one below the crossing (cut out there), each whole although bands cut it
    assert sorted((s.y0, s.y1) for s in vertical) == [(20, 77), (83, 139)]


def test_a_signal_line_of_two_dashes_joins_its_bubble_and_valve() -> None:
    sheet = bubble_and_valve(wired=False).dashed(40, 70, 80, dash=10, gap=6)
    graph = _graph(sheet)
    (a,), (b,) = _port_nets(graph)
    assert a == b and graph.net(a).kind == "dashed"


def test_a_fine_pen_signal_line_of_light_dashes_joins_its_bubble_and_valve() -> None:
    sheet = Sheet().box_symbol("instrument_field", 10, 60, 40, 100).box_symbol("control_valve", 56, 60, 86, 100)
    sheet.thin_dashed(40, 56, 80).wire(86, 90, 190, 90)  # two light dashes; a dark pipe keeps the sheet crisp
    graph = _graph(sheet)
    (a,), (b, _) = _port_nets(graph)
    assert a == b and graph.net(a).kind == "dashed"


def test_one_dash_floating_between_a_valve_and_its_bubble_joins_them() -> None:
    # the line's only dash is drawn in the middle of the gap; it touches neither symbol
    sheet = Sheet().box_symbol("control_valve", 10, 60, 40, 100).box_symbol("instrument_field", 56, 60, 86, 100)
    sheet.thin_dashed(44, 51, 80).wire(86, 90, 190, 90)
    graph = _graph(sheet)
    (a,), (b, _) = _port_nets(graph)
    assert a == b and graph.net(a).kind == "dashed"


def test_a_vertical_dash_row_ending_short_of_its_bubble_reaches_it() -> None:
    sheet = Sheet().box_symbol("control_valve", 60, 110, 100, 150).box_symbol("instrument_field", 60, 20, 100, 60)
    for y in (105, 95, 85, 75, 66):  # dashes 6 px long from the valve up; the last ends 7 px below the bubble
        sheet.image[y : y + 6, 80:82] = 170
    sheet.wire(100, 130, 190, 130)
    graph = _graph(sheet)
    (a, _), (b,) = _port_nets(graph)
    assert a == b and graph.net(a).kind == "dashed"


def test_a_wire_stub_short_of_a_symbol_stays_apart() -> None:
    # a solid lead is drawn to touch its symbol: a gap in front of a box is not bridged for a long dark stub
    sheet = (
        Sheet().box_symbol("resistor", 10, 70, 40, 90).wire(40, 80, 110, 80).box_symbol("resistor", 118, 70, 148, 90)
    )
    left, right = _port_nets(_graph(sheet))
    assert not left & right


def test_a_fine_line_blurred_over_three_rows_is_line_ink() -> None:
    sheet = Sheet()
    sheet.image[79, 20:60], sheet.image[80, 20:60], sheet.image[81, 20:60] = 174, 146, 167
    assert thin_line_ink(sheet.image)[80, 20:60].all()


def test_a_dense_dotted_line_run_together_is_a_signal_line() -> None:
    # dots a pixel apart run into one piece of ink; only the paler ink between them tells
    sheet = bubble_and_valve()
    sheet.image[79:82, 40:70] = 30
    sheet.image[79:82, 42:70:4] = 110
    graph = _graph(sheet)
    (a,), (b, _) = _port_nets(graph)
    assert a == b and graph.net(a).kind == "dashed"


def test_the_grid_of_engineering_paper_joins_nothing() -> None:
    sheet = Sheet()
    sheet.image[::16, :] = 190  # light grid lines, as fine as a signal line's dashes
    sheet.image[:, ::16] = 190
    sheet.box_symbol("resistor", 20, 50, 50, 70).wire(50, 60, 90, 60).box_symbol("resistor", 120, 90, 150, 110)
    sheet.wire(150, 100, 190, 100)
    graph = _graph(sheet)
    left, right = _port_nets(graph)
    assert not left & right and all(n.kind == "solid" for n in graph.nets)


def test_a_short_wire_stopping_short_of_a_part_is_not_drawn_on_to_it() -> None:
    # a circuit's short wire ending a few pixels before a resistor is left as drawn (no dash bridging)
    sheet = Sheet().box_symbol("resistor", 10, 70, 40, 90).wire(40, 80, 52, 80).box_symbol("resistor", 60, 70, 90, 90)
    left, right = _port_nets(_graph(sheet))
    assert not left & right


def test_the_fringe_of_a_dark_wire_is_not_a_thin_line() -> None:
    sheet = Sheet().wire(20, 80, 180, 80)
    sheet.image[78, 20:181] = 200  # anti-aliased fringe above and below the 2 px stroke
    sheet.image[82, 20:181] = 200
    assert not thin_line_ink(sheet.image)[78, 22:179].any()


def test_two_leads_of_a_small_symbol_stay_apart() -> None:
    sheet = Sheet().wire(40, 80, 80, 80).wire(84, 80, 124, 80).box_symbol("capacitor", 80, 70, 85, 90)
    sheet.box_symbol("resistor", 10, 70, 40, 90).box_symbol("resistor", 124, 70, 154, 90)
    capacitor, left, right = _port_nets(_graph(sheet))
    assert len(capacitor) == 2 and not left & right


def test_a_faint_drawing_is_traced() -> None:
    sheet = Sheet().box_symbol("resistor", 10, 70, 40, 90).box_symbol("capacitor", 120, 70, 150, 90)
    cv2.line(sheet.image, (40, 80), (120, 80), (185, 185, 185), 1)
    sheet.image[sheet.image < 128] = 170  # everything drawn light, as a blurred thin-pen sheet
    left, right = _port_nets(_graph(sheet))
    assert left & right


def test_a_dashed_line_on_a_ground_leaves_the_ground_net_solid() -> None:
    sheet = (
        Sheet().box_symbol("resistor", 90, 20, 110, 60).wire(100, 60, 100, 110).box_symbol("ground", 90, 110, 110, 140)
    )
    sheet.dashed(110, 176, 125).box_symbol("instrument_field", 176, 110, 198, 140)
    graph = _graph(sheet)
    ground = next(n for n in graph.nets if n.label == "GND")
    assert ground.kind == "solid"
    assert {s.class_name for s in graph.symbols if any(p.net == ground.id for p in s.ports)} == {
        "resistor",
        "ground",
        "instrument_field",
    }
