"""Pixel mIoU and symbol F1 with and without grouping, and what grouping costs, on one dataset.

One inference pass per sheet (the Segmenter with ``grouping=None``, confidence on); the raw result
is scored as it is (``raw``), after :func:`~schemseg_sdk.instances.group_symbols` with the model's
vote alone (``voted``) and with the symbol classifier the Segmenter uses by default (``grouped``,
exactly what a default Segmenter does after stitching; ``--classifier FILE`` measures a candidate model
with a classifier trained for another model's votes, recorded in the JSON's ``classifier``). ``--predictions DIR`` keeps the raw predictions
(``NAME.npz``: ``mask``, ``conf``) and reuses those already there, so scoring can be repeated
without inference. The cost of grouping (with the classifier) is timed in a separate pass over the first
``--timing-sheets`` sheets: inference, then grouping, each sheet afresh. Writes one JSON (see
``--json``) and prints a summary. Counts are checked (within 10% of the truth) for the classes whose
pixel IoU is >= 0.5 in the raw output (``count_check``, the figure the README has quoted since session
10) and, for the grouped outputs, in that output itself (``count_check_own_iou``): a class can pass
one bar and not the other.

    python benchmarks/measure_symbols.py --model sdk/schemseg_sdk/models/reference.onnx \\
        --data data/synth-val --json benchmarks/results/symbols-reference-synth-val.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from schemseg_sdk import Segmenter
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.instances import GroupingSettings, group_symbols
from schemseg_sdk.metrics import ConfusionMatrix
from schemseg_sdk.symbol_classifier import SymbolClassifier, open_classifier
from schemseg_sdk.symbol_metrics import SymbolMatcher
from schemseg_sdk.symbols import find_symbols
from schemseg_training.classifier_data import cached_prediction

COUNT_IOU = 0.5  # classes at or above this pixel IoU must be counted within COUNT_TOLERANCE
COUNT_TOLERANCE = 0.10


def measure(
    model: str,
    data: str,
    threads: int | None,
    limit: int | None,
    predictions: Path | None,
    timing_sheets: int,
    settings: GroupingSettings = GroupingSettings(),
    classifier_choice: str = "auto",
) -> dict[str, object]:
    dataset = SegmentationDataset(data)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    variants = ("raw", "voted", "grouped")
    pixels = {name: ConfusionMatrix() for name in variants}
    symbols = {name: SymbolMatcher() for name in variants}
    with Segmenter(model, device="cpu", threads=threads, grouping=None) as segmenter:
        classifier = _classifier(segmenter, threads, classifier_choice)
        names = segmenter.class_names
        for index in tqdm(range(count), desc=Path(data).name):
            image, target, truth = dataset.read_image(index), dataset.read_mask(index), dataset.read_boxes(index)
            path = None if predictions is None else predictions / f"{dataset.image_paths[index].stem}.npz"
            mask, confidence = cached_prediction(segmenter, image, path)
            voted = group_symbols(mask, confidence, image, names, settings)
            grouped = group_symbols(mask, confidence, image, names, settings, classifier)
            raw_symbols = find_symbols(mask, confidence, names)
            for name, labels, found in (
                ("raw", mask, raw_symbols),
                ("voted", voted.mask, voted.symbols),
                ("grouped", grouped.mask, grouped.symbols),
            ):
                pixels[name].update(labels, target)
                symbols[name].update([(s.class_id, s.bbox) for s in found], truth)
        timing = (
            _time_grouping(segmenter, classifier, dataset, min(timing_sheets, count), settings)
            if timing_sheets
            else None
        )
        classifier.close()
    report = {name: _scores(pixels[name], symbols[name]) for name in variants}
    report["raw"]["count_check"] = _count_check(report["raw"])  # type: ignore[index]
    for name in variants[1:]:
        report[name]["count_check"] = _count_check(report[name], report["raw"])  # type: ignore[index]
        # the same check over the classes whose IoU in this output (not the raw one) is >= COUNT_IOU
        report[name]["count_check_own_iou"] = _count_check(report[name])  # type: ignore[index]
    return {
        "model": model,
        "data": data,
        "sheets": count,
        "settings": settings.__dict__,
        "classifier": classifier.describe(),
        "date": date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {threads} threads",
        "load_average": list(os.getloadavg()),
        **report,
        "timing": timing,
    }


def _classifier(segmenter: Segmenter, threads: int | None, choice: str) -> SymbolClassifier:
    """The classifier a default Segmenter of this model uses (``"auto"``: the one beside the model or the
    bundled one, whichever was trained for it), or the classifier file ``choice``."""
    pick = open_classifier(choice, segmenter.info, threads, segmenter.model_path)
    if pick.classifier is None:
        raise SystemExit(f"{segmenter.model_path}: {pick.reason}")
    return pick.classifier


def _time_grouping(
    segmenter: Segmenter,
    classifier: SymbolClassifier,
    dataset: SegmentationDataset,
    count: int,
    settings: GroupingSettings,
) -> dict[str, object]:
    """Inference and grouping (with the classifier) time of each of the first ``count`` sheets, back to back."""
    inference, grouping, sizes = [], [], []
    for index in tqdm(range(count), desc="timing"):
        image = dataset.read_image(index)
        result = segmenter.predict(image)
        start = time.perf_counter()
        group_symbols(result.mask, result.confidence, image, segmenter.class_names, settings, classifier)
        grouping.append(time.perf_counter() - start)
        inference.append(result.timings["inference"])
        sizes.append(result.mask.size)
    return _timing(inference, grouping, sizes)


def _scores(matrix: ConfusionMatrix, matcher: SymbolMatcher) -> dict[str, object]:
    return {"pixels": matrix.scores().to_dict(), "symbols": matcher.scores().to_dict()}


def _count_check(report: dict[str, object], iou_from: dict[str, object] | None = None) -> dict[str, object]:
    """Predicted vs true counts of the classes whose pixel IoU (of the raw output) is >= COUNT_IOU."""
    iou = (iou_from or report)["pixels"]["per_class"]  # type: ignore[index]
    per_class = report["symbols"]["per_class"]  # type: ignore[index]
    rows = {}
    for name, value in iou.items():
        if name == "background" or value is None or value < COUNT_IOU or name not in per_class:
            continue
        row = per_class[name]
        rows[name] = {
            "iou": value,
            "true": row["true"],
            "predicted": row["predicted"],
            "count_error": row["count_error"],
            "within": abs(row["count_error"]) <= COUNT_TOLERANCE,
        }
    return {
        "iou_at_least": COUNT_IOU,
        "tolerance": COUNT_TOLERANCE,
        "classes": rows,
        "within": sum(r["within"] for r in rows.values()),
        "of": len(rows),
    }


def _timing(inference: list[float], grouping: list[float], sizes: list[int]) -> dict[str, object]:
    ratio = np.array(grouping) / np.maximum(np.array(inference), 1e-9)
    single = np.array(sizes) <= 608 * 608  # sheets that fit one model input (600x600)
    return {
        "sheets": len(inference),
        "inference_ms_mean": round(1000 * float(np.mean(inference)), 2),
        "grouping_ms_mean": round(1000 * float(np.mean(grouping)), 2),
        "grouping_ms_p90": round(1000 * float(np.percentile(grouping, 90)), 2),
        "grouping_over_inference_total": round(float(np.sum(grouping) / np.sum(inference)), 4),
        "grouping_over_inference_median": round(float(np.median(ratio)), 4),
        "grouping_over_inference_max": round(float(np.max(ratio)), 4),
        "single_tile_sheets": int(single.sum()),
        "grouping_over_inference_single_tile_median": round(float(np.median(ratio[single])), 4)
        if single.any()
        else None,
    }


def _settings(overrides: list[str], parser: argparse.ArgumentParser) -> GroupingSettings:
    values: dict[str, float] = {}
    for text in overrides:
        name, _, value = text.partition("=")
        if name not in GroupingSettings.__dataclass_fields__:
            parser.error(f"--set {text}: GroupingSettings has no field {name!r}")
        try:
            values[name] = float(value)
        except ValueError:
            parser.error(f"--set {text}: {value!r} is not a number")
    return GroupingSettings(**values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sdk/schemseg_sdk/models/reference.onnx")
    parser.add_argument("--data", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--predictions", type=Path, help="cache of raw predictions (NAME.npz), reused when present")
    parser.add_argument("--timing-sheets", type=int, default=20, help="sheets timed afresh (0: no timing)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a GroupingSettings field other than its default, e.g. merge_gap=6 (repeatable; "
        "for tuning, on a tuning set only)",
    )
    parser.add_argument(
        "--classifier",
        default="auto",
        help="'auto' (the default Segmenter's) or a classifier file: a candidate model can be "
        "measured with one trained for another model's votes before its own exists",
    )
    args = parser.parse_args()
    settings = _settings(args.overrides, parser)
    report = measure(
        args.model, args.data, args.threads, args.limit, args.predictions, args.timing_sheets, settings, args.classifier
    )
    atomic_write_text(args.json, json.dumps(report, indent=2) + "\n")
    for name in ("raw", "voted", "grouped"):
        part = report[name]
        check = part["count_check"]
        own = part.get("count_check_own_iou", check)
        print(
            f"{name:8s} mIoU {part['pixels']['mean_iou']:.4f}  symbol mean F1 {part['symbols']['mean_f1']:.4f}  "
            f"symbols {part['symbols']['predicted']} (true {part['symbols']['true']})  "
            f"counts within 10%: {check['within']} of {check['of']} classes with raw IoU >= 0.5, "
            f"{own['within']} of {own['of']} with their own IoU >= 0.5"
        )
    timing = report["timing"]
    if timing is not None:
        print(
            f"grouping {timing['grouping_ms_mean']} ms vs inference {timing['inference_ms_mean']} ms per sheet "
            f"(median ratio {timing['grouping_over_inference_median']:.1%})"
        )
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
