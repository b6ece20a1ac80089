"""Documents: files that hold one drawing or many (PDF, multi-page TIFF); every page is a sheet.

:func:`document_pages` lists the pages of a file without decoding them; :func:`read_page` decodes
one page to BGR uint8, as :func:`~schemseg_sdk.imageio.read_image` does for an image. Rasters are
decoded by OpenCV (it reads multi-page CCITT Group 4 TIFF, GIF and WebP frames page by page); PDF
pages are rendered by PDFium (``pypdfium2``), vector and scanned pages alike, straight into the
array the Segmenter reads, so a page is rendered once and never copied.

PDF pages are rendered at :data:`RENDER_DPI`, lowered for pages so large that this would exceed
:data:`RENDER_PIXELS` (an A0 page lands at about 160 dpi), or at the resolution asked for.

>>> pages = document_pages("plant.pdf")  # doctest: +SKIP
>>> [page.label for page in pages]  # doctest: +SKIP
['plant.pdf page 1 of 2', 'plant.pdf page 2 of 2']
>>> image = read_page(pages[1])  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import cv2
import cv2.utils.logging
import numpy as np

from .errors import BackendUnavailableError, InvalidInputError
from .imageio import MAX_PIXELS, read_image, to_bgr_uint8

__all__ = [
    "DocumentPage",
    "document_pages",
    "first_of_several",
    "read_page",
    "render_dpi",
    "is_pdf",
    "RENDER_DPI",
    "RENDER_PIXELS",
    "PDF_SUFFIXES",
]

RENDER_DPI = 200.0
"""Default PDF render resolution: a 0.25 mm line is 2 px, ISO 128's thinnest (0.13 mm) 1 px, and
2.5 mm text 20 px high, so lines stay unbroken and text legible; ``Segmenter(scale="auto")`` resamples from there to
the model's scale."""
RENDER_PIXELS = 40_000_000
"""Pixel budget of a page rendered at the default resolution: A1 and smaller pages render at
:data:`RENDER_DPI`, larger ones at the resolution that fits (0.8 to 2 GB to segment such a page,
beyond the model runtime's own memory: docs/documents.md)."""
PDF_SUFFIXES = (".pdf",)
_PDF_SIGNATURE = b"%PDF-"
_PDF_HEADER_WINDOW = 1024  # the PDF header may follow up to 1 KiB of leading bytes (ISO 32000-1, 7.5.2)
_PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe, and a Segmenter may be shared by threads: one PDF call at a time."""


@dataclass(frozen=True)
class DocumentPage:
    """One page of a document: what the Segmenter reads as one sheet.

    Attributes:
        path: the document file.
        number: the page number, counted from 1 as viewers count them.
        count: how many pages the document has.
        dpi: for PDF pages, the resolution the page is rendered at; ``None`` for raster pages.
    """

    path: Path
    number: int
    count: int
    dpi: float | None = None

    @property
    def label(self) -> str:
        """How errors name the page: ``doc.pdf page 2 of 7`` (just the path for a one-page raster)."""
        return (
            str(self.path)
            if self.count == 1 and self.dpi is None
            else f"{self.path} page {self.number} of {self.count}"
        )


def is_pdf(path: str | os.PathLike[str]) -> bool:
    """Whether the file is a PDF, by its content (the ``%PDF-`` header), not its name."""
    try:
        with open(path, "rb") as fh:
            return _PDF_SIGNATURE in fh.read(_PDF_HEADER_WINDOW)
    except OSError:
        return False


def document_pages(path: str | os.PathLike[str], dpi: float | None = None) -> list[DocumentPage]:
    """The pages of ``path``, in order, without decoding them.

    A raster file OpenCV cannot count pages in gives one page, so that reading it reports why.

    Args:
        path: a PDF, a multi-page TIFF (or GIF/WebP with frames), or any single image.
        dpi: PDF pages' render resolution; ``None`` chooses it per page (see :func:`render_dpi`).

    Raises:
        InvalidInputError: a PDF that cannot be opened (encrypted, broken) or has no pages.
    """
    path = Path(path)
    if dpi is not None and not dpi > 0:
        raise InvalidInputError(f"dpi must be a positive number, got {dpi!r}")
    if is_pdf(path):
        return _pdf_pages(path, dpi)
    count = _count_frames(path)
    return (
        [DocumentPage(path, number, count) for number in range(1, count + 1)]
        if count > 1
        else [DocumentPage(path, 1, 1)]
    )


MULTI_FRAME_SUFFIXES = (".tif", ".tiff", ".gif", ".webp")
"""Raster formats that may hold several pages (frames)."""


def first_of_several(path: str | os.PathLike[str]) -> DocumentPage | None:
    """Page 1 of ``path`` where the raster file holds several pages, else ``None``.

    Reading such a path as one image reads its first page only; the result names the page and the
    count so that the other pages are not lost unnoticed (``predict_document`` reads them all).
    """
    path = Path(path)
    if path.suffix.lower() not in MULTI_FRAME_SUFFIXES:
        return None
    count = _count_frames(path)
    return DocumentPage(path, 1, count) if count > 1 else None


def _count_frames(path: Path) -> int:
    """OpenCV's page count; 0 (with its log line silenced) where it cannot tell: reading the file says why."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        return int(cv2.imcount(str(path), cv2.IMREAD_UNCHANGED))
    finally:
        logging.setLogLevel(level)


def render_dpi(width_pt: float, height_pt: float, dpi: float | None = None) -> float:
    """The resolution a PDF page of ``width_pt`` x ``height_pt`` points (1/72 in) is rendered at.

    ``dpi`` when given; otherwise :data:`RENDER_DPI`, lowered so that the page stays within
    :data:`RENDER_PIXELS` (rounded down to 0.01 dpi).

    >>> render_dpi(595, 842)  # A4
    200.0
    >>> render_dpi(2384, 3370)  # A0
    160.65
    """
    if dpi is not None:
        return float(dpi)
    square_inches = (width_pt / 72.0) * (height_pt / 72.0)
    fitting = math.sqrt(RENDER_PIXELS / square_inches) if square_inches > 0 else RENDER_DPI
    return min(RENDER_DPI, math.floor(fitting * 100) / 100)


def read_page(page: DocumentPage) -> np.ndarray:
    """Decode or render one page to contiguous BGR uint8 ``(H, W, 3)``.

    Raises:
        InvalidInputError: the page cannot be read (the message names the file and the page).
    """
    if page.dpi is not None:
        with _PDFIUM_LOCK:
            return _render_pdf_page(page)
    if page.count == 1:
        return read_image(page.path)
    ok, frames = cv2.imreadmulti(str(page.path), start=page.number - 1, count=1, flags=cv2.IMREAD_UNCHANGED)
    if not ok or not frames:
        raise InvalidInputError(f"{page.label}: the page cannot be decoded (truncated or damaged file)")
    image = frames[0]
    del frames  # the only other reference: converting may then free the raw page
    return to_bgr_uint8(image, page.label)


def _pdfium() -> ModuleType:
    try:
        import pypdfium2  # type: ignore[import-untyped]
    except ImportError as exc:
        raise BackendUnavailableError(f"reading PDF needs pypdfium2 ({exc}); pip install pypdfium2") from None
    return pypdfium2


def _open_pdf(path: Path, label: str) -> object:
    pdfium = _pdfium()
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        detail = str(exc).rstrip(".")
        if "password" in detail.lower():
            raise InvalidInputError(
                f"{label}: the PDF is encrypted (password protected); save an unprotected copy to segment it"
            ) from None
        # PDFium opens no PDF without pages, and names no reason for it that can be relied on
        raise InvalidInputError(
            f"{label}: not a readable PDF ({detail}): damaged, truncated, or without pages"
        ) from None
    except OSError as exc:
        raise InvalidInputError(f"{label}: cannot read file ({exc.strerror or exc})") from None


def _pdf_pages(path: Path, dpi: float | None) -> list[DocumentPage]:
    with _PDFIUM_LOCK:
        return _pdf_pages_locked(path, dpi)


def _pdf_pages_locked(path: Path, dpi: float | None) -> list[DocumentPage]:
    pdf = _open_pdf(path, str(path))
    try:
        count = len(pdf)  # type: ignore[arg-type]
        if count == 0:
            raise InvalidInputError(f"{path}: the PDF has no pages; nothing to segment")
        raw = _pdfium().raw
        size = raw.FS_SIZEF()
        pages = []
        for index in range(count):
            if not raw.FPDF_GetPageSizeByIndexF(pdf, index, ctypes.byref(size)):
                raise InvalidInputError(f"{path}: page {index + 1} of {count} is damaged (no page size)")
            pages.append(DocumentPage(path, index + 1, count, render_dpi(size.width, size.height, dpi)))
        return pages
    finally:
        pdf.close()  # type: ignore[attr-defined]


def _render_pdf_page(page: DocumentPage) -> np.ndarray:
    """Render into a packed BGR array that the bitmap only borrows: one render, no copy."""
    pdfium = _pdfium()
    assert page.dpi is not None
    pdf = _open_pdf(page.path, page.label)
    try:
        try:
            pdf_page = pdf.get_page(page.number - 1)  # type: ignore[attr-defined]
        except pdfium.PdfiumError as exc:
            raise InvalidInputError(f"{page.label}: the page cannot be loaded ({exc})") from None
        scale = page.dpi / 72.0
        width, height = (math.ceil(side * scale) for side in pdf_page.get_size())
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise InvalidInputError(
                f"{page.label}: {width}x{height} pixels at {page.dpi:g} dpi is outside 1..{MAX_PIXELS} pixels; "
                "choose another --dpi"
            )
        image = np.empty((height, width, 3), np.uint8)
        buffer = (ctypes.c_ubyte * image.nbytes).from_buffer(image.data)

        def into_image(width: int, height: int, format: int, rev_byteorder: bool) -> object:
            return pdfium.PdfBitmap.new_native(width, height, format, rev_byteorder, buffer=buffer, stride=width * 3)

        bitmap = pdf_page.render(scale=scale, bitmap_maker=into_image, force_bitmap_format=pdfium.raw.FPDFBitmap_BGR)
        if (bitmap.width, bitmap.height) != (width, height):  # pdfium sized it otherwise: never seen, but say so
            raise InvalidInputError(f"{page.label}: rendered {bitmap.width}x{bitmap.height}, expected {width}x{height}")
        bitmap.close()
        return image
    finally:
        pdf.close()  # type: ignore[attr-defined]
