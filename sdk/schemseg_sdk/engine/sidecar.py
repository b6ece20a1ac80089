"""Engine bundles: ``NAME.PRECISION.engine`` beside ``NAME.PRECISION.json`` (this sidecar)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import EngineLoadError
from ..fileio import atomic_write_text

__all__ = ["EngineSidecar", "sidecar_path", "read_sidecar", "write_sidecar", "skipped_gate"]


def skipped_gate(reason: str) -> dict[str, object]:
    """What the sidecar (``gate``) and the gate report record when the accuracy gate did not run."""
    return {"status": "skipped", "reason": reason}


@dataclass(frozen=True)
class EngineSidecar:
    """Everything needed to check that an engine can run here and how to feed it."""

    schemseg_version: str
    tensorrt_version: str
    gpu_name: str
    compute_capability: str  # "8.6"
    precision: str  # fp32 | fp16 | int8
    batch_min: int
    batch_opt: int
    batch_max: int
    input_size: int
    class_names: tuple[str, ...]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    onnx_sha256: str
    source_onnx: str = ""  # path of the ONNX the engine was built from (for rebuild hints)
    calibration_hash: str | None = None
    version_compatible: bool = False
    gate: dict[str, object] = field(default_factory=dict)
    model_metadata: dict[str, str] = field(default_factory=dict)  # the ONNX metadata_props, verbatim
    precision_onnx: str = ""  # the checked precision graph the engine was compiled from (onnx_sha256 is its hash)
    build: dict[str, object] = field(default_factory=dict)  # what the build did: simplification, FP16, calibration

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def sidecar_path(engine_path: str | os.PathLike[str]) -> Path:
    """``x.fp16.engine`` -> ``x.fp16.json``."""
    return Path(engine_path).with_suffix(".json")


def write_sidecar(engine_path: str | os.PathLike[str], sidecar: EngineSidecar) -> Path:
    path = sidecar_path(engine_path)
    atomic_write_text(path, sidecar.to_json() + "\n")
    return path


def read_sidecar(engine_path: str | os.PathLike[str]) -> EngineSidecar:
    """Read the sidecar of ``engine_path``; raise :class:`EngineLoadError` if missing or malformed."""
    path = sidecar_path(engine_path)
    if not path.is_file():
        raise EngineLoadError(
            f"{engine_path}: no sidecar {path.name} beside the engine; an engine without its sidecar cannot be "
            "checked against this GPU, rebuild it with 'schemseg-build-engine MODEL.onnx'"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("class_names", "mean", "std"):
            data[key] = tuple(data[key])
        return EngineSidecar(**data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise EngineLoadError(f"{path}: malformed engine sidecar ({exc})") from None
