"""``render_pid_sheet``: one whole P&ID sheet as a CAD tool plots it, with its class mask.

A sheet is an A-series paper (landscape) with border, zone markers, title block, revision table and
notes, and a crowded process drawing: equipment with nozzles, pipes with in-line valves and
fittings, instruments on signal lines, branches, line numbers and tags, and symbols outside our
classes drawn as unlabelled ink. Sizes are set in millimetres as on CAD sheets (symbol lines
0.18-0.3 mm, process lines about twice that, text 2.5-3.5 mm, a valve 4.5-6.6 mm long) and drawn at
the model's scale (a symbol unit of 9-12 px, so an A1 sheet is some 3400-6700 px wide), or at
``zoom`` times that, or at a print resolution (``dpi``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from schemseg_sdk.errors import InvalidInputError

from .artefacts import degrade_sheet
from .catalog import SyntheticSheet
from .layout import Layout
from .pid_frame import SheetStyle, draw_frame
from .pid_pipes import PidDrawing
from .pid_plant import draw_plant
from .pid_record import RecordingCanvas, replay
from .pid_text import TextWriter

__all__ = ["PidSheetOptions", "render_pid_sheet", "compose_pid_sheet", "max_zoom", "PAPER_MM", "MAX_PIXELS"]

PAPER_MM: dict[str, tuple[float, float]] = {
    "A4": (297.0, 210.0),
    "A3": (420.0, 297.0),
    "A2": (594.0, 420.0),
    "A1": (841.0, 594.0),
    "A0": (1189.0, 841.0),
}
"""Landscape paper sizes (width, height) in mm."""

_PAPER_P = {"A3": 0.15, "A2": 0.25, "A1": 0.5, "A0": 0.1}
_BASE_PX = (9.0, 12.0)  # px per symbol unit at the model scale
_UNIT_MM = (1.5, 2.2)  # mm per symbol unit
_SYMBOLS_PER_A1 = (100, 250)
MAX_PIXELS = 200_000_000
"""Largest sheet drawn (pixels): an A0 at 400 dpi; bigger ones would need gigabytes of memory."""
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX)


@dataclass(frozen=True)
class PidSheetOptions:
    """How to draw a P&ID sheet.

    Attributes:
        paper: ``"A4"`` .. ``"A0"``, or None to draw one (A1 most often).
        zoom: scale relative to the model scale (2.0: every length twice as many pixels).
        dpi: draw at this print resolution instead (overrides ``zoom``); 300 gives a plotted A1 at
            about 9933x7016 px.
        artefacts: paper tone, blur, noise and JPEG (off: clean ink, exact masks).
    """

    paper: str | None = None
    zoom: float = 1.0
    dpi: float | None = None
    artefacts: bool = True


def _style(rng: np.random.Generator, paper: str) -> SheetStyle:
    width_mm, height_mm = PAPER_MM[paper]
    base = float(rng.uniform(*_BASE_PX))
    unit_mm = float(rng.uniform(*_UNIT_MM))  # a valve 4.5-6.6 mm long, a bubble 4.5-8 mm across
    symbol = float(rng.uniform(0.18, 0.3))
    # most CAD templates draw process lines about twice as heavy as symbols; some draw one weight
    process = symbol * float(rng.uniform(1.6, 2.6) if rng.random() < 0.75 else rng.uniform(1.0, 1.4))
    return SheetStyle(
        width_mm=width_mm,
        height_mm=height_mm,
        px_per_mm=base / unit_mm,
        unit_mm=unit_mm,
        process_mm=process,
        signal_mm=float(rng.uniform(0.18, 0.3)),
        symbol_mm=symbol,
        text_mm=float(rng.uniform(2.5, 3.5)),
        font=int(rng.choice(_FONTS, p=[0.45, 0.15, 0.2, 0.2])),
    )


def render_pid_sheet(seed: int, options: PidSheetOptions = PidSheetOptions()) -> SyntheticSheet:
    """Draw one P&ID sheet; the same ``(seed, options)`` always gives the same arrays, and options that
    differ only in ``zoom`` / ``dpi`` give the same drawing at another scale.

    >>> sheet = render_pid_sheet(3, PidSheetOptions(paper="A3", zoom=0.5))
    >>> sheet.image.shape[1] > sheet.image.shape[0]
    True
    """
    _check(options)
    canvas, style = compose_pid_sheet(seed, options.paper)
    paper = next(name for name, (w, _) in PAPER_MM.items() if w == style.width_mm)
    zoom = options.zoom if options.dpi is None else options.dpi / 25.4 / style.px_per_mm
    if int(round(canvas.width * zoom)) * int(round(canvas.height * zoom)) > MAX_PIXELS:
        raise InvalidInputError(
            f"a {paper} sheet at zoom {zoom:.2f} would be {int(canvas.width * zoom)}x{int(canvas.height * zoom)} px, "
            f"over the {MAX_PIXELS} px limit; choose a smaller zoom, dpi or paper"
        )
    final = canvas if abs(zoom - 1.0) < 1e-9 else replay(canvas, zoom)
    if not options.artefacts:
        image = cv2.cvtColor(255 - final.ink, cv2.COLOR_GRAY2BGR)
        return SyntheticSheet(image, final.mask, final.instances, final.connections)
    noise = np.random.default_rng([seed, 6])
    image = degrade_sheet(final.ink, noise)
    return SyntheticSheet(np.ascontiguousarray(image), final.mask, final.instances, final.connections)


def max_zoom(paper: str | None = None) -> float:
    """The largest zoom at which every sheet on ``paper`` (None: any paper drawn at random) stays
    within :data:`MAX_PIXELS`."""
    papers = [paper] if paper else list(_PAPER_P)
    px_per_mm = _BASE_PX[1] / _UNIT_MM[0]
    largest = max(PAPER_MM[p][0] * PAPER_MM[p][1] for p in papers) * px_per_mm**2
    return float(np.sqrt(MAX_PIXELS / largest))


def compose_pid_sheet(seed: int, paper: str | None = None) -> tuple[RecordingCanvas, SheetStyle]:
    """Compose sheet ``seed`` at the model scale: the canvas (ink, mask, instances and the recorded
    drawing operations that :func:`~.pid_record.replay` draws at another zoom) and its style."""
    rng = np.random.default_rng([seed, 5])
    paper = paper or str(rng.choice(list(_PAPER_P), p=list(_PAPER_P.values())))
    style = _style(rng, paper)
    return _compose(rng, style, paper), style


def _check(options: PidSheetOptions) -> None:
    if options.paper is not None and options.paper not in PAPER_MM:
        raise InvalidInputError(f"paper {options.paper!r} is not known; expected one of {', '.join(PAPER_MM)}")
    if not options.zoom > 0 or (options.dpi is not None and not options.dpi > 0):
        raise InvalidInputError(f"zoom and dpi must be positive, got zoom={options.zoom}, dpi={options.dpi}")


def _compose(rng: np.random.Generator, style: SheetStyle, paper: str) -> RecordingCanvas:
    """Compose the sheet at the model scale, recording every drawing operation."""
    canvas = RecordingCanvas(int(round(style.px(style.width_mm))), int(round(style.px(style.height_mm))))
    frame_pen = canvas.register_pen(style.px(rng.uniform(0.35, 0.7)), style.font)
    thin = canvas.register_pen(style.px(rng.uniform(0.18, 0.3)), style.font)
    region = draw_frame(canvas, rng, style, frame_pen, thin)
    x0, y0, x1, y1 = region
    canvas.taken[:] = 1  # the process stays inside its region, clear of frame, tables and notes
    canvas.taken[y0:y1, x0:x1] = 0
    text_thickness = 2 if style.px(style.text_mm) > 16 and rng.random() < 0.5 else 1
    symbol_pen = canvas.register_pen(style.px(style.symbol_mm), style.font, text_thickness)
    base = style.unit_mm * style.px_per_mm
    text_h = style.px(style.text_mm)
    lay = Layout(canvas, rng, symbol_pen, base, text_h, pid=True, broken_wire_share=0.5)
    writer = TextWriter(canvas, rng, symbol_pen, text_h, clearance=int(base * 0.45) + 1)
    drawing = PidDrawing(
        lay,
        canvas,
        canvas.register_pen(style.px(style.process_mm), style.font),
        canvas.register_pen(style.px(style.signal_mm), style.font),
        writer,
        region,
    )
    area = PAPER_MM[paper][0] * PAPER_MM[paper][1] / (PAPER_MM["A1"][0] * PAPER_MM["A1"][1])
    target = int(rng.uniform(*_SYMBOLS_PER_A1) * area)
    draw_plant(drawing, target)
    canvas.taken[canvas.taken == 2] = 0  # pipe corridors kept symbols off pipes; tee dots and hops sit on them
    lay.pen = drawing.pipe_pen  # dots and hops in the weight of the pipes they join or cross
    lay.finish_wires(hop_probability=0.5, dot_probability=0.6)
    return canvas
