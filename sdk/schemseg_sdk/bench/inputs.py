"""The sheets a benchmark feeds: dataset images, the bundled examples, synthetic sheets or noise.

Sheets are held as encoded image bytes in memory, so the timed path is the production one
(bytes -> decode -> tiles -> model -> stitch -> symbols) without disk reads in the measurement.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..dataset import IMAGE_SUFFIXES, SegmentationDataset
from ..errors import InvalidInputError
from ..imageio import read_image
from ..overlay import encode_png

__all__ = ["SheetSource", "SHEET_SOURCES", "BenchSheets", "EXAMPLES_DIR", "load_bench_sheets"]

SheetSource = Literal["auto", "data", "examples", "synthetic", "noise"]
SHEET_SOURCES: tuple[str, ...] = ("auto", "data", "examples", "synthetic", "noise")
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
"""Example sheets shipped with the package (may be empty in a development checkout)."""


@dataclass(frozen=True)
class BenchSheets:
    """Encoded sheets with where they came from."""

    images: tuple[bytes, ...]
    names: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...]  # (width, height) of each sheet
    source: str  # "data", "examples", "synthetic" or "noise"
    description: str

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "description": self.description,
            "count": len(self.images),
            "sizes": sorted({f"{w}x{h}" for w, h in self.sizes}),
            "names": list(self.names),
            "input": "encoded image bytes held in memory (decoding is part of the timed path)",
        }


def load_bench_sheets(
    source: SheetSource, count: int, *, size: int = 600, data: str | os.PathLike[str] | None = None
) -> BenchSheets:
    """Return ``count`` sheets from ``source``; ``"auto"`` takes the first that is available of
    ``data`` (when given), the bundled examples, synthetic sheets (needs the training package), noise.

    Args:
        source: where the sheets come from.
        count: how many (fewer when a folder holds fewer images).
        size: side of synthetic and noise sheets; dataset and example images keep their own size.
        data: a dataset folder (``images/`` + ``masks/``) for ``source="data"``.

    Raises:
        InvalidInputError: ``source="data"`` without ``data``, or a source that has no sheets here.
        DatasetError: ``data`` is not a readable dataset.
    """
    if count < 1:
        raise InvalidInputError(f"sheet count must be at least 1, got {count}")
    if source == "auto":
        source = "data" if data is not None else "examples" if _example_paths() else "synthetic"
        if source == "synthetic" and _render_sheet() is None:
            source = "noise"
    if source == "data":
        if data is None:
            raise InvalidInputError("sheets from 'data' need a dataset folder; pass --data DIR")
        paths = SegmentationDataset(data, require_masks=False).image_paths[:count]
        return _from_files(paths, "data", f"first {len(paths)} images of {data}")
    if source == "examples":
        paths = _example_paths()[:count]
        if not paths:
            raise InvalidInputError(f"{EXAMPLES_DIR}: no example sheets bundled here; use --sheets synthetic")
        return _from_files(paths, "examples", f"{len(paths)} example sheets bundled in {EXAMPLES_DIR}")
    if source == "synthetic":
        return _synthetic(count, size)
    if source == "noise":
        rng = np.random.default_rng(0)
        arrays = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(count)]
        return _from_arrays(arrays, "noise", f"{count} uniform white-noise sheets {size}x{size} (seed 0)")
    raise InvalidInputError(f"unknown sheet source {source!r}; expected one of {', '.join(SHEET_SOURCES)}")


def _example_paths() -> list[Path]:
    if not EXAMPLES_DIR.is_dir():
        return []
    return sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _render_sheet() -> object | None:
    """``schemseg_training.synth.render_sheet`` when the training package is installed."""
    try:
        from schemseg_training.synth import render_sheet
    except ImportError:
        return None
    return render_sheet


def _synthetic(count: int, size: int) -> BenchSheets:
    render = _render_sheet()
    if render is None:
        raise InvalidInputError(
            "synthetic sheets need the training package (schemseg_training); pip install 'schemseg[train]' "
            "or use --sheets noise"
        )
    arrays = [render(seed, size).image for seed in range(count)]  # type: ignore[operator]  # render_sheet is returned as object to keep the training import optional
    return _from_arrays(
        arrays, "synthetic", f"{count} synthetic sheets {size}x{size} (render_sheet seeds 0..{count - 1})"
    )


def _from_files(paths: list[Path], source: str, description: str) -> BenchSheets:
    images = tuple(p.read_bytes() for p in paths)
    sizes = []
    for path, data in zip(paths, images):
        height, width = read_image(data, str(path)).shape[:2]
        sizes.append((width, height))
    return BenchSheets(images, tuple(p.name for p in paths), tuple(sizes), source, description)


def _from_arrays(arrays: list[np.ndarray], source: str, description: str) -> BenchSheets:
    images = tuple(encode_png(a, f"{source} sheet {i}") for i, a in enumerate(arrays))
    names = tuple(f"{source}-{i}" for i in range(len(arrays)))
    sizes = tuple((int(a.shape[1]), int(a.shape[0])) for a in arrays)
    return BenchSheets(images, names, sizes, source, description)
