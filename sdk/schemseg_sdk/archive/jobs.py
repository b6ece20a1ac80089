"""What a run works on: the sheets under the given paths, their output files, and whether those are complete."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..dataset import IMAGE_SUFFIXES
from ..instances import GroupingSettings
from ..symbol_classifier import ClassifierChoice
from ..graph.model import GRAPH_SCHEMA
from ..result import JSON_SCHEMA, SegmentationResult

__all__ = ["SheetJob", "Outputs", "collect_images", "output_stems", "plan_jobs"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk every complete PNG ends with


@dataclass(frozen=True)
class SheetJob:
    """One sheet of a run: the image file and the name its outputs take (``STEM.json``...)."""

    source: Path
    stem: str


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

        The JSON must parse, carry the schemseg schema, name ``job.source`` (so a renamed or
        re-ordered archive whose stems moved is redone) and record this run's grouping settings and
        classifier (so a rerun with other ones, or after an upgrade that added a setting, redoes the sheet); the
        overlay must be a PNG that ends with its IEND chunk. Outputs are written atomically, so
        these checks catch files from elsewhere. (A JSON does not record which model file made it:
        after changing the model, use ``--force``.)
        """
        if not self.any:
            return False
        grouping = None if self.grouping is None else asdict(self.grouping)
        return all(_graph_complete(path) if path.name.endswith(".graph.json")
                   else _json_complete(path, job.source, grouping, self.classifier) if path.suffix == ".json"
                   else _png_complete(path) for path in self.paths(job.stem))


def collect_images(paths: Sequence[Path]) -> list[Path]:
    """Expand ``paths``: files are taken as they are, folders give their images (sorted, not recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        else:
            files.append(path)
    return files


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


def plan_jobs(files: Sequence[Path]) -> list[SheetJob]:
    """One job per file, with unique output stems (see :func:`output_stems`)."""
    return [SheetJob(file, stem) for file, stem in zip(files, output_stems(files))]


def _json_complete(path: Path, source: Path, grouping: dict[str, object] | None, classifier: ClassifierChoice) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("schema") != JSON_SCHEMA or "symbols" not in data:
        return False
    recorded = data.get("grouping")
    if isinstance(recorded, dict):
        if not _same_classifier(recorded.get("classifier"), classifier):
            return False
        recorded = {k: v for k, v in recorded.items() if k not in ("stroke_width", "classifier")}
    if recorded != grouping:
        return False
    recorded = data.get("source")
    return isinstance(recorded, str) and (recorded == str(source) or Path(recorded).resolve() == source.resolve())


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
