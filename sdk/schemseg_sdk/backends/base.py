"""The one backend protocol: every runtime (ONNX Runtime, TensorRT) implements it.

Shared input checks live here in :class:`BackendBase`, so each backend only implements
``_run`` (one batch) and optionally ``_run_many`` (pipelined batches) and ``_release``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

from ..errors import InvalidInputError, SchemsegError
from ..model_info import ModelInfo

__all__ = ["InputSpec", "BatchOutput", "Backend", "BackendBase"]

_Self = TypeVar("_Self", bound="BackendBase")


@dataclass(frozen=True)
class InputSpec:
    """The model input: ``(N, size, size, 3)`` uint8 with ``1 <= N <= max_batch``."""

    name: str
    size: int
    max_batch: int  # largest batch the backend accepts (engine profile max; large for ORT)
    dtype: str = "uint8"

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (-1, self.size, self.size, 3)


@dataclass
class BatchOutput:
    """One batch's result. ``timings`` holds seconds per stage (``compute``, ``h2d``, ``d2h``...)."""

    class_ids: np.ndarray  # (N, S, S) uint8
    confidence: np.ndarray | None  # (N, S, S) float32, None when not asked for
    timings: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """What :class:`~schemseg_sdk.Segmenter` needs from a runtime."""

    name: str
    info: ModelInfo
    input_spec: InputSpec

    def infer(self, batch: np.ndarray, *, with_confidence: bool = True) -> BatchOutput: ...

    def infer_many(self, batches: Iterable[np.ndarray], *, with_confidence: bool = True) -> Iterator[BatchOutput]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Backend: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class BackendBase(ABC):
    """Common checks, context management and idempotent ``close`` for every backend."""

    name: str = "backend"

    def __init__(self, info: ModelInfo, input_spec: InputSpec) -> None:
        self.info = info
        self.input_spec = input_spec
        self._closed = False
        self._close_lock = threading.Lock()

    # -- public protocol -------------------------------------------------------------------
    def infer(self, batch: np.ndarray, *, with_confidence: bool = True) -> BatchOutput:
        """Run one batch ``(N, S, S, 3)`` uint8 and return class ids (and confidence)."""
        self._check_open()
        self.check_batch(batch)
        return self._run(np.ascontiguousarray(batch), with_confidence)

    def infer_many(self, batches: Iterable[np.ndarray], *, with_confidence: bool = True) -> Iterator[BatchOutput]:
        """Run many batches in order; backends that can overlap transfers and compute override ``_run_many``."""
        self._check_open()

        def checked() -> Iterator[np.ndarray]:
            for batch in batches:
                self.check_batch(batch)
                yield np.ascontiguousarray(batch)

        yield from self._run_many(checked(), with_confidence)

    def close(self) -> None:
        """Free the backend's resources; safe to call more than once."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._release()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- shared checks ---------------------------------------------------------------------
    def check_batch(self, batch: np.ndarray) -> None:
        """Raise :class:`InvalidInputError` unless ``batch`` matches :attr:`input_spec`."""
        spec = self.input_spec
        if not isinstance(batch, np.ndarray):
            raise InvalidInputError(f"input '{spec.name}': expected a numpy array, got {type(batch).__name__}")
        if batch.dtype != np.uint8:
            raise InvalidInputError(f"input '{spec.name}': expected dtype uint8, got {batch.dtype}")
        expected = (spec.size, spec.size, 3)
        if batch.ndim != 4 or batch.shape[1:] != expected:
            raise InvalidInputError(
                f"input '{spec.name}': expected shape (N, {spec.size}, {spec.size}, 3), got {tuple(batch.shape)}"
            )
        if not 1 <= batch.shape[0] <= spec.max_batch:
            raise InvalidInputError(
                f"input '{spec.name}': batch of {batch.shape[0]} is outside 1..{spec.max_batch} "
                "(the engine's batch profile); use a smaller batch_size or rebuild with a larger --batch"
            )

    def _check_open(self) -> None:
        if self._closed:
            raise SchemsegError(f"{self.name}: backend is closed")

    # -- for subclasses --------------------------------------------------------------------
    @abstractmethod
    def _run(self, batch: np.ndarray, with_confidence: bool) -> BatchOutput:
        """Run one checked, contiguous batch."""

    def _run_many(self, batches: Iterator[np.ndarray], with_confidence: bool) -> Iterator[BatchOutput]:
        for batch in batches:
            yield self._run(batch, with_confidence)

    def _release(self) -> None:  # noqa: B027  (a hook: backends holding no resources need not override it)
        """Free resources (called once by :meth:`close`)."""
