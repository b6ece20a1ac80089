"""LabelMe annotations -> a schemseg dataset (``images/``, ``masks/``, ``dataset.json``).

How shapes become masks is the painting rule of :mod:`.paint`. Real annotation folders have
problems (unmapped labels, missing images, annotations drawn on a resized copy of the image): the
import keeps every good file, rescales annotations whose image was resized with the same aspect
ratio, and reports every skipped file at the end instead of stopping at the first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from schemseg_sdk.classes import BACKGROUND, CLASS_NAMES, class_list_problem
from schemseg_sdk.dataset import IMAGE_SUFFIXES
from schemseg_sdk.errors import DatasetError, InvalidInputError
from schemseg_sdk.fileio import atomic_write_text, read_json_object
from schemseg_sdk.imageio import read_image

from .check import ClassFrequencies
from .labelme_boxes import write_shape_boxes
from .outdir import building_dataset
from .paint import ImportSettings, paint_mask
from .shapes import LabelMap, Shape

__all__ = [
    "BUNDLED_MAPS_DIR",
    "LabelMap",
    "Shape",
    "Annotation",
    "ImportReport",
    "ImportSettings",
    "load_label_map",
    "read_annotation",
    "paint_mask",
    "import_labelme",
]

BUNDLED_MAPS_DIR = Path(__file__).parent / "maps"


@dataclass(frozen=True)
class Annotation:
    """One LabelMe file: the image it annotates and its shapes."""

    json_path: Path
    image_path: Path
    shapes: list[Shape]
    size: tuple[int, int] | None  # (height, width) the annotation claims, when it says

    def fit_to(self, image: np.ndarray) -> Annotation:
        """This annotation in ``image``'s pixels: rescaled if it was drawn on a resized copy.

        Raises:
            DatasetError: the annotated size has another aspect ratio than the image (more than 1%).
        """
        if self.size is None or image.shape[:2] == self.size:
            return self
        (height, width), (ann_h, ann_w) = image.shape[:2], self.size
        scale_x, scale_y = width / max(ann_w, 1), height / max(ann_h, 1)
        if abs(scale_x / scale_y - 1) > 0.01:
            raise DatasetError(
                f"{self.json_path}: {self.image_path.name} is {width}x{height} but the annotation was drawn on "
                f"{ann_w}x{ann_h} (imageWidth x imageHeight), another aspect ratio; re-annotate or fix the image"
            )
        factor = np.array([scale_x, scale_y])
        shapes = [Shape(s.label, s.kind, s.points * factor) for s in self.shapes]
        return Annotation(self.json_path, self.image_path, shapes, (height, width))


@dataclass
class ImportReport:
    """What an import did: class frequencies of the written masks, skipped and rescaled files."""

    frequencies: ClassFrequencies
    skipped: list[str] = field(default_factory=list)  # one "path: reason" line per skipped file
    rescaled: list[str] = field(default_factory=list)  # JSON files whose shapes were rescaled

    @property
    def written(self) -> int:
        return self.frequencies.images


def load_label_map(spec: str) -> LabelMap:
    """Load a label map from a JSON file, or the bundled map called ``spec`` (e.g. ``"ci2n"``).

    Two forms. ``{label: class name | null}`` maps LabelMe labels to the reference model's classes
    (:data:`~schemseg_sdk.classes.CLASS_NAMES`); ``null`` means "ignore this label's pixels".
    ``{"classes": [name, ...], "labels": {label: class name | null}}`` defines the dataset's own
    class list: ``background`` then ``classes`` in order (without ``"classes"``: the distinct
    values of ``labels`` in order of appearance).

    >>> load_label_map("ci2n").class_ids["gnd"]
    9
    """
    path = _label_map_path(spec)
    data = read_json_object(path, "label map", InvalidInputError, "a JSON object {label: class name or null}")
    own = isinstance(data.get("labels"), dict)
    labels, class_names = (data["labels"], _own_class_names(path, data)) if own else (data, CLASS_NAMES)
    index = {name: i for i, name in enumerate(class_names)}
    class_ids: dict[str, int | None] = {}
    for label, value in labels.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(f"{path}: label {label!r} maps to {value!r}; expected a class name or null")
        if value is not None and value not in index:
            hint = (
                '; add it to "classes"'
                if own
                else '; for classes of your own write the map as {"classes": [...], "labels": {...}}'
            )
            raise InvalidInputError(
                f"{path}: label {label!r} maps to unknown class name {value!r}; expected one of: "
                f"{', '.join(class_names[1:])}, or null to ignore it{hint}"
            )
        class_ids[label] = None if value is None else index[value]
    return LabelMap(spec, class_ids, tuple(class_names))


def _label_map_path(spec: str) -> Path:
    path = Path(spec)
    if path.is_file():
        return path
    bundled = BUNDLED_MAPS_DIR / f"{spec}.json"
    if os.sep in spec or not bundled.is_file():
        names = ", ".join(sorted(p.stem for p in BUNDLED_MAPS_DIR.glob("*.json")))
        raise InvalidInputError(
            f"--map {spec!r}: no such file and no bundled map of that name "
            f"(bundled: {names}); pass a JSON file mapping LabelMe labels to class names"
        )
    return bundled


def _own_class_names(path: Path, data: dict[str, object]) -> tuple[str, ...]:
    """``background`` + the map's ``"classes"`` (or the distinct label values in order)."""
    labels: dict[str, object] = data["labels"]  # type: ignore[assignment]
    classes = data.get("classes")
    if classes is None:
        classes = list(dict.fromkeys(v for v in labels.values() if v is not None and v != BACKGROUND))
    names = [BACKGROUND, *classes] if isinstance(classes, list) else classes
    problem = class_list_problem(names)
    if problem:
        raise InvalidInputError(
            f'{path}: "classes" (with {BACKGROUND!r} first) {problem}; list your class names, '
            f'e.g. {{"classes": ["valve", "pump"], "labels": {{"v": "valve", "p": "pump"}}}}'
        )
    return tuple(names)  # type: ignore[arg-type]


def read_annotation(json_path: Path) -> Annotation:
    """Read one LabelMe file: its shapes, and the image it annotates (``imagePath`` or ``NAME.png`` beside it)."""
    data = read_json_object(
        json_path, "LabelMe JSON", DatasetError, "a LabelMe annotation (an object with a 'shapes' list)"
    )
    if not isinstance(data.get("shapes"), list):
        raise DatasetError(f"{json_path}: not a LabelMe annotation (expected an object with a 'shapes' list)")
    shapes = [_parse_shape(json_path, i, raw) for i, raw in enumerate(data["shapes"])]
    height, width = data.get("imageHeight"), data.get("imageWidth")
    size = (height, width) if isinstance(height, int) and isinstance(width, int) else None
    return Annotation(json_path, _find_image(json_path, data.get("imagePath")), shapes, size)


def import_labelme(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    settings: ImportSettings,
    *,
    progress: bool = False,
) -> ImportReport:
    """Turn every ``*.json`` LabelMe file in ``src`` into ``out/images``, ``out/masks``, ``out/dataset.json``.

    A bad file (unreadable JSON, missing image, unmapped label, another aspect ratio...) is skipped
    and reported in :attr:`ImportReport.skipped` and ``dataset.json``; the others are written. The
    dataset is built in a temporary folder beside ``out`` and renamed onto it at the end, so an
    interrupted import leaves nothing behind. ``out`` must not exist or be empty.

    Raises:
        DatasetError: no file could be imported (every problem is in the message), or ``out`` is in use.
    """
    src_dir, out_dir = Path(src), Path(out)
    json_paths = sorted(src_dir.glob("*.json")) if src_dir.is_dir() else []
    if not json_paths:
        raise DatasetError(f"{src_dir}: no LabelMe *.json files found")
    with building_dataset(out_dir) as work:
        report = _convert_all(json_paths, work, settings, progress)
        if not report.written:
            problems = report.skipped
            raise DatasetError(
                problems[0]
                if len(problems) == 1
                else (
                    f"{src_dir}: none of the {len(problems)} LabelMe files could be imported:\n  "
                    + "\n  ".join(problems)
                )
            )
        atomic_write_text(work / "dataset.json", json.dumps(_metadata(src_dir, settings, report), indent=2) + "\n")
    return report


def _metadata(src_dir: Path, settings: ImportSettings, report: ImportReport) -> dict[str, object]:
    return {
        "class_names": list(settings.label_map.class_names),
        "source": str(src_dir.resolve()),
        "importer": "schemseg data import-labelme",
        "map": settings.label_map.name,
        "label_map": {
            k: (None if v is None else settings.label_map.class_names[v])
            for k, v in settings.label_map.class_ids.items()
        },
        "dark_threshold": settings.dark_threshold,
        "score_dark_only": settings.score_dark_only,
        "unboxed_text": settings.unboxed_text,
        "skipped": report.skipped,
        "rescaled": report.rescaled,
        **report.frequencies.to_dict(),
    }


def _convert_all(json_paths: list[Path], work: Path, settings: ImportSettings, progress: bool) -> ImportReport:
    (work / "images").mkdir()
    (work / "masks").mkdir()
    (work / "boxes").mkdir()
    report = ImportReport(ClassFrequencies(settings.label_map.class_names))
    for json_path in tqdm(json_paths, desc="import", unit="file", disable=not progress):
        try:
            image, mask, annotation, rescaled = _convert_one(json_path, settings)
        except DatasetError as exc:
            report.skipped.append(str(exc))
            continue
        _write_png(work / "images" / f"{json_path.stem}.png", image)
        _write_png(work / "masks" / f"{json_path.stem}.png", mask)
        write_shape_boxes(work / "boxes" / f"{json_path.stem}.json", mask, annotation.shapes, settings.label_map)
        report.frequencies.add(mask)
        if rescaled:
            report.rescaled.append(str(json_path))
    return report


def _convert_one(json_path: Path, settings: ImportSettings) -> tuple[np.ndarray, np.ndarray, Annotation, bool]:
    """Image, mask, the annotation in the image's pixels, and whether it had to be rescaled."""
    annotation = read_annotation(json_path)
    try:
        image = read_image(annotation.image_path)
    except InvalidInputError as exc:
        raise DatasetError(f"{json_path}: {exc}") from None
    fitted = annotation.fit_to(image)
    return image, paint_mask(image, fitted.shapes, settings, str(json_path)), fitted, fitted is not annotation


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


def _write_png(path: Path, array: np.ndarray) -> None:
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise DatasetError(f"{path}: PNG encoding failed")
    path.write_bytes(encoded.tobytes())
