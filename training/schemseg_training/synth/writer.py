"""``write_dataset``: many sheets to ``images/``, ``masks/``, ``boxes/``, ``graphs/`` (each sheet's true graph,
:mod:`schemseg_sdk.graph.edges`) and ``dataset.json`` (+ optional preview)."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from schemseg_sdk.boxes import write_boxes
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.fileio import atomic_write_bytes, atomic_write_text
from schemseg_sdk.graph.edges import write_true_graph
from schemseg_sdk.palette import blend_mask

from .catalog import SyntheticSheet
from .pid_sheet import MAX_PIXELS, PAPER_MM, PidSheetOptions, max_zoom, render_pid_sheet
from .sheet import GENERATOR_VERSION, render_sheet

__all__ = ["write_dataset", "sheet_seed", "make_preview", "render_dataset_sheet", "KINDS"]

PREVIEW_SHEETS = 12
KINDS = ("mixed", "pid-sheet")
"""``mixed``: square sheets of circuits, P&ID fragments or both (``render_sheet``); ``pid-sheet``: whole
P&ID sheets on A-series paper (``render_pid_sheet``), rectangular and large."""
Job = tuple[str, int, int, int, float, str, float, float, str | None]


def sheet_seed(seed: int, index: int) -> int:
    """Seed of sheet ``index`` of a dataset made with ``seed`` (independent of worker count)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint64)[0])


def _encode_png(array: np.ndarray, name: str) -> bytes:
    ok, buf = cv2.imencode(".png", array, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise InvalidInputError(f"{name}: PNG encoding failed")
    return buf.tobytes()


def render_dataset_sheet(
    kind: str,
    seed: int,
    index: int,
    size: int = 600,
    broken_wire_share: float = 0.1,
    zoom_range: tuple[float, float] = (1.0, 1.0),
    paper: str | None = None,
) -> SyntheticSheet:
    """Sheet ``index`` of a dataset of ``kind`` made with ``seed``; a pid-sheet's zoom is drawn
    log-uniformly from ``zoom_range`` with its own seed, its paper is ``paper`` (None: drawn)."""
    own = sheet_seed(seed, index)
    if kind == "pid-sheet":
        lo, hi = zoom_range
        zoom = float(np.exp(np.random.default_rng([own, 7]).uniform(np.log(lo), np.log(hi)))) if hi > lo else lo
        return render_pid_sheet(own, PidSheetOptions(paper=paper, zoom=zoom))
    return render_sheet(own, size, broken_wire_share=broken_wire_share)


def _write_one(job: Job) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render and write sheet ``index``; returns per-class pixel counts, instance counts, presence."""
    out_dir, seed, index, size, broken_wire_share, kind, zoom_lo, zoom_hi, paper = job
    sheet = render_dataset_sheet(kind, seed, index, size, broken_wire_share, (zoom_lo, zoom_hi), paper)
    name = f"{index:05d}.png"
    root = Path(out_dir)
    atomic_write_bytes(root / "images" / name, _encode_png(sheet.image, name))
    atomic_write_bytes(root / "masks" / name, _encode_png(sheet.mask, name))
    write_boxes(root / "boxes" / f"{index:05d}.json", sheet.instances)
    write_true_graph(root / "graphs" / f"{index:05d}.json", sheet.instances, sheet.true_nets(), CLASS_NAMES)
    pixels = np.bincount(sheet.mask.ravel(), minlength=len(CLASS_NAMES)).astype(np.int64)
    instances = np.bincount([c for c, _ in sheet.instances], minlength=len(CLASS_NAMES)).astype(np.int64)
    return pixels, instances, (pixels > 0).astype(np.int64)


def write_dataset(
    out_dir: str | os.PathLike[str],
    count: int,
    seed: int,
    size: int = 600,
    workers: int = 1,
    preview: bool = False,
    progress: bool = True,
    broken_wire_share: float = 0.1,
    kind: str = "mixed",
    zoom_range: tuple[float, float] = (1.0, 1.0),
    paper: str | None = None,
) -> dict[str, object]:
    """Write ``count`` sheets and ``dataset.json``; returns the JSON content.

    Sheet ``i`` depends only on ``(seed, i)`` and the other arguments, so any ``workers`` gives
    identical files. ``broken_wire_share``: see :func:`render_sheet` (more of them for training).
    ``kind``: one of :data:`KINDS`; ``size`` applies to ``mixed``, ``zoom_range`` to ``pid-sheet``
    (each sheet's zoom drawn log-uniformly from it; 1.0 is the model scale) and ``paper`` (``"A4"`` ..
    ``"A0"``, None: drawn per sheet, A1 most often).

    >>> info = write_dataset("data/synth", count=10, seed=0, progress=False)  # doctest: +SKIP
    """
    if count < 1:
        raise InvalidInputError(f"count must be at least 1, got {count}")
    if size < 64:
        raise InvalidInputError(f"size must be at least 64 px, got {size}")
    if workers < 1:
        raise InvalidInputError(f"workers must be at least 1, got {workers}")
    if not 0.0 <= broken_wire_share <= 1.0:
        raise InvalidInputError(f"broken_wire_share must be between 0 and 1, got {broken_wire_share}")
    if kind not in KINDS:
        raise InvalidInputError(f"kind {kind!r} is not known; expected one of {', '.join(KINDS)}")
    if not 0 < zoom_range[0] <= zoom_range[1]:
        raise InvalidInputError(f"zoom_range must be two positive numbers, low first, got {zoom_range}")
    if kind == "pid-sheet":
        _check_paper_and_zoom(paper, zoom_range[1])
    root = Path(out_dir)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    (root / "boxes").mkdir(parents=True, exist_ok=True)
    (root / "graphs").mkdir(parents=True, exist_ok=True)
    jobs: list[Job] = [(str(root), seed, i, size, broken_wire_share, kind, *zoom_range, paper) for i in range(count)]
    totals = [np.zeros(len(CLASS_NAMES), np.int64) for _ in range(3)]
    bar = tqdm(total=count, desc="synth", unit="sheet", disable=not progress)
    if workers == 1:
        results = map(_write_one, jobs)
        _accumulate(results, totals, bar)
    else:
        _write_in_pool(jobs, workers, totals, bar)
    bar.close()
    info = _metadata(seed, size, count, *totals)
    info["broken_wire_share"] = broken_wire_share
    info["kind"] = kind
    if kind == "pid-sheet":
        info["size"] = None  # sheets are as large as their paper and zoom make them
        info["zoom_range"] = list(zoom_range)
        info["paper"] = paper
    atomic_write_text(root / "dataset.json", json.dumps(info, indent=2) + "\n")
    if preview:
        image = make_preview(seed, size, kind=kind, zoom_range=zoom_range, paper=paper)
        atomic_write_bytes(root / "preview.png", _encode_png(image, "preview.png"))
    return info


def _check_paper_and_zoom(paper: str | None, zoom: float) -> None:
    if paper is not None and paper not in PAPER_MM:
        raise InvalidInputError(f"paper {paper!r} is not known; expected one of {', '.join(PAPER_MM)}")
    limit = max_zoom(paper)
    if zoom > limit:
        raise InvalidInputError(
            f"zoom {zoom:g} is too large for {paper or 'the A3-A0 sheets drawn at random'}: the largest sheet "
            f"would pass {MAX_PIXELS // 1_000_000} megapixels; keep the zoom at most {limit:.2f} or choose "
            "smaller paper (A4 and A3 allow the highest resolutions)"
        )


def _write_in_pool(jobs: list[Job], workers: int, totals: list[np.ndarray], bar: tqdm) -> None:
    """Write ``jobs`` in ``workers`` processes; on success the workers end by themselves.

    ``Pool.__exit__`` would SIGTERM them, and a forked worker inherits the parent's SIGTERM handler:
    one that a native runtime installed in the parent (Ray's, seen in the test suite) can keep it
    alive and hang the join. Closing and joining the pool ends the workers without a signal.
    """
    ctx = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    pool = ctx.Pool(workers)
    try:
        _accumulate(pool.imap(_write_one, jobs, chunksize=4), totals, bar)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _accumulate(results, totals: list[np.ndarray], bar: tqdm) -> None:  # type: ignore[no-untyped-def]
    for parts in results:
        for total, part in zip(totals, parts):
            total += part
        bar.update(1)


def _metadata(
    seed: int, size: int, count: int, pixels: np.ndarray, instances: np.ndarray, present: np.ndarray
) -> dict[str, object]:
    return {
        "class_names": list(CLASS_NAMES),
        "generator": "schemseg_training.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size": size,
        "count": count,
        "class_pixels": {n: int(v) for n, v in zip(CLASS_NAMES, pixels)},
        "class_instances": {n: int(v) for n, v in zip(CLASS_NAMES[1:], instances[1:])},
        "class_sheet_fraction": {n: round(float(v) / count, 4) for n, v in zip(CLASS_NAMES[1:], present[1:])},
    }


def make_preview(
    seed: int,
    size: int = 600,
    sheets: int = PREVIEW_SHEETS,
    thumb: int = 300,
    kind: str = "mixed",
    zoom_range: tuple[float, float] = (1.0, 1.0),
    paper: str | None = None,
) -> np.ndarray:
    """Contact sheet: the first ``sheets`` sheets of the dataset (4 of a pid-sheet dataset, each
    twice as wide), each beside its blended mask."""
    tiles = []
    wide = 2 if kind == "pid-sheet" else 1
    for i in range(sheets if wide == 1 else 4):
        sheet = render_dataset_sheet(kind, seed, i, size, zoom_range=zoom_range, paper=paper)
        pair = np.hstack([sheet.image, blend_mask(sheet.image, sheet.mask)])
        pair = cv2.resize(
            pair, (2 * thumb * wide, int(thumb * wide * 0.707) if wide > 1 else thumb), interpolation=cv2.INTER_AREA
        )
        tiles.append(cv2.copyMakeBorder(pair, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=(90, 90, 90)))
    cols = 2
    rows = [np.hstack(tiles[r * cols : (r + 1) * cols]) for r in range((len(tiles) + cols - 1) // cols)]
    if rows and rows[-1].shape != rows[0].shape:
        rows[-1] = cv2.copyMakeBorder(
            rows[-1], 0, 0, 0, rows[0].shape[1] - rows[-1].shape[1], cv2.BORDER_CONSTANT, value=(90, 90, 90)
        )
    return np.vstack(rows)
