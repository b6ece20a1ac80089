"""Text grouping settings on whole P&ID sheets read at several zooms, exactly as the Segmenter groups them.

Usage: python benchmarks/text_grouping.py --data DATASET --predictions DIR [--zooms 0.8,1.0,1.25]
                                          [--limit N] [--set text_gap=0.8,text_cover=0.7 ...] [--out FILE.json]

Each sheet of a tuning set with true boxes is resized by each zoom with the SDK's own resampling (a
scan at another resolution), then read as the default Segmenter reads it: ``scale="auto"`` picks the
model's zoom, the model runs once (predictions kept in ``--predictions`` as ``NAME-preZOOM.npz`` and
reused) and the prediction is grouped at the model's scale with the symbol classifier, once per
``--set`` (one comma-separated list of ``GroupingSettings`` fields each; ``stroke`` is the grouping
without text heights: text joins at ``merge_gap`` stroke widths as every class). Symbols are scored
against the true boxes (IoU >= 0.5) in the zoomed sheet's pixels. Reported per setting: mean symbol F1,
designation F1 and count error, and the spread over the zooms of each sheet's counts. Writes
``benchmarks/results/text-grouping-<data>.json``. Tuning sets only: never the evaluation sets.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

from schemseg_sdk import Segmenter
from schemseg_sdk.boxes import SheetBoxes
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.instances import TEXT_CLASS, GroupingSettings, group_symbols
from schemseg_sdk.sheet_scale import resample, resolve_scale, symbols_to_sheet
from schemseg_sdk.symbol_classifier import SymbolClassifier
from schemseg_sdk.symbol_metrics import SymbolMatcher

NO_TEXT_NAMES = [name if name != TEXT_CLASS else f"{name} (as any class)" for name in CLASS_NAMES]


def predict(segmenter: Segmenter, sheet: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The model-scale image, mask and confidence of ``sheet`` at ``scale="auto"`` (cached in ``path``), and the zoom."""
    scale = resolve_scale(sheet, "auto")
    image = resample(sheet, scale.zoom)
    if path.is_file():
        with np.load(path) as saved:
            return image, saved["mask"], saved["conf"].astype(np.float32), scale.zoom
    result = segmenter.predict(image)
    assert result.confidence is not None
    np.savez_compressed(path, mask=result.mask, conf=result.confidence.astype(np.float16), zoom=scale.zoom)
    return image, result.mask, result.confidence.astype(np.float32), scale.zoom


def scaled(truth: SheetBoxes, zoom: float) -> SheetBoxes:
    def box(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (round(b[0] * zoom), round(b[1] * zoom), round(b[2] * zoom), round(b[3] * zoom))

    return SheetBoxes(tuple((c, box(b)) for c, b in truth.symbols), tuple(box(b) for b in truth.ignore))


def parse_setting(text: str) -> tuple[str, GroupingSettings | None]:
    """``stroke`` (no text heights) or ``field=value,...`` of ``GroupingSettings``."""
    if text == "stroke":
        return text, None
    values = {name: float(value) for name, value in (pair.split("=") for pair in text.split(","))}
    return text, GroupingSettings(**values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--predictions", required=True, type=Path)
    parser.add_argument("--zooms", default="0.8,1.0,1.25")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--set", action="append", default=[], help="'stroke' or field=value,...; repeatable")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings = [parse_setting(text) for text in (args.set or ["stroke", f"text_gap={GroupingSettings().text_gap}"])]
    zooms = [float(z) for z in args.zooms.split(",")]
    dataset = SegmentationDataset(args.data)
    count = len(dataset) if args.limit is None else min(args.limit, len(dataset))
    args.predictions.mkdir(parents=True, exist_ok=True)
    matchers = {name: SymbolMatcher() for name, _ in settings}
    counts: dict[str, dict[str, list[int]]] = {name: {} for name, _ in settings}
    start = time.perf_counter()
    with Segmenter(device="cpu", threads=args.threads, grouping=None, scale=1.0) as segmenter:
        classifier = SymbolClassifier(threads=1)
        for index in range(count):
            stem, sheet, truth = dataset.image_paths[index].stem, dataset.read_image(index), dataset.read_boxes(index)
            for zoom in zooms:
                base = resample(sheet, zoom)
                path = args.predictions / f"{args.data.name}-{stem}-pre{zoom:g}.npz"
                image, mask, confidence, model_zoom = predict(segmenter, base, path)
                for name, setting in settings:
                    names = NO_TEXT_NAMES if setting is None else CLASS_NAMES
                    grouped = group_symbols(mask, confidence, image, names, setting or GroupingSettings(), classifier)
                    found = symbols_to_sheet(grouped.symbols, model_zoom, *base.shape[:2])
                    matchers[name].update([(s.class_id, s.bbox) for s in found], scaled(truth, zoom))
                    per_class = Counter(s.class_id == CLASS_NAMES.index(TEXT_CLASS) for s in found)
                    counts[name].setdefault(stem, []).extend([per_class[True], per_class[False]])
            print(f"{stem}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    rows = {name: summary(matchers[name], counts[name]) for name, _ in settings}
    result = {
        "schema": "schemseg.text-grouping/1",
        "command": " ".join(["python", *sys.argv]),
        "data": str(args.data),
        "sheets": count,
        "zooms": zooms,
        "settings": {name: None if s is None else asdict(s) for name, s in settings},
        "results": rows,
        "date": time.strftime("%Y-%m-%d"),
    }
    out = args.out or Path(f"benchmarks/results/text-grouping-{args.data.name}.json")
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    for name, row in rows.items():
        print(f"{name}: {row}")


def summary(matcher: SymbolMatcher, counts: dict[str, list[int]]) -> dict[str, object]:
    """Mean F1, designation F1 and count error, and the mean spread over zooms of the per-sheet counts."""
    scores = matcher.scores()
    text = scores.by_name()[TEXT_CLASS]

    def spread(values: list[int]) -> float:
        return (max(values) - min(values)) / max(values) if max(values) else 0.0

    return {
        "mean_f1": round(scores.mean_f1, 4),
        "designation_f1": round(text.f1, 4),
        "designation_count_error": round(text.count_error, 4),
        "designation_true": text.true_count,
        "designation_predicted": text.predicted,
        "count_spread_text": round(float(np.mean([spread(v[0::2]) for v in counts.values()])), 4),
        "count_spread_not_text": round(float(np.mean([spread(v[1::2]) for v in counts.values()])), 4),
    }


if __name__ == "__main__":
    main()
