"""Plot the reference model's training history, one line per branch of the schedule.

    python benchmarks/plot_training_curves.py \
        [--csv benchmarks/results/reference-training-metrics.csv] [--out docs/img/reference_training_curves.png]

The CSV joins the training runs of the reference model (``training/TRAINING_LOG.md``). Its ``branch``
column says which schedule a row belongs to: ``main`` (phases 1 and 2, steps 0-11,310, the run the
bundled model continues from) and the later schedules, which start again from the end of their parent
(``PARENTS``): ``phase 3`` and ``phase 4`` from step 11,310, ``phase 5`` from the end of phase 4. Phases 4 and 5
trained on 256x256 crops, so their loss is not strictly comparable.
Empty cells are NaN; rows without ``train_loss`` are left out of the loss panel.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERIES = (
    ("val_miou_synth-val", "synthetic val (50)", "tab:green"),
    ("val_miou_ci2n-val", "real val (50)", "tab:purple"),
)
STYLES = {"main": ("-", "o"), "phase 3": (":", "x"), "phase 4": ("--", "s"), "phase 5": ("-.", "D")}
PARENTS = {"phase 5": "phase 4"}  # every other branch starts from the end of main


def _number(text: str) -> float:
    return float(text) if text else math.nan


def load(path: Path) -> dict[str, list[dict[str, float]]]:
    """Rows of the CSV grouped by branch, in file order, as numbers (empty cells are NaN)."""
    branches: dict[str, list[dict[str, float]]] = defaultdict(list)
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            branches[row["branch"]].append({k: _number(v) for k, v in row.items() if k != "branch"})
    return dict(branches)


def plot(branches: dict[str, list[dict[str, float]]], out: Path) -> None:
    fig, (loss_ax, miou_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for name, rows in branches.items():
        start = [] if name == "main" else [branches[PARENTS.get(name, "main")][-1]]
        line, marker = STYLES.get(name, (":", "^"))
        points = start + rows
        steps = [r["step"] for r in points]
        for key, label, colour in SERIES:
            miou_ax.plot(
                steps,
                [r[key] for r in points],
                line,
                color=colour,
                marker=marker,
                markersize=4,
                label=f"{label}, {name}",
            )
        losses = [(r["step"], r["train_loss"]) for r in points if not math.isnan(r["train_loss"])]
        if len(losses) > len(start):
            loss_ax.plot(*zip(*losses), line, color="tab:blue", marker=marker, markersize=4, label=name)
    loss_ax.set(xlabel="step (8 crops each)", ylabel="train loss (DiceCE)", title="training loss")
    miou_ax.set(xlabel="step (8 crops each)", ylabel="mIoU (classes 1..40)", title="validation mIoU (EMA weights)")
    for ax in (loss_ax, miou_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=Path("benchmarks/results/reference-training-metrics.csv"))
    parser.add_argument("--out", type=Path, default=Path("docs/img/reference_training_curves.png"))
    args = parser.parse_args()
    plot(load(args.csv), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
