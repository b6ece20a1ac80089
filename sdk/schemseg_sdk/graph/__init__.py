"""Connections: from segmented symbols to a graph of symbols, ports and nets, a netlist, and its score.

>>> from schemseg_sdk import Segmenter  # doctest: +SKIP
>>> from schemseg_sdk.graph import build_graph  # doctest: +SKIP
>>> with Segmenter() as seg:  # doctest: +SKIP
...     graph = build_graph(seg.predict("amp.png"))
...     netlist = graph.to_netlist()  # the CI2N golden JSON schema
"""

from __future__ import annotations

from .build import build_graph, graph_from_arrays
from .ci2n_graph import CI2N_PORTS, port_graph
from .edge_score import EdgeCounts, EdgeScores, score_dataset_graphs, score_edges
from .edges import TRUE_GRAPH_SCHEMA, EdgeGraph, TrueNet, edge_graph, read_true_graph
from .model import GRAPH_SCHEMA, GraphSymbol, Net, Port, SheetGraph
from .netlist_score import (
    NetlistScores,
    SheetScore,
    graph_edit_distance,
    score_dirs,
    score_netlist,
)
from .segments import Segment

__all__ = [
    "CI2N_PORTS",
    "GRAPH_SCHEMA",
    "TRUE_GRAPH_SCHEMA",
    "EdgeCounts",
    "EdgeGraph",
    "EdgeScores",
    "TrueNet",
    "edge_graph",
    "read_true_graph",
    "score_dataset_graphs",
    "score_edges",
    "GraphSymbol",
    "Net",
    "NetlistScores",
    "Port",
    "Segment",
    "SheetGraph",
    "SheetScore",
    "build_graph",
    "graph_edit_distance",
    "graph_from_arrays",
    "port_graph",
    "score_dirs",
    "score_netlist",
]
