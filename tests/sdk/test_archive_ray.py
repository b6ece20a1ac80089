"""`schemseg segment --ray` on a real local Ray (2 CPUs), with real drawings and the tiny real model.

Kept to two runs of a shared Ray instance: starting Ray and its actors costs seconds on a small machine.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from archive_testdata import (
    add_bad_sheets,
    assert_outputs_whole,
    make_sheets,
    output_files,
    start_segment,
    summary,
    wait_for_jsons,
    wait_until_still,
)
from click.testing import CliRunner
from document_testdata import drawing, encrypted_pdf, g4_tiff, scanned_pdf
from tiny_model import build_poisoned_model

from schemseg_sdk.archive import Outputs, RayOptions, RunOptions, SheetJob, segment_archive
from schemseg_sdk.cli import main

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'schemseg[ray]'")

ACTOR_TITLE = b"ray::MapWorker(MapBatches(_SheetActor))"


@pytest.fixture(scope="module")
def local_ray() -> object:
    """One Ray for the module, sized like the CI machine; runs use the Ray of their process."""
    ray.init(
        address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING"
    )  # never a RAY_ADDRESS cluster
    yield ray
    ray.shutdown()


def test_ray_gives_the_plain_paths_masks_symbols_and_failures(local_ray: object, tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    make_sheets(sheets, 100, size=(96, 128))
    add_bad_sheets(sheets)
    model = build_poisoned_model(tmp_path / "poisoned.onnx")
    runs = {}
    for name, extra in (("plain", ()), ("ray", ("--ray", "--actors", "2"))):
        out = tmp_path / name
        result = CliRunner().invoke(
            main, ["segment", str(sheets), "--model", str(model), "--out", str(out), "--threads", "1", *extra]
        )
        assert result.exit_code == 1 and result.stderr.splitlines()[-1] == "Error: 2 of 102 sheets failed"
        runs[name] = out
    assert "on Ray (local, 2 CPUs; 2 actor(s) x 1 CPU, 1 thread(s) each): 102 sheets -> " in result.stderr
    plain, on_ray = runs["plain"], runs["ray"]
    assert (plain / "schemseg-run" / "failures.txt").read_text() == (
        on_ray / "schemseg-run" / "failures.txt"
    ).read_text()
    assert summary(on_ray)["counts"] == {"done": 100, "skipped": 0, "failed": 2, "pending": 0}
    names = sorted(p.name for p in plain.iterdir() if p.is_file())
    assert len(names) == 200 and names == sorted(p.name for p in on_ray.iterdir() if p.is_file())
    for name in names:
        if name.endswith(".png"):  # the overlay shows the mask: every class id as its colour
            assert np.array_equal(cv2.imread(str(plain / name)), cv2.imread(str(on_ray / name))), name
        else:
            a, b = (json.loads((folder / name).read_text()) for folder in (plain, on_ray))
            for key in ("source", "width", "height", "tiles", "symbols", "model"):
                assert a[key] == b[key], (name, key)
    assert_outputs_whole(on_ray)


def test_ray_gives_the_plain_paths_pages(local_ray: object, tmp_path: Path, tiny_model: Path) -> None:
    """PDF and multi-page TIFF pages on Ray: the same files, masks and failures as the plain path."""
    docs = tmp_path / "docs"
    docs.mkdir()
    scanned_pdf(docs / "plant.pdf", [drawing(i, (150, 200)) for i in range(3)], dpi=100)
    g4_tiff(docs / "set.tif", [drawing(i + 3) for i in range(2)])
    cv2.imwrite(str(docs / "sheet.png"), drawing(5))
    encrypted_pdf(docs / "locked.pdf")
    (docs / "notes.txt").write_text("not a drawing")
    runs = {}
    for name, extra in (("plain", ()), ("ray", ("--ray", "--actors", "2"))):
        out = runs[name] = tmp_path / name
        result = CliRunner().invoke(
            main, ["segment", str(docs), "--model", str(tiny_model), "--out", str(out), "--threads", "1", *extra]
        )
        assert result.exit_code == 1 and result.stderr.splitlines()[-1] == "Error: 1 of 7 sheets failed"
    plain, on_ray = runs["plain"], runs["ray"]
    names = sorted(p.name for p in plain.iterdir() if p.is_file())
    assert names == sorted(p.name for p in on_ray.iterdir() if p.is_file())
    assert {name.split(".")[0] + "." + name.split(".")[1] for name in names if ".p0" in name} == {
        "plant.p001",
        "plant.p002",
        "plant.p003",
        "set.p001",
        "set.p002",
    }
    for name in names:
        if name.endswith(".png"):
            assert np.array_equal(cv2.imread(str(plain / name)), cv2.imread(str(on_ray / name))), name
        else:
            a, b = (json.loads((folder / name).read_text()) for folder in (plain, on_ray))
            for key in ("source", "page", "pages", "dpi", "width", "height", "symbols"):
                assert a[key] == b[key], (name, key)
    plain_summary, ray_summary = summary(plain), summary(on_ray)
    assert plain_summary["sheets"] == ray_summary["sheets"] and plain_summary["skipped"] == ray_summary["skipped"]
    assert (plain / "schemseg-run" / "failures.txt").read_text() == (
        on_ray / "schemseg-run" / "failures.txt"
    ).read_text()
    assert_outputs_whole(on_ray)


def test_an_actor_killed_mid_run_loses_no_sheet(local_ray: object, tmp_path: Path, tiny_model: Path) -> None:
    files = make_sheets(tmp_path / "sheets", 100, size=(160, 220))
    out = tmp_path / "out"
    killed: list[tuple[int, int]] = []  # (pid, sheets finished when it was killed)
    killer = threading.Thread(target=_kill_one_actor, args=(out, killed), daemon=True)
    killer.start()
    result = segment_archive(files, RunOptions(out, tiny_model), ray=RayOptions(actors=2))
    killer.join(timeout=5)
    assert killed and killed[0][1] < 100, "the actor was not killed while the run was going on"
    assert not Path(f"/proc/{killed[0][0]}").exists()
    assert (result.sheets, result.failures) == (100, [])
    assert summary(out)["counts"] == {"done": 100, "skipped": 0, "failed": 0, "pending": 0}
    assert sum(1 for _ in out.glob("*.json")) == 100
    assert_outputs_whole(out)


def test_a_killed_driver_leaves_whole_outputs_and_the_rerun_finishes(tmp_path: Path, tiny_model: Path) -> None:
    """SIGKILL the driver of a `--ray` run (its own local Ray); rerun: nothing finished is redone."""
    files = make_sheets(tmp_path / "sheets", 120, size=(96, 128))
    out = tmp_path / "out"
    args = (tmp_path / "sheets", "--model", tiny_model, "--out", out, "--threads", "1")
    driver = start_segment(*args, "--ray", "local", "--actors", "2")
    wait_for_jsons(out, 20, driver)
    driver.send_signal(signal.SIGKILL)
    assert driver.wait() == -signal.SIGKILL
    before = wait_until_still(out)  # the actors notice their driver is gone within moments
    jobs = [SheetJob(path, path.stem) for path in files]
    finished = {job.stem for job in jobs if Outputs(out).complete(job)}

    result = CliRunner().invoke(main, ["segment", *map(str, args)])
    assert result.exit_code == 0, result.output
    assert summary(out)["counts"] == {"done": 120 - len(finished), "skipped": len(finished), "failed": 0, "pending": 0}
    after = output_files(out)
    assert all(after[f"{stem}.json"] == before[f"{stem}.json"] for stem in finished)
    assert len(after) == 240
    assert_outputs_whole(out)


def _kill_one_actor(out: Path, killed: list[tuple[int, int]]) -> None:
    """SIGKILL one Segmenter actor of this process's Ray once the first sheets are written."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = sum(1 for p in out.glob("*.json") if not p.name.startswith(".")) if out.is_dir() else 0
        actors = _segmenter_actors() if done >= 2 else []
        if actors:
            os.kill(actors[0], signal.SIGKILL)
            killed.append((actors[0], done))
            return
        time.sleep(0.02)


def _segmenter_actors() -> list[int]:
    """Ray Data's Segmenter actor processes whose raylet this test process started."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            title = (proc / "cmdline").read_bytes()
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            grandparent = int(Path(f"/proc/{parent}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if title.startswith(ACTOR_TITLE) and grandparent == os.getpid():
            pids.append(int(proc.name))
    return pids
