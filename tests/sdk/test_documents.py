"""Reading drawings as plants keep them: PDF pages, multi-page Group 4 TIFF, and the oddities of real scans."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from document_testdata import A0, A4, DRAWING_OPS, drawing, encrypted_pdf, g4_tiff, scanned_pdf, vector_pdf
from PIL import Image, TiffImagePlugin

from schemseg_sdk import Segmenter
from schemseg_sdk.documents import RENDER_PIXELS, DocumentPage, document_pages, read_page, render_dpi
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.imageio import read_image


def _bgr(gray: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def test_multi_page_group4_tiff_gives_every_page(tmp_path: Path) -> None:
    images = [drawing(i) for i in range(3)]
    tiff = g4_tiff(tmp_path / "set.tif", images)
    pages = document_pages(tiff)
    assert pages == [DocumentPage(tiff, n, 3) for n in (1, 2, 3)]
    assert pages[1].label == f"{tiff} page 2 of 3"
    for page, image in zip(pages, images):
        read = read_page(page)
        assert read.shape == (120, 160, 3) and read.flags.c_contiguous
        assert np.array_equal(read, _bgr(np.where(image >= 128, 255, 0).astype(np.uint8)))  # 1 bit: black or white


def test_a_one_page_tiff_and_a_png_are_read_whole(tmp_path: Path) -> None:
    tiff = g4_tiff(tmp_path / "one.tif", [drawing(0)])
    assert document_pages(tiff) == [DocumentPage(tiff, 1, 1)]
    assert document_pages(tiff)[0].label == str(tiff)
    assert read_page(document_pages(tiff)[0]).shape == (120, 160, 3)


def test_vector_pdf_pages_render_at_200_dpi_and_at_the_dpi_asked_for(tmp_path: Path) -> None:
    pdf = vector_pdf(tmp_path / "pid.pdf", [(A4, DRAWING_OPS), ((842, 595), DRAWING_OPS)])
    pages = document_pages(pdf)
    assert [(page.number, page.count, page.dpi) for page in pages] == [(1, 2, 200.0), (2, 2, 200.0)]
    portrait, landscape = (read_page(page) for page in pages)
    assert portrait.shape == (2339, 1653, 3) and landscape.shape == (1653, 2339, 3)
    assert portrait.flags.c_contiguous and portrait[0, 0].tolist() == [255, 255, 255]
    # the box's left edge (x = 100 pt) drawn with the 2 pt pen: about 5.6 px wide at 200 dpi
    row = portrait[2339 - round(120 * 200 / 72), :, 0]
    ink = np.flatnonzero(row < 128)
    assert abs(ink[0] - 100 * 200 / 72) < 4 and 4 <= np.argmax(row[ink[0] :] >= 128) <= 7
    low = read_page(document_pages(pdf, dpi=72)[0])
    assert low.shape == (842, 595, 3)


def test_pdf_pages_read_from_many_threads_are_the_same(tmp_path: Path) -> None:
    """PDFium is not thread-safe; a Segmenter shared by threads reads PDF pages one at a time."""
    pdf = vector_pdf(tmp_path / "pid.pdf", [((216, 144), DRAWING_OPS)] * 4)
    pages = document_pages(pdf)
    expected = [read_page(page) for page in pages]
    with ThreadPoolExecutor(4) as pool:
        read = list(pool.map(read_page, pages * 8))
    assert all(np.array_equal(image, expected[i % 4]) for i, image in enumerate(read))


def test_large_pages_are_capped_by_the_pixel_budget() -> None:
    assert render_dpi(*A4) == 200.0
    dpi = render_dpi(*A0)
    assert 150 < dpi < 200
    assert (A0[0] * dpi / 72) * (A0[1] * dpi / 72) <= RENDER_PIXELS
    assert render_dpi(*A0, dpi=400) == 400.0


def test_scanned_pdf_pages_and_a_blank_page(tmp_path: Path) -> None:
    blank = np.full((200, 150), 255, np.uint8)
    pdf = scanned_pdf(tmp_path / "scan.pdf", [drawing(1, (200, 150)), blank], dpi=100)
    pages = document_pages(pdf)
    assert len(pages) == 2 and pages[0].dpi == 200.0
    scan, empty = read_page(pages[0]), read_page(pages[1])
    assert scan.shape == (400, 300, 3) and (scan < 128).any()  # 2 x 1.5 in at 200 dpi
    assert empty.min() == 255


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: encrypted_pdf(p),
            r"the PDF is encrypted \(password protected\); save an unprotected copy to segment it",
        ),
        (
            lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj\n<<"),
            r"not a readable PDF \(.*\): damaged, truncated, or without pages",
        ),
        (lambda p: vector_pdf(p, []), r"not a readable PDF \(.*\): damaged, truncated, or without pages"),
    ],
)
def test_pdfs_that_cannot_be_read_say_why(tmp_path: Path, make: object, message: str) -> None:
    pdf = tmp_path / "bad.pdf"
    make(pdf)  # type: ignore[operator]
    with pytest.raises(InvalidInputError, match=rf"^{pdf}: {message}$"):
        document_pages(pdf)


def test_a_pdf_given_as_an_image_names_the_document_reader(tmp_path: Path) -> None:
    pdf = vector_pdf(tmp_path / "a.png", [(A4, DRAWING_OPS)])  # a PDF under an image's name
    with pytest.raises(InvalidInputError, match=r"a PDF document, not an image; use Segmenter.predict_document\(\)"):
        read_image(pdf)
    assert document_pages(pdf)[0].dpi == 200.0  # read by content, not by name


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_exif_orientation_is_applied(tmp_path: Path, fmt: str, orientation: int) -> None:
    upright = np.full((60, 100), 255, np.uint8)
    upright[5:15, 5:40] = 0  # a mark near the top-left corner
    stored = {3: cv2.ROTATE_180, 6: cv2.ROTATE_90_COUNTERCLOCKWISE, 8: cv2.ROTATE_90_CLOCKWISE}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"scan.{fmt.lower()}"
    Image.fromarray(cv2.rotate(upright, stored)).save(
        path, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {})
    )
    read = read_image(path)[:, :, 0]
    assert read.shape == upright.shape
    assert np.abs(read.astype(int) - upright).mean() < 4


def test_exif_orientation_of_every_page_of_a_tiff(tmp_path: Path) -> None:
    upright = np.full((60, 100), 255, np.uint8)
    upright[5:15, 5:40] = 0
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[0x0112] = 6  # stored turned left: view it turned right
    first, second = (Image.fromarray(cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)) for _ in range(2))
    first.save(tmp_path / "set.tif", save_all=True, append_images=[second], tiffinfo=tags)
    pages = document_pages(tmp_path / "set.tif")
    assert len(pages) == 2 and all(np.array_equal(read_page(page)[:, :, 0], upright) for page in pages)


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk_scans_read_as_colour(tmp_path: Path, fmt: str) -> None:
    rgb = np.full((40, 50, 3), 255, np.uint8)
    rgb[10:20, 10:40] = (200, 0, 0)  # a red line
    path = tmp_path / f"cmyk.{fmt.lower()}"
    Image.fromarray(rgb).convert("CMYK").save(path, fmt)
    read = read_image(path)
    assert read.shape == (40, 50, 3)
    assert read[0, 0].tolist() == [255, 255, 255] or np.abs(read[0, 0].astype(int) - 255).max() < 4
    assert read[15, 25, 2] > 150 and read[15, 25, 0] < 60  # red (BGR): the line keeps its colour


def test_16_bit_and_1_bit_images(tmp_path: Path) -> None:
    image = drawing(2)
    cv2.imwrite(str(tmp_path / "deep.tif"), image.astype(np.uint16) * 257)
    cv2.imwrite(str(tmp_path / "deep.png"), image.astype(np.uint16) * 257)
    for name in ("deep.tif", "deep.png"):
        assert np.array_equal(read_image(tmp_path / name), _bgr(image))
    Image.fromarray(image).point(lambda v: 255 if v >= 128 else 0).convert("1").save(tmp_path / "bits.png")
    bits = read_image(tmp_path / "bits.png")
    assert bits.dtype == np.uint8 and set(np.unique(bits).tolist()) == {0, 255}


def test_gif_frames_are_pages(tmp_path: Path) -> None:
    frames = [Image.fromarray(drawing(i)) for i in range(2)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    pages = document_pages(tmp_path / "anim.gif")
    assert len(pages) == 2 and read_page(pages[1]).shape == (120, 160, 3)


def test_predict_document_yields_every_page_in_order(tmp_path: Path, tiny_model: Path) -> None:
    images = [drawing(i) for i in range(3)]
    tiff = g4_tiff(tmp_path / "set.tif", images)
    with Segmenter(tiny_model, threads=1) as segmenter:
        results = list(segmenter.predict_document(tiff))
        alone = segmenter.predict(read_page(DocumentPage(tiff, 3, 3)))
        single = list(segmenter.predict_document(g4_tiff(tmp_path / "one.tif", images[:1])))
        with pytest.raises(InvalidInputError, match="the PDF is encrypted"):
            segmenter.predict_document(encrypted_pdf(tmp_path / "locked.pdf"))  # before any page
    assert [(r.page.number, r.page.count, r.source) for r in results if r.page] == [
        (n, 3, str(tiff)) for n in (1, 2, 3)
    ]
    assert np.array_equal(results[2].mask, alone.mask)
    data = json.loads(results[1].to_json())
    assert (data["page"], data["pages"], data["dpi"]) == (2, 3, None)
    assert single[0].page is None and json.loads(single[0].to_json())["page"] is None


def test_predict_on_a_multi_page_file_names_the_page_it_read(tmp_path: Path, tiny_model: Path) -> None:
    images = [drawing(i) for i in range(3)]
    tiff = g4_tiff(tmp_path / "set.tif", images)
    one = g4_tiff(tmp_path / "one.tif", images[:1])
    with Segmenter(tiny_model, threads=1) as segmenter:
        first, alone = segmenter.predict(tiff), segmenter.predict(one)
        page_one = segmenter.predict(read_page(DocumentPage(tiff, 1, 3)))
    assert first.page == DocumentPage(tiff, 1, 3)  # the other two pages are not lost unnoticed
    assert (json.loads(first.to_json())["page"], json.loads(first.to_json())["pages"]) == (1, 3)
    assert np.array_equal(first.mask, page_one.mask)
    assert alone.page is None


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads the peak memory from Linux's /proc")
def test_an_a0_page_at_400_dpi_is_decoded_once(tmp_path: Path) -> None:
    """A 13,244 x 18,728 page: the peak memory of reading it is the BGR page and the decoder's own gray page."""
    # VmHWM (peak RSS in KiB) starts anew with the process; ru_maxrss would carry this one's peak over exec
    code = f"""
import re, sys
sys.path[:0] = {sys.path!r}
from pathlib import Path
from schemseg_sdk.documents import document_pages, read_page
def peak(): return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
{{pages}}
before = peak()
image = read_page(pages[0])
print(image.shape[0], image.shape[1], before, peak())
"""
    pdf = vector_pdf(tmp_path / "a0.pdf", [(A0, DRAWING_OPS)])
    height, width = 18728, 13244
    big = np.full((height, width), 255, np.uint8)
    big[::400, :] = 0
    tiff = g4_tiff(tmp_path / "a0.tif", [big], dpi=400)
    del big
    bgr = height * width * 3 / 1024  # KiB, as VmHWM counts
    for pages, limit in (
        (f"pages = document_pages(Path({str(pdf)!r}), dpi=400)", 1.1 * bgr),
        (f"pages = document_pages(Path({str(tiff)!r}))", 1.45 * bgr),
    ):
        out = subprocess.run(
            [sys.executable, "-c", code.replace("{pages}", pages)], capture_output=True, text=True, check=True
        ).stdout.split()
        h, w, before, after = map(int, out)
        assert (h, w) in ((height, width), (math.ceil(A0[1] * 400 / 72), math.ceil(A0[0] * 400 / 72)))
        assert after - before < limit, f"{pages}: {(after - before) / 1024:.0f} MiB for a {bgr / 1024:.0f} MiB page"
