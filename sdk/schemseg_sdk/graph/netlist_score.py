"""Scoring predicted netlists against CI2N golden ones: graph edit distance on the scorer's port graph.

A netlist is exactly right when its port graph is isomorphic to the golden one (GED 0). The GED is
the least number of node and edge insertions, deletions and relabellings (each costs 1) that turn
one port graph into the other, searched as the official scorer does (networkx's depth-first
edit-path search, which the official ``my_networkx.py`` speeds up without changing its result),
stopped after ``timeout`` seconds with the best path found so far (then an upper bound, flagged).

The normalised GED divides by the size of both graphs, ``GED / (|V_pred| + |E_pred| + |V_gold| +
|E_gold|)``: deleting every node and edge of one graph and inserting all of the other is always an
edit path, so this normaliser keeps NED in [0, 1] (an empty prediction scores 1, an exact one 0).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx  # type: ignore[import-untyped]

from ..errors import BackendUnavailableError, InvalidInputError
from ..fileio import read_json_object
from .ci2n_graph import port_graph

__all__ = ["NetlistScores", "SheetScore", "graph_edit_distance", "score_dirs", "score_netlist"]


@dataclass(frozen=True)
class SheetScore:
    """The score of one predicted netlist.

    Attributes:
        name: the file stem (``"001"``).
        ged: graph edit distance to the golden netlist (an upper bound when ``timed_out``).
        ned: ``ged`` over the size of both port graphs (see the module docstring).
        exact: the port graphs are isomorphic (``ged == 0``).
        timed_out: the search stopped at its time limit before proving ``ged`` minimal.
        missing: no prediction was found; it was scored as an empty netlist.
        seconds: time spent on this sheet.
    """

    name: str
    ged: int
    ned: float
    exact: bool
    timed_out: bool
    missing: bool
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ged": self.ged,
            "ned": round(self.ned, 6),
            "exact": self.exact,
            "timed_out": self.timed_out,
            "missing": self.missing,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class NetlistScores:
    """Scores of a folder of predictions; ``exact_rate`` and ``mean_ned`` over every golden sheet."""

    sheets: tuple[SheetScore, ...]

    @property
    def exact(self) -> int:
        return sum(s.exact for s in self.sheets)

    @property
    def exact_rate(self) -> float:
        return self.exact / len(self.sheets) if self.sheets else 0.0

    @property
    def mean_ned(self) -> float:
        return sum(s.ned for s in self.sheets) / len(self.sheets) if self.sheets else 0.0

    def subset(self, names: Sequence[str]) -> NetlistScores:
        """The scores of the sheets named in ``names`` only."""
        keep = set(names)
        return NetlistScores(tuple(s for s in self.sheets if s.name in keep))

    def to_dict(self) -> dict[str, object]:
        return {
            "normaliser": "ged / (nodes + edges of the predicted port graph + nodes + edges of the golden one)",
            "sheets": len(self.sheets),
            "exact": self.exact,
            "exact_rate": round(self.exact_rate, 6),
            "mean_ned": round(self.mean_ned, 6),
            "timed_out": sum(s.timed_out for s in self.sheets),
            "missing": sum(s.missing for s in self.sheets),
            "per_sheet": [s.to_dict() for s in self.sheets],
        }


def _node_match(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    return a["ntype"] == b["ntype"]


def _edge_match(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
    return a["etype"] == b["etype"]


def _first_edge_match(a: Mapping[object, Mapping[str, object]], b: Mapping[object, Mapping[str, object]]) -> bool:
    # The official isomorphism test compares the first of parallel edges only; kept so "exact" agrees.
    return next(iter(a.values()))["etype"] == next(iter(b.values()))["etype"]


def graph_edit_distance(pred: nx.MultiGraph, gold: nx.MultiGraph, timeout: float = 10.0) -> tuple[int, bool]:
    """GED between two port graphs and whether the search hit ``timeout`` seconds.

    >>> a = nx.MultiGraph(); a.add_node(0, ntype="R")
    >>> b = nx.MultiGraph(); b.add_node(0, ntype="C")
    >>> graph_edit_distance(a, b)
    (1, False)
    """
    if nx.is_isomorphic(pred, gold, node_match=_node_match, edge_match=_first_edge_match):
        return 0, False
    _require_scipy()
    start = time.perf_counter()
    best = len(pred) + pred.number_of_edges() + len(gold) + gold.number_of_edges()
    for _, _, cost in nx.optimize_edit_paths(
        pred, gold, node_match=_node_match, edge_match=_edge_match, strictly_decreasing=True, timeout=timeout
    ):
        best = min(best, int(cost))
    return best, time.perf_counter() - start >= timeout


def _require_scipy() -> None:
    try:
        import scipy.optimize  # type: ignore[import-untyped]  # noqa: F401  (networkx's edit-path search uses it)
    except ImportError:
        raise BackendUnavailableError(
            "scoring netlists that differ needs scipy, which is not installed; pip install 'schemseg[netlist]'"
        ) from None


def score_netlist(
    pred: Mapping[str, object], gold: Mapping[str, object], name: str = "", timeout: float = 10.0, missing: bool = False
) -> SheetScore:
    """Score one predicted netlist (CI2N schema) against its golden one."""
    start = time.perf_counter()
    pred_graph, gold_graph = port_graph(pred), port_graph(gold)
    ged, timed_out = graph_edit_distance(pred_graph, gold_graph, timeout)
    size = sum(len(g) + g.number_of_edges() for g in (pred_graph, gold_graph))
    ned = ged / size if size else 0.0
    return SheetScore(name, ged, ned, ged == 0, timed_out, missing, time.perf_counter() - start)


def _read_netlist(path: Path) -> dict[str, object]:
    return read_json_object(path, "CI2N netlist JSON", InvalidInputError, "a JSON object with ckt_netlist")


def score_dirs(
    pred_dir: Path, gold_dir: Path, timeout: float = 10.0, names: Sequence[str] | None = None, progress: object = None
) -> NetlistScores:
    """Score every ``GOLD_DIR/NAME.json`` against ``PRED_DIR/NAME.json`` (a missing prediction scores as empty).

    Args:
        pred_dir: folder of predicted netlists named as the golden ones.
        gold_dir: folder of golden netlists.
        timeout: seconds of edit-path search per sheet.
        names: score only these golden sheets (file stems); ``None``: all.
        progress: called with each :class:`SheetScore` as it is made (for a progress bar), if given.

    Raises:
        InvalidInputError: ``gold_dir`` holds no ``*.json`` or a file is not a netlist.
    """
    golds = sorted(Path(gold_dir).glob("*.json"))
    if names is not None:
        wanted = set(names)
        golds = [g for g in golds if g.stem in wanted]
    if not golds:
        raise InvalidInputError(
            f"{gold_dir} holds no *.json{'' if names is None else ' of the names given'}; "
            "expected golden netlists such as 001.json"
        )
    sheets = []
    for gold_path in golds:
        pred_path = Path(pred_dir) / gold_path.name
        missing = not pred_path.is_file()
        pred = {"ckt_netlist": []} if missing else _read_netlist(pred_path)
        score = score_netlist(pred, _read_netlist(gold_path), gold_path.stem, timeout, missing)
        if callable(progress):
            progress(score)
        sheets.append(score)
    return NetlistScores(tuple(sheets))
