"""The SDK runtime and every CLI command's module import without torch (plant PCs have none) or Ray."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from schemseg_sdk.cli import main


def test_cli_and_sdk_never_import_torch() -> None:
    code = (
        "import sys\n"
        "import schemseg_sdk, schemseg_sdk.cli, schemseg_sdk.segmenter, schemseg_sdk.engine.pipeline\n"
        "import schemseg_sdk.archive, schemseg_sdk.archive.ray_run\n"
        "from schemseg_sdk.cli import main\n"
        "bad = ('torch', 'segmentation_models_pytorch', 'tensorrt', 'pycuda', 'ray', 'schemseg_training')\n"
        "bad = sorted(m for m in bad if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _commands(group, prefix=()):  # type: ignore[no-untyped-def]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # list_commands: the entry-point commands included
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help() -> None:
    paths = list(_commands(main))
    assert {"segment", "doctor", "build-engine", "bench", "synth", "train", "eval", "export", "model", "data"} <= {
        p[0] for p in paths
    }
    for path in paths:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: " in result.output and "--help" in result.output
