"""`schemseg data import-dexpi` on a small Proteus XML written here and a rendering drawn in code."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result
from dexpi_case import write_case

from schemseg_sdk.boxes import read_boxes
from schemseg_sdk.classes import CLASS_NAMES, IGNORE_INDEX, class_index
from schemseg_sdk.cli import main
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_training.data.dexpi import DexpiSettings, import_dexpi, load_dexpi_map
from schemseg_training.data.dexpi_align import place_drawing
from schemseg_training.data.dexpi_xml import read_proteus

# The rendering: 9 px per mm, the sheet 60 px from the left and 40 px from the top, y pointing down.
SCALE, LEFT, TOP, SHEET_H = 9.0, 60.0, 40.0, 100.0

_POSITION = '<Position><Location X="{x}" Y="{y}" Z="0"/><Axis X="0" Y="0" Z="1"/><Reference X="{rx}" Y="{ry}" Z="0"/></Position>'


def _pos(x: float, y: float, rx: float = 1, ry: float = 0) -> str:
    return _POSITION.format(x=x, y=y, rx=rx, ry=ry)


def _line(*points: tuple[float, float]) -> str:
    return "<PolyLine>" + "".join(f'<Coordinate X="{x}" Y="{y}"/>' for x, y in points) + "</PolyLine>"


def _circle(x: float, y: float, r: float) -> str:
    return f'<Circle Radius="{r}">{_pos(x, y)}</Circle>'


def _bowtie(x: float, y: float) -> str:
    return _line((x - 5, y - 3), (x - 5, y + 3), (x + 5, y - 3), (x + 5, y + 3), (x - 5, y - 3))


PROTEUS = f"""<?xml version="1.0" encoding="utf-8"?>
<PlantModel>
  <PlantInformation Units="mm"/>
  <Drawing Name="test"><Extent><Min X="0" Y="0"/><Max X="200" Y="{SHEET_H}"/></Extent></Drawing>
  <ShapeCatalogue>
    <PipingComponent ComponentName="BALL_SHAPE">{_line((-5, -3), (-5, 3), (5, -3), (5, 3), (-5, -3))}{_circle(0, 0, 2)}</PipingComponent>
  </ShapeCatalogue>
  <PipingNetworkSystem ID="pipe-1">
    <PipingNetworkSegment ID="seg-1"><CenterLine><Coordinate X="10" Y="50"/><Coordinate X="190" Y="50"/></CenterLine>
      <PipingComponent ID="valve-1" ComponentClass="GlobeValve">{_pos(50, 50)}{_bowtie(50, 50)}</PipingComponent>
      <PipingComponent ID="ball-1" ComponentClass="BallValve" ComponentName="BALL_SHAPE">{_pos(85, 40, 0, 1)}</PipingComponent>
      <PipingComponent ID="plug-1" ComponentClass="PlugValve">{_bowtie(160, 50)}</PipingComponent>
      <PipingComponent ID="odd-1" ComponentClass="FancyWidget">{_line((175, 45), (185, 55))}</PipingComponent>
    </PipingNetworkSegment>
  </PipingNetworkSystem>
  <Equipment ID="pump-1" ComponentClass="CentrifugalPump">{_circle(120, 50, 8)}
    <Label ID="label-1"><Text String="P-101" Height="4"><Extent><Min X="112" Y="62"/><Max X="132" Y="68"/></Extent></Text></Label>
  </Equipment>
  <ProcessInstrumentationFunction ID="pif-1" ComponentClass="ProcessInstrumentationFunction">
    <GenericAttributes><GenericAttribute Name="LocationSpecialization" Value="CentralLocation"/></GenericAttributes>
    {_circle(50, 80, 6)}
  </ProcessInstrumentationFunction>
  <ActuatingSystem ID="as-1" ComponentClass="ActuatingSystem">
    <ActuatingSystemComponent ID="act-1" ComponentClass="ControlledActuator">{_line((50, 53), (50, 60))}{_line((46, 60), (54, 60))}</ActuatingSystemComponent>
    <ActuatingSystemComponent ID="ref-1" ComponentClass="OperatedValveReference"><Association Type="refers to" ItemID="valve-1"/></ActuatingSystemComponent>
  </ActuatingSystem>
</PlantModel>
"""


def _px(x: float, y: float) -> tuple[int, int]:
    return round(SCALE * x + LEFT), round(SCALE * (SHEET_H - y) + TOP)


def _draw_polyline(image: np.ndarray, *points: tuple[float, float]) -> None:
    cv2.polylines(image, [np.array([_px(*p) for p in points], np.int32)], False, (0, 0, 0), 3)


def _render() -> np.ndarray:
    """The XML above as a tool would draw it (black on white), the ball valve's catalogue shape turned 90 degrees."""
    image = np.full((1000, 1920, 3), 255, np.uint8)
    _draw_polyline(image, (10, 50), (190, 50))
    for x in (50, 160):
        _draw_polyline(image, (x - 5, 47), (x - 5, 53), (x + 5, 47), (x + 5, 53), (x - 5, 47))
    _draw_polyline(image, (88, 35), (82, 35), (88, 45), (82, 45), (88, 35))  # the ball valve, rotated
    cv2.circle(image, _px(85, 40), round(2 * SCALE), (0, 0, 0), 3)
    _draw_polyline(image, (175, 45), (185, 55))
    cv2.circle(image, _px(120, 50), round(8 * SCALE), (0, 0, 0), 3)
    cv2.circle(image, _px(50, 80), round(6 * SCALE), (0, 0, 0), 3)
    _draw_polyline(image, (50, 53), (50, 60))
    _draw_polyline(image, (46, 60), (54, 60))
    cv2.putText(image, "P-101", _px(113, 63), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3)
    return image


@pytest.fixture()
def dexpi_dir(tmp_path: Path) -> Path:
    return write_case(tmp_path, PROTEUS, _render())


def _settings(**changes: object) -> DexpiSettings:
    _, class_map = load_dexpi_map("dexpi")
    return DexpiSettings(class_map, **changes)  # type: ignore[arg-type]


def test_placement_recovers_scale_margins_and_flipped_y(dexpi_dir: Path) -> None:
    drawing = read_proteus(dexpi_dir / "C09V01-TST.EX01.xml")
    placement = place_drawing(drawing, _render())
    assert placement.sx == pytest.approx(SCALE, rel=0.01) and placement.sy == pytest.approx(SCALE, rel=0.01)
    assert placement.to_pixels(np.array([[120.0, 50.0]]))[0] == pytest.approx(_px(120, 50), abs=2)
    assert placement.score > 0.9


def test_import_writes_boxes_classes_and_unmapped_counts(dexpi_dir: Path, tmp_path: Path) -> None:
    report = import_dexpi(dexpi_dir, tmp_path / "ds", _settings())
    assert report.written == 1 and not report.skipped
    boxes = read_boxes(tmp_path / "ds" / "boxes" / "C09V01-TST.EX01-png.json")
    by_class = {CLASS_NAMES[c]: box for c, box in boxes.symbols}
    assert sorted(by_class) == ["ball_valve", "control_valve", "designation", "instrument_panel", "pump"]
    x0, y0, x1, y1 = by_class["pump"]  # the pipe's ink inside the (padded) box widens it
    assert (x0, y0) == pytest.approx(_px(112, 58), abs=8) and (x1, y1) == pytest.approx(_px(128, 42), abs=8)
    x0, y0, x1, y1 = by_class["control_valve"]  # the valve and its actuator in one box
    assert (x0, y0) == pytest.approx(_px(45, 60), abs=8) and (x1, y1) == pytest.approx(_px(55, 47), abs=8)
    x0, y0, x1, y1 = by_class["ball_valve"]  # the catalogue shape placed turned by 90 degrees
    assert (x1 - x0) < (y1 - y0) and (x0 + x1) / 2 == pytest.approx(_px(85, 40)[0], abs=3)
    assert len(boxes.ignore) == 2  # the plug valve (no class) and the class the map lacks
    assert dict(report.no_class) == {"PlugValve": 1} and dict(report.not_in_map) == {"FancyWidget": 1}
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["no_class"] == {"PlugValve": 1} and meta["not_in_map"] == {"FancyWidget": 1}
    assert meta["symbols"]["control_valve"] == 1 and meta["sheets"][0]["alignment_score"] > 0.9


def test_masks_give_dark_ink_its_class_and_ignore_unclassed_symbols(dexpi_dir: Path, tmp_path: Path) -> None:
    import_dexpi(dexpi_dir, tmp_path / "ds", _settings(score_dark_only=True))
    _, mask = SegmentationDataset(tmp_path / "ds")[0]
    x, y = _px(120, 58)  # top of the pump's circle
    assert mask[y, x] == class_index("pump")
    x, y = _px(160, 53)  # the plug valve: no project class
    assert mask[y, x] == IGNORE_INDEX
    assert mask[5, 5] == IGNORE_INDEX  # paper is not scored in an evaluation set
    assert (mask == class_index("instrument_panel")).any()


def test_a_rendering_drawn_elsewhere_is_skipped_not_imported(dexpi_dir: Path, tmp_path: Path) -> None:
    blank = np.full((1000, 1920, 3), 255, np.uint8)
    cv2.line(blank, (100, 900), (1800, 120), (0, 0, 0), 3)
    cv2.imwrite(str(dexpi_dir / "C09V01-TST.EX01-OTH.IM01.png"), blank)
    report = import_dexpi(dexpi_dir, tmp_path / "ds", _settings())
    assert report.written == 1
    assert len(report.skipped) == 1 and "C09V01-TST.EX01-OTH.IM01.png: alignment not established" in report.skipped[0]


def _cli(src: Path, out: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["data", "import-dexpi", str(src), "--out", str(out), *extra])


def test_cli_imports_and_prints_what_had_no_class(dexpi_dir: Path, tmp_path: Path) -> None:
    result = _cli(dexpi_dir, tmp_path / "ds", "--score-dark-only")
    assert result.exit_code == 0, result.output
    assert "no project class (ignored, 255): 1: PlugValve 1" in result.output
    assert "not in the map (ignored, 255): 1: FancyWidget 1" in result.output
    assert "wrote " in result.output and "(1 sheets; 0 renderings skipped" in result.output


def test_cli_missing_rendering(tmp_path: Path) -> None:
    src = tmp_path / "C09 only xml"
    src.mkdir()
    (src / "C09V01-TST.EX01.xml").write_text(PROTEUS, encoding="utf-8")
    result = _cli(src, tmp_path / "ds")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {src}: no renderings (.png, .jpg, .pdf...) of DEXPI Proteus XML files found (cases: all)\n"
    )


def test_cli_malformed_xml(dexpi_dir: Path, tmp_path: Path) -> None:
    xml = dexpi_dir / "C09V01-TST.EX01.xml"
    xml.write_text("<PlantModel><Drawing>", encoding="utf-8")
    result = _cli(dexpi_dir, tmp_path / "ds")
    assert result.exit_code == 1
    assert result.output[result.output.index("Error:") :].startswith(
        f"Error: {dexpi_dir}: none of the 1 renderings could be imported:\n"
        f"  {dexpi_dir / 'C09V01-TST.EX01.png'}: {xml}: not a readable Proteus XML file"
    )
    assert not (tmp_path / "ds").exists()


def test_an_actuator_without_its_valve_is_not_scored(tmp_path: Path) -> None:
    src = tmp_path / "C09 lone actuator"
    src.mkdir()
    lone = PROTEUS.replace('<Association Type="refers to" ItemID="valve-1"/>', "").replace(
        f"{_line((50, 53), (50, 60))}{_line((46, 60), (54, 60))}", _line((20, 85), (28, 85))
    )
    (src / "C09V01-TST.EX01.xml").write_text(lone, encoding="utf-8")
    cv2.imwrite(str(src / "C09V01-TST.EX01.png"), _render())
    report = import_dexpi(src, tmp_path / "ds", _settings())
    assert report.symbols["globe_valve"] == 1 and "control_valve" not in report.symbols
    assert report.no_class["ControlledActuator"] == 1


def test_a_valve_of_no_class_with_an_actuator_is_a_control_valve(tmp_path: Path) -> None:
    src = tmp_path / "C09 actuated plug valve"
    src.mkdir()
    (src / "C09V01-TST.EX01.xml").write_text(PROTEUS.replace('ItemID="valve-1"', 'ItemID="plug-1"'), encoding="utf-8")
    cv2.imwrite(str(src / "C09V01-TST.EX01.png"), _render())
    report = import_dexpi(src, tmp_path / "ds", _settings())
    assert report.symbols["control_valve"] == 1 and report.symbols["globe_valve"] == 1
    assert "PlugValve" not in report.no_class


def test_a_flow_arrow_drawn_as_nothing_but_the_pipe_is_not_scored(tmp_path: Path) -> None:
    src = tmp_path / "C09 undrawn arrow"
    src.mkdir()
    arrow = f'<PipeFlowArrow ID="arrow-1" ComponentClass="FlowArrow">{_line((140, 50), (146, 50))}</PipeFlowArrow>'
    (src / "C09V01-TST.EX01.xml").write_text(
        PROTEUS.replace("</PlantModel>", arrow + "</PlantModel>"), encoding="utf-8"
    )
    cv2.imwrite(str(src / "C09V01-TST.EX01.png"), _render())
    report = import_dexpi(src, tmp_path / "ds", _settings())
    assert "flow_arrow" not in report.symbols and report.undrawn["FlowArrow"] == 1 and not report.off_ink
