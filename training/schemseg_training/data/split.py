"""Splitting a dataset folder into a training and a validation folder (hard links, no copies)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.errors import DatasetError
from schemseg_sdk.fileio import atomic_write_text

__all__ = ["split_dataset", "subset_dataset"]


def split_dataset(
    root: str | os.PathLike[str],
    train_out: str | os.PathLike[str],
    val_out: str | os.PathLike[str],
    val_count: int,
    seed: int = 0,
) -> tuple[int, int]:
    """Put ``val_count`` sheets of ``root``, drawn with ``seed``, in ``val_out`` and the rest in ``train_out``.

    Files are hard-linked where the file system allows it (copied otherwise); each output gets the
    source's ``dataset.json`` with the split recorded. Returns ``(train sheets, val sheets)``.

    >>> split_dataset("data/ci2n-train-all", "data/ci2n-train", "data/ci2n-val", 100)  # doctest: +SKIP
    (1819, 100)
    """
    source = SegmentationDataset(root)
    if not 0 < val_count < len(source):
        raise DatasetError(
            f"{root}: cannot hold out {val_count} of its {len(source)} sheets; choose 1..{len(source) - 1}"
        )
    for out in (Path(train_out), Path(val_out)):
        if out.exists():
            raise DatasetError(f"{out}: already exists; choose a new folder or delete it")
    order = np.random.default_rng(seed).permutation(len(source))
    val_indices = set(order[:val_count].tolist())
    parts = {
        Path(train_out): [i for i in range(len(source)) if i not in val_indices],
        Path(val_out): sorted(val_indices),
    }
    for out, indices in parts.items():
        _write_part(source, out, indices, {"split_of": str(Path(root).resolve()), "split_seed": seed})
    return len(parts[Path(train_out)]), val_count


def subset_dataset(root: str | os.PathLike[str], out: str | os.PathLike[str], count: int, seed: int = 0) -> int:
    """Put ``count`` sheets of ``root``, drawn with ``seed``, in ``out`` (hard links); return ``count``.

    Subsets of one ``seed`` are nested: the 25 sheets of ``count=25`` are among the 100 of ``count=100``.
    """
    source = SegmentationDataset(root)
    if not 0 < count <= len(source):
        raise DatasetError(f"{root}: cannot take {count} of its {len(source)} sheets; choose 1..{len(source)}")
    if Path(out).exists():
        raise DatasetError(f"{out}: already exists; choose a new folder or delete it")
    indices = sorted(np.random.default_rng(seed).permutation(len(source))[:count].tolist())
    _write_part(source, Path(out), indices, {"subset_of": str(Path(root).resolve()), "subset_seed": seed})
    return count


def _write_part(source: SegmentationDataset, out: Path, indices: list[int], note: dict[str, object]) -> None:
    """Link the sheets' images, masks and, where the source has them, symbol boxes into ``out``."""
    has_boxes = source.boxes_dir.is_dir()
    for folder in ("images", "masks", "boxes") if has_boxes else ("images", "masks"):
        (out / folder).mkdir(parents=True)
    for index in indices:
        image = source.image_paths[index]
        _link(image, out / "images" / image.name)
        _link(source.mask_path(index), out / "masks" / source.mask_path(index).name)
        if has_boxes and source.boxes_path(index).is_file():
            _link(source.boxes_path(index), out / "boxes" / source.boxes_path(index).name)
    metadata = {**source.metadata, **note, "images": len(indices)}
    atomic_write_text(out / "dataset.json", json.dumps(metadata, indent=2) + "\n")


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
