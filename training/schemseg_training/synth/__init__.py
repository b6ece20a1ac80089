"""Synthetic schematic sheets (circuits, P&IDs, mixed) with pixel-exact class masks.

>>> from schemseg_training.synth import render_sheet
>>> sheet = render_sheet(0)
>>> sheet.image.shape, sheet.mask.shape
((600, 600, 3), (600, 600))
"""
from __future__ import annotations

from .catalog import SyntheticSheet, render_symbol
from .sheet import GENERATOR_VERSION, render_sheet
from .writer import write_dataset

__all__ = ["SyntheticSheet", "render_symbol", "render_sheet", "write_dataset", "GENERATOR_VERSION"]
