"""The bundled symbol classifier: what it is trained for, when the Segmenter uses it, what it does to symbols."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schemseg_sdk import CLASS_NAMES, Segmenter
from schemseg_sdk.errors import InferenceError, ModelFormatError
from schemseg_sdk.instance_crops import instance_crops, to_gray
from schemseg_sdk.instances import GroupingSettings, find_instances, group_symbols
from schemseg_sdk.symbol_classifier import DEFAULT_CLASSIFIER, SymbolClassifier
from tiny_model import build_tiny_model

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk" / "schemseg_sdk" / "examples"


def test_bundled_classifier_is_for_the_bundled_model() -> None:
    assert DEFAULT_CLASSIFIER.stat().st_size <= 4 * 1024 * 1024
    with SymbolClassifier() as classifier, Segmenter(device="cpu") as segmenter:
        assert classifier.class_names == CLASS_NAMES and classifier.crop_size == 64
        assert classifier.segmentation_model == f"{segmenter.info.model_name} {segmenter.info.model_version}"
        assert segmenter.classifier is not None and segmenter.classifier.path == DEFAULT_CLASSIFIER
        assert "ci2n" in classifier.trained_on and "synth" in classifier.trained_on


def test_auto_leaves_other_models_to_their_vote(tiny_model: Path) -> None:
    with Segmenter(tiny_model, device="cpu") as segmenter:
        assert segmenter.classifier is None
        result = segmenter.predict(EXAMPLES / "circuit_bias.png")
    assert result.grouping is not None and result.grouping["classifier"] is None


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
    always_join = GroupingSettings(apart_margin=2.0)  # find_instances joins as merge_gap says
    with SymbolClassifier(threads=2) as classifier:
        probabilities = classifier.classify(to_gray(plain.image), table.boxes, table.areas, table.votes,
                                            table.stroke_width)
        grouped = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES, always_join, classifier)
        default = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES, classifier=classifier)
    assert default.symbols == grouped.symbols  # nothing on this sheet for the classifier to keep apart
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
        joined = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES,
                               GroupingSettings(apart_margin=2.0), classifier)
        apart = group_symbols(plain.mask, plain.confidence, plain.image, CLASS_NAMES, classifier=classifier)
    only_joined = set(joined.symbols) - set(apart.symbols)
    only_apart = set(apart.symbols) - set(joined.symbols)
    assert {s.class_name for s in only_joined} >= {"nmos"}
    assert len(apart.symbols) - len(joined.symbols) == len(only_apart) - len(only_joined) > 0
    for whole in only_joined:
        pieces = [s for s in only_apart if _inside(s.bbox, whole.bbox)]
        assert len(pieces) >= 2 and {s.class_name for s in pieces} == {whole.class_name}
        assert all(s.confidence is not None and whole.confidence is not None
                   and s.confidence >= whole.confidence + margin for s in pieces)
    assert sum(len([s for s in only_apart if _inside(s.bbox, w.bbox)]) for w in only_joined) == len(only_apart)


def _inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return box[0] >= outer[0] and box[1] >= outer[1] and box[2] <= outer[2] and box[3] <= outer[3]


def test_crops_are_white_outside_the_sheet() -> None:
    sheet = np.zeros((20, 20), np.uint8)
    crop = instance_crops(sheet, np.array([[0, 0, 20, 20]]), 2.0, size=32)[0]
    assert crop[0, 0] == 255 and crop[16, 16] == 0
