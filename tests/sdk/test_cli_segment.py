"""`schemseg segment` through click's CliRunner, with real drawings and the tiny real model."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import pytest
from click.testing import CliRunner

from schemseg_sdk.archive import collect_documents
from schemseg_sdk.cli import main
from schemseg_sdk.cli.segment import collect_images, output_stems


@pytest.fixture()
def sheets(ci2n_dir: Path, tmp_path: Path) -> Path:
    """A folder of two small real drawings (odd sizes), plus a JSON file that is not an image."""
    folder = tmp_path / "sheets"
    folder.mkdir()
    for name, (h, w) in (("1.png", (97, 130)), ("10.png", (150, 201))):
        cv2.imwrite(str(folder / name), cv2.imread(str(ci2n_dir / name))[:h, :w])
    shutil.copy(ci2n_dir / "1.json", folder / "1.json")
    return folder


def run(*args: str | Path) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_every_command_has_help() -> None:
    for name in ("segment", "doctor"):
        result = run(name, "--help")
        assert result.exit_code == 0 and "Usage: main " + name in result.output


def test_segments_a_folder_and_writes_overlay_and_json(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("segment", sheets, "--model", tiny_model, "--out", out, "--batch-size", "3", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "1.json",
        "1.overlay.png",
        "10.json",
        "10.overlay.png",
        "schemseg-run",
    ]
    data = json.loads((out / "10.json").read_text())
    assert (data["width"], data["height"], data["source"]) == (201, 150, str(sheets / "10.png"))
    overlay = cv2.imread(str(out / "1.overlay.png"))
    assert overlay.shape[0] >= 97 and overlay.shape[1] > 130  # the legend sits right of the drawing
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["class", "symbols"]
    total = sum(len(json.loads((out / f"{n}.json").read_text())["symbols"]) for n in ("1", "10"))
    assert "total" in lines[-2] and lines[-2].split()[-1] == str(total)
    assert lines[-1].startswith("2 sheets in ") and lines[-1].endswith(f"4 files written to {out}; 1 file not read")
    assert "ms per sheet (decode " in lines[-1]
    started = next(line for line in result.stderr.splitlines() if line.startswith("tiny.onnx on onnxruntime-cpu, "))
    assert started.startswith("tiny.onnx on onnxruntime-cpu, no symbol classifier: none trained for tiny_test_model")
    assert started.endswith(" or pass one: 2 sheets -> " + str(out))  # why the model's vote decides
    assert result.stderr.splitlines()[:2] == [  # the JSON file beside the drawings is named, not passed over
        f"skipped {sheets / '1.json'}: not a drawing schemseg reads (.json; it reads .pdf, .png, .jpg, .jpeg, .bmp, "
        ".tif, .tiff)",
        "1 file in the folders not read (listed in summary.json under 'skipped')",
    ]
    assert json.loads((out / "schemseg-run" / "summary.json").read_text())["skipped"] == [
        {"source": str(sheets / "1.json"), "reason": result.stderr.splitlines()[0].split(": ", 1)[1]}
    ]


def test_csv_bill_of_symbols_and_counts_per_sheet(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    out, bill = tmp_path / "out", tmp_path / "bill.csv"
    result = run("segment", sheets, "--model", tiny_model, "--out", out, "--csv", bill, "--no-overlay")
    assert result.exit_code == 0, result.output
    results = {n: json.loads((out / f"{n}.json").read_text()) for n in ("1", "10")}
    rows = list(csv.reader(bill.read_text().splitlines()))
    assert rows[0] == ["sheet", "page", "class", "x0", "y0", "x1", "y1", "area", "confidence"]
    expected = [
        [data["source"], "", s["class_name"], *map(str, s["bbox"]), str(s["area"]), str(s["confidence"])]
        for data in results.values()
        for s in data["symbols"]
    ]
    assert rows[1:] == expected and expected
    counts = list(csv.DictReader((tmp_path / "bill.counts.csv").read_text().splitlines()))
    assert [row["sheet"] for row in counts] == [results["1"]["source"], results["10"]["source"]]
    for row, data in zip(counts, results.values()):
        assert int(row["total"]) == len(data["symbols"])
        assert row["page"] == ""
        assert {k: int(v) for k, v in row.items() if k not in ("sheet", "page", "total") and int(v)} == data[
            "symbol_counts"
        ]
    total = len(expected)
    assert result.stdout.splitlines()[-1] == (
        f"bill of symbols: {total} symbols on 2 sheets -> {bill}, {tmp_path / 'bill.counts.csv'}"
    )


def test_bill_includes_sheets_finished_by_an_earlier_run(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    from schemseg_sdk.bill import write_bill_from_results

    out = tmp_path / "out"
    assert run("segment", sheets / "1.png", "--model", tiny_model, "--out", out, "--no-overlay").exit_code == 0
    assert run("segment", sheets / "10.png", "--model", tiny_model, "--out", out, "--no-overlay").exit_code == 0
    written = write_bill_from_results(tmp_path / "bill.csv", out, ["1", "10", "never-segmented"])
    symbols = sum(len(json.loads((out / f"{n}.json").read_text())["symbols"]) for n in ("1", "10"))
    assert (written.sheets, written.symbols) == (2, symbols)


def test_csv_needs_the_json_files(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    result = run("segment", sheets, "--model", tiny_model, "--no-json", "--csv", tmp_path / "b.csv")
    assert result.exit_code == 2 and "--csv is built from the NAME.json files: drop --no-json" in result.output


def test_no_group_lists_regions_as_the_model_painted_them(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    grouped, raw = tmp_path / "grouped", tmp_path / "raw"
    assert run("segment", sheets / "10.png", "--model", tiny_model, "--out", grouped).exit_code == 0
    assert run("segment", sheets / "10.png", "--model", tiny_model, "--out", raw, "--no-group").exit_code == 0
    grouped_data, raw_data = (json.loads((d / "10.json").read_text()) for d in (grouped, raw))
    assert raw_data["grouping"] is None and grouped_data["grouping"]["stroke_width"] >= 1
    assert len(grouped_data["symbols"]) < len(raw_data["symbols"])


def test_no_outputs_when_both_are_switched_off(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("segment", sheets / "1.png", "--model", tiny_model, "--out", out, "--no-json", "--no-overlay")
    assert result.exit_code == 0, result.output
    assert not out.exists() and result.stdout.splitlines()[-1].endswith(f"0 files written to {out}")


def test_bad_files_are_listed_and_the_rest_is_done(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    (sheets / "empty.png").write_bytes(b"")
    (sheets / "notes.png").write_text("not a drawing")
    (sheets / "cut.png").write_bytes((sheets / "10.png").read_bytes()[:200])
    out = tmp_path / "out"
    result = run("segment", sheets, "--model", tiny_model, "--out", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-5:] == [
        f"3 of 5 sheets failed (listed in {out / 'schemseg-run' / 'failures.txt'}):",
        f"  {sheets / 'cut.png'}: not an image or truncated (200 bytes could not be decoded)",
        f"  {sheets / 'empty.png'}: empty file (0 bytes)",
        f"  {sheets / 'notes.png'}: not an image or truncated (13 bytes could not be decoded)",
        "Error: 3 of 5 sheets failed",
    ]
    assert "Traceback" not in result.output and "WARN" not in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "1.json",
        "1.overlay.png",
        "10.json",
        "10.overlay.png",
        "schemseg-run",
    ]
    assert (out / "schemseg-run" / "failures.txt").read_text().splitlines() == [
        line.strip() for line in result.stderr.splitlines()[-4:-1]
    ]


def test_model_errors_are_one_line(sheets: Path, tmp_path: Path) -> None:
    result = run("segment", sheets, "--model", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path}: is a directory, expected a model file (.onnx, .engine or .plan)\n"
    fake = tmp_path / "fake.onnx"
    fake.write_text("hello")
    result = run("segment", sheets, "--model", fake)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {fake}: not a loadable ONNX model (")


def test_cuda_without_onnxruntime_gpu(sheets: Path, tiny_model: Path) -> None:
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("onnxruntime-gpu is installed here")
    result = run("segment", sheets, "--model", tiny_model, "--device", "cuda")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: device 'cuda' asked for, but this onnxruntime offers only ")
    assert result.stderr.rstrip().endswith("pip install onnxruntime-gpu (it replaces the CPU-only onnxruntime package)")


def test_usage_errors(tmp_path: Path, tiny_model: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("segment", empty, "--model", tiny_model)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1] == f"Error: no drawings (.pdf, .png, .jpg, .jpeg, .bmp, .tif, .tiff) in {empty}"
    )
    (empty / "notes.txt").write_text("x")
    (empty / "old").mkdir()
    result = run("segment", empty, "--model", tiny_model)
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == (
        f"Error: no drawings (.pdf, .png, .jpg, .jpeg, .bmp, .tif, .tiff) in {empty}; 2 other entries there: notes.txt, old"
    )
    result = run("segment", tmp_path / "missing.png")
    assert result.exit_code == 2 and "does not exist" in result.stderr
    result = run("segment", empty, "--batch-size", "0")
    assert result.exit_code == 2 and "0 is not in the range x>=1" in result.stderr


def test_output_folder_that_is_a_file(sheets: Path, tiny_model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("")
    result = run("segment", sheets / "1.png", "--model", tiny_model, "--out", blocker)
    assert result.exit_code == 2 and f"Directory '{blocker}' is a file." in result.stderr


def test_collect_images_and_unique_output_names(tmp_path: Path) -> None:
    for name in ("b.png", "a.JPG", "notes.txt", "c.PDF", ".DS_Store"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert collect_images([tmp_path, tmp_path / "notes.txt"]) == [
        tmp_path / "a.JPG",
        tmp_path / "b.png",
        tmp_path / "c.PDF",
        tmp_path / "notes.txt",
    ]
    skipped = collect_documents([tmp_path]).skipped  # named files are tried; a folder's others are listed
    assert [(file.source.name, file.reason.split(" (")[0]) for file in skipped] == [
        ("notes.txt", "not a drawing schemseg reads"),
        ("sub", "a folder: not searched"),
    ]
    assert output_stems([Path("x/a.png"), Path("y/a.png"), Path("a.jpg")]) == ["a", "a-2", "a-3"]
    assert np.unique(output_stems([Path(f"{i}.png") for i in range(5)])).size == 5
