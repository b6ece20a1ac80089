"""Precision graphs, accuracy gates and TensorRT engine bundles (``schemseg-build-engine``).

>>> from schemseg_sdk.engine import build_engine  # doctest: +SKIP
>>> build_engine("model.onnx", "fp16", val="data/val").engine_path  # doctest: +SKIP
PosixPath('engines/model.fp16.engine')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pipeline import BuildResult, build_engine

__all__ = ["build_engine", "BuildResult"]


def __getattr__(name: str) -> object:
    # imported on first use: the runtime (engine checks, sidecars) must not pay for the build machinery
    if name in __all__:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
