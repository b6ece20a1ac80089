"""Sheets/s of `schemseg segment` in one process and with --ray (1 and 2 actors), on the same sheets.

Usage: python benchmarks/archive_throughput.py [--sheets DIR] [--count 40] [--model M] [--actors 1 2]
                                               [--rounds 2] [--out FILE.json]

Every mode segments the same sheets into its own fresh folder and writes overlay + JSON, as the CLI
does; Ray is started once on this machine (its start-up is reported on its own) and each --ray run
includes starting its actor pool. The modes run ``--rounds`` times, every other round in reverse
order; ``best`` is each mode's best round (the least disturbed on a shared machine). ``sheets_per_s`` is sheets over the whole run; ``steady_sheets_per_s``
counts the sheets finished after the first result came back, over the time since (start-up left out). The outputs of every --ray run
are compared with the plain run's (overlay pixels and JSON symbols). JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk.archive import RayOptions, RunOptions, SheetStatus, collect_images, segment_archive
from schemseg_sdk.archive.ray_run import import_ray
from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.segmenter import DEFAULT_MODEL


class _Clock:
    """Observer that notes when segmenting starts and when each sheet finishes."""

    def __init__(self) -> None:
        self.began = 0.0
        self.finished: list[float] = []

    def started(self, description: str, pending: int, skipped: int) -> None:
        self.began = time.perf_counter()
        print(f"  {description}: {pending} sheets", flush=True)

    def sheet_finished(self, status: SheetStatus) -> None:
        self.finished.append(time.perf_counter())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=Path, default=Path("data/synth-val/images"))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    files = collect_images([args.sheets])[: args.count]
    cpus = os.cpu_count() or 1
    load_before = os.getloadavg()
    ray = import_ray()
    os.environ.setdefault("RAY_worker_niceness", "0")  # Ray nices its workers by default: keep them at ours
    start = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING")
    ray_init = time.perf_counter() - start
    modes: list[RayOptions | None] = [None, *(RayOptions(actors=actors) for actors in args.actors)]
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="schemseg-throughput-") as work:
            for round_ in range(1, args.rounds + 1):  # every other round in reverse: load drift hits all modes
                for mode in modes if round_ % 2 else modes[::-1]:
                    out = Path(work) / f"{_mode_name(mode)}-{round_}"
                    options = RunOptions(out, args.model, "cpu", threads=cpus if mode is None else None)
                    rows.append({"round": round_, **run_mode(files, options, mode)})
                    if mode is not None:
                        rows[-1]["identical_to_plain"] = compare(Path(work) / "plain-1", out)
    finally:
        ray.shutdown()
    result = {
        "schema": "schemseg.archive-throughput/1",
        "model": str(args.model),
        "sheets": len(files),
        "sheet_source": str(args.sheets),
        "rounds": args.rounds,
        "ray_init_seconds": round(ray_init, 2),
        "best": {name: max(r["sheets_per_s"] for r in rows if r["mode"] == name) for name in map(_mode_name, modes)},
        "rows": rows,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "command": " ".join(sys.argv),
        "machine": machine_info(),
        "notes": "Measured on a shared machine (other jobs run beside): compare modes of one run only. Ray "
        "(started once, first) idles beside the plain runs too; its workers run at the driver's "
        "niceness (RAY_worker_niceness=0), as the plain path does.",
    }
    slug = machine_slug(result["machine"])  # type: ignore[arg-type]
    out = args.out or Path(f"benchmarks/results/archive-throughput-{slug}-{time.strftime('%Y-%m-%d')}.json")
    atomic_write_text(out, json.dumps(result, indent=1) + "\n")
    print(f"Ray start-up {result['ray_init_seconds']} s")
    for row in rows:
        print(
            f"{row['round']} {row['mode']:>14}: {row['sheets_per_s']:.2f} sheets/s overall, {row['steady_sheets_per_s']} "
            f"steady, first sheet after {row['first_sheet_seconds']:.1f} s  {row.get('identical_to_plain', '')}"
        )
    print(f"wrote {out}")


def _mode_name(ray: RayOptions | None) -> str:
    return "plain" if ray is None else f"ray-{ray.actors}-actor{'s' if ray.actors > 1 else ''}"


def run_mode(files: list[Path], options: RunOptions, ray: RayOptions | None) -> dict[str, object]:
    mode = _mode_name(ray)
    print(mode, flush=True)
    clock = _Clock()
    start = time.perf_counter()
    summary = segment_archive(files, options, ray=ray, observer=clock)
    wall = time.perf_counter() - start
    if summary.failures or summary.sheets != len(files):
        raise SystemExit(f"{mode}: {summary.sheets} of {len(files)} sheets segmented: {summary.failures[:3]}")
    finished = clock.finished
    first_result = sum(1 for t in finished if t - finished[0] < 0.05)  # Ray returns a batch of sheets at once
    after_first = len(finished) - first_result
    return {
        "mode": mode,
        "description": summary.description,
        "wall_seconds": round(wall, 2),
        "sheets_per_s": round(len(files) / wall, 3),
        "steady_sheets_per_s": round(after_first / (finished[-1] - finished[0]), 3) if after_first else None,
        "first_sheet_seconds": round(finished[0] - clock.began, 2),
    }


def compare(plain: Path, other: Path) -> dict[str, object]:
    """Overlay pixels and JSON symbols of every sheet, against the plain run."""
    differing = []
    names = sorted(p.name for p in plain.glob("*.json"))
    for name in names:
        stem = name[: -len(".json")]
        a, b = (json.loads((folder / name).read_text()) for folder in (plain, other))
        same_overlay = np.array_equal(*(cv2.imread(str(folder / f"{stem}.overlay.png")) for folder in (plain, other)))
        if a["symbols"] != b["symbols"] or not same_overlay:
            differing.append(stem)
    return {"sheets": len(names), "differing": differing, "identical": not differing}


if __name__ == "__main__":
    main()
