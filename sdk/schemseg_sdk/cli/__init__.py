"""The ``schemseg`` command group. Commands live in their own modules; this file only wires them."""
from __future__ import annotations

import click

from .._version import __version__

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemseg")
def main() -> None:
    """schemseg: find and segment the symbols on engineering schematics."""


def _register() -> None:
    from schemseg_training import cli as training_cli

    from .bench import bench
    from .build_engine import build_engine
    from .doctor import doctor
    from .segment import segment

    for command in (segment, doctor, build_engine, bench, *training_cli.COMMANDS):
        main.add_command(command)


_register()
