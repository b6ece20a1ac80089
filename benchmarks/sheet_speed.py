"""Whole sheets fast: ``Segmenter.predict`` on an A1 sheet at 300 dpi, ``scale="auto"`` against ``scale=1.0``.

Usage: python benchmarks/sheet_speed.py [--sheet PDF_OR_PNG] [--size 9933x7016] [--reps 3] [--threads 2]
                                        [--scales auto,1.0] [--model M] [--out FILE.json]

The default sheet is the complete DEXPI example P&ID C01 as one CAD tool exported it to PDF (A2,
"DEXPI TrainingTestCases", CC BY 4.0), plotted on A1 at 300 dpi: PDFium renders its vectors to
9933 x 7016 px, so text, line weights and symbols are as large as on a real A1 sheet (text
about 34 px, 2.9 mm). A PNG given with ``--sheet`` is zoomed (bilinear) to ``--size`` instead. One
Segmenter per scale (2 ONNX Runtime threads, fp32, grouping and the symbol classifier on, as
``schemseg segment`` runs), warmed on a small sheet; the scales are run alternately ``--reps``
times (the machine is shared, so load drifts hit them alike) and medians are reported, wall and CPU
seconds (the CPU time of the process, all threads: on a busy machine the wall time measures the
other jobs as much as this one), with the stage timings, tiles, chosen zoom and why, the machine,
its CPU features and the load average before and after. Writes
``benchmarks/results/sheet-speed-<machine>-<date>[-<sheet>].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk import Segmenter
from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.cpu import cpu_flags
from schemseg_sdk.documents import document_pages, is_pdf, read_page
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.imageio import read_image
from schemseg_sdk.result import SegmentationResult
from schemseg_sdk.segmenter import DEFAULT_MODEL

SHEET = Path("/work/shared/data/dexpi-examples/dexpi 1.2/example pids/C01 the complete DEXPI PnID/C01V01-SAG.EX02.pdf")
FEATURES = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_bf16", "amx_int8")


def a1_sheet(path: Path, size: tuple[int, int]) -> np.ndarray:
    """``path`` at ``size`` (width, height): a PDF rendered at the resolution that fills the width, an image zoomed."""
    if is_pdf(path):
        points = read_page(document_pages(path, dpi=72)[0]).shape[1]  # at 72 dpi a pixel is a point
        image = read_page(document_pages(path, dpi=72 * size[0] / points)[0])
        return image if image.shape[1::-1] == size else cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return cv2.resize(read_image(path), size, interpolation=cv2.INTER_LINEAR)


def summary(runs: list[float], cpu: list[float], result: SegmentationResult) -> dict[str, object]:
    return {
        "seconds": [round(r, 2) for r in runs],
        "median_s": round(statistics.median(runs), 2),
        "cpu_seconds": [round(c, 2) for c in cpu],
        "median_cpu_s": round(statistics.median(cpu), 2),
        "tiles": result.tiles,
        "scale": result.scale,
        "symbols": len(result.symbols),
        "timings_s": {k: round(v, 2) for k, v in result.timings.items()},
    }


def speedups(times: dict[str, list[float]], cpu: dict[str, list[float]]) -> dict[str, float]:
    """auto against 1.0, wall and CPU time (nothing when either was not run)."""
    if not {"auto", "1.0"} <= times.keys():
        return {}
    return {
        "speedup_auto_vs_1": round(statistics.median(times["1.0"]) / statistics.median(times["auto"]), 2),
        "cpu_speedup_auto_vs_1": round(statistics.median(cpu["1.0"]) / statistics.median(cpu["auto"]), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", type=Path, default=SHEET)
    parser.add_argument("--size", default="9933x7016", help="WIDTHxHEIGHT in pixels (A1 at 300 dpi)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scales", default="auto,1.0", help="comma-separated: auto and/or zoom factors")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    sheet = a1_sheet(args.sheet, (width, height))
    load_before = [round(v, 2) for v in os.getloadavg()]
    segmenters = {
        name: Segmenter(args.model, device="cpu", threads=args.threads, scale=name if name == "auto" else float(name))
        for name in args.scales.split(",")
    }
    for segmenter in segmenters.values():
        segmenter.predict(sheet[:600, :600])  # warm-up: session start and first-run allocations
    times: dict[str, list[float]] = {name: [] for name in segmenters}
    cpu: dict[str, list[float]] = {name: [] for name in segmenters}
    last: dict[str, SegmentationResult] = {}
    for rep in range(args.reps):
        for name, segmenter in segmenters.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            last[name] = segmenter.predict(sheet)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            print(
                f"rep {rep + 1}/{args.reps} scale {name}: {times[name][-1]:.1f} s, {cpu[name][-1]:.1f} CPU s",
                file=sys.stderr,
            )
    machine = machine_info()
    rows = {name: summary(times[name], cpu[name], last[name]) for name in segmenters}
    result = {
        "schema": "schemseg.sheet-speed/1",
        "command": " ".join(["python", *sys.argv]),
        "sheet": {
            "source": str(args.sheet),
            "width": width,
            "height": height,
            "credit": "DEXPI TrainingTestCases, CC BY 4.0",
        },
        "model": args.model,
        "backend": next(iter(segmenters.values())).backend_name,
        "threads": args.threads,
        "reps": args.reps,
        "scales": rows,
        **speedups(times, cpu),
        "machine": machine,
        "cpu_features": sorted(set(FEATURES) & cpu_flags()),
        "load_average_before": load_before,
        "load_note": "shared machine (other engineers' jobs and a training run): compare the two scales of this "
        "run, measured alternately, not figures across runs. CPU seconds (all threads of this process) "
        "depend little on the load: on an idle machine the wall time is about CPU seconds / threads",
    }
    for segmenter in segmenters.values():
        segmenter.close()
    tag = "" if args.sheet == SHEET else f"-{args.sheet.stem}"
    out = args.out or Path(
        f"benchmarks/results/sheet-speed-{machine_slug(machine)}-{time.strftime('%Y-%m-%d')}{tag}.json"
    )
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    for name, row in rows.items():
        print(
            f"scale {name:5s} median {row['median_s']:7.1f} s, {row['median_cpu_s']:7.1f} CPU s, "
            f"tiles {row['tiles']}  {row['scale']}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
