"""Documents as plants keep them, made in code: vector and scanned PDFs, Group 4 multi-page TIFFs.

Vector PDFs are written as a few lines of PDF operators (a drawing's lines and boxes); scanned
PDFs and TIFFs hold crops of the bundled example drawings, as Pillow writes them.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from archive_testdata import EXAMPLES
from PIL import Image

A4 = (595, 842)  # points (1/72 in)
A0 = (2384, 3370)
DRAWING_OPS = b"""2 w 0 0 0 RG
40 40 m 300 40 l 300 200 l S
100 100 60 40 re S
200 120 m 230 150 l 260 120 l h S
140 160 m 140 60 l S"""


def drawing(index: int, size: tuple[int, int] = (120, 160)) -> np.ndarray:
    """A gray crop of the example drawings (top-left pixel white, as archive_testdata's sheets)."""
    sheets = [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path in sorted(EXAMPLES.glob("*.png"))]
    sheet = sheets[index % len(sheets)]
    height, width = size
    y, x = (index * 37) % (sheet.shape[0] - height), (index * 53) % (sheet.shape[1] - width)
    crop = sheet[y : y + height, x : x + width].copy()
    crop[0, 0] = 255
    return crop


def vector_pdf(path: Path, pages: list[tuple[tuple[float, float], bytes]]) -> Path:
    """A PDF of vector pages: ``((width_pt, height_pt), content operators)`` each; no pages gives a 0-page PDF."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets: list[int] = []

    def add(data: bytes) -> None:
        offsets.append(out.tell())
        out.write(f"{len(offsets)} 0 obj\n".encode() + data + b"\nendobj\n")

    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for i, ((width, height), ops) in enumerate(pages):
        add(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents {4 + 2 * i} 0 R >>".encode())
        add(f"<< /Length {len(ops)} >>\nstream\n".encode() + ops + b"\nendstream")
    xref = out.tell()
    out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    out.write(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    path.write_bytes(out.getvalue())
    return path


def encrypted_pdf(path: Path) -> Path:
    """A one-page PDF behind the standard security handler, with a user password nobody knows."""
    vector_pdf(path, [(A4, DRAWING_OPS)])
    lock = (
        b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <"
        + b"41" * 32
        + b"> /U <"
        + b"42" * 32
        + b"> /P -4 >> /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] "
    )
    path.write_bytes(path.read_bytes().replace(b"trailer\n<< ", b"trailer\n<< " + lock))
    return path


def scanned_pdf(path: Path, images: list[np.ndarray], dpi: float = 100.0) -> Path:
    """A PDF with one scanned image per page, as scanners write them."""
    first, *rest = [Image.fromarray(image) for image in images]
    first.save(path, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return path


def g4_tiff(path: Path, images: list[np.ndarray], dpi: int = 200) -> Path:
    """A 1-bit CCITT Group 4 TIFF with one page per image (thresholded at 128)."""
    first, *rest = [Image.fromarray(image).point(lambda v: 255 if v >= 128 else 0).convert("1") for image in images]
    first.save(path, "TIFF", compression="group4", save_all=True, append_images=rest, dpi=(dpi, dpi))
    return path
