"""Picture of signal lines traced on a synthetic P&ID sheet from its true class mask and boxes.

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

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.graph import graph_from_arrays
from schemseg_sdk.graph.overlay import draw_graph
from schemseg_sdk.symbols import Symbol


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
    symbols = []
    for class_id, (bx0, by0, bx1, by1) in data.read_boxes(index).symbols:
        if bx0 >= x0 and by0 >= y0 and bx1 <= x1 and by1 <= y1:  # symbols wholly inside the crop
            box = (bx0 - x0, by0 - y0, bx1 - x0, by1 - y0)
            area = int(np.count_nonzero(crop_mask[box[1] : box[3], box[0] : box[2]] == class_id))
            symbols.append(Symbol(class_id, data.class_names[class_id], box, area, None))
    graph = graph_from_arrays(crop, crop_mask, symbols, class_names=data.class_names)
    drawing = crop if crop.ndim == 3 else cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    both = np.hstack([drawing, np.full((drawing.shape[0], 8, 3), 255, np.uint8), draw_graph(crop, graph)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.resize(both, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_NEAREST))
    dashed = sum(n.kind == "dashed" for n in graph.nets)
    print(f"wrote {args.out}: {len(graph.symbols)} symbols, {len(graph.nets)} nets ({dashed} dashed)")


if __name__ == "__main__":
    main()
