"""Netlists of the 122 CI2N validation drawings through the bundled model, scored as the CI2N scorer does.

Usage: python benchmarks/ci2n_netlist.py [--data /work/shared/data/ci2n-netlist] [--work /work/data/graph/ci2n]
           [--timeout 10] [--out benchmarks/results/ci2n_netlist.json] [--pictures docs/img]

Each drawing is segmented with the bundled model and default settings (grouping and its symbol
classifier), kept as a pickled SegmentationResult under ``--work/results`` (a rerun reuses them:
segmenting all 122 takes 10-40 minutes on a shared 2-core machine), its graph built and its
netlist written to ``--work/pred/NNN.json``; then every golden file is scored (GED with
``--timeout`` seconds of search per sheet, see ``schemseg eval-netlist``), on all 122 drawings and
on the 109 that are not byte-identical to training drawings (ids from the data set's SOURCE.md).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

from schemseg_sdk import Segmenter
from schemseg_sdk.bench.machine import machine_info
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.graph import build_graph, score_dirs

IN_TRAINING = {"043", "039", "012", "041", "028", "016", "014", "036", "019", "029", "011", "018", "007"}
"""Validation drawings byte-identical to ci2n-train drawings (SOURCE.md of ci2n-netlist)."""


def segment_all(images: list[Path], results: Path) -> float:
    """Segment the drawings not segmented yet; seconds spent."""
    results.mkdir(parents=True, exist_ok=True)
    todo = [p for p in images if not (results / f"{p.stem}.pkl").exists()]
    start = time.perf_counter()
    if todo:
        with Segmenter() as segmenter:
            for i, path in enumerate(todo):
                result = segmenter.predict(path, with_confidence=False)
                (results / f"{path.stem}.pkl").write_bytes(pickle.dumps(result))
                print(f"segmented {i + 1}/{len(todo)} {path.name}", file=sys.stderr, flush=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/ci2n-netlist"))
    parser.add_argument("--work", type=Path, default=Path("/work/data/graph/ci2n"))
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ci2n_netlist.json"))
    args = parser.parse_args()
    images = sorted((args.data / "images").glob("*.png"))
    segment_s = segment_all(images, args.work / "results")
    pred = args.work / "pred"
    pred.mkdir(parents=True, exist_ok=True)
    graph_s = []
    for path in images:
        result = pickle.loads((args.work / "results" / f"{path.stem}.pkl").read_bytes())
        start = time.perf_counter()
        graph = build_graph(result)
        graph_s.append(time.perf_counter() - start)
        graph.save_netlist(pred / f"{path.stem}.json")
    scores = score_dirs(
        pred,
        args.data / "golden",
        timeout=args.timeout,
        progress=lambda s: print(
            f"{s.name} GED {'~' if s.timed_out else ''}{s.ged} NED {s.ned:.3f}", file=sys.stderr, flush=True
        ),
    )
    unseen = scores.subset([s.name for s in scores.sheets if s.name not in IN_TRAINING])
    summary = {
        name: {k: v for k, v in part.to_dict().items() if k != "per_sheet"}
        for name, part in (("all", scores), ("not_in_training", unseen))
    }
    result = {
        "command": " ".join(sys.argv),
        "timeout_s": args.timeout,
        "segment_seconds_this_run": round(segment_s, 1),
        "graph_seconds_median": round(sorted(graph_s)[len(graph_s) // 2], 3),
        **summary,
        "per_sheet": scores.to_dict()["per_sheet"],
        "machine": machine_info(),
    }
    for name, part in summary.items():
        print(
            f"{name}: exact {part['exact']}/{part['sheets']}, mean NED {part['mean_ned']:.4f}, "
            f"timed out {part['timed_out']}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
