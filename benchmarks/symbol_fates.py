"""Where the true symbols of a dataset go in the grouped output: found, joined with a neighbour, named
another class, dropped, or never painted.

Each true box is compared with the boxes the default ``Segmenter`` lists (grouping with the bundled
classifier, or the vote with ``--classifier none``), from cached raw predictions
(``--predictions``, as ``measure_symbols.py`` keeps them). Fates, first that applies:

- ``found``: an output symbol of its class at box IoU >= 0.5 (what the scoring matches);
- ``other_class``: an output symbol of another class at box IoU >= 0.5;
- ``inside_same`` / ``inside_other``: at least 60% of the true box lies in a larger output symbol of
  its class (neighbours joined into one) or of another class;
- ``loose_box``: the best box IoU is 0.2-0.5 (found, but its box is off);
- ``dropped``: 30% or more of its true pixels were painted as some symbol, and no output symbol is there;
- ``not_painted``: under 30% painted.

For looking, on tuning sets: the measured sets are scored by ``measure_symbols.py``.

    python benchmarks/symbol_fates.py --data data/synth-tune4 \\
        --predictions data/predictions/reference-6e44253f827c-synth-tune4 --json benchmarks/results/symbol-fates-synth-tune4.json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from schemseg_sdk import Segmenter
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.instances import GroupingSettings, group_symbols
from schemseg_sdk.symbol_classifier import open_classifier
from schemseg_sdk.symbol_metrics import box_intersection, box_iou
from schemseg_training.classifier_data import cached_prediction

FATES = ("found", "other_class", "inside_same", "inside_other", "loose_box", "dropped", "not_painted")
MATCH, LOOSE, INSIDE, PAINTED = 0.5, 0.2, 0.6, 0.3


def fates_of_sheet(
    truth: list[tuple[int, tuple[int, int, int, int]]],
    target: np.ndarray,
    raw: np.ndarray,
    found: list[tuple[int, tuple[int, int, int, int]]],
) -> list[tuple[int, str, int]]:
    """``(true class, fate, other class or -1)`` of each true symbol of a sheet (see the module docstring).

    >>> target = np.zeros((20, 40), np.uint8); target[2:8, 2:8] = 1; target[2:8, 20:26] = 1
    >>> raw = target.copy()
    >>> [fate for _, fate, _ in fates_of_sheet([(1, (2, 2, 8, 8)), (1, (20, 2, 26, 8))], target, raw, [(1, (2, 2, 26, 8))])]
    ['inside_same', 'inside_same']
    """
    out = []
    true_boxes = np.array([box for _, box in truth], np.float64).reshape(-1, 4)
    boxes = np.array([box for _, box in found], np.float64).reshape(-1, 4)
    classes = np.array([class_id for class_id, _ in found], np.int64)
    iou = box_iou(true_boxes, boxes) if len(boxes) else np.zeros((len(truth), 0))
    inside = box_intersection(true_boxes[:, None], boxes[None]) if len(boxes) else np.zeros((len(truth), 0))
    areas = np.maximum((true_boxes[:, 2:] - true_boxes[:, :2]).prod(axis=1), 1.0)
    for index, (class_id, (x0, y0, x1, y1)) in enumerate(truth):
        row, same = iou[index], classes == class_id
        holders = np.flatnonzero((inside[index] >= INSIDE * areas[index]) & (row < MATCH))
        pixels = target[y0:y1, x0:x1] == class_id
        painted = float((raw[y0:y1, x0:x1][pixels] > 0).mean()) if pixels.any() else 0.0
        if (row[same] >= MATCH).any():
            out.append((class_id, "found", -1))
        elif len(row) and row.max() >= MATCH:
            out.append((class_id, "other_class", int(classes[row.argmax()])))
        elif holders.size:
            holder = holders[row[holders].argmax()]
            out.append((class_id, "inside_same" if same[holder] else "inside_other", int(classes[holder])))
        elif len(row) and row.max() >= LOOSE:
            out.append((class_id, "loose_box", int(classes[row.argmax()])))
        else:
            out.append((class_id, "dropped" if painted >= PAINTED else "not_painted", -1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="segmentation model [default: the bundled one]")
    parser.add_argument("--data", required=True)
    parser.add_argument("--predictions", type=Path, required=True, help="cache of raw predictions (NAME.npz)")
    parser.add_argument("--classifier", default="auto", help="'auto', 'none' (the vote) or a classifier file")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    dataset = SegmentationDataset(args.data)
    fates: dict[str, Counter[str]] = defaultdict(Counter)
    swaps: dict[str, Counter[str]] = defaultdict(Counter)
    with Segmenter(args.model, device="cpu", threads=args.threads, grouping=None) as segmenter:
        names = segmenter.class_names
        choice = None if args.classifier == "none" else args.classifier
        classifier = open_classifier(choice, segmenter.info, args.threads, segmenter.model_path).classifier
        for index in tqdm(range(len(dataset)), desc="fates"):
            image = dataset.read_image(index)
            mask, confidence = cached_prediction(
                segmenter, image, args.predictions / f"{dataset.image_paths[index].stem}.npz"
            )
            grouped = group_symbols(mask, confidence, image, names, GroupingSettings(), classifier)
            truth = list(dataset.read_boxes(index).symbols)
            found = [(s.class_id, s.bbox) for s in grouped.symbols]
            for class_id, fate, other in fates_of_sheet(truth, dataset.read_mask(index), mask, found):
                fates[names[class_id]][fate] += 1
                if other >= 0 and fate in ("other_class", "inside_other"):
                    swaps[fate][f"{names[class_id]} -> {names[other]}"] += 1
        if classifier is not None:
            classifier.close()
    total = Counter()
    for counts in fates.values():
        total.update(counts)
    report = {
        "model": str(segmenter.model_path),
        "data": args.data,
        "sheets": len(dataset),
        "classifier": args.classifier,
        "date": date.today().isoformat(),
        "total": {fate: total[fate] for fate in FATES},
        "by_class": {
            name: {fate: counts[fate] for fate in FATES if counts[fate]} for name, counts in sorted(fates.items())
        },
        "swaps": {fate: dict(counts.most_common()) for fate, counts in swaps.items()},
    }
    atomic_write_text(args.json, json.dumps(report, indent=1) + "\n")
    print(f"{sum(total.values())} true symbols: " + ", ".join(f"{fate} {total[fate]}" for fate in FATES))
    for fate in FATES[1:]:
        top = sorted(((counts[fate], name) for name, counts in fates.items() if counts[fate]), reverse=True)[:5]
        print(f"  {fate}: " + ", ".join(f"{name} {count}" for count, name in top))


if __name__ == "__main__":
    main()
