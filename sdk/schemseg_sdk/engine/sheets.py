"""Sheets fed to the graphs while building: calibration samples, parity samples, their hashes.

Every sheet becomes one model input the way the SDK feeds a page: padded at the bottom/right with
white paper to the model's input size (:mod:`~schemseg_sdk.geometry`), and, when larger, cut to
the centre ``S x S`` window at the native scale. :data:`PREPROCESSING` describes that rule; it is
part of the calibration cache key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..classes import IGNORE_INDEX
from ..dataset import IMAGE_SUFFIXES, SegmentationDataset
from ..errors import EngineBuildError
from ..geometry import PAD_VALUE, pad_image
from ..imageio import read_image

__all__ = ["PREPROCESSING", "ClassCoverage", "SheetSet", "to_model_input", "load_sheets", "synthetic_sheets"]

PREPROCESSING: dict[str, object] = {"version": 1, "pad": "bottom-right", "pad_value": PAD_VALUE, "crop": "center"}
"""How a sheet becomes a model input (hashed into the calibration cache key)."""


@dataclass(frozen=True)
class ClassCoverage:
    """Which symbol classes the chosen sheets show, against those the whole dataset shows."""

    present: tuple[int, ...]  # foreground classes found in the dataset's masks
    covered: tuple[int, ...]  # foreground classes found in the chosen sheets
    class_names: tuple[str, ...]  # the dataset's class list

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(c for c in self.present if c not in self.covered)

    def summary(self) -> str:
        text = f"{len(self.covered)}/{len(self.present)} symbol classes of the dataset covered"
        if self.missing:
            text += " (missing: " + ", ".join(self.class_names[c] for c in self.missing) + ")"
        return text


@dataclass(frozen=True)
class SheetSet:
    """Model inputs ``(N, S, S, 3)`` uint8 with where they came from and a content hash."""

    names: tuple[str, ...]
    batch: np.ndarray
    sha256: str  # over the names and the bytes of the source files, in order
    source: str
    coverage: ClassCoverage | None = None

    def __len__(self) -> int:
        return len(self.names)

    def head(self, count: int) -> SheetSet:
        """The first ``count`` sheets (for quick parity checks)."""
        return SheetSet(self.names[:count], self.batch[:count], self.sha256, self.source, self.coverage)


def to_model_input(image: np.ndarray, size: int, value: int = PAD_VALUE) -> np.ndarray:
    """Pad (white, bottom/right) to at least ``size`` and cut the centre ``size x size`` window."""
    h, w = image.shape[:2]
    padded = pad_image(image, max(h, size), max(w, size), value)
    top = (padded.shape[0] - size) // 2
    left = (padded.shape[1] - size) // 2
    return np.ascontiguousarray(padded[top : top + size, left : left + size])


def load_sheets(source: str | os.PathLike[str], count: int, input_size: int) -> SheetSet:
    """Read up to ``count`` sheets from a dataset (``images/`` + ``masks/``) or a folder of images.

    From a dataset, sheets are chosen so that every class present in its masks is shown at least
    once where ``count`` allows (greedy cover, then evenly spaced); the coverage is returned.
    """
    root = Path(source)
    if count < 1:
        raise EngineBuildError(f"calibration count must be at least 1, got {count}")
    if (root / "images").is_dir():
        return _from_dataset(root, count, input_size)
    if not root.is_dir():
        raise EngineBuildError(
            f"{root}: no such folder; put calibration drawings there (any images, or a dataset with images/ "
            "and masks/) or pass --calib DIR"
        )
    paths = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise EngineBuildError(
            f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}); put calibration drawings there or pass --calib DIR"
        )
    chosen = [paths[i] for i in _evenly_spaced(len(paths), count)]
    batch = np.stack([to_model_input(read_image(p), input_size) for p in chosen])
    return SheetSet(tuple(p.name for p in chosen), batch, _hash_files(chosen), str(root))


def _from_dataset(root: Path, count: int, input_size: int) -> SheetSet:
    dataset = SegmentationDataset(root)
    classes: list[set[int]] = []
    for i in range(len(dataset)):
        crop = to_model_input(dataset.read_mask(i), input_size, IGNORE_INDEX)
        classes.append({int(c) for c in np.unique(crop)} - {0, IGNORE_INDEX})
    picked = _cover_classes(classes, count)
    rest = [i for i in _evenly_spaced(len(dataset), len(dataset)) if i not in picked]
    for i in _evenly_spaced(len(rest), count - len(picked)) if rest else []:
        picked.append(rest[i])
    picked.sort()
    paths = [dataset.image_paths[i] for i in picked]
    batch = np.stack([to_model_input(dataset.read_image(i), input_size) for i in picked])
    present = sorted(set().union(*classes))
    covered = sorted(set().union(*(classes[i] for i in picked)))
    coverage = ClassCoverage(tuple(present), tuple(covered), dataset.class_names)
    return SheetSet(tuple(p.name for p in paths), batch, _hash_files(paths), str(root), coverage)


def _cover_classes(classes: list[set[int]], count: int) -> list[int]:
    """Greedy set cover: indices of sheets that together show as many classes as possible."""
    uncovered = set().union(*classes) if classes else set()
    picked: list[int] = []
    while uncovered and len(picked) < count:
        best = max(range(len(classes)), key=lambda i: (len(classes[i] & uncovered), -i))
        if not classes[best] & uncovered:
            break
        picked.append(best)
        uncovered -= classes[best]
    return picked


def _evenly_spaced(total: int, count: int) -> list[int]:
    if count >= total:
        return list(range(total))
    return sorted({int(round(x)) for x in np.linspace(0, total - 1, count)})


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def synthetic_sheets(count: int, size: int, seed: int = 0) -> SheetSet:
    """Deterministic line drawings (wires, boxes, circles, text-like ticks) for parity checks."""
    rng = np.random.default_rng(seed)
    sheets = []
    for _ in range(count):
        sheet = np.full((size, size, 3), 255, np.uint8)
        for _ in range(12):
            x0, y0, x1, y1 = (int(v) for v in rng.integers(0, size, 4))
            shape = int(rng.integers(0, 3))
            if shape == 0:
                cv2.line(sheet, (x0, y0), (x1, y0 if rng.random() < 0.5 else y1), (0, 0, 0), 2)
            elif shape == 1:
                cv2.rectangle(sheet, (x0, y0), (x0 + size // 12, y0 + size // 20), (0, 0, 0), 2)
            else:
                cv2.circle(sheet, (x0, y0), max(3, size // 30), (0, 0, 0), 2)
        sheets.append(sheet)
    batch = np.stack(sheets)
    names = tuple(f"synthetic-{i}" for i in range(count))
    return SheetSet(names, batch, hashlib.sha256(batch.tobytes()).hexdigest(), "synthetic drawings")
