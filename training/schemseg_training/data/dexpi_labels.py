"""DEXPI components placed on a rendering -> labelled rectangles (the shapes of :mod:`.paint`).

Each symbol's DEXPI class goes through the map (class name first, element tag second): a project
class gives a rectangle of that class, ``null`` an ignored rectangle (no project class: its pixels
are not scored), a class the map lacks an ignored rectangle too, counted apart so the map can grow.
A valve operated by an actuator becomes ``control_valve`` and takes the actuator into its box (also
a valve of no class of its own, such as a plug valve: with an actuator it is a control valve); an
instrument whose location is central, or whose symbol has the bar, becomes ``instrument_panel``.
A symbol whose strokes do not land on the rendering's ink (another tool drew it otherwise), or
whose box holds nothing but a pipe line (a flow arrow the tool did not draw), is ignored, not
scored with a box that does not fit. Label texts become ``designation`` rectangles.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np

from .dexpi_align import Placement, ink_of
from .dexpi_xml import ProteusComponent, ProteusDrawing, is_central, mm_per_unit
from .shapes import Shape

__all__ = ["IGNORE_LABEL", "MIN_ON_INK", "SheetLabels", "label_sheet"]

IGNORE_LABEL = "__no_class__"  # the label of ignored rectangles (maps to None)
MIN_ON_INK = 0.5
"""A symbol is scored when at least this share of its strokes lies on the rendering's ink."""

_VALVES = ("gate_valve", "globe_valve", "ball_valve", "butterfly_valve", "check_valve", "control_valve")
_INSTRUMENTS = ("instrument_field", "instrument_panel")


@dataclass
class SheetLabels:
    """One sheet's rectangles and what did not become a scored symbol, by DEXPI class."""

    shapes: list[Shape] = field(default_factory=list)
    owners: list[tuple[str, ...]] = field(default_factory=list)  # per shape: the XML IDs drawn in it (none for texts)
    symbols: Counter[str] = field(default_factory=Counter)  # project class -> boxes
    no_class: Counter[str] = field(default_factory=Counter)  # mapped to null
    not_in_map: Counter[str] = field(default_factory=Counter)
    not_drawn: Counter[str] = field(default_factory=Counter)  # no geometry in the XML
    off_ink: Counter[str] = field(default_factory=Counter)  # drawn otherwise on this rendering
    undrawn: Counter[str] = field(default_factory=Counter)  # not drawn on this rendering (only a pipe in its box)


def label_sheet(
    drawing: ProteusDrawing, placement: Placement, image: np.ndarray, class_map: dict[str, str | None]
) -> SheetLabels:
    """The labelled rectangles of ``drawing`` on ``image`` (see the module docstring)."""
    labels = SheetLabels()
    px_per_mm = placement.sx / mm_per_unit(drawing.units)
    pad = 2.0 + 0.5 * px_per_mm  # half a millimetre of line width and placement error, at least 2 px
    distance = cv2.distanceTransform((~ink_of(image)).astype(np.uint8), cv2.DIST_L2, 3)
    resolved = [(c, _project_class(c, class_map)) for c in drawing.components if not _is_part(c)]
    merged = _merge_actuators(resolved)
    for component, name in merged:
        key = component.dexpi_class or component.tag
        if component.bounds is None:
            labels.not_drawn[key] += 1
            continue
        rect = placement.box(component.bounds, pad)
        if name == "":
            labels.not_in_map[key] += 1
        elif name is None:
            labels.no_class[key] += 1
        elif _on_ink(component, placement, distance, pad) < MIN_ON_INK:
            labels.off_ink[key] += 1
            name = None
        elif _only_a_line(rect, distance):
            labels.undrawn[key] += 1
            name = None
        label = name or IGNORE_LABEL
        if label != IGNORE_LABEL:
            labels.symbols[label] += 1
        labels.shapes.append(Shape(label, "rectangle", rect))
        labels.owners.append((component.element_id, *component.merged_ids))
    texts = _designations(drawing, placement, labels.shapes, pad, distance)
    labels.shapes += texts
    labels.owners += [()] * len(texts)
    labels.symbols["designation"] += sum(s.label == "designation" for s in labels.shapes)
    return labels


def _is_part(component: ProteusComponent) -> bool:
    """Pieces drawn inside a piece of equipment (chambers, impellers, tube bundles) are part of it."""
    return component.tag == "Equipment" and component.nested_in == "Equipment"


def _project_class(component: ProteusComponent, class_map: dict[str, str | None]) -> str | None:
    """The project class name, None for "no class", "" for "not in the map"."""
    for key in (component.dexpi_class, component.tag):
        if key and key in class_map:
            name = class_map[key]
            if name == "instrument_field" and (is_central(component.location) or _has_bar(component)):
                return "instrument_panel"
            return name
    return ""


def _has_bar(component: ProteusComponent) -> bool:
    """True when a straight horizontal stroke crosses the symbol's middle (the operator-accessible bar)."""
    bounds = component.bounds
    if bounds is None:
        return False
    x0, y0, x1, y1 = bounds
    for part in component.parts:
        (px0, py0), (px1, py1) = part.min(axis=0), part.max(axis=0)
        flat = (py1 - py0) <= 0.05 * (y1 - y0)
        middle = abs((py0 + py1) / 2 - (y0 + y1) / 2) <= 0.15 * (y1 - y0)
        if flat and middle and (px1 - px0) >= 0.6 * (x1 - x0):
            return True
    return False


def _merge_actuators(resolved: list[tuple[ProteusComponent, str | None]]) -> list[tuple[ProteusComponent, str | None]]:
    """Fold each actuator into the valve it operates (by reference, else the nearest touching valve)."""
    valves = {
        c.element_id: i
        for i, (c, name) in enumerate(resolved)
        if c.tag == "PipingComponent" and c.bounds and (name in _VALVES or (name is None and "Valve" in c.dexpi_class))
    }  # a plug valve too
    result = list(resolved)
    dropped: set[int] = set()
    for index, (actuator, name) in enumerate(resolved):
        if name != "control_valve" or actuator.tag == "PipingComponent" or actuator.bounds is None:
            continue  # not an actuator (an OperatedValve is a valve body of its own)
        target = valves.get(actuator.operates)
        if target is None:
            target = _touching_valve(actuator, [(i, resolved[i][0]) for i in valves.values()])
        if target is None:
            result[index] = (actuator, None)  # an actuator alone is no valve: not scored
            continue
        valve = result[target][0]
        points = np.concatenate([valve.points, actuator.points])
        result[target] = (
            ProteusComponent(
                valve.tag,
                valve.dexpi_class,
                valve.element_id,
                points,
                valve.parts,
                merged_ids=(*valve.merged_ids, actuator.element_id),
            ),
            "control_valve",
        )
        dropped.add(index)
    return [item for i, item in enumerate(result) if i not in dropped]


def _touching_valve(actuator: ProteusComponent, valves: list[tuple[int, ProteusComponent]]) -> int | None:
    ax0, ay0, ax1, ay1 = actuator.bounds  # type: ignore[misc]
    grow = 0.5 * max(ax1 - ax0, ay1 - ay0)
    best: tuple[float, int] | None = None
    for index, valve in valves:
        vx0, vy0, vx1, vy1 = valve.bounds  # type: ignore[misc]
        if vx0 > ax1 + grow or vx1 < ax0 - grow or vy0 > ay1 + grow or vy1 < ay0 - grow:
            continue
        gap = np.hypot((vx0 + vx1 - ax0 - ax1) / 2, (vy0 + vy1 - ay0 - ay1) / 2)
        if best is None or gap < best[0]:
            best = (float(gap), index)
    return None if best is None else best[1]


def _on_ink(component: ProteusComponent, placement: Placement, distance: np.ndarray, pad: float) -> float:
    """Share of the component's stroke points within ``pad`` pixels of ink (1.0 when it has only an extent)."""
    if not component.parts:
        return 1.0
    points = np.rint(placement.to_pixels(component.points)).astype(int)
    height, width = distance.shape
    inside = (points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)
    if not inside.any():
        return 0.0
    near = distance[points[inside, 1], points[inside, 0]] <= pad
    return float(near.sum()) / len(points)


def _only_a_line(rect: np.ndarray, distance: np.ndarray) -> bool:
    """True when the ink inside ``rect`` is under 5 px thick across (a pipe through an undrawn symbol)."""
    (x0, y0), (x1, y1) = np.clip(np.rint(rect), 0, [distance.shape[1] - 1, distance.shape[0] - 1]).astype(int)
    ink = distance[y0 : y1 + 1, x0 : x1 + 1] == 0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not rows.size:
        return True
    return min(rows[-1] - rows[0], cols[-1] - cols[0]) < 5


def _designations(
    drawing: ProteusDrawing, placement: Placement, shapes: list[Shape], pad: float, distance: np.ndarray
) -> list[Shape]:
    """Rectangles of label texts that show ink, except texts inside an instrument bubble (part of it)."""
    bubbles = [s.points for s in shapes if s.label in _INSTRUMENTS]
    result = []
    for text in drawing.texts:
        rect = placement.box(text.bounds, pad)
        centre = rect.mean(axis=0)
        if any((b[0] <= centre).all() and (centre <= b[1]).all() for b in bubbles):
            continue
        (x0, y0), (x1, y1) = np.clip(np.rint(rect), 0, [distance.shape[1] - 1, distance.shape[0] - 1]).astype(int)
        if x1 > x0 and y1 > y0 and (distance[y0 : y1 + 1, x0 : x1 + 1] == 0).any():
            result.append(Shape("designation", "rectangle", rect))
    return result
