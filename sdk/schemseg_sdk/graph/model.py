"""The graph of a sheet: symbols with their ports, nets (lines) with their segments, and its exports.

JSON schema (``schema`` = ``"schemseg.graph/1"``; keys are only ever added, never renamed)::

    {
      "schema": "schemseg.graph/1",
      "source": "sheets/a.png", "width": 845, "height": 819,
      "symbols": [{"id": 0, "class_name": "nmos", "component_type": "NMOS",   # CI2N type or null
                   "bbox": [x0, y0, x1, y1],                                  # x1/y1 exclusive
                   "ports": [{"name": "Gate", "at": [x, y], "net": 3}]}],
      "nets": [{"id": 3, "name": "net3", "kind": "solid",    # "dashed": dashed or dotted (signal) line
                "label": null,                                 # "GND" / "VDD" when a ground or rail names it
                "segments": [{"from": [x, y], "to": [x, y], "shape": "horizontal"}]}]
    }

A net is one electrically (or hydraulically) connected set of lines: lines joined at junction
dots, T-joins and corners, not across crossovers. Only nets that reach a port or have a segment
are listed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx  # type: ignore[import-untyped]

from ..fileio import atomic_write_text
from .ci2n_graph import CI2N_PORTS, SPECTRE_TYPES
from .segments import Segment

__all__ = ["GRAPH_SCHEMA", "GraphSymbol", "Net", "NetKind", "Port", "SheetGraph"]

GRAPH_SCHEMA = "schemseg.graph/1"
NetKind = Literal["solid", "dashed"]


@dataclass(frozen=True)
class Port:
    """A named terminal of a symbol: where its line meets it and the net that line belongs to."""

    name: str
    x: float
    y: float
    net: int

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "at": [round(self.x, 1), round(self.y, 1)], "net": self.net}


@dataclass(frozen=True)
class GraphSymbol:
    """A symbol as a node: its class, CI2N component type (``None`` outside circuits), box and ports."""

    id: int
    class_name: str
    component_type: str | None
    bbox: tuple[int, int, int, int]
    ports: tuple[Port, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "class_name": self.class_name,
            "component_type": self.component_type,
            "bbox": list(self.bbox),
            "ports": [p.to_dict() for p in self.ports],
        }


@dataclass(frozen=True)
class Net:
    """A connected set of lines: its name, kind, the label a ground or rail gives it, and its segments."""

    id: int
    name: str
    kind: NetKind
    label: str | None
    segments: tuple[Segment, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "segments": [s.to_dict() for s in self.segments],
        }


@dataclass
class SheetGraph:
    """The symbols and nets of one sheet (see the module docstring for the JSON schema)."""

    source: str
    width: int
    height: int
    symbols: list[GraphSymbol] = field(default_factory=list)
    nets: list[Net] = field(default_factory=list)

    def net(self, net_id: int) -> Net:
        """The net with id ``net_id``."""
        return next(n for n in self.nets if n.id == net_id)

    def to_dict(self) -> dict[str, object]:
        return {
            "schema": GRAPH_SCHEMA,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "symbols": [s.to_dict() for s in self.symbols],
            "nets": [n.to_dict() for n in self.nets],
        }

    def to_netlist(self) -> dict[str, object]:
        """The circuit as a netlist in the CI2N golden JSON schema (components with a CI2N type only).

        >>> SheetGraph("<array>", 10, 10).to_netlist()
        {'ckt_netlist': [], 'ckt_type': ''}
        """
        names = {n.id: n.name for n in self.nets}
        components = []
        for symbol in self.symbols:
            if symbol.component_type is None:
                continue
            order = CI2N_PORTS[symbol.component_type] + ("Body",)
            ports = sorted(symbol.ports, key=lambda p: order.index(p.name) if p.name in order else len(order))
            components.append(
                {"component_type": symbol.component_type, "port_connection": {p.name: names[p.net] for p in ports}}
            )
        return {"ckt_netlist": components, "ckt_type": ""}

    def to_spice(self) -> str:
        """The circuit as Spectre-style text, one ``X<n> (<nets>) <type>`` line per component.

        Ports are in the CI2N scorer's order (drain gate source [body], collector base emitter, ...),
        so the text reads back into the same port graph.
        """
        netlist: list[dict[str, Any]] = self.to_netlist()["ckt_netlist"]  # type: ignore[assignment]
        lines = [f"// {self.source}: {len(netlist)} components"]
        for i, component in enumerate(netlist):
            kind = component["component_type"]
            ports = component["port_connection"]
            spectre = SPECTRE_TYPES[kind] + ("4" if kind in ("NMOS", "PMOS") and len(ports) == 4 else "")
            lines.append(f"X{i} ({' '.join(ports.values())}) {spectre}")
        return "\n".join(lines) + "\n"

    def to_networkx(self) -> nx.MultiGraph:
        """Symbols and nets as nodes (``kind`` = ``"symbol"`` / ``"net"``), one edge per port (``port`` = its name)."""
        graph = nx.MultiGraph(source=self.source)
        for net in self.nets:
            graph.add_node(
                f"n{net.id}",
                kind="net",
                name=net.name,
                net_kind=net.kind,
                label=net.label or "",
                segments=len(net.segments),
            )
        for symbol in self.symbols:
            x0, y0, x1, y1 = symbol.bbox
            graph.add_node(
                f"s{symbol.id}",
                kind="symbol",
                class_name=symbol.class_name,
                component_type=symbol.component_type or "",
                x0=x0,
                y0=y0,
                x1=x1,
                y1=y1,
            )
            for port in symbol.ports:
                graph.add_edge(f"s{symbol.id}", f"n{port.net}", port=port.name, x=port.x, y=port.y)
        return graph

    def to_json(self, indent: int | None = 2) -> str:
        """The graph as JSON text (schema in the module docstring)."""
        return json.dumps(self.to_dict(), indent=indent)

    def save_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` atomically."""
        atomic_write_text(path, self.to_json() + "\n")

    def save_netlist(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_netlist` (the CI2N golden schema) to ``path`` as JSON, atomically."""
        atomic_write_text(path, json.dumps(self.to_netlist(), indent=2) + "\n")

    def save_graphml(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_networkx` as GraphML, atomically."""
        atomic_write_text(path, "\n".join(nx.generate_graphml(self.to_networkx())) + "\n")
