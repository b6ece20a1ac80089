"""The reference model's 40 symbol classes (index 0 is background), and the rules for any class list.

A model or dataset may carry its own class list (``dataset.json`` / ONNX metadata ``class_names``);
:data:`CLASS_NAMES` is the list of the bundled reference model and of synthetic data, not a rule.
"""

from __future__ import annotations

__all__ = [
    "CLASS_NAMES",
    "PID_SYMBOL_CLASSES",
    "NUM_CLASSES",
    "BACKGROUND",
    "IGNORE_INDEX",
    "MAX_CLASSES",
    "class_index",
    "class_list_problem",
    "class_difference",
]

BACKGROUND = "background"

CLASS_NAMES: tuple[str, ...] = (
    BACKGROUND,
    "resistor",
    "resistor_iec",
    "capacitor",
    "capacitor_polarized",
    "inductor",
    "diode",
    "zener_diode",
    "led",
    "ground",
    "supply_rail",
    "terminal",
    "npn",
    "pnp",
    "nmos",
    "pmos",
    "voltage_source",
    "current_source",
    "switch",
    "opamp",
    "battery",
    "gate_valve",
    "globe_valve",
    "ball_valve",
    "check_valve",
    "butterfly_valve",
    "control_valve",
    "relief_valve",
    "pump",
    "compressor",
    "heat_exchanger",
    "vessel",
    "instrument_field",
    "instrument_panel",
    "reducer",
    "orifice_plate",
    "flange",
    "designation",
    "junction",
    "crossover",
    "flow_arrow",
)
"""All 41 names: ``CLASS_NAMES[i]`` is the name of class id ``i``."""

PID_SYMBOL_CLASSES: tuple[str, ...] = CLASS_NAMES[CLASS_NAMES.index("gate_valve") : CLASS_NAMES.index("flange") + 1] + (
    "flow_arrow",
)
"""The symbols only P&IDs draw (valves to flanges, and flow arrows); text, junctions, crossovers and
terminals are shared with circuits."""

NUM_CLASSES = len(CLASS_NAMES)  # 41, background included

IGNORE_INDEX = 255
"""Mask value for pixels that are not scored (evaluation masks only)."""

MAX_CLASSES = IGNORE_INDEX
"""Class ids are uint8 and 255 means "ignore", so a class list holds at most 255 names."""

_INDEX = {name: i for i, name in enumerate(CLASS_NAMES)}


def class_index(name: str) -> int:
    """Return the class id of ``name``.

    >>> class_index("resistor")
    1
    """
    try:
        return _INDEX[name]
    except KeyError:
        from .errors import InvalidInputError

        raise InvalidInputError(f"unknown class name {name!r}; expected one of: {', '.join(CLASS_NAMES[1:])}") from None


def class_list_problem(names: object) -> str | None:
    """What is wrong with ``names`` as a class list, or ``None`` when it is valid.

    A class list is a list of 2..255 distinct non-empty strings starting with ``"background"``.

    >>> class_list_problem(["background", "valve"]) is None, class_list_problem(["valve"])
    (True, "has 1 name; expected 'background' and at least one class")
    """
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n for n in names):
        return f"is {names!r}; expected a list of non-empty strings"
    if len(names) < 2:
        return f"has {len(names)} name{'' if len(names) == 1 else 's'}; expected {BACKGROUND!r} and at least one class"
    if len(names) > MAX_CLASSES:
        return f"has {len(names)} names; at most {MAX_CLASSES} fit in uint8 masks (255 means ignore)"
    if names[0] != BACKGROUND:
        return f"starts with {names[0]!r}; the first name (class id 0) must be {BACKGROUND!r}"
    repeated = sorted({n for n in names if list(names).count(n) > 1})
    if repeated:
        return f"repeats {', '.join(map(repr, repeated))}; every name may appear once"
    return None


def class_difference(ours: tuple[str, ...], theirs: tuple[str, ...], our_side: str, their_side: str) -> str:
    """Say how two class lists differ, for error messages (``""`` when they are equal).

    >>> class_difference(("background", "a", "b"), ("background", "b", "c"), "the dataset", "the model")
    "only in the dataset: 'a'; only in the model: 'c'"
    """
    if tuple(ours) == tuple(theirs):
        return ""
    parts = []
    for side, names, other in ((our_side, ours, theirs), (their_side, theirs, ours)):
        missing = [n for n in names if n not in other]
        if missing:
            shown = ", ".join(map(repr, missing[:8])) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            parts.append(f"only in {side}: {shown}")
    return "; ".join(parts) or "the same names in another order (class ids differ)"
