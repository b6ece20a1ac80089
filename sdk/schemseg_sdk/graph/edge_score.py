"""Edge precision, recall and F1 of predicted graphs against the true graphs of a dataset (synthetic or DEXPI).

Symbols are matched as the symbol F1 of ``schemseg eval`` matches them (same class, box IoU >=
:data:`~schemseg_sdk.symbol_metrics.MATCH_IOU`, greedily from the highest IoU); a predicted edge
(two symbols on one net, :mod:`.edges`) is right when both its symbols are matched and the true
graph joins their matches by a net of the same kind. Counts are kept per kind (``solid``: wires and
pipes, ``dashed``: signal lines) and over both (``all``); a dataset's figures sum the counts of its
sheets. An edge between symbols the model missed counts as missed, so the score holds the model's
errors and the tracer's: scoring the graph traced from the true mask and boxes
(:func:`true_symbol_graph`) isolates the tracer's. Where the true graphs name ports (circuit
symbols), each sheet's port naming is scored too (:mod:`.port_score`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..boxes import SheetBoxes
from ..classes import IGNORE_INDEX
from ..dataset import SegmentationDataset
from ..errors import DatasetError
from ..symbol_metrics import MATCH_IOU, box_iou, greedy_pairs
from ..symbols import Symbol
from .build import graph_from_arrays
from .edges import EdgeGraph, edge_graph, read_graph_json, read_true_graph
from .model import SheetGraph
from .port_score import PortCounts, score_ports, sum_port_counts

__all__ = [
    "EDGE_KINDS",
    "EdgeCounts",
    "EdgeScores",
    "SheetEdgeScore",
    "match_symbols",
    "score_dataset_graphs",
    "score_edges",
    "true_symbol_graph",
]

EDGE_KINDS = ("all", "solid", "dashed")


@dataclass(frozen=True)
class EdgeCounts:
    """True, predicted and matched edges, and the rates (NaN where a count they divide by is 0)."""

    true: int = 0
    predicted: int = 0
    matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else math.nan

    @property
    def recall(self) -> float:
        return self.matched / self.true if self.true else math.nan

    @property
    def f1(self) -> float:
        total = self.true + self.predicted
        return 2 * self.matched / total if total else math.nan

    def __add__(self, other: EdgeCounts) -> EdgeCounts:
        return EdgeCounts(self.true + other.true, self.predicted + other.predicted, self.matched + other.matched)

    def to_dict(self) -> dict[str, object]:
        return {
            "true": self.true,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "f1": _rounded(self.f1),
        }


def match_symbols(pred: EdgeGraph, truth: EdgeGraph, match_iou: float = MATCH_IOU) -> dict[int, int]:
    """Predicted symbol position -> true symbol position, one-to-one, per class at box IoU >= ``match_iou``."""
    matches: dict[int, int] = {}
    for name in {c for c, _ in pred.symbols} & {c for c, _ in truth.symbols}:
        p_index = [i for i, (c, _) in enumerate(pred.symbols) if c == name]
        t_index = [i for i, (c, _) in enumerate(truth.symbols) if c == name]
        iou = box_iou(
            np.array([pred.symbols[i][1] for i in p_index]).reshape(-1, 4),
            np.array([truth.symbols[i][1] for i in t_index]).reshape(-1, 4),
        )
        matches.update((p_index[r], t_index[c]) for r, c in greedy_pairs(iou, match_iou))
    return matches


def score_edges(pred: EdgeGraph, truth: EdgeGraph, match_iou: float = MATCH_IOU) -> dict[str, EdgeCounts]:
    """Edge counts of one sheet per kind (:data:`EDGE_KINDS`).

    >>> from schemseg_sdk.graph.edges import TrueNet
    >>> truth = EdgeGraph((("resistor", (0, 0, 10, 4)), ("capacitor", (20, 0, 30, 4))), (TrueNet((0, 1), "solid"),))
    >>> score_edges(truth, truth)["all"]
    EdgeCounts(true=1, predicted=1, matched=1)
    """
    matches = match_symbols(pred, truth, match_iou)
    true_edges = truth.edges()
    found = {
        (min(matches[a], matches[b]), max(matches[a], matches[b]), kind)
        for a, b, kind in pred.edges()
        if a in matches and b in matches
    }
    pred_edges = pred.edges()
    counts = {}
    for kind in EDGE_KINDS:
        wanted = {e for e in true_edges if kind in ("all", e[2])}
        made = [e for e in pred_edges if kind in ("all", e[2])]
        counts[kind] = EdgeCounts(len(wanted), len(made), len(wanted & {f for f in found if kind in ("all", f[2])}))
    return counts


@dataclass(frozen=True)
class SheetEdgeScore:
    """One sheet: its edge counts per kind, how many of its true symbols were matched, and its port
    naming counts per class (empty where the true graph names no ports)."""

    name: str
    counts: dict[str, EdgeCounts]
    symbols: int
    symbols_matched: int
    ports: dict[str, PortCounts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "symbols": self.symbols,
            "symbols_matched": self.symbols_matched,
            **{kind: c.to_dict() for kind, c in self.counts.items()},
            "ports": {k: c.to_dict() for k, c in self.ports.items()},
        }


@dataclass(frozen=True)
class EdgeScores:
    """The sheets of a dataset; :meth:`total` sums their counts."""

    sheets: tuple[SheetEdgeScore, ...] = field(default=())

    def total(self, kind: str = "all") -> EdgeCounts:
        return sum((s.counts[kind] for s in self.sheets), EdgeCounts())

    def port_totals(self) -> dict[str, PortCounts]:
        """Port naming counts per true symbol class over the sheets, and ``"all"``."""
        return sum_port_counts([s.ports for s in self.sheets])

    def to_dict(self) -> dict[str, object]:
        return {
            "sheets_scored": len(self.sheets),
            "symbols": sum(s.symbols for s in self.sheets),
            "symbols_matched": sum(s.symbols_matched for s in self.sheets),
            **{kind: self.total(kind).to_dict() for kind in EDGE_KINDS},
            "ports": {k: c.to_dict() for k, c in self.port_totals().items()},
            "sheets": [s.to_dict() for s in self.sheets],
        }


def true_symbol_graph(image: np.ndarray, mask: np.ndarray, boxes: SheetBoxes, class_names: Sequence[str]) -> SheetGraph:
    """The graph the tracer makes from a sheet's true class mask and true symbol boxes (no model).

    The ink of an ignored box (a symbol outside the class list, such as a real drawing's nozzle or
    plug valve, whose pixels are not scored) is line ink here, as the generator draws such symbols:
    the true graph passes their lines through.
    """
    if boxes.ignore:
        mask = mask.copy()
        for x0, y0, x1, y1 in boxes.ignore:  # a pixel wider: the box is its ink's, the painted rectangle rounds out
            inside = mask[max(y0 - 1, 0) : y1 + 1, max(x0 - 1, 0) : x1 + 1]
            inside[inside == IGNORE_INDEX] = 0
    symbols = []
    for class_id, (x0, y0, x1, y1) in boxes.symbols:
        area = int(np.count_nonzero(mask[y0:y1, x0:x1] == class_id))
        symbols.append(Symbol(class_id, class_names[class_id], (x0, y0, x1, y1), area, None))
    return graph_from_arrays(image, mask, symbols, class_names=class_names)


def score_dataset_graphs(
    dataset: str | os.PathLike[str],
    pred_dir: str | os.PathLike[str] | None = None,
    names: Sequence[str] | None = None,
    progress: Callable[[SheetEdgeScore], None] | None = None,
    match_iou: float = MATCH_IOU,
) -> EdgeScores:
    """Score the graphs of a dataset's sheets against its ``graphs/NAME.json``.

    Args:
        dataset: a dataset folder with ``images/``, ``masks/``, ``boxes/`` and ``graphs/`` (``schemseg synth``,
            ``schemseg data import-dexpi``).
        pred_dir: predicted graphs ``NAME.graph.json`` (``schemseg segment --graph``); a missing one
            counts as an empty graph. ``None``: trace each sheet from its true mask and boxes.
        names: score only these sheets (file stems); ``None``: all.
        progress: called with each sheet's score as it is made, if given.
        match_iou: box IoU at which a predicted symbol matches a true one.

    Raises:
        DatasetError: no ``graphs/`` folder, no sheet of the names given, or an unreadable file.
    """
    data = SegmentationDataset(dataset, require_masks=pred_dir is None)
    graphs = data.root / "graphs"
    if not graphs.is_dir():
        raise DatasetError(
            f"{data.root}: no graphs/ folder; regenerate the dataset with 'schemseg synth' "
            "(or 'schemseg data import-dexpi' for DEXPI drawings)"
        )
    indices = [i for i, p in enumerate(data.image_paths) if names is None or p.stem in set(names)]
    if not indices:
        raise DatasetError(f"{data.root}: none of the {len(names or ())} sheets named is in images/")
    sheets = []
    for i in indices:
        stem = data.image_paths[i].stem
        truth = read_true_graph(graphs / f"{stem}.json")
        pred_data = _prediction(data, i, None if pred_dir is None else Path(pred_dir) / f"{stem}.graph.json")
        pred = edge_graph(pred_data)
        counts = score_edges(pred, truth, match_iou)
        matches = match_symbols(pred, truth, match_iou)
        ports = score_ports(pred_data["symbols"], truth, matches)
        score = SheetEdgeScore(stem, counts, len(truth.symbols), len(matches), ports)
        if progress is not None:
            progress(score)
        sheets.append(score)
    return EdgeScores(tuple(sheets))


def _prediction(data: SegmentationDataset, index: int, path: Path | None) -> dict[str, Any]:
    """The predicted graph's JSON object: traced from the true mask and boxes (``path`` None), read, or empty."""
    if path is None:
        image, mask = data[index]
        return true_symbol_graph(image, mask, data.read_boxes(index), data.class_names).to_dict()
    if not path.is_file():
        return {"symbols": [], "nets": []}
    return read_graph_json(path)


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)
