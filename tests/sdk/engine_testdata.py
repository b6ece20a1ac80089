"""Real data for the engine-build tests: tiny models and small labelled datasets written to disk."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from tiny_model import tiny_model_proto

from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.engine.sheets import synthetic_sheets

__all__ = ["write_model", "write_dataset"]


def write_model(path: Path, **options: object) -> Path:
    onnx.save(tiny_model_proto(**options), str(path))  # type: ignore[arg-type]
    return path


def write_dataset(
    root: Path, count: int = 10, size: int = 64, seed: int = 3, confident_only: bool = True, **model_options: object
) -> Path:
    """Synthetic drawings labelled by the tiny model's own FP32 prediction.

    With ``confident_only`` the pixels whose top-2 logit margin is in the lowest quartile are marked
    255 (not scored): a sound INT8 graph then matches FP32 on every scored pixel, while a broken one
    does not. Without it every pixel is scored, and the random tiny model's near-ties flip under INT8.
    ``dataset.json`` holds the model's class list (``class_names`` among ``model_options``).
    """
    sheets = synthetic_sheets(count, size, seed=seed)
    session = ort.InferenceSession(
        tiny_model_proto(size, logits=True, **model_options).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    ids, logits = session.run(["class_ids", "logits"], {"image": sheets.batch})
    masks = ids.copy()
    if confident_only:
        top2 = np.sort(logits, axis=1)[:, -2:]
        margin = top2[:, 1] - top2[:, 0]
        masks[margin < np.percentile(margin, 25)] = 255
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i, (image, mask) in enumerate(zip(sheets.batch, masks)):
        cv2.imwrite(str(root / "images" / f"sheet{i:02d}.png"), image)
        cv2.imwrite(str(root / "masks" / f"sheet{i:02d}.png"), mask)
    class_names = list(model_options.get("class_names", CLASS_NAMES))  # type: ignore[call-overload]
    (root / "dataset.json").write_text(json.dumps({"class_names": class_names}))
    return root
