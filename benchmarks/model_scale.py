"""The model's own scale: stroke width and text height of the sheets it was trained on.

Usage: python benchmarks/model_scale.py [--synthetic 400] [--real /work/shared/data/ci2n-train] [--real-count 200]
                                        [--recovery 100] [--out benchmarks/results/model-scale.json]

Measures generator sheets (``render_sheet(seed)``, seeds 0..N-1, with artefacts, as trained) and
real training drawings with :func:`schemseg_sdk.sheet_scale.measure_scale`, and writes percentiles per
source and over both together. :data:`schemseg_sdk.sheet_scale.MODEL_SCALE` takes the band (1st-99th
percentile) from both together, since the model learnt from both, and the reference (median) from
the synthetic sheets: the generator is where the model learnt P&ID symbols, and P&IDs are the
sheets that get resampled (the real circuits lie inside the band). ``zoom_recovery`` says how well
the measures follow a known zoom (0.5, 2, 3) on other generator sheets, ``left_alone`` how many
other generator sheets and real evaluation sheets ``scale="auto"`` would resample (none, ideally).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.imageio import read_image
from schemseg_sdk.sheet_scale import ScaleMeasure, measure_scale

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def summarise(measures: list[ScaleMeasure]) -> dict[str, object]:
    """Percentiles of the stroke widths and text heights (sheets without text count only for strokes)."""
    strokes = [m.stroke_px for m in measures if m.stroke_px is not None]
    texts = [m.text_px for m in measures if m.text_px is not None]
    return {
        "sheets": len(measures),
        "with_text": len(texts),
        "stroke_px": {f"p{p}": round(float(np.percentile(strokes, p)), 3) for p in PERCENTILES},
        "text_px": {f"p{p}": round(float(np.percentile(texts, p)), 3) for p in PERCENTILES} if texts else None,
    }


def synthetic_measures(count: int) -> list[ScaleMeasure]:
    from schemseg_training.synth import GENERATOR_VERSION, render_sheet

    print(f"generator v{GENERATOR_VERSION}: {count} sheets", file=sys.stderr)
    return [measure_scale(render_sheet(seed).image) for seed in range(count)]


def recovery(count: int, zooms: tuple[float, ...] = (0.5, 2.0, 3.0)) -> dict[str, object]:
    """How well a known zoom is recovered: measured/original stroke and text over seeds ``1000..``, per zoom.

    Seeds the band was not measured on; sheets resized as a scanner would (area down, bilinear up).
    """
    import cv2

    from schemseg_training.synth import render_sheet

    errors: dict[str, dict[str, list[float]]] = {f"{z:g}": {"stroke": [], "text": []} for z in zooms}
    for seed in range(1000, 1000 + count):
        sheet = render_sheet(seed).image
        base = measure_scale(sheet)
        for zoom in zooms:
            interpolation = cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR
            measured = measure_scale(cv2.resize(sheet, None, fx=zoom, fy=zoom, interpolation=interpolation))
            for key, old, new in (
                ("stroke", base.stroke_px, measured.stroke_px),
                ("text", base.text_px, measured.text_px),
            ):
                if old and new:
                    errors[f"{zoom:g}"][key].append(abs(new / old / zoom - 1))
    return {
        zoom: {
            key: {
                "sheets": len(v),
                "median_error": round(float(np.median(v)), 3),
                "p90_error": round(float(np.percentile(v, 90)), 3),
                "within_15pct": round(float(np.mean(np.array(v) <= 0.15)), 3),
            }
            if v
            else None
            for key, v in by.items()
        }
        for zoom, by in errors.items()
    }


def left_alone(images: Iterator[tuple[str, np.ndarray]]) -> dict[str, object]:
    """How many of ``images`` ``scale="auto"`` would resample (it should leave training-like sheets alone)."""
    from schemseg_sdk.sheet_scale import resolve_scale

    moved = {name: resolve_scale(image, "auto").zoom for name, image in images}
    return {"sheets": len(moved), "resampled": {name: zoom for name, zoom in moved.items() if zoom != 1.0}}


def real_measures(folder: Path, count: int) -> list[ScaleMeasure]:
    paths = _images(folder)[:count]
    print(f"{folder}: {len(paths)} sheets", file=sys.stderr)
    return [measure_scale(read_image(p)) for p in paths]


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=400)
    parser.add_argument("--real", type=Path, default=Path("/work/shared/data/ci2n-train"))
    parser.add_argument("--real-count", type=int, default=200)
    parser.add_argument("--recovery", type=int, default=100, help="Sheets (seeds 1000..) to check zoom recovery on.")
    parser.add_argument(
        "--left-alone",
        type=Path,
        default=Path("/work/shared/data/ci2n-dev"),
        help="Real sheets (besides generator seeds 1000-1199) that auto should read as they are.",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/model-scale.json"))
    args = parser.parse_args()
    from schemseg_training.synth import render_sheet

    start = time.perf_counter()
    synthetic = synthetic_measures(args.synthetic)
    real = real_measures(args.real, args.real_count) if args.real.is_dir() else []
    both, generated = summarise(synthetic + real), summarise(synthetic)
    stroke, text = both["stroke_px"], both["text_px"]
    ref_stroke, ref_text = generated["stroke_px"], generated["text_px"]
    assert isinstance(stroke, dict) and isinstance(text, dict)
    assert isinstance(ref_stroke, dict) and isinstance(ref_text, dict)
    recovered = recovery(args.recovery) if args.recovery else None
    alone = {
        "generator_seeds_1000_1199": left_alone((str(seed), render_sheet(seed).image) for seed in range(1000, 1200)),
        str(args.left_alone): left_alone((p.name, read_image(p)) for p in _images(args.left_alone))
        if args.left_alone.is_dir()
        else None,
    }
    result = {
        "schema": "schemseg.model-scale/1",
        "command": " ".join(["python", *sys.argv]),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - start, 1),
        "model_scale": {
            "stroke_band": [stroke["p1"], stroke["p99"]],
            "stroke_ref": ref_stroke["p50"],
            "text_band": [text["p1"], text["p99"]],
            "text_ref": ref_text["p50"],
        },
        "both": both,
        "synthetic": generated,
        "real": summarise(real) if real else None,
        "real_folder": str(args.real),
        "zoom_recovery": recovered,
        "left_alone": alone,
    }
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["model_scale"]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
