"""``schemseg segment``: segment drawings (files or folders) and write overlays and JSON per sheet (per page)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import cv2
import cv2.utils.logging
from tqdm import tqdm

from ..archive import (
    RayOptions,
    RunOptions,
    RunSummary,
    SheetStatus,
    SkippedFile,
    collect_documents,
    collect_images,
    output_stems,
    segment_archive,
)
from ..archive.jobs import DOCUMENT_SUFFIXES
from ..bill import write_bill_from_results
from ..errors import InvalidInputError
from ..instances import GroupingSettings
from ..result import STAGES
from ..sheet_scale import ScaleChoice, check_scale
from ._common import SchemsegClickError, handle_errors

__all__ = ["segment", "main", "collect_images", "output_stems"]


CLASSIFIER_OPTION = click.option(
    "--classifier",
    "classifier",
    default="auto",
    show_default=True,
    metavar="auto|none|FILE",
    help="With grouping, what gives each symbol its class from its crop: 'auto' (MODEL.classifier.onnx "
    "beside MODEL.onnx, else the bundled classifier: the first trained for the model; 'segment' says "
    "which, or why none), 'none' (the model's vote), or a classifier .onnx.",
)
"""``--classifier`` of the commands that group symbols (parsed by :func:`classifier_option`)."""


@click.command("segment")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--model",
    "-m",
    type=click.Path(path_type=Path),
    default=None,
    help="ONNX model or TensorRT engine  [default: the bundled reference model]",
)
@click.option(
    "--out",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/segment"),
    show_default=True,
    help="Folder for NAME.overlay.png and NAME.json.",
)
@click.option("--json/--no-json", "write_json", default=True, show_default=True, help="Write NAME.json per sheet.")
@click.option(
    "--overlay/--no-overlay", "write_overlay", default=True, show_default=True, help="Write NAME.overlay.png per sheet."
)
@click.option(
    "--graph",
    "write_graph",
    is_flag=True,
    help="Also write NAME.graph.json: symbols with their ports, nets with their segments.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True, help="Tiles per model run.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="ONNX Runtime threads (per actor with --ray) [default: all cores; with --ray, the actor's CPUs].",
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Where ONNX models run; engines always run on the GPU.",
)
@click.option("--force", is_flag=True, help="Redo sheets whose outputs are already complete (skipped otherwise).")
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ADDRESS]",
    help="Run on Ray (pip install 'schemseg[ray]'): alone, the cluster in RAY_ADDRESS or a Ray started "
    "here; 'auto' joins this machine's cluster; 'local' always starts one here; or HOST:PORT.",
)
@click.option(
    "--actors",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --ray: Segmenter actors; their CPUs (and threads) are the cluster's CPUs shared out.",
)
@click.option(
    "--group/--no-group",
    "group",
    default=True,
    show_default=True,
    help="Group predicted pixels into symbols with one class each; --no-group: one per region.",
)
@CLASSIFIER_OPTION
@click.option(
    "--dpi",
    type=click.FloatRange(min=10, max=2400),
    default=None,
    metavar="N",
    help="Render PDF pages at N dpi  [default: 200, lower for pages above A1 (40 Mpx per page)].",
)
@click.option(
    "--scale",
    "scale",
    default="auto",
    show_default=True,
    metavar="auto|FLOAT",
    help="Zoom sheets to the model's scale: 'auto' measures each sheet's strokes and text and resamples "
    "only sheets drawn outside the model's band (and big sheets drawn larger than it); a number "
    "zooms every sheet by it (1 = as drawn, 0.5 = halve a 600 dpi scan). Outputs stay in the "
    "sheet's pixels.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Bill of symbols: one row per symbol of every sheet, and FILE.counts.csv per sheet and class.",
)
@handle_errors
def segment(
    paths: tuple[Path, ...],
    model: Path | None,
    out_dir: Path,
    write_json: bool,
    write_overlay: bool,
    write_graph: bool,
    batch_size: int,
    threads: int | None,
    device: str,
    force: bool,
    ray_address: str | None,
    actors: int,
    group: bool,
    classifier: str,
    dpi: float | None,
    scale: str,
    csv_path: Path | None,
) -> None:
    """Segment the drawings in PATHS (PDF, TIFF, PNG, JPEG... files, or folders of them).

    Writes OUT/NAME.overlay.png and OUT/NAME.json per sheet (atomically; with --graph also
    OUT/NAME.graph.json); every page of a PDF or multi-page TIFF is a sheet, NAME.p001, NAME.p002...
    Prints symbols per class and the time per sheet, and goes on past bad files, listing them at the
    end (exit code 1); files in the folders that are not drawings are listed as skipped.
    Resumable: sheets whose outputs are complete are skipped, so an interrupted run rerun with the
    same command finishes the rest. OUT/schemseg-run/ keeps summary.json (every sheet's state) and
    failures.txt. With --csv, the bill of symbols is built at the end from the NAME.json of every sheet.

    \b
    Examples:
      schemseg segment sheets/ --out out/sheets --csv out/sheets/bill.csv
      schemseg segment archive/ --out out/archive --ray auto --actors 16
    """
    cv2.utils.logging.setLogLevel(
        cv2.utils.logging.LOG_LEVEL_ERROR
    )  # errors only: OpenCV's decoder warnings would repeat what the failure list says
    collected = collect_documents(paths)
    files = collected.files
    if not files:
        others = [file.source.name for file in collected.skipped]
        also = (
            f"; {_count(len(others), 'other entry')} there: {', '.join(others[:3])}{', ...' if len(others) > 3 else ''}"
        )
        raise click.UsageError(
            f"no drawings ({', '.join(DOCUMENT_SUFFIXES)}) in {', '.join(map(str, paths))}" + (also if others else "")
        )
    if csv_path is not None and not write_json:
        raise click.UsageError("--csv is built from the NAME.json files: drop --no-json")
    ray = _ray_options(ray_address, actors)
    options = RunOptions(
        out_dir,
        model=model,
        device=device,  # type: ignore[arg-type]  # click gives str; click.Choice limits --device to the Device values
        batch_size=batch_size,
        threads=threads,
        write_json=write_json,
        write_overlay=write_overlay,
        write_graph=write_graph,
        force=force,
        grouping=GroupingSettings() if group else None,
        classifier=classifier_option(classifier),
        dpi=dpi,
        scale=scale_option(scale),
    )
    progress = _Progress(out_dir, collected.skipped)
    try:
        summary = segment_archive(files, options, ray=ray, observer=progress, skipped_files=collected.skipped)
    except KeyboardInterrupt:
        raise SchemsegClickError("interrupted; run the same command again to finish the rest", exit_code=130) from None
    finally:
        progress.close()
    click.echo(_report(summary, out_dir))
    if csv_path is not None:
        bill = write_bill_from_results(csv_path, out_dir, summary.stems)
        symbols, sheets = _count(bill.symbols, "symbol"), _count(bill.sheets, "sheet")
        click.echo(f"bill of symbols: {symbols} on {sheets} -> {bill.bill}, {bill.counts}")
    if summary.failures:
        failed = f"{len(summary.failures)} of {_count(summary.planned, 'sheet')} failed"
        click.echo(
            f"{failed} (listed in {summary.failures_path}):" if summary.failures_path else f"{failed}:", err=True
        )
        for line in summary.failures:
            click.echo(f"  {line}", err=True)
        raise SchemsegClickError(failed)


SKIPPED_SHOWN = 20
"""Skipped files named on the console; all of them are in summary.json."""


def _list_skipped(skipped: list[SkippedFile]) -> None:
    for file in skipped[:SKIPPED_SHOWN]:
        click.echo(f"skipped {file.source}: {file.reason}", err=True)
    if len(skipped) > SKIPPED_SHOWN:
        click.echo(f"... and {len(skipped) - SKIPPED_SHOWN} more skipped files", err=True)
    if skipped:
        click.echo(
            f"{_count(len(skipped), 'file')} in the folders not read (listed in summary.json under 'skipped')", err=True
        )


def _ray_options(address: str | None, actors: int) -> RayOptions | None:
    if address is None:
        if actors != 1:
            raise click.UsageError("--actors needs --ray")
        return None
    if address and Path(address).exists():
        raise click.UsageError(
            f"--ray took {address!r} as the Ray address; put PATHS before --ray, or write --ray local / --ray auto"
        )
    return RayOptions(address or None, actors)


class _Progress:
    """What the run shows on stderr: the files not read, what segments the sheets, then a bar of sheets."""

    def __init__(self, out_dir: Path, skipped_files: list[SkippedFile]) -> None:
        self._out_dir = out_dir
        self._skipped_files = skipped_files
        self._bar: tqdm | None = None

    def started(self, description: str, pending: int, skipped: int) -> None:
        _list_skipped(self._skipped_files)  # here, once the model has opened: a model error stays one line
        if skipped:
            click.echo(
                f"{_count(skipped, 'sheet')} skipped: outputs complete in {self._out_dir} (--force redoes them)",
                err=True,
            )
        if pending:
            click.echo(f"{description}: {_count(pending, 'sheet')} -> {self._out_dir}", err=True)
            self._bar = tqdm(total=pending, unit="sheet", file=sys.stderr)

    def sheet_finished(self, status: SheetStatus) -> None:
        if self._bar is not None:
            self._bar.update()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _report(summary: RunSummary, out_dir: Path) -> str:
    """The summary table: symbols per class over the sheets segmented now, then the time per sheet."""
    if not summary.sheets:
        return (
            "no sheet segmented"
            + (f"; {summary.skipped} skipped" if summary.skipped else "")
            + (f"; {_count(len(summary.skipped_files), 'file')} not read" if summary.skipped_files else "")
        )
    rows = sorted(summary.symbols.items(), key=lambda item: (-item[1], item[0]))
    width = max([len("class"), len("total")] + [len(name) for name, _ in rows])
    lines = [f"{'class':<{width}}  symbols"]
    lines += [f"{name:<{width}}  {count:>7}" for name, count in rows]
    lines.append(f"{'total':<{width}}  {sum(summary.symbols.values()):>7}")
    per_sheet = {stage: seconds / summary.sheets for stage, seconds in summary.stage_seconds.items()}
    stages = ", ".join(f"{stage} {per_sheet[stage] * 1000:.0f}" for stage in STAGES)
    skipped = f"; {summary.skipped} skipped" if summary.skipped else ""
    if summary.skipped_files:
        skipped += f"; {_count(len(summary.skipped_files), 'file')} not read"
    lines.append(
        f"{_count(summary.sheets, 'sheet')} in {summary.wall:.1f} s: {per_sheet['total'] * 1000:.0f} ms per sheet "
        f"({stages} ms); {_count(summary.written, 'file')} written to {out_dir}{skipped}"
    )
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


main = segment


def scale_option(value: str) -> ScaleChoice:
    """The Segmenter's ``scale`` for ``--scale`` (``auto`` or a number); a bad one is a usage error."""
    try:
        return check_scale(value if value == "auto" else float(value))
    except ValueError as exc:  # float() of a word, or InvalidInputError (a ValueError) for a bad number
        message = str(exc) if isinstance(exc, InvalidInputError) else f"expected 'auto' or a number, got {value!r}"
        raise click.UsageError(f"--scale {value}: {message}") from None


def classifier_option(choice: str) -> str | Path | None:
    """The Segmenter's ``classifier`` for ``--classifier`` (``auto``, ``none`` or a file)."""
    if choice in ("auto", "none"):
        return None if choice == "none" else choice
    if not Path(choice).is_file():
        raise click.UsageError(f"--classifier {choice}: no such file (expected auto, none or a classifier .onnx)")
    return Path(choice)
