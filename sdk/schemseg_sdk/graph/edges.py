"""Symbol-to-symbol edges of a graph, and the true graph a synthetic dataset keeps beside each sheet.

An **edge** joins two symbols on the same net: a net of ``n`` symbols gives ``n(n-1)/2`` edges of
the net's kind (``"solid"``: wires, pipes; ``"dashed"``: dashed or dotted signal lines). Nets that
carry the same label (``GND``, ``VDD``) are one net, as the graph of a drawing makes them
(:func:`~schemseg_sdk.graph.graph_from_arrays`). Edges need no port names and no net ids, so a
predicted graph and a true one compare once their symbols are matched.

The true graph of a synthetic sheet, ``graphs/NAME.json`` beside ``images/NAME.png`` (schema
``schemseg.true-graph/1``; written by ``schemseg synth``)::

    {
      "schema": "schemseg.true-graph/1",
      "symbols": [{"id": 4, "class_name": "gate_valve", "bbox": [x0, y0, x1, y1]}],  # id: index in boxes/NAME.json
      "nets": [{"members": [4, 9], "kind": "solid", "label": null,                    # "dashed": signal line
                "ports": [{"symbol": 9, "port": "Gate", "at": [x, y]}]}]             # circuit symbols' ports
    }

``symbols`` lists every box of the sheet whose class is a graph symbol (not text, junctions,
crossovers or flow arrows), connected or not; ``members`` are symbol ids. ``ports`` names, for
each terminal of a circuit symbol that a line of the net reaches, its port in the CI2N vocabulary
(:mod:`.ports`) and the terminal's point; a symbol can be there twice (a MOSFET whose gate is tied
to its drain). Files written before ``ports`` existed read as nets without ports. How the generator
decides a net (out-of-class symbols pass their lines through; crossings do not join) is told in
``docs/graph.md``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ..boxes import Box
from ..errors import DatasetError
from ..fileio import atomic_write_text, read_json_object
from .model import NetKind, SheetGraph
from .roles import class_roles

__all__ = [
    "TRUE_GRAPH_SCHEMA",
    "Edge",
    "EdgeGraph",
    "TrueNet",
    "TruePort",
    "edge_graph",
    "read_edge_graph",
    "read_graph_json",
    "read_true_graph",
    "true_graph_dict",
    "write_true_graph",
]

TRUE_GRAPH_SCHEMA = "schemseg.true-graph/1"
Edge = tuple[int, int, str]
"""``(a, b, kind)``: symbols ``a < b`` (positions in :attr:`EdgeGraph.symbols`) on one net of ``kind``."""


@dataclass(frozen=True)
class TruePort:
    """A named terminal a net reaches: its symbol (id in a file, position once read), port name and point."""

    symbol: int
    name: str
    at: tuple[float, float]

    def to_dict(self) -> dict[str, object]:
        return {"symbol": self.symbol, "port": self.name, "at": [round(self.at[0], 1), round(self.at[1], 1)]}


@dataclass(frozen=True)
class TrueNet:
    """A net as a set of symbols: member ids, kind, label (``"GND"``, ``"VDD"`` or ``None``) and named ports."""

    members: tuple[int, ...]
    kind: NetKind
    label: str | None = None
    ports: tuple[TruePort, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "members": list(self.members),
            "kind": self.kind,
            "label": self.label,
            "ports": [p.to_dict() for p in self.ports],
        }


@dataclass(frozen=True)
class EdgeGraph:
    """Symbols (class name and box) and nets whose members are positions in ``symbols``.

    >>> g = EdgeGraph((("resistor", (0, 0, 9, 4)), ("capacitor", (20, 0, 29, 4)), ("ground", (9, 9, 12, 12))),
    ...               (TrueNet((0, 1), "solid"), TrueNet((1,), "solid", "GND"), TrueNet((2,), "solid", "GND")))
    >>> sorted(g.edges())
    [(0, 1, 'solid'), (1, 2, 'solid')]
    """

    symbols: tuple[tuple[str, Box], ...]
    nets: tuple[TrueNet, ...]

    def edges(self) -> set[Edge]:
        """Every pair of symbols on one net, with the net's kind; nets of one label are joined first."""
        groups: dict[tuple[str, str], set[int]] = {}
        plain: list[TrueNet] = []
        for net in self.nets:
            if net.label:
                groups.setdefault((net.label, net.kind), set()).update(net.members)
            else:
                plain.append(net)
        sets = [(set(net.members), net.kind) for net in plain] + [(m, kind) for (_, kind), m in groups.items()]
        return {(a, b, str(kind)) for members, kind in sets for a, b in combinations(sorted(members), 2)}


def edge_graph(graph: SheetGraph | dict[str, object]) -> EdgeGraph:
    """The symbols and nets of a :class:`~schemseg_sdk.graph.SheetGraph` (or its JSON dict, ``NAME.graph.json``)."""
    data = graph.to_dict() if isinstance(graph, SheetGraph) else graph
    symbols = data.get("symbols", [])
    nets = data.get("nets", [])
    if not isinstance(symbols, list) or not isinstance(nets, list):
        raise DatasetError(f"a graph needs 'symbols' and 'nets' lists, got keys {sorted(data)}")
    on_net: dict[int, set[int]] = {}
    for position, symbol in enumerate(symbols):
        for port in symbol.get("ports", []):
            on_net.setdefault(int(port["net"]), set()).add(position)
    true_nets = tuple(
        TrueNet(tuple(sorted(on_net.get(int(net["id"]), ()))), net.get("kind", "solid"), net.get("label"))
        for net in nets
    )
    boxes = tuple((str(s["class_name"]), _box(s["bbox"])) for s in symbols)
    return EdgeGraph(boxes, true_nets)


def read_edge_graph(path: str | os.PathLike[str]) -> EdgeGraph:
    """Read a predicted ``NAME.graph.json`` (written by ``schemseg segment --graph`` or ``schemseg netlist``)."""
    return edge_graph(read_graph_json(path))


def read_graph_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a predicted ``NAME.graph.json`` as its JSON object, checked to read as a graph.

    Raises:
        DatasetError: unreadable, or not a schemseg graph.
    """
    data = read_json_object(path, "graph file", DatasetError)
    try:
        edge_graph(data)
        ports = [port for symbol in data["symbols"] for port in symbol.get("ports", [])]
        if any(not isinstance(port["name"], str) or len(port["at"]) != 2 for port in ports):
            raise ValueError("a port needs a name and an 'at' point [x, y]")
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(
            f"{path}: not a schemseg graph ({exc!r}); write it with 'schemseg segment --graph'"
        ) from None
    return data


def true_graph_dict(
    instances: Sequence[tuple[int, Box]], nets: Iterable[TrueNet], class_names: Sequence[str]
) -> dict[str, object]:
    """The JSON object of a true graph: the graph symbols among ``instances`` (a sheet's boxes) and ``nets``."""
    symbol = class_roles(class_names).symbol
    return {
        "schema": TRUE_GRAPH_SCHEMA,
        "symbols": [
            {"id": i, "class_name": class_names[c], "bbox": [int(v) for v in box]}
            for i, (c, box) in enumerate(instances)
            if symbol[c]
        ],
        "nets": [net.to_dict() for net in nets],
    }


def write_true_graph(
    path: str | os.PathLike[str],
    instances: Sequence[tuple[int, Box]],
    nets: Iterable[TrueNet],
    class_names: Sequence[str],
) -> None:
    """Write a sheet's true graph to ``path`` atomically (schema in the module docstring)."""
    atomic_write_text(path, json.dumps(true_graph_dict(instances, nets, class_names)) + "\n")


def read_true_graph(path: str | os.PathLike[str]) -> EdgeGraph:
    """Read ``graphs/NAME.json``; member ids become positions in the symbol list.

    Raises:
        DatasetError: unreadable file, another schema, or a member that is not a listed symbol.
    """
    data = read_json_object(path, "graph file", DatasetError)
    if data.get("schema") != TRUE_GRAPH_SCHEMA:
        raise DatasetError(
            f"{path}: expected a {TRUE_GRAPH_SCHEMA!r} object, got {data.get('schema')!r}; regenerate the dataset"
        )
    try:
        ids = [int(s["id"]) for s in data["symbols"]]
        position = {symbol_id: i for i, symbol_id in enumerate(ids)}
        symbols = tuple((str(s["class_name"]), _box(s["bbox"])) for s in data["symbols"])
        nets = tuple(
            TrueNet(
                tuple(sorted(position[int(m)] for m in n["members"])),
                n["kind"],
                n.get("label"),
                tuple(
                    TruePort(position[int(p["symbol"])], str(p["port"]), (float(p["at"][0]), float(p["at"][1])))
                    for p in n.get("ports", [])
                ),
            )
            for n in data["nets"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: malformed true graph ({exc!r}); regenerate the dataset") from None
    return EdgeGraph(symbols, nets)


def _box(values: object) -> Box:
    x0, y0, x1, y1 = (int(v) for v in values)  # type: ignore[attr-defined]
    return (x0, y0, x1, y1)
