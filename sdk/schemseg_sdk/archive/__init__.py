"""Segment a whole drawing archive: resumable, every sheet accounted for, in one process or on Ray.

>>> from pathlib import Path
>>> from schemseg_sdk.archive import RunOptions, RayOptions, collect_images, segment_archive
>>> files = collect_images([Path("scans/")])  # doctest: +SKIP
>>> summary = segment_archive(files, RunOptions(Path("out")))  # doctest: +SKIP
>>> summary = segment_archive(files, RunOptions(Path("out")), ray=RayOptions("auto", actors=8))  # doctest: +SKIP
>>> summary.sheets, summary.skipped, summary.failures  # doctest: +SKIP

Ray is optional (``pip install 'schemseg[ray]'``) and imported only when ``ray=`` is given.
"""
from __future__ import annotations

from .jobs import Outputs, SheetJob, collect_images, output_stems, plan_jobs
from .run import RayOptions, RunObserver, RunOptions, segment_archive
from .status import RUN_FOLDER, SUMMARY_SCHEMA, RunSummary, SheetState, SheetStatus
from .worker import segment_jobs

__all__ = [
    "segment_archive",
    "RunOptions",
    "RayOptions",
    "RunObserver",
    "RunSummary",
    "SheetStatus",
    "SheetState",
    "SheetJob",
    "Outputs",
    "collect_images",
    "output_stems",
    "plan_jobs",
    "segment_jobs",
    "RUN_FOLDER",
    "SUMMARY_SCHEMA",
]
