"""`schemseg bench` (placeholder until its issue lands)."""
from __future__ import annotations

import click

__all__ = ["bench", "main"]


@click.command("bench")
def bench() -> None:
    """Not implemented yet."""
    raise click.ClickException("not implemented yet")


main = bench
