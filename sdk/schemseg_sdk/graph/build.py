"""From a segmentation to a graph: lines traced into nets, terminals found, ports named."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..classes import CLASS_NAMES
from ..instances import estimate_stroke_width
from ..symbols import Symbol
from .lines import LineTrace, ink_mask, trace_lines
from .model import GraphSymbol, Net, Port, SheetGraph
from .ports import CI2N_TYPES, name_ports
from .roles import NET_LABELS, ClassRoles, class_roles
from .segments import Segment, find_segments
from .tails import peel_tails as peel_mask_tails
from .terminals import Terminal, find_terminals, symbols_per_net

__all__ = ["build_graph", "graph_from_arrays"]


def build_graph(result: object) -> SheetGraph:
    """The graph of a :class:`~schemseg_sdk.SegmentationResult` (its mask, drawing and symbols).

    >>> import numpy as np
    >>> from schemseg_sdk.graph import graph_from_arrays
    >>> graph_from_arrays(np.full((20, 20, 3), 255, np.uint8), np.zeros((20, 20), np.uint8), []).nets
    []
    """
    grouping = getattr(result, "grouping", None) or {}
    width = grouping.get("stroke_width") if isinstance(grouping, dict) else None
    return graph_from_arrays(
        result.image,  # type: ignore[attr-defined]
        result.mask,  # type: ignore[attr-defined]
        result.symbols,  # type: ignore[attr-defined]
        class_names=result.class_names or CLASS_NAMES,  # type: ignore[attr-defined]
        source=result.source,  # type: ignore[attr-defined]
        stroke_width=float(width) if width else None,
        peel_tails=True,
    )


def graph_from_arrays(
    image: np.ndarray,
    mask: np.ndarray,
    symbols: Sequence[Symbol],
    class_names: Sequence[str] = CLASS_NAMES,
    source: str = "<array>",
    stroke_width: float | None = None,
    peel_tails: bool = False,
) -> SheetGraph:
    """The graph of a drawing given its class mask and symbols (what :func:`build_graph` reads from a result).

    Args:
        image: the drawing, BGR or gray, the size of ``mask``.
        mask: ``(H, W)`` uint8 class ids.
        symbols: the symbol instances (their boxes and classes).
        class_names: the model's class names.
        source: the drawing's path, for the graph's ``source``.
        stroke_width: the sheet's stroke width; measured on ``image`` when ``None``.
        peel_tails: give the thin strips of the symbols' masks that run out along a line back to the
            line (:mod:`.tails`): True for a model's mask (:func:`build_graph`), whose masks run a few
            pixels over the lines they meet; False for an exact mask (a synthetic sheet's, or one drawn
            in code), where a thin strip at a symbol's edge is the symbol's own stub, such as an
            orifice plate's tap, which a signal line ends on.
    """
    roles = class_roles(class_names)
    symbols = [s for s in symbols if roles.symbol[s.class_id]]
    width = stroke_width if stroke_width else estimate_stroke_width(image)
    if peel_tails:
        mask = peel_mask_tails(mask, symbols, width)
    trace = trace_lines(image, mask, roles, width)
    terminals = find_terminals(symbols, mask, roles, trace)
    alias, labels = _net_labels(symbols, terminals, trace.net_count)
    reach = symbols_per_net([[replace(t, net=int(alias[t.net])) for t in ts] for ts in terminals])
    graph_symbols = [
        _graph_symbol(i, s, ts, alias, reach, image, mask, roles) for i, (s, ts) in enumerate(zip(symbols, terminals))
    ]
    nets = _nets(trace, alias, labels, graph_symbols)
    return SheetGraph(source, int(mask.shape[1]), int(mask.shape[0]), graph_symbols, nets)


def _net_labels(
    symbols: Sequence[Symbol], terminals: list[list[Terminal]], count: int
) -> tuple[np.ndarray, dict[int, str]]:
    """Nets touched by a ground become one net ``GND``; by a supply rail, ``VDD`` (above the circuit's middle) or ``VSS``.

    A rail's text is not read, so a rail drawn above the mean height of the other symbols is taken
    for the positive supply and one below it for the negative one.
    """
    alias = np.arange(count)
    parts = [(s.bbox[1] + s.bbox[3]) / 2 for s in symbols if s.class_name not in NET_LABELS]
    middle = sum(parts) / len(parts) if parts else 0.0
    first: dict[str, int] = {}
    labels: dict[int, str] = {}
    for symbol, found in zip(symbols, terminals):
        label = NET_LABELS.get(symbol.class_name)
        if label is None:
            continue
        if label == "VDD" and (symbol.bbox[1] + symbol.bbox[3]) / 2 > middle:
            label = "VSS"
        for t in found:
            target = first.setdefault(label, int(alias[t.net]))
            alias[alias == alias[t.net]] = target
            labels[target] = label
    return alias, labels


def _graph_symbol(
    index: int,
    symbol: Symbol,
    terminals: list[Terminal],
    alias: np.ndarray,
    reach: Counter[int],
    image: np.ndarray,
    mask: np.ndarray,
    roles: ClassRoles,
) -> GraphSymbol:
    x0, y0, x1, y1 = symbol.bbox
    # the drawn strokes, not the whole mask: a symbol's mask fills its closed outlines (a transistor's
    # circle, an op-amp's triangle), which would hide the emitter's arrow and the input's plus
    ink = roles.symbol[mask[y0:y1, x0:x1]] & ink_mask(image[y0:y1, x0:x1])
    aliased = [Terminal(t.x, t.y, int(alias[t.net]), t.area) for t in terminals]
    named = name_ports(symbol.class_name, aliased, reach, ink, (x0, y0))
    ports = tuple(Port(name, t.x, t.y, t.net) for name, t in named)
    return GraphSymbol(index, symbol.class_name, CI2N_TYPES.get(symbol.class_name), symbol.bbox, ports)


def _nets(trace: LineTrace, alias: np.ndarray, labels: dict[int, str], symbols: list[GraphSymbol]) -> list[Net]:
    by_net: dict[int, list[Segment]] = {}
    for segment in find_segments(trace):
        net = int(alias[segment.net])
        by_net.setdefault(net, []).append(replace(segment, net=net))
    used = set(by_net) | {p.net for s in symbols for p in s.ports}
    # a net that grounds or rails join is dashed only when all its parts are: one signal line ending
    # on a ground symbol must not turn the whole GND net into a signal line
    solid = {int(alias[i]) for i in np.flatnonzero(~trace.dashed)}
    dashed = {int(alias[i]) for i in np.flatnonzero(trace.dashed)} - solid
    return [
        Net(
            net,
            labels.get(net, f"net{net}"),
            "dashed" if net in dashed else "solid",
            labels.get(net),
            tuple(by_net.get(net, ())),
        )
        for net in sorted(used)
    ]
