"""The ``schemseg`` command group. Commands live in their own modules; this file only wires them.

The training commands are registered when the group first looks a command up, not when this package
is imported: they import ``schemseg_sdk.cli._common`` themselves, so importing them here would make
``import schemseg_training.cli_train`` (or any training command module imported first) a circle.
"""
from __future__ import annotations

import click

from .._version import __version__
from .bench import bench
from .build_engine import build_engine
from .doctor import doctor
from .netlist import eval_netlist, netlist
from .segment import segment

__all__ = ["main"]


class _Group(click.Group):
    """A click group that adds the training commands the first time it lists or looks up commands."""

    _training_added = False

    def _add_training(self) -> None:
        if not self._training_added:
            self._training_added = True
            from schemseg_training.cli import COMMANDS

            for command in COMMANDS:
                self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_training()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._add_training()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemseg")
def main() -> None:
    """schemseg: find and segment the symbols on engineering schematics."""


for _command in (segment, netlist, eval_netlist, doctor, build_engine, bench):
    main.add_command(_command)
