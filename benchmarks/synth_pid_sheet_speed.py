"""Seconds to render one whole synthetic P&ID sheet, per paper size, at the model scale (zoom 1)
and at 300 dpi, with and without artefacts; and the sheets' sizes and symbol counts.

    PYTHONPATH=sdk:training python benchmarks/synth_pid_sheet_speed.py --sheets 5

Writes ``benchmarks/results/synth-pid-sheet-speed-<machine>-<date>.json`` (medians, min and max
over the sheets, one process, the machine named).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
from pathlib import Path

from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.classes import class_index
from schemseg_sdk.fileio import atomic_write_text
from schemseg_training.synth import GENERATOR_VERSION, PidSheetOptions, render_pid_sheet

DESIGNATION = class_index("designation")


def measure(paper: str, sheets: int, zoom: float | None, dpi: float | None, artefacts: bool) -> dict[str, object]:
    """Render ``sheets`` sheets (seeds 0..) and summarise their time, size and symbol counts."""
    seconds, widths, heights, symbols, texts = [], [], [], [], []
    for seed in range(sheets):
        start = time.perf_counter()
        sheet = render_pid_sheet(seed, PidSheetOptions(paper=paper, zoom=zoom or 1.0, dpi=dpi, artefacts=artefacts))
        seconds.append(time.perf_counter() - start)
        heights.append(sheet.mask.shape[0])
        widths.append(sheet.mask.shape[1])
        symbols.append(sum(1 for c, _ in sheet.instances if c != DESIGNATION))
        texts.append(sum(1 for c, _ in sheet.instances if c == DESIGNATION))
    return {
        "paper": paper,
        "zoom": zoom,
        "dpi": dpi,
        "artefacts": artefacts,
        "sheets": sheets,
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_min": round(min(seconds), 3),
        "seconds_max": round(max(seconds), 3),
        "width_px_median": int(statistics.median(widths)),
        "height_px_median": int(statistics.median(heights)),
        "symbols_median": statistics.median(symbols),
        "designations_median": statistics.median(texts),
    }


def markdown_table(result: dict[str, object]) -> str:
    """The rows as the Markdown table of docs/synthetic.md."""
    lines = [
        "| Paper | Scale | Artefacts | Sheet (px) | Symbols | Designations | Seconds (median, min-max) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:  # type: ignore[attr-defined]
        scale = f"{row['dpi']:.0f} dpi" if row["dpi"] else f"zoom {row['zoom']:g}"
        lines.append(
            f"| {row['paper']} | {scale} | {'yes' if row['artefacts'] else 'no'} | "
            f"{row['width_px_median']}x{row['height_px_median']} | {row['symbols_median']:g} | "
            f"{row['designations_median']:g} | {row['seconds_median']:.2f} "
            f"({row['seconds_min']:.2f}-{row['seconds_max']:.2f}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sheets", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rows = [measure(p, args.sheets, 1.0, None, True) for p in ("A3", "A2", "A1", "A0")]
    rows.append(measure("A1", args.sheets, 1.0, None, False))
    rows.append(measure("A1", max(1, args.sheets // 2), None, 300.0, True))
    info = machine_info()
    result: dict[str, object] = {
        "benchmark": "synth-pid-sheet-speed",
        "generator_version": GENERATOR_VERSION,
        "date": datetime.date.today().isoformat(),
        "machine": info,
        "command": f"PYTHONPATH=sdk:training python benchmarks/synth_pid_sheet_speed.py --sheets {args.sheets}",
        "rows": rows,
    }
    path = args.out / f"synth-pid-sheet-speed-{machine_slug(info)}-{result['date']}.json"
    atomic_write_text(path, json.dumps(result, indent=2) + "\n")
    print(markdown_table(result))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
