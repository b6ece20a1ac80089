"""Which layers make the INT8 TensorRT Q/DQ graph lose accuracy: keep one group of layers in float at a time.

    python benchmarks/int8_sensitivity.py engines/reference.onnx --calib data/synth-train --val data/synth-val \
        --val-count 30 --json benchmarks/results/int8-sensitivity-reference.json [--group enc-stem+enc-blocks0 ...]

Quantizes the simplified graph with the build's own calibration (cached) and quantizer, but with every
Conv/MatMul/Gemm of one group excluded as well (the build's own float layers are excluded only in the
"build" row), and scores each graph with the accuracy gate's scorer. Groups are named from the
EfficientNet U-Net++ node names (enc-stem, enc-blocksN, attention, dec-xN, seg-head); join groups with "+".
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

from schemseg_sdk.engine import _graph, bundle, quantize
from schemseg_sdk.engine.gate import compare_scores, score_graph


def _group(name: str) -> str:
    block = re.search(r"blocks\.(\d)", name)
    decoder = re.search(r"decoder/x_(\d)_\d", name)
    if "conv_stem" in name:
        return "enc-stem"
    if block:
        return f"enc-blocks{block.group(1)}"
    if "encoder/encoder" in name:
        return "enc-head"
    if "attention" in name or name.startswith("Gemm"):
        return "attention"
    if decoder:
        return f"dec-x{decoder.group(1)}"
    return "seg-head" if "segmentation_head" in name else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--calib", required=True)
    parser.add_argument("--calib-count", type=int, default=32)
    parser.add_argument("--val", required=True)
    parser.add_argument("--val-count", type=int, default=30)
    parser.add_argument("--json", required=True)
    parser.add_argument("--group", action="append", help="groups to try (default: none, each group, build)")
    args = parser.parse_args()

    captured: dict[str, object] = {}
    quantize_for_tensorrt = bundle.quantize_for_tensorrt

    def capture(graph, ranges, regions):  # the build's graph, calibrated ranges and regions
        captured.update(graph=graph, ranges=ranges, regions=regions)
        return quantize_for_tensorrt(graph, ranges, regions)

    bundle.quantize_for_tensorrt = capture
    work = Path(tempfile.mkdtemp(prefix="schemseg-sens-"))
    bundle.prepare_graphs(
        args.model, "int8", work, calib=args.calib, calib_count=args.calib_count, parity_val=args.val, tensorrt=False
    )
    graph, ranges, regions = captured["graph"], captured["ranges"], captured["regions"]
    compute = [n.name for n in graph.graph.node if n.op_type in quantize.COMPUTE_OPS]
    groups: dict[str, list[str]] = {}
    for name in compute:
        groups.setdefault(_group(name), []).append(name)
    todo = args.group or ["none", *groups, "build"]
    reference = score_graph(args.model, args.val, limit=args.val_count, progress=False)
    results = {}
    for label in todo:
        extra = {n for part in label.split("+") for n in groups.get(part, [])}
        regs = _graph.GraphRegions(regions.preprocessing | frozenset(extra), regions.head, regions.logits)
        qdq = quantize_for_tensorrt(graph, ranges, regs, None if label == "build" else 0)
        info = _graph.read_info(graph, label)
        path = _graph.save_model(_graph.with_precision(qdq, info, "int8"), work / f"float-{label}.onnx")
        scores = score_graph(path, args.val, limit=args.val_count, progress=False)
        verdict = compare_scores(reference, scores, label=label, graph=path.name, val=args.val, sheets=args.val_count)
        fails = {c.name: c.drop for c in verdict.classes if c.failed}
        results[label] = {"float_layers": len(extra), "mean_drop": verdict.mean_drop, "classes_over": fails}
        print(
            f"{label:<40} float layers {len(extra):3d}  mean drop {verdict.mean_drop:6.2f}  over: {fails}", flush=True
        )
    Path(args.json).write_text(
        json.dumps(
            {
                "model": args.model,
                "val": args.val,
                "sheets": args.val_count,
                "groups": {k: len(v) for k, v in groups.items()},
                "results": results,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
