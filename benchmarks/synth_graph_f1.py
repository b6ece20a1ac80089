"""Graph edge precision/recall/F1 on synthetic validation sheets, with the bundled model and with true symbols.

Usage: python benchmarks/synth_graph_f1.py [--mixed /work/data/graphtruth/val-mixed] [--pid /work/data/graphtruth/val-pid]
           [--sets mixed pid] [--model FILE] [--classifier auto|none|FILE]
           [--work /work/data/graphtruth/segmented] [--threads 2] [--out benchmarks/results/synth_graph_f1.json]
           [--true-symbols-only]

The data sets are made with seeds no training run uses::

    schemseg synth --out /work/data/graphtruth/val-mixed --count 100 --seed 7
    schemseg synth --out /work/data/graphtruth/val-pid --kind pid-sheet --count 20 --seed 8

Each sheet is segmented once with the bundled model (or ``--model`` and ``--classifier``, read as
``schemseg segment`` reads them) and default settings, kept without its drawing under
``--work/MODEL+CLASSIFIER/DATASET`` (``bundled+auto`` for the bundled pair), so a rerun with the same
pair only traces and scores: segmenting the 20 whole P&ID sheets takes some 15 minutes on a shared
2-core machine. Its graph is built and scored against
``graphs/NAME.json`` (:func:`schemseg_sdk.graph.score_edges`). The same sheets are traced again
from their true class mask and boxes (``schemseg eval-graph DATASET`` does this): that score is the
tracer's own. The 600 px sheets of ``--mixed`` are split into circuits (no P&ID symbol among the
true boxes), P&ID fragments (no circuit symbol) and mixed sheets.

``--true-symbols-only`` traces and scores the true-symbol graphs alone (no model, a minute or two)
and replaces only their figures in ``--out``: the model's figures and their run stay as they were,
and the run that made the true-symbol figures is recorded under ``true_symbols_run``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import click
import numpy as np

from schemseg_sdk import Segmenter
from schemseg_sdk.bench.machine import machine_info
from schemseg_sdk.classes import PID_SYMBOL_CLASSES
from schemseg_sdk.cli.segment import classifier_option
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.graph import EdgeGraph, build_graph, edge_graph, read_true_graph, score_edges
from schemseg_sdk.graph.edge_score import EDGE_KINDS, EdgeCounts, match_symbols, true_symbol_graph

_NOT_CIRCUIT = set(PID_SYMBOL_CLASSES)
_SHARED = {"terminal", "designation", "junction", "crossover"}


@dataclass(frozen=True)
class ModelPair:
    """The segmentation model (``None``: the bundled one) and the classifier choice of ``schemseg segment``."""

    model: Path | None = None
    classifier: str | Path | None = "auto"

    @property
    def key(self) -> str:
        """The cache folder's name: ``MODEL+CLASSIFIER`` by file stem (``bundled+auto`` for the bundled pair)."""
        model = "bundled" if self.model is None else self.model.stem
        classifier = "none" if self.classifier is None else Path(self.classifier).stem
        return f"{model}+{classifier}"


def segment_all(data: SegmentationDataset, work: Path, threads: int, pair: ModelPair) -> list[float]:
    """Segment the sheets not segmented yet (results kept without their drawing); seconds per sheet."""
    work.mkdir(parents=True, exist_ok=True)
    todo = [p for p in data.image_paths if not (work / f"{p.stem}.pkl").exists()]
    times = work / "segment_seconds.json"
    seconds: dict[str, float] = json.loads(times.read_text()) if times.exists() else {}
    if todo:
        with Segmenter(pair.model, threads=threads, classifier=pair.classifier) as segmenter:
            for i, path in enumerate(todo):
                start = time.perf_counter()
                result = segmenter.predict(path, with_confidence=False)
                seconds[path.stem] = round(time.perf_counter() - start, 2)
                light = replace(result, image=np.zeros((0, 0, 3), np.uint8))
                (work / f"{path.stem}.pkl").write_bytes(pickle.dumps(light))
                atomic_write_text(times, json.dumps(seconds) + "\n")
                print(
                    f"segmented {i + 1}/{len(todo)} {path.name} {seconds[path.stem]:.1f} s", file=sys.stderr, flush=True
                )
    return list(seconds.values())


def sheet_kind(class_names: list[str]) -> str:
    """``circuit``, ``pid`` (a P&ID fragment) or ``mixed``, from the classes of a sheet's true symbols."""
    pid = any(c in _NOT_CIRCUIT for c in class_names)
    circuit = any(c not in _NOT_CIRCUIT and c not in _SHARED for c in class_names)
    return "mixed" if pid and circuit else ("pid" if pid else "circuit")


def score_true_symbols(data: SegmentationDataset) -> list[dict[str, object]]:
    """Per sheet: its kind and the edge counts of the graph traced from its true mask and boxes."""
    rows = []
    for index, path in enumerate(data.image_paths):
        truth = read_true_graph(data.root / "graphs" / f"{path.stem}.json")
        image, mask = data[index]
        tracer_graph = edge_graph(true_symbol_graph(image, mask, data.read_boxes(index), data.class_names))
        kind = sheet_kind([c for c, _ in truth.symbols])
        rows.append({"name": path.stem, "kind": kind, "true_symbols": score_edges(tracer_graph, truth)})
        print(f"traced {path.stem}", file=sys.stderr, flush=True)
    return rows


def score_set(data: SegmentationDataset, work: Path) -> list[dict[str, object]]:
    """Per sheet: its kind and the edge counts of the model's graph and of the true-symbol graph."""
    rows = []
    for index, path in enumerate(data.image_paths):
        truth = read_true_graph(data.root / "graphs" / f"{path.stem}.json")
        image, mask = data[index]
        result = pickle.loads((work / f"{path.stem}.pkl").read_bytes())
        start = time.perf_counter()
        model_graph = edge_graph(build_graph(replace(result, image=image)))
        graph_s = time.perf_counter() - start
        tracer_graph = edge_graph(true_symbol_graph(image, mask, data.read_boxes(index), data.class_names))
        found = set(match_symbols(model_graph, truth).values())
        among_found = [e for e in truth.edges() if e[0] in found and e[1] in found]
        rows.append(
            {
                "name": path.stem,
                "kind": sheet_kind([c for c, _ in truth.symbols]),
                "graph_s": round(graph_s, 3),
                "model": score_edges(model_graph, truth),
                "true_symbols": score_edges(tracer_graph, truth),
                "symbols": (len(truth.symbols), len(found)),
                "edges_among_found": (len(among_found), _right(model_graph, truth, among_found)),
                "box_alone": _box_alone(model_graph, truth),
            }
        )
        print(f"scored {path.stem}", file=sys.stderr, flush=True)
    return rows


def _box_alone(pred: EdgeGraph, truth: EdgeGraph) -> tuple[int, int, int]:
    """Symbols matched and true edges right when symbols match by box alone (any class), and edges predicted.

    How much of the loss is the class names: a symbol found where it is but named with another class.
    """

    def anonymous(graph: EdgeGraph) -> EdgeGraph:
        return EdgeGraph(tuple(("symbol", box) for _, box in graph.symbols), graph.nets)

    matched = len(match_symbols(anonymous(pred), anonymous(truth)))
    return matched, _right(anonymous(pred), anonymous(truth), list(truth.edges())), len(pred.edges())


def _right(pred: EdgeGraph, truth: EdgeGraph, edges: list[tuple[int, int, str]]) -> int:
    """How many of the true ``edges`` the predicted graph has."""
    matches = match_symbols(pred, truth)
    made = {
        (min(matches[a], matches[b]), max(matches[a], matches[b]), k)
        for a, b, k in pred.edges()
        if a in matches and b in matches
    }
    return sum(e in made for e in edges)


def summarise_pipeline(rows: list[dict[str, object]], pipeline: str) -> dict[str, object]:
    """Summed counts of one pipeline (``model`` or ``true_symbols``) per edge kind."""
    total = {kind: sum((r[pipeline][kind] for r in rows), EdgeCounts()) for kind in EDGE_KINDS}  # type: ignore[index]
    return {kind: c.to_dict() for kind, c in total.items()}


def summarise(rows: list[dict[str, object]]) -> dict[str, object]:
    """Summed counts per pipeline and edge kind, and the sheets' own counts."""
    out: dict[str, object] = {"sheets": len(rows)}
    for pipeline in ("model", "true_symbols"):
        out[pipeline] = summarise_pipeline(rows, pipeline)
    symbols = np.sum([r["symbols"] for r in rows], axis=0)
    among = np.sum([r["edges_among_found"] for r in rows], axis=0)
    out["model_symbols"] = {
        "true": int(symbols[0]),
        "matched": int(symbols[1]),
        "recall": round(symbols[1] / max(symbols[0], 1), 4),
    }
    true_edges = out["model"]["all"]["true"]  # type: ignore[index]
    out["model_edges_among_matched_symbols"] = {
        "true": int(among[0]),
        "right": int(among[1]),
        "recall": round(among[1] / max(among[0], 1), 4),
        "true_edges_with_a_symbol_missed": int(true_edges - among[0]),
    }
    box = np.sum([r["box_alone"] for r in rows], axis=0)
    out["model_matched_by_box_alone"] = {
        "symbols_matched": int(box[0]),
        "symbols_recall": round(box[0] / max(symbols[0], 1), 4),
        "edge_recall": round(box[1] / max(true_edges, 1), 4),
        "edge_precision": round(box[1] / max(box[2], 1), 4),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mixed", type=Path, default=Path("/work/data/graphtruth/val-mixed"))
    parser.add_argument("--pid", type=Path, default=Path("/work/data/graphtruth/val-pid"))
    parser.add_argument("--sets", nargs="+", choices=("mixed", "pid"), default=["mixed", "pid"], help="sets to score")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the bundled one)")
    parser.add_argument("--classifier", type=_classifier, default="auto", metavar="auto|none|FILE")
    parser.add_argument("--work", type=Path, default=Path("/work/data/graphtruth/segmented"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/synth_graph_f1.json"))
    parser.add_argument("--true-symbols-only", action="store_true", help="rerun the true-symbol figures alone")
    args = parser.parse_args()
    if args.true_symbols_only:
        update_true_symbols(args.mixed, args.pid, args.out)
        return
    pair = ModelPair(args.model, args.classifier)
    report: dict[str, object] = {
        "command": " ".join(["python", *sys.argv]),
        "machine": machine_info(),
        "model": "bundled" if pair.model is None else str(pair.model),
        "classifier": str(pair.classifier),
    }
    sets = {"mixed": ("mixed", args.mixed), "pid": ("pid_sheets", args.pid)}
    for label, root in (sets[name] for name in args.sets):
        data = SegmentationDataset(root)
        work = args.work / pair.key / root.name
        seconds = segment_all(data, work, args.threads, pair)
        rows = score_set(data, work)
        kinds = sorted({str(r["kind"]) for r in rows})
        report[label] = {
            "dataset": str(root),
            "dataset_info": {k: data.metadata.get(k) for k in ("generator_version", "seed", "count", "kind")},
            "segment_s_median": round(float(np.median(seconds)), 2) if seconds else None,
            "graph_s_median": round(float(np.median([r["graph_s"] for r in rows])), 3),  # type: ignore[misc]
            "all": summarise(rows),
            **({k: summarise([r for r in rows if r["kind"] == k]) for k in kinds} if label == "mixed" else {}),
            "per_sheet": [
                {**r, "model": r["model"]["all"].to_dict(), "true_symbols": r["true_symbols"]["all"].to_dict()}  # type: ignore[index]
                for r in rows
            ],
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("machine",)}, indent=1)[:3000])


def _classifier(choice: str) -> str | Path | None:
    """``--classifier`` read as ``schemseg segment --classifier`` reads it."""
    try:
        return classifier_option(choice)
    except click.UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def update_true_symbols(mixed: Path, pid: Path, out: Path) -> None:
    """Rerun the true-symbol figures and write them into ``out`` over the old ones, the model's left as they were."""
    report = json.loads(out.read_text()) if out.exists() else {}
    report["true_symbols_run"] = {"command": " ".join(["python", *sys.argv]), "machine": machine_info()}
    for label, root in (("mixed", mixed), ("pid_sheets", pid)):
        rows = score_true_symbols(SegmentationDataset(root))
        section = report.setdefault(label, {"dataset": str(root)})
        groups = {"all": rows}
        if label == "mixed":
            groups.update({k: [r for r in rows if r["kind"] == k] for k in sorted({str(r["kind"]) for r in rows})})
        for group, members in groups.items():
            section.setdefault(group, {"sheets": len(members)})["true_symbols"] = summarise_pipeline(
                members, "true_symbols"
            )
        by_name = {r["name"]: r["true_symbols"]["all"].to_dict() for r in rows}  # type: ignore[index]
        for sheet in section.get("per_sheet", []):
            sheet["true_symbols"] = by_name.get(sheet["name"], sheet.get("true_symbols"))
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(report, indent=2) + "\n")
    summary = {
        label: {g: v["true_symbols"] for g, v in report[label].items() if isinstance(v, dict) and "true_symbols" in v}
        for label in ("mixed", "pid_sheets")
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
