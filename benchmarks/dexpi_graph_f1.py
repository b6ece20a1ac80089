"""Graph edge precision/recall/F1 on real P&IDs (DEXPI examples imported with their true graphs).

Usage: python benchmarks/dexpi_graph_f1.py SET... [--model FILE] [--classifier auto|none|FILE]
           [--work /work/data/dexpigraph/segmented] [--threads 1] [--out benchmarks/results/dexpi_graph_f1.json]

Each ``SET`` is a dataset written by ``schemseg data import-dexpi`` (``graphs/`` included), or a
folder of hard links to some of its sheets (see docs/graph.md, "Real P&IDs: DEXPI"). Sheets are
segmented, kept and scored exactly as ``benchmarks/synth_graph_f1.py`` does (its functions are
used here): with the model pair given, and traced from the true class mask and boxes (the
tracer's own errors). The figures of each model pair go under ``pairs/MODEL+CLASSIFIER/SET`` in
``--out``; other pairs' figures in the file are kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from synth_graph_f1 import ModelPair, _classifier, score_set, segment_all, summarise

from schemseg_sdk.bench.machine import machine_info
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.fileio import atomic_write_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="datasets with graphs/ (import-dexpi)")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the bundled one)")
    parser.add_argument("--classifier", type=_classifier, default="auto", metavar="auto|none|FILE")
    parser.add_argument("--work", type=Path, default=Path("/work/data/dexpigraph/segmented"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/dexpi_graph_f1.json"))
    args = parser.parse_args()
    pair = ModelPair(args.model, args.classifier)
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    run: dict[str, object] = {
        "command": " ".join(["python", *sys.argv]),
        "machine": machine_info(),
        "model": "bundled" if pair.model is None else str(pair.model),
        "classifier": str(pair.classifier),
    }
    for root in args.sets:
        data = SegmentationDataset(root)
        work = args.work / pair.key / root.name
        seconds = segment_all(data, work, args.threads, pair)
        rows = score_set(data, work)
        run[root.name] = {
            "dataset": str(root),
            "sheets": [p.stem for p in data.image_paths],
            "segment_s_median": round(float(np.median(seconds)), 2) if seconds else None,
            "all": summarise(rows),
            "per_sheet": [
                {**r, "model": r["model"]["all"].to_dict(), "true_symbols": r["true_symbols"]["all"].to_dict()}  # type: ignore[index]
                for r in rows
            ],
        }
    report.setdefault("pairs", {})[pair.key] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    for root in args.sets:
        summary = run[root.name]["all"]  # type: ignore[index]
        print(root.name, json.dumps({k: summary[k] for k in ("model", "true_symbols", "model_symbols")}, indent=1))


if __name__ == "__main__":
    main()
