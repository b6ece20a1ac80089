"""The furniture of a P&ID sheet, all unlabelled: border with zone markers, title block, revision
table, notes and an equipment data strip, sized in millimetres as CAD templates draw them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pid_record import RecordingCanvas
from .strokes import Pen

__all__ = ["SheetStyle", "draw_frame"]

Region = tuple[int, int, int, int]

_NOTES = (
    "ALL DIMENSIONS IN MM UNLESS NOTED",
    "LINE SIZES IN INCHES",
    "SLOPE TO DRAIN",
    "NO POCKETS",
    "LOCKED OPEN (LO)",
    "CAR SEALED CLOSED (CSC)",
    "VENDOR PACKAGE, SEE P&ID 1045-002",
    "TIE-IN POINT",
    "HOLD: PENDING VENDOR DATA",
    "INSULATE FOR PERSONNEL PROTECTION",
    "MIN. STRAIGHT RUN 10D / 5D",
    "HIGH POINT VENT, LOW POINT DRAIN",
    "FOR START-UP ONLY",
    "BY PACKAGE VENDOR",
    "SPEC BREAK AT FLANGE",
)
_TITLE = (
    "PIPING AND INSTRUMENTATION DIAGRAM",
    "CRUDE DISTILLATION UNIT",
    "FEED PREHEAT TRAIN",
    "PRODUCT STORAGE AND TRANSFER",
    "GAS COMPRESSION",
    "COOLING WATER SYSTEM",
    "FLARE KO DRUM",
)


@dataclass(frozen=True)
class SheetStyle:
    """Paper and pens of one P&ID sheet at the model scale (``px_per_mm``)."""

    width_mm: float
    height_mm: float
    px_per_mm: float
    unit_mm: float  # one symbol unit (a valve is about 3 units long)
    process_mm: float
    signal_mm: float
    symbol_mm: float
    text_mm: float
    font: int

    def px(self, mm: float) -> float:
        return mm * self.px_per_mm


def draw_frame(canvas: RecordingCanvas, rng: np.random.Generator, style: SheetStyle, pen: Pen, thin: Pen) -> Region:
    """Draw the furniture; returns the region left for the process drawing (px)."""
    w, h = canvas.width, canvas.height
    left, m = int(style.px(rng.uniform(15, 25))), int(style.px(rng.uniform(7, 12)))
    x0, y0, x1, y1 = left, m, w - m, h - m
    _rect(canvas, (x0, y0, x1, y1), pen)
    _zones(canvas, rng, style, (x0, y0, x1, y1), thin)
    col = int(style.px(min(180.0, style.width_mm * 0.3)))
    tb_h = int(style.px(rng.uniform(45, 65)))
    title = (x1 - col, y1 - tb_h, x1, y1)
    _title_block(canvas, rng, style, title, pen, thin)
    top = _revisions(canvas, rng, style, (x1 - col, title[1], x1), thin)
    if style.width_mm >= 590:
        _notes(canvas, rng, style, (x1 - col, y0 + int(style.px(10)), x1, top - int(style.px(10))), thin)
        region = (x0 + int(style.px(12)), y0 + int(style.px(12)), x1 - col - int(style.px(12)), y1 - int(style.px(12)))
    else:
        region = (x0 + int(style.px(10)), y0 + int(style.px(10)), x1 - int(style.px(10)), top - int(style.px(8)))
    if style.width_mm >= 590 and rng.random() < 0.6:
        region = _data_strip(canvas, rng, style, region, thin)
    return region


def _rect(canvas: RecordingCanvas, box: Region, pen: Pen) -> None:
    x0, y0, x1, y1 = (float(v) for v in box)
    canvas.draw_wire([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], pen)


def _zones(canvas: RecordingCanvas, rng: np.random.Generator, style: SheetStyle, box: Region, pen: Pen) -> None:
    x0, y0, x1, y1 = box
    tick, th = style.px(5), style.px(rng.uniform(2.5, 3.5))
    nx, ny = max(4, int(style.width_mm // 100)), max(3, int(style.height_mm // 100))
    for i in range(nx + 1):
        xf = x0 + (x1 - x0) * i / nx
        for y, d in ((y0, -1), (y1, 1)):
            canvas.draw_wire([(xf, y), (xf, y + d * tick)], pen)
            if i < nx:
                cx = x0 + (x1 - x0) * (i + 0.5) / nx
                canvas.put_text(
                    str(i + 1), int(cx - th / 2), int(y + (d * tick * 0.9 if d > 0 else -tick * 0.9 - th)), th, pen
                )
    for j in range(ny + 1):
        yf = y0 + (y1 - y0) * j / ny
        for x, d in ((x0, -1), (x1, 1)):
            canvas.draw_wire([(x, yf), (x + d * tick, yf)], pen)
            if j < ny:
                cy = y0 + (y1 - y0) * (j + 0.5) / ny
                canvas.put_text(
                    "ABCDEFGHJK"[j],
                    int(x + (tick * 0.3 if d > 0 else -tick * 0.9 - th * 0.4)),
                    int(cy - th / 2),
                    th,
                    pen,
                )


def _cells(canvas: RecordingCanvas, box: Region, rows: int, cols: list[float], pen: Pen) -> list[list[Region]]:
    """Draw a table in ``box`` (column fractions ``cols``); returns its cell boxes by row."""
    x0, y0, x1, y1 = box
    _rect(canvas, box, pen)
    xs = [x0 + (x1 - x0) * f for f in np.cumsum([0.0] + cols)]
    ys = [y0 + (y1 - y0) * r / rows for r in range(rows + 1)]
    for y in ys[1:-1]:
        canvas.draw_wire([(float(x0), float(y)), (float(x1), float(y))], pen)
    for x in xs[1:-1]:
        canvas.draw_wire([(float(x), float(y0)), (float(x), float(y1))], pen)
    return [[(int(xs[c]), int(ys[r]), int(xs[c + 1]), int(ys[r + 1])) for c in range(len(cols))] for r in range(rows)]


def _fill(canvas: RecordingCanvas, cell: Region, text: str, style: SheetStyle, pen: Pen, size_mm: float = 2.5) -> None:
    x0, y0, x1, y1 = cell
    th = min(style.px(size_mm), (y1 - y0) * 0.6)
    room = int((x1 - x0 - style.px(2)) / max(th * 0.9, 1.0))
    if room < 1 or th < 3:
        return
    canvas.put_text(text[:room], x0 + int(style.px(1)), int(y0 + (y1 - y0 - th) / 2 - 2), th, pen)


def _title_block(
    canvas: RecordingCanvas, rng: np.random.Generator, style: SheetStyle, box: Region, pen: Pen, thin: Pen
) -> None:
    cells = _cells(canvas, box, 5, [0.25, 0.25, 0.5], thin)
    _rect(canvas, box, pen)
    words = [
        "DRAWN",
        "CHECKED",
        "APPROVED",
        "DATE",
        "SCALE NTS",
        "PROJECT",
        "CLIENT",
        "DWG NO.",
        "SHEET 1 OF 3",
        "REV",
        "JOB NO.",
        "UNIT 200",
    ]
    for r, row in enumerate(cells):
        _fill(canvas, row[0], str(rng.choice(words)), style, thin, 2.0)
        _fill(
            canvas,
            row[1],
            f"{int(rng.integers(1, 28)):02d}.{int(rng.integers(1, 12)):02d}.2{int(rng.integers(0, 30)):02d}",
            style,
            thin,
            2.0,
        )
        text = (
            str(rng.choice(_TITLE)) if r < 3 else f"{int(rng.integers(1000, 9999))}-PID-{int(rng.integers(1, 999)):03d}"
        )
        _fill(canvas, row[2], text, style, thin, 3.5 if r == 0 else 2.5)


def _revisions(
    canvas: RecordingCanvas, rng: np.random.Generator, style: SheetStyle, at: tuple[int, int, int], pen: Pen
) -> int:
    x0, y1, x1 = at
    rows = int(rng.integers(3, 8))
    row_h = int(style.px(6))
    box = (x0, y1 - rows * row_h, x1, y1)
    cells = _cells(canvas, box, rows, [0.08, 0.17, 0.08, 0.08, 0.59], pen)
    descr = ("ISSUED FOR REVIEW", "ISSUED FOR APPROVAL", "ISSUED FOR CONSTRUCTION", "AS BUILT", "REVISED PER HAZOP")
    for r, row in enumerate(cells[:-1]):
        _fill(canvas, row[0], str(r), style, pen, 2.0)
        _fill(
            canvas,
            row[1],
            f"{int(rng.integers(1, 28)):02d}.{int(rng.integers(1, 12)):02d}.{int(rng.integers(10, 30))}",
            style,
            pen,
            2.0,
        )
        _fill(canvas, row[2], str(rng.choice(["JS", "MK", "AB", "PT"])), style, pen, 2.0)
        _fill(canvas, row[3], str(rng.choice(["RH", "LM", "DW"])), style, pen, 2.0)
        _fill(canvas, row[4], str(rng.choice(descr)), style, pen, 2.0)
    for i, word in enumerate(("REV", "DATE", "BY", "CHK", "DESCRIPTION")):
        _fill(canvas, cells[-1][i], word, style, pen, 2.0)
    return box[1]


def _notes(canvas: RecordingCanvas, rng: np.random.Generator, style: SheetStyle, box: Region, pen: Pen) -> None:
    x0, y0, x1, y1 = box
    th = style.px(rng.uniform(2.5, 3.0))
    canvas.put_text("NOTES:", x0, y0, th * 1.2, pen)
    y = y0 + th * 3
    order = rng.permutation(len(_NOTES))
    for i, k in enumerate(order[: int(rng.integers(4, len(_NOTES)))]):
        if y + th * 2 > y1:
            break
        canvas.put_text(f"{i + 1}. {_NOTES[k]}"[: int((x1 - x0) / (th * 0.9))], x0, int(y), th, pen)
        y += th * rng.uniform(1.8, 2.3)


def _data_strip(
    canvas: RecordingCanvas, rng: np.random.Generator, style: SheetStyle, region: Region, pen: Pen
) -> Region:
    """An equipment data table along the bottom of the drawing area (as many CAD templates have)."""
    x0, y0, x1, y1 = region
    rows = int(rng.integers(4, 9))
    h = int(style.px(4.5)) * rows
    n = int(rng.integers(3, 7))
    width = int((x1 - x0) * rng.uniform(0.4, 0.8))
    box = (x0, y1 - h, x0 + width, y1)
    cells = _cells(canvas, box, rows, [1.0 / (2 * n)] * (2 * n), pen)
    labels = ("Design pressure", "Design temp.", "Capacity", "Material", "Power", "Duty", "Type", "Tag")
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            text = (
                labels[r % len(labels)]
                if c % 2 == 0
                else f"{rng.uniform(0, 400):.1f} {rng.choice(['bar g', 'C', 'm3/h', 'kW'])}"
            )
            _fill(canvas, cell, text, style, pen, 2.0)
    return (x0, y0, x1, y1 - h - int(style.px(8)))
