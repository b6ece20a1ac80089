"""The symbol boxes of a LabelMe sheet, for ``boxes/NAME.json`` (symbol-level evaluation).

Each mapped shape is one true symbol. Its box is the extent of the pixels of its class inside a
rectangle (the ink the mask gives it; the rectangle itself when there is none) or the bounding box
of a polygon, so it is comparable with the ink box of a predicted symbol. Shapes whose label maps to
``null`` become ``ignore`` boxes: predictions there are neither right nor wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from schemseg_sdk.boxes import Box, write_boxes

from .shapes import LabelMap, Shape

__all__ = ["shape_boxes", "symbol_shape_indices", "write_shape_boxes"]


def shape_boxes(
    mask: np.ndarray, shapes: Sequence[Shape], class_ids: Mapping[str, int | None]
) -> tuple[list[tuple[int, Box]], list[Box]]:
    """``(symbols, ignore)`` of one sheet: ``(class_id, box)`` per mapped shape, boxes of ignored labels.

    ``mask`` is the sheet's painted class-id mask, ``class_ids`` the label map. Shapes outside the image or with labels the map
    does not know are left out (the mask import reports unknown labels).
    """
    symbols: list[tuple[int, Box]] = []
    ignore: list[Box] = []
    for index, box in _placed(shapes, class_ids, mask.shape):
        shape = shapes[index]
        class_id = class_ids[shape.label]
        if class_id is None:
            ignore.append(box)
        else:
            symbols.append((class_id, _ink_box(mask, class_id, box) if shape.kind == "rectangle" else box))
    return symbols, ignore


def symbol_shape_indices(
    shapes: Sequence[Shape], class_ids: Mapping[str, int | None], size: tuple[int, int]
) -> list[int]:
    """The index in ``shapes`` of each symbol :func:`shape_boxes` returns, in its order (its box id in ``boxes/``).

    ``size`` is the sheet's ``(height, width)``.
    """
    return [index for index, _ in _placed(shapes, class_ids, size) if class_ids[shapes[index].label] is not None]


def _placed(
    shapes: Sequence[Shape], class_ids: Mapping[str, int | None], size: tuple[int, ...]
) -> Iterator[tuple[int, Box]]:
    """``(index, box)`` of each shape with a known label that lies on the image, its box clipped to it."""
    height, width = size[:2]
    for index, shape in enumerate(shapes):
        if shape.label not in class_ids:
            continue
        lo = np.clip(np.floor(shape.points.min(axis=0)), 0, [width, height]).astype(int)
        hi = np.clip(np.floor(shape.points.max(axis=0)) + 1, 0, [width, height]).astype(int)
        if hi[0] > lo[0] and hi[1] > lo[1]:
            yield index, (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]))


def write_shape_boxes(path: Path, mask: np.ndarray, shapes: Sequence[Shape], label_map: LabelMap) -> None:
    """Write :func:`shape_boxes` of one sheet to ``path`` (``boxes/NAME.json``), named by the map's class list."""
    symbols, ignore = shape_boxes(mask, shapes, label_map.class_ids)
    write_boxes(path, symbols, ignore, label_map.class_names)


def _ink_box(mask: np.ndarray, class_id: int, box: Box) -> Box:
    x0, y0, x1, y1 = box
    inside = mask[y0:y1, x0:x1] == class_id
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if not rows.size:
        return box
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1
