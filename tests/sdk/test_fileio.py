"""Reading JSON objects: one error per way a file can be wrong, in the family the caller names."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.errors import DatasetError, InvalidInputError
from schemseg_sdk.fileio import read_json_object


def test_reads_an_object(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"schema": "x", "n": [1, 2]}', encoding="utf-8")
    assert read_json_object(path, "test file", DatasetError) == {"schema": "x", "n": [1, 2]}


def test_each_fault_names_the_file_and_what_it_should_be(tmp_path: Path) -> None:
    missing, broken, listed = tmp_path / "missing.json", tmp_path / "broken.json", tmp_path / "list.json"
    broken.write_text("{not json", encoding="utf-8")
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DatasetError, match=rf"^{missing}: no such graph file$"):
        read_json_object(missing, "graph file", DatasetError)
    with pytest.raises(InvalidInputError, match=rf"^{broken}: unreadable graph file \(Expecting property name"):
        read_json_object(broken, "graph file", InvalidInputError)
    with pytest.raises(DatasetError, match=rf"^{listed}: holds a list, expected a JSON object$"):
        read_json_object(listed, "graph file", DatasetError)
    with pytest.raises(DatasetError, match=r"holds a list, expected an object \{label: class\}$"):
        read_json_object(listed, "graph file", DatasetError, expected="an object {label: class}")


def test_a_dataset_json_that_is_no_object_is_refused(tmp_path: Path) -> None:
    for folder in ("images", "masks"):
        (tmp_path / folder).mkdir()
        cv2.imwrite(str(tmp_path / folder / "a.png"), np.zeros((8, 8), np.uint8))
    (tmp_path / "dataset.json").write_text(json.dumps(["not", "an", "object"]), encoding="utf-8")
    with pytest.raises(DatasetError, match="dataset.json: holds a list, expected a JSON object"):
        SegmentationDataset(tmp_path)
