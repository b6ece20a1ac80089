"""Training inputs: sheets from a dataset folder or rendered on the fly, cut into augmented crops."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.dataset import SegmentationDataset

from .augment import AugmentConfig, augment_crop

__all__ = ["SheetSource", "FolderSheets", "SyntheticSheets", "MixedSheets", "CropDataset", "EpochSampler"]


class SheetSource:
    """``len(source)`` sheets; ``source.sheet(i)`` returns ``(image BGR uint8, mask uint8)``.

    Mask ids index ``source.class_names``.
    """

    class_names: tuple[str, ...] = CLASS_NAMES

    def __len__(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def sheet(self, index: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError

    def set_epoch(self, epoch: int) -> None:
        """Sources whose item ``i`` depends on the epoch (mixtures) override this."""


class FolderSheets(SheetSource):
    """Sheets of a dataset folder (``images/`` + ``masks/``)."""

    def __init__(self, root: str | Path) -> None:
        self.dataset = SegmentationDataset(root)
        self.class_names = self.dataset.class_names

    def __len__(self) -> int:
        return len(self.dataset)

    def sheet(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.dataset[index]


class SyntheticSheets(SheetSource):
    """``count`` synthetic sheets rendered on demand from ``seed`` (no dataset folder needed)."""

    def __init__(self, count: int, seed: int, size: int = 600) -> None:
        self.count, self.seed, self.size = count, seed, size

    def __len__(self) -> int:
        return self.count

    def sheet(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        from .synth import render_sheet

        rendered = render_sheet(_mix(self.seed, index), self.size)
        return rendered.image, rendered.mask


class MixedSheets(SheetSource):
    """Several sources drawn in proportion to their weights; ``len`` = the sum of their sizes.

    Each epoch gives source ``s`` about ``len * w_s / sum(w)`` of the slots and fills them by walking
    through the source in seeded shuffled rounds, so over the epochs every sheet of a source comes up
    equally often, whatever its share. Item ``i`` of an epoch is reproducible from ``(seed, epoch, i)``.

    >>> mix = MixedSheets([SyntheticSheets(6, 0), SyntheticSheets(2, 1)], [1.0, 3.0], seed=0)
    >>> len(mix), [int(n) for n in mix.slots]
    (8, [2, 6])
    """

    def __init__(self, sources: list[SheetSource], weights: list[float], seed: int) -> None:
        if not sources or len(sources) != len(weights) or min(weights) <= 0:
            raise ValueError("MixedSheets needs one positive weight per source")
        self.sources, self.seed = sources, seed
        self.class_names = sources[0].class_names  # the caller checks that every source has the same list
        self.length = sum(len(s) for s in sources)
        share = np.asarray(weights, float) / sum(weights) * self.length
        slots = np.floor(share).astype(int)
        slots[np.argsort(share - slots)[::-1][: self.length - slots.sum()]] += 1  # largest remainders
        self.slots = slots
        self.set_epoch(0)

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        # ordered by source: the EpochSampler already draws the items of an epoch in a seeded order
        self.table = [(s, local) for s, count in enumerate(self.slots) for local in self._walk(s, epoch * count, count)]

    def _walk(self, source: int, start: int, count: int) -> list[int]:
        """Items ``start .. start + count`` of source ``source``'s endless sequence of shuffled rounds."""
        size = len(self.sources[source])
        picked: list[int] = []
        for position in range(start, start + count):
            round_, offset = divmod(position, size)
            if offset == 0 or not picked:
                order = np.random.default_rng([self.seed, source, round_, 13]).permutation(size)
            picked.append(int(order[offset]))
        return picked

    def sheet(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        source, local = self.table[index]
        return self.sources[source].sheet(local)


class CropDataset(Dataset):
    """Item ``i`` of epoch ``e`` is an augmented crop of sheet ``i``, reproducible from ``(seed, e, i)``."""

    def __init__(
        self, source: SheetSource, crop_size: int, seed: int, augment: AugmentConfig = AugmentConfig()
    ) -> None:
        if crop_size % 32:
            raise ValueError(f"crop size {crop_size} must be divisible by 32")
        self.source, self.crop_size, self.seed, self.augment = source, crop_size, seed, augment
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.source.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, mask = self.source.sheet(index)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        image, mask = augment_crop(image, mask, self.crop_size, rng, self.augment)
        return torch.from_numpy(np.ascontiguousarray(image)), torch.from_numpy(mask.astype(np.int64))


class EpochSampler(Sampler[int]):
    """A seeded permutation per epoch that can start part-way (for resuming mid-epoch)."""

    def __init__(self, length: int, seed: int) -> None:
        self.length, self.seed = length, seed
        self.epoch, self.start = 0, 0

    def set_position(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def __iter__(self) -> Iterator[int]:
        order = np.random.default_rng([self.seed, self.epoch, 7]).permutation(self.length)
        return iter(order[self.start :].tolist())

    def __len__(self) -> int:
        return self.length - self.start


def steps_per_epoch(num_sheets: int, batch: int) -> int:
    return max(1, math.floor(num_sheets / batch))


def _mix(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
