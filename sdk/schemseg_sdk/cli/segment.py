"""`schemseg segment` (placeholder until its issue lands)."""
from __future__ import annotations

import click

__all__ = ["segment", "main"]


@click.command("segment")
def segment() -> None:
    """Not implemented yet."""
    raise click.ClickException("not implemented yet")


main = segment
