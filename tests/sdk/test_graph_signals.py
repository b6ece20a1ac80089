"""Signal lines on P&IDs drawn in code: lines too short to show their dashes, dense dots, light short dashes."""

from __future__ import annotations

import cv2
from graph_drawings import Sheet, bubble_and_valve

from schemseg_sdk.graph import SheetGraph, graph_from_arrays
from schemseg_sdk.graph.lines import thin_line_ink


def _graph(sheet: Sheet) -> SheetGraph:
    return graph_from_arrays(sheet.image, sheet.mask, sheet.symbols)


def _port_nets(graph: SheetGraph) -> list[set[int]]:
    return [{p.net for p in s.ports} for s in graph.symbols]


def _assert_dashed_join(sheet: Sheet) -> None:
    """The sheet's first symbol, a bubble with one port, is on a dashed net with its second symbol."""
    graph = _graph(sheet)
    (bubble,), other = _port_nets(graph)
    assert bubble in other and graph.net(bubble).kind == "dashed"


def test_a_dashed_line_ending_short_of_a_vessel_nozzle_joins_the_vessel() -> None:
    # on a sheet of 1 px strokes the nozzle (a stub and its flange bar, drawn to the vessel's scale) is
    # longer than a dash; the signal line's last dash stops a gap short of the flange
    sheet = Sheet().box_symbol("instrument_field", 10, 65, 40, 95, pen=1).box_symbol("vessel", 120, 30, 180, 130, pen=1)
    cv2.line(sheet.image, (104, 80), (119, 80), (0, 0, 0), 1)  # the nozzle's stub
    cv2.line(sheet.image, (104, 73), (104, 87), (0, 0, 0), 1)  # its flange
    for x in range(42, 98, 10):
        cv2.line(sheet.image, (x, 80), (x + 5, 80), (0, 0, 0), 1)
    _assert_dashed_join(sheet)


def test_a_faint_dotted_line_joins_its_bubble_and_valve() -> None:
    # a dotted fine line, blurred: each dot a valley two pixels long and lighter than 200
    sheet = bubble_and_valve()
    for x in range(43, 67, 5):
        sheet.image[80, x : x + 2] = 200
        sheet.image[79, x : x + 2] = sheet.image[81, x : x + 2] = 238
    _assert_dashed_join(sheet)


def test_the_feet_of_light_letters_are_no_faint_dots() -> None:
    # notes text is background to the model: the light rims along its letters' feet are no dotted line
    sheet = Sheet(400, 100)
    for y in (30, 60, 90):
        cv2.putText(
            sheet.image, "CLOSED SEALED LOCKED", (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (60, 60, 60), 1, cv2.LINE_AA
        )
    gray = sheet.image[..., 0]
    assert not (thin_line_ink(sheet.image) & (gray > 200)).any()


def test_dense_dots_whose_middles_run_into_one_dark_row_are_a_signal_line() -> None:
    # the middle rows stay dark between the dots (the darkest gray rises by 27 only); the rows above and
    # below show the dots, so each cross-section between two dots holds much less ink
    sheet = bubble_and_valve()
    sheet.image[80:82, 40:70] = 62
    sheet.image[79, 40:70] = sheet.image[82, 40:70] = 230
    for x in range(40, 70, 4):
        sheet.image[80:82, x : x + 2] = 35
        sheet.image[79, x : x + 2] = sheet.image[82, x : x + 2] = 80
    _assert_dashed_join(sheet)


def test_two_dashes_of_a_pen_wider_than_the_sheets_strokes_join_two_bubbles() -> None:
    # the sheet's strokes are 1 px (its stroke width); the signal line's pen is 3 px and anti-aliased to 4
    sheet = Sheet().box_symbol("instrument_field", 10, 60, 40, 100, pen=1)
    sheet.box_symbol("instrument_panel", 70, 60, 100, 100, pen=1)
    for x0, x1 in ((40, 52), (58, 70)):
        sheet.image[79:82, x0:x1] = 20
        sheet.image[78, x0:x1] = 90
    _assert_dashed_join(sheet)


def test_a_dashed_line_ending_in_an_arrowhead_at_its_bubble_joins_the_bubble() -> None:
    # CAD tools draw a signal line's direction as an arrowhead at the instrument (a COMOS PDF at 150 dpi:
    # 1 px strokes, the line two rows thick, dashes 8 px with gaps of 8): its tip touches the bubble,
    # its arms open towards the last dash, and along the line's own rows the tip lies 10 px from the
    # last dash, further than a dash gap
    sheet = Sheet()
    sheet.box_symbol("instrument_field", 10, 65, 40, 95, pen=1)
    sheet.box_symbol("control_valve", 140, 60, 170, 100, pen=1)
    cv2.line(sheet.image, (40, 78), (40, 83), (0, 0, 0), 1)  # the arrowhead: its tip on the bubble, its arms
    cv2.line(sheet.image, (40, 78), (44, 76), (0, 0, 0), 1)
    cv2.line(sheet.image, (40, 83), (44, 85), (0, 0, 0), 1)
    for x in range(51, 140, 16):
        sheet.image[80:82, x : min(x + 8, 140)] = 0
    _assert_dashed_join(sheet)


def test_a_dashed_line_turning_a_corner_stays_one_line() -> None:
    # a CAD tool restarts the dash pattern on each straight piece of a signal line: the last dash
    # along x stops a few pixels short of the corner and the first dash down starts on the row,
    # so the two rows of dashes, each joined along its own direction, do not touch
    sheet = Sheet()
    sheet.box_symbol("instrument_field", 10, 25, 40, 55, pen=1)
    sheet.box_symbol("control_valve", 100, 100, 130, 130, pen=1)
    for x in range(41, 118, 16):
        sheet.image[40:42, x : x + 8] = 0
    for y in range(40, 100, 16):
        sheet.image[y : y + 8, 115:117] = 0
    _assert_dashed_join(sheet)
