"""The 40 symbol classes, held in one place (index 0 is background)."""
from __future__ import annotations

__all__ = ["CLASS_NAMES", "NUM_CLASSES", "BACKGROUND", "IGNORE_INDEX", "class_index"]

BACKGROUND = "background"

CLASS_NAMES: tuple[str, ...] = (
    BACKGROUND,
    "resistor", "resistor_iec", "capacitor", "capacitor_polarized", "inductor",
    "diode", "zener_diode", "led", "ground", "supply_rail",
    "terminal", "npn", "pnp", "nmos", "pmos",
    "voltage_source", "current_source", "switch", "opamp", "battery",
    "gate_valve", "globe_valve", "ball_valve", "check_valve", "butterfly_valve",
    "control_valve", "relief_valve", "pump", "compressor", "heat_exchanger",
    "vessel", "instrument_field", "instrument_panel", "reducer", "orifice_plate",
    "flange", "designation", "junction", "crossover", "flow_arrow",
)
"""All 41 names: ``CLASS_NAMES[i]`` is the name of class id ``i``."""

NUM_CLASSES = len(CLASS_NAMES)  # 41, background included

IGNORE_INDEX = 255
"""Mask value for pixels that are not scored (evaluation masks only)."""

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

        raise InvalidInputError(
            f"unknown class name {name!r}; expected one of: {', '.join(CLASS_NAMES[1:])}"
        ) from None
