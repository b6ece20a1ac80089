"""The symbol classifier: a second look at each grouped instance, from a crop of the drawing.

The segmentation model labels pixels from a whole sheet; look-alike symbols (a polarized capacitor
and a plain one, PNP and NPN, a battery) often come out in the wrong class, and stray ink as a
symbol of its own. The classifier, a small CNN, sees one instance at a time: its crop of the drawing,
its size and the segmentation model's vote (:mod:`~schemseg_sdk.instance_crops`), and gives the
instance's class, or class 0, "no symbol" (the instance is dropped). Grouping applies it when given
one (:func:`~schemseg_sdk.instances.group_symbols`); the Segmenter uses the bundled one.

ONNX graph I/O: input ``crops`` uint8 ``(N, S, S)`` gray, input ``features`` float32 ``(N, F)``,
output ``probabilities`` float32 ``(N, K)`` over the ``K`` class names (background = no symbol).
Metadata (``schemseg.classifier.*``): ``format``, ``class_names``, ``crop_size``, ``features`` (their
names), ``segmentation_model`` (name and version of the model whose votes it learnt) and
``trained_on`` (its training data).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Union

import numpy as np

if TYPE_CHECKING:
    import onnxruntime

from .errors import InferenceError, ModelFormatError
from .instance_crops import CROP_SIZE, SIZE_FEATURES, instance_crops, instance_features
from .model_info import ModelInfo

__all__ = [
    "SymbolClassifier",
    "ClassifierChoice",
    "ClassifierPick",
    "DEFAULT_CLASSIFIER",
    "CLASSIFIER_FORMAT",
    "classifier_metadata",
    "open_classifier",
    "classifier_beside",
    "CLASSIFIER_SUFFIX",
    "model_identity",
    "CROPS_INPUT",
    "FEATURES_INPUT",
    "PROBABILITIES",
]

ClassifierChoice = Union[str, "os.PathLike[str]", None]
"""``"auto"`` (the model's own classifier beside it, else the bundled one, when trained for the model), a
classifier file, or ``None``."""

DEFAULT_CLASSIFIER = Path(__file__).resolve().parent / "models" / "symbol_classifier.onnx"
"""The classifier bundled with the package, trained for the bundled reference model."""

CLASSIFIER_FORMAT = 1
CROPS_INPUT, FEATURES_INPUT, PROBABILITIES = "crops", "features", "probabilities"
_PREFIX = "schemseg.classifier."
CLASSIFIER_SUFFIX = ".classifier.onnx"
"""``"auto"`` looks for ``X.classifier.onnx`` beside a model ``X.onnx`` (or engine ``X.engine``)."""
_BATCH = 256  # instances per run: bounded memory on sheets with thousands of candidates
_log = logging.getLogger("schemseg")


def classifier_metadata(
    class_names: Sequence[str], segmentation_model: str, trained_on: str, crop_size: int = CROP_SIZE
) -> dict[str, str]:
    """The metadata a classifier's ONNX file carries (written by the training export)."""
    return {
        _PREFIX + "format": str(CLASSIFIER_FORMAT),
        _PREFIX + "class_names": json.dumps(list(class_names)),
        _PREFIX + "segmentation_model": segmentation_model,
        _PREFIX + "crop_size": str(crop_size),
        _PREFIX + "features": json.dumps([*SIZE_FEATURES, *(f"vote_{name}" for name in class_names)]),
        _PREFIX + "trained_on": trained_on,
    }


class SymbolClassifier:
    """An ONNX Runtime session of a symbol classifier (CPU; thread-safe like the session).

    Args:
        path: the ``.onnx`` file (``None``: the bundled :data:`DEFAULT_CLASSIFIER`).
        threads: intra-op threads (``None``: ONNX Runtime's default).

    Raises:
        ModelFormatError: missing or unreadable file, or not a schemseg symbol classifier.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, threads: int | None = None) -> None:
        self.path = Path(DEFAULT_CLASSIFIER if path is None else path)
        if not self.path.is_file():
            raise ModelFormatError(f"{self.path}: no such symbol classifier file")
        from .backends.onnxruntime import _import_onnxruntime, _session_options

        ort = _import_onnxruntime()
        options = _session_options(ort, threads)  # the model's: threads, no spinning between runs
        if threads is not None:
            options.inter_op_num_threads = 1
        try:
            self._session: onnxruntime.InferenceSession | None = ort.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ORT raises its own exception types for unreadable graphs
            raise ModelFormatError(f"{self.path}: not a readable ONNX model ({exc})") from None
        meta = self._session.get_modelmeta().custom_metadata_map
        self.class_names, self.crop_size = _parse_metadata(meta, self.path)
        self.segmentation_model = meta.get(_PREFIX + "segmentation_model", "")
        self.trained_on = meta.get(_PREFIX + "trained_on", "")

    def classify(
        self, gray: np.ndarray, boxes: np.ndarray, areas: np.ndarray, votes: np.ndarray, stroke_width: float
    ) -> np.ndarray:
        """Class probabilities ``(N, K)`` of the instances with ``boxes`` ``(N, 4)`` on the sheet ``gray``.

        ``areas``: their pixel counts; ``votes`` ``(N, C)``: each one's mean confidence per class of
        the segmentation model (``C <= K``); ``stroke_width``: the sheet's, in pixels.

        Raises:
            InferenceError: ONNX Runtime failed.
        """
        out = np.zeros((len(boxes), len(self.class_names)), np.float32)
        for start in range(0, len(boxes), _BATCH):
            part = slice(start, start + _BATCH)
            crops = instance_crops(gray, boxes[part], stroke_width, self.crop_size)
            features = instance_features(boxes[part], areas[part], stroke_width, votes[part], self.class_names)
            out[part] = self.probabilities(crops, features)
        return out

    def probabilities(self, crops: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Run the graph on prepared ``crops`` ``(N, S, S)`` uint8 and ``features`` ``(N, F)`` float32.

        Raises:
            InferenceError: the classifier is closed, or ONNX Runtime failed.
        """
        if self._session is None:
            raise InferenceError(f"{self.path.name}: the symbol classifier is closed")
        try:
            (out,) = self._session.run([PROBABILITIES], {CROPS_INPUT: crops, FEATURES_INPUT: features})
        except Exception as exc:  # ORT's own exception types
            raise InferenceError(f"{self.path.name}: symbol classifier failed: {exc}") from None
        return np.asarray(out, np.float32)

    def describe(self) -> dict[str, object]:
        """What results record about the classifier."""
        return {"file": self.path.name, "segmentation_model": self.segmentation_model, "trained_on": self.trained_on}

    def close(self) -> None:
        """Free the session (safe to call twice)."""
        self._session = None

    def __enter__(self) -> SymbolClassifier:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def model_identity(info: ModelInfo) -> str:
    """How a classifier names the segmentation model it was trained for: ``"NAME VERSION"``."""
    return f"{info.model_name} {info.model_version}"


def classifier_beside(model: str | os.PathLike[str]) -> Path:
    """Where ``"auto"`` looks for a model's own classifier: ``X.classifier.onnx`` beside ``X.onnx`` / ``X.engine``."""
    path = Path(model)
    return path.with_name(path.stem + CLASSIFIER_SUFFIX)


@dataclass(frozen=True)
class ClassifierPick:
    """The classifier a Segmenter uses (``None``: the segmentation model's vote decides) and, in words, why."""

    classifier: SymbolClassifier | None
    reason: str


def open_classifier(
    choice: ClassifierChoice,
    info: ModelInfo,
    threads: int | None = None,
    model_path: str | os.PathLike[str] | None = None,
) -> ClassifierPick:
    """The classifier a Segmenter of the model described by ``info`` (the file ``model_path``) uses for ``choice``.

    ``"auto"`` takes the first classifier trained for this model (same class names, same
    ``segmentation_model``: its name and version) of: :func:`classifier_beside` ``model_path``, the
    bundled one. None fits: ``None``, since its votes would come from a model it never saw; the
    reason names each file and the model it was trained for. A given file must have the model's
    class names. The reason is logged (``schemseg`` logger, info); a classifier beside the model
    that is not used, or one given for another model, is a warning.

    Raises:
        ModelFormatError: the file is missing, not a classifier, or for other classes.
    """
    if choice is None:
        return ClassifierPick(None, "no symbol classifier (none asked for): the model's vote decides")
    if isinstance(choice, str) and choice == "auto":
        pick = _auto_classifier(info, threads, model_path)
    else:
        pick = _given_classifier(choice, info, threads)
    _log.info(pick.reason)
    return pick


def _given_classifier(choice: str | os.PathLike[str], info: ModelInfo, threads: int | None) -> ClassifierPick:
    classifier = SymbolClassifier(choice, threads=threads)
    if classifier.class_names != tuple(info.class_names):
        classifier.close()
        raise ModelFormatError(
            f"{classifier.path}: the symbol classifier's {len(classifier.class_names)} classes are not the "
            f"model's {len(info.class_names)} classes; train one for this model ('schemseg train-classifier') "
            "or pass classifier=None"
        )
    if _not_trained_for(classifier, info) is None:
        return ClassifierPick(classifier, f"classifier {classifier.path.name} (given)")
    other = f"trained for '{classifier.segmentation_model}', not this model's '{model_identity(info)}'"
    _log.warning(f"{classifier.path}: used as given, though {other}: its votes come from another model")
    return ClassifierPick(classifier, f"classifier {classifier.path.name} (given; {other})")


def _auto_classifier(info: ModelInfo, threads: int | None, model_path: str | os.PathLike[str] | None) -> ClassifierPick:
    own = None if model_path is None else classifier_beside(model_path)
    # (file, how a refusal names it, what the pick says)
    candidates = [(DEFAULT_CLASSIFIER, f"the bundled {DEFAULT_CLASSIFIER.name}", "bundled, trained for this model")]
    refusals = []
    if own is not None and own.is_file():
        candidates.insert(0, (own, f"{own.name} beside the model", "beside the model, trained for it"))
    elif own is not None:
        refusals.append(f"no {own.name} beside the model")
    model_name = "MODEL.onnx" if model_path is None else Path(model_path).name
    train = f"schemseg train-classifier --model {model_name} --out {classifier_beside(model_name).name}"
    for path, named, used in candidates:
        classifier = SymbolClassifier(path, threads=threads)
        why_not = _not_trained_for(classifier, info)
        if why_not is None:
            return ClassifierPick(classifier, f"classifier {path.name} ({used})")
        classifier.close()
        refusals.append(f"{named}: {why_not}")
        if path == own:
            _log.warning(f"{own}: not used, {why_not}, not for {model_identity(info)}; retrain it with '{train}'")
    reason = (
        f"no symbol classifier: none trained for {model_identity(info)} ({'; '.join(refusals)}), so the model's "
        f"vote decides; train one with '{train}' and keep it beside the model, or pass one"
    )
    return ClassifierPick(None, reason)


def _not_trained_for(classifier: SymbolClassifier, info: ModelInfo) -> str | None:
    """Why ``classifier`` was not trained for the model of ``info`` (``None``: it was)."""
    if classifier.class_names != tuple(info.class_names):
        return f"{len(classifier.class_names)} classes, not the model's {len(info.class_names)}"
    if classifier.segmentation_model != model_identity(info):
        return f"trained for '{classifier.segmentation_model}'"
    return None


def _parse_metadata(meta: Mapping[str, str], path: Path) -> tuple[tuple[str, ...], int]:
    if meta.get(_PREFIX + "format") != str(CLASSIFIER_FORMAT):
        raise ModelFormatError(
            f"{path}: not a schemseg symbol classifier (metadata '{_PREFIX}format' is "
            f"{meta.get(_PREFIX + 'format')!r}, expected '{CLASSIFIER_FORMAT}'); train one with "
            "'schemseg train-classifier'"
        )
    try:
        names = tuple(json.loads(meta[_PREFIX + "class_names"]))
        size = int(meta[_PREFIX + "crop_size"])
    except (KeyError, ValueError) as exc:
        raise ModelFormatError(f"{path}: malformed symbol classifier metadata ({exc})") from None
    return names, size
