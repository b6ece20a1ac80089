"""``schemseg segment``: segment drawings (files or folders) and write overlays and JSON per sheet."""
from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
import cv2
import cv2.utils.logging
from tqdm import tqdm

from ..bill import write_bill_from_results
from ..dataset import IMAGE_SUFFIXES
from ..errors import InvalidInputError, SchemsegError
from ..instances import GroupingSettings
from ..result import STAGES, SegmentationResult
from ..segmenter import Segmenter
from ._common import SchemsegClickError, handle_errors

__all__ = ["segment", "main", "collect_images", "output_stems"]


@dataclass
class _Summary:
    symbols: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    sheets: int = 0
    written: int = 0
    failures: list[str] = field(default_factory=list)


def collect_images(paths: Sequence[Path]) -> list[Path]:
    """Expand ``paths``: files are taken as they are, folders give their images (sorted, not recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        else:
            files.append(path)
    return files


def output_stems(files: Sequence[Path]) -> list[str]:
    """One output name per file: its stem, with ``-2``, ``-3``... where stems repeat.

    >>> output_stems([Path("a/x.png"), Path("b/x.png"), Path("y.jpg")])
    ['x', 'x-2', 'y']
    """
    seen: Counter[str] = Counter()
    stems = []
    for file in files:
        seen[file.stem] += 1
        stems.append(file.stem if seen[file.stem] == 1 else f"{file.stem}-{seen[file.stem]}")
    return stems


@click.command("segment")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", "-m", type=click.Path(path_type=Path), default=None,
              help="ONNX model or TensorRT engine  [default: the bundled reference model]")
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/segment"),
              show_default=True, help="Folder for NAME.overlay.png and NAME.json.")
@click.option("--json/--no-json", "write_json", default=True, show_default=True, help="Write NAME.json per sheet.")
@click.option("--overlay/--no-overlay", "write_overlay", default=True, show_default=True,
              help="Write NAME.overlay.png per sheet.")
@click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True, help="Tiles per model run.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="ONNX Runtime threads [default: all cores].")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where ONNX models run; engines always run on the GPU.")
@click.option("--group/--no-group", "group", default=True, show_default=True,
              help="Group predicted pixels into symbols with one class each; --no-group: one per region.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Bill of symbols: one row per symbol of every sheet, and FILE.counts.csv per sheet and class.")
@handle_errors
def segment(
    paths: tuple[Path, ...],
    model: Path | None,
    out_dir: Path,
    write_json: bool,
    write_overlay: bool,
    batch_size: int,
    threads: int | None,
    device: str,
    group: bool,
    csv_path: Path | None,
) -> None:
    """Segment the drawings in PATHS (image files or folders of them).

    Writes OUT/NAME.overlay.png and OUT/NAME.json per sheet, prints symbols per class and the
    time per sheet, and goes on past unreadable files, listing them at the end (exit code 1).
    With --csv, the bill of symbols is built at the end from the NAME.json of every sheet.

    \b
    Example:
      schemseg segment sheets/ --out out/sheets --csv out/sheets/bill.csv
    """
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # errors only: OpenCV's decoder warnings would repeat what the failure list says
    files = collect_images(paths)
    if not files:
        raise click.UsageError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    if csv_path is not None and not write_json:
        raise click.UsageError("--csv is built from the NAME.json files: drop --no-json")
    summary = _Summary()
    start = time.perf_counter()
    grouping = GroupingSettings() if group else None
    with Segmenter(model, device=device, batch_size=batch_size, threads=threads,  # type: ignore[arg-type]
                   grouping=grouping) as segmenter:
        click.echo(f"{segmenter.model_path.name} on {segmenter.backend_name}: {_count(len(files), 'sheet')} -> {out_dir}", err=True)
        results = segmenter.predict_stream(iter(files), return_errors=True)
        bar = tqdm(zip(files, output_stems(files), results), total=len(files), unit="sheet", file=sys.stderr)
        for file, stem, result in bar:
            _handle(file, stem, result, out_dir, write_json, write_overlay, summary)
    click.echo(_report(summary, time.perf_counter() - start, out_dir))
    if csv_path is not None:
        bill = write_bill_from_results(csv_path, out_dir, output_stems(files))
        symbols, sheets = _count(bill.symbols, "symbol"), _count(bill.sheets, "sheet")
        click.echo(f"bill of symbols: {symbols} on {sheets} -> {bill.bill}, {bill.counts}")
    if summary.failures:
        failed = f"{len(summary.failures)} of {_count(len(files), 'file')} failed"
        click.echo(f"{failed}:", err=True)
        for line in summary.failures:
            click.echo(f"  {line}", err=True)
        raise SchemsegClickError(failed)


def _handle(
    file: Path,
    stem: str,
    result: SegmentationResult | InvalidInputError,
    out_dir: Path,
    write_json: bool,
    write_overlay: bool,
    summary: _Summary,
) -> None:
    if isinstance(result, SchemsegError):
        summary.failures.append(str(result))
        return
    try:
        if write_overlay:
            result.save_overlay(out_dir / f"{stem}.overlay.png")
            summary.written += 1
        if write_json:
            result.save_json(out_dir / f"{stem}.json")
            summary.written += 1
    except (OSError, SchemsegError) as exc:
        reason = f"{exc.strerror} ({exc.filename})" if isinstance(exc, OSError) and exc.strerror else str(exc)
        summary.failures.append(f"{file}: cannot write the outputs: {reason}")
        return
    summary.sheets += 1
    summary.symbols.update(result.symbol_counts())
    summary.stage_seconds.update({stage: result.timings[stage] for stage in (*STAGES, "total")})


def _report(summary: _Summary, wall: float, out_dir: Path) -> str:
    """The summary table: symbols per class over all sheets, then the time per sheet."""
    if not summary.sheets:
        return "no sheet segmented"
    rows = sorted(summary.symbols.items(), key=lambda item: (-item[1], item[0]))
    width = max([len("class"), len("total")] + [len(name) for name, _ in rows])
    lines = [f"{'class':<{width}}  symbols"]
    lines += [f"{name:<{width}}  {count:>7}" for name, count in rows]
    lines.append(f"{'total':<{width}}  {sum(summary.symbols.values()):>7}")
    per_sheet = {stage: seconds / summary.sheets for stage, seconds in summary.stage_seconds.items()}
    stages = ", ".join(f"{stage} {per_sheet[stage] * 1000:.0f}" for stage in STAGES)
    lines.append(
        f"{_count(summary.sheets, 'sheet')} in {wall:.1f} s: {per_sheet['total'] * 1000:.0f} ms per sheet "
        f"({stages} ms); {_count(summary.written, 'file')} written to {out_dir}"
    )
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


main = segment
