"""The true graph of an imported DEXPI rendering: which of its boxes each pipe and signal line joins.

A Proteus file draws every pipe as the ``CenterLine`` polylines of a ``PipingNetworkSegment`` and
every signal or measuring line as those of an ``InformationFlow``; the ends of these lines lie on
the connection ``Node`` points of the nozzles, valves and instruments they join, and an inline
valve ends the centre lines on either side of it. Placed on the rendering, these are the lines
and symbols the synthetic generator logs as it draws (:class:`~schemseg_training.synth.connections.ConnectionLog`),
so the nets are made by the generator's own rules (:func:`~schemseg_training.synth.connections.true_nets`):

- a labelled symbol (a box of ``boxes/NAME.json`` of a graph class) is on a line's net when an end
  of the line lies at one of its nodes (or at a node of what is nested in it: a vessel's nozzles)
  or in its box; a line drawn across a box is cut there;
- what has no project class (nozzles of unlabelled equipment, tees, plug valves, ...) and flow
  arrows pass their lines through; lines of one kind join where an end of one lies on the other;
- a signal line is of kind ``dashed`` when the rendering draws it with gaps, and ``solid``
  (joining the pipe it ends on, as a capillary does) when the rendering draws it whole; a pipe is
  ``solid``. A line the rendering does not draw (under :data:`MIN_DRAWN` of it on ink) is left
  out, as are leader lines (``InformationFlow`` of class ``Leader``: they point at a label).
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk.boxes import Box
from schemseg_sdk.errors import DatasetError
from schemseg_sdk.graph.edges import TrueNet

from ..synth.connections import ConnectionLog, true_nets
from .dexpi_align import Placement, ink_of
from .dexpi_xml import SYMBOL_TAGS, element_placement
from .shapes import Shape

__all__ = [
    "DASHED_COVER",
    "MIN_DRAWN",
    "ProteusConnectivity",
    "ProteusLine",
    "SheetGraphTruth",
    "ink_cover",
    "read_connectivity",
    "sheet_true_nets",
]

MIN_DRAWN = 0.3
"""A line of which less than this share lies on the rendering's ink is not drawn there: no line of the graph."""
DASHED_COVER = 0.85
"""A signal line with less of its length on ink than this is drawn dashed or dotted (gaps); whole lines cover ~1."""

_SIGNAL_PARENTS = frozenset({"InformationFlow", "SignalLine", "InstrConn"})
_NOT_LINES = frozenset({"Leader"})  # InformationFlow classes that point at a label rather than join two items
_LINE_PEN_MM = 0.5  # the width a line is taken to have when deciding what its end touches


@dataclass(frozen=True)
class ProteusLine:
    """One centre line of a pipe or signal line, in drawing coordinates."""

    points: np.ndarray  # (N, 2)
    signal: bool  # an InformationFlow (signal or measuring line); False: a pipe
    owner: str  # the ID of the segment or flow it draws


@dataclass
class ProteusConnectivity:
    """What a Proteus file says about connections: centre lines, connection nodes and nesting."""

    lines: list[ProteusLine] = field(default_factory=list)
    nodes: dict[str, np.ndarray] = field(default_factory=dict)  # symbol element ID -> (N, 2) node points
    parent: dict[str, str] = field(default_factory=dict)  # symbol element ID -> the symbol it is nested in
    classes: dict[str, str] = field(default_factory=dict)  # symbol element ID -> DEXPI class (or tag)
    undrawn_segments: int = 0  # pipe segments with no centre line (their pipes are not in the graph)

    def nested_nodes(self, ids: Sequence[str]) -> np.ndarray:
        """The node points of ``ids`` and of every symbol nested in them (a vessel's nozzles)."""
        wanted = set(ids)
        found = [points for key, points in self.nodes.items() if key in wanted or self._inside(key, wanted)]
        return np.concatenate(found) if found else np.zeros((0, 2))

    def _inside(self, key: str, wanted: set[str]) -> bool:
        seen = 0
        while key in self.parent and seen < 32:
            key, seen = self.parent[key], seen + 1
            if key in wanted:
                return True
        return False


def read_connectivity(path: str | Path) -> ProteusConnectivity:
    """The centre lines, connection nodes and nesting of a Proteus XML file (the shape catalogue left out).

    Raises:
        DatasetError: the file is not well-formed XML.
    """
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DatasetError(f"{path}: not a readable Proteus XML file ({exc})") from None
    found = ProteusConnectivity()
    stack: list[tuple[ET.Element, ET.Element | None, str]] = [(root, None, "")]
    while stack:
        element, parent, symbol = stack.pop()
        if element.tag == "ShapeCatalogue":
            continue
        if element.tag == "CenterLine" and parent is not None:
            _add_line(found, element, parent)
        if element.tag == "PipingNetworkSegment" and element.find("CenterLine") is None:
            found.undrawn_segments += 1
        element_id = element.get("ID", "")
        if element.tag in SYMBOL_TAGS and element_id:
            found.classes[element_id] = element.get("ComponentClass") or element.tag
            if symbol:
                found.parent[element_id] = symbol
            nodes = _node_points(element)
            if len(nodes):
                found.nodes[element_id] = nodes
            symbol = element_id
        stack.extend((child, element, symbol) for child in element)
    return found


def _add_line(found: ProteusConnectivity, element: ET.Element, parent: ET.Element) -> None:
    if parent.tag != "PipingNetworkSegment" and parent.tag not in _SIGNAL_PARENTS:
        return
    if parent.get("ComponentClass") in _NOT_LINES:
        return
    points = np.array([_xy(c) for c in element.iter("Coordinate")], float).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) >= 2:
        found.lines.append(ProteusLine(points, parent.tag != "PipingNetworkSegment", parent.get("ID", "")))


def _node_points(element: ET.Element) -> np.ndarray:
    """The positions of an element's own connection nodes (not those of elements nested in it).

    Some tools write them in drawing coordinates, on the symbol's outline; others (COMOS) in the
    symbol's own coordinates, relative to its ``Position``. Each set is read the way that puts it
    nearer the symbol's location. (0, 0) is dropped: some tools write it for a node they do not place.
    """
    points = []
    for connection_points in element.findall("ConnectionPoints"):
        for node in connection_points.findall("Node"):
            location = node.find("Position/Location")
            if location is not None and _xy(location) != (0.0, 0.0):
                points.append(_xy(location))
    result = np.array(points, float).reshape(-1, 2)
    result = result[np.isfinite(result).all(axis=1)]
    origin = element.find("Position/Location")
    place = element_placement(element)
    if not len(result) or origin is None or place is None:
        return result
    local = place(result)
    anchor = np.array(_xy(origin))
    nearer = np.hypot(*(local - anchor).T).mean() < np.hypot(*(result - anchor).T).mean()
    return local if nearer else result


def _xy(element: ET.Element) -> tuple[float, float]:
    try:
        return float(element.get("X", "nan")), float(element.get("Y", "nan"))
    except ValueError:
        return math.nan, math.nan


def ink_cover(points: np.ndarray, ink: np.ndarray, reach: int) -> float:
    """Share of a pixel polyline's length that lies on ``ink`` (boolean, dilated by a pixel).

    Each straight piece is tried at every offset across it up to ``reach`` pixels (the placement's
    error) and counted at its best one, so a line found a few pixels off still covers its ink.
    """
    height, width = ink.shape
    total = covered = 0.0
    for a, b in itertools.pairwise(np.asarray(points, float)):
        length = float(np.hypot(*(b - a)))
        if length < 1.0:
            continue
        along = (b - a) / length
        across = np.array([-along[1], along[0]])
        steps = a + np.arange(0.0, length, 1.0)[:, None] * along
        best = 0.0
        for offset in range(-reach, reach + 1):
            x, y = np.rint(steps + offset * across).astype(int).T
            inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
            best = max(best, float(ink[y[inside], x[inside]].sum()) / len(steps))
        total += length
        covered += best * length
    return covered / total if total else 0.0


@dataclass
class SheetGraphTruth:
    """One rendering's true nets and what its lines' ends reached (counted by what had no symbol)."""

    nets: list[TrueNet]
    line_ends: Counter[str] = field(default_factory=Counter)  # "symbol", a DEXPI class, "line" or "nothing"
    lines: Counter[str] = field(default_factory=Counter)  # "pipe", "signal solid", "signal dashed", "not drawn"


def sheet_true_nets(
    connectivity: ProteusConnectivity,
    shapes: Sequence[Shape],
    owners: Sequence[tuple[str, ...]],
    symbol_boxes: Sequence[tuple[int, int, Box]],
    placement: Placement,
    image: np.ndarray,
    px_per_mm: float,
) -> SheetGraphTruth:
    """The nets of one rendering (see the module docstring).

    Args:
        connectivity: what :func:`read_connectivity` read from the rendering's XML.
        shapes: the rendering's labelled rectangles (:class:`~.dexpi_labels.SheetLabels`), ``owners``
            the XML IDs drawn in each.
        symbol_boxes: ``(shape index, class id, box)`` of each box of ``boxes/NAME.json``, in its order.
        placement: drawing -> pixel transform of the rendering.
        image: the rendering (BGR).
        px_per_mm: pixels per millimetre of the drawing on the rendering.
    """
    ink = cv2.dilate(ink_of(image).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    width = max(1.5, _LINE_PEN_MM * px_per_mm)
    reach = math.ceil(2.0 + 0.5 * px_per_mm)  # the boxes' padding: the placement's error
    truth = SheetGraphTruth([])
    log = ConnectionLog()
    for line in connectivity.lines:
        points = placement.to_pixels(line.points)
        cover = ink_cover(points, ink, reach)
        if cover < MIN_DRAWN:
            truth.lines["not drawn"] += 1
            continue
        dashed = line.signal and cover < DASHED_COVER
        truth.lines["pipe" if not line.signal else ("signal dashed" if dashed else "signal solid")] += 1
        log.add_line([(float(x), float(y)) for x, y in points], width, dashed)
    ends = np.array([p for line in log.lines for p in (line.points[0], line.points[-1])], float).reshape(-1, 2)
    labelled = {index: (class_id, box_id) for box_id, (index, class_id, _) in enumerate(symbol_boxes)}
    reached: list[str] = []  # per symbol of the log: "symbol", or the DEXPI class its lines pass through
    drawn: set[str] = set()
    for index, (shape, ids) in enumerate(zip(shapes, owners)):
        if not ids:
            continue  # a text
        drawn.update(ids)
        rect = _rect(shape)
        nodes = _near(placement.to_pixels(connectivity.nested_nodes(ids)), rect)
        if index in labelled:
            class_id, box_id = labelled[index]
            log.add_symbol(class_id, box_id, nodes or [((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)], rect)
            reached.append("symbol")
        elif nodes or len(_ends_in(ends, rect, width)):  # no project class: its lines pass through
            log.add_symbol(0, None, nodes + _ends_in(ends, rect, width), None)
            reached.append(connectivity.classes.get(ids[0], "?"))
    for key, points in connectivity.nodes.items():
        if key not in drawn and connectivity.parent.get(key, "") not in drawn:  # a tee drawn as nothing
            log.add_symbol(0, None, [(float(x), float(y)) for x, y in placement.to_pixels(points)], None)
            reached.append(connectivity.classes.get(key, "?"))
    truth.nets = true_nets(log)
    truth.line_ends = _what_ends_reach(log, reached, width)
    return truth


def _near(points: np.ndarray, rect: tuple[int, int, int, int]) -> list[tuple[float, float]]:
    """The points within a box's own size of it: a node further away is misplaced (a tool wrote it in
    other coordinates), and a vessel's nozzles, whose nodes lie outside its box, are shorter than it."""
    x0, y0, x1, y1 = rect
    grow = max(x1 - x0, y1 - y0)
    keep = (points[:, 0] >= x0 - grow) & (points[:, 0] <= x1 + grow) & (points[:, 1] >= y0 - grow)
    keep &= points[:, 1] <= y1 + grow
    return [(float(x), float(y)) for x, y in points[keep]]


def _rect(shape: Shape) -> tuple[int, int, int, int]:
    (x0, y0), (x1, y1) = shape.points.min(axis=0), shape.points.max(axis=0)
    return int(math.floor(x0)), int(math.floor(y0)), int(math.ceil(x1)), int(math.ceil(y1))


def _ends_in(ends: np.ndarray, rect: tuple[int, int, int, int], slack: float) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = rect
    inside = (ends[:, 0] >= x0 - slack) & (ends[:, 0] <= x1 + slack) & (ends[:, 1] >= y0 - slack)
    inside &= ends[:, 1] <= y1 + slack
    return [(float(x), float(y)) for x, y in ends[inside]]


def _what_ends_reach(log: ConnectionLog, reached: list[str], width: float) -> Counter[str]:
    """Each line end counted by what it reaches: a labelled box (``symbol``), the DEXPI class of a
    symbol with no project class, another line (``line``: a corner, a branch) or ``nothing``."""
    counts: Counter[str] = Counter()
    slack = width / 2 + 1.5
    lines = [line.points_array() for line in log.lines]
    for k, end in enumerate(np.concatenate([line[[0, -1]] for line in lines]) if lines else []):
        found = [
            what
            for symbol, what in zip(log.symbols, reached)
            if np.hypot(*(np.asarray(symbol.terminals) - end).T).min() <= slack
            or (symbol.box is not None and _ends_in(end[None], symbol.box, slack))
        ]
        if found:
            counts["symbol" if "symbol" in found else found[0]] += 1
        elif any(_distance(end, line) <= slack for j, line in enumerate(lines) if j != k // 2):
            counts["line"] += 1
        else:
            counts["nothing"] += 1
    return counts


def _distance(point: np.ndarray, line: np.ndarray) -> float:
    a, b = line[:-1], line[1:]
    d = b - a
    t = np.clip(((point - a) * d).sum(1) / np.maximum((d**2).sum(1), 1e-12), 0.0, 1.0)
    return float(np.hypot(*(a + t[:, None] * d - point).T).min())
