"""The dataset format: ``images/NAME.png`` + ``masks/NAME.png`` (uint8 class ids) + ``dataset.json``.

Optional ``boxes/NAME.json`` hold every true symbol's class and box (:mod:`schemseg_sdk.boxes`);
the symbol-level evaluation needs them.

Used by training, evaluation, calibration, the accuracy gate and the benchmark. Masks may hold
:data:`~schemseg_sdk.classes.IGNORE_INDEX` (255) for pixels that are not scored. ``dataset.json``
``class_names`` is the dataset's class list (mask id ``i`` is ``class_names[i]``); without it the
dataset has the reference model's 41 classes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .boxes import SheetBoxes, read_boxes
from .classes import CLASS_NAMES, IGNORE_INDEX, class_difference, class_list_problem
from .errors import DatasetError, InvalidInputError
from .fileio import read_json_object
from .imageio import read_image, read_mask

__all__ = ["SegmentationDataset", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class SegmentationDataset:
    """A folder of images and masks; items are ``(image BGR uint8, mask uint8)`` pairs.

    >>> ds = SegmentationDataset("data/val")  # doctest: +SKIP
    >>> image, mask = ds[0]  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike[str], require_masks: bool = True) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: not a dataset folder (expected a directory with images/ and masks/)")
        images_dir = self.root / "images"
        if not images_dir.is_dir():
            raise DatasetError(f"{self.root}: no images/ folder; a dataset holds images/ and masks/")
        self.image_paths = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.image_paths:
            raise DatasetError(f"{images_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
        self.masks_dir = self.root / "masks"
        if require_masks and not self.masks_dir.is_dir():
            raise DatasetError(f"{self.root}: no masks/ folder")
        self.has_masks = self.masks_dir.is_dir()
        self.boxes_dir = self.root / "boxes"
        self.metadata = self._read_metadata()
        names = self.metadata.get("class_names", list(CLASS_NAMES))
        problem = class_list_problem(names)
        if problem:
            raise DatasetError(
                f"{self.root / 'dataset.json'}: class_names {problem}; "
                "re-import the data with 'schemseg data import-labelme --map'"
            )
        self.class_names: tuple[str, ...] = tuple(names)  # type: ignore[arg-type]  # names came from JSON; checked to be strings just above

    def require_classes(self, class_names: tuple[str, ...], user: str) -> None:
        """Raise :class:`DatasetError` unless ``user`` (e.g. ``"model reference.onnx"``) has this dataset's class list."""
        difference = class_difference(self.class_names, tuple(class_names), "the dataset", user)
        if difference:
            raise DatasetError(
                f"{self.root}: the dataset's {len(self.class_names)} classes differ from the "
                f"{len(class_names)} of {user} ({difference}); both need the same list in the same order: "
                "import the data with a map of those classes, or adapt a model to the data's classes with "
                "'schemseg train --init'"
            )

    def __len__(self) -> int:
        return len(self.image_paths)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for i in range(len(self)):
            yield self[i]

    def mask_path(self, index: int) -> Path:
        return self.masks_dir / (self.image_paths[index].stem + ".png")

    def boxes_path(self, index: int) -> Path:
        return self.boxes_dir / (self.image_paths[index].stem + ".json")

    @property
    def has_boxes(self) -> bool:
        """True when the dataset records its symbols' boxes (``boxes/``)."""
        return self.boxes_dir.is_dir()

    def read_boxes(self, index: int) -> SheetBoxes:
        """The true symbols of item ``index`` (class id and box each).

        Raises:
            DatasetError: no ``boxes/NAME.json`` for this sheet, or a malformed one.
        """
        path = self.boxes_path(index)
        if not path.is_file():
            raise DatasetError(
                f"{path}: missing symbol boxes for {self.image_paths[index].name}; regenerate the dataset with "
                "'schemseg synth' or 'schemseg data import-labelme' (both write boxes/)"
            )
        return read_boxes(path, len(self.class_names))

    def read_image(self, index: int) -> np.ndarray:
        try:
            return read_image(self.image_paths[index])
        except InvalidInputError as exc:
            raise DatasetError(str(exc)) from None

    def read_mask(self, index: int, shape: tuple[int, int] | None = None) -> np.ndarray:
        """Read and validate the mask of item ``index`` (size ``shape`` if given, class ids or 255)."""
        path = self.mask_path(index)
        if not path.is_file():
            raise DatasetError(f"{path}: missing mask for {self.image_paths[index].name}")
        try:
            mask = read_mask(path)
        except InvalidInputError as exc:
            raise DatasetError(str(exc)) from None
        if shape is not None and mask.shape != shape:
            raise DatasetError(
                f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but its image is {shape[1]}x{shape[0]}"
            )
        last = len(self.class_names) - 1
        bad = (mask > last) & (mask != IGNORE_INDEX)
        if bad.any():
            raise DatasetError(
                f"{path}: class id {int(mask[bad].max())} above {last} "
                f"(the dataset has {last + 1} classes: only 0..{last} and {IGNORE_INDEX}=ignore are allowed)"
            )
        return mask

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        image = self.read_image(index)
        return image, self.read_mask(index, image.shape[:2])

    def _read_metadata(self) -> dict[str, object]:
        path = self.root / "dataset.json"
        if not path.is_file():
            return {}
        return read_json_object(path, "dataset.json", DatasetError)
