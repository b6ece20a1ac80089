"""The graph contract every ONNX-reading runtime checks once on load: uint8 ``image`` in, ids and confidence out.

Each runtime describes its graph's tensors in its own words (ONNX Runtime says ``tensor(uint8)``,
OpenVINO ``u8``); the check and its messages are shared so that every backend refuses the same
graphs with the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelFormatError
from ..model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME, ModelInfo

__all__ = ["TensorDesc", "check_model_file", "check_model_io"]


@dataclass(frozen=True)
class TensorDesc:
    """One graph input as a runtime reports it; ``shape`` uses the runtime's names for dynamic sides."""

    name: str
    dtype: str  # the runtime's spelling, e.g. "tensor(uint8)" or "u8"
    shape: tuple[object, ...]
    is_uint8: bool

    def __str__(self) -> str:
        return f"{self.name} {self.dtype} {list(self.shape)}"


def check_model_io(source: str, info: ModelInfo, inputs: Sequence[TensorDesc], outputs: Iterable[str]) -> None:
    """Raise :class:`ModelFormatError` unless the graph takes ``image`` uint8 ``(N, S, S, 3)`` and gives both outputs.

    >>> info = ModelInfo(("background", "resistor"), input_size=64)
    >>> check_model_io("m.onnx", info, [TensorDesc("image", "u8", ("?", 64, 64, 3), True)], ["class_ids", "confidence"])
    """
    size = info.input_size
    image = next((i for i in inputs if i.name == INPUT_NAME), None)
    if image is None or not image.is_uint8 or list(image.shape[1:]) != [size, size, 3]:
        got = ", ".join(str(i) for i in inputs)
        raise ModelFormatError(
            f"{source}: expected input '{INPUT_NAME}' uint8 (N, {size}, {size}, 3) as its metadata says, got {got}"
        )
    names = set(outputs)
    missing = {CLASS_IDS, CONFIDENCE} - names
    if missing:
        raise ModelFormatError(
            f"{source}: outputs {sorted(missing)} missing (has {sorted(names)}); re-export the model"
        )


def check_model_file(path: Path) -> None:
    """Raise :class:`ModelFormatError` for a missing, directory or empty model file."""
    if path.is_dir():
        raise ModelFormatError(f"{path}: is a directory, expected an .onnx model file")
    if not path.is_file():
        raise ModelFormatError(f"{path}: no such model file")
    if path.stat().st_size == 0:
        raise ModelFormatError(f"{path}: empty file (0 bytes), expected an ONNX model")
