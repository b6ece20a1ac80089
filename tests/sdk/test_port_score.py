"""Port naming scores: hand-made true and predicted ports (right, swapped, CI2N-alike, not found)."""

from __future__ import annotations

import pytest

from schemseg_sdk.graph.edges import EdgeGraph, TrueNet, TruePort
from schemseg_sdk.graph.port_score import PortCounts, score_ports, sum_port_counts


def _truth(class_name: str, first: str, second: str) -> EdgeGraph:
    """One upright two-terminal symbol 10 px wide, 40 px tall: ``first`` at the top, ``second`` at the bottom."""
    ports = (TruePort(0, first, (5.0, 0.0)), TruePort(0, second, (5.0, 40.0)))
    return EdgeGraph(
        ((class_name, (0, 0, 10, 41)),),
        (TrueNet((0,), "solid", None, ports[:1]), TrueNet((0,), "solid", None, ports[1:])),
    )


def _pred(class_name: str, top: str, bottom: str) -> list[dict[str, object]]:
    ports = [{"name": top, "at": [5.0, -2.0], "net": 0}, {"name": bottom, "at": [5.0, 42.0], "net": 1}]
    return [{"class_name": class_name, "bbox": [0, 0, 10, 41], "ports": ports}]


def test_ports_named_as_drawn_are_right() -> None:
    counts = score_ports(_pred("diode", "In", "Out"), _truth("diode", "In", "Out"), {0: 0})
    assert counts == {"diode": PortCounts(true=2, right=2, right_ci2n=2, not_found=0)}


@pytest.mark.parametrize(
    ("class_name", "first", "second", "alike"),
    [("resistor", "Pos", "Neg", 2), ("diode", "In", "Out", 0), ("nmos", "Drain", "Source", 2)],
)
def test_swapped_ports_are_wrong_and_right_as_ci2n_reads_them_only_where_its_scorer_merges_them(
    class_name: str, first: str, second: str, alike: int
) -> None:
    counts = score_ports(_pred(class_name, second, first), _truth(class_name, first, second), {0: 0})[class_name]
    assert (counts.right, counts.right_ci2n, counts.not_found) == (0, alike, 0)


def test_an_unmatched_symbol_or_a_far_port_is_not_found() -> None:
    truth = _truth("resistor", "Pos", "Neg")
    assert score_ports(_pred("resistor", "Pos", "Neg"), truth, {})["resistor"].not_found == 2
    far = [{"class_name": "resistor", "bbox": [0, 0, 10, 41], "ports": [{"name": "Pos", "at": [5.0, 90.0], "net": 0}]}]
    assert score_ports(far, truth, {0: 0})["resistor"] == PortCounts(2, 0, 0, 2)


def test_sheet_counts_sum_per_class_and_over_all() -> None:
    a, b = PortCounts(2, 1, 2, 0), PortCounts(3, 3, 3, 0)
    total = sum_port_counts([{"npn": a}, {"npn": b, "resistor": a}])
    assert total["npn"] == a + b and total["all"] == a + a + b
    assert total["all"].accuracy == 5 / 7
