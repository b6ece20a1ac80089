"""Training history as CSV, JSON and a PNG of the curves."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from schemseg_sdk.fileio import atomic_output, atomic_write_text

__all__ = ["write_history"]


def write_history(out: Path, rows: Sequence[dict[str, float]]) -> None:
    """Write ``metrics.csv``, ``metrics.json`` and ``curves.png`` (if matplotlib is installed)."""
    if not rows:
        return
    keys = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "metrics.csv", buffer.getvalue())
    atomic_write_text(out / "metrics.json", json.dumps(list(rows), indent=2))
    _plot(out / "curves.png", rows)


def _plot(path: Path, rows: Sequence[dict[str, float]]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, [r.get("train_loss", float("nan")) for r in rows], "o-", label="train loss (DiceCE)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if any("val_miou" in r for r in rows):
        ax2 = ax.twinx()
        ax2.plot(steps, [r.get("val_miou", float("nan")) for r in rows], "s-", color="tab:green", label="val mIoU")
        ax2.set_ylabel("mIoU (classes 1..40)")
        ax2.set_ylim(0, 1)
        ax2.legend(loc="lower right")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
