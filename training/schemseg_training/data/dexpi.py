"""DEXPI Proteus XML + renderings of it -> a schemseg dataset (``images/``, ``masks/``, ``boxes/``).

The dataset is the one ``schemseg data import-labelme`` writes: each rendering's symbols become
rectangles (:mod:`.dexpi_labels`), painted by the rule of :mod:`.paint` (dark ink inside a box
takes its class, smaller boxes win, ignored boxes are 255) and boxed by :mod:`.labelme_boxes`.
A rendering is imported only when the drawing's strokes land on its ink (:mod:`.dexpi_align`);
every rendering left out is listed with its reason, never imported misaligned.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from schemseg_sdk.boxes import write_boxes
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.errors import DatasetError
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.graph.edges import EdgeGraph, write_true_graph

from .check import ClassFrequencies
from .dexpi_align import Placement, place_drawing
from .dexpi_graph import ProteusConnectivity, SheetGraphTruth, read_connectivity, sheet_true_nets
from .dexpi_labels import IGNORE_LABEL, SheetLabels, label_sheet
from .dexpi_render import Cases, RenderingPair, find_renderings, load_rendering
from .dexpi_xml import ProteusDrawing, mm_per_unit, read_proteus
from .labelme import _write_png, load_label_map
from .labelme_boxes import shape_boxes, symbol_shape_indices
from .outdir import building_dataset
from .paint import ImportSettings, UnboxedText, paint_mask
from .shapes import LabelMap

__all__ = [
    "MAX_OFF_INK",
    "MAX_STRETCH",
    "DexpiReport",
    "DexpiSettings",
    "import_dexpi",
    "load_dexpi_map",
    "sheet_name",
    "write_overlay",
]

MAX_OFF_INK = 0.2
"""A rendering on which more of its symbols than this miss their strokes is not imported (redrawn by another tool)."""

MAX_STRETCH = 0.02
"""A fit whose x and y scales differ more than this is a stretched screenshot or a wrong match."""


@dataclass(frozen=True)
class DexpiSettings:
    """How renderings are read, accepted and painted (the CLI fills it; defaults are the documented ones)."""

    class_map: dict[str, str | None]
    map_name: str = "dexpi"
    cases: Cases = "all"
    dpi: float = 150.0  # PDF pages: A3 at 150 dpi is ~2,500 px wide
    min_width: int = 1500  # narrower renderings are enlarged to this width
    min_score: float = 0.5  # share of the drawing's strokes that must land on ink
    min_cover: float = 0.5  # share of the image the drawing's sheet must cover (screenshots cover less)
    dark_threshold: int = 128
    score_dark_only: bool = False
    unboxed_text: UnboxedText = "background"
    overlays: Path | None = None  # folder for overlay PNGs (boxes on the rendering), for checking by eye


@dataclass
class DexpiReport:
    """What an import did: frequencies, per-sheet records, what had no class, and skipped renderings."""

    frequencies: ClassFrequencies
    sheets: list[dict[str, object]] = field(default_factory=list)
    symbols: Counter[str] = field(default_factory=Counter)
    no_class: Counter[str] = field(default_factory=Counter)
    not_in_map: Counter[str] = field(default_factory=Counter)
    not_drawn: Counter[str] = field(default_factory=Counter)
    off_ink: Counter[str] = field(default_factory=Counter)
    undrawn: Counter[str] = field(default_factory=Counter)
    line_ends: Counter[str] = field(default_factory=Counter)  # what the ends of pipes and signal lines reach
    lines: Counter[str] = field(default_factory=Counter)  # pipes, signal lines (solid, dashed), lines not drawn
    skipped: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.frequencies.images

    def add(self, labels: SheetLabels) -> None:
        for total, part in (
            (self.symbols, labels.symbols),
            (self.no_class, labels.no_class),
            (self.not_in_map, labels.not_in_map),
            (self.not_drawn, labels.not_drawn),
            (self.off_ink, labels.off_ink),
            (self.undrawn, labels.undrawn),
        ):
            total.update(part)

    def unmapped_table(self) -> str:
        """Plain text: symbols by project class, then what had no class, by DEXPI class."""
        lines = ["symbols (boxes): " + ", ".join(f"{k} {v}" for k, v in sorted(self.symbols.items()))]
        for title, counts in (
            ("no project class (ignored, 255)", self.no_class),
            ("not in the map (ignored, 255)", self.not_in_map),
            ("drawn otherwise on the rendering (ignored, 255)", self.off_ink),
            ("not drawn on the rendering, only a pipe (ignored, 255)", self.undrawn),
            ("no geometry in the XML (not boxed)", self.not_drawn),
        ):
            if counts:
                lines.append(
                    f"{title}: {sum(counts.values())}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common())
                )
        return "\n".join(lines)


def load_dexpi_map(spec: str) -> tuple[LabelMap, dict[str, str | None]]:
    """The DEXPI class map (a JSON file or bundled name such as ``"dexpi"``) as label map and plain dict."""
    label_map = load_label_map(spec)
    names = label_map.class_names
    return label_map, {k: (None if v is None else names[v]) for k, v in label_map.class_ids.items()}


def import_dexpi(
    src: str | os.PathLike[str], out: str | os.PathLike[str], settings: DexpiSettings, *, progress: bool = False
) -> DexpiReport:
    """Import every rendering under ``src`` (a folder or one XML) whose Proteus XML is found.

    ``out`` must not exist or be empty; it is written in a temporary folder beside it and renamed
    at the end. Renderings that cannot be imported are listed in :attr:`DexpiReport.skipped`.

    Raises:
        DatasetError: no rendering found or none could be imported (the reasons are in the message),
            or ``out`` is in use.
    """
    src_path, out_dir = Path(src), Path(out)
    pairs = find_renderings(src_path, settings.cases) if src_path.exists() else []
    if not pairs:
        raise DatasetError(
            f"{src_path}: no renderings (.png, .jpg, .pdf...) of DEXPI Proteus XML files found "
            f"(cases: {settings.cases})"
        )
    with building_dataset(out_dir) as work:
        report = _import_all(pairs, work, settings, progress)
        if not report.written:
            raise DatasetError(
                f"{src_path}: none of the {len(pairs)} renderings could be imported:\n  " + "\n  ".join(report.skipped)
            )
        atomic_write_text(work / "dataset.json", json.dumps(_metadata(src_path, settings, report), indent=2) + "\n")
    return report


def _import_all(pairs: list[RenderingPair], work: Path, settings: DexpiSettings, progress: bool) -> DexpiReport:
    for sub in ("images", "masks", "boxes", "graphs"):
        (work / sub).mkdir()
    label_map = _paint_map(settings)
    paint = ImportSettings(label_map, settings.dark_threshold, settings.score_dark_only, settings.unboxed_text)
    report = DexpiReport(ClassFrequencies(CLASS_NAMES))
    drawings: dict[Path, ProteusDrawing | DatasetError] = {}
    connectivity: dict[Path, ProteusConnectivity] = {}
    for pair in tqdm(pairs, desc="import", unit="rendering", disable=not progress):
        try:
            image, placement, labels, drawing = _label_one(pair, settings, drawings)
        except DatasetError as exc:
            report.skipped.append(str(exc))
            continue
        name = sheet_name(pair.rendering)
        mask = paint_mask(image, labels.shapes, paint, str(pair.rendering))
        _write_png(work / "images" / f"{name}.png", image)
        _write_png(work / "masks" / f"{name}.png", mask)
        symbols, ignore = shape_boxes(mask, labels.shapes, label_map.class_ids)
        write_boxes(work / "boxes" / f"{name}.json", symbols, ignore, label_map.class_names)
        if drawing.path not in connectivity:
            connectivity[drawing.path] = read_connectivity(drawing.path)
        truth = _true_graph(connectivity[drawing.path], drawing, placement, labels, image, symbols, label_map)
        truth.lines["pipe segments without a centre line"] = connectivity[drawing.path].undrawn_segments
        write_true_graph(work / "graphs" / f"{name}.json", symbols, truth.nets, label_map.class_names)
        report.frequencies.add(mask)
        report.add(labels)
        report.line_ends.update(truth.line_ends)
        report.lines.update(truth.lines)
        report.sheets.append({**_sheet_record(name, pair, drawing, placement, labels), **_graph_record(truth, symbols)})
        if settings.overlays is not None:
            write_overlay(settings.overlays / f"{name}.png", image, labels)
    return report


def _true_graph(
    connectivity: ProteusConnectivity,
    drawing: ProteusDrawing,
    placement: Placement,
    labels: SheetLabels,
    image: np.ndarray,
    symbols: list[tuple[int, tuple[int, int, int, int]]],
    label_map: LabelMap,
) -> SheetGraphTruth:
    """The rendering's true nets (:mod:`.dexpi_graph`), its boxes numbered as in ``boxes/NAME.json``."""
    indices = symbol_shape_indices(labels.shapes, label_map.class_ids, image.shape[:2])
    boxes = [(index, class_id, box) for index, (class_id, box) in zip(indices, symbols)]
    px_per_mm = placement.sx / mm_per_unit(drawing.units)
    return sheet_true_nets(connectivity, labels.shapes, labels.owners, boxes, placement, image, px_per_mm)


def _graph_record(truth: SheetGraphTruth, symbols: list[tuple[int, tuple[int, int, int, int]]]) -> dict[str, object]:
    edges = EdgeGraph(tuple(("", box) for _, box in symbols), tuple(truth.nets)).edges()
    return {
        "nets": len(truth.nets),
        "edges": {kind: sum(e[2] == kind for e in edges) for kind in ("solid", "dashed")},
        "lines": dict(truth.lines),
        "line_ends": dict(truth.line_ends),
    }


def _label_one(
    pair: RenderingPair, settings: DexpiSettings, drawings: dict[Path, ProteusDrawing | DatasetError]
) -> tuple[np.ndarray, Placement, SheetLabels, ProteusDrawing]:
    """Read, check and label one rendering; a DatasetError says why it is left out."""
    where = str(pair.rendering)
    if pair.xml is None:
        raise DatasetError(f"{where}: no Proteus XML matches its name (NAME.xml for NAME[-TOOL.IMnn].png)")
    image = load_rendering(pair.rendering, settings.dpi)
    if np.median(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)) < 128:
        raise DatasetError(f"{where}: dark background (a screenshot of a CAD window), not a drawing on paper")
    if image.shape[1] < settings.min_width:
        factor = settings.min_width / image.shape[1]
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    if pair.xml not in drawings:
        try:
            drawings[pair.xml] = read_proteus(pair.xml)
        except DatasetError as exc:
            drawings[pair.xml] = exc
    drawing = drawings[pair.xml]
    if isinstance(drawing, DatasetError):
        raise DatasetError(f"{where}: {drawing}")
    placement = place_drawing(drawing, image)
    cover = _cover(drawing, placement, image.shape[:2])
    if placement.score < settings.min_score:
        raise DatasetError(
            f"{where}: alignment not established ({placement.score:.0%} of the strokes of "
            f"{pair.xml.name} land on ink, {settings.min_score:.0%} needed)"
        )
    stretch = abs(placement.sx / placement.sy - 1)
    if stretch > MAX_STRETCH:
        raise DatasetError(
            f"{where}: alignment not established (the best fit scales x and y {stretch:.0%} apart; "
            f"a rendering keeps the drawing's proportions to {MAX_STRETCH:.0%})"
        )
    if cover < settings.min_cover:
        raise DatasetError(
            f"{where}: the sheet covers only {cover:.0%} of the image (a screenshot or a partial "
            f"view; {settings.min_cover:.0%} needed)"
        )
    labels = label_sheet(drawing, placement, image, settings.class_map)
    drawn = sum(n for name, n in labels.symbols.items() if name != "designation")
    off = sum(labels.off_ink.values())
    if off > MAX_OFF_INK * (drawn + off):
        raise DatasetError(
            f"{where}: alignment not established for symbols ({off} of {drawn + off} are drawn "
            f"elsewhere or otherwise than {pair.xml.name} says; an importing tool redrew them)"
        )
    if not drawn:
        raise DatasetError(f"{where}: no symbol of a project class on it")
    return image, placement, labels, drawing


def _cover(drawing: ProteusDrawing, placement: Placement, size: tuple[int, int]) -> float:
    """Share of the image inside the drawing's sheet extent."""
    (x0, y0), (x1, y1) = placement.box(drawing.extent)
    height, width = size
    inside = max(0.0, min(x1, width) - max(x0, 0)) * max(0.0, min(y1, height) - max(y0, 0))
    return inside / (width * height)


def sheet_name(rendering: Path) -> str:
    """A dataset name that keeps DEXPI versions and formats apart: ``d12-C01V01-HEX.EX02-png``."""
    version = re.search(r"dexpi[ _-]?(\d)\.(\d)", str(rendering).lower())
    prefix = f"d{version.group(1)}{version.group(2)}-" if version else ""
    return f"{prefix}{rendering.stem}-{rendering.suffix.lower().lstrip('.')}"


def _paint_map(settings: DexpiSettings) -> LabelMap:
    ids: dict[str, int | None] = {name: i for i, name in enumerate(CLASS_NAMES) if i}
    ids[IGNORE_LABEL] = None
    return LabelMap(settings.map_name, ids, CLASS_NAMES)


def _sheet_record(
    name: str, pair: RenderingPair, drawing: ProteusDrawing, placement: Placement, labels: SheetLabels
) -> dict[str, object]:
    return {
        "name": name,
        "rendering": str(pair.rendering),
        "xml": str(drawing.path),
        "own_rendering": pair.own,
        "alignment_score": round(placement.score, 4),
        "pixels_per_unit": [round(placement.sx, 4), round(placement.sy, 4)],
        "units": drawing.units,
        "symbols": dict(labels.symbols),
        "no_class": dict(labels.no_class),
        "not_in_map": dict(labels.not_in_map),
        "off_ink": dict(labels.off_ink),
        "undrawn": dict(labels.undrawn),
        "not_drawn": dict(labels.not_drawn),
    }


def _metadata(src: Path, settings: DexpiSettings, report: DexpiReport) -> dict[str, object]:
    return {
        "class_names": list(CLASS_NAMES),
        "source": str(src.resolve()),
        "importer": "schemseg data import-dexpi",
        "map": settings.map_name,
        "class_map": settings.class_map,
        "cases": settings.cases,
        "dpi": settings.dpi,
        "min_width": settings.min_width,
        "min_score": settings.min_score,
        "min_cover": settings.min_cover,
        "dark_threshold": settings.dark_threshold,
        "score_dark_only": settings.score_dark_only,
        "unboxed_text": settings.unboxed_text,
        "symbols": dict(report.symbols),
        "no_class": dict(report.no_class),
        "not_in_map": dict(report.not_in_map),
        "off_ink": dict(report.off_ink),
        "undrawn": dict(report.undrawn),
        "not_drawn": dict(report.not_drawn),
        "lines": dict(report.lines),
        "line_ends": dict(report.line_ends),
        "sheets": report.sheets,
        "skipped": report.skipped,
        **report.frequencies.to_dict(),
    }


_COLOURS = [(0, 0, 255), (0, 160, 0), (255, 0, 0), (0, 140, 255), (200, 0, 200), (0, 200, 200), (128, 0, 255)]


def write_overlay(path: Path, image: np.ndarray, labels: SheetLabels) -> None:
    """The rendering with every rectangle drawn and named (ignored ones in gray), for checking by eye."""
    overlay = image.copy()
    thickness = max(1, image.shape[1] // 1500)
    for shape in labels.shapes:
        (x0, y0), (x1, y1) = np.rint(shape.points).astype(int)
        ignored = shape.label == IGNORE_LABEL
        colour = (160, 160, 160) if ignored else _COLOURS[CLASS_NAMES.index(shape.label) % len(_COLOURS)]
        cv2.rectangle(overlay, (x0, y0), (x1, y1), colour, thickness)
        if not ignored and shape.label != "designation":
            cv2.putText(
                overlay,
                shape.label,
                (x0, max(y0 - 3, 10)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.4 * thickness,
                colour,
                thickness,
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_png(path, overlay)
