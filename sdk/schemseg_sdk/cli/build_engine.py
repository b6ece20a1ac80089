"""`schemseg build-engine` (placeholder until its issue lands)."""
from __future__ import annotations

import click

__all__ = ["build_engine", "main"]


@click.command("build-engine")
def build_engine() -> None:
    """Not implemented yet."""
    raise click.ClickException("not implemented yet")


main = build_engine
