"""A model's masks that run out along a line (tails): a short signal line between them is traced again."""

from __future__ import annotations

import numpy as np
from graph_drawings import Sheet, bubble_and_valve

from schemseg_sdk.classes import class_index
from schemseg_sdk.graph import build_graph, graph_from_arrays
from schemseg_sdk.graph.tails import peel_tails
from schemseg_sdk.result import SegmentationResult
from schemseg_sdk.symbols import Symbol


def _model_mask(sheet: Sheet, name: str, body: tuple[int, int, int, int], tail: tuple[int, int, int, int]) -> Symbol:
    """Label ``body`` filled (a model fills a bubble's outline) and a strip ``tail`` as ``name``; its symbol."""
    for x0, y0, x1, y1 in (body, tail):
        sheet.mask[y0:y1, x0:x1] = class_index(name)
    box = (min(body[0], tail[0]), min(body[1], tail[1]), max(body[2], tail[2]), max(body[3], tail[3]))
    return Symbol(class_index(name), name, box, 0, 1.0)


def _two_dash_signal_line() -> tuple[Sheet, list[Symbol]]:
    """A bubble and a valve joined by a signal line of two dashes, each dash under one mask's tail."""
    sheet = bubble_and_valve().dashed(40, 70, 80, dash=10, gap=6)  # dashes at x 40-50 and 56-66
    sheet.mask[:] = 0
    symbols = [
        _model_mask(sheet, "instrument_field", (10, 60, 40, 100), (40, 78, 51, 82)),
        _model_mask(sheet, "control_valve", (70, 60, 100, 100), (55, 78, 70, 82)),
    ]
    return sheet, symbols


def _port_nets(graph) -> list[set[int]]:  # type: ignore[no-untyped-def]
    return [{p.net for p in s.ports} for s in graph.symbols]


def test_a_signal_line_swallowed_by_two_tails_is_lost_without_peeling() -> None:
    sheet, symbols = _two_dash_signal_line()
    graph = graph_from_arrays(sheet.image, sheet.mask, symbols)
    bubble, valve = _port_nets(graph)
    assert not bubble & valve


def test_peeled_tails_give_the_dashes_back_to_the_signal_line() -> None:
    sheet, symbols = _two_dash_signal_line()
    graph = graph_from_arrays(sheet.image, sheet.mask, symbols, peel_tails=True)
    bubble, valve = _port_nets(graph)
    (shared,) = bubble & valve
    assert graph.net(shared).kind == "dashed"


def test_build_graph_peels_the_model_masks_tails() -> None:
    sheet, symbols = _two_dash_signal_line()
    result = SegmentationResult(sheet.mask, None, symbols, {}, "<array>", sheet.image)
    bubble, valve = _port_nets(build_graph(result))
    (shared,) = bubble & valve
    assert build_graph(result).net(shared).kind == "dashed"


def test_a_thin_mask_without_a_body_and_a_circuit_symbol_keep_their_masks() -> None:
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 10:12] = class_index("flange")  # a flange: a bar two pixels wide, all of it thin
    mask[5:15, 30:40] = class_index("resistor")  # a body with a lead: a circuit symbol's lead is its own
    mask[9:11, 40:55] = class_index("resistor")
    symbols = [
        Symbol(class_index("flange"), "flange", (10, 10, 12, 30), 40, 1.0),
        Symbol(class_index("resistor"), "resistor", (30, 5, 55, 15), 130, 1.0),
    ]
    assert peel_tails(mask, symbols, 1.0) is mask


def test_a_tail_is_peeled_and_a_thin_part_inside_the_box_is_not() -> None:
    name = "control_valve"
    mask = np.zeros((40, 60), np.uint8)
    mask[20:30, 10:30] = class_index(name)  # the body
    mask[10:20, 19:21] = class_index(name)  # an actuator's stem up to
    mask[4:10, 14:26] = class_index(name)  # its actuator, at the top of the box
    mask[24:26, 30:45] = class_index(name)  # a tail along the pipe to the right
    symbol = Symbol(class_index(name), name, (10, 4, 45, 30), 0, 1.0)
    peeled = peel_tails(mask, [symbol], 1.0)
    assert not peeled[24:26, 31:45].any() and peeled[10:20, 19:21].all()
    assert mask[24:26, 30:45].all()  # the caller's mask is left as it was
