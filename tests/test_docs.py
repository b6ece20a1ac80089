"""Docs that cannot fall behind the code: every command of the ``schemseg`` group (the training
commands found through the ``schemseg.commands`` entry point included) and every option has help,
and appears in the CLI reference page as mkdocs-click renders it from ``docs/cli.md``."""
from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from schemseg_sdk.cli import main

markdown = pytest.importorskip("markdown", reason="the docs extra renders the CLI page: pip install '.[docs]'")
pytest.importorskip("mkdocs_click", reason="the docs extra renders the CLI page: pip install '.[docs]'")

CLI_PAGE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
TRAINING_COMMANDS = {"synth", "data", "train", "train-classifier", "eval", "export", "model"}


def _walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} lists {name} but cannot find it"
            yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(main, ("schemseg",)))


@functools.cache
def _rendered() -> str:
    return markdown.markdown(CLI_PAGE.read_text(encoding="utf-8"), extensions=["mkdocs-click", "tables", "attr_list"])


def test_the_training_commands_come_through_the_entry_point() -> None:
    assert TRAINING_COMMANDS <= {path[1] for path in COMMANDS if len(path) == 2}


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_command_has_help_and_is_documented(path: tuple[str, ...]) -> None:
    command = COMMANDS[path]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    assert " ".join(path) in _rendered(), f"{' '.join(path)} is missing from {CLI_PAGE.name}"
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help text"
        for opt in (*param.opts, *param.secondary_opts):
            assert opt in _rendered(), f"{' '.join(path)} {opt} is missing from {CLI_PAGE.name}"
