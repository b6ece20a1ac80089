"""Training-side commands of the ``schemseg`` group (synth, data, train, train-classifier, eval, export, model).

This module must not import torch at import time: ``schemseg segment`` runs without it.
"""

from __future__ import annotations

import click

from .cli_classifier import train_classifier_command
from .cli_data import data
from .cli_synth import synth
from .cli_train import eval_command, export_command, model_group, train_command

__all__ = ["COMMANDS"]

COMMANDS: list[click.Command] = [
    train_command,
    train_classifier_command,
    eval_command,
    export_command,
    model_group,
    data,
    synth,
]
