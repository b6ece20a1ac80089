"""`schemseg segment` on an archive as plants keep it: PDFs, multi-page Group 4 TIFFs, PNGs, and files that are not drawings.

Real processes, real drawings (crops of the example sheets) and the tiny real ONNX model.
"""

from __future__ import annotations

import csv
import json
import signal
from pathlib import Path

import cv2
from archive_testdata import assert_outputs_whole, output_files, start_segment, summary, wait_for_jsons
from click.testing import CliRunner
from document_testdata import A4, DRAWING_OPS, drawing, encrypted_pdf, g4_tiff, scanned_pdf, vector_pdf

from schemseg_sdk.archive import Outputs, plan_jobs
from schemseg_sdk.cli import main

SMALL_PAGE = (216, 144)  # 3 x 2 in: 600 x 400 px at the default 200 dpi


def run(*args: str | Path) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def make_archive(folder: Path) -> Path:
    """Every kind of file an archive holds, including what schemseg cannot or need not read."""
    folder.mkdir()
    vector_pdf(folder / "pid.pdf", [(SMALL_PAGE, DRAWING_OPS), (SMALL_PAGE, DRAWING_OPS[:40])])
    scanned_pdf(folder / "scan.pdf", [drawing(i, (150, 200)) for i in range(2)], dpi=100)
    g4_tiff(folder / "set.tif", [drawing(i + 2) for i in range(3)])
    g4_tiff(folder / "one.tif", [drawing(5)])
    cv2.imwrite(str(folder / "sheet.png"), drawing(6))
    encrypted_pdf(folder / "locked.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<<")
    (folder / "notes.txt").write_text("not a drawing")
    (folder / "pump.dwg").write_bytes(b"AC1032")
    (folder / "old").mkdir()
    return folder


def test_every_page_is_a_sheet_and_every_other_file_is_named(tmp_path: Path, tiny_model: Path) -> None:
    archive = make_archive(tmp_path / "archive")
    out, bill = tmp_path / "out", tmp_path / "bill.csv"
    args = ("segment", archive, "--model", tiny_model, "--out", out, "--threads", "1", "--csv", bill)
    result = run(*args)
    assert result.exit_code == 1, result.output
    stems = [
        "locked",
        "one",
        "pid.p001",
        "pid.p002",
        "scan.p001",
        "scan.p002",
        "set.p001",
        "set.p002",
        "set.p003",
        "sheet",
    ]
    assert sorted(p.name for p in out.glob("*.json")) == sorted(f"{s}.json" for s in stems if s != "locked")
    assert sorted(p.name for p in out.glob("*.overlay.png")) == sorted(
        f"{s}.overlay.png" for s in stems if s != "locked"
    )
    page = json.loads((out / "set.p002.json").read_text())
    assert (page["source"], page["page"], page["pages"], page["dpi"]) == (str(archive / "set.tif"), 2, 3, None)
    assert (page["width"], page["height"]) == (160, 120)
    pdf_page = json.loads((out / "scan.p001.json").read_text())
    assert (pdf_page["page"], pdf_page["dpi"], pdf_page["width"], pdf_page["height"]) == (1, 200.0, 400, 300)
    assert json.loads((out / "one.json").read_text())["page"] is None  # a one-page TIFF keeps its name

    failed, broken, locked, error = result.stderr.splitlines()[-4:]
    assert failed == f"2 of 11 sheets failed (listed in {out / 'schemseg-run' / 'failures.txt'}):"
    assert broken.startswith(f"  {archive / 'broken.pdf'}: not a readable PDF (Failed to load document (PDFium: ")
    assert broken.endswith("): damaged, truncated, or without pages")  # PDFium's own words vary by version
    assert locked == (
        f"  {archive / 'locked.pdf'}: the PDF is encrypted (password protected); save an unprotected copy to segment it"
    )
    assert error == "Error: 2 of 11 sheets failed"
    for name in ("notes.txt", "pump.dwg", "old"):
        assert f"skipped {archive / name}: " in result.stderr
    record = summary(out)
    assert record["counts"] == {"done": 9, "skipped": 0, "failed": 2, "pending": 0}
    assert [(Path(s["source"]).name, s.get("page"), s["state"]) for s in record["sheets"]][:4] == [
        ("broken.pdf", None, "failed"),
        ("locked.pdf", None, "failed"),
        ("one.tif", None, "done"),
        ("pid.pdf", 1, "done"),
    ]
    assert [(Path(s["source"]).name, s["reason"].split(" (")[0]) for s in record["skipped"]] == [
        ("notes.txt", "not a drawing schemseg reads"),
        ("old", "a folder: not searched"),
        ("pump.dwg", "not a drawing schemseg reads"),
    ]
    rows = list(csv.DictReader(bill.read_text().splitlines()))
    pages = {(Path(row["sheet"]).name, row["page"]) for row in rows}
    assert pages <= {
        ("set.tif", "1"),
        ("set.tif", "2"),
        ("set.tif", "3"),
        ("scan.pdf", "1"),
        ("scan.pdf", "2"),
        ("pid.pdf", "1"),
        ("pid.pdf", "2"),
        ("one.tif", ""),
        ("sheet.png", ""),
    }
    counts = list(csv.DictReader((tmp_path / "bill.counts.csv").read_text().splitlines()))
    assert len(counts) == 9 and {(Path(r["sheet"]).name, r["page"]) for r in counts} >= pages
    assert_outputs_whole(out)

    before = output_files(out)
    again = run(*args)  # nothing is redone; the unreadable PDFs are tried again and fail again
    assert again.exit_code == 1 and again.stdout.splitlines()[-2].startswith("no sheet segmented; 9 skipped")
    assert output_files(out) == before


def test_files_named_on_the_command_line_are_tried_and_fail_loudly(tmp_path: Path, tiny_model: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a drawing")
    result = run("segment", notes, "--model", tiny_model, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: 1 of 1 sheet failed"


def test_a_document_killed_part_way_resumes_without_redoing_finished_pages(tmp_path: Path, tiny_model: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    pdf = scanned_pdf(folder / "plant.pdf", [drawing(i, (150, 200)) for i in range(40)], dpi=100)
    out = tmp_path / "out"
    args = (folder, "--model", tiny_model, "--out", out, "--threads", "1", "--dpi", "100")
    process = start_segment(*args)
    wait_for_jsons(out, 8, process)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    jobs = plan_jobs([pdf], dpi=100)
    assert [job.stem for job in jobs[:2]] == ["plant.p001", "plant.p002"] and len(jobs) == 40
    finished = [job for job in jobs if Outputs(out).complete(job)]
    assert 8 <= len(finished) < 40
    before = output_files(out)

    result = run("segment", *args)
    assert result.exit_code == 0, result.output
    assert f"{len(finished)} sheets skipped: outputs complete in {out}" in result.stderr
    after = output_files(out)
    for job in finished:  # the same files, never rewritten
        assert after[f"{job.stem}.json"] == before[f"{job.stem}.json"]
    assert summary(out)["counts"] == {"done": 40 - len(finished), "skipped": len(finished), "failed": 0, "pending": 0}
    assert_outputs_whole(out)

    other = run("segment", *args[:-1], "150")  # another resolution: other pixels, every page redone
    assert other.exit_code == 0 and "skipped" not in other.stdout.splitlines()[-1]
    assert json.loads((out / "plant.p040.json").read_text())["dpi"] == 150.0


def test_plan_names_pages_and_keeps_one_page_files_as_they_were(tmp_path: Path) -> None:
    many = vector_pdf(tmp_path / "x.pdf", [(A4, DRAWING_OPS)] * 1000)
    one = vector_pdf(tmp_path / "y.pdf", [(A4, DRAWING_OPS)])
    taken = tmp_path / "x.p0001.png"  # a file whose own name is a page's output name
    cv2.imwrite(str(taken), drawing(0))
    jobs = plan_jobs([taken, many, one])
    assert [job.stem for job in jobs[:3]] == ["x.p0001", "x.p0001-2", "x.p0002"]
    assert jobs[-1].stem == "y" and jobs[-1].page is not None and jobs[-1].page.dpi == 200.0
    assert jobs[0].page is None
