"""Port naming accuracy: do a graph's port names agree with the ports the generator drew?

The true graph of a synthetic sheet (:mod:`.edges`) names each terminal of a circuit symbol that a
line reaches (``Gate``, ``Emitter``, ``InP``, ...) and gives its point. A true port is scored on
the predicted symbol matched to its symbol (:func:`~.edge_score.match_symbols`): the predicted
port nearest the true terminal (no farther than half the symbol's longer side) is the one that
names it. It is *right* when the names agree, *right as CI2N reads it* when they agree up to the
ports that CI2N's ``device_def.toml`` merges (``port_merge``: a MOSFET's drain and source, the two
ends of a resistor, capacitor, inductor, switch or source; the GED scorer itself, :mod:`.ci2n_graph`,
gives a source's two ends different edge types, so there a swapped source still costs), and *not
found* when the symbol was not matched or has no port near the terminal. Naming is scored apart
from wiring: a port named right on the wrong net is still right here; the edge score
(:mod:`.edge_score`) and the netlist score judge the nets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .edges import EdgeGraph, TruePort
from .ports import CI2N_TYPES

__all__ = ["INTERCHANGEABLE_PORTS", "PortCounts", "score_ports", "sum_port_counts"]

_ENDS = frozenset({"Pos", "Neg"})
INTERCHANGEABLE_PORTS: dict[str, frozenset[str]] = {
    "NMOS": frozenset({"Drain", "Source"}),
    "PMOS": frozenset({"Drain", "Source"}),
    "Res": _ENDS,
    "Cap": _ENDS,
    "Ind": _ENDS,
    "Switch": _ENDS,
    "Voltage": frozenset({"Positive", "Negative"}),
    "Current": frozenset({"In", "Out"}),
}
"""Ports of a CI2N type that ``device_def.toml``'s ``port_merge`` merges (swapping them is no naming error)."""


@dataclass(frozen=True)
class PortCounts:
    """True ports, those named right, right up to :data:`INTERCHANGEABLE_PORTS`, and those not found."""

    true: int = 0
    right: int = 0
    right_ci2n: int = 0
    not_found: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.true if self.true else math.nan

    @property
    def accuracy_ci2n(self) -> float:
        return self.right_ci2n / self.true if self.true else math.nan

    def __add__(self, other: PortCounts) -> PortCounts:
        return PortCounts(
            self.true + other.true,
            self.right + other.right,
            self.right_ci2n + other.right_ci2n,
            self.not_found + other.not_found,
        )

    def to_dict(self) -> dict[str, object]:
        rates = {"accuracy": self.accuracy, "accuracy_ci2n": self.accuracy_ci2n}
        return {
            "true": self.true,
            "right": self.right,
            "right_ci2n": self.right_ci2n,
            "not_found": self.not_found,
            **{k: None if math.isnan(v) else round(v, 4) for k, v in rates.items()},
        }


def score_ports(
    pred_symbols: Sequence[Mapping[str, Any]], truth: EdgeGraph, matches: Mapping[int, int]
) -> dict[str, PortCounts]:
    """Port counts of one sheet per true symbol class.

    Args:
        pred_symbols: the ``symbols`` of a predicted graph's JSON (``class_name``, ``bbox``, ``ports``
            with ``name`` and ``at``), in the order :func:`~.edge_score.match_symbols` numbered them.
        truth: the true graph, whose nets carry the named ports.
        matches: predicted symbol position -> true symbol position.

    >>> from schemseg_sdk.graph.edges import TrueNet
    >>> truth = EdgeGraph((("npn", (0, 0, 20, 30)),), (TrueNet((0,), "solid", None, (TruePort(0, "Base", (0, 15)),)),))
    >>> pred = [{"class_name": "npn", "bbox": [0, 0, 20, 30], "ports": [{"name": "Base", "at": [1, 15]}]}]
    >>> score_ports(pred, truth, {0: 0})["npn"]
    PortCounts(true=1, right=1, right_ci2n=1, not_found=0)
    """
    by_truth = {t: p for p, t in matches.items()}
    counts: dict[str, PortCounts] = {}
    for port in _true_ports(truth):
        class_name, box = truth.symbols[port.symbol]
        matched = by_truth.get(port.symbol)
        name = None if matched is None else _nearest_name(pred_symbols[matched], port, box)
        same = name == port.name
        alike = same or (name is not None and _interchangeable(class_name, name, port.name))
        counts[class_name] = counts.get(class_name, PortCounts()) + PortCounts(1, int(same), int(alike), int(not name))
    return counts


def sum_port_counts(sheets: Sequence[Mapping[str, PortCounts]]) -> dict[str, PortCounts]:
    """Per-class counts summed over sheets, plus ``"all"`` over every class."""
    total: dict[str, PortCounts] = {}
    for sheet in sheets:
        for class_name, c in sheet.items():
            total[class_name] = total.get(class_name, PortCounts()) + c
            total["all"] = total.get("all", PortCounts()) + c
    return dict(sorted(total.items()))


def _true_ports(truth: EdgeGraph) -> list[TruePort]:
    """Each named terminal once (a terminal on a net that a label joins is listed once per net)."""
    seen: dict[tuple[int, str], TruePort] = {}
    for net in truth.nets:
        for port in net.ports:
            seen.setdefault((port.symbol, port.name), port)
    return list(seen.values())


def _nearest_name(symbol: Mapping[str, Any], port: TruePort, box: tuple[int, int, int, int]) -> str | None:
    reach = max(box[2] - box[0], box[3] - box[1]) / 2
    best, name = reach, None
    for candidate in symbol.get("ports", []):
        x, y = candidate["at"]
        distance = math.hypot(float(x) - port.at[0], float(y) - port.at[1])
        if distance <= best:
            best, name = distance, str(candidate["name"])
    return name


def _interchangeable(class_name: str, a: str, b: str) -> bool:
    group = INTERCHANGEABLE_PORTS.get(CI2N_TYPES.get(class_name, ""), frozenset())
    return a in group and b in group
