"""Segmenter: the public API on real drawings with the tiny real ONNX model."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

import schemseg_sdk.segmenter as segmenter_module
from schemseg_sdk import CLASS_NAMES, SegmentationResult, Segmenter
from schemseg_sdk.errors import BackendUnavailableError, InvalidInputError, ModelFormatError, SchemsegError
from schemseg_sdk.instances import GroupingSettings
from schemseg_sdk.palette import CLASS_COLORS, blend_mask
from schemseg_sdk.result import JSON_SCHEMA

# odd sizes, a sheet larger than 64 on both sides, JPEG data in a .png (see the ci2n README)
SHEETS = ("0.png", "1.png", "10.png", "100.png", "101.png")


@pytest.fixture(scope="module")
def seg(tiny_model: Path) -> Iterator[Segmenter]:
    with Segmenter(tiny_model, device="cpu", batch_size=4) as segmenter:
        yield segmenter


@pytest.fixture(scope="module")
def sheets(ci2n_dir: Path) -> list[Path]:
    return [ci2n_dir / name for name in SHEETS]


@pytest.fixture(scope="module")
def crops(sheets: list[Path]) -> list[np.ndarray]:
    """Odd-sized parts of real drawings (some fit one tile, most need several), to keep tests fast."""
    sizes = ((150, 201), (97, 130), (63, 64), (140, 77), (40, 33))
    return [cv2.imread(str(path))[:h, :w].copy() for path, (h, w) in zip(sheets, sizes)]


def test_model_facts_and_lifecycle(tiny_model: Path) -> None:
    segmenter = Segmenter(tiny_model)
    assert segmenter.class_names == CLASS_NAMES and len(segmenter.class_names) == 41
    assert segmenter.input_size == 64 and segmenter.backend_name == "onnxruntime-cpu"
    segmenter.close()
    segmenter.close()
    with pytest.raises(SchemsegError, match=r"^Segmenter\(tiny.onnx\) is closed; create a new one$"):
        segmenter.predict(np.zeros((8, 8), np.uint8))


def test_missing_bundled_model_says_where_and_how(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "models" / "reference.onnx"
    monkeypatch.setattr(segmenter_module, "DEFAULT_MODEL", missing)
    with pytest.raises(
        ModelFormatError,
        match=f"^{re.escape(str(missing))}: bundled reference model not found; "
        "reinstall schemseg .*pass a model path: Segmenter\\('model.onnx'\\) "
        "or 'schemseg segment --model model.onnx'$",
    ):
        Segmenter()


def test_bundled_model_loads_on_the_cpu_when_present() -> None:
    if not segmenter_module.DEFAULT_MODEL.is_file():
        pytest.skip(f"bundled model not built yet: {segmenter_module.DEFAULT_MODEL}")
    from schemseg_sdk.backends.cpu_choice import choose_bundled_graph

    choice = choose_bundled_graph(segmenter_module.DEFAULT_MODEL)  # fp32 on ONNX Runtime, or a faster gated path
    expected = (
        "onnxruntime-cpu"
        if choice.runtime == "onnxruntime"
        else f"openvino-cpu{'-bf16' * (choice.precision == 'bf16')}"
    )
    with Segmenter(device="cpu") as segmenter:
        assert segmenter.backend_name == expected and len(segmenter.class_names) == 41


def test_predict_real_drawings(seg: Segmenter, sheets: list[Path]) -> None:
    for path in sheets:
        image = cv2.imread(str(path))
        result = seg.predict(path)
        assert result.mask.shape == image.shape[:2] and result.mask.dtype == np.uint8
        assert result.confidence is not None and result.confidence.shape == image.shape[:2]
        assert result.source == str(path) and result.tiles > 1
        for class_id in np.unique(result.mask)[1:]:
            area = sum(s.area for s in result.symbols if s.class_id == class_id)
            assert area == int((result.mask == class_id).sum())
        assert {"decode", "preprocess", "inference", "compute", "stitch", "group", "postprocess", "total"} <= set(
            result.timings
        )
        assert result.timings["total"] == pytest.approx(
            sum(result.timings[k] for k in ("decode", "preprocess", "inference", "stitch", "group", "postprocess"))
        )


def test_path_bytes_and_array_inputs_agree(seg: Segmenter, sheets: list[Path]) -> None:
    path = sheets[1]
    from_path = seg.predict(path).mask
    np.testing.assert_array_equal(seg.predict(path.read_bytes()).mask, from_path)
    np.testing.assert_array_equal(seg.predict(cv2.imread(str(path))).mask, from_path)


def test_gray_bgra_and_16_bit_inputs(seg: Segmenter) -> None:
    gray = np.full((50, 60), 255, np.uint8)
    cv2.line(gray, (5, 5), (55, 40), 0, 2)
    expected = seg.predict(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)).mask
    np.testing.assert_array_equal(seg.predict(gray).mask, expected)
    np.testing.assert_array_equal(seg.predict(gray.astype(np.uint16) * 257).mask, expected)
    bgra = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA)
    np.testing.assert_array_equal(seg.predict(bgra).mask, expected)
    result = seg.predict(gray)
    assert result.tiles == 1 and result.confidence is not None and result.confidence.dtype == np.float32


def test_without_confidence(tiny_model: Path, crops: list[np.ndarray]) -> None:
    small = np.full((40, 40, 3), 255, np.uint8)
    small[10:30, 18:22] = 0
    with Segmenter(tiny_model, device="cpu", grouping=None) as raw:  # the model's own masks, not regrouped
        cheap, full = raw.predict(small, with_confidence=False), raw.predict(small)
        assert cheap.confidence is None and all(s.confidence is None for s in cheap.symbols)
        np.testing.assert_array_equal(cheap.mask, full.mask)
        tiled_cheap, tiled_full = raw.predict(crops[0], with_confidence=False), raw.predict(crops[0])
        assert float((tiled_cheap.mask == tiled_full.mask).mean()) >= 0.995


def test_grouping_without_confidence_gives_symbols_without_confidence(seg: Segmenter, crops: list[np.ndarray]) -> None:
    result = seg.predict(crops[0], with_confidence=False)
    assert result.symbols and all(s.confidence is None for s in result.symbols)
    assert result.grouping is not None and result.timings["group"] > 0


def test_batch_keeps_order_and_batch_size_does_not_change_results(
    tiny_model: Path, seg: Segmenter, sheets: list[Path], crops: list[np.ndarray]
) -> None:
    singles = [seg.predict(crop).mask for crop in crops]
    assert [r.source for r in seg.predict_batch(sheets[1:3])] == [str(p) for p in sheets[1:3]]
    for batch_size in (1, 3, 7):
        with Segmenter(tiny_model, batch_size=batch_size) as other:
            results = other.predict_batch(crops)
        for result, expected in zip(results, singles):
            np.testing.assert_array_equal(result.mask, expected)


def test_stream_reads_inputs_lazily(seg: Segmenter) -> None:
    pulled = 0

    def sheets() -> Iterator[np.ndarray]:
        nonlocal pulled
        for i in range(40):
            pulled += 1
            yield np.full((30 + i, 50, 3), 255, np.uint8)

    stream = seg.predict_stream(sheets())
    first = next(stream)
    assert first.mask.shape == (30, 50)
    assert pulled <= seg.batch_size + 1
    assert sum(1 for _ in stream) == 39


def test_stream_bad_inputs_raise_in_order_or_come_back_as_errors(seg: Segmenter, tmp_path: Path) -> None:
    good = np.full((20, 20, 3), 255, np.uint8)
    inputs = [good, b"not an image", tmp_path, good]
    out = list(seg.predict_stream(inputs, return_errors=True))
    assert [type(o).__name__ for o in out] == [
        "SegmentationResult",
        "InvalidInputError",
        "InvalidInputError",
        "SegmentationResult",
    ]
    assert str(out[1]) == "<bytes>: not an image or truncated (12 bytes could not be decoded)"
    assert str(out[2]) == f"{tmp_path}: is a directory, expected an image file"
    stream = seg.predict_stream(inputs)
    assert isinstance(next(stream), SegmentationResult)
    with pytest.raises(InvalidInputError, match="^<bytes>: not an image or truncated"):
        next(stream)


def test_threads_sharing_one_segmenter_get_identical_results(seg: Segmenter, crops: list[np.ndarray]) -> None:
    sheets = crops
    expected = [seg.predict(crop).mask for crop in crops]
    results: dict[int, list[np.ndarray]] = {}

    def work(worker: int) -> None:
        order = sheets[worker % len(sheets) :] + sheets[: worker % len(sheets)]
        results[worker] = [seg.predict(crop).mask for crop in order]

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker, masks in results.items():
        shift = worker % len(sheets)
        for mask, want in zip(masks, expected[shift:] + expected[:shift]):
            np.testing.assert_array_equal(mask, want)
    assert len(results) == 4


def test_json_schema(seg: Segmenter, sheets: list[Path]) -> None:
    result = seg.predict(sheets[2])
    data = json.loads(result.to_json())
    assert list(data) == [
        "schema",
        "source",
        "width",
        "height",
        "model",
        "tiles",
        "symbols",
        "symbol_counts",
        "grouping",
        "scale",
        "timings",
        "page",
        "pages",
        "dpi",
    ]
    assert data["symbol_counts"] == dict(Counter(s["class_name"] for s in data["symbols"]))
    assert data["grouping"]["stroke_width"] >= 1.0 and data["grouping"]["gap"] == GroupingSettings().gap
    assert data["schema"] == JSON_SCHEMA and data["source"] == str(sheets[2])
    assert (data["width"], data["height"]) == (676, 357)
    assert data["model"] == {
        "name": "tiny_test_model",
        "version": "test",
        "precision": "fp32",
        "input_size": 64,
        "backend": "onnxruntime-cpu",
    }
    symbol = data["symbols"][0]
    assert list(symbol) == ["class_id", "class_name", "bbox", "area", "confidence"]
    assert CLASS_NAMES[symbol["class_id"]] == symbol["class_name"]
    x0, y0, x1, y1 = symbol["bbox"]
    assert 0 <= x0 < x1 <= 676 and 0 <= y0 < y1 <= 357 and 0 < symbol["confidence"] <= 1
    assert all(isinstance(v, float) for v in data["timings"].values())


def test_overlay_colours_classes_and_lists_them_in_a_legend(seg: Segmenter, sheets: list[Path], tmp_path: Path) -> None:
    result = seg.predict(sheets[1])
    picture = result.overlay()
    height, width = result.mask.shape
    assert picture.shape[0] >= height and picture.shape[1] > width
    np.testing.assert_array_equal(picture[:height, :width], blend_mask(result.image, result.mask))
    legend = picture[:, width:]
    for class_id in np.unique(result.mask)[1:]:
        assert (legend == CLASS_COLORS[class_id]).all(axis=2).any(), CLASS_NAMES[class_id]
    result.save_overlay(tmp_path / "a.overlay.png")
    result.save_json(tmp_path / "a.json")
    assert cv2.imread(str(tmp_path / "a.overlay.png")).shape == picture.shape
    assert json.loads((tmp_path / "a.json").read_text())["width"] == width


def test_model_file_errors(tmp_path: Path, tiny_model: Path) -> None:
    with pytest.raises(ModelFormatError, match=f"^{re.escape(str(tmp_path))}: is a directory, expected a model file"):
        Segmenter(tmp_path)
    with pytest.raises(ModelFormatError, match=f"^{re.escape(str(tmp_path / 'x.onnx'))}: no such model file$"):
        Segmenter(tmp_path / "x.onnx")
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\0" * 10)
    with pytest.raises(
        ModelFormatError, match=r"weights.bin: unknown model type '.bin'; expected .onnx, .engine or .plan$"
    ):
        Segmenter(weights)
    engine = tmp_path / "model.fp16.engine"
    engine.write_bytes(b"\0" * 10)
    with pytest.raises(BackendUnavailableError, match="^model.fp16.engine: a TensorRT engine runs on an NVIDIA GPU"):
        Segmenter(engine, device="cpu")


def test_bad_arguments(tiny_model: Path, seg: Segmenter) -> None:
    with pytest.raises(InvalidInputError, match="^batch_size must be a positive integer, got 0$"):
        Segmenter(tiny_model, batch_size=0)
    with pytest.raises(InvalidInputError, match="^expected several images .* got one str; use predict"):
        seg.predict_batch("sheet.png")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="^<input>: expected a path, bytes or numpy array, got int$"):
        seg.predict(3)  # type: ignore[arg-type]
