"""Peak memory and time of building the graph of a 10000 x 7000 sheet, beside what its segmentation holds.

Usage: python benchmarks/graph_memory.py [--width 10000] [--height 7000] [--out benchmarks/results/graph_memory.json]

The sheet is drawn in code: a grid of wires (every crossing without a dot, every tenth with one),
and a resistor on every other wire stretch, with the class mask a perfect model would give. The
segmentation of such a sheet holds the BGR drawing, the uint8 class mask and the float16
confidence (a tiled sheet's); ``segmentation_bytes`` is their size. The graph is built in a fresh
process and its peak resident memory above the arrays already there is ``graph_peak_extra_bytes``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np


def draw_sheet(width: int, height: int) -> tuple[np.ndarray, np.ndarray, list]:
    from schemseg_sdk.classes import class_index
    from schemseg_sdk.symbols import Symbol

    image = np.full((height, width, 3), 255, np.uint8)
    mask = np.zeros((height, width), np.uint8)
    for y in range(100, height - 50, 200):
        cv2.line(image, (50, y), (width - 50, y), (0, 0, 0), 3)
    for x in range(100, width - 50, 300):
        cv2.line(image, (x, 50), (x, height - 50), (0, 0, 0), 3)
    for i, y in enumerate(range(100, height - 50, 200)):
        for x in range(100 + 300 * (i % 10), width - 50, 3000):
            cv2.circle(image, (x, y), 8, (0, 0, 0), -1)
            mask[y - 9 : y + 10, x - 9 : x + 10][image[y - 9 : y + 10, x - 9 : x + 10, 0] < 128] = class_index(
                "junction"
            )
    symbols = []
    resistor = class_index("resistor")
    for y in range(100, height - 50, 400):
        for x in range(220, width - 150, 600):
            cv2.rectangle(image, (x, y - 15), (x + 60, y + 15), (255, 255, 255), -1)
            cv2.rectangle(image, (x + 1, y - 14), (x + 59, y + 14), (0, 0, 0), 3)
            box = mask[y - 15 : y + 16, x : x + 61]
            box[image[y - 15 : y + 16, x : x + 61, 0] < 128] = resistor
            symbols.append(Symbol(resistor, "resistor", (x, y - 15, x + 61, y + 16), int((box == resistor).sum()), 1.0))
    return image, mask, symbols


def _child(width: int, height: int) -> None:
    from schemseg_sdk.graph import graph_from_arrays

    image, mask, symbols = draw_sheet(width, height)
    confidence = np.ones(mask.shape, np.float16)  # what a tiled segmentation keeps beside the mask
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    graph = graph_from_arrays(image, mask, symbols, stroke_width=3.0)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "segmentation_bytes": int(image.nbytes + mask.nbytes + confidence.nbytes),
                "rss_before_graph_bytes": before,
                "peak_rss_bytes": peak,
                "graph_peak_extra_bytes": peak - before,
                "graph_seconds": round(seconds, 2),
                "symbols": len(graph.symbols),
                "nets": len(graph.nets),
                "ports": sum(len(s.ports) for s in graph.symbols),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=10000)
    parser.add_argument("--height", type=int, default=7000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/graph_memory.json"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.width, args.height)
        return
    from schemseg_sdk.bench.machine import machine_info
    from schemseg_sdk.fileio import atomic_write_text

    done = subprocess.run(
        [sys.executable, __file__, "--child", "--width", str(args.width), "--height", str(args.height)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = {
        "command": " ".join(sys.argv),
        "width": args.width,
        "height": args.height,
        **json.loads(done.stdout.strip().splitlines()[-1]),
        "machine": machine_info(),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
