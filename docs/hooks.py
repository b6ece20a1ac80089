"""mkdocs hook: load the entry-point commands of the ``schemseg`` group before mkdocs-click renders it.

The group adds the commands of the ``schemseg.commands`` entry points (the training commands) when it
first lists its commands, so that the runtime never imports them unasked; mkdocs-click reads the
group's ``commands`` dict directly, which without this hook holds only the runtime's own commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from schemseg_sdk.cli import main

    main.list_commands(click.Context(main))
    return config
