"""Port names traced from the true mask of generated transistors, against the ports the generator drew."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from schemseg_sdk.boxes import SheetBoxes
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.graph.edge_score import match_symbols, true_symbol_graph
from schemseg_sdk.graph.edges import EdgeGraph, edge_graph, read_true_graph, write_true_graph
from schemseg_sdk.graph.port_score import score_ports
from schemseg_training.synth.canvas import SheetCanvas
from schemseg_training.synth.catalog import build_shape
from schemseg_training.synth.connections import true_nets
from schemseg_training.synth.layout import Layout
from schemseg_training.synth.strokes import Pen


def _wired_transistor(
    folder: Path, name: str, seed: int, orient: tuple[int, bool]
) -> tuple[np.ndarray, np.ndarray, SheetBoxes, EdgeGraph]:
    """``name`` at the centre of a small sheet, each terminal wired 30 px out to a resistor."""
    lay = Layout(SheetCanvas(200), np.random.default_rng(seed), Pen(width=2, font=cv2.FONT_HERSHEY_SIMPLEX), 12.0, 10.0)
    placed = lay.place(name, None, (100, 100), orient, scale=12.0, shape=build_shape(name, lay.rng))
    assert placed is not None
    for x, y in placed.terminals.values():
        away = (np.sign(x - 100), 0.0) if abs(x - 100) > abs(y - 100) else (0.0, np.sign(y - 100))
        out = (x + away[0] * 30, y + away[1] * 30)
        lay.wire((x, y), out)
        lay.place("resistor", "a", out, (0 if away[1] == 0 else 1, False), scale=6.0)
    canvas = lay.canvas
    image = cv2.cvtColor(255 - canvas.ink, cv2.COLOR_GRAY2BGR)
    write_true_graph(folder / "truth.json", canvas.instances, true_nets(canvas.connections), CLASS_NAMES)
    return image, canvas.mask, SheetBoxes(tuple(canvas.instances)), read_true_graph(folder / "truth.json")


@pytest.mark.parametrize("name", ["npn", "pnp"])
def test_a_bipolar_transistors_emitter_is_found_whichever_way_it_is_drawn(name: str, tmp_path: Path) -> None:
    """The emitter's arrow is in the drawn strokes, not in the mask, which fills the transistor's circle;
    and the base lead, along the collector-emitter bisector, is not weighed."""
    wrong = []
    for seed in range(4):
        for orient in [(0, False), (1, False), (2, False), (3, True)]:
            image, mask, boxes, truth = _wired_transistor(tmp_path, name, seed, orient)
            graph = true_symbol_graph(image, mask, boxes, CLASS_NAMES).to_dict()
            counts = score_ports(graph["symbols"], truth, match_symbols(edge_graph(graph), truth))[name]
            assert counts.true == 3
            if counts.right != 3:
                wrong.append((seed, orient, counts))
    assert not wrong
