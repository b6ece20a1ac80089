"""Percentiles and latency summaries (pure Python, so results do not depend on numpy's defaults)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

__all__ = ["percentile", "LatencySummary", "summarize", "median"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` by linear interpolation between closest ranks.

    Same definition as ``numpy.percentile(values, q)`` (method ``"linear"``).

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must be in 0..100, got {q}")
    ordered = sorted(float(v) for v in values)
    position = (len(ordered) - 1) * q / 100.0
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(values: Sequence[float]) -> float:
    """The 50th percentile of ``values``."""
    return percentile(values, 50.0)


@dataclass(frozen=True)
class LatencySummary:
    """Seconds per measured run: count, mean, median (p50), tail percentiles, extremes, spread."""

    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    min: float
    max: float
    stdev: float

    def to_dict(self, scale: float = 1000.0, digits: int = 3) -> dict[str, float | int]:
        """The summary with times multiplied by ``scale`` (milliseconds by default) and rounded."""
        return {k: v if k == "count" else round(v * scale, digits) for k, v in asdict(self).items()}


def summarize(values: Sequence[float]) -> LatencySummary:
    """Summarize measured durations (seconds).

    >>> summarize([0.1, 0.2, 0.3]).p50
    0.2
    """
    if not values:
        raise ValueError("cannot summarize zero measurements")
    data = [float(v) for v in values]
    return LatencySummary(
        count=len(data),
        mean=statistics.fmean(data),
        p50=percentile(data, 50.0),
        p90=percentile(data, 90.0),
        p99=percentile(data, 99.0),
        min=min(data),
        max=max(data),
        stdev=statistics.stdev(data) if len(data) > 1 else 0.0,
    )
