"""Validating a dataset folder and counting how often each class occurs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from schemseg_sdk.classes import CLASS_NAMES, IGNORE_INDEX
from schemseg_sdk.dataset import SegmentationDataset

__all__ = ["ClassFrequencies", "check_dataset"]


@dataclass
class ClassFrequencies:
    """Pixel and sheet counts per class id of ``class_names``, accumulated mask by mask.

    >>> freqs = ClassFrequencies()
    >>> freqs.add(np.array([[0, 1], [1, 255]], np.uint8))
    >>> int(freqs.pixels[1]), freqs.ignored_pixels, int(freqs.sheets[1])
    (2, 1, 1)
    """

    class_names: tuple[str, ...] = CLASS_NAMES
    pixels: np.ndarray = field(init=False)
    sheets: np.ndarray = field(init=False)
    ignored_pixels: int = 0
    images: int = 0

    def __post_init__(self) -> None:
        self.pixels = np.zeros(len(self.class_names), np.int64)
        self.sheets = np.zeros(len(self.class_names), np.int64)

    def add(self, mask: np.ndarray) -> None:
        """Count one mask (class ids and IGNORE_INDEX; a validated mask holds nothing else)."""
        counts = np.bincount(mask.ravel(), minlength=256)
        self.pixels += counts[: len(self.class_names)]
        self.sheets += counts[: len(self.class_names)] > 0
        self.ignored_pixels += int(counts[IGNORE_INDEX])
        self.images += 1

    @property
    def scored_pixels(self) -> int:
        return int(self.pixels.sum())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready counts: every class by name, plus the ignored pixels."""
        return {
            "images": self.images,
            "pixel_counts": {name: int(n) for name, n in zip(self.class_names, self.pixels)},
            "sheet_counts": {name: int(n) for name, n in zip(self.class_names, self.sheets)},
            "ignored_pixels": self.ignored_pixels,
        }

    def table(self) -> str:
        """A plain-text table of the classes that occur: pixels, % of scored pixels, sheets."""
        names = self.class_names
        width = max(len(name) for name in names)
        total = max(self.scored_pixels, 1)
        lines = [f"{'id':>3}  {'class':<{width}}  {'pixels':>12}  {'% scored':>8}  {'sheets':>6}"]
        for i, name in enumerate(names):
            if self.pixels[i] == 0:
                continue
            share = 100.0 * self.pixels[i] / total
            lines.append(f"{i:>3}  {name:<{width}}  {self.pixels[i]:>12}  {share:>8.3f}  {self.sheets[i]:>6}")
        absent = [name for name, n in zip(names[1:], self.pixels[1:]) if n == 0]
        all_pixels = self.scored_pixels + self.ignored_pixels
        ignored_share = 100.0 * self.ignored_pixels / max(all_pixels, 1)
        lines.append(
            f"{self.images} sheets, {all_pixels} pixels: {self.scored_pixels} scored, "
            f"{self.ignored_pixels} ignored ({ignored_share:.2f}%)"
        )
        lines.append(f"{len(absent)} of {len(names) - 1} symbol classes absent")
        return "\n".join(lines)


def check_dataset(root: str | os.PathLike[str], *, progress: bool = False) -> ClassFrequencies:
    """Read every image and mask of the dataset at ``root``; raise on the first problem.

    Checks what :class:`~schemseg_sdk.dataset.SegmentationDataset` checks: ``dataset.json`` class
    names, a readable image, a readable single-channel mask of the same size, ids of its classes or 255.

    Raises:
        DatasetError: naming the file and the problem.
    """
    dataset = SegmentationDataset(root)
    freqs = ClassFrequencies(dataset.class_names)
    for index in tqdm(range(len(dataset)), desc="check", unit="sheet", disable=not progress):
        _, mask = dataset[index]
        freqs.add(mask)
    return freqs
