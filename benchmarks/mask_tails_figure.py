"""Picture of a short signal line a model's masks swallow, traced with their tails kept and peeled.

Usage: python benchmarks/mask_tails_figure.py DATASET NAME SEGMENTATION X0 Y0 X1 Y1 --out docs/img/graph_mask_tails.png

``SEGMENTATION`` is the pickled result of sheet ``NAME`` that ``benchmarks/synth_graph_f1.py`` keeps
under its ``--work`` folder. The crop ``X0 Y0 X1 Y1`` (sheet pixels) is drawn four times, scaled up:
the drawing, the model's mask over it, and the nets traced from that mask with the tails left on
the symbols and given back to the line (:mod:`schemseg_sdk.graph.tails`), each net in its own colour.
"""

from __future__ import annotations

import argparse
import pickle
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.graph import graph_from_arrays
from schemseg_sdk.graph.overlay import draw_graph
from schemseg_sdk.palette import blend_mask
from schemseg_sdk.symbols import Symbol


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("name")
    parser.add_argument("segmentation", type=Path)
    parser.add_argument("box", type=int, nargs=4, metavar="X0 Y0 X1 Y1")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = SegmentationDataset(args.dataset)
    image, _ = data[[p.stem for p in data.image_paths].index(args.name)]
    result = pickle.loads(args.segmentation.read_bytes())
    x0, y0, x1, y1 = args.box
    crop, crop_mask = image[y0:y1, x0:x1], result.mask[y0:y1, x0:x1]
    symbols = [
        Symbol(s.class_id, s.class_name, (s.bbox[0] - x0, s.bbox[1] - y0, s.bbox[2] - x0, s.bbox[3] - y0), s.area, None)
        for s in result.symbols
        if s.bbox[0] >= x0 and s.bbox[1] >= y0 and s.bbox[2] <= x1 and s.bbox[3] <= y1  # wholly inside the crop
    ]
    width = float((result.grouping or {}).get("stroke_width") or 0) or None
    tiles = [crop, blend_mask(crop, crop_mask)]
    for peel in (False, True):
        graph = graph_from_arrays(crop, crop_mask, symbols, result.class_names, stroke_width=width, peel_tails=peel)
        tiles.append(draw_graph(crop, graph, port_names=False))
        reach = Counter(net for s in graph.symbols for net in {p.net for p in s.ports})
        print(f"peel_tails={peel}: {sum(n >= 2 for n in reach.values())} nets join two symbols or more")
    gap = np.full((crop.shape[0], 4, 3), 255, np.uint8)
    row = np.hstack([part for tile in tiles for part in (tile, gap)][:-1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.resize(row, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_NEAREST))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
