"""What each class of a model's class list is to the graph: a symbol, text, a junction, a crossover or line ink."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LINE_CLASSES", "NET_LABELS", "TEXT_CLASSES", "ClassRoles", "class_roles"]

TEXT_CLASSES = frozenset({"designation"})
"""Text: neither a symbol nor a line (its ink is left out of both)."""

LINE_CLASSES = frozenset({"junction", "flow_arrow"})
"""Drawn on a line and part of it: a junction dot joins the lines it touches, a flow arrow sits on a pipe."""

NET_LABELS = {"ground": "GND", "supply_rail": "VDD"}
"""Symbols that name the net they touch rather than being a component: every ground is one net ``GND``."""


@dataclass(frozen=True)
class ClassRoles:
    """Lookup tables over class ids (index = class id, 256 entries) for the graph.

    Attributes:
        line: pixels of these classes that are ink belong to lines (background, junction, flow arrow).
        symbol: classes whose instances are nodes with ports.
        crossover: the crossover class id (lines cross there without joining), or ``None``.
        names: the class names.
    """

    line: np.ndarray
    symbol: np.ndarray
    crossover: int | None
    names: tuple[str, ...]


def class_roles(class_names: Sequence[str]) -> ClassRoles:
    """The roles of ``class_names`` (class id 0 is background).

    >>> roles = class_roles(["background", "resistor", "junction", "crossover", "designation"])
    >>> roles.line[:5].tolist(), roles.symbol[:5].tolist(), roles.crossover
    ([True, False, True, False, False], [False, True, False, False, False], 3)
    """
    line = np.zeros(256, bool)
    symbol = np.zeros(256, bool)
    line[0] = True
    crossover = None
    for class_id, name in enumerate(class_names):
        if class_id == 0:
            continue
        if name == "crossover":
            crossover = class_id
        elif name in LINE_CLASSES:
            line[class_id] = True
        elif name not in TEXT_CLASSES:
            symbol[class_id] = True
    return ClassRoles(line, symbol, crossover, tuple(class_names))
