"""One P&ID sheet at 150, 300 and 600 dpi: does ``scale="auto"`` count the same symbols at each?

Usage: python benchmarks/dpi_consistency.py [--pdf FILE.pdf] [--dpi 150,300,600] [--zooms 0.87,1.0,1.14]
                                           [--threads 2] [--model M] [--out FILE.json]

The sheet is the complete DEXPI example P&ID C01 as exported to PDF by one CAD tool (A2 paper,
"DEXPI TrainingTestCases", CC BY 4.0), rasterised by PDFium at each resolution, as
``schemseg segment --dpi N`` reads a PDF: three real renderings of the same vectors, not one image
resized. Each is read by the default Segmenter (``scale="auto"``, grouping and the symbol
classifier on). Reported per resolution: the image size, the zoom the sheet-scale measure chose and
why, the time, the symbol count per class; and the spread of the counts, (max - min) / max, over all
symbols and over the symbols other than designations (text). The issue's target: counts within 10%
of each other. ``--zooms`` also reads the first resolution at those fixed zooms (``scale=z``): how
much the counts move with the scale alone. Writes ``benchmarks/results/dpi-consistency-<machine>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from schemseg_sdk import Segmenter
from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.documents import document_pages, read_page
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.segmenter import DEFAULT_MODEL

PDF = Path("/work/shared/data/dexpi-examples/dexpi 1.2/example pids/C01 the complete DEXPI PnID/C01V01-SAG.EX02.pdf")
TEXT_CLASSES = frozenset({"designation"})


def spread(counts: list[int]) -> float:
    """(max - min) / max: 0 when all counts agree; 0.1 when the smallest is 10% under the largest."""
    return round((max(counts) - min(counts)) / max(counts), 4) if max(counts) else 0.0


def read_at(pdf: Path, dpi: float, segmenter: Segmenter) -> dict[str, object]:
    image = read_page(document_pages(pdf, dpi=dpi)[0])
    return read_image_with(image, dpi, segmenter)


def read_image_with(image: np.ndarray, dpi: float, segmenter: Segmenter) -> dict[str, object]:
    start = time.perf_counter()
    result = segmenter.predict(image)
    seconds = time.perf_counter() - start
    per_class = Counter(symbol.class_name for symbol in result.symbols)
    row = {
        "dpi": dpi,
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "scale": result.scale,
        "tiles": result.tiles,
        "seconds": round(seconds, 1),
        "symbols": sum(per_class.values()),
        "symbols_not_text": sum(n for name, n in per_class.items() if name not in TEXT_CLASSES),
        "per_class": dict(sorted(per_class.items())),
    }
    print(
        f"{dpi:g} dpi: {image.shape[1]}x{image.shape[0]} px, zoom {result.scale['zoom']}, {seconds:.1f} s, "
        f"{row['symbols']} symbols ({row['symbols_not_text']} not text)",
        file=sys.stderr,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=PDF)
    parser.add_argument("--dpi", default="150,300,600", help="comma-separated resolutions")
    parser.add_argument("--zooms", default="", help="comma-separated fixed zooms for the first resolution")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    resolutions = [float(v) for v in args.dpi.split(",")]
    load_before = [round(v, 2) for v in os.getloadavg()]
    with Segmenter(args.model, device="cpu", threads=args.threads) as segmenter:
        rows = [read_at(args.pdf, dpi, segmenter) for dpi in resolutions]
    zoomed = []
    if args.zooms:
        image = read_page(document_pages(args.pdf, dpi=resolutions[0])[0])
        for zoom in (float(v) for v in args.zooms.split(",")):
            with Segmenter(args.model, device="cpu", threads=args.threads, scale=zoom) as segmenter:
                zoomed.append(read_image_with(image, resolutions[0], segmenter))
    classes = sorted({name for row in rows for name in row["per_class"]})  # type: ignore[attr-defined]
    machine = machine_info()
    result = {
        "schema": "schemseg.dpi-consistency/1",
        "command": " ".join(["python", *sys.argv]),
        "sheet": {"source": str(args.pdf), "credit": "DEXPI TrainingTestCases, CC BY 4.0"},
        "model": args.model,
        "threads": args.threads,
        "resolutions": rows,
        "spread_all": spread([int(row["symbols"]) for row in rows]),  # type: ignore[call-overload]
        "spread_not_text": spread([int(row["symbols_not_text"]) for row in rows]),  # type: ignore[call-overload]
        "per_class_counts": {name: [row["per_class"].get(name, 0) for row in rows] for name in classes},  # type: ignore[attr-defined]
        "target": "counts within 10% of each other: spread <= 0.10",
        "fixed_zooms": zoomed,
        "machine": machine,
        "load_average_before": load_before,
    }
    out = args.out or Path(
        f"benchmarks/results/dpi-consistency-{machine_slug(machine)}-{time.strftime('%Y-%m-%d')}.json"
    )
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    print(f"spread of counts: all {result['spread_all']}, not text {result['spread_not_text']}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
