"""Dataset tools: LabelMe import and dataset checks (numpy + OpenCV, no torch)."""

from __future__ import annotations

from .check import ClassFrequencies, check_dataset
from .labelme import ImportReport, ImportSettings, LabelMap, import_labelme, load_label_map

__all__ = [
    "ClassFrequencies",
    "check_dataset",
    "ImportReport",
    "ImportSettings",
    "LabelMap",
    "import_labelme",
    "load_label_map",
]
