"""Runtime backends behind :class:`~schemseg_sdk.Segmenter` (one class per runtime)."""

from __future__ import annotations

from .base import Backend, BackendBase, BatchOutput, InputSpec

__all__ = ["Backend", "BackendBase", "BatchOutput", "InputSpec"]
