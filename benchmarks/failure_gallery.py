"""Pictures of the bundled model's commonest failures, for the model card.

    python benchmarks/failure_gallery.py [--seeds 300-339] [--per-kind 3] [--out docs/img/failure_modes.png]

Renders synthetic sheets (``render_sheet(seed)``, seeds outside the training and validation sets),
runs the default ``Segmenter`` (grouping with the symbol classifier) and compares its symbols with the
drawn ones, the model card's way: a true symbol is *found* when a predicted symbol of its class
covers it at box IoU >= 0.5. Every other true symbol is one of three failures:

- *wrong class*: a predicted symbol of another class covers it (PNP named NPN, PMOS named NMOS);
- *joined*: it lies inside a larger predicted symbol of its class (two neighbours counted as one);
- *missed*: nothing covers it (a junction dot, a small hop, a symbol dropped as "no symbol").

Writes one row per kind: the drawing around the true symbol (green box, its class) beside the
overlay of the prediction (red boxes, predicted classes), and prints the counts per kind and class.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk import Segmenter
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.symbol_metrics import box_iou
from schemseg_training.synth import render_sheet

KINDS = ("wrong class", "joined", "missed")
TILE = 220


def _fate(true_class: int, box: np.ndarray, predicted: list[tuple[int, tuple[int, int, int, int]]]) -> str | None:
    if not predicted:
        return "missed"
    boxes = np.array([b for _, b in predicted], np.float64)
    iou = box_iou(box[None].astype(np.float64), boxes)[0]
    best = int(iou.argmax())
    if iou[best] >= 0.5:
        return None if predicted[best][0] == true_class else "wrong class"
    x0, y0, x1, y1 = box
    inside = [(c, b) for c, b in predicted if b[0] <= x0 and b[1] <= y0 and b[2] >= x1 and b[3] >= y1]
    if any(c == true_class for c, _ in inside):
        return "joined"
    return "missed" if iou[best] < 0.2 else None  # a loose box (0.2-0.5) is found, drawn loosely


def _crop(image: np.ndarray, box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    half = max(box[2] - box[0], box[3] - box[1], 40)
    y0, x0 = max(cy - half, 0), max(cx - half, 0)
    return slice(y0, min(cy + half, image.shape[0])), slice(x0, min(cx + half, image.shape[1]))


def _panel(
    image: np.ndarray,
    rows: slice,
    cols: slice,
    boxes: list[tuple[str, tuple[int, int, int, int]]],
    color: tuple[int, int, int],
) -> np.ndarray:
    picture = image.copy()
    for name, (x0, y0, x1, y1) in boxes:
        cv2.rectangle(picture, (x0, y0), (x1 - 1, y1 - 1), color, 1)
        cv2.putText(picture, name, (x0, max(y0 - 3, 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, color, 1, cv2.LINE_AA)
    crop = picture[rows, cols]
    scale = TILE / max(crop.shape[:2])
    return cv2.resize(crop, (round(crop.shape[1] * scale), round(crop.shape[0] * scale)), interpolation=cv2.INTER_AREA)


def _pad(picture: np.ndarray, label: str) -> np.ndarray:
    canvas = np.full((TILE + 18, TILE, 3), 255, np.uint8)
    canvas[18 : 18 + picture.shape[0], : picture.shape[1]] = picture
    cv2.putText(canvas, label, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="300-339", help="FIRST-LAST seeds of render_sheet")
    parser.add_argument("--per-kind", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("docs/img/failure_modes.png"))
    args = parser.parse_args()
    first, last = (int(s) for s in args.seeds.split("-"))
    examples: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
    counts: Counter[str] = Counter()
    true_total = 0
    with Segmenter() as seg:
        for seed in range(first, last + 1):
            sheet = render_sheet(seed)
            result = seg.predict(sheet.image)
            predicted = [(s.class_id, s.bbox) for s in result.symbols]
            overlay = result.overlay()
            for true_class, box in sheet.instances:
                true_total += 1
                kind = _fate(true_class, np.array(box), predicted)
                if kind is None:
                    continue
                counts[f"{kind}: {CLASS_NAMES[true_class]}"] += 1
                counts[kind] += 1
                # pictures of symbols, not of text: a missed label letter says little
                if len(examples[kind]) < 2 * args.per_kind and CLASS_NAMES[true_class] != "designation":
                    rows, cols = _crop(sheet.image, box)
                    near = [
                        (CLASS_NAMES[c], b)
                        for c, b in predicted
                        if b[2] > cols.start and b[0] < cols.stop and b[3] > rows.start and b[1] < rows.stop
                    ]
                    left = _panel(sheet.image, rows, cols, [(CLASS_NAMES[true_class], box)], (0, 160, 0))
                    right = _panel(overlay, rows, cols, near, (0, 0, 220))
                    examples[kind] += [
                        _pad(left, f"{kind}: drawn {CLASS_NAMES[true_class]}"),
                        _pad(right, f"seed {seed}: predicted"),
                    ]
    rows_out = [
        np.hstack(pictures + [np.full_like(pictures[0], 255)] * (2 * args.per_kind - len(pictures)))
        for pictures in examples.values()
        if pictures
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), np.vstack(rows_out))
    print(f"{true_total} true symbols on seeds {first}-{last}; wrote {args.out}")
    for name, count in counts.most_common():
        print(f"  {name}: {count}")


if __name__ == "__main__":
    main()
