"""The bundled symbol classifier: what it is trained for, when the Segmenter uses it, what it does to symbols."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from tiny_model import build_tiny_model

from schemseg_sdk import CLASS_NAMES, Segmenter
from schemseg_sdk.errors import InferenceError, ModelFormatError
from schemseg_sdk.instance_crops import instance_crops, to_gray
from schemseg_sdk.instances import GroupingSettings, find_instances, group_symbols
from schemseg_sdk.symbol_classifier import DEFAULT_CLASSIFIER, SymbolClassifier, classifier_beside

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk" / "schemseg_sdk" / "examples"


def test_bundled_classifier_is_for_the_bundled_model() -> None:
    assert DEFAULT_CLASSIFIER.stat().st_size <= 4 * 1024 * 1024
    with SymbolClassifier() as classifier, Segmenter(device="cpu") as segmenter:
        assert classifier.class_names == CLASS_NAMES and classifier.crop_size == 64
        assert classifier.segmentation_model == f"{segmenter.info.model_name} {segmenter.info.model_version}"
        assert segmenter.classifier is not None and segmenter.classifier.path == DEFAULT_CLASSIFIER
        assert segmenter.classifier_reason == "classifier symbol_classifier.onnx (bundled, trained for this model)"
        assert "ci2n" in classifier.trained_on and "synth" in classifier.trained_on


def test_classifier_threads_do_not_spin_between_runs() -> None:
    with SymbolClassifier(threads=1) as classifier:
        assert classifier._session is not None
        options = classifier._session.get_session_options()
        assert options.intra_op_num_threads == 1
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_auto_leaves_other_models_to_their_vote_and_says_why(tiny_model: Path) -> None:
    with Segmenter(tiny_model, device="cpu") as segmenter:
        assert segmenter.classifier is None
        result = segmenter.predict(EXAMPLES / "circuit_bias.png")
    assert result.grouping is not None and result.grouping["classifier"] is None
    reason = result.grouping["classifier_reason"]
    assert reason == segmenter.classifier_reason
    assert reason.startswith("no symbol classifier: none trained for tiny_test_model test")
    assert "tiny.classifier.onnx" in reason and "schemseg train-classifier --model" in reason


def _classifier_for(path: Path, segmentation_model: str) -> Path:
    """The bundled classifier's graph, recorded as trained for ``segmentation_model``: a real classifier file."""
    proto = onnx.load(str(DEFAULT_CLASSIFIER))
    for entry in proto.metadata_props:
        if entry.key == "schemseg.classifier.segmentation_model":
            entry.value = segmentation_model
    onnx.save(proto, str(path))
    return path


def test_auto_takes_the_classifier_beside_a_model_trained_for_it(tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "mine.onnx")
    own = _classifier_for(classifier_beside(model), "tiny_test_model test")
    assert own.name == "mine.classifier.onnx"
    with Segmenter(model, device="cpu") as segmenter:
        assert segmenter.classifier is not None and segmenter.classifier.path == own
        assert segmenter.classifier_reason == "classifier mine.classifier.onnx (beside the model, trained for it)"
        result = segmenter.predict(EXAMPLES / "circuit_bias.png")
    assert result.grouping is not None and result.grouping["classifier"]["file"] == "mine.classifier.onnx"


def test_auto_refuses_a_classifier_beside_the_model_trained_for_another(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = build_tiny_model(tmp_path / "mine.onnx")
    shutil.copy(DEFAULT_CLASSIFIER, classifier_beside(model))  # trained for the bundled model, not this one
    with caplog.at_level(logging.WARNING, logger="schemseg"), Segmenter(model, device="cpu") as segmenter:
        assert segmenter.classifier is None
    with SymbolClassifier() as bundled:
        trained_for = bundled.segmentation_model
    assert f"mine.classifier.onnx beside the model: trained for '{trained_for}'" in segmenter.classifier_reason
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [
        f"{classifier_beside(model)}: not used, trained for '{trained_for}', not for tiny_test_model test; "
        "retrain it with 'schemseg train-classifier --model mine.onnx --out mine.classifier.onnx'"
    ]


def test_a_given_classifier_for_another_model_is_used_and_flagged(tiny_model: Path) -> None:
    with Segmenter(tiny_model, device="cpu", classifier=DEFAULT_CLASSIFIER) as segmenter:
        assert segmenter.classifier is not None
        assert segmenter.classifier_reason.startswith("classifier symbol_classifier.onnx (given; trained for '")
        assert segmenter.classifier_reason.endswith("', not this model's 'tiny_test_model test')")
    with Segmenter(tiny_model, device="cpu", classifier=None) as segmenter:
        assert segmenter.classifier_reason == "no symbol classifier (none asked for): the model's vote decides"


def test_a_classifier_for_other_classes_is_refused(tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "five.onnx", input_size=64, class_names=CLASS_NAMES[:5])
    with pytest.raises(ModelFormatError, match="classes are not the model's 5 classes"):
        Segmenter(model, device="cpu", classifier=DEFAULT_CLASSIFIER)


def test_a_segmentation_model_is_not_a_classifier(tiny_model: Path) -> None:
    with pytest.raises(ModelFormatError, match="not a schemseg symbol classifier"):
        SymbolClassifier(tiny_model)
    with pytest.raises(ModelFormatError, match="no such symbol classifier file"):
        SymbolClassifier(tiny_model.parent / "missing.onnx")


def test_closed_classifier_says_so() -> None:
    classifier = SymbolClassifier()
    classifier.close()
    classifier.close()
    with pytest.raises(InferenceError, match="closed"):
        classifier.probabilities(np.zeros((1, 64, 64), np.uint8), np.zeros((1, 44), np.float32))


def test_classifier_gives_each_instance_its_class_or_drops_it() -> None:
    """On an example sheet: the classified symbols are the instances the classifier kept, in its classes."""
    with Segmenter(device="cpu", threads=2, grouping=None) as raw:
        plain = raw.predict(EXAMPLES / "circuit_dense.png")
    table = find_instances(plain.mask, plain.confidence, plain.image)
    always_join = GroupingSettings(apart_margin=2.0, overlap_join=2.0)  # find_instances + classify, nothing more
    with SymbolClassifier(threads=2) as classifier:
        probabilities = classifier.classify(
            to_gray(plain.image), table.boxes, table.areas, table.votes, table.stroke_width
        )
        grouped = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES, always_join, classifier)
        default = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES, classifier=classifier)
    assert default.symbols == grouped.symbols  # nothing on this sheet for the classifier to keep apart or join
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    best = probabilities.argmax(axis=1)
    kept = sorted((int(c), tuple(int(v) for v in b)) for c, b in zip(best, table.boxes) if c > 0)
    assert sorted((s.class_id, s.bbox) for s in grouped.symbols) == kept
    assert grouped.describe()["classifier"]["file"] == DEFAULT_CLASSIFIER.name
    # each symbol is painted in its one class, and its confidence is the classifier's probability
    for symbol in grouped.symbols:
        x0, y0, x1, y1 = symbol.bbox
        classes = set(np.unique(grouped.mask[y0:y1, x0:x1]).tolist()) - {0}
        assert symbol.class_id in classes
    assert all(s.confidence is not None and 0 < s.confidence <= 1 for s in grouped.symbols)


def test_classifier_keeps_apart_symbols_that_merge_gap_would_join() -> None:
    """Two transistors stacked on one wire of the large example (and two junction dots) are one instance
    by ``merge_gap``; the classifier, surer of each than of the pair, keeps them apart."""
    with Segmenter(device="cpu", threads=2, grouping=None) as raw:
        plain = raw.predict(EXAMPLES / "large_sheet_1800x1200.png")
    margin = GroupingSettings().apart_margin
    with SymbolClassifier(threads=2) as classifier:
        joined = group_symbols(
            plain.mask, plain.confidence, plain.image, CLASS_NAMES, GroupingSettings(apart_margin=2.0), classifier
        )
        apart = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES, classifier=classifier)
    only_apart = set(apart.symbols) - set(joined.symbols)
    wholes = [
        (whole, [s for s in only_apart if _inside(s.bbox, whole.bbox) and s.class_name == whole.class_name])
        for whole in set(joined.symbols) - set(apart.symbols)
    ]
    wholes = [(whole, pieces) for whole, pieces in wholes if len(pieces) >= 2]  # (other changes: undone splits)
    assert {whole.class_name for whole, _ in wholes} >= {"nmos", "junction"}
    for whole, pieces in wholes:
        assert all(
            s.confidence is not None and whole.confidence is not None and s.confidence >= whole.confidence + margin
            for s in pieces
        )


def test_a_split_the_classifier_does_not_take_for_two_symbols_is_undone() -> None:
    """A small check valve whose open half the model painted gate valve and filled half check valve: step 2
    splits it (two confident classes); the classifier calls neither half a symbol, so the split is undone and
    the whole is one check valve. Kept split (``apart_margin`` 2), the valve is lost."""
    image = np.full((120, 200, 3), 255, np.uint8)
    cv2.line(image, (10, 60), (85, 60), (0, 0, 0), 1)
    cv2.line(image, (115, 60), (190, 60), (0, 0, 0), 1)
    cv2.polylines(image, [np.array([[85, 52], [100, 60], [85, 68]], np.int32)], True, (0, 0, 0), 1)
    cv2.fillPoly(image, [np.array([[115, 52], [100, 60], [115, 68]], np.int32)], (0, 0, 0))
    cv2.line(image, (115, 52), (115, 68), (0, 0, 0), 2)
    ink = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) < 128
    mask = np.zeros(ink.shape, np.uint8)
    mask[:, 83:101][ink[:, 83:101]] = CLASS_NAMES.index("gate_valve")
    mask[:, 101:118][ink[:, 101:118]] = CLASS_NAMES.index("check_valve")
    confidence = np.where(mask > 0, 0.95, 0.0).astype(np.float32)
    with SymbolClassifier(threads=2) as classifier:
        undone = group_symbols(mask, confidence, image, CLASS_NAMES, classifier=classifier)
        split = group_symbols(mask, confidence, image, CLASS_NAMES, GroupingSettings(apart_margin=2.0), classifier)
        halves = find_instances(mask, confidence, image)
        said = classifier.classify(to_gray(image), halves.boxes, halves.areas, halves.votes, halves.stroke_width)
    assert len(halves.boxes) == 2 and (said.argmax(axis=1) == 0).all()  # two halves, neither a symbol
    assert split.symbols == []  # kept split: both halves dropped, the valve is lost
    assert [(s.class_name, s.bbox) for s in undone.symbols] == [("check_valve", (83, 51, 118, 70))]
    assert (undone.mask[mask > 0] == CLASS_NAMES.index("check_valve")).all()


class _Counting(SymbolClassifier):
    """The bundled classifier, recording how many instances each call asks about."""

    def __init__(self) -> None:
        super().__init__(threads=2)
        self.asked: list[int] = []

    def classify(
        self, gray: np.ndarray, boxes: np.ndarray, areas: np.ndarray, votes: np.ndarray, stroke_width: float
    ) -> np.ndarray:
        self.asked.append(len(boxes))
        return super().classify(gray, boxes, areas, votes, stroke_width)


def test_with_a_classifier_splits_need_judged_split_confidence() -> None:
    """A resistor touching a label the model is 0.7 sure of: with a classifier, grouping splits at
    ``judged_split_confidence`` (0.6) and asks the classifier about both pieces and the whole (then keeps
    or undoes the split); at 0.8 it is not split, and the classifier sees one instance."""
    image = np.full((120, 160, 3), 255, np.uint8)
    mask = np.zeros((120, 160), np.uint8)
    for (x0, y0, x1, y1), name in (((20, 20, 80, 50), "resistor"), ((79, 25, 110, 45), "designation")):
        image[y0:y1, x0:x1] = 0
        image[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] = 255
        mask[y0:y1, x0:x1][image[y0:y1, x0:x1, 0] < 128] = CLASS_NAMES.index(name)
    confidence = np.where(mask == CLASS_NAMES.index("designation"), 0.7, 0.95).astype(np.float32)
    with _Counting() as eager, _Counting() as strict:
        group_symbols(mask, confidence, image, CLASS_NAMES, classifier=eager)
        group_symbols(mask, confidence, image, CLASS_NAMES, GroupingSettings(judged_split_confidence=0.8), strict)
    assert eager.asked[0] == 3  # two pieces and the whole, in one run
    assert strict.asked == [1]


def _inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return box[0] >= outer[0] and box[1] >= outer[1] and box[2] <= outer[2] and box[3] <= outer[3]


def test_crops_are_white_outside_the_sheet() -> None:
    sheet = np.zeros((20, 20), np.uint8)
    crop = instance_crops(sheet, np.array([[0, 0, 20, 20]]), 2.0, size=32)[0]
    assert crop[0, 0] == 255 and crop[16, 16] == 0
