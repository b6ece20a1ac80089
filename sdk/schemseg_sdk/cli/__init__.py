"""The ``schemseg`` command group. Commands live in their own modules; this file only wires them.

The runtime's own commands (segment, doctor, build-engine, bench) are added here. Other installed
packages add theirs through the ``schemseg.commands`` entry-point group: each entry point names a
sequence of click commands (the training package's is ``schemseg_training.cli:COMMANDS``). They are
loaded when the group first lists commands or is asked for one it does not have, so ``import
schemseg_sdk.cli`` never imports the training package (nor torch).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points

import click

from .._version import __version__
from ._common import SchemsegClickError, handle_errors
from .bench import bench
from .build_engine import build_engine
from .doctor import doctor
from .eval_graph import eval_graph
from .gate_graph import gate_graph
from .netlist import eval_netlist, netlist
from .segment import segment

__all__ = ["COMMAND_ENTRY_POINTS", "SchemsegClickError", "handle_errors", "main"]

COMMAND_ENTRY_POINTS = "schemseg.commands"
"""Entry-point group of commands added by other packages: each names a sequence of click commands."""


class _Group(click.Group):
    """A click group that adds the commands of the ``schemseg.commands`` entry points when first needed."""

    _plugins_added = False

    def _add_plugins(self) -> None:
        if self._plugins_added:
            return
        self._plugins_added = True
        for point in entry_points(group=COMMAND_ENTRY_POINTS):
            try:
                commands = point.load()
            except ImportError as exc:
                raise click.ClickException(
                    f"the commands of entry point {point.name!r} ({point.value}) could not be imported: {exc}; "
                    "reinstall the package that provides them"
                ) from exc
            if not isinstance(commands, Sequence) or not all(isinstance(c, click.Command) for c in commands):
                raise click.ClickException(
                    f"entry point {point.name!r} ({point.value}) of group {COMMAND_ENTRY_POINTS} must name a "
                    f"sequence of click commands, got {type(commands).__name__}"
                )
            for command in commands:
                self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._add_plugins()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemseg")
def main() -> None:
    """schemseg: find and segment the symbols on engineering schematics."""


for _command in (segment, netlist, eval_netlist, eval_graph, doctor, build_engine, bench, gate_graph):
    main.add_command(_command)
