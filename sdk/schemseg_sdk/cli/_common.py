"""What every CLI command shares: SchemsegError -> one clean line and a non-zero exit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar, cast

import click

from ..errors import SchemsegError

__all__ = ["handle_errors", "SchemsegClickError"]

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
