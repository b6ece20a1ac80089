"""``schemseg synth``: write a synthetic dataset (images, masks, dataset.json, optional preview)."""

from __future__ import annotations

from pathlib import Path

import click

from schemseg_sdk.cli import handle_errors

__all__ = ["synth"]


@click.command("synth")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset folder to write (images/, masks/, dataset.json).",
)
@click.option("--count", required=True, type=int, help="Number of sheets.")
@click.option("--seed", default=0, show_default=True, type=int, help="Dataset seed; sheet i uses (seed, i).")
@click.option("--size", default=600, show_default=True, type=int, help="Sheet side in pixels.")
@click.option("--workers", default=1, show_default=True, type=int, help="Processes rendering in parallel.")
@click.option("--preview", is_flag=True, help="Also write preview.png (12 sheets beside their masks).")
@click.option(
    "--broken-wire-share",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Of the wire crossovers, the share drawn as a broken wire rather than a hop.",
)
@click.option(
    "--kind",
    type=click.Choice(["mixed", "pid-sheet"]),
    default="mixed",
    show_default=True,
    help="mixed: square circuit / P&ID / mixed sheets of --size; pid-sheet: whole P&ID sheets on "
    "A3-A0 paper (rectangular, thousands of px wide).",
)
@click.option(
    "--zoom-range",
    default="1,1",
    show_default=True,
    metavar="LO,HI",
    help="pid-sheet only: each sheet's scale drawn log-uniformly in LO..HI (1 = the model scale).",
)
@click.option(
    "--paper",
    type=click.Choice(["A4", "A3", "A2", "A1", "A0"]),
    default=None,
    help="pid-sheet only: the paper of every sheet (default: drawn per sheet, A1 most often).",
)
@handle_errors
def synth(
    out_dir: Path,
    count: int,
    seed: int,
    size: int,
    workers: int,
    preview: bool,
    broken_wire_share: float,
    kind: str,
    zoom_range: str,
    paper: str | None,
) -> None:
    """Generate synthetic circuit / P&ID sheets with pixel-exact class masks.

    \b
    Examples:
      schemseg synth --out data/synth --count 2000 --seed 0 --workers 2 --preview
      schemseg synth --out data/pid-sheets --kind pid-sheet --count 200 --seed 0 --zoom-range 0.7,1.4
      schemseg synth --out data/pid-a3-600dpi --kind pid-sheet --paper A3 --count 20 --zoom-range 3,3
    """
    if count < 1:
        raise click.UsageError(f"--count must be at least 1, got {count}")
    if size < 64:
        raise click.UsageError(f"--size must be at least 64, got {size}")
    if workers < 1:
        raise click.UsageError(f"--workers must be at least 1, got {workers}")
    if seed < 0:
        raise click.UsageError(f"--seed must be non-negative, got {seed}")
    zooms = _zoom_range(zoom_range)
    from .synth import write_dataset

    info = write_dataset(
        out_dir,
        count,
        seed,
        size=size,
        workers=workers,
        preview=preview,
        broken_wire_share=broken_wire_share,
        kind=kind,
        zoom_range=zooms,
        paper=paper,
    )
    fractions = info["class_sheet_fraction"]
    rare = [n for n, f in fractions.items() if f == 0] if isinstance(fractions, dict) else []
    click.echo(f"wrote {count} sheets to {out_dir}" + (f" (classes absent: {', '.join(rare)})" if rare else ""))


def _zoom_range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise click.UsageError(f"--zoom-range must be two numbers LO,HI such as 0.7,1.4, got {text!r}") from None
    if not 0 < lo <= hi:
        raise click.UsageError(f"--zoom-range needs 0 < LO <= HI, got {text!r}")
    return lo, hi
