"""Training-side commands of the ``schemseg`` group (synth, data, train, eval, export, model).

This module must not import torch at import time: ``schemseg segment`` runs without it.
"""
from __future__ import annotations

import click

from .cli_data import data
from .cli_synth import synth

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = [data, synth]
