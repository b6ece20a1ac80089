"""The model card's figure tables, generated from the results ``measure_symbols.py`` wrote.

    python benchmarks/model_card_tables.py [--page docs/model-card.md]

Rewrites the block between ``<!-- model-card:start -->`` and ``<!-- model-card:end -->`` of the page
(everything else is kept byte for byte) with one table per data set: pixel mIoU, symbol F1, symbols
found and the count check, as the model painted it, grouped by its vote and grouped with the symbol
classifier (the default), then per-class pixel IoU and symbol F1 of the default. The date, machine
and command stand under each table. Rerun it after ``benchmarks/measure_symbols.sh``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from schemseg_sdk.fileio import atomic_write_text

RESULTS = Path("benchmarks/results")
SETS = (
    (
        "Synthetic validation (generator sheets, seed 2)",
        "symbols-reference-synth-val.json",
        "python benchmarks/measure_symbols.py --data data/synth-val --json {json}",
    ),
    (
        "Real circuit drawings: CI2N `ci2n-dev`, never trained on",
        "symbols-reference-ci2n.json",
        "python benchmarks/measure_symbols.py --data data/ci2n-eval --timing-sheets 0 --json {json}",
    ),
)
MODES = (
    ("raw", "as the model painted it (`--no-group`)"),
    ("voted", "grouped, the model's vote (`--classifier none`)"),
    ("grouped", "**grouped + symbol classifier** (default)"),
)
START, END = "<!-- model-card:start -->", "<!-- model-card:end -->"


def _counted(check: dict) -> str:
    classes = check["classes"].values()
    return f"{sum(c['within'] for c in classes)} of {len(classes)}"


def _table(title: str, path: Path, command: str) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = [
        f"### {title}",
        "",
        "| symbols | pixel mIoU | symbol mean F1 | symbols found (true) "
        "| classes counted within 10% (raw IoU >= 0.5 / own IoU >= 0.5) |",
        "|---|---|---|---|---|",
    ]
    for key, label in MODES:
        mode = data[key]
        own = _counted(mode["count_check_own_iou"]) if "count_check_own_iou" in mode else "-"
        lines.append(
            f"| {label} | {mode['pixels']['mean_iou']:.4f} | {mode['symbols']['mean_f1']:.4f} | "
            f"{mode['symbols']['predicted']:,} ({mode['symbols']['true']:,}) | "
            f"{_counted(mode['count_check'])} / {own} |"
        )
    grouped = data["grouped"]
    f1 = {name: row["f1"] for name, row in grouped["symbols"]["per_class"].items()}
    iou = {k: v for k, v in grouped["pixels"]["per_class"].items() if k != "background"}
    per_class = ", ".join(
        f"{name} {value:.2f}/{f1[name]:.2f}" if name in f1 else f"{name} {value:.2f}"
        for name, value in sorted(iou.items(), key=lambda item: -item[1])
    )
    lines += [
        "",
        f"Per class, default (pixel IoU / symbol F1): {per_class}.",
        "",
        f"{data['sheets']} sheets; measured {data['date']} on {data['machine']} with "
        f"`{data['model']}` and its classifier (`{data['classifier']['segmentation_model']}`); "
        f"`{command.format(json=path.as_posix())}`.",
        "",
    ]
    return lines


def render(results: Path = RESULTS) -> str:
    """The Markdown block (markers excluded) for the results in ``results``."""
    lines: list[str] = []
    for title, name, command in SETS:
        lines += _table(title, results / name, command)
    lines.append(
        "Generated from `benchmarks/results/symbols-reference-*.json` by "
        "`python benchmarks/model_card_tables.py`; do not edit by hand."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, default=Path("docs/model-card.md"))
    args = parser.parse_args()
    text = args.page.read_text(encoding="utf-8")
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{args.page}: no {START} ... {END} block to rewrite")
    atomic_write_text(args.page, f"{head}{START}\n{render()}\n{END}{tail}")
    print(f"rewrote the tables of {args.page}")


if __name__ == "__main__":
    main()
