"""`schemseg data import-labelme` and `schemseg data check` on small LabelMe folders written here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from schemseg_sdk.classes import CLASS_NAMES, IGNORE_INDEX
from schemseg_sdk.cli import main
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.errors import DatasetError
from schemseg_training.data.check import check_dataset
from schemseg_training.data.labelme import BUNDLED_MAPS_DIR

LABEL_MAP = {"resistor": "resistor", "capacitor": "capacitor", "text": None, "gnd": "ground"}
RESISTOR, CAPACITOR, GROUND = 1, 3, 9


def _rect(label: str, x0: float, y0: float, x1: float, y1: float) -> dict[str, object]:
    return {"label": label, "points": [[x0, y0], [x1, y1]], "shape_type": "rectangle"}


def _polygon(label: str, points: list[list[float]]) -> dict[str, object]:
    return {"label": label, "points": points, "shape_type": "polygon"}


SHAPES = [
    _rect("resistor", 10, 10, 40, 30),  # A, large
    _rect("capacitor", 20, 15, 30, 25),  # B, inside A: wins over A
    _rect("text", 50, 5, 70, 25),  # C, ignored label
    _rect("text", 32, 12, 38, 18),  # D, ignored label inside A: wins over A
    _polygon("gnd", [[45, 40], [75, 40], [60, 55]]),
]


def _drawing() -> np.ndarray:
    image = np.full((60, 80, 3), 255, np.uint8)
    image[20, 12:39] = 0  # through A and B
    image[10:21, 60] = 30  # inside C
    image[15, 33:38] = 0  # inside D
    image[55, 5] = 0  # outside every shape
    image[45, 55:66] = 0  # inside the polygon
    return image


def _write_labelme(
    folder: Path, name: str, image: np.ndarray, shapes: list[dict[str, object]], ext: str = ".png"
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(ext, image)
    assert ok
    (folder / f"{name}.png").write_bytes(encoded.tobytes())  # '.png' even when the bytes are JPEG
    annotation = {
        "version": "5.1.1",
        "shapes": shapes,
        "imagePath": f"elsewhere/{name}.png",
        "imageData": None,
        "imageHeight": image.shape[0],
        "imageWidth": image.shape[1],
    }
    (folder / f"{name}.json").write_text(json.dumps(annotation))


@pytest.fixture()
def labelme_dir(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    _write_labelme(src, "sheet", _drawing(), SHAPES)
    (tmp_path / "map.json").write_text(json.dumps(LABEL_MAP))
    return src


def _import(src: Path, out: Path, *extra: str, map_spec: str | None = None) -> Result:
    map_spec = map_spec or str(src.parent / "map.json")
    args = ["data", "import-labelme", str(src), "--out", str(out), "--map", map_spec, *extra]
    return CliRunner().invoke(main, args)


def _error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()[-1]


def _mask(root: Path, name: str = "sheet") -> np.ndarray:
    return cv2.imread(str(root / "masks" / f"{name}.png"), cv2.IMREAD_UNCHANGED)


def test_rectangles_paint_dark_ink_smaller_wins_and_polygons_fill(labelme_dir: Path, tmp_path: Path) -> None:
    result = _import(labelme_dir, tmp_path / "ds")
    assert result.exit_code == 0, result.output
    mask = _mask(tmp_path / "ds")
    assert mask.dtype == np.uint8 and mask.shape == (60, 80)
    assert (mask[20, 12:20] == RESISTOR).all() and (mask[20, 31:39] == RESISTOR).all()
    assert (mask[20, 20:31] == CAPACITOR).all()
    assert mask[12, 12] == 0  # paper inside a box is background
    assert (mask[5:26, 50:71] == IGNORE_INDEX).all()  # ignored label: its whole box, ink and paper
    assert (mask[12:19, 32:39] == IGNORE_INDEX).all()
    assert mask[55, 5] == 0  # ink outside every box
    assert mask[44, 60] == GROUND and mask[50, 60] == GROUND  # polygons fill, paper included
    assert mask[42, 46] == 0  # outside the triangle
    assert np.count_nonzero(mask == RESISTOR) == 16 and np.count_nonzero(mask == CAPACITOR) == 11
    image = cv2.imread(str(tmp_path / "ds" / "images" / "sheet.png"))
    assert np.array_equal(image, _drawing())


def test_boxes_keep_every_mapped_shape_tight_to_its_ink(labelme_dir: Path, tmp_path: Path) -> None:
    assert _import(labelme_dir, tmp_path / "ds", "--score-dark-only").exit_code == 0
    boxes = SegmentationDataset(tmp_path / "ds").read_boxes(0)
    assert sorted(boxes.symbols) == [
        (RESISTOR, (12, 20, 39, 21)),  # the ink inside the rectangle, not the rectangle
        (CAPACITOR, (20, 20, 31, 21)),
        (GROUND, (45, 40, 76, 56)),  # polygons keep their bounding box
    ]
    assert sorted(boxes.ignore) == [(32, 12, 39, 19), (50, 5, 71, 26)]  # ignored labels: their whole box


def test_score_dark_only_ignores_every_light_pixel(labelme_dir: Path, tmp_path: Path) -> None:
    assert _import(labelme_dir, tmp_path / "ds", "--score-dark-only").exit_code == 0
    expected = np.full((60, 80), IGNORE_INDEX, np.uint8)
    expected[20, 12:39] = RESISTOR
    expected[20, 20:31] = CAPACITOR
    expected[55, 5] = 0
    expected[45, 55:66] = GROUND
    assert np.array_equal(_mask(tmp_path / "ds"), expected)
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["class_names"] == list(CLASS_NAMES) and meta["score_dark_only"] is True
    assert meta["pixel_counts"]["resistor"] == 16 and meta["pixel_counts"]["background"] == 1
    assert meta["ignored_pixels"] == 60 * 80 - 16 - 11 - 11 - 1
    assert meta["label_map"]["text"] is None


def test_a_map_with_its_own_classes_sets_the_dataset_class_list(labelme_dir: Path, tmp_path: Path) -> None:
    own = {
        "classes": ["earth", "resistor"],
        "labels": {"resistor": "resistor", "capacitor": "resistor", "text": None, "gnd": "earth"},
    }
    (tmp_path / "map.json").write_text(json.dumps(own))
    result = _import(labelme_dir, tmp_path / "ds")
    assert result.exit_code == 0, result.output
    mask = _mask(tmp_path / "ds")
    assert mask[44, 60] == 1 and (mask[20, 12:39] == 2).all()  # earth = 1, resistor (and capacitor) = 2
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["class_names"] == ["background", "earth", "resistor"] and meta["label_map"]["gnd"] == "earth"
    assert SegmentationDataset(tmp_path / "ds").class_names == ("background", "earth", "resistor")
    assert "  earth  " in result.output and "0 of 2 symbol classes absent" in result.output


def test_own_classes_default_to_the_label_values_in_order(labelme_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(
        json.dumps({"labels": {"gnd": "earth", "resistor": "r", "capacitor": "r", "text": None}})
    )
    assert _import(labelme_dir, tmp_path / "ds").exit_code == 0
    assert SegmentationDataset(tmp_path / "ds").class_names == ("background", "earth", "r")


def test_own_classes_errors(labelme_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(json.dumps({"classes": ["earth"], "labels": {"gnd": "ground"}}))
    assert _error(_import(labelme_dir, tmp_path / "ds")) == (
        f"Error: {tmp_path / 'map.json'}: label 'gnd' maps to unknown class name 'ground'; expected one of: "
        'earth, or null to ignore it; add it to "classes"'
    )
    (tmp_path / "map.json").write_text(json.dumps({"classes": ["earth", "earth"], "labels": {"gnd": "earth"}}))
    assert _error(_import(labelme_dir, tmp_path / "ds")).startswith(
        f"Error: {tmp_path / 'map.json'}: \"classes\" (with 'background' first) repeats 'earth'; every name may "
        'appear once; list your class names, e.g. {"classes": ["valve", "pump"]'
    )


def test_dark_threshold_decides_what_is_ink(labelme_dir: Path, tmp_path: Path) -> None:
    assert _import(labelme_dir, tmp_path / "ds", "--dark-threshold", "20").exit_code == 0
    assert _import(labelme_dir, tmp_path / "ds2", "--dark-threshold", "20", "--score-dark-only").exit_code == 0
    assert _mask(tmp_path / "ds2")[15, 60] == IGNORE_INDEX  # gray 30 is paper at threshold 20


def test_jpeg_bytes_in_png_and_shapes_outside_the_image(tmp_path: Path) -> None:
    image = np.full((40, 50, 3), 255, np.uint8)
    image[5:35, 40:50] = 0
    shapes = [_rect("resistor", 38, -10, 90, 60), _polygon("gnd", [[-20, -20], [30, -20], [-20, 30]])]
    _write_labelme(tmp_path / "src", "photo", image, shapes, ext=".jpg")
    (tmp_path / "map.json").write_text(json.dumps(LABEL_MAP))
    assert (tmp_path / "src" / "photo.png").read_bytes()[:2] == b"\xff\xd8"
    result = _import(tmp_path / "src", tmp_path / "ds")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ds" / "images" / "photo.png").read_bytes()[:4] == b"\x89PNG"
    mask = _mask(tmp_path / "ds", "photo")
    assert mask.shape == (40, 50)
    assert (mask[10:30, 42:48] == RESISTOR).all() and mask[2, 2] == GROUND and mask[20, 20] == 0


def test_bundled_ci2n_map_covers_every_label_of_the_real_drawings(ci2n_dir: Path) -> None:
    label_map = json.loads((BUNDLED_MAPS_DIR / "ci2n.json").read_text())
    labels = {s["label"] for p in ci2n_dir.glob("*.json") for s in json.loads(p.read_text())["shapes"]}
    assert labels <= set(label_map)
    ignored = {label for label, name in label_map.items() if name is None}
    assert ignored == {"single-input-single-end-amp", "voltage-lines", "antenna"}
    assert label_map["resistor2"] == label_map["resistor2_3"] == "resistor_iec"
    assert label_map["diff-amp"] == label_map["single-end-amp"] == "opamp"
    assert label_map["port"] == "terminal" and label_map["cross-line-curved"] == "crossover"
    assert label_map["switch-3"] == "switch" and label_map["inductor-3"] == "inductor"


def test_scoring_map_is_the_source_protocol(ci2n_dir: Path) -> None:
    """``ci2n-scoring`` maps exactly the labels that SOURCE.md scores; everything else is ignored."""
    scoring = json.loads((BUNDLED_MAPS_DIR / "ci2n-scoring.json").read_text())
    training = json.loads((BUNDLED_MAPS_DIR / "ci2n.json").read_text())
    assert set(scoring) == set(training)
    mapped = {label for label, name in scoring.items() if name is not None}
    assert {label for label, name in training.items() if name is not None} - mapped == {
        "single-end-amp",
        "resistor2_3",
        "capacitor-3",
        "inductor-3",
        "switch-3",
    }
    assert all(scoring[label] == training[label] for label in mapped)
    protocol = (ci2n_dir / "SOURCE.md").read_text()
    assert "single-end-amp" not in protocol.split("Label mapping:")[1]


def test_three_real_drawings_import_as_a_valid_dataset(ci2n_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("0", "17", "42"):
        for ext in (".json", ".png"):
            shutil.copy(ci2n_dir / f"{name}{ext}", src / f"{name}{ext}")
    result = _import(src, tmp_path / "ds", "--score-dark-only", map_spec="ci2n")
    assert result.exit_code == 0, result.output
    freqs = check_dataset(tmp_path / "ds")
    assert freqs.images == 3 and freqs.ignored_pixels > 0 and freqs.pixels[1:].sum() > 0
    for image, mask in SegmentationDataset(tmp_path / "ds"):
        light = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) >= 128
        assert (mask[light] == IGNORE_INDEX).all()


# --- import errors: one line naming the file and the problem ---------------------------------


def test_bad_files_are_skipped_listed_and_the_good_ones_kept(labelme_dir: Path, tmp_path: Path) -> None:
    (labelme_dir / "bad.json").write_text("{not json")
    _write_labelme(labelme_dir, "other", _drawing(), [_rect("antenna", 1, 1, 5, 5)])
    try:
        json.loads("{not json")
    except ValueError as exc:
        reason = str(exc)
    result = _import(labelme_dir, tmp_path / "ds")
    assert _error(result) == (
        f"Error: 2 of 3 LabelMe files skipped (listed above, and in {tmp_path / 'ds' / 'dataset.json'}); "
        f"{tmp_path / 'ds'} holds the other 1"
    )
    problems = [
        f"{labelme_dir / 'bad.json'}: unreadable LabelMe JSON ({reason})",
        f"{labelme_dir / 'other.json'}: label 'antenna' is not in the label map {str(tmp_path / 'map.json')!r}; "
        "--map must map it to a schemseg class name or to null (ignore)",
    ]
    assert [f"skipped {p}" for p in problems] == result.stderr.strip().splitlines()[-3:-1]
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["skipped"] == problems
    assert sorted(p.name for p in (tmp_path / "ds" / "masks").iterdir()) == ["sheet.png"]
    assert {p.name for p in tmp_path.iterdir()} == {"src", "map.json", "ds"}  # no temporary folder left


def test_nothing_importable_writes_nothing(labelme_dir: Path, tmp_path: Path) -> None:
    (labelme_dir / "sheet.json").write_text("{not json")
    (labelme_dir / "bad.json").write_text("[]")
    result = _import(labelme_dir, tmp_path / "ds")
    assert result.exit_code == 1
    assert f"Error: {labelme_dir}: none of the 2 LabelMe files could be imported:" in result.stderr
    assert f"{labelme_dir / 'bad.json'}: holds a list, expected a LabelMe annotation" in result.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"src", "map.json"}


def test_annotation_drawn_on_a_resized_image_is_rescaled(labelme_dir: Path, tmp_path: Path) -> None:
    assert _import(labelme_dir, tmp_path / "plain").exit_code == 0
    annotation = json.loads((labelme_dir / "sheet.json").read_text())
    for shape in annotation["shapes"]:
        shape["points"] = [[2 * x, 2 * y] for x, y in shape["points"]]
    annotation.update(imageWidth=160, imageHeight=120)
    (labelme_dir / "sheet.json").write_text(json.dumps(annotation))
    result = _import(labelme_dir, tmp_path / "ds")
    assert result.exit_code == 0, result.output
    assert "rescaled the shapes of 1 files drawn on a resized image: sheet.json" in result.stdout
    np.testing.assert_array_equal(_mask(tmp_path / "ds"), _mask(tmp_path / "plain"))


def test_unboxed_text_ignore_keeps_wires_as_background(tmp_path: Path) -> None:
    image = np.full((100, 200, 3), 255, np.uint8)
    image[50, 10:190] = 0  # a wire: long, outside every shape
    image[20:25, 30:34] = 0  # a character: small, outside every shape
    image[70:76, 60:64] = 0  # a small piece of ink inside the resistor box
    _write_labelme(tmp_path / "src", "s", image, [_rect("resistor", 55, 65, 70, 80)])
    (tmp_path / "map.json").write_text(json.dumps(LABEL_MAP))
    assert _import(tmp_path / "src", tmp_path / "ds", "--unboxed-text", "ignore").exit_code == 0
    mask = _mask(tmp_path / "ds", "s")
    assert (mask[20:25, 30:34] == IGNORE_INDEX).all()
    assert (mask[50, 10:190] == 0).all() and (mask[70:76, 60:64] == RESISTOR).all()
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["unboxed_text"] == "ignore"
    assert _import(tmp_path / "src", tmp_path / "ds2").exit_code == 0  # default: text is background
    assert (_mask(tmp_path / "ds2", "s")[20:25, 30:34] == 0).all()


def test_missing_image_names_the_file(labelme_dir: Path, tmp_path: Path) -> None:
    (labelme_dir / "sheet.png").unlink()
    assert _error(_import(labelme_dir, tmp_path / "ds")) == (
        f"Error: {labelme_dir / 'sheet.json'}: image not found "
        "(imagePath 'elsewhere/sheet.png', nor sheet.png/.jpg... beside it)"
    )


def test_unmapped_label_names_label_file_and_map(labelme_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(json.dumps({"resistor": "resistor", "capacitor": "capacitor", "text": None}))
    assert _error(_import(labelme_dir, tmp_path / "ds")) == (
        f"Error: {labelme_dir / 'sheet.json'}: label 'gnd' is not in the label map {str(tmp_path / 'map.json')!r}; "
        "--map must map it to a schemseg class name or to null (ignore)"
    )


def test_map_value_that_is_not_a_class_name(labelme_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(json.dumps({"resistor": "resistr"}))
    assert _error(_import(labelme_dir, tmp_path / "ds")) == (
        f"Error: {tmp_path / 'map.json'}: label 'resistor' maps to unknown class name 'resistr'; "
        f"expected one of: {', '.join(CLASS_NAMES[1:])}, or null to ignore it; for classes of your own write "
        'the map as {"classes": [...], "labels": {...}}'
    )


def test_unknown_bundled_map_and_non_empty_out(labelme_dir: Path, tmp_path: Path) -> None:
    assert _error(_import(labelme_dir, tmp_path / "ds", map_spec="nope")) == (
        "Error: --map 'nope': no such file and no bundled map of that name (bundled: ci2n, ci2n-scoring, dexpi); "
        "pass a JSON file mapping LabelMe labels to class names"
    )
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    assert _error(_import(labelme_dir, tmp_path / "full")) == (
        f"Error: {tmp_path / 'full'}: already exists and is not empty; choose a new --out folder or delete it"
    )


def test_bad_shapes_and_size_mismatch(tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(json.dumps(LABEL_MAP))
    circle = {"label": "gnd", "points": [[1, 1], [5, 5]], "shape_type": "circle"}
    _write_labelme(tmp_path / "src", "s", _drawing(), [circle])
    assert _error(_import(tmp_path / "src", tmp_path / "ds")) == (
        f"Error: {tmp_path / 'src' / 's.json'}: shape 0 ('gnd'): shape_type 'circle' is not supported; "
        "use rectangle or polygon"
    )
    _write_labelme(tmp_path / "src", "s", _drawing(), [_polygon("gnd", [[1, 1], [5, 5]])])
    assert _error(_import(tmp_path / "src", tmp_path / "ds")) == (
        f"Error: {tmp_path / 'src' / 's.json'}: shape 0 ('gnd'): a polygon needs at least 3 [x, y] points, "
        "got [[1, 1], [5, 5]]"
    )
    _write_labelme(tmp_path / "src", "s", _drawing()[:50], SHAPES)
    annotation = json.loads((tmp_path / "src" / "s.json").read_text())
    (tmp_path / "src" / "s.json").write_text(json.dumps({**annotation, "imageHeight": 60}))
    assert _error(_import(tmp_path / "src", tmp_path / "ds")) == (
        f"Error: {tmp_path / 'src' / 's.json'}: s.png is 80x50 but the annotation was drawn on 80x60 "
        "(imageWidth x imageHeight), another aspect ratio; re-annotate or fix the image"
    )


# --- data check --------------------------------------------------------------------------------


@pytest.fixture()
def dataset(labelme_dir: Path, tmp_path: Path) -> Path:
    assert _import(labelme_dir, tmp_path / "ds", "--score-dark-only").exit_code == 0
    return tmp_path / "ds"


def _check(root: Path) -> Result:
    return CliRunner().invoke(main, ["data", "check", str(root)])


def test_check_prints_class_frequencies(dataset: Path) -> None:
    result = _check(dataset)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "class", "pixels", "%", "scored", "sheets"]
    assert lines[2].split() == ["1", "resistor", "16", "41.026", "1"]  # 16 of 39 scored pixels
    assert lines[-2] == "1 sheets, 4800 pixels: 39 scored, 4761 ignored (99.19%)"
    assert lines[-1] == "37 of 40 symbol classes absent"


def test_check_missing_mask(dataset: Path) -> None:
    (dataset / "masks" / "sheet.png").unlink()
    assert _error(_check(dataset)) == f"Error: {dataset / 'masks' / 'sheet.png'}: missing mask for sheet.png"


def test_check_unreadable_mask(dataset: Path) -> None:
    (dataset / "masks" / "sheet.png").write_bytes(b"not a png")
    path = dataset / "masks" / "sheet.png"
    assert _error(_check(dataset)) == f"Error: {path}: unreadable mask (not an image or truncated)"


def test_check_size_mismatch(dataset: Path) -> None:
    cv2.imwrite(str(dataset / "masks" / "sheet.png"), np.zeros((10, 80), np.uint8))
    path = dataset / "masks" / "sheet.png"
    assert _error(_check(dataset)) == f"Error: {path}: mask is 80x10 but its image is 80x60"


def test_check_class_id_above_40(dataset: Path) -> None:
    cv2.imwrite(str(dataset / "masks" / "sheet.png"), np.full((60, 80), 41, np.uint8))
    assert _error(_check(dataset)) == (
        f"Error: {dataset / 'masks' / 'sheet.png'}: class id 41 above 40 "
        "(the dataset has 41 classes: only 0..40 and 255=ignore are allowed)"
    )


def test_check_malformed_class_names(dataset: Path) -> None:
    (dataset / "dataset.json").write_text(json.dumps({"class_names": ["thing", "background"]}))
    assert _error(_check(dataset)) == (
        f"Error: {dataset / 'dataset.json'}: class_names starts with 'thing'; the first name (class id 0) must be "
        "'background'; re-import the data with 'schemseg data import-labelme --map'"
    )


def test_check_follows_a_custom_class_list(dataset: Path) -> None:
    (dataset / "dataset.json").write_text(json.dumps({"class_names": ["background", "thing", "widget"]}))
    cv2.imwrite(str(dataset / "masks" / "sheet.png"), np.full((60, 80), 2, np.uint8))
    result = _check(dataset)
    assert result.exit_code == 0, result.output
    assert "  widget  " in result.output and "1 of 2 symbol classes absent" in result.output
    cv2.imwrite(str(dataset / "masks" / "sheet.png"), np.full((60, 80), 3, np.uint8))
    assert "class id 3 above 2 (the dataset has 3 classes" in _error(_check(dataset))


@pytest.mark.parametrize("command", [["data"], ["data", "import-labelme"], ["data", "check"]])
def test_every_data_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_split_holds_out_a_seeded_part(tmp_path: Path) -> None:
    for i in range(5):
        _write_labelme(tmp_path / "src", f"s{i}", _drawing(), SHAPES)
    (tmp_path / "map.json").write_text(json.dumps(LABEL_MAP))
    assert _import(tmp_path / "src", tmp_path / "ds").exit_code == 0
    args = [
        "data",
        "split",
        str(tmp_path / "ds"),
        "--train-out",
        str(tmp_path / "tr"),
        "--val-out",
        str(tmp_path / "va"),
        "--val-count",
        "2",
        "--seed",
        "3",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    train, val = SegmentationDataset(tmp_path / "tr"), SegmentationDataset(tmp_path / "va")
    names = sorted(p.name for p in train.image_paths + val.image_paths)
    assert len(val) == 2 and names == [f"s{i}.png" for i in range(5)]
    # the symbol boxes go with their sheets: the symbol-level evaluation and the classifier need them
    assert val.read_boxes(0) == SegmentationDataset(tmp_path / "ds").read_boxes(int(val.image_paths[0].stem[1:]))
    assert json.loads((tmp_path / "va" / "dataset.json").read_text())["split_seed"] == 3
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and f"{tmp_path / 'tr'}: already exists" in again.stderr


def test_subsets_of_one_seed_are_nested(tmp_path: Path) -> None:
    from schemseg_training.data.split import subset_dataset

    for i in range(6):
        _write_labelme(tmp_path / "src", f"s{i}", _drawing(), SHAPES)
    (tmp_path / "map.json").write_text(json.dumps(LABEL_MAP))
    assert _import(tmp_path / "src", tmp_path / "ds").exit_code == 0
    assert subset_dataset(tmp_path / "ds", tmp_path / "two", 2, seed=1) == 2
    assert subset_dataset(tmp_path / "ds", tmp_path / "four", 4, seed=1) == 4
    two, four = (SegmentationDataset(tmp_path / n) for n in ("two", "four"))
    assert {p.name for p in two.image_paths} < {p.name for p in four.image_paths} and len(four) == 4
    assert json.loads((tmp_path / "two" / "dataset.json").read_text())["subset_seed"] == 1
    with pytest.raises(DatasetError, match="cannot take 7 of its 6 sheets; choose 1..6"):
        subset_dataset(tmp_path / "ds", tmp_path / "seven", 7)
