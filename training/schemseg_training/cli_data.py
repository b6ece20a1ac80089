"""``schemseg data``: import LabelMe annotations as a dataset, and check a dataset."""
from __future__ import annotations

from pathlib import Path

import click
from schemseg_sdk.cli._common import handle_errors

__all__ = ["data"]


@click.group("data")
def data() -> None:
    """Build and check datasets (images/ + masks/ + dataset.json)."""


@data.command("import-labelme")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="New dataset folder (absent or empty)."
)
@click.option(
    "--map",
    "map_spec",
    required=True,
    help="JSON file {LabelMe label: class name or null (ignore)}, or a bundled map name (ci2n).",
)
@click.option(
    "--dark-threshold", default=128, show_default=True, type=click.IntRange(1, 256), help="Ink is gray below this."
)
@click.option("--score-dark-only", is_flag=True, help="For evaluation sets: every pixel that is not ink gets 255.")
@handle_errors
def import_labelme_command(src: Path, out: Path, map_spec: str, dark_threshold: int, score_dark_only: bool) -> None:
    """Turn the LabelMe files in SRC (NAME.json + its image) into a dataset at --out.

    Rectangles give their class to the dark ink inside them, polygons to their whole area; smaller
    shapes overwrite larger ones; labels mapped to null are ignored (255).
    """
    from .data.labelme import ImportSettings, import_labelme, load_label_map

    settings = ImportSettings(load_label_map(map_spec), dark_threshold, score_dark_only)
    freqs = import_labelme(src, out, settings, progress=True)
    click.echo(freqs.table())
    click.echo(f"wrote {out}")


@data.command("check")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@handle_errors
def check_command(root: Path) -> None:
    """Validate the dataset at ROOT and print how often each class occurs."""
    from .data.check import check_dataset

    click.echo(check_dataset(root, progress=True).table())
