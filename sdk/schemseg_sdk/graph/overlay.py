"""A picture of a sheet's graph: each net's segments in its own colour, symbol boxes, ports as dots with names."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from .model import SheetGraph

__all__ = ["draw_graph", "net_color"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def net_color(net_id: int) -> tuple[int, int, int]:
    """A BGR colour for a net id; golden-ratio hue steps keep neighbouring ids apart."""
    h = (net_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.9, 0.85 if net_id % 2 else 0.65)
    return int(b * 255), int(g * 255), int(r * 255)


def draw_graph(image: np.ndarray, graph: SheetGraph, port_names: bool = True) -> np.ndarray:
    """The drawing, faded, with each net coloured, symbols boxed in grey and ports dotted in their net's colour.

    Dashed (signal) nets are drawn thinner. Returns a BGR uint8 picture the size of ``image``.

    >>> draw_graph(np.full((10, 10, 3), 255, np.uint8), SheetGraph("<array>", 10, 10)).shape
    (10, 10, 3)
    """
    base = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    canvas = (0.35 * base + 0.65 * 255).astype(np.uint8)
    scale = max(1.0, min(base.shape[:2]) / 800.0)
    thick = max(2, round(2 * scale))
    for net in graph.nets:
        color = net_color(net.id)
        width = max(1, thick // 2) if net.kind == "dashed" else thick
        for s in net.segments:
            if s.shape == "other":
                cv2.rectangle(canvas, (s.x0, s.y0), (s.x1, s.y1), color, max(1, width // 2))
            else:
                cv2.line(canvas, (s.x0, s.y0), (s.x1, s.y1), color, width)
    for symbol in graph.symbols:
        x0, y0, x1, y1 = symbol.bbox
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), (110, 110, 110), 1)
        for port in symbol.ports:
            at = (round(port.x), round(port.y))
            cv2.circle(canvas, at, thick + 2, net_color(port.net), -1)
            if port_names:
                cv2.putText(
                    canvas,
                    port.name[:2],
                    (at[0] + thick + 2, at[1] - thick),
                    _FONT,
                    0.35 * scale,
                    (0, 0, 0),
                    1,
                    cv2.LINE_AA,
                )
    return canvas
