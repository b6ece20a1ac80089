"""The true graph of a synthetic sheet: which drawn symbols each wire, pipe or signal line connects.

The canvas logs every line it draws (its points, width and whether it is dashed) and every symbol
(its class, its terminals and, for a labelled one, its instance index in the sheet's box list).
:func:`true_nets` then joins them by geometry, the way a reader of the drawing would:

- two lines of the same kind (solid or dashed) join where an end of one lies on the other (a T-join,
  a corner, a junction dot); lines that cross with neither ending there (a hop or a plain crossing)
  do not join, and a dashed signal line that ends on a solid pipe taps it without joining it;
- a labelled symbol is on a line's net when one of its terminals lies at an end of the line, or an
  end of the line lies in its box (a signal line drawn to a control valve's actuator); a line that
  only runs across a symbol (a port wire the layout routed through another column's part) is not
  wired to it;
- junction dots, flow arrows and symbols outside the class list (unlabelled ink: strainers, blinds,
  nozzles, off-page connectors) pass their lines through: every line meeting one of their
  terminals is one net, so a pipe through a strainer joins the valves on both sides;
- crossovers join nothing.

A net keeps only labelled symbols (the instance ids) and, for each terminal of a circuit symbol that
one of its lines ends at, that terminal's port name (which the drawing knows: see
:data:`~.symbols_circuit.TERMINAL_PORTS`) and point; a net touching a ground is labelled ``GND``,
one touching a supply rail ``VDD`` (the generator draws every rail as the positive supply at the
top of a circuit). Nets with no labelled symbol are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.graph.edges import TrueNet, TruePort
from schemseg_sdk.graph.model import NetKind

__all__ = ["ConnectionLog", "DrawnLine", "DrawnSymbol", "true_nets"]

Point = tuple[float, float]

_PASS_THROUGH = frozenset({"background", "junction", "flow_arrow"})
_NOT_CONNECTED = frozenset({"crossover", "designation"})
_LABELS = {"ground": "GND", "supply_rail": "VDD"}
_TOUCH_PX = 1.5
"""Slack beyond the strokes' half widths: drawn points are rounded to whole pixels."""


@dataclass(frozen=True)
class DrawnLine:
    """A polyline drawn as a wire, pipe or signal line (``points`` in sheet pixels)."""

    points: tuple[Point, ...]
    width: float
    dashed: bool

    def points_array(self) -> np.ndarray:
        return np.asarray(self.points, np.float64)


@dataclass(frozen=True)
class DrawnSymbol:
    """A drawn symbol: its class id, instance index (``None``: unlabelled ink), terminals, box and the
    port name of each terminal (``None`` where it has none)."""

    class_id: int
    instance: int | None
    terminals: tuple[Point, ...]
    box: tuple[int, int, int, int] | None
    ports: tuple[str | None, ...] = ()


@dataclass
class ConnectionLog:
    """What a canvas drew that can connect: lines and symbols, in drawing order."""

    lines: list[DrawnLine] = field(default_factory=list)
    symbols: list[DrawnSymbol] = field(default_factory=list)

    def add_line(self, points: list[Point], width: float, dashed: bool) -> None:
        if len(points) >= 2:
            self.lines.append(DrawnLine(tuple((float(x), float(y)) for x, y in points), float(width), dashed))

    def add_symbol(
        self,
        class_id: int,
        instance: int | None,
        terminals: list[Point],
        box: tuple[int, int, int, int] | None,
        ports: list[str | None] | None = None,
    ) -> None:
        if terminals:
            names = tuple(ports) if ports is not None else (None,) * len(terminals)
            self.symbols.append(DrawnSymbol(class_id, instance, tuple(terminals), box, names))


class _Union:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _distance_to_line(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of each of ``points`` ``(N, 2)`` to the polyline ``line`` ``(K, 2)``."""
    a, b = line[:-1][None], line[1:][None]
    p = points[:, None, :]
    d = b - a
    length2 = np.maximum((d**2).sum(-1), 1e-12)
    t = np.clip(((p - a) * d).sum(-1) / length2, 0.0, 1.0)
    nearest = a + t[..., None] * d
    return np.sqrt(((p - nearest) ** 2).sum(-1)).min(axis=1)


def true_nets(log: ConnectionLog, class_names: tuple[str, ...] = CLASS_NAMES) -> list[TrueNet]:
    """The nets of a logged drawing (see the module docstring for the rules).

    Nodes are the lines' straight pieces outside labelled symbols' boxes and, for each pass-through
    symbol, one node per line kind; labelled symbols are not nodes (their terminals are different
    nets) but members of the nodes they touch.
    """
    labelled = [s for s in log.symbols if _is_member(s, class_names) and s.box is not None]
    boxes = np.array([s.box for s in labelled], np.float64).reshape(-1, 4)
    box_instance = [int(s.instance) for s in labelled]  # type: ignore[arg-type]
    pieces = [piece for line in log.lines for piece in _split_at_symbols(line, boxes)]
    lines = [piece.points_array() for piece in pieces]
    widths = np.array([piece.width for piece in pieces], np.float64)
    dashed = np.array([piece.dashed for piece in pieces], bool)
    union = _Union(len(lines) + 2 * len(log.symbols))
    ends = np.concatenate([line[[0, -1]] for line in lines]) if lines else np.zeros((0, 2))
    owner = np.repeat(np.arange(len(lines)), 2)
    points, point_symbol, point_port = _terminal_points(log, class_names)
    members: dict[int, set[int]] = {}  # node -> labelled instances on it
    named: dict[int, set[TruePort]] = {}  # node -> named terminals its line ends at
    for i, line in enumerate(lines):
        near = _distance_to_line(ends, line) <= (widths[i] + widths[owner]) / 2 + _TOUCH_PX
        for j in np.unique(owner[near & (dashed[owner] == dashed[i]) & (owner != i)]):
            union.join(i, int(j))
        at_end = np.sqrt(((points[:, None, :] - line[[0, -1]][None]) ** 2).sum(-1)).min(axis=1)
        for s in np.unique(point_symbol[at_end <= widths[i] / 2 + _TOUCH_PX]).tolist():
            _attach(log.symbols[s], s, i, len(lines), int(dashed[i]), class_names, union, members)
        for instance in _ends_in_boxes(line[[0, -1]], boxes, box_instance, widths[i] / 2 + _TOUCH_PX):
            members.setdefault(i, set()).add(instance)
        terminals = _named_ends(log, line[[0, -1]], points, point_symbol, point_port, members.get(i, set()), widths[i])
        if terminals:
            named.setdefault(i, set()).update(terminals)
    _meet_pass_through(log, class_names, len(lines), members)
    return _collect(log, class_names, len(lines), dashed, union, members, named)


def _named_ends(
    log: ConnectionLog,
    ends: np.ndarray,
    points: np.ndarray,
    point_symbol: np.ndarray,
    point_port: list[str | None],
    on_line: set[int],
    width: float,
) -> list[TruePort]:
    """The named terminal nearest each line end, of the symbols on the line. A line that meets a
    terminal is cut at the symbol's box, which is padded by a stroke: its end lies up to a stroke or
    two short of the terminal, hence the reach."""
    found = []
    for end in ends:
        distance = np.hypot(points[:, 0] - end[0], points[:, 1] - end[1])
        candidates = [
            k
            for k in np.flatnonzero(distance <= 2 * width + 2 * _TOUCH_PX).tolist()
            if point_port[k] is not None and log.symbols[point_symbol[k]].instance in on_line
        ]
        if candidates:
            k = min(candidates, key=lambda c: distance[c])
            instance = int(log.symbols[point_symbol[k]].instance)
            found.append(TruePort(instance, str(point_port[k]), (float(points[k, 0]), float(points[k, 1]))))
    return found


def _split_at_symbols(line: DrawnLine, boxes: np.ndarray) -> list[DrawnLine]:
    """The straight pieces of ``line`` outside every box: a line drawn across a symbol ends at it on
    both sides, as the drawing reads (and as the symbol's ink cuts it)."""
    pieces = []
    points = line.points_array()
    for a, b in zip(points[:-1], points[1:]):
        cut = sorted(_inside(a, b, boxes))
        t = 0.0
        for t0, t1 in cut + [(1.0, 1.0)]:
            if t0 > t and np.hypot(*((b - a) * (t0 - t))) >= 1.0:
                p, q = a + (b - a) * t, a + (b - a) * t0
                pieces.append(
                    DrawnLine(((float(p[0]), float(p[1])), (float(q[0]), float(q[1]))), line.width, line.dashed)
                )
            t = max(t, t1)
    return pieces


def _inside(a: np.ndarray, b: np.ndarray, boxes: np.ndarray) -> list[tuple[float, float]]:
    """Parameter intervals ``(t0, t1)`` of the segment ``a + t (b - a)`` that lie inside each box (Liang-Barsky)."""
    if not len(boxes):
        return []
    d = b - a
    lo = np.zeros(len(boxes))
    hi = np.ones(len(boxes))
    for axis in (0, 1):
        start, end = boxes[:, axis], boxes[:, axis + 2]
        if abs(d[axis]) < 1e-9:
            outside = (a[axis] < start) | (a[axis] > end)
            hi[outside] = -1.0
            continue
        t_start, t_end = (start - a[axis]) / d[axis], (end - a[axis]) / d[axis]
        lo = np.maximum(lo, np.minimum(t_start, t_end))
        hi = np.minimum(hi, np.maximum(t_start, t_end))
    return [(float(s), float(e)) for s, e in zip(lo, hi) if e > s]


def _is_member(symbol: DrawnSymbol, class_names: tuple[str, ...]) -> bool:
    """A labelled symbol that is a node of the graph (not a pass-through or unconnected class)."""
    name = class_names[symbol.class_id]
    return symbol.instance is not None and name not in _PASS_THROUGH and name not in _NOT_CONNECTED


def _terminal_points(
    log: ConnectionLog, class_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Every terminal of the symbols that connect, the index of its symbol and its port name."""
    points: list[Point] = []
    owners: list[int] = []
    ports: list[str | None] = []
    for s, symbol in enumerate(log.symbols):
        if class_names[symbol.class_id] not in _NOT_CONNECTED:
            points.extend(symbol.terminals)
            owners.extend([s] * len(symbol.terminals))
            ports.extend(symbol.ports or (None,) * len(symbol.terminals))
    return np.asarray(points, np.float64).reshape(-1, 2), np.asarray(owners, np.int64), ports


def _attach(
    symbol: DrawnSymbol,
    s: int,
    line: int,
    line_count: int,
    kind: int,
    class_names: tuple[str, ...],
    union: _Union,
    members: dict[int, set[int]],
) -> None:
    if class_names[symbol.class_id] in _PASS_THROUGH:
        union.join(line, line_count + 2 * s + kind)
    elif _is_member(symbol, class_names):
        members.setdefault(line, set()).add(symbol.instance)  # type: ignore[arg-type]


def _ends_in_boxes(ends: np.ndarray, boxes: np.ndarray, instances: list[int], slack: float) -> list[int]:
    """The instances whose box (grown by ``slack``) holds one of ``ends``."""
    x, y = ends[:, 0][:, None], ends[:, 1][:, None]
    inside = (x >= boxes[:, 0] - slack) & (x <= boxes[:, 2] + slack) & (y >= boxes[:, 1] - slack)
    inside &= y <= boxes[:, 3] + slack
    return [instances[k] for k in np.flatnonzero(inside.any(axis=0))]


def _meet_pass_through(
    log: ConnectionLog, class_names: tuple[str, ...], line_count: int, members: dict[int, set[int]]
) -> None:
    """A labelled symbol whose terminal meets a pass-through symbol's terminal (a vessel and the nozzle
    drawn from its shell) is on the nets through that symbol, of either kind."""
    through = [
        (s, np.asarray(sym.terminals, np.float64))
        for s, sym in enumerate(log.symbols)
        if class_names[sym.class_id] in _PASS_THROUGH
    ]
    for symbol in log.symbols:
        if not _is_member(symbol, class_names) or not through:
            continue
        terminals = np.asarray(symbol.terminals, np.float64)
        for s, points in through:
            if np.sqrt(((terminals[:, None, :] - points[None, :, :]) ** 2).sum(-1)).min() <= 2 * _TOUCH_PX:
                for kind in (0, 1):
                    members.setdefault(line_count + 2 * s + kind, set()).add(symbol.instance)  # type: ignore[arg-type]


def _collect(
    log: ConnectionLog,
    class_names: tuple[str, ...],
    line_count: int,
    dashed: np.ndarray,
    union: _Union,
    members: dict[int, set[int]],
    named: dict[int, set[TruePort]],
) -> list[TrueNet]:
    """One net per group of joined lines that holds a labelled symbol."""
    by_root: dict[int, set[int]] = {}
    for node, found in members.items():
        by_root.setdefault(union.find(node), set()).update(found)
    ports_of: dict[int, set[TruePort]] = {}
    for node, terminals in named.items():
        ports_of.setdefault(union.find(node), set()).update(terminals)
    kinds = {union.find(i): bool(dashed[i]) for i in range(line_count)}
    classes = {s.instance: class_names[s.class_id] for s in log.symbols if s.instance is not None}
    nets = []
    for root in sorted(by_root):
        if root not in kinds:  # a pass-through symbol no line reaches
            continue
        found = by_root[root]
        labels = sorted({_LABELS[classes[m]] for m in found if classes[m] in _LABELS})
        kind: NetKind = "dashed" if kinds[root] else "solid"
        ports = tuple(sorted(ports_of.get(root, ()), key=lambda p: (p.symbol, p.name)))
        nets.append(TrueNet(tuple(sorted(found)), kind, labels[0] if labels else None, ports))
    return nets
