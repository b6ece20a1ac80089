"""Per-sheet status records, the run summary, and the files that keep them: ``OUT/schemseg-run/``.

``summary.json`` (schema ``schemseg.run/1``) lists every sheet of the run (every page of a
document, with its ``page``) with its state (``done``, ``skipped`` as complete already, ``failed``
with its reason, or ``pending`` while it waits), and under ``skipped`` the files of the folders
that were not read, with the reason; ``failures.txt`` has one line per failed sheet (``FILE:
reason``) and is empty when none failed. Both are rewritten atomically while the run goes on (at
most every ``flush_seconds``) and when it ends or is interrupted.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from ..fileio import atomic_write_text
from ..result import STAGES
from .jobs import Outputs, SheetJob, SkippedFile

__all__ = ["SheetState", "RunState", "SheetStatus", "RunSummary", "RunRecorder", "RUN_FOLDER", "SUMMARY_SCHEMA"]

SheetState = Literal["done", "skipped", "failed"]
RunState = Literal["running", "finished", "interrupted", "error"]
RUN_FOLDER = "schemseg-run"
"""Subfolder of the output folder with ``summary.json`` and ``failures.txt`` (a folder: no sheet's
``STEM.json`` can collide with it)."""
SUMMARY_SCHEMA = "schemseg.run/1"


@dataclass
class SheetStatus:
    """What became of one sheet: ``done`` (outputs written now), ``skipped`` (they were complete) or ``failed``."""

    source: str
    stem: str
    state: SheetState
    reason: str = ""
    """For ``failed``: one line that names the file and what went wrong."""
    symbols: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    written: int = 0
    page: int | None = None
    """The page number of a document's page (from 1); ``None`` for an image file."""

    @classmethod
    def failed(cls, job: SheetJob, reason: str) -> SheetStatus:
        return cls(str(job.source), job.stem, "failed", reason, page=_page_number(job))

    @classmethod
    def skipped(cls, job: SheetJob) -> SheetStatus:
        """Outputs complete already."""
        return cls(str(job.source), job.stem, "skipped", page=_page_number(job))

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SheetStatus:
        return cls(**data)  # type: ignore[arg-type]  # summary.json written by this module; a wrong field raises TypeError


@dataclass
class RunSummary:
    """What one run did. ``sheets`` counts the sheets segmented and written by this run."""

    planned: int
    description: str = ""
    sheets: int = 0
    skipped: int = 0
    written: int = 0
    symbols: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0
    interrupted: bool = False
    summary_path: Path | None = None
    failures_path: Path | None = None
    skipped_files: list[SkippedFile] = field(default_factory=list)
    """Files of the folders that were not read (not drawings schemseg reads, subfolders), with the reason."""
    stems: list[str] = field(default_factory=list)
    """Every sheet's output name, in order (``STEM.json``): what a bill of the run reads."""

    def add(self, status: SheetStatus) -> None:
        if status.state == "failed":
            self.failures.append(status.reason)
        elif status.state == "skipped":
            self.skipped += 1
        else:
            self.sheets += 1
            self.written += status.written
            self.symbols.update(status.symbols)
            self.stage_seconds.update({stage: status.timings.get(stage, 0.0) for stage in (*STAGES, "total")})


class RunRecorder:
    """Collects the sheets' statuses of a run and keeps ``summary.json`` and ``failures.txt`` current.

    With no outputs asked for (``Outputs.any`` false) nothing is written: there is nothing to resume.
    """

    def __init__(
        self,
        jobs: Sequence[SheetJob],
        outputs: Outputs,
        settings: dict[str, object],
        flush_seconds: float = 10.0,
        skipped_files: Sequence[SkippedFile] = (),
    ) -> None:
        folder = outputs.out_dir / RUN_FOLDER if outputs.any else None
        self.summary = RunSummary(
            planned=len(jobs),
            summary_path=folder / "summary.json" if folder else None,
            failures_path=folder / "failures.txt" if folder else None,
            skipped_files=list(skipped_files),
            stems=[job.stem for job in jobs],
        )
        self.settings = settings
        self._jobs = list(jobs)
        self._statuses: dict[str, SheetStatus] = {}
        self._flush_seconds = flush_seconds
        self._started = time.time()
        self._clock = time.perf_counter()
        self._last_flush = self._clock

    def add(self, status: SheetStatus) -> None:
        """Record one sheet's status; a sheet reported twice keeps its first status."""
        if status.stem in self._statuses:
            return
        self._statuses[status.stem] = status
        self.summary.add(status)
        if time.perf_counter() - self._last_flush >= self._flush_seconds:
            self.flush("running")

    def missing(self) -> list[SheetJob]:
        """The jobs no status was recorded for yet."""
        return [job for job in self._jobs if job.stem not in self._statuses]

    def flush(self, state: RunState) -> None:
        """Rewrite ``summary.json`` and ``failures.txt`` (atomically) with what is known now."""
        self.summary.wall = time.perf_counter() - self._clock
        self.summary.interrupted = state == "interrupted"
        self._last_flush = time.perf_counter()
        if self.summary.summary_path is None or self.summary.failures_path is None:
            return
        atomic_write_text(self.summary.summary_path, json.dumps(self._summary_dict(state), indent=1) + "\n")
        atomic_write_text(self.summary.failures_path, "".join(f"{line}\n" for line in self.summary.failures))

    def _summary_dict(self, state: RunState) -> dict[str, object]:
        sheets = []
        for job in self._jobs:
            status = self._statuses.get(job.stem)
            entry: dict[str, object] = {
                "source": str(job.source),
                "stem": job.stem,
                "state": status.state if status else "pending",
            }
            if job.page is not None:
                entry["page"] = job.page.number
            if status and status.state == "failed":
                entry["reason"] = status.reason
            sheets.append(entry)
        counts = Counter(str(entry["state"]) for entry in sheets)
        summary = self.summary
        return {
            "schema": SUMMARY_SCHEMA,
            "state": state,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self._started)),
            "wall_seconds": round(summary.wall, 3),
            "description": summary.description,
            "settings": self.settings,
            "counts": {key: counts.get(key, 0) for key in ("done", "skipped", "failed", "pending")},
            "symbols": dict(sorted(summary.symbols.items())),
            "sheets": sheets,
            "skipped": [{"source": str(file.source), "reason": file.reason} for file in summary.skipped_files],
        }


def _page_number(job: SheetJob) -> int | None:
    return None if job.page is None else job.page.number
