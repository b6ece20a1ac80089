"""What every CLI command shares: SchemsegError -> one clean line and a non-zero exit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import click

from ..errors import SchemsegError

__all__ = ["handle_errors", "only_option", "read_names", "SchemsegClickError"]

F = TypeVar("F", bound=Callable[..., object])


class SchemsegClickError(click.ClickException):
    """A library error shown as ``Error: <message>``; ``exit_code`` may be set per error kind."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click types it ClassVar, but reads it per instance


def handle_errors(func: F) -> F:
    """Turn :class:`SchemsegError` raised by a command into a one-line error and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except SchemsegError as exc:
            raise SchemsegClickError(str(exc)) from None

    return cast(F, wrapper)


def only_option(example: str) -> Callable[[F], F]:
    """The ``--only NAMES.txt`` option of the scoring commands (``example``: a sheet name)."""
    return click.option(
        "--only",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help=f"Score only the sheets named in this file (one name a line, e.g. {example}).",
    )


def read_names(path: Path | None) -> list[str] | None:
    """The sheet names of an ``--only`` file, one a line (``None``: no file, every sheet)."""
    return None if path is None else [line.strip() for line in path.read_text().splitlines() if line.strip()]
