"""INT8 calibration: activation ranges measured on sheets, cached by content hash.

The cache file (JSON, under ``calibration/cache/`` by default) is named by and records the sha256
of the graph being calibrated, of the sheets, of the preprocessing rule and of the method, so a
cache is reused only for exactly the same inputs and a stale one is never read.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
from onnx import TensorProto, helper
from tqdm import tqdm

from ..errors import EngineBuildError
from ..fileio import atomic_write_text
from ._graph import model_bytes, sha256_bytes
from .sheets import PREPROCESSING, SheetSet

__all__ = [
    "CalibrationMethod",
    "CALIBRATION_METHODS",
    "DEFAULT_CALIBRATION_METHOD",
    "DEFAULT_CACHE_DIR",
    "CalibrationResult",
    "calibration_key",
    "calibrate",
]

CalibrationMethod = Literal["minmax", "entropy", "percentile"]
CALIBRATION_METHODS: tuple[str, ...] = ("minmax", "entropy", "percentile")
# entropy: the only method whose TensorRT Q/DQ graph of the bundled model passed its gate (docs/engines.md)
DEFAULT_CALIBRATION_METHOD: CalibrationMethod = "entropy"
DEFAULT_CACHE_DIR = Path("calibration") / "cache"
CACHE_FORMAT = 1

# ONNX Runtime's defaults for its histogram calibrators
_HISTOGRAM_SETTINGS: dict[str, dict[str, object]] = {
    "entropy": {"num_bins": 128, "num_quantized_bins": 128, "percentile": 99.999, "symmetric": False},
    "percentile": {"num_bins": 2048, "num_quantized_bins": 128, "percentile": 99.999, "symmetric": True},
}


@dataclass(frozen=True)
class CalibrationResult:
    """Per-tensor ``(low, high)`` ranges and where they came from."""

    ranges: dict[str, tuple[float, float]]
    key: str  # sha256 over model, sheets, preprocessing and method
    method: str
    cache_path: Path | None
    from_cache: bool
    sheets: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "method": self.method,
            "cache": str(self.cache_path) if self.cache_path else None,
            "from_cache": self.from_cache,
            "tensors": len(self.ranges),
            "sheets": len(self.sheets),
        }


def calibration_key(model_sha256: str, sheets_sha256: str, method: str) -> str:
    """The cache key: sha256 of the model, sheet and preprocessing hashes and the method settings."""
    settings = {
        "format": CACHE_FORMAT,
        "model": model_sha256,
        "sheets": sheets_sha256,
        "preprocessing": PREPROCESSING,
        "method": method,
        "method_settings": _HISTOGRAM_SETTINGS.get(method, {}),
    }
    return sha256_bytes(json.dumps(settings, sort_keys=True).encode("utf-8"))


def calibrate(
    model: onnx.ModelProto,
    sheets: SheetSet,
    tensors: list[str],
    method: CalibrationMethod = DEFAULT_CALIBRATION_METHOD,
    cache_dir: str | os.PathLike[str] | None = DEFAULT_CACHE_DIR,
    progress: bool = False,
) -> CalibrationResult:
    """Ranges of ``tensors`` (float activations of ``model``) over ``sheets``, from cache when valid.

    Args:
        model: the FP32 graph that will be quantized.
        sheets: calibration sheets (see :func:`~schemseg_sdk.engine.sheets.load_sheets`).
        tensors: names of the activations to measure.
        method: ``minmax`` (full range), ``entropy`` (KL-optimal) or ``percentile`` (99.999%).
        cache_dir: where cache files live; ``None`` disables the cache.
        progress: show a progress bar on stderr.
    """
    if method not in CALIBRATION_METHODS:
        raise EngineBuildError(
            f"unknown calibration method {method!r}; expected one of {', '.join(CALIBRATION_METHODS)}"
        )
    key = calibration_key(sha256_bytes(model_bytes(model)), sheets.sha256, method)
    cache_path = Path(cache_dir) / f"{key[:32]}.json" if cache_dir is not None else None
    cached = _read_cache(cache_path, key, tensors) if cache_path else None
    if cached is not None:
        return CalibrationResult(cached, key, method, cache_path, True, sheets.names)
    ranges = _measure(model, sheets, tensors, method, progress)
    if cache_path is not None:
        _write_cache(cache_path, key, method, sheets, ranges)
    return CalibrationResult(ranges, key, method, cache_path, False, sheets.names)


def _read_cache(path: Path, key: str, tensors: list[str]) -> dict[str, tuple[float, float]] | None:
    """Ranges from ``path`` if it was written for exactly ``key`` and covers ``tensors``; else None."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT or data.get("key") != key:
            return None
        ranges = {name: (float(lo), float(hi)) for name, (lo, hi) in data["ranges"].items()}
    except (OSError, ValueError, TypeError, KeyError):
        return None  # unreadable or foreign file: measure again and overwrite it
    return ranges if all(t in ranges for t in tensors) else None


def _write_cache(path: Path, key: str, method: str, sheets: SheetSet, ranges: dict[str, tuple[float, float]]) -> None:
    payload = {
        "format": CACHE_FORMAT,
        "key": key,
        "method": method,
        "preprocessing": PREPROCESSING,
        "sheets_sha256": sheets.sha256,
        "sheets_source": sheets.source,
        "sheets": list(sheets.names),
        "ranges": {name: [lo, hi] for name, (lo, hi) in ranges.items()},
    }
    atomic_write_text(path, json.dumps(payload, indent=1, sort_keys=True) + "\n")


def _augmented_session(model: onnx.ModelProto, tensors: list[str]) -> Any:  # onnxruntime.InferenceSession
    import onnxruntime as ort

    augmented = copy.deepcopy(model)
    existing = {o.name for o in augmented.graph.output}
    augmented.graph.output.extend(
        helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in tensors if name not in existing
    )
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(augmented.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT's own exception types
        raise EngineBuildError(f"cannot run the graph for calibration: {exc}") from None


def _measure(
    model: onnx.ModelProto, sheets: SheetSet, tensors: list[str], method: str, progress: bool
) -> dict[str, tuple[float, float]]:
    if not tensors:
        raise EngineBuildError("calibration: the graph has no float activations to calibrate")
    session = _augmented_session(model, tensors)
    low = {t: np.inf for t in tensors}
    high = {t: -np.inf for t in tensors}
    collector = _histogram_collector(method)
    bar = tqdm(total=len(sheets), desc=f"calibrating ({method})", unit="sheet", file=sys.stderr, disable=not progress)
    with bar:
        for i in range(len(sheets)):
            values = dict(zip(tensors, session.run(tensors, {"image": sheets.batch[i : i + 1]})))
            for name, array in values.items():
                low[name] = min(low[name], float(np.min(array)))
                high[name] = max(high[name], float(np.max(array)))
            if collector is not None:
                with contextlib.redirect_stdout(io.StringIO()):  # the collector prints on every call
                    collector.collect({name: [array] for name, array in values.items()})
            bar.update(1)
    if collector is None:
        return {t: (low[t], high[t]) for t in tensors}
    with contextlib.redirect_stdout(io.StringIO()):
        thresholds = collector.compute_collection_result()
    return {t: (float(thresholds[t][0]), float(thresholds[t][1])) for t in tensors}


def _histogram_collector(method: str) -> Any:  # onnxruntime HistogramCollector | None
    if method == "minmax":
        return None
    from onnxruntime.quantization.calibrate import HistogramCollector

    s = _HISTOGRAM_SETTINGS[method]
    return HistogramCollector(
        method=method,
        symmetric=s["symmetric"],
        num_bins=s["num_bins"],
        num_quantized_bins=s["num_quantized_bins"],
        percentile=s["percentile"],
        scenario="same",
    )
