"""`schemseg doctor` (placeholder until its issue lands)."""
from __future__ import annotations

import click

__all__ = ["doctor", "main"]


@click.command("doctor")
def doctor() -> None:
    """Not implemented yet."""
    raise click.ClickException("not implemented yet")


main = doctor
