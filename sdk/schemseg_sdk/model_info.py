"""The contract between an exported model and the SDK, stored in the ONNX ``metadata_props``.

Graph I/O of every schemseg ONNX model (fp32, fp16 and int8 graphs alike):

* input ``image``: uint8 ``(N, S, S, 3)``, BGR as OpenCV loads it, ``N`` dynamic, ``S`` =
  :attr:`ModelInfo.input_size`; cast, normalisation and layout change happen inside the graph.
* output ``class_ids``: uint8 ``(N, S, S)``, the arg-max class per pixel.
* output ``confidence``: float32 ``(N, S, S)``, the top softmax probability.
* optional output ``logits``: float32 ``(N, K, S, S)`` for ``K`` classes (export ``--logits``, debugging only).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from .classes import CLASS_NAMES
from .errors import ModelFormatError
from .geometry import MODEL_INPUT_SIZE, PAD_MULTIPLE, PAD_VALUE, SHEET_SIZE

__all__ = ["ModelInfo", "INPUT_NAME", "CLASS_IDS", "CONFIDENCE", "LOGITS", "METADATA_PREFIX", "FORMAT_VERSION"]

INPUT_NAME = "image"
CLASS_IDS = "class_ids"
CONFIDENCE = "confidence"
LOGITS = "logits"
METADATA_PREFIX = "schemseg."
FORMAT_VERSION = 1

# ImageNet statistics in RGB order, applied to x / 255 after BGR->RGB, inside the graph.
DEFAULT_MEAN = (0.485, 0.456, 0.406)
DEFAULT_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelInfo:
    """What the SDK needs to know about a model, read from (and written to) ONNX metadata."""

    class_names: tuple[str, ...] = CLASS_NAMES
    input_size: int = MODEL_INPUT_SIZE
    sheet_size: int = SHEET_SIZE
    pad_multiple: int = PAD_MULTIPLE
    pad_value: int = PAD_VALUE
    mean: tuple[float, float, float] = DEFAULT_MEAN
    std: tuple[float, float, float] = DEFAULT_STD
    model_name: str = "attention_unetpp"
    model_version: str = "0"
    precision: str = "fp32"
    extra: dict[str, str] = field(default_factory=dict)

    def to_metadata(self) -> dict[str, str]:
        """Flatten to string key/value pairs for ``onnx.ModelProto.metadata_props``."""
        values = asdict(self)
        extra = values.pop("extra")
        meta = {METADATA_PREFIX + "format": str(FORMAT_VERSION)}
        for key, value in values.items():
            meta[METADATA_PREFIX + key] = json.dumps(list(value) if isinstance(value, tuple) else value)
        meta.update({METADATA_PREFIX + "extra." + k: v for k, v in extra.items()})
        return meta

    @classmethod
    def from_metadata(cls, meta: Mapping[str, str], source: str = "model") -> ModelInfo:
        """Parse metadata written by :meth:`to_metadata`; raise :class:`ModelFormatError` if absent."""
        if METADATA_PREFIX + "format" not in meta:
            raise ModelFormatError(
                f"{source}: no schemseg metadata (key '{METADATA_PREFIX}format' missing); "
                "export the model with 'schemseg export' so it carries its class names and input size"
            )
        try:
            kwargs: dict[str, object] = {}
            for name in cls.__dataclass_fields__:
                key = METADATA_PREFIX + name
                if name == "extra" or key not in meta:
                    continue
                value = json.loads(meta[key])
                kwargs[name] = tuple(value) if isinstance(value, list) else value
            extra_prefix = METADATA_PREFIX + "extra."
            kwargs["extra"] = {k[len(extra_prefix) :]: v for k, v in meta.items() if k.startswith(extra_prefix)}
            info = cls(**kwargs)  # type: ignore[arg-type]  # values read from JSON metadata; a wrong type raises TypeError, caught below
        except (ValueError, TypeError) as exc:
            raise ModelFormatError(f"{source}: malformed schemseg metadata ({exc})") from None
        if len(info.class_names) < 2 or info.input_size % info.pad_multiple:
            raise ModelFormatError(
                f"{source}: metadata has {len(info.class_names)} classes and input size {info.input_size}; "
                f"expected at least 2 classes and a size divisible by {info.pad_multiple}"
            )
        return info

    def replace(self, **changes: object) -> ModelInfo:
        """Return a copy with ``changes`` applied (e.g. a new ``precision``)."""
        values = asdict(self)
        values.update(changes)
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return ModelInfo(**values)
