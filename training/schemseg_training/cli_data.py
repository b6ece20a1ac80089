"""``schemseg data``: import LabelMe annotations as a dataset, and check a dataset."""
from __future__ import annotations

from pathlib import Path

import click
from schemseg_sdk.cli import handle_errors
from schemseg_sdk.errors import DatasetError

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
    help="JSON file {LabelMe label: class name or null (ignore)} for the reference classes, or "
    '{"classes": [your names], "labels": {label: name or null}} for your own; or a bundled map name (ci2n).',
)
@click.option(
    "--dark-threshold", default=128, show_default=True, type=click.IntRange(1, 256), help="Ink is gray below this."
)
@click.option("--score-dark-only", is_flag=True, help="For evaluation sets: every pixel that is not ink gets 255.")
@click.option(
    "--unboxed-text", type=click.Choice(["background", "ignore"]), default="background", show_default=True,
    help="Small ink pieces outside every shape (text, which boxes never mark): background, or 255 (not trained on).",
)
@handle_errors
def import_labelme_command(
    src: Path, out: Path, map_spec: str, dark_threshold: int, score_dark_only: bool, unboxed_text: str
) -> None:
    """Turn the LabelMe files in SRC (NAME.json + its image) into a dataset at --out.

    Rectangles give their class to the dark ink inside them, polygons to their whole area; smaller
    shapes overwrite larger ones; labels mapped to null are ignored (255). Bad files are skipped and
    listed at the end (exit code 1); annotations drawn on a resized copy of the image are rescaled.
    """
    from .data.labelme import ImportSettings, import_labelme, load_label_map

    settings = ImportSettings(load_label_map(map_spec), dark_threshold, score_dark_only, unboxed_text)  # type: ignore[arg-type]
    report = import_labelme(src, out, settings, progress=True)
    click.echo(report.frequencies.table())
    if report.rescaled:
        click.echo(f"rescaled the shapes of {len(report.rescaled)} files drawn on a resized image: "
                   + ", ".join(Path(p).name for p in report.rescaled))
    click.echo(f"wrote {out} ({report.written} sheets)")
    if report.skipped:
        for problem in report.skipped:
            click.echo(f"skipped {problem}", err=True)
        raise DatasetError(
            f"{len(report.skipped)} of {len(report.skipped) + report.written} LabelMe files skipped (listed above, "
            f"and in {out / 'dataset.json'}); {out} holds the other {report.written}"
        )


@data.command("check")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@handle_errors
def check_command(root: Path) -> None:
    """Validate the dataset at ROOT and print how often each class occurs."""
    from .data.check import check_dataset

    click.echo(check_dataset(root, progress=True).table())


@data.command("split")
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--train-out", required=True, type=click.Path(path_type=Path), help="New folder for the training part.")
@click.option("--val-out", required=True, type=click.Path(path_type=Path), help="New folder for the held-out part.")
@click.option("--val-count", required=True, type=click.IntRange(1), help="Sheets to hold out.")
@click.option("--seed", default=0, show_default=True, help="Which sheets are held out.")
@handle_errors
def split_command(root: Path, train_out: Path, val_out: Path, val_count: int, seed: int) -> None:
    """Split the dataset at ROOT into a training and a validation dataset (hard links)."""
    from .data.split import split_dataset

    train, val = split_dataset(root, train_out, val_out, val_count, seed)
    click.echo(f"wrote {train_out} ({train} sheets) and {val_out} ({val} sheets)")
