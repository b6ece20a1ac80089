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
    "--unboxed-text",
    type=click.Choice(["background", "ignore"]),
    default="background",
    show_default=True,
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
        click.echo(
            f"rescaled the shapes of {len(report.rescaled)} files drawn on a resized image: "
            + ", ".join(Path(p).name for p in report.rescaled)
        )
    click.echo(f"wrote {out} ({report.written} sheets)")
    if report.skipped:
        for problem in report.skipped:
            click.echo(f"skipped {problem}", err=True)
        raise DatasetError(
            f"{len(report.skipped)} of {len(report.skipped) + report.written} LabelMe files skipped (listed above, "
            f"and in {out / 'dataset.json'}); {out} holds the other {report.written}"
        )


@data.command("import-dexpi")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="New dataset folder (absent or empty)."
)
@click.option(
    "--map",
    "map_spec",
    default="dexpi",
    show_default=True,
    help="JSON file {DEXPI class: class name or null (no class, ignored)}, or a bundled map name.",
)
@click.option(
    "--cases",
    type=click.Choice(["complete", "fragments", "all"]),
    default="all",
    show_default=True,
    help="Test cases to import: complete sheets C.. (evaluation only), fragments E../I../P.., or all.",
)
@click.option(
    "--dpi",
    default=150.0,
    show_default=True,
    type=click.FloatRange(20, 1200),
    help="Resolution at which PDF renderings are rasterised.",
)
@click.option(
    "--min-width",
    default=1500,
    show_default=True,
    type=click.IntRange(1),
    help="Narrower renderings are enlarged to this width (pixels).",
)
@click.option(
    "--min-score",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of the drawing's strokes that must land on ink, else the rendering is skipped.",
)
@click.option(
    "--dark-threshold", default=128, show_default=True, type=click.IntRange(1, 256), help="Ink is gray below this."
)
@click.option("--score-dark-only", is_flag=True, help="For evaluation sets: every pixel that is not ink gets 255.")
@click.option(
    "--unboxed-text",
    type=click.Choice(["background", "ignore"]),
    default="background",
    show_default=True,
    help="Small ink pieces outside every box (notes, title block): background, or 255 (not scored).",
)
@click.option(
    "--overlays",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write each rendering with its boxes drawn to this folder, to check the alignment by eye.",
)
@handle_errors
def import_dexpi_command(
    src: Path,
    out: Path,
    map_spec: str,
    cases: str,
    dpi: float,
    min_width: int,
    min_score: float,
    dark_threshold: int,
    score_dark_only: bool,
    unboxed_text: str,
    overlays: Path | None,
) -> None:
    """Turn DEXPI Proteus XML files and their renderings under SRC into a dataset at --out.

    Each rendering (NAME.png/.jpg/.pdf beside NAME.xml, or NAME-TOOL.IMnn.png of another tool) is
    placed on its XML by matching the drawing's strokes to the ink; every mapped symbol becomes a
    box whose dark ink takes its class; symbols with no class are ignored (255). Renderings that
    cannot be aligned are skipped and listed at the end (exit code 1 only when none is imported).
    """
    from .data.dexpi import DexpiSettings, import_dexpi, load_dexpi_map

    label_map, class_map = load_dexpi_map(map_spec)
    settings = DexpiSettings(
        class_map,
        label_map.name,
        cases,
        dpi,
        min_width,
        min_score,
        dark_threshold=dark_threshold,  # type: ignore[arg-type]
        score_dark_only=score_dark_only,
        unboxed_text=unboxed_text,
        overlays=overlays,  # type: ignore[arg-type]
    )
    report = import_dexpi(src, out, settings, progress=True)
    click.echo(report.frequencies.table())
    click.echo(report.unmapped_table())
    for problem in report.skipped:
        click.echo(f"skipped {problem}", err=True)
    click.echo(
        f"wrote {out} ({report.written} sheets; {len(report.skipped)} renderings skipped, listed above "
        f"and in {out / 'dataset.json'})"
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
