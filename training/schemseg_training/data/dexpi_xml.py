"""Reading DEXPI Proteus XML: each drawn component's class and outline, in drawing units.

A Proteus file draws a component in one of two ways: with its own primitives (``Line``,
``PolyLine``, ``Circle``, ``TrimmedCurve``...) in drawing coordinates, or by naming a
``ShapeCatalogue`` entry (``ComponentName``) that it places with its ``Position`` (location,
reference direction, mirror axis) and ``Scale``. Both are read here; a component with neither
falls back to its ``Extent``. Drawing coordinates have the y axis pointing up.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from schemseg_sdk.errors import DatasetError

__all__ = [
    "SYMBOL_TAGS",
    "ProteusComponent",
    "ProteusDrawing",
    "ProteusText",
    "element_placement",
    "is_central",
    "mm_per_unit",
    "read_proteus",
]

SYMBOL_TAGS = frozenset(
    {
        "Equipment",
        "Nozzle",
        "PipingComponent",
        "ProcessInstrumentationFunction",
        "ProcessInstrument",
        "InstrumentComponent",
        "InlinePrimaryElement",
        "ActuatingSystemComponent",
        "PipeFlowArrow",
        "PipeConnectorSymbol",
        "PipeOffPageConnector",
        "PropertyBreak",
        "Component",
    }
)
"""Element tags of drawn symbols. Pipes, signal lines, loops and plant structure are not symbols."""

_TAGGED = SYMBOL_TAGS | {
    "PipingNetworkSystem",
    "PipingNetworkSegment",
    "InformationFlow",
    "InstrumentationLoopFunction",
    "ActuatingSystem",
    "ProcessSignalGeneratingFunction",
    "SignalLine",
}  # texts inside these (or a label pointing at them) name a plant item: designations
_PRIMITIVES = frozenset({"Line", "PolyLine", "CenterLine", "Shape", "Circle", "Ellipse", "TrimmedCurve"})
_CENTRAL = ("central", "main board", "panel")  # LocationSpecialization / Location values of a panel instrument


@dataclass
class ProteusComponent:
    """One drawn symbol: its element tag, DEXPI class, outline points and what it is attached to."""

    tag: str
    dexpi_class: str
    element_id: str
    points: np.ndarray  # (N, 2) drawing coordinates along the symbol's outline; empty when not drawn
    parts: list[np.ndarray] = field(default_factory=list)  # the outline's strokes (for the instrument bar)
    location: str = ""  # LocationSpecialization / Location attribute, lower case ("" when absent)
    operates: str = ""  # for an actuator: the ID of the valve its ActuatingSystem refers to
    nested_in: str = ""  # the tag of the symbol this one is part of ("" at the top level)
    merged_ids: tuple[str, ...] = ()  # IDs of components drawn in this one's box (an actuator folded into its valve)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` in drawing coordinates, or None when nothing is drawn."""
        if not len(self.points):
            return None
        (x0, y0), (x1, y1) = self.points.min(axis=0), self.points.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


@dataclass(frozen=True)
class ProteusText:
    """One text of a label: its string and its extent in drawing coordinates."""

    string: str
    bounds: tuple[float, float, float, float]


@dataclass
class ProteusDrawing:
    """What a Proteus file draws: the sheet extent, symbols, texts and every stroke (for alignment)."""

    path: Path
    extent: tuple[float, float, float, float]  # x0, y0, x1, y1 of the drawing (y up)
    units: str
    components: list[ProteusComponent]
    texts: list[ProteusText]
    strokes: np.ndarray  # (N, 2) points sampled along every drawn line, symbol and pipe


def read_proteus(path: str | Path) -> ProteusDrawing:
    """Read a Proteus XML file (DEXPI 1.2 or 1.3).

    Raises:
        DatasetError: the file is not well-formed XML, not a ``PlantModel``, or has no extent.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DatasetError(f"{path}: not a readable Proteus XML file ({exc})") from None
    if root.tag != "PlantModel":
        raise DatasetError(f"{path}: root element is <{root.tag}>, expected <PlantModel> (DEXPI Proteus XML)")
    catalogue = root.find("ShapeCatalogue")
    shapes = {e.get("ComponentName"): e for e in (catalogue if catalogue is not None else []) if e.get("ComponentName")}
    actuated = _actuated_valves(root)
    components: list[ProteusComponent] = []
    texts: list[ProteusText] = []
    strokes: list[np.ndarray] = []
    extent = _drawing_extent(root)
    step = math.hypot(extent[2] - extent[0], extent[3] - extent[1]) / 3000 if extent else 0.0
    for element, parent_tag in _walk(root, catalogue):
        parts = _outline(element, shapes)
        if step and parts:
            parts = [_densify(part, step) for part in parts]
        strokes += parts
        if element.tag in SYMBOL_TAGS and (element.get("ComponentClass") or element.get("ComponentName")):
            components.append(_component(element, parts, parent_tag if parent_tag in SYMBOL_TAGS else "", actuated))
        if element.tag == "Text" and (parent_tag or element.get("ItemID") or element.get("DependantAttribute")):
            text = _text(element)
            if text is not None:
                texts.append(text)
    if extent is None:
        raise DatasetError(f"{path}: no <Drawing><Extent> (the sheet size); cannot place it on a rendering")
    info = root.find("PlantInformation")
    units = info.get("Units", "") if info is not None else ""
    return ProteusDrawing(
        path, extent, units, components, texts, np.concatenate(strokes) if strokes else np.zeros((0, 2))
    )


def _densify(points: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` along a polyline (its vertices included), so long lines weigh by length."""
    if len(points) < 2:
        return points
    pieces = [points[:1]]
    for a, b in itertools.pairwise(points):
        count = max(1, int(math.hypot(*(b - a)) / step))
        pieces.append(a + (b - a) * (np.arange(1, count + 1)[:, None] / count))
    return np.concatenate(pieces)


def _walk(root: ET.Element, catalogue: ET.Element | None) -> Iterator[tuple[ET.Element, str]]:
    """Every element outside the shape catalogue, with the tag of the plant item it is nested in ("" if none).

    Texts outside such items name one through ``ItemID`` / ``DependantAttribute`` when they are designations.
    """
    stack: list[tuple[ET.Element, str]] = [(root, "")]
    while stack:
        element, parent = stack.pop()
        yield element, parent
        inner = element.tag if element.tag in _TAGGED else parent
        if element.tag not in _PRIMITIVES:  # a primitive's children (a trimmed curve's circle) are its own
            stack.extend((child, inner) for child in reversed(element) if child is not catalogue)


def _component(
    element: ET.Element, parts: list[np.ndarray], parent_tag: str, actuated: dict[str, str]
) -> ProteusComponent:
    points = np.concatenate(parts) if parts else _extent_points(element)
    return ProteusComponent(
        tag=element.tag,
        dexpi_class=element.get("ComponentClass") or "",
        element_id=element.get("ID", ""),
        points=points,
        parts=parts,
        location=_location(element),
        operates=actuated.get(element.get("ID", ""), ""),
        nested_in=parent_tag,
    )


def _actuated_valves(root: ET.Element) -> dict[str, str]:
    """Actuator element ID -> the valve ID its ``ActuatingSystem`` operates (``OperatedValveReference``)."""
    result: dict[str, str] = {}
    for system in root.iter("ActuatingSystem"):
        valve = ""
        for ref in system.iter("Association"):
            if ref.get("Type") == "refers to" and ref.get("ItemID"):
                valve = ref.get("ItemID", "")
        if valve:
            for part in system.iter("ActuatingSystemComponent"):
                result[part.get("ID", "")] = valve
    return result


def _location(element: ET.Element) -> str:
    for attribute in element.iter("GenericAttribute"):
        if attribute.get("Name") in ("LocationSpecialization", "Location"):
            return (attribute.get("Value") or "").lower()
    return ""


def mm_per_unit(units: str) -> float:
    """Millimetres per drawing unit (``PlantInformation/@Units``: Metre, m, mm...); 1 when unknown."""
    return 1000.0 if units.lower() in ("metre", "meter", "m", "metres", "meters") else 1.0


def is_central(location: str) -> bool:
    """True when a location attribute value names a control room / main panel."""
    return any(word in location for word in _CENTRAL)


def _outline(element: ET.Element, shapes: dict[str | None, ET.Element]) -> list[np.ndarray]:
    """Strokes drawn by ``element`` itself, in drawing coordinates (its own, else its catalogue shape)."""
    own = [_finite(_primitive(child)) for child in element if child.tag in _PRIMITIVES]
    own = [p for p in own if len(p)]
    if own or element.tag not in SYMBOL_TAGS:
        return own
    shape = shapes.get(element.get("ComponentName"))
    if shape is None:
        return []
    local = [_primitive(child) for child in shape if child.tag in _PRIMITIVES]
    place = element_placement(element)
    placed = [_finite(place(p)) for p in local] if place is not None else []
    return [p for p in placed if len(p)]


def _finite(points: np.ndarray) -> np.ndarray:
    """Drop points with NaN or infinite coordinates (some exports write them)."""
    return points[np.isfinite(points).all(axis=1)]


def element_placement(element: ET.Element) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function taking an element's local (catalogue) points to drawing points, from its Position and Scale."""
    position = element.find("Position")
    if position is None:
        return None
    (lx, ly), (rx, ry), az = _xy(position.find("Location")), _xy(position.find("Reference"), (1.0, 0.0)), 1.0
    axis = position.find("Axis")
    if axis is not None and float(axis.get("Z", "1") or 1) < 0:
        az = -1.0
    norm = math.hypot(rx, ry) or 1.0
    rx, ry = rx / norm, ry / norm
    scale = element.find("Scale")
    sx, sy = _xy(scale, (1.0, 1.0)) if scale is not None else (1.0, 1.0)
    if sx == 0 or sy == 0:
        return None
    rotation = np.array([[rx, -ry * az], [ry, rx * az]])

    def place(points: np.ndarray) -> np.ndarray:
        return np.asarray((points * [sx, sy]) @ rotation.T + [lx, ly], float)

    return place


def _primitive(element: ET.Element) -> np.ndarray:
    """Points along one drawing primitive (polylines as given, circles and arcs sampled)."""
    if element.tag in ("Line", "PolyLine", "CenterLine", "Shape"):
        return np.array([_xy(c) for c in element.iter("Coordinate")], float).reshape(-1, 2)
    if element.tag == "TrimmedCurve":
        start, end = float(element.get("StartAngle", 0) or 0), float(element.get("EndAngle", 360) or 360)
        curve = next((c for c in element if c.tag in ("Circle", "Ellipse")), None)
        return _conic(curve, start, end) if curve is not None else np.zeros((0, 2))
    return _conic(element, 0.0, 360.0)


def _conic(element: ET.Element, start: float, end: float) -> np.ndarray:
    position = element.find("Position")
    if position is None:
        return np.zeros((0, 2))
    (cx, cy), (rx, ry) = _xy(position.find("Location")), _xy(position.find("Reference"), (1.0, 0.0))
    if element.tag == "Circle":
        a = b = float(element.get("Radius", 0) or 0)
    else:
        a, b = float(element.get("PrimaryAxis", 0) or 0), float(element.get("SecondaryAxis", 0) or 0)
    if end <= start:
        end += 360.0
    t = np.radians(np.linspace(start, end, 25))
    rot = math.atan2(ry, rx)
    x, y = a * np.cos(t), b * np.sin(t)
    return np.stack([cx + x * math.cos(rot) - y * math.sin(rot), cy + x * math.sin(rot) + y * math.cos(rot)], axis=1)


def _text(element: ET.Element) -> ProteusText | None:
    """A text's extent: its ``Extent`` when given, else estimated from position, height and justification."""
    string = (element.get("String") or "").strip()
    if not string:
        return None
    extent = element.find("Extent")
    if extent is not None:
        points = _extent_points(element)
        if not len(points):
            return None
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        return ProteusText(string, (float(x0), float(y0), float(x1), float(y1)))
    position = element.find("Position")
    height = float(element.get("Height", 0) or 0)
    if position is None or height <= 0:
        return None
    return ProteusText(string, _text_box(_xy(position.find("Location")), height, string, element))


def _text_box(
    anchor: tuple[float, float], height: float, string: str, element: ET.Element
) -> tuple[float, float, float, float]:
    lines = string.splitlines() or [string]
    width = 0.8 * height * max(len(line) for line in lines)  # a typical character is ~0.8 of the text height wide
    total = height * 1.4 * len(lines)
    justification = (element.get("Justification") or "LeftBottom").lower()
    fx = 0.5 if "center" in justification[:6] else (1.0 if justification.startswith("right") else 0.0)
    fy = 0.5 if justification.endswith("center") else (1.0 if justification.endswith("top") else 0.0)
    corners = np.array([[0, 0], [width, 0], [width, total], [0, total]]) - [fx * width, fy * total]
    angle = math.radians(float(element.get("TextAngle", 0) or 0))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    placed = corners @ rotation.T + anchor
    (x0, y0), (x1, y1) = placed.min(axis=0), placed.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _extent_points(element: ET.Element) -> np.ndarray:
    extent = element.find("Extent")
    if extent is None or extent.find("Min") is None or extent.find("Max") is None:
        return np.zeros((0, 2))
    points = np.array([_xy(extent.find("Min")), _xy(extent.find("Max"))], float)
    return points if np.isfinite(points).all() else np.zeros((0, 2))


def _drawing_extent(root: ET.Element) -> tuple[float, float, float, float] | None:
    for owner in (root.find("Drawing"), root):
        points = _extent_points(owner) if owner is not None else np.zeros((0, 2))
        if len(points) and np.ptp(points[:, 0]) > 0 and np.ptp(points[:, 1]) > 0:
            (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
            return float(x0), float(y0), float(x1), float(y1)
    return None


def _xy(element: ET.Element | None, default: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float]:
    if element is None:
        return default
    try:
        return float(element.get("X", default[0])), float(element.get("Y", default[1]))
    except ValueError:
        return default
