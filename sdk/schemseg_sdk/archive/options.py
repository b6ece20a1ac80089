"""What an archive run is asked to do: :class:`RunOptions`, :class:`RayOptions`, :class:`RunObserver`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..backends.onnxruntime import Device
from ..instances import GroupingSettings
from ..sheet_scale import ScaleChoice
from ..symbol_classifier import ClassifierChoice
from .jobs import Outputs
from .status import SheetStatus

__all__ = ["RunOptions", "RayOptions", "RunObserver"]


@dataclass(frozen=True)
class RunOptions:
    """How to segment an archive (the options of ``schemseg segment``)."""

    out_dir: Path
    model: Path | None = None
    """``.onnx`` or ``.engine`` file; ``None``: the bundled reference model."""
    device: Device = "auto"
    batch_size: int = 4
    threads: int | None = None
    """ONNX Runtime threads (per actor on Ray); ``None``: all cores here, the actor's CPUs on Ray."""
    write_json: bool = True
    write_overlay: bool = True
    write_graph: bool = False
    """Also write ``STEM.graph.json`` (symbols, ports, nets) per sheet."""
    force: bool = False
    """Redo sheets whose outputs are already complete."""
    grouping: GroupingSettings | None = GroupingSettings()
    """How pixels become symbols (the Segmenter's default); ``None``: one symbol per predicted region."""
    classifier: ClassifierChoice = "auto"
    """The symbol classifier (the Segmenter's ``classifier``): ``"auto"``, a file, or ``None``."""
    dpi: float | None = None
    """PDF render resolution; ``None`` chooses it from each page's size (see :func:`~schemseg_sdk.documents.render_dpi`)."""
    scale: ScaleChoice = "auto"
    """The zoom sheets are read at (the Segmenter's ``scale``): ``"auto"`` or a number."""

    @property
    def outputs(self) -> Outputs:
        return Outputs(
            self.out_dir,
            self.write_json,
            self.write_overlay,
            self.write_graph,
            self.grouping,
            self.classifier,
            self.scale,
        )


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to run on Ray.

    ``address``: ``None`` joins the cluster in ``RAY_ADDRESS`` when it is set and otherwise starts
    Ray on this machine; ``"local"`` always starts Ray here; ``"auto"`` joins the cluster this
    machine belongs to (``ray start``); ``"HOST:PORT"`` or ``"ray://HOST:10001"`` join that one.
    A Ray already initialised in this process is used as it is.
    """

    address: str | None = None
    actors: int = 1


class RunObserver(Protocol):
    """Told what a run does, e.g. to show progress (the library itself never prints)."""

    def started(self, description: str, pending: int, skipped: int) -> None:
        """Segmenting begins: what runs it, how many sheets it will segment, how many are skipped."""

    def sheet_finished(self, status: SheetStatus) -> None:
        """One sheet is done or failed."""
