"""What :meth:`Segmenter.predict <schemseg_sdk.Segmenter.predict>` returns, and its JSON schema.

JSON schema (``schema`` = ``"schemseg.segmentation/1"``; keys are only ever added, never renamed)::

    {
      "schema": "schemseg.segmentation/1",
      "source": "sheets/a.png",          # the path, or "<array>" / "<bytes>"
      "width": 845, "height": 819,        # the input's own size, in pixels (masks and boxes are in these)
      "model": {"name": "attention_unetpp", "version": "1", "precision": "fp32",
                "input_size": 608, "backend": "onnxruntime-cpu"},
      "tiles": 4,                          # model runs for this sheet (1 when it fits the input)
      "symbols": [{"class_id": 1, "class_name": "resistor", "bbox": [x0, y0, x1, y1],
                   "area": 812, "confidence": 0.9731}],   # bbox x1/y1 exclusive; confidence may be null
      "symbol_counts": {"resistor": 4, "capacitor": 2},   # symbols per class name
      "grouping": {"stroke_width": 2.0, "text_height": 11.0, "gap": 1.0, ...,  # null: no grouping
                   "classifier": {"file": "symbol_classifier.onnx", ...},  # null: the model's vote
                   "classifier_reason": "classifier symbol_classifier.onnx (bundled, trained for this model)"},
      "scale": {"zoom": 1.0, "mode": "auto", "stroke_px": 1.9, "text_px": 11.0,   # the zoom the model read the
                "reason": "stroke 1.90 px, text 11.0 px: inside the model's band, read as it is"},  # sheet at, and why
      "timings": {"decode": 0.004, "preprocess": 0.001, "inference": 0.41, "compute": 0.40,
                  "stitch": 0.0005, "group": 0.02, "postprocess": 0.0, "total": 0.44},  # seconds
      "page": null, "pages": null,        # for a page of a PDF or multi-page file: its number (from 1), and how many
      "dpi": null                         # for a PDF page: the resolution it was rendered at
    }

With grouping (the default) a symbol is one instance as a person would count it: its pixels were
grouped across classes and fragments. With the symbol classifier (the default for the bundled
model) its class and ``confidence`` are the classifier's; without it, the class won the model's
vote and ``confidence`` is the mean over its pixels of the confidence in that class (pixels the
model gave another class count 0). Without grouping a symbol is one connected region of one class,
and ``confidence`` the mean confidence of its pixels. The keys ``symbol_counts``, ``grouping`` and
``grouping.classifier`` (``grouping.classifier_reason``: which classifier and why, or why none), ``scale``, ``page``, ``pages`` and ``dpi`` were added without raising the
schema version: readers of version 1 ignore them. With a zoom other than 1 the grouping ran at the
model's scale, so ``grouping.stroke_width`` and ``grouping.text_height`` (text is grouped in text
heights; ``null`` where too little text was found) are measured there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .documents import DocumentPage
from .fileio import atomic_write_bytes, atomic_write_text
from .overlay import draw_overlay, encode_png
from .symbols import Symbol

if TYPE_CHECKING:
    from .graph.model import SheetGraph

__all__ = ["SegmentationResult", "JSON_SCHEMA", "STAGES"]

JSON_SCHEMA = "schemseg.segmentation/1"
STAGES = ("decode", "preprocess", "inference", "stitch", "group", "postprocess")
"""Stages timed for every sheet; ``total`` is their sum (``group``: symbol grouping, 0 when off). Backends may add sub-stages of ``inference``
(``compute``, and ``h2d``/``d2h`` for TensorRT), which are not added to ``total`` again."""


@dataclass
class SegmentationResult:
    """The segmentation of one sheet.

    Attributes:
        mask: ``(H, W)`` uint8 class ids, the input's own size.
        confidence: ``(H, W)`` top softmax probability per pixel; float32 for a sheet that fits the
            model input, float16 for a tiled (larger) sheet to keep big scans compact; ``None``
            when the prediction was made with ``with_confidence=False``.
        symbols: one :class:`~schemseg_sdk.symbols.Symbol` per symbol instance (per connected region
            of a class when the Segmenter's grouping is off).
        timings: seconds per stage (see :data:`STAGES`) and ``total``.
        source: the input's path, or ``"<array>"`` / ``"<bytes>"``.
        image: the decoded BGR uint8 drawing (what :meth:`overlay` draws on).
        model: name, version, precision, input size and backend of the model that made it.
        tiles: how many model-sized tiles the sheet was cut into.
        class_names: the model's class names (``class_names[i]`` names class id ``i``).
        grouping: the stroke width, settings and symbol classifier of the grouping; ``None`` when it was off.
        page: which page of a document this is (:class:`~schemseg_sdk.documents.DocumentPage`);
            ``None`` for a single image.
        scale: the zoom the model read the sheet at, how it was chosen and why
            (:meth:`SheetScale.to_dict <schemseg_sdk.sheet_scale.SheetScale.to_dict>`); ``None`` for
            results made by hand.
    """

    mask: np.ndarray
    confidence: np.ndarray | None
    symbols: list[Symbol]
    timings: dict[str, float]
    source: str
    image: np.ndarray = field(repr=False)
    model: dict[str, object] = field(default_factory=dict)
    tiles: int = 1
    class_names: tuple[str, ...] = ()
    grouping: dict[str, object] | None = None
    page: DocumentPage | None = None
    scale: dict[str, object] | None = None

    def __repr__(self) -> str:
        return (
            f"SegmentationResult(source={self.source!r}, "
            f"{'' if self.page is None else f'page={self.page.number}, '}width={self.width}, height={self.height}, "
            f"symbols={len(self.symbols)}, tiles={self.tiles})"
        )

    @property
    def height(self) -> int:
        return int(self.mask.shape[0])

    @property
    def width(self) -> int:
        return int(self.mask.shape[1])

    def symbol_counts(self) -> dict[str, int]:
        """Number of symbols per class name, for the classes found."""
        return dict(Counter(s.class_name for s in self.symbols))

    @property
    def graph(self) -> SheetGraph:
        """The sheet's symbols with their ports and its nets with their segments, built on first use.

        See :mod:`schemseg_sdk.graph` for how lines and ports are found and the graph's JSON schema.
        """
        cached = self.__dict__.get("_graph")
        if cached is None:
            from .graph.build import build_graph  # the graph needs networkx; plain segmentation does not

            cached = self.__dict__["_graph"] = build_graph(self)
        return cached

    def to_netlist(self) -> dict[str, object]:
        """The circuit as a netlist in the CI2N golden JSON schema (``{"ckt_netlist": [...]}``), from :attr:`graph`."""
        return self.graph.to_netlist()

    def to_dict(self) -> dict[str, object]:
        """The result as plain JSON-ready data (see the module docstring for the schema)."""
        return {
            "schema": JSON_SCHEMA,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "model": dict(self.model),
            "tiles": self.tiles,
            "symbols": [s.to_dict() for s in self.symbols],
            "symbol_counts": self.symbol_counts(),
            "grouping": None if self.grouping is None else dict(self.grouping),
            "scale": None if self.scale is None else dict(self.scale),
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "page": None if self.page is None else self.page.number,
            "pages": None if self.page is None else self.page.count,
            "dpi": None if self.page is None else self.page.dpi,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text (schema in the module docstring)."""
        return json.dumps(self.to_dict(), indent=indent)

    def overlay(self, alpha: float = 0.55) -> np.ndarray:
        """The drawing with symbols coloured by class and a legend of the classes present (BGR uint8)."""
        names = self.class_names or tuple(f"class_{i}" for i in range(256))
        return draw_overlay(self.image, self.mask, names, alpha)

    def save_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` atomically."""
        atomic_write_text(path, self.to_json() + "\n")

    def save_overlay(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`overlay` to ``path`` as PNG, atomically."""
        atomic_write_bytes(path, encode_png(self.overlay(), str(path)))
