"""Segment a whole drawing archive: resumable, every sheet accounted for, in one process or on Ray.

>>> from pathlib import Path
>>> from schemseg_sdk.archive import RunOptions, RayOptions, collect_documents, segment_archive
>>> found = collect_documents([Path("scans/")])  # doctest: +SKIP
>>> files = found.files  # doctest: +SKIP
>>> summary = segment_archive(files, RunOptions(Path("out")), skipped_files=found.skipped)  # doctest: +SKIP
>>> summary = segment_archive(files, RunOptions(Path("out")), ray=RayOptions("auto", actors=8))  # doctest: +SKIP
>>> summary.sheets, summary.skipped, summary.failures  # doctest: +SKIP

Ray is optional (``pip install 'schemseg[ray]'``) and imported only when ``ray=`` is given.
"""

from __future__ import annotations

from .jobs import (
    Collected,
    Outputs,
    SheetJob,
    SkippedFile,
    collect_documents,
    collect_images,
    output_stems,
    plan_jobs,
)
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
    "collect_documents",
    "Collected",
    "SkippedFile",
    "output_stems",
    "plan_jobs",
    "segment_jobs",
    "RUN_FOLDER",
    "SUMMARY_SCHEMA",
]
