"""What a run works on: the sheets under the given paths, their output files, and whether those are complete.

A document (PDF, multi-page TIFF) expands into one job per page, named ``NAME.p001``, ``NAME.p002``...
(a one-page file keeps ``NAME``); a document that cannot be opened is one job that has already
failed, so the run records it with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..dataset import IMAGE_SUFFIXES
from ..documents import PDF_SUFFIXES, DocumentPage, document_pages
from ..errors import InvalidInputError
from ..graph.model import GRAPH_SCHEMA
from ..instances import GroupingSettings
from ..result import JSON_SCHEMA, SegmentationResult
from ..sheet_scale import ScaleChoice
from ..symbol_classifier import ClassifierChoice

__all__ = [
    "SheetJob",
    "Outputs",
    "SkippedFile",
    "Collected",
    "collect_documents",
    "collect_images",
    "output_stems",
    "plan_jobs",
    "DOCUMENT_SUFFIXES",
]

DOCUMENT_SUFFIXES = (*PDF_SUFFIXES, *IMAGE_SUFFIXES)
"""What a folder is searched for; other files there are listed as skipped, with the reason."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk every complete PNG ends with


@dataclass(frozen=True)
class SheetJob:
    """One sheet of a run: the file (and page) and the name its outputs take (``STEM.json``...)."""

    source: Path
    stem: str
    page: DocumentPage | None = None
    """The page of a document; ``None``: the file is one image, read whole."""
    error: str | None = None
    """Why the file could not be opened: the job has failed before it started."""

    @property
    def sheet(self) -> Path | DocumentPage:
        """What the Segmenter reads for this job."""
        return self.source if self.page is None else self.page

    @property
    def label(self) -> str:
        """How messages name the sheet: the path, or ``doc.pdf page 2 of 7``."""
        return str(self.source) if self.page is None else self.page.label

    def to_dict(self) -> dict[str, object]:
        """Plain data (for Ray rows); :meth:`from_dict` reverses it."""
        page = self.page
        return {
            "source": str(self.source),
            "stem": self.stem,
            "error": self.error,
            "page": None if page is None else [page.number, page.count, page.dpi],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SheetJob:
        source, page = Path(str(data["source"])), data.get("page")
        number, count, dpi = page if isinstance(page, list) else (0, 0, None)
        error = data.get("error")
        return cls(
            source,
            str(data["stem"]),
            DocumentPage(source, number, count, dpi) if page else None,
            None if error is None else str(error),
        )


@dataclass(frozen=True)
class SkippedFile:
    """A file in a folder that is not a drawing schemseg reads, and why it was left."""

    source: Path
    reason: str


@dataclass(frozen=True)
class Collected:
    """What :func:`collect_documents` found: the files to read, and those left with their reason."""

    files: list[Path]
    skipped: list[SkippedFile]


@dataclass(frozen=True)
class Outputs:
    """Which files a run writes per sheet, and where: ``OUT/STEM.overlay.png``, ``OUT/STEM.graph.json``, ``OUT/STEM.json``."""

    out_dir: Path
    write_json: bool = True
    write_overlay: bool = True
    write_graph: bool = False
    """Also ``STEM.graph.json``: the sheet's symbols, ports and nets (:mod:`schemseg_sdk.graph`)."""
    grouping: GroupingSettings | None = GroupingSettings()
    """The run's grouping: a sheet whose JSON records other settings (or none) is not complete."""
    classifier: ClassifierChoice = "auto"
    """The run's symbol classifier: ``None`` or a file must be what the JSON records (``"auto"``: any)."""
    scale: ScaleChoice = "auto"
    """The run's scale: the JSON must record it (``"auto"``, or the same fixed zoom)."""

    @property
    def any(self) -> bool:
        """Whether a sheet has any output file (a run with none keeps nothing to resume from)."""
        return self.write_json or self.write_overlay or self.write_graph

    def paths(self, stem: str) -> list[Path]:
        """The output files of ``stem``, in the order they are written (the JSON last)."""
        paths = []
        if self.write_overlay:
            paths.append(self.out_dir / f"{stem}.overlay.png")
        if self.write_graph:
            paths.append(self.out_dir / f"{stem}.graph.json")
        if self.write_json:
            paths.append(self.out_dir / f"{stem}.json")
        return paths

    def write(self, stem: str, result: SegmentationResult) -> int:
        """Write the outputs of one sheet atomically; return how many files were written."""
        paths = self.paths(stem)
        for path in paths:
            if path.suffix == ".png":
                result.save_overlay(path)
            elif path.name.endswith(".graph.json"):
                result.graph.save_json(path)
            else:
                result.save_json(path)
        return len(paths)

    def complete(self, job: SheetJob) -> bool:
        """Whether every output of ``job`` exists and is whole.

        The JSON must parse, carry the schemseg schema, name ``job.source`` and its page (so a
        renamed or re-ordered archive whose stems moved is redone), the PDF render resolution, and
        record this run's grouping settings, classifier and scale (so a rerun with other ones, or after
        an upgrade that added a setting, redoes the sheet); the overlay must be a PNG that ends with
        its IEND chunk. Outputs are written atomically, so these checks catch files from elsewhere.
        (A JSON does not record which model file made it: after changing the model, use ``--force``.)
        """
        if not self.any or job.error is not None:
            return False
        grouping = None if self.grouping is None else asdict(self.grouping)
        return all(
            _graph_complete(path)
            if path.name.endswith(".graph.json")
            else _json_complete(path, job, grouping, self.classifier, self.scale)
            if path.suffix == ".json"
            else _png_complete(path)
            for path in self.paths(job.stem)
        )


def collect_documents(paths: Sequence[Path]) -> Collected:
    """Expand ``paths``: files are taken as they are (read by content), folders give their drawings.

    A folder gives its files with a :data:`DOCUMENT_SUFFIXES` suffix, sorted; its other files and
    its subfolders (not searched) are listed in ``skipped`` with the reason. Hidden files (``.name``)
    are left unlisted, as file browsers do.
    """
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for entry in sorted(path.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                skipped.append(
                    SkippedFile(
                        entry, "a folder: not searched (folders are read one level deep); name it to segment it too"
                    )
                )
            elif entry.suffix.lower() in DOCUMENT_SUFFIXES:
                files.append(entry)
            else:
                skipped.append(
                    SkippedFile(
                        entry,
                        f"not a drawing schemseg reads ({entry.suffix or 'no suffix'}; "
                        f"it reads {', '.join(DOCUMENT_SUFFIXES)})",
                    )
                )
    return Collected(files, skipped)


def collect_images(paths: Sequence[Path]) -> list[Path]:
    """The files of :func:`collect_documents` (those it skipped are left out: see there)."""
    return collect_documents(paths).files


def output_stems(files: Sequence[Path]) -> list[str]:
    """One output name per file: its stem, with ``-2``, ``-3``... where stems repeat.

    >>> output_stems([Path("a/x.png"), Path("b/x.png"), Path("y.jpg")])
    ['x', 'x-2', 'y']
    """
    seen: Counter[str] = Counter()
    stems = []
    for file in files:
        seen[file.stem] += 1
        stems.append(file.stem if seen[file.stem] == 1 else f"{file.stem}-{seen[file.stem]}")
    return stems


def plan_jobs(files: Sequence[Path], dpi: float | None = None) -> list[SheetJob]:
    """One job per page, with unique output stems; documents are opened here to count their pages.

    A file's stem comes from :func:`output_stems`; the pages of a document with several get
    ``STEM.p001``... (as many digits as the largest page number needs, at least three). A stem
    that another file's page already took gets ``-2``, ``-3``... A PDF that cannot be opened
    gives one job with its ``error``; a raster file is checked only when it is segmented.
    """
    jobs: list[SheetJob] = []
    taken: set[str] = set()
    for file, stem in zip(files, output_stems(files)):
        try:
            pages = document_pages(file, dpi)
        except InvalidInputError as exc:
            jobs.append(SheetJob(file, _unique(stem, taken), error=str(exc)))
            continue
        if len(pages) == 1:
            page = pages[0] if pages[0].dpi is not None else None  # a raster image is read whole
            jobs.append(SheetJob(file, _unique(stem, taken), page))
            continue
        digits = max(3, len(str(len(pages))))
        jobs.extend(SheetJob(file, _unique(f"{stem}.p{page.number:0{digits}d}", taken), page) for page in pages)
    return jobs


def _unique(stem: str, taken: set[str]) -> str:
    unique, n = stem, 1
    while unique in taken:
        n += 1
        unique = f"{stem}-{n}"
    taken.add(unique)
    return unique


_MEASURED = ("stroke_width", "text_height", "classifier", "classifier_reason")
"""What a JSON's ``grouping`` records besides its settings: measured per sheet, or checked on its own."""


def _json_complete(
    path: Path, job: SheetJob, grouping: dict[str, object] | None, classifier: ClassifierChoice, scale: ScaleChoice
) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("schema") != JSON_SCHEMA or "symbols" not in data:
        return False
    if not _same_scale(data.get("scale"), scale):
        return False
    recorded = data.get("grouping")
    if isinstance(recorded, dict):
        if not _same_classifier(recorded.get("classifier"), classifier):
            return False
        recorded = {k: v for k, v in recorded.items() if k not in _MEASURED}
    if recorded != grouping:
        return False
    page = job.page
    if (data.get("page"), data.get("dpi")) != ((None, None) if page is None else (page.number, page.dpi)):
        return False
    recorded, source = data.get("source"), job.source
    return isinstance(recorded, str) and (recorded == str(source) or Path(recorded).resolve() == source.resolve())


def _same_scale(recorded: object, choice: ScaleChoice) -> bool:
    """Whether a JSON's ``scale`` is what ``choice`` gives."""
    if not isinstance(recorded, dict):
        return False
    if choice == "auto":
        return recorded.get("mode") == "auto"
    return recorded.get("mode") == "fixed" and recorded.get("zoom") == choice


def _graph_complete(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("schema") == GRAPH_SCHEMA and "nets" in data


def _same_classifier(recorded: object, choice: ClassifierChoice) -> bool:
    """Whether a JSON's ``grouping.classifier`` is what ``choice`` gives (``"auto"`` depends on the model: any)."""
    if isinstance(choice, str) and choice == "auto":
        return True
    if choice is None:
        return recorded is None
    return isinstance(recorded, dict) and recorded.get("file") == Path(choice).name


def _png_complete(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_PNG_SIGNATURE))
            fh.seek(0, 2)
            if fh.tell() < len(_PNG_SIGNATURE) + len(_PNG_END):
                return False
            fh.seek(-len(_PNG_END), 2)
            tail = fh.read()
    except OSError:
        return False
    return head == _PNG_SIGNATURE and tail == _PNG_END
