"""The port graph of a netlist in the CI2N golden JSON schema, built as the official CI2N scorer builds it.

The official scorer (``calc_ged.py`` and ``utils_ged.py`` of the CI2N data set, Apache-2.0, public
repository LAD021/ci2n_datasets) writes each netlist as Spectre-like text, parses it back, builds a
DGL heterograph (one node per component and per net, one typed edge per port) and compares two such
graphs by graph edit distance. This module rebuilds the same graph with networkx alone, with the
same quirks, because the score must agree with the official one to be comparable with published
figures:

- a net is a name; every name is one node (``VDD`` and ``GND`` are nets like any other);
- a MOSFET's drain and source edges have the same type (``dn2n``/``dp2n``), so swapping them is
  free; a 4-port NMOS gives its source the type ``sn2n``, a 4-port PMOS keeps ``dp2n``;
- a 3-port MOSFET or bipolar transistor keeps only its first three ports in the order
  Drain/Collector, Gate/Base, Source/Emitter (a Body named without Source takes Source's place);
- ports are taken in a fixed order per type and only under their CI2N names; a component whose
  ports are all unknown is dropped, one with too few ports keeps the edges made before the gap;
- a net name is cut at white space, and a component type outside the CI2N list is dropped;
- node and edge order follow DGL's (node types and edge types sorted by name), so a search
  stopped by its time limit walks the same path as the official one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import networkx as nx  # type: ignore[import-untyped]

from ..errors import InvalidInputError

__all__ = ["CI2N_PORTS", "SPECTRE_TYPES", "netlist_components", "port_graph"]

CI2N_PORTS: dict[str, tuple[str, ...]] = {
    "PMOS": ("Drain", "Gate", "Source"),
    "NMOS": ("Drain", "Gate", "Source"),
    "PNP": ("Collector", "Base", "Emitter"),
    "NPN": ("Collector", "Base", "Emitter"),
    "Res": ("Pos", "Neg"),
    "Cap": ("Pos", "Neg"),
    "Ind": ("Pos", "Neg"),
    "Switch": ("Pos", "Neg"),
    "Diode": ("In", "Out"),
    "Current": ("In", "Out"),
    "Voltage": ("Positive", "Negative"),
    "Diso_amp": ("InP", "InN", "Out"),
    "Dido_amp": ("InP", "InN", "OutP", "OutN"),
    "Siso_amp": ("In", "Out"),
}
"""Ports of each CI2N component type in the scorer's order (a MOSFET may add ``Body`` last)."""

SPECTRE_TYPES: dict[str, str] = {
    "PMOS": "pmos",
    "NMOS": "nmos",
    "NPN": "npn",
    "PNP": "pnp",
    "Res": "resistor",
    "Cap": "capacitor",
    "Ind": "inductor",
    "Diode": "diode",
    "Switch": "switch",
    "Current": "isource",
    "Voltage": "vsource",
    "Diso_amp": "diffamp",
    "Siso_amp": "amp",
    "Dido_amp": "dido",
}
"""The Spectre-like type the scorer writes for each CI2N component type."""

# Spectre type -> (node type, edge type of each port in order, how many ports it reads)
_EDGES: dict[str, tuple[str, tuple[str, ...], int | None]] = {
    "pmos": ("PMOS", ("dp2n", "gp2n", "dp2n"), 3),
    "pmos4": ("PMOS", ("dp2n", "gp2n", "dp2n", "bp2n"), None),
    "nmos": ("NMOS", ("dn2n", "gn2n", "dn2n"), 3),
    "nmos4": ("NMOS", ("dn2n", "gn2n", "sn2n", "bn2n"), None),
    "npn": ("NPN", ("cnpn2n", "bnpn2n", "enpn2n"), 3),
    "pnp": ("PNP", ("cpnp2n", "bpnp2n", "epnp2n"), 3),
    "resistor": ("R", ("r2n", "r2n"), None),
    "capacitor": ("C", ("c2n", "c2n"), None),
    "inductor": ("L", ("l2n", "l2n"), None),
    "switch": ("S", ("s2n", "s2n"), None),
    "diode": ("DIODE", ("diode_p2n", "diode_n2n"), None),
    "isource": ("ISOURCE", ("iin2n", "iout2n"), None),
    "vsource": ("VSOURCE", ("vp2n", "vn2n"), None),
    "diffamp": ("DISO", ("diso_vp2n", "diso_vn2n", "diso_vout2n"), None),
    "amp": ("SISO", ("siso_vin2n", "siso_vout2n"), None),
    "dido": ("DIDO", ("dido_vp2n", "dido_vn2n", "dido_voutp2n", "dido_voutn2n"), None),
}
_LINE = re.compile(r"(\w+)\s*\(([^)]+)\)")
_TYPE = re.compile(r"\)\s+(\w+)")


def netlist_components(netlist: Mapping[str, object]) -> list[dict[str, object]]:
    """The ``ckt_netlist`` list of a netlist in the CI2N schema, checked.

    Raises:
        InvalidInputError: ``netlist`` is not a mapping with a ``ckt_netlist`` list of mappings.
    """
    components = netlist.get("ckt_netlist") if isinstance(netlist, Mapping) else None
    if not isinstance(components, list) or not all(isinstance(c, Mapping) for c in components):
        raise InvalidInputError(
            f"netlist has ckt_netlist={components!r:.80}; expected a list of "
            '{"component_type": ..., "port_connection": {...}} objects (the CI2N golden schema)'
        )
    return [dict(c) for c in components]


def _spectre_lines(components: Sequence[Mapping[str, object]]) -> list[str]:
    """The scorer's text form: ``X<n> (<nets>) <type>`` per component it keeps."""
    lines: list[str] = []
    for component in components:
        kind = component.get("component_type")
        ports = component.get("port_connection") or {}
        if not kind or not isinstance(ports, Mapping) or not ports:
            continue
        spectre = SPECTRE_TYPES.get(str(kind))
        if spectre is None:
            continue
        if spectre in ("pmos", "nmos") and len(ports) == 4:
            spectre += "4"
        names = [name for name in CI2N_PORTS[str(kind)] if name in ports] + (["Body"] if "Body" in ports else [])
        nets = [ports[name] for name in names]
        if not all(isinstance(net, str) for net in nets):
            raise InvalidInputError(f"a {kind} has port_connection {dict(ports)!r:.80}; expected net names as strings")
        lines.append(f"X{len(lines)} ({' '.join(nets)}) {spectre}")
    return lines


def _typed_edges(lines: Sequence[str]) -> tuple[list[tuple[str, str, int, int]], dict[str, int]]:
    """(node type, edge type, component index, net index) per port, and the component count per type."""
    net_ids: dict[str, int] = {}
    counts: dict[str, int] = {}
    edges = []
    for line in lines:
        match = _LINE.match(line)
        kind = _TYPE.search(line)
        if not match or not kind:
            continue
        node_type, edge_types, read = _EDGES[kind.group(1)]
        ports = match.group(2).split()
        index = counts.get(node_type, 0)
        counts[node_type] = index + 1
        for net in ports[:read]:
            net_ids.setdefault(net, len(net_ids))
        for position, edge_type in enumerate(edge_types):
            if position >= len(ports):
                break  # the scorer stops at the first missing port and keeps the edges made before it
            edges.append((node_type, edge_type, index, net_ids[ports[position]]))
    return edges, counts


def port_graph(netlist: Mapping[str, object]) -> nx.MultiGraph:
    """The undirected port multigraph the official CI2N scorer compares.

    Nodes carry ``ntype`` (``"NMOS"``, ``"R"``, ..., ``"net"``), edges ``etype`` (``"dn2n"``, ``"r2n"``, ...).

    >>> g = port_graph({"ckt_netlist": [{"component_type": "Res", "port_connection": {"Pos": "a", "Neg": "b"}}]})
    >>> sorted(d["ntype"] for _, d in g.nodes(data=True)), [d["etype"] for *_, d in g.edges(data=True)]
    (['R', 'net', 'net'], ['r2n', 'r2n'])
    """
    edges, _ = _typed_edges(_spectre_lines(netlist_components(netlist)))
    # DGL sizes each node type by the largest index an edge names, and numbers node types in sorted order
    sizes: dict[str, int] = {}
    for node_type, _, component, net in edges:
        sizes[node_type] = max(sizes.get(node_type, 0), component + 1)
        sizes["net"] = max(sizes.get("net", 0), net + 1)
    offsets, start = {}, 0
    for node_type in sorted(sizes):
        offsets[node_type] = start
        start += sizes[node_type]
    directed = nx.MultiDiGraph()
    for node_type in sorted(sizes):
        directed.add_nodes_from((offsets[node_type] + i for i in range(sizes[node_type])), ntype=node_type)
    for node_type, edge_type, component, net in sorted(edges, key=lambda e: (e[0], e[1])):
        directed.add_edge(offsets[node_type] + component, offsets["net"] + net, etype=edge_type)
    graph = nx.MultiGraph()
    undirected = directed.to_undirected()
    graph.add_nodes_from((n, {"ntype": d["ntype"]}) for n, d in undirected.nodes(data=True))
    graph.add_edges_from((u, v, k, {"etype": d["etype"]}) for u, v, k, d in undirected.edges(keys=True, data=True))
    return graph
