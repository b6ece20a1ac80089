"""``schemseg-build-engine`` / ``schemseg build-engine``: options, files written, errors and exit codes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import onnx
import pytest
from click.testing import CliRunner
from engine_testdata import write_dataset, write_model

from schemseg_sdk.cli import main as schemseg
from schemseg_sdk.cli.build_engine import build_engine

HAS_TENSORRT = importlib.util.find_spec("tensorrt") is not None


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    return write_model(tmp_path / "tiny.onnx", attention=True)


def run(*args: object) -> object:
    return CliRunner().invoke(build_engine, [str(a) for a in args])


def test_help_of_both_entry_points() -> None:
    for result in (run("--help"), CliRunner().invoke(schemseg, ["build-engine", "--help"])):
        assert result.exit_code == 0
        assert "--calib-method [minmax|entropy|percentile]" in result.output
        assert "4 TensorRT or NVIDIA GPU missing" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fp16", "--int8"], "Error: --fp32, --fp16 and --int8 exclude each other; got --fp16 and --int8"),
        (["--fp16", "--calib-count", "8"], "Error: --calib-count only apply to --int8 (building fp16)"),
        (["--fp32", "--cpu-weight-bits", "8"], "Error: --cpu-weight-bits only apply to --int8 (building fp32)"),
        (
            ["--onnx-only", "--workspace", "2"],
            "Error: --workspace set TensorRT options, but --onnx-only builds no engine",
        ),
        (["--batch", "8:4:1"], "expected MIN:OPT:MAX with 1 <= MIN <= OPT <= MAX, got '8:4:1'"),
        (["--opt-level", "9"], "Invalid value for '--opt-level': 9 is not in the range 0<=x<=5."),
    ],
)
def test_flag_misuse_is_a_usage_error(model: Path, args: list[str], message: str) -> None:
    result = run(model, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_model_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.onnx")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_not_a_model_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage")
    result = run(bad, "--onnx-only", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith(f"Error: {bad}: not a readable ONNX model")


def test_onnx_only_fp16_writes_the_checked_graph_and_says_the_gate_was_skipped(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "engines"
    result = CliRunner().invoke(schemseg, ["build-engine", str(model), "--onnx-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out / "tiny.fp16.onnx")
    assert (
        "!!! accuracy gate SKIPPED: no --val DIR given: the precision graph was NOT checked against ground truth !!!"
    ) in result.output
    assert "fp16: kept in FP32 (head, softmax/attention, normalization): " in result.output
    graph = onnx.load(str(out / "tiny.fp16.onnx"))
    assert {p.key: p.value for p in graph.metadata_props}["schemseg.precision"] == '"fp16"'


@pytest.mark.skipif(HAS_TENSORRT, reason="TensorRT is installed here: the missing-TensorRT path cannot be shown")
def test_without_tensorrt_exit_4_after_writing_the_checked_onnx(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "engines"
    result = run(model, "--fp32", "--out", out)
    assert result.exit_code == 4, result.output
    assert result.output.splitlines()[-1] == (
        "Error: TensorRT is not installed (No module named 'tensorrt'); install it on the GPU machine: "
        f"pip install 'schemseg[tensorrt]'. Everything up to the engine was written and checked ({out / 'tiny.fp32.onnx'}); "
        f"run the same command on the GPU machine to build {out / 'tiny.fp32.engine'}"
    )
    assert (out / "tiny.fp32.onnx").is_file() and not (out / "tiny.fp32.engine").exists()


def test_int8_gate_failure_exits_3_and_accept_drop_keeps_it(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = write_dataset(tmp_path / "val", count=8, confident_only=False, attention=True)
    out = tmp_path / "engines"
    monkeypatch.chdir(tmp_path)
    failed = run(model, "--int8", "--calib", strict, "--val", strict, "--onnx-only", "--out", out)
    assert failed.exit_code == 3, failed.output
    assert "Error: accuracy gate failed (int8 (TensorRT QDQ): mean IoU dropped " in failed.output
    assert (tmp_path / "calibration" / "cache").is_dir()  # the default cache folder, relative to the working dir
    kept = run(
        model,
        "--int8",
        "--calib",
        strict,
        "--calib-count",
        "4",
        "--val",
        strict,
        "--onnx-only",
        "--accept-drop",
        "--out",
        out,
    )
    assert kept.exit_code == 0, kept.output
    assert "accuracy gate FAILED but kept (--accept-drop); report: " in kept.output
    report = json.loads((out / "tiny.int8.gate.json").read_text())
    assert report["status"] == "failed (accepted with --accept-drop)"
    assert kept.stdout.split() == [str(out / "tiny.int8.onnx"), str(out / "tiny.int8-cpu.onnx")]


@pytest.mark.tensorrt
@pytest.mark.gpu
@pytest.mark.skipif(not HAS_TENSORRT, reason="TensorRT is not installed (pip install 'schemseg[tensorrt]')")
def test_tensorrt_builds_the_bundle(model: Path, tmp_path: Path) -> None:
    from schemseg_sdk.engine.sidecar import read_sidecar
    from schemseg_sdk.engine.trt_build import cuda_device
    from schemseg_sdk.errors import BackendUnavailableError

    try:
        cuda_device(0)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    out = tmp_path / "engines"
    for _ in range(2):  # the second build reuses the timing cache
        result = run(model, "--fp16", "--batch", "1:2:4", "--out", out)
        assert result.exit_code == 0, result.output
    assert "(timing cache reused)" in result.output
    sidecar = read_sidecar(out / "tiny.fp16.engine")
    assert (sidecar.precision, sidecar.batch_min, sidecar.batch_opt, sidecar.batch_max) == ("fp16", 1, 2, 4)
    assert sidecar.gate["status"] == "skipped" and sidecar.input_size == 64 and sidecar.gpu_name
