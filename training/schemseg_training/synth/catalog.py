"""Which builder draws each class, how big it is relative to a sheet's scale, and ``render_symbol``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import cv2
import numpy as np

from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.graph.edges import TrueNet

from . import symbols_circuit as sc
from . import symbols_common as sm
from . import symbols_equipment as se
from . import symbols_instruments as si
from . import symbols_pid as sp
from .canvas import SheetCanvas
from .connections import ConnectionLog, true_nets
from .strokes import Pen, Placement, Shape

__all__ = ["BUILDERS", "SIZE_FACTOR", "SyntheticSheet", "render_symbol", "build_shape", "ID"]

Builder = Callable[[np.random.Generator], Shape]

BUILDERS: dict[str, Builder] = {
    "resistor": sc.resistor,
    "resistor_iec": sc.resistor_iec,
    "capacitor": sc.capacitor,
    "capacitor_polarized": sc.capacitor_polarized,
    "inductor": sc.inductor,
    "diode": sc.diode,
    "zener_diode": sc.zener_diode,
    "led": sc.led,
    "ground": sc.ground,
    "supply_rail": sc.supply_rail,
    "terminal": sm.terminal,
    "npn": partial(sc.bjt, pnp=False),
    "pnp": partial(sc.bjt, pnp=True),
    "nmos": partial(sc.mosfet, pmos=False),
    "pmos": partial(sc.mosfet, pmos=True),
    "voltage_source": sc.voltage_source,
    "current_source": sc.current_source,
    "switch": sc.switch,
    "opamp": sc.opamp,
    "battery": sc.battery,
    "gate_valve": sp.gate_valve,
    "globe_valve": sp.globe_valve,
    "ball_valve": sp.ball_valve,
    "check_valve": sp.check_valve,
    "butterfly_valve": sp.butterfly_valve,
    "control_valve": sp.control_valve,
    "relief_valve": sp.relief_valve,
    "pump": se.pump,
    "compressor": se.compressor,
    "heat_exchanger": se.heat_exchanger,
    "vessel": se.vessel,
    "instrument_field": si.instrument_field,
    "instrument_panel": si.instrument_panel,
    "reducer": sp.reducer,
    "orifice_plate": sp.orifice_plate,
    "flange": sp.flange,
    "junction": sm.junction,
    "crossover": sm.crossover,
    "flow_arrow": sm.flow_arrow,
}
"""Every class but ``designation`` (text, see :func:`symbols_common.designation_ink`)."""

SIZE_FACTOR: dict[str, tuple[float, float]] = {
    "terminal": (0.45, 0.9),
    "junction": (0.18, 0.28),
    "crossover": (0.4, 0.7),
    "flow_arrow": (0.45, 0.7),
    "ground": (0.7, 1.1),
    "supply_rail": (0.6, 1.0),
    "opamp": (1.1, 1.6),
    "vessel": (1.0, 1.5),
    "instrument_field": (0.8, 1.0),
    "instrument_panel": (0.8, 1.0),
    "flange": (0.6, 0.9),
    "capacitor": (0.7, 1.0),
    "diode": (0.7, 1.0),
    "pump": (0.9, 1.3),
    "heat_exchanger": (0.9, 1.3),
}
"""Scale range of a class as a multiple of the sheet's base scale (default ``(0.8, 1.2)``)."""

ID = {name: class_index(name) for name in CLASS_NAMES[1:]}


@dataclass
class SyntheticSheet:
    """One rendered drawing: BGR image, class-id mask and ``(class_id, (x0, y0, x1, y1))`` per symbol;
    ``connections``: what was drawn that connects (lines, symbols' terminals), for :meth:`true_nets`;
    ``turn``: the 2x3 affine matrix a sheet tilted after drawing was turned by (``None``: not turned)."""

    image: np.ndarray
    mask: np.ndarray
    instances: list[tuple[int, tuple[int, int, int, int]]]
    connections: ConnectionLog | None = None
    turn: np.ndarray | None = None

    def true_nets(self) -> list[TrueNet]:
        """The nets of the drawing as sets of instance indices (see :mod:`.connections`); empty when not logged.
        Port points are where the terminals lie on the image (turned with it)."""
        nets = true_nets(self.connections) if self.connections is not None else []
        if self.turn is None:
            return nets
        m = self.turn
        return [
            replace(
                net,
                ports=tuple(replace(p, at=(float(m[0] @ (*p.at, 1.0)), float(m[1] @ (*p.at, 1.0)))) for p in net.ports),
            )
            for net in nets
        ]


def build_shape(name: str, rng: np.random.Generator) -> Shape:
    """Build one random style of class ``name``."""
    return BUILDERS[name](rng)


def render_symbol(
    class_name: str, seed: int = 0, *, turns: int = 0, mirror: bool = False, scale: float = 16.0, width: int = 2
) -> SyntheticSheet:
    """Draw one symbol alone, centred on a white canvas just big enough for it.

    >>> sheet = render_symbol("resistor", turns=1)
    >>> int(sheet.mask.max())
    1
    """
    cid = class_index(class_name)
    rng = np.random.default_rng(seed)
    pen = Pen(width=width, font=cv2.FONT_HERSHEY_COMPLEX)
    side = int(scale * 6 + 24)
    canvas = SheetCanvas(side)
    if class_name == "designation":
        main, sub = sm.designation_text(rng)
        ink = sm.designation_ink(main, sub, scale, pen)
        if turns % 2:
            ink = np.ascontiguousarray(np.rot90(ink, -1 if turns % 4 == 1 else 1))
        if mirror:
            ink = np.ascontiguousarray(ink[:, ::-1])
        canvas.paste(ink[:side, :side], (side - ink.shape[1]) // 2, (side - ink.shape[0]) // 2, cid)
    else:
        placement = Placement(side / 2, side / 2, scale, turns, mirror)
        canvas.draw_symbol(cid, build_shape(class_name, rng), placement, pen)
    image = cv2.cvtColor(255 - canvas.ink, cv2.COLOR_GRAY2BGR)
    return SyntheticSheet(image, canvas.mask, canvas.instances)
