"""Synthetic schematic sheets (circuits, P&IDs, mixed; whole P&ID sheets) with pixel-exact class masks.

>>> from schemseg_training.synth import render_sheet
>>> sheet = render_sheet(0)
>>> sheet.image.shape, sheet.mask.shape
((600, 600, 3), (600, 600))
"""

from __future__ import annotations

from .catalog import SyntheticSheet, render_symbol
from .pid_sheet import PidSheetOptions, render_pid_sheet
from .sheet import GENERATOR_VERSION, render_sheet
from .writer import write_dataset

__all__ = [
    "SyntheticSheet",
    "render_symbol",
    "render_sheet",
    "render_pid_sheet",
    "PidSheetOptions",
    "write_dataset",
    "GENERATOR_VERSION",
]
