"""How many labelled drawings it takes: fine-tune the bundled model on 25, 100 and 400 real sheets.

Every subset gets the same budget (``--steps`` steps of ``--batch`` crops of ``--size`` px, from
``--init`` (the bundled model by default), its default learning rate and encoder freeze) and is
scored on the same evaluation set; point 0 is the starting model itself (zero-shot). Subsets are drawn with ``--seed``
and nested (the 25 sheets are among the 100, those among the 400)::

    .venv/bin/python benchmarks/learning_curve.py --train data/ci2n-train --eval data/ci2n-eval \
        --sizes 25,100,400 --steps 300 --threads 2 --readme docs/fine-tuning.md

Writes ``benchmarks/results/learning-curve-<machine>-<date>.json`` (per point: mIoU, pixel
accuracy, per-class IoU, training seconds), ``docs/img/learning_curve.png`` and, with
``--readme``, the table between the learning-curve markers of that page. Runs go to ``--work``
(``runs/learning-curve``); a finished subset's ``last.pt`` is reused when the script is run again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import time
from pathlib import Path

from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.bench.readme_table import replace_marked_block
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.metrics import SegmentationScores
from schemseg_training.checkpoint import load_checkpoint
from schemseg_training.data.split import subset_dataset
from schemseg_training.evaluate import evaluate_path
from schemseg_training.finetune import resolve_init_checkpoint
from schemseg_training.train import TrainConfig, train
from schemseg_training.train_data import steps_per_epoch

CURVE_START = "<!-- learning-curve:start -->"
CURVE_END = "<!-- learning-curve:end -->"
PLOT = Path("docs/img/learning_curve.png")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True, help="labelled real sheets to draw the subsets from")
    parser.add_argument("--eval", type=Path, required=True, help="evaluation dataset (never trained on)")
    parser.add_argument("--sizes", default="25,100,400", help="subset sizes, comma-separated")
    parser.add_argument("--steps", type=int, default=300, help="training steps per subset (the same for all)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=192, help="crop size")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0, help="which sheets form the subsets")
    parser.add_argument("--eval-limit", type=int, default=None, help="score the first N evaluation sheets only")
    parser.add_argument("--init", default="reference", help="the model to start from: reference or a checkpoint")
    parser.add_argument("--work", type=Path, default=Path("runs/learning-curve"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--plot", type=Path, default=PLOT)
    parser.add_argument(
        "--readme", type=Path, default=None, help="rewrite the learning-curve table of this Markdown page"
    )
    return parser.parse_args()


def fine_tune(args: argparse.Namespace, sheets: int) -> tuple[Path, float]:
    """Train on a subset of ``sheets`` sheets for ``args.steps`` steps; return ``last.pt`` and the seconds."""
    data, run = args.work / f"data-{sheets}", args.work / f"run-{sheets}"
    if not data.exists():
        subset_dataset(args.train, data, sheets, args.seed)
    last = run / "last.pt"
    if last.is_file() and load_checkpoint(last)["step"] >= args.steps:
        return last, float(json.loads((run / "seconds.json").read_text())["seconds"])
    epochs = math.ceil(args.steps / steps_per_epoch(sheets, args.batch))  # the schedule ends with the budget
    config = TrainConfig(
        out=str(run),
        data=str(data),
        init=args.init,
        epochs=epochs,
        max_steps=args.steps,
        batch=args.batch,
        size=args.size,
        threads=args.threads,
        seed=args.seed,
        device="cpu",
    )
    start = time.perf_counter()
    train(config)
    seconds = time.perf_counter() - start
    atomic_write_text(run / "seconds.json", json.dumps({"seconds": seconds}) + "\n")
    return last, seconds


def point(sheets: int, scores: SegmentationScores, seconds: float, model: Path) -> dict[str, object]:
    return {"sheets": sheets, "model": str(model), "train_seconds": round(seconds, 1), **scores.to_dict()}


def plot(points: list[dict[str, object]], path: Path, title: str, start: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tuned = [p for p in points if p["sheets"]]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ax.plot([p["sheets"] for p in tuned], [p["mean_iou"] for p in tuned], "o-", label=f"fine-tuned from {start}")
    for p in tuned:
        ax.annotate(
            f"{p['mean_iou']:.3f}",
            (p["sheets"], p["mean_iou"]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    zero = [p for p in points if not p["sheets"]]
    if zero:
        ax.axhline(
            zero[0]["mean_iou"], color="grey", linestyle="--", label=f"{start}, zero-shot ({zero[0]['mean_iou']:.3f})"
        )
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_ylim(0, max(0.05, 1.2 * max(float(p["mean_iou"]) for p in points)))  # type: ignore[arg-type]
    ax.set_xticks([p["sheets"] for p in tuned], [str(p["sheets"]) for p in tuned])
    ax.set_xlabel("labelled sheets")
    ax.set_ylabel("mIoU on the evaluation drawings")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def readme_block(report: dict[str, object], source: str, plot_path: Path) -> str:
    lines = ["| labelled sheets | training | mIoU | pixel accuracy | CPU training time |", "|---|---|---|---|---|"]
    for p in report["points"]:  # type: ignore[union-attr]
        training = f"{report['steps']} steps from `--init`" if p["sheets"] else "none (the starting model)"
        minutes = f"{p['train_seconds'] / 60:.1f} min" if p["sheets"] else "-"
        lines.append(f"| {p['sheets']} | {training} | {p['mean_iou']:.4f} | {p['pixel_accuracy']:.4f} | {minutes} |")
    lines += [
        "",
        f"![learning curve]({plot_path.as_posix()})",
        "",  # plot_path: relative to the page
        f"Measured {report['date']} on {report['machine_name']}, scored on {report['eval_sheets']} sheets of "
        f"`{report['eval']}`. Generated from `{source}` by `benchmarks/learning_curve.py`; do not edit by hand.",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    eval_sheets = min(len(SegmentationDataset(args.eval)), args.eval_limit or 10**9)
    start = resolve_init_checkpoint(args.init)
    points = [point(0, evaluate_path(start, args.eval, args.eval_limit, args.threads), 0.0, start)]
    print(f"0 sheets (zero-shot): mIoU {points[0]['mean_iou']:.4f}", flush=True)
    for sheets in sizes:
        last, seconds = fine_tune(args, sheets)
        points.append(point(sheets, evaluate_path(last, args.eval, args.eval_limit, args.threads), seconds, last))
        print(f"{sheets} sheets: mIoU {points[-1]['mean_iou']:.4f} ({seconds / 60:.1f} min training)", flush=True)
    info = machine_info()
    date = datetime.date.today().isoformat()
    report = {
        "date": date,
        "machine": info,
        "machine_name": machine_slug(info),
        "train": str(args.train),
        "eval": str(args.eval),
        "eval_sheets": eval_sheets,
        "seed": args.seed,
        "steps": args.steps,
        "batch": args.batch,
        "crop": args.size,
        "init": str(start),
        "points": points,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"learning-curve-{machine_slug(info)}-{date}.json"
    atomic_write_text(path, json.dumps(report, indent=2) + "\n")
    title = f"{args.steps} steps of {args.batch} crops of {args.size} px per subset, scored on {eval_sheets} sheets"
    plot(points, args.plot, title, "the bundled model" if args.init == "reference" else start.name)
    print(f"wrote {path} and {args.plot}")
    if args.readme:
        picture = Path(os.path.relpath(args.plot, args.readme.parent))
        replace_marked_block(
            args.readme,
            CURVE_START,
            CURVE_END,
            readme_block(report, path.as_posix(), picture),
            "the learning-curve table",
        )
        print(f"updated {args.readme}")


if __name__ == "__main__":
    main()
