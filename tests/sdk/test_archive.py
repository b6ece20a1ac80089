"""Resumable `schemseg segment`: skip what is complete, survive SIGKILL and SIGTERM, list every failure.

Real processes, real drawings (parts of the example sheets) and the tiny real ONNX model.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest
from archive_testdata import (
    add_bad_sheets,
    assert_outputs_whole,
    make_sheets,
    output_files,
    start_segment,
    summary,
    wait_for_jsons,
)
from click.testing import CliRunner
from tiny_model import build_poisoned_model

from schemseg_sdk.archive import Outputs, RayOptions, RunOptions, SheetJob, segment_archive
from schemseg_sdk.archive.ray_run import ActorPlan, plan_actors
from schemseg_sdk.cli import main
from schemseg_sdk.errors import BackendUnavailableError, InvalidInputError


def run(*args: str | Path) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_sigkill_part_way_then_the_rerun_finishes_the_rest_and_redoes_none(tmp_path: Path, tiny_model: Path) -> None:
    sheets = tmp_path / "sheets"
    make_sheets(sheets, 200, size=(96, 128))
    out = tmp_path / "out"
    args = (sheets, "--model", tiny_model, "--out", out, "--threads", "1")
    process = start_segment(*args)
    wait_for_jsons(out, 40, process)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    jobs = [SheetJob(path, path.stem) for path in sorted(sheets.iterdir())]
    finished = [job for job in jobs if Outputs(out).complete(job)]
    assert 40 <= len(finished) < 200
    before = output_files(out)

    result = run("segment", *args)
    assert result.exit_code == 0, result.output
    assert f"{len(finished)} sheets skipped: outputs complete in {out}" in result.stderr
    assert result.stdout.splitlines()[-1].endswith(f"written to {out}; {len(finished)} skipped")
    after = output_files(out)
    assert len(after) == 400 and all(Outputs(out).complete(job) for job in jobs)
    for job in finished:  # the same files, never rewritten
        for name in (f"{job.stem}.json", f"{job.stem}.overlay.png"):
            assert after[name] == before[name]
    assert_outputs_whole(out)
    record = summary(out)
    assert record["state"] == "finished"
    assert record["counts"] == {"done": 200 - len(finished), "skipped": len(finished), "failed": 0, "pending": 0}


def test_sigterm_stops_cleanly_and_records_the_run(tmp_path: Path, tiny_model: Path) -> None:
    sheets = tmp_path / "sheets"
    make_sheets(sheets, 60, size=(96, 128))
    out = tmp_path / "out"
    log = tmp_path / "segment.log"
    process = start_segment(sheets, "--model", tiny_model, "--out", out, "--threads", "1", log=log)
    wait_for_jsons(out, 5, process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 130
    assert log.read_text().splitlines()[-1] == "Error: interrupted; run the same command again to finish the rest"
    assert_outputs_whole(out)
    record = summary(out)
    assert record["state"] == "interrupted" and record["counts"]["pending"] > 0
    assert record["counts"]["done"] == sum(1 for _ in out.glob("*.json"))


def test_only_incomplete_outputs_are_redone_and_force_redoes_all(tmp_path: Path, tiny_model: Path) -> None:
    sheets = make_sheets(tmp_path / "sheets", 6, size=(70, 90))
    out = tmp_path / "out"
    args = ("segment", tmp_path / "sheets", "--model", tiny_model, "--out", out)
    assert run(*args).exit_code == 0
    (out / "sheet0000.json").write_text((out / "sheet0000.json").read_text()[:100])  # truncated elsewhere
    (out / "sheet0001.overlay.png").unlink()
    png = (out / "sheet0002.overlay.png").read_bytes()
    (out / "sheet0002.overlay.png").write_bytes(png[: len(png) // 2])
    moved = json.loads((out / "sheet0003.json").read_text())
    moved["source"] = str(sheets[5])  # outputs of another sheet under this name
    (out / "sheet0003.json").write_text(json.dumps(moved))
    stale = out / ".sheet0004.json.abcd1234.tmp.json"  # what a SIGKILL leaves of an atomic write
    stale.write_text("{")
    before = output_files(out)

    result = run(*args)
    assert result.exit_code == 0, result.output
    after = output_files(out)
    redone = {name for name in after if after[name] != before.get(name)}
    assert redone == {f"sheet000{i}.{kind}" for i in range(4) for kind in ("json", "overlay.png")}
    assert not stale.exists() and result.stdout.splitlines()[-1].endswith("; 2 skipped")
    assert_outputs_whole(out)

    assert run(*args, "--force").exit_code == 0
    forced = output_files(out)
    assert all(forced[name] != after[name] for name in after if not name.startswith("."))


def test_sheets_made_with_other_grouping_settings_are_redone(tmp_path: Path, tiny_model: Path) -> None:
    """A rerun with other grouping (or none), or outputs of an older version without a setting this one has, redoes the sheet."""
    make_sheets(tmp_path / "sheets", 3, size=(70, 90))
    out = tmp_path / "out"
    args = ("segment", tmp_path / "sheets", "--model", tiny_model, "--out", out)
    assert run(*args).exit_code == 0
    assert run(*args).stdout.splitlines()[-1].endswith("; 3 skipped")  # the same settings: nothing to do
    older = json.loads((out / "sheet0000.json").read_text())
    del older["grouping"]["overlap_join"]  # as written before that setting existed
    (out / "sheet0000.json").write_text(json.dumps(older))
    result = run(*args)
    assert result.exit_code == 0 and result.stdout.splitlines()[-1].endswith("; 2 skipped")
    assert "overlap_join" in json.loads((out / "sheet0000.json").read_text())["grouping"]
    ungrouped = run(*args, "--no-group")
    assert ungrouped.exit_code == 0 and "skipped" not in ungrouped.stdout.splitlines()[-1]
    assert json.loads((out / "sheet0001.json").read_text())["grouping"] is None


def test_sheets_made_with_another_classifier_are_redone(tmp_path: Path) -> None:
    """The bundled model with its classifier, then ``--classifier none``: the vote's symbols are other ones."""
    make_sheets(tmp_path / "sheets", 2, size=(70, 90))
    out = tmp_path / "out"
    args = ("segment", tmp_path / "sheets", "--out", out, "--threads", "2")
    assert run(*args).exit_code == 0
    assert (
        json.loads((out / "sheet0000.json").read_text())["grouping"]["classifier"]["file"] == "symbol_classifier.onnx"
    )
    assert run(*args, "--classifier", "auto").stdout.splitlines()[-1].endswith("; 2 skipped")
    voted = run(*args, "--classifier", "none")
    assert voted.exit_code == 0 and "skipped" not in voted.stdout.splitlines()[-1]
    assert json.loads((out / "sheet0000.json").read_text())["grouping"]["classifier"] is None
    assert run(*args, "--classifier", "none").stdout.splitlines()[-1].endswith("; 2 skipped")


def test_bad_sheets_are_listed_with_their_reason_and_the_rest_is_done(tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    make_sheets(sheets, 5, size=(70, 90))
    corrupt, poison = add_bad_sheets(sheets)
    model = build_poisoned_model(tmp_path / "poisoned.onnx")
    out = tmp_path / "out"
    args = ("segment", sheets, "--model", model, "--out", out, "--batch-size", "4")
    for attempt in range(2):  # the rerun skips the good sheets and tries the bad ones again
        result = run(*args)
        assert result.exit_code == 1
        failures = (out / "schemseg-run" / "failures.txt").read_text().splitlines()
        assert failures == [
            f"{corrupt}: not an image or truncated (100 bytes could not be decoded)",
            f"{poison}: segmentation failed: poisoned.onnx: ONNX Runtime failed ([ONNXRuntimeError] : 2 : "
            "INVALID_ARGUMENT : Non-zero status code returned while running Gather node. Name:'' Status Message: "
            "indices element out of data bounds, idx=255 must be within the inclusive range [-250,249])",
        ]
        assert result.stderr.splitlines()[-1] == "Error: 2 of 7 sheets failed"
        record = summary(out)
        assert record["counts"] == {"done": 5 * (1 - attempt), "skipped": 5 * attempt, "failed": 2, "pending": 0}
        states = {Path(sheet["source"]).name: sheet["state"] for sheet in record["sheets"]}
        assert states["poison.png"] == "failed" and states["sheet0004.png"] == ("skipped" if attempt else "done")
        assert sorted(p.name for p in out.glob("*.json")) == [f"sheet000{i}.json" for i in range(5)]


class _KilledWriter:
    """Leaves, while the run goes on, what a worker killed mid-write (SIGKILL, OOM) leaves of an atomic write."""

    def __init__(self, out: Path) -> None:
        self.left = out / ".sheet0001.overlay.png.x1y2z3_4.tmp.png"

    def started(self, description: str, pending: int, skipped: int) -> None:
        pass

    def sheet_finished(self, status: object) -> None:
        if not self.left.exists():
            self.left.write_bytes(b"\x89PNG")


def test_a_temporary_file_left_during_the_run_is_gone_when_it_finishes(tmp_path: Path, tiny_model: Path) -> None:
    files = make_sheets(tmp_path / "sheets", 3, size=(70, 90))
    out = tmp_path / "out"
    writer = _KilledWriter(out)
    result = segment_archive(files, RunOptions(out, tiny_model), observer=writer)
    assert (result.sheets, result.failures) == (3, [])
    assert not writer.left.exists()
    assert_outputs_whole(out)


def test_library_run_without_outputs_writes_nothing(tmp_path: Path, tiny_model: Path) -> None:
    files = make_sheets(tmp_path / "sheets", 3, size=(70, 90))
    options = RunOptions(tmp_path / "out", tiny_model, write_json=False, write_overlay=False)
    summary_ = segment_archive(files, options)
    assert (summary_.sheets, summary_.skipped, summary_.written, summary_.failures) == (3, 0, 0, [])
    assert summary_.summary_path is None and not (tmp_path / "out").exists()


def test_ray_missing_names_the_extra(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError, as where it is not installed
    files = make_sheets(tmp_path / "sheets", 1, size=(70, 90))
    with pytest.raises(
        BackendUnavailableError,
        match=r"^--ray needs Ray with Ray Data \(.*\); "
        r"pip install 'schemseg\[ray\]'$",
    ):
        segment_archive(files, RunOptions(tmp_path / "out", tiny_model), ray=RayOptions())
    assert json.loads((tmp_path / "out" / "schemseg-run" / "summary.json").read_text())["state"] == "error"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((2, 2, 2, 0, False), ActorPlan(cpus=1.0, gpus=0, threads=1)),  # the 2-core machine: both cores used
        ((1, 2, 2, 0, False), ActorPlan(cpus=2.0, gpus=0, threads=2)),
        ((3, 2, 2, 0, False), ActorPlan(cpus=0.66, gpus=0, threads=1)),  # fractional, but the pool starts
        ((4, 64, 16, 0, False), ActorPlan(cpus=16.0, gpus=0, threads=16)),  # at most one node per actor
        ((4, 64, 16, 0, False, 2), ActorPlan(cpus=2.0, gpus=0, threads=2)),  # --threads caps the share
        ((2, 32, 16, 4, True), ActorPlan(cpus=16.0, gpus=1, threads=16)),
    ],
)
def test_actor_sizing_fits_the_cluster(args: tuple, expected: ActorPlan) -> None:
    assert plan_actors(*args) == expected


def test_actor_sizing_errors_say_the_fix() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"^3 GPU actor\(s\) asked for, but the Ray cluster has 2 GPU\(s\); "
        r"use --actors 2 or fewer$",
    ):
        plan_actors(3, 32, 16, 2, True)
    with pytest.raises(InvalidInputError, match=r"has 0 GPU\(s\); use --device cpu$"):
        plan_actors(1, 32, 16, 0, True)


def test_ray_option_misuse_is_a_usage_error(tmp_path: Path, tiny_model: Path) -> None:
    sheet = make_sheets(tmp_path / "sheets", 1, size=(70, 90))[0]
    result = run("segment", sheet, "--actors", "2", "--model", tiny_model)
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == "Error: --actors needs --ray"
    result = run("segment", "--ray", tmp_path / "sheets", sheet)
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == (
        f"Error: --ray took '{tmp_path / 'sheets'}' as the Ray address; put PATHS before --ray, "
        "or write --ray local / --ray auto"
    )
