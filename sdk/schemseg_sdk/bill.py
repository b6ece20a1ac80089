"""The bill of symbols of a run: every symbol of every sheet as CSV, and the counts per class per sheet.

Both are built from the per-sheet JSON results (``schemseg.segmentation/1``) in an output folder,
so a run that skipped sheets finished earlier still lists them all. ``bill.csv`` has one row per
symbol, with the page for the pages of a PDF or multi-page TIFF (empty for an image file)::

    sheet,page,class,x0,y0,x1,y1,area,confidence
    sheets/a.png,,gate_valve,120,48,161,75,812,0.9731
    sheets/plant.pdf,2,ball_valve,40,310,77,341,655,0.9402

and ``bill.counts.csv`` one row per sheet (and page) with a column per class found in the run (and ``total``).
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInputError
from .fileio import atomic_write_text, read_json_object
from .result import JSON_SCHEMA

__all__ = ["SheetSymbols", "BillWritten", "read_sheet_symbols", "write_bill", "write_bill_from_results", "counts_path"]

BILL_COLUMNS = ("sheet", "page", "class", "x0", "y0", "x1", "y1", "area", "confidence")


@dataclass(frozen=True)
class SheetSymbols:
    """The symbols of one segmented sheet, as its JSON result lists them."""

    sheet: str
    symbols: tuple[dict[str, object], ...]
    page: int | None = None
    """The page number of a document's page; ``None`` for an image file."""

    def counts(self) -> Counter[str]:
        return Counter(str(s["class_name"]) for s in self.symbols)


@dataclass(frozen=True)
class BillWritten:
    """What :func:`write_bill_from_results` wrote."""

    bill: Path
    counts: Path
    sheets: int
    symbols: int


def write_bill_from_results(
    bill: str | os.PathLike[str], out_dir: str | os.PathLike[str], stems: Sequence[str]
) -> BillWritten:
    """Write the bill of the sheets ``out_dir/STEM.json`` (in ``stems`` order; missing ones are skipped).

    Results written by earlier runs into ``out_dir`` count like new ones: a resumed run gets the
    whole bill.
    """
    folder = Path(out_dir)
    found = [folder / f"{stem}.json" for stem in stems if (folder / f"{stem}.json").is_file()]
    sheets = [read_sheet_symbols(path) for path in found]
    bill_path, counts = write_bill(bill, sheets)
    return BillWritten(bill_path, counts, len(sheets), sum(len(sheet.symbols) for sheet in sheets))


def read_sheet_symbols(path: str | os.PathLike[str]) -> SheetSymbols:
    """Read the symbols of one ``NAME.json`` result.

    Raises:
        InvalidInputError: not a readable ``schemseg.segmentation/1`` result.
    """
    path = Path(path)
    data = read_json_object(path, "segmentation result", InvalidInputError, f"a {JSON_SCHEMA} result")
    if data.get("schema") != JSON_SCHEMA or not isinstance(data.get("symbols"), list):
        raise InvalidInputError(f"{path}: not a {JSON_SCHEMA} result; segment the sheet again")
    page = data.get("page")
    return SheetSymbols(
        str(data.get("source", path.stem)), tuple(data["symbols"]), page if isinstance(page, int) else None
    )


def counts_path(bill: str | os.PathLike[str]) -> Path:
    """Where the per-sheet counts go beside ``bill``: ``bill.csv`` -> ``bill.counts.csv``.

    >>> counts_path("out/bill.csv").as_posix()
    'out/bill.counts.csv'
    """
    bill = Path(bill)
    return bill.with_name(f"{bill.stem}.counts.csv")


def write_bill(bill: str | os.PathLike[str], sheets: Sequence[SheetSymbols]) -> tuple[Path, Path]:
    """Write ``bill`` (one row per symbol) and its counts file (one row per sheet); return both paths."""
    atomic_write_text(bill, _csv(BILL_COLUMNS, _symbol_rows(sheets)))
    totals: Counter[str] = Counter()
    for sheet in sheets:
        totals.update(sheet.counts())
    classes = sorted(totals, key=lambda name: (-totals[name], name))
    rows = (
        [sheet.sheet, _blank(sheet.page), sum(sheet.counts().values()), *(sheet.counts()[c] for c in classes)]
        for sheet in sheets
    )
    counts = counts_path(bill)
    atomic_write_text(counts, _csv(("sheet", "page", "total", *classes), rows))
    return Path(bill), counts


def _symbol_rows(sheets: Sequence[SheetSymbols]) -> Iterable[list[object]]:
    for sheet in sheets:
        for symbol in sheet.symbols:
            bbox = symbol["bbox"]
            assert isinstance(bbox, list)
            confidence = symbol.get("confidence")
            yield [sheet.sheet, _blank(sheet.page), symbol["class_name"], *bbox, symbol["area"], _blank(confidence)]


def _blank(value: object) -> object:
    return "" if value is None else value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()
