"""LabelMe annotations -> a schemseg dataset (``images/``, ``masks/``, ``dataset.json``).

Painting rule (the real-drawing scoring protocol): shapes are painted largest first, so a smaller
shape overwrites a larger one. A ``rectangle`` gives its class to the dark ink inside it (gray below
the threshold) and background to the paper; a ``polygon`` gives its class to its whole area; a
shape whose label maps to ``null`` marks its area IGNORE_INDEX. Dark pixels outside every shape
stay background. With ``score_dark_only`` every pixel that is not dark becomes IGNORE_INDEX.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from schemseg_sdk.classes import CLASS_NAMES, IGNORE_INDEX, class_index
from schemseg_sdk.dataset import IMAGE_SUFFIXES
from schemseg_sdk.errors import DatasetError, InvalidInputError
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.imageio import read_image
from tqdm import tqdm

from .check import ClassFrequencies
from .labelme_boxes import write_shape_boxes

__all__ = [
    "BUNDLED_MAPS_DIR",
    "LabelMap",
    "Shape",
    "Annotation",
    "ImportSettings",
    "load_label_map",
    "read_annotation",
    "paint_mask",
    "import_labelme",
]

BUNDLED_MAPS_DIR = Path(__file__).parent / "maps"

ShapeKind = Literal["rectangle", "polygon"]


@dataclass(frozen=True)
class LabelMap:
    """LabelMe label -> class id, or None for "ignore the pixels of this label"."""

    name: str  # the bundled name or the file path, as given
    class_ids: dict[str, int | None]


@dataclass(frozen=True)
class Shape:
    """One LabelMe shape: a rectangle (two corners) or a polygon (three or more vertices)."""

    label: str
    kind: ShapeKind
    points: np.ndarray  # float (N, 2) of x, y in image pixels

    @property
    def area(self) -> float:
        if self.kind == "rectangle":
            (x0, y0), (x1, y1) = self.points
            return abs(float(x1 - x0) * float(y1 - y0))
        x, y = self.points[:, 0], self.points[:, 1]
        return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


@dataclass(frozen=True)
class Annotation:
    """One LabelMe file: the image it annotates and its shapes."""

    json_path: Path
    image_path: Path
    shapes: list[Shape]
    size: tuple[int, int] | None  # (height, width) the annotation claims, when it says

    def check_size(self, image: np.ndarray) -> None:
        if self.size is not None and image.shape[:2] != self.size:
            raise DatasetError(
                f"{self.json_path}: {self.image_path.name} is {image.shape[1]}x{image.shape[0]} but the annotation "
                f"was drawn on {self.size[1]}x{self.size[0]} (imageWidth x imageHeight); re-annotate or fix the image"
            )


@dataclass(frozen=True)
class ImportSettings:
    """How shapes become class ids (see the module docstring)."""

    label_map: LabelMap
    dark_threshold: int = 128
    score_dark_only: bool = False


def load_label_map(spec: str) -> LabelMap:
    """Load a label map from a JSON file, or the bundled map called ``spec`` (e.g. ``"ci2n"``).

    The JSON object maps each LabelMe label to a schemseg class name or to ``null`` (ignore).

    >>> load_label_map("ci2n").class_ids["gnd"]
    9
    """
    path = Path(spec)
    if not path.is_file():
        bundled = BUNDLED_MAPS_DIR / f"{spec}.json"
        if os.sep in spec or not bundled.is_file():
            names = ", ".join(sorted(p.stem for p in BUNDLED_MAPS_DIR.glob("*.json")))
            raise InvalidInputError(
                f"--map {spec!r}: no such file and no bundled map of that name "
                f"(bundled: {names}); pass a JSON file mapping LabelMe labels to class names"
            )
        path = bundled
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path}: unreadable label map ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path}: a label map must be a JSON object {{label: class name or null}}")
    class_ids: dict[str, int | None] = {}
    for label, value in data.items():
        if value is None:
            class_ids[label] = None
            continue
        if not isinstance(value, str):
            raise InvalidInputError(f"{path}: label {label!r} maps to {value!r}; expected a class name or null")
        try:
            class_ids[label] = class_index(value)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{path}: label {label!r} maps to {exc}, or null to ignore it") from None
    return LabelMap(spec, class_ids)


def read_annotation(json_path: Path) -> Annotation:
    """Read one LabelMe file: its shapes, and the image it annotates (``imagePath`` or ``NAME.png`` beside it)."""
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{json_path}: unreadable LabelMe JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
        raise DatasetError(f"{json_path}: not a LabelMe annotation (expected an object with a 'shapes' list)")
    shapes = [_parse_shape(json_path, i, raw) for i, raw in enumerate(data["shapes"])]
    height, width = data.get("imageHeight"), data.get("imageWidth")
    size = (height, width) if isinstance(height, int) and isinstance(width, int) else None
    return Annotation(json_path, _find_image(json_path, data.get("imagePath")), shapes, size)


def paint_mask(image: np.ndarray, shapes: list[Shape], settings: ImportSettings, source: str) -> np.ndarray:
    """Return the uint8 class-id mask of ``image`` (BGR) for ``shapes`` (see the module rule).

    Raises:
        DatasetError: a label the map does not know, naming ``source`` and the label.
    """
    dark = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) < settings.dark_threshold
    mask = np.zeros(dark.shape, np.uint8)
    for shape in sorted(shapes, key=lambda s: -s.area):  # stable: equal areas keep file order
        if shape.label not in settings.label_map.class_ids:
            raise DatasetError(
                f"{source}: label {shape.label!r} is not in the label map {settings.label_map.name!r}; "
                "--map must map it to a schemseg class name or to null (ignore)"
            )
        class_id = settings.label_map.class_ids[shape.label]
        region = _region(shape, dark.shape)
        if class_id is None:
            mask[region] = IGNORE_INDEX
        elif shape.kind == "rectangle":
            mask[region] = np.where(dark[region], np.uint8(class_id), np.uint8(0))
        else:
            mask[region] = class_id
    if settings.score_dark_only:
        mask[~dark] = IGNORE_INDEX
    return mask


def import_labelme(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    settings: ImportSettings,
    *,
    progress: bool = False,
) -> ClassFrequencies:
    """Turn every ``*.json`` LabelMe file in ``src`` into ``out/images``, ``out/masks``, ``out/dataset.json``.

    The dataset is built in a temporary folder beside ``out`` and renamed onto it at the end, so a
    failed import leaves nothing behind. ``out`` must not exist or be empty.

    Raises:
        DatasetError: the first bad file (unreadable JSON, missing image, unmapped label...).
    """
    src_dir, out_dir = Path(src), Path(out)
    json_paths = sorted(src_dir.glob("*.json")) if src_dir.is_dir() else []
    if not json_paths:
        raise DatasetError(f"{src_dir}: no LabelMe *.json files found")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise DatasetError(f"{out_dir}: already exists and is not empty; choose a new --out folder or delete it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        freqs = _convert_all(json_paths, work, settings, progress)
        metadata = {
            "class_names": list(CLASS_NAMES),
            "source": str(src_dir.resolve()),
            "importer": "schemseg data import-labelme",
            "map": settings.label_map.name,
            "label_map": {k: (None if v is None else CLASS_NAMES[v]) for k, v in settings.label_map.class_ids.items()},
            "dark_threshold": settings.dark_threshold,
            "score_dark_only": settings.score_dark_only,
            **freqs.to_dict(),
        }
        atomic_write_text(work / "dataset.json", json.dumps(metadata, indent=2) + "\n")
        if out_dir.exists():
            out_dir.rmdir()
        work.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return freqs


def _convert_all(json_paths: list[Path], work: Path, settings: ImportSettings, progress: bool) -> ClassFrequencies:
    (work / "images").mkdir()
    (work / "masks").mkdir()
    (work / "boxes").mkdir()
    freqs = ClassFrequencies()
    for json_path in tqdm(json_paths, desc="import", unit="file", disable=not progress):
        annotation = read_annotation(json_path)
        try:
            image = read_image(annotation.image_path)
        except InvalidInputError as exc:
            raise DatasetError(f"{json_path}: {exc}") from None
        annotation.check_size(image)
        mask = paint_mask(image, annotation.shapes, settings, str(json_path))
        _write_png(work / "images" / f"{json_path.stem}.png", image)
        _write_png(work / "masks" / f"{json_path.stem}.png", mask)
        write_shape_boxes(work / "boxes" / f"{json_path.stem}.json", mask, annotation.shapes,
                          settings.label_map.class_ids)
        freqs.add(mask)
    return freqs


def _parse_shape(json_path: Path, index: int, raw: object) -> Shape:
    if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
        raise DatasetError(f"{json_path}: shape {index}: expected an object with a string 'label'")
    where = f"{json_path}: shape {index} ({raw['label']!r})"
    kind = raw.get("shape_type") or "polygon"  # old LabelMe versions write null for polygons
    if kind not in ("rectangle", "polygon"):
        raise DatasetError(f"{where}: shape_type {kind!r} is not supported; use rectangle or polygon")
    try:
        points = np.asarray(raw.get("points"), dtype=np.float64)
    except (TypeError, ValueError):
        points = np.zeros((0,))
    count_ok = len(points) == 2 if kind == "rectangle" else len(points) >= 3
    if points.ndim != 2 or points.shape[1] != 2 or not count_ok:
        needed = "2" if kind == "rectangle" else "at least 3"
        raise DatasetError(f"{where}: a {kind} needs {needed} [x, y] points, got {raw.get('points')!r}")
    if not np.isfinite(points).all():
        raise DatasetError(f"{where}: points contain NaN or infinity")
    return Shape(raw["label"], kind, points)


def _find_image(json_path: Path, image_path: object) -> Path:
    candidates = [json_path.parent / image_path] if isinstance(image_path, str) and image_path else []
    candidates += [json_path.with_suffix(suffix) for suffix in IMAGE_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DatasetError(
        f"{json_path}: image not found (imagePath {image_path!r}, nor {json_path.stem}.png/.jpg... beside it)"
    )


def _region(shape: Shape, size: tuple[int, int]) -> tuple[slice, slice] | np.ndarray:
    """Pixels covered by ``shape``, clipped to the image; corners are rounded and included."""
    height, width = size
    if shape.kind == "rectangle":
        (x0, x1), (y0, y1) = np.sort(np.rint(shape.points).astype(np.int64), axis=0).T
        return slice(max(y0, 0), max(min(y1 + 1, height), 0)), slice(max(x0, 0), max(min(x1 + 1, width), 0))
    fill = np.zeros(size, np.uint8)
    points = np.clip(np.rint(shape.points), -(2**20), 2**20)  # far outside is still outside; no int32 overflow
    cv2.fillPoly(fill, [points.astype(np.int32)], 1)
    return fill.astype(bool)


def _write_png(path: Path, array: np.ndarray) -> None:
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise DatasetError(f"{path}: PNG encoding failed")
    path.write_bytes(encoded.tobytes())
