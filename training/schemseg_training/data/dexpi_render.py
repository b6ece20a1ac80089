"""Finding the renderings of DEXPI Proteus files, and reading them as images.

The DEXPI TrainingTestCases name a rendering after the XML it shows: ``NAME.png`` / ``NAME.pdf``
is the exporting tool's own rendering of ``NAME.xml``; ``NAME-TOOL.IMnn.png`` is another tool's
rendering after importing it (sometimes in a folder ``NAME/``). A rendering in a folder with a
single XML whose name matches no XML is that XML's rendering too. PDFs are rasterised at a chosen
dpi (first page); rasters are read as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from schemseg_sdk.errors import DatasetError, InvalidInputError
from schemseg_sdk.imageio import read_image

__all__ = ["RASTER_SUFFIXES", "Cases", "RenderingPair", "case_of", "find_renderings", "load_rendering"]

Cases = Literal["complete", "fragments", "all"]
RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
RENDERING_SUFFIXES = (*RASTER_SUFFIXES, ".pdf", ".svg")
_CASE = re.compile(r"^([CEIP])(\d\d)")


@dataclass(frozen=True)
class RenderingPair:
    """One rendering and the Proteus XML it shows (``xml`` is None when no XML matches)."""

    rendering: Path
    xml: Path | None

    @property
    def own(self) -> bool:
        """True when the exporting tool drew it (same name as the XML), not an importing tool."""
        return self.xml is not None and self.rendering.stem.lower() == self.xml.stem.lower()


def case_of(path: Path) -> str:
    """The test case id (``C01``, ``E03``...) from the file name, else from the folder names; "" if none."""
    for part in (path.name, *(p.name for p in path.parents)):
        match = _CASE.match(part)
        if match:
            return match.group(0)
    return ""


def find_renderings(src: Path, cases: Cases = "all") -> list[RenderingPair]:
    """Every rendering under ``src`` (a folder or one XML file) with the XML it shows, sorted by path."""
    if src.is_file():
        xmls = [src]
        candidates = [p for p in sorted(src.parent.rglob("*")) if p.suffix.lower() in RENDERING_SUFFIXES]
    else:
        xmls = sorted(p for p in src.rglob("*") if p.suffix.lower() == ".xml" and p.is_file())
        candidates = sorted(p for p in src.rglob("*") if p.suffix.lower() in RENDERING_SUFFIXES and p.is_file())
    pairs = []
    for rendering in candidates:
        xml = _xml_for(rendering, xmls)
        if src.is_file() and xml != src:
            continue
        if _selected(case_of(rendering), cases):
            pairs.append(RenderingPair(rendering, xml))
    return pairs


def _selected(case: str, cases: Cases) -> bool:
    if cases == "all":
        return True
    return case.startswith("C") if cases == "complete" else case[:1] in ("E", "I", "P")


def _xml_for(rendering: Path, xmls: list[Path]) -> Path | None:
    """The XML whose name the rendering's name starts with (longest wins), beside it or one folder up."""
    name = rendering.stem.lower()
    near = [x for x in xmls if x.parent in (rendering.parent, rendering.parent.parent)]
    named = [x for x in near if name == x.stem.lower() or name.startswith(x.stem.lower() + "-")]
    if named:
        return max(named, key=lambda x: len(x.stem))
    beside = [x for x in xmls if x.parent == rendering.parent]
    if len(beside) == 1 and case_of(beside[0]) == case_of(rendering):
        return beside[0]
    return None


def load_rendering(path: Path, dpi: float) -> np.ndarray:
    """The rendering as BGR uint8: rasters as stored, PDFs' first page at ``dpi`` on white.

    Raises:
        DatasetError: an unreadable file, an SVG (not rasterised), or pypdfium2 missing for a PDF.
    """
    suffix = path.suffix.lower()
    if suffix == ".svg":
        raise DatasetError(f"{path}: SVG renderings are not rasterised; use the PNG or PDF of the same drawing")
    if suffix == ".pdf":
        return _rasterise_pdf(path, dpi)
    try:
        return read_image(path)
    except InvalidInputError as exc:
        raise DatasetError(str(exc)) from None


def _rasterise_pdf(path: Path, dpi: float) -> np.ndarray:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise DatasetError(f"{path}: reading PDF renderings needs pypdfium2 (pip install pypdfium2)") from None
    try:
        document = pdfium.PdfDocument(str(path))
        page = document[0]
        bitmap = page.render(scale=dpi / 72.0, fill_color=(255, 255, 255, 255))
        image = np.asarray(bitmap.to_pil().convert("RGB"))
    except (pdfium.PdfiumError, OSError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable PDF ({exc})") from None
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
