"""schemseg SDK: segment the symbols on engineering schematics.

>>> from schemseg_sdk import Segmenter  # doctest: +SKIP
>>> with Segmenter() as seg:  # doctest: +SKIP
...     result = seg.predict("sheet.png")
"""

from __future__ import annotations

from ._version import __version__
from .classes import CLASS_NAMES, NUM_CLASSES
from .errors import (
    AccuracyGateError,
    BackendUnavailableError,
    DatasetError,
    EngineBuildError,
    EngineLoadError,
    InferenceError,
    InvalidInputError,
    ModelFormatError,
    SchemsegError,
)
from .evaluate import Evaluation, evaluate_dataset, evaluate_model
from .instances import GroupingSettings
from .result import SegmentationResult
from .segmenter import Segmenter
from .symbol_classifier import SymbolClassifier
from .symbols import Symbol

__all__ = [
    "__version__",
    "Segmenter",
    "SegmentationResult",
    "Symbol",
    "GroupingSettings",
    "SymbolClassifier",
    "evaluate_model",
    "evaluate_dataset",
    "Evaluation",
    "CLASS_NAMES",
    "NUM_CLASSES",
    "SchemsegError",
    "InvalidInputError",
    "DatasetError",
    "ModelFormatError",
    "BackendUnavailableError",
    "EngineBuildError",
    "EngineLoadError",
    "AccuracyGateError",
    "InferenceError",
]
