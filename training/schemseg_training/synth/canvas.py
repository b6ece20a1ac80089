"""The sheet being composed: ink layer, class mask, occupied area and the list of drawn symbols."""

from __future__ import annotations

import cv2
import numpy as np

from schemseg_sdk.classes import CLASS_NAMES

from .connections import ConnectionLog
from .strokes import SHIFT, Pen, PlacedShape, Placement, Shape, fill_holes, place_shape, render_ink
from .symbols_circuit import terminal_ports

__all__ = ["SheetCanvas", "Box"]

Box = tuple[int, int, int, int]


class SheetCanvas:
    """Ink (0 = paper, 255 = ink), class ids and instances of one sheet; symbols own their mask.

    ``size`` is the width; ``height`` defaults to it (square sheets)."""

    def __init__(self, size: int, height: int | None = None) -> None:
        self.size = self.width = size
        self.height = size if height is None else height
        shape = (self.height, self.width)
        self.ink = np.zeros(shape, np.uint8)
        self.mask = np.zeros(shape, np.uint8)
        self.taken = np.zeros(shape, np.uint8)
        self.instances: list[tuple[int, tuple[int, int, int, int]]] = []
        self.connections = ConnectionLog()  # what was drawn that connects, for the sheet's true graph

    def is_free(self, box: Box, margin: int = 0) -> bool:
        """True if ``box`` (grown by ``margin``) lies on the sheet and overlaps nothing reserved."""
        x0, y0, x1, y1 = box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin
        if x0 < 0 or y0 < 0 or x1 > self.width or y1 > self.height:
            return False
        return not self.taken[y0:y1, x0:x1].any()

    def reserve(self, box: Box) -> None:
        """Mark ``box`` as used so later symbols and labels avoid it."""
        x0, y0, x1, y1 = (max(0, box[0]), max(0, box[1]), min(self.width, box[2]), min(self.height, box[3]))
        self.taken[y0:y1, x0:x1] = 1

    def draw_symbol(self, class_id: int, shape: Shape, placement: Placement, pen: Pen) -> PlacedShape:
        """Render ``shape`` at ``placement``: ink composited with max, mask = its strokes + holes."""
        placed = place_shape(shape, placement)
        crop, x0, y0 = render_ink(placed, pen)
        before = len(self.instances)
        self.paste(crop, x0, y0, class_id)
        instance = before if len(self.instances) > before else None
        box = self.instances[before][1] if instance is not None else None
        ports = terminal_ports(CLASS_NAMES[class_id], shape) if instance is not None else {}
        self.connections.add_symbol(
            class_id, instance, list(placed.terminals.values()), box, [ports.get(t) for t in placed.terminals]
        )
        return placed

    def paste(self, crop: np.ndarray, x0: int, y0: int, class_id: int, erase: bool = False) -> None:
        """Composite an ink crop at ``(x0, y0)``; non-zero ``class_id`` also writes its mask and instance."""
        h, w = crop.shape
        sx0, sy0 = max(x0, 0), max(y0, 0)
        sx1, sy1 = min(x0 + w, self.width), min(y0 + h, self.height)
        if sx1 <= sx0 or sy1 <= sy0:
            return
        sub = crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0]
        ink = self.ink[sy0:sy1, sx0:sx1]
        if erase:
            ink[:] = sub
        else:
            np.maximum(ink, sub, out=ink)
        if not class_id:
            return
        solid = fill_holes(sub).astype(bool)
        if not solid.any():
            return
        self.mask[sy0:sy1, sx0:sx1][solid] = class_id
        ys, xs = np.nonzero(solid)
        box = (sx0 + int(xs.min()), sy0 + int(ys.min()), sx0 + int(xs.max()) + 1, sy0 + int(ys.max()) + 1)
        self.instances.append((class_id, box))
        self.reserve(box)

    def draw_wire(self, points: list[tuple[float, float]], pen: Pen, dashed: bool = False, value: int = 255) -> None:
        """Draw a background polyline (wire, pipe, signal line): ink only, mask stays 0.

        ``value`` below 255 draws in grey (annotation arrows)."""
        pts = np.asarray(points, np.float64)
        if len(pts) < 2:
            return
        if value == 255:  # grey strokes are annotation, not lines
            self.connections.add_line(points, pen.width, dashed)
        if dashed:
            shape = Shape(dashed=True).path(pts)
            crop, x0, y0 = render_ink(place_shape(shape, Placement(0, 0, 1.0)), pen)
            self.paste((crop.astype(np.uint16) * value // 255).astype(np.uint8), x0, y0, 0)
            return
        fp = np.round(pts * (1 << SHIFT)).astype(np.int32)
        if value == 255:
            cv2.polylines(self.ink, [fp], False, 255, pen.width, cv2.LINE_AA, SHIFT)
            return
        layer = np.zeros_like(self.ink)
        cv2.polylines(layer, [fp], False, value, pen.width, cv2.LINE_AA, SHIFT)
        np.maximum(self.ink, layer, out=self.ink)

    def log_line(self, points: list[tuple[float, float]], pen: Pen, dashed: bool) -> None:
        """Note a line drawn as a pattern of strokes (a dotted or pneumatic signal line) for the true graph."""
        self.connections.add_line(points, pen.width, dashed)

    def clear(self, box: Box) -> None:
        """Erase ink and mask inside ``box`` (used before drawing a wire hop)."""
        x0, y0, x1, y1 = (max(0, box[0]), max(0, box[1]), min(self.width, box[2]), min(self.height, box[3]))
        self.ink[y0:y1, x0:x1] = 0
        self.mask[y0:y1, x0:x1] = 0
