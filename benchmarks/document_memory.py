"""Peak memory of reading, and of segmenting, one large document page (A0), each in a fresh process.

Usage: python benchmarks/document_memory.py [--model M] [--segment] [--out FILE.json]

Pages (made here, in a temporary folder): an A0 vector PDF rendered at 400 dpi and an A0 1-bit
Group 4 TIFF scanned at 400 dpi (13,244 x 18,728 px each), and an A0 scanned PDF at the default
render resolution (the 40 Mpx budget). ``read``: the peak resident memory (Linux ``VmHWM``) that
reading the page adds to a process that has imported schemseg, beside the size of the BGR page.
With ``--segment``, the budget page is also segmented with ``--model`` (``predict_document``, with
grouping and without), and so is the 1200 x 1800 example sheet (6 tiles, grouping off): its peak is
mostly the model runtime's own working memory for a batch of 4 tiles, which the big page's peak includes. JSON to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.segmenter import DEFAULT_MODEL

A0_PT = (2384, 3370)
A0_400 = (18728, 13244)  # height, width in pixels
EXAMPLES = Path(__file__).resolve().parents[1] / "sdk" / "schemseg_sdk" / "examples"

_CHILD = """
import re, sys, time
from pathlib import Path
from schemseg_sdk.documents import document_pages, read_page
def peak():
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) * 1024
path, dpi, model, group = sys.argv[1], float(sys.argv[2]) or None, sys.argv[3], sys.argv[4] == "group"
page = document_pages(Path(path), dpi)[0]
if model:
    from schemseg_sdk import GroupingSettings, Segmenter
    segmenter = Segmenter(model, threads=2, grouping=GroupingSettings() if group else None)
before, start = peak(), time.perf_counter()
if model:
    result = next(segmenter.predict_document(path, dpi=dpi))
    shape = result.mask.shape
else:
    shape = read_page(page).shape[:2]
print(shape[0], shape[1], page.dpi, before, peak(), time.perf_counter() - start)
"""


def make_pages(folder: Path) -> dict[str, tuple[Path, float]]:
    """The pages measured: name -> (file, dpi asked for, 0 for the default)."""
    sheets = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(EXAMPLES.glob("*.png"))]
    sheet = sheets[2]  # the 1200 x 1800 example: a drawing dense enough to group
    ops = b"2 w 0 0 0 RG 100 100 m 2200 3200 l S 300 300 400 300 re S"
    vector = folder / "a0-vector.pdf"
    _one_page_pdf(vector, A0_PT, ops)
    scan = np.tile(sheet, (A0_400[0] // sheet.shape[0] + 1, A0_400[1] // sheet.shape[1] + 1))[: A0_400[0], : A0_400[1]]
    tiff = folder / "a0-g4-400dpi.tif"
    Image.fromarray(scan).point(lambda v: 255 if v >= 128 else 0).convert("1").save(
        tiff, "TIFF", compression="group4", dpi=(400, 400)
    )
    scanned = folder / "a0-scan.pdf"
    Image.fromarray(scan[::2, ::2]).save(scanned, "PDF", resolution=200.0)  # A0 at 200 dpi, stored as JPEG
    return {
        "vector PDF at 400 dpi": (vector, 400.0),
        "Group 4 TIFF at 400 dpi": (tiff, 0.0),
        "scanned PDF at the default dpi": (scanned, 0.0),
    }


def _one_page_pdf(path: Path, size: tuple[int, int], ops: bytes) -> None:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] /Contents 4 0 R >>".encode(),
        f"<< /Length {len(ops)} >>\nstream\n".encode() + ops + b"\nendstream",
    ]
    data, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(data)
    data += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    data += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    data += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(data))


def measure(path: Path, dpi: float, model: str = "", group: bool = False) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(dpi), model, "group" if group else "none"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    height, width, before, after = int(out[0]), int(out[1]), int(out[3]), int(out[4])
    return {
        "height": height,
        "width": width,
        "dpi": None if out[2] == "None" else float(out[2]),
        "megapixels": round(height * width / 1e6, 1),
        "bgr_mib": round(height * width * 3 / 2**20),
        "peak_added_mib": round((after - before) / 2**20),
        "seconds": round(float(out[5]), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--segment", action="store_true", help="also segment the default-dpi page with --model")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        pages = make_pages(Path(folder))
        for name, (path, dpi) in pages.items():
            results[f"read: {name}"] = row = measure(path, dpi, "")
            print(f"read {name}: {row}", flush=True)
        if args.segment:
            small = sorted(EXAMPLES.glob("*.png"))[2]  # 1200 x 1800: fills batches of 4 tiles, as the big page does
            path, dpi = pages["scanned PDF at the default dpi"]
            for name, page, group in (
                ("1200 x 1800 example sheet, no grouping", small, False),
                ("scanned PDF at the default dpi, no grouping", path, False),
                ("scanned PDF at the default dpi, grouping", path, True),
            ):
                results[f"segment with {args.model.name}: {name}"] = row = measure(page, dpi, str(args.model), group)
                print(f"segment {name}: {row}", flush=True)
    machine = machine_info()
    out = (
        args.out
        or Path(__file__).parent
        / "results"
        / f"document-memory-{machine_slug(machine)}-{time.strftime('%Y-%m-%d')}.json"
    )
    atomic_write_text(
        out,
        json.dumps(
            {
                "schema": "schemseg.document-memory/1",
                "machine": machine,
                "command": " ".join(sys.argv),
                "results": results,
            },
            indent=1,
        )
        + "\n",
    )
    print(f"-> {out}")


if __name__ == "__main__":
    main()
