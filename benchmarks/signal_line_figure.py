"""Picture of lines traced on a P&ID sheet (synthetic, or a DEXPI import) from its true class mask and boxes.

Usage: python benchmarks/signal_line_figure.py DATASET NAME X0 Y0 X1 Y1 --out docs/img/graph_signal_lines.png

The crop ``X0 Y0 X1 Y1`` (sheet pixels) of sheet ``NAME`` is traced as ``schemseg eval-graph DATASET``
traces whole sheets (true symbols: the tracer's errors alone) and drawn with each net in its own
colour (:func:`schemseg_sdk.graph.overlay.draw_graph`), beside the drawing itself, scaled up so that
one-pixel dashes show.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk.boxes import SheetBoxes
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.graph.edge_score import true_symbol_graph
from schemseg_sdk.graph.overlay import draw_graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("name")
    parser.add_argument("box", type=int, nargs=4, metavar="X0 Y0 X1 Y1")
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = SegmentationDataset(args.dataset)
    index = [p.stem for p in data.image_paths].index(args.name)
    image, mask = data[index]
    x0, y0, x1, y1 = args.box
    crop, crop_mask = image[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    boxes = data.read_boxes(index)

    def inside(box: tuple[int, int, int, int]) -> bool:  # wholly inside the crop
        return box[0] >= x0 and box[1] >= y0 and box[2] <= x1 and box[3] <= y1

    def shift(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0

    cropped = SheetBoxes(
        tuple((c, shift(b)) for c, b in boxes.symbols if inside(b)), tuple(shift(b) for b in boxes.ignore if inside(b))
    )
    graph = true_symbol_graph(crop, crop_mask, cropped, data.class_names)
    drawing = crop if crop.ndim == 3 else cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    both = np.hstack([drawing, np.full((drawing.shape[0], 8, 3), 255, np.uint8), draw_graph(crop, graph)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.resize(both, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_NEAREST))
    dashed = sum(n.kind == "dashed" for n in graph.nets)
    print(f"wrote {args.out}: {len(graph.symbols)} symbols, {len(graph.nets)} nets ({dashed} dashed)")


if __name__ == "__main__":
    main()
