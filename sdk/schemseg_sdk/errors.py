"""The one exception family of schemseg.

Every error the library raises on purpose derives from :class:`SchemsegError`; the CLI turns it
into a one-line message and a non-zero exit. Messages say what was received, what was expected and
how to fix it.
"""

from __future__ import annotations

__all__ = [
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


class SchemsegError(Exception):
    """Root of every error schemseg raises on purpose."""


class InvalidInputError(SchemsegError, ValueError):
    """An image, array or argument that cannot be used (corrupt file, wrong dtype, empty...)."""


class DatasetError(SchemsegError):
    """A dataset folder that is missing files, has mismatched sizes or unknown class ids."""


class ModelFormatError(SchemsegError):
    """A model file that is not ONNX, or lacks the schemseg metadata."""


class BackendUnavailableError(SchemsegError):
    """An optional runtime (torch, tensorrt, pycuda, a provider) is not installed or usable."""


class EngineBuildError(SchemsegError):
    """Building a precision graph or a TensorRT engine failed."""


class EngineLoadError(SchemsegError):
    """A TensorRT engine that cannot be loaded here (corrupt, no sidecar, other GPU or version)."""


class AccuracyGateError(EngineBuildError):
    """A reduced-precision graph lost more accuracy than the gate allows."""


class InferenceError(SchemsegError):
    """Running the model failed (out of memory, runtime error)."""
