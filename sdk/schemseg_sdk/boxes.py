"""Ground-truth symbol boxes of a dataset: ``boxes/NAME.json`` beside ``images/NAME.png``.

One file per sheet, written by the synthetic generator (every drawn symbol) and by the LabelMe
import (every mapped shape), read by the symbol-level evaluation::

    {
      "schema": "schemseg.boxes/1",
      "boxes": [{"class_id": 3, "class_name": "capacitor", "bbox": [x0, y0, x1, y1]}],
      "ignore": [[x0, y0, x1, y1]]      # areas not scored (labels mapped to null); may be empty
    }

``bbox`` uses the convention of :class:`~schemseg_sdk.symbols.Symbol`: pixels, ``x1``/``y1`` exclusive.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .classes import CLASS_NAMES
from .errors import DatasetError
from .fileio import atomic_write_text, read_json_object

__all__ = ["BOXES_SCHEMA", "Box", "SheetBoxes", "read_boxes", "write_boxes"]

BOXES_SCHEMA = "schemseg.boxes/1"

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SheetBoxes:
    """The true symbols of one sheet: ``(class_id, bbox)`` pairs, and boxes that are not scored."""

    symbols: tuple[tuple[int, Box], ...]
    ignore: tuple[Box, ...] = field(default=())

    def to_dict(self, class_names: Sequence[str] = CLASS_NAMES) -> dict[str, object]:
        """The file's JSON object; ``class_names`` names the class ids (the dataset's list)."""
        return {
            "schema": BOXES_SCHEMA,
            "boxes": [
                {"class_id": class_id, "class_name": class_names[class_id], "bbox": list(box)}
                for class_id, box in self.symbols
            ],
            "ignore": [list(box) for box in self.ignore],
        }


def write_boxes(
    path: str | os.PathLike[str],
    symbols: Iterable[tuple[int, Box]],
    ignore: Iterable[Box] = (),
    class_names: Sequence[str] = CLASS_NAMES,
) -> None:
    """Write one sheet's boxes to ``path`` atomically (see the module docstring for the format)."""
    boxes = SheetBoxes(tuple((int(c), _box(b)) for c, b in symbols), tuple(_box(b) for b in ignore))
    atomic_write_text(path, json.dumps(boxes.to_dict(class_names)) + "\n")


def read_boxes(path: str | os.PathLike[str], num_classes: int = len(CLASS_NAMES)) -> SheetBoxes:
    """Read and check one ``boxes/NAME.json`` of a dataset with ``num_classes`` classes (background included).

    Raises:
        DatasetError: unreadable file, another schema, or a class id / box that is not valid.
    """
    path = Path(path)
    data = read_json_object(path, "boxes file", DatasetError, f"a {BOXES_SCHEMA!r} object")
    if data.get("schema") != BOXES_SCHEMA:
        found = data.get("schema")
        raise DatasetError(f"{path}: expected a {BOXES_SCHEMA!r} object, got {found!r}; regenerate the dataset")
    try:
        symbols = tuple(
            (_class_id(item["class_id"], num_classes), _box(item["bbox"])) for item in data.get("boxes", [])
        )
        ignore = tuple(_box(box) for box in data.get("ignore", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(
            f"{path}: malformed box ({exc}); expected class_id 1..{num_classes - 1} and bbox [x0, y0, x1, y1]"
        ) from None
    return SheetBoxes(symbols, ignore)


def _class_id(value: object, num_classes: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < num_classes:
        raise ValueError(f"class_id {value!r}")
    return value


def _box(value: Iterable[object]) -> Box:
    x0, y0, x1, y1 = (int(v) for v in value)  # type: ignore[call-overload]  # values from JSON; int() raises on a bad one, reported by the caller
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"empty box {[x0, y0, x1, y1]}")
    return x0, y0, x1, y1
