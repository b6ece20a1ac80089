"""The true graph `schemseg data import-dexpi` writes: pipes and signal lines of a small Proteus XML written
here, on a rendering drawn in code (solid pipes, dashed signal lines)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from dexpi_case import write_case

from schemseg_sdk.classes import CLASS_NAMES, IGNORE_INDEX
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.graph import read_true_graph
from schemseg_sdk.graph.edge_score import score_dataset_graphs, true_symbol_graph
from schemseg_sdk.graph.edges import edge_graph
from schemseg_training.data.dexpi import DexpiSettings, import_dexpi, load_dexpi_map
from schemseg_training.data.dexpi_graph import ink_cover, read_connectivity

SCALE, LEFT, TOP, SHEET_H = 9.0, 60.0, 40.0, 100.0  # 9 px per mm; y points up in the drawing, down in the image


def _poly(*points: tuple[float, float], tag: str = "PolyLine") -> str:
    return f"<{tag}>" + "".join(f'<Coordinate X="{x}" Y="{y}"/>' for x, y in points) + f"</{tag}>"


def _circle(x: float, y: float, r: float) -> str:
    return f'<Circle Radius="{r}"><Position><Location X="{x}" Y="{y}" Z="0"/></Position></Circle>'


def _nodes(*points: tuple[float, float]) -> str:
    nodes = "".join(f'<Node><Position><Location X="{x}" Y="{y}" Z="0"/></Position></Node>' for x, y in points)
    return f"<ConnectionPoints>{nodes}</ConnectionPoints>"


def _bowtie(x: float) -> str:
    return _poly((x - 5, 47), (x - 5, 53), (x + 5, 47), (x + 5, 53), (x - 5, 47))


def _flow(flow_id: str, dexpi_class: str, *points: tuple[float, float]) -> str:
    return f'<InformationFlow ID="{flow_id}" ComponentClass="{dexpi_class}">{_poly(*points, tag="CenterLine")}</InformationFlow>'


# A tank's nozzle piped to a pump; the pump to a control valve, through a plug valve (no project class)
# to a ball valve, and on to a free end. A signal line from an instrument to the control valve's actuator,
# a second instrument's signal line tapping the pipe, a third line the rendering does not draw, a leader.
# Two nodes at (0, 0), where some tools write a node whose position they do not set, join nothing.
PROTEUS = f"""<?xml version="1.0" encoding="utf-8"?>
<PlantModel>
  <PlantInformation Units="mm"/>
  <Drawing Name="test"><Extent><Min X="0" Y="0"/><Max X="200" Y="{SHEET_H}"/></Extent></Drawing>
  <Equipment ID="tank-1" ComponentClass="Tank">{_poly((20, 30), (40, 30), (40, 80), (20, 80), (20, 30))}
    <Nozzle ID="nozzle-1" ComponentClass="Nozzle">{_poly((40, 50), (45, 50))}{_nodes((40, 50), (45, 50), (0, 0))}</Nozzle>
  </Equipment>
  <Equipment ID="pump-1" ComponentClass="CentrifugalPump">{_circle(70, 50, 6)}{_nodes((64, 50), (76, 50))}</Equipment>
  <PipingNetworkSystem ID="pipe-1">
    <PipingNetworkSegment ID="seg-1">{_poly((45, 50), (64, 50), tag="CenterLine")}</PipingNetworkSegment>
    <PipingNetworkSegment ID="seg-2">{_poly((76, 50), (95, 50), tag="CenterLine")}
      <PipingComponent ID="valve-1" ComponentClass="GlobeValve">{_bowtie(100)}{_nodes((95, 50), (105, 50))}</PipingComponent>
      {_poly((105, 50), (120, 50), tag="CenterLine")}
      <PipingComponent ID="plug-1" ComponentClass="PlugValve">{_bowtie(125)}{_nodes((120, 50), (130, 50), (0, 0))}</PipingComponent>
      {_poly((130, 50), (145, 50), tag="CenterLine")}
      <PipingComponent ID="ball-1" ComponentClass="BallValve">{_bowtie(150)}{_circle(150, 50, 2)}{_nodes((145, 50), (155, 50))}</PipingComponent>
      {_poly((155, 50), (185, 50), tag="CenterLine")}
    </PipingNetworkSegment>
  </PipingNetworkSystem>
  <ActuatingSystem ID="as-1">
    <ActuatingSystemComponent ID="act-1" ComponentClass="ControlledActuator">{_poly((100, 53), (100, 60))}{_poly((96, 60), (104, 60))}</ActuatingSystemComponent>
    <ActuatingSystemComponent ID="ref-1" ComponentClass="OperatedValveReference"><Association Type="refers to" ItemID="valve-1"/></ActuatingSystemComponent>
  </ActuatingSystem>
  <ProcessInstrumentationFunction ID="pif-1" ComponentClass="ProcessInstrumentationFunction">{_circle(100, 80, 6)}
    {_flow("flow-1", "SignalLineFunction", (100, 74), (100, 60))}
  </ProcessInstrumentationFunction>
  <ProcessInstrumentationFunction ID="pif-2" ComponentClass="ProcessInstrumentationFunction">{_circle(150, 80, 6)}
    {_flow("flow-2", "MeasuringLineFunction", (144, 80), (140, 80), (140, 50))}
    {_flow("flow-3", "SignalLineFunction", (156, 80), (185, 80))}
  </ProcessInstrumentationFunction>
  {_flow("leader-1", "Leader", (20, 90), (40, 95))}
</PlantModel>
"""


def _px(x: float, y: float) -> tuple[int, int]:
    return round(SCALE * x + LEFT), round(SCALE * (SHEET_H - y) + TOP)


def _solid(image: np.ndarray, *points: tuple[float, float]) -> None:
    cv2.polylines(image, [np.array([_px(*p) for p in points], np.int32)], False, (0, 0, 0), 3)


def _dashed(image: np.ndarray, *points: tuple[float, float], dash: float = 27, gap: float = 14) -> None:
    for a, b in zip(points[:-1], points[1:]):
        (ax, ay), (bx, by) = _px(*a), _px(*b)
        length = float(np.hypot(bx - ax, by - ay))
        for start in np.arange(0.0, length, dash + gap):
            end = min(start + dash, length)
            p = (round(ax + (bx - ax) * start / length), round(ay + (by - ay) * start / length))
            q = (round(ax + (bx - ax) * end / length), round(ay + (by - ay) * end / length))
            cv2.line(image, p, q, (0, 0, 0), 2)


def _render() -> np.ndarray:
    image = np.full((1000, 1920, 3), 255, np.uint8)
    _solid(image, (20, 30), (40, 30), (40, 80), (20, 80), (20, 30))
    _solid(image, (40, 50), (64, 50))
    cv2.circle(image, _px(70, 50), round(6 * SCALE), (0, 0, 0), 3)
    _solid(image, (76, 50), (185, 50))
    for x in (100, 125, 150):
        _solid(image, (x - 5, 47), (x - 5, 53), (x + 5, 47), (x + 5, 53), (x - 5, 47))
    cv2.circle(image, _px(150, 50), round(2 * SCALE), (0, 0, 0), 3)
    _solid(image, (100, 53), (100, 60))
    _solid(image, (96, 60), (104, 60))
    for x in (100, 150):
        cv2.circle(image, _px(x, 80), round(6 * SCALE), (0, 0, 0), 3)
    _dashed(image, (100, 74), (100, 60))
    _dashed(image, (144, 80), (140, 80), (140, 50))
    _solid(image, (20, 90), (40, 95))
    return image


@pytest.fixture()
def dexpi_dir(tmp_path: Path) -> Path:
    return write_case(tmp_path, PROTEUS, _render())


def _import(src: Path, out: Path) -> Path:
    _, class_map = load_dexpi_map("dexpi")
    report = import_dexpi(src, out, DexpiSettings(class_map))
    assert report.written == 1, report.skipped
    return out


def _named_edges(root: Path) -> set[tuple[str, str, str]]:
    truth = read_true_graph(root / "graphs" / "C09V01-TST.EX01-png.json")
    names = [c for c, _ in truth.symbols]
    return {(*sorted((names[a], names[b])), kind) for a, b, kind in truth.edges()}  # type: ignore[misc]


def test_connectivity_reads_centre_lines_nodes_and_nesting(dexpi_dir: Path) -> None:
    found = read_connectivity(dexpi_dir / "C09V01-TST.EX01.xml")
    assert sum(not line.signal for line in found.lines) == 5 and sum(line.signal for line in found.lines) == 3
    assert found.parent["nozzle-1"] == "tank-1" and found.classes["plug-1"] == "PlugValve"
    assert found.nested_nodes(["tank-1"]).tolist() == [[40.0, 50.0], [45.0, 50.0]]  # not the unset (0, 0)
    assert found.undrawn_segments == 0


def test_import_writes_the_true_graph_of_pipes_and_signal_lines(dexpi_dir: Path, tmp_path: Path) -> None:
    root = _import(dexpi_dir, tmp_path / "ds")
    assert _named_edges(root) == {
        ("pump", "vessel", "solid"),  # through the tank's nozzle
        ("control_valve", "pump", "solid"),
        ("ball_valve", "control_valve", "solid"),  # through the plug valve, which has no class
        ("control_valve", "instrument_field", "dashed"),  # to the actuator
    }  # the second instrument's signal line taps the pipe and joins nothing
    sheet = json.loads((root / "dataset.json").read_text())["sheets"][0]
    assert sheet["lines"] == {"pipe": 5, "signal dashed": 2, "not drawn": 1, "pipe segments without a centre line": 0}
    assert sheet["edges"] == {"solid": 3, "dashed": 1}
    assert sheet["line_ends"]["nothing"] == 1 and sheet["line_ends"]["PlugValve"] == 2  # the free end; the plug


def test_a_signal_line_drawn_whole_is_solid_and_joins_the_pipe(tmp_path: Path) -> None:
    src = tmp_path / "C09 capillary"
    src.mkdir()
    (src / "C09V01-TST.EX01.xml").write_text(PROTEUS, encoding="utf-8")
    image = _render()
    _solid(image, (144, 80), (140, 80), (140, 50))  # the measuring line drawn whole
    cv2.imwrite(str(src / "C09V01-TST.EX01.png"), image)
    edges = _named_edges(_import(src, tmp_path / "ds"))
    assert ("ball_valve", "instrument_field", "solid") in edges and (
        "control_valve",
        "instrument_field",
        "solid",
    ) in edges


def test_ink_cover_tells_dashes_from_a_whole_line() -> None:
    image = np.full((60, 400, 3), 255, np.uint8)
    cv2.line(image, (10, 20), (390, 20), (0, 0, 0), 2)
    for x in range(10, 390, 40):
        cv2.line(image, (x, 43), (x + 26, 43), (0, 0, 0), 2)
    ink = image.min(axis=2) < 160
    assert ink_cover(np.array([[10.0, 23.0], [390.0, 23.0]]), ink, 4) > 0.95  # 3 px off: found at its best offset
    assert 0.5 < ink_cover(np.array([[10.0, 43.0], [390.0, 43.0]]), ink, 4) < 0.85


def test_true_symbol_trace_passes_pipes_through_symbols_of_no_class(dexpi_dir: Path, tmp_path: Path) -> None:
    root = _import(dexpi_dir, tmp_path / "ds")
    data = SegmentationDataset(root)
    image, mask = data[0]
    assert (mask == IGNORE_INDEX).any()  # the plug valve's and the nozzle's ink is not scored
    traced = edge_graph(true_symbol_graph(image, mask, data.read_boxes(0), CLASS_NAMES))
    names = [c for c, _ in traced.symbols]
    assert ("ball_valve", "control_valve", "solid") in {
        (*sorted((names[a], names[b])), k) for a, b, k in traced.edges()
    }
    scores = score_dataset_graphs(root)
    assert scores.total("all").recall == 1.0


def test_nodes_written_relative_to_their_symbol_are_placed_by_its_position(tmp_path: Path) -> None:
    # COMOS writes a symbol's connection nodes in its own coordinates, relative to its Position
    src = tmp_path / "C09 local nodes"
    src.mkdir()
    position = (
        '<Position><Location X="70" Y="50" Z="0"/><Axis X="0" Y="0" Z="1"/><Reference X="1" Y="0" Z="0"/></Position>'
    )
    local = PROTEUS.replace(
        f"{_circle(70, 50, 6)}{_nodes((64, 50), (76, 50))}", f"{position}{_circle(70, 50, 6)}{_nodes((-6, 0), (6, 0))}"
    )
    assert local != PROTEUS
    (src / "C09V01-TST.EX01.xml").write_text(local, encoding="utf-8")
    cv2.imwrite(str(src / "C09V01-TST.EX01.png"), _render())
    found = read_connectivity(src / "C09V01-TST.EX01.xml")
    assert found.nodes["pump-1"].tolist() == [[64.0, 50.0], [76.0, 50.0]]
    assert ("pump", "vessel", "solid") in _named_edges(_import(src, tmp_path / "ds"))
