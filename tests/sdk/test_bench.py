"""schemseg-bench end to end with the tiny real ONNX model: JSON, table, plots, skips, errors, README block."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from schemseg_sdk.bench.inputs import load_bench_sheets
from schemseg_sdk.bench.machine import PeakMemory
from schemseg_sdk.bench.readme_table import BENCH_END, BENCH_START, update_readme
from schemseg_sdk.bench.report import load_report
from schemseg_sdk.bench.runner import BenchConfig, measure_target
from schemseg_sdk.bench.targets import BenchTarget
from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.cli import main as schemseg_main
from schemseg_sdk.cli.bench import main as bench_main
from schemseg_sdk.errors import InvalidInputError

FAST = ["--sheets", "synthetic", "--sheet-size", "64", "--batch", "1,2", "--warmup", "1", "--iterations", "2"]
ROW_KEYS = {
    "model",
    "backend",
    "precision",
    "batch",
    "status",
    "reason",
    "runtime",
    "device",
    "path",
    "iterations",
    "latency_ms",
    "latency_per_sheet_ms",
    "throughput_sheets_per_s",
    "stages_ms",
    "tiles_per_batch",
    "cold_start_s",
    "peak_rss_mib",
    "rss_before_open_mib",
    "gpu_memory_mib",
    "gpu_memory_note",
    "gflops_per_tile",
    "gflops_source",
    "achieved_gflops_per_s",
    "mean_iou",
    "pixel_accuracy",
    "accuracy_sheets",
    "speedup_vs_torch",
    "speedup_note",
}
REPORT_KEYS = {
    "schema",
    "created",
    "machine",
    "config",
    "sheets",
    "memory_method",
    "notes",
    "load_average_end",
    "rows",
    "command",
}


def _write_dataset(root: Path, count: int = 3, size: int = 64) -> Path:
    """White sheets with a black box (resistor_iec) each, and their masks."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(count):
        image = np.full((size, size, 3), 255, np.uint8)
        mask = np.zeros((size, size), np.uint8)
        cv2.rectangle(image, (10 + i, 12), (40, 30), (0, 0, 0), 2)
        cv2.rectangle(mask, (10 + i, 12), (40, 30), class_index("resistor_iec"), -1)
        cv2.imwrite(str(root / "images" / f"{i:03d}.png"), image)
        cv2.imwrite(str(root / "masks" / f"{i:03d}.png"), mask)
    (root / "dataset.json").write_text(json.dumps({"class_names": list(CLASS_NAMES)}))
    return root


def _invoke(args: list[str], command: Any = bench_main) -> Result:
    return CliRunner().invoke(command, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def run(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, dict[str, Any], Path]:
    """One short run: ort measured, a broken int8 file (error row), engines and torch skipped, mIoU on data."""
    folder = tmp_path_factory.mktemp("bench")
    model = shutil.copy(tiny_model, folder / "tiny.onnx")
    (folder / "tiny.int8-cpu.onnx").write_bytes(b"not an onnx model")
    data = _write_dataset(folder / "data")
    out = folder / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # the default checkpoint (runs/ref/best.pt) is relative: keep a local run out of it
        result = _invoke(
            [
                "--model",
                str(model),
                "--data",
                str(data),
                "--data-limit",
                "2",
                *FAST,
                "--engines-dir",
                str(folder / "engines"),
                "--json",
                str(out / "r.json"),
                "--note",
                "test run",
            ]
        )
    return result, json.loads((out / "r.json").read_text()), out


def test_short_run_writes_json_with_every_field(run: tuple[Result, dict[str, Any], Path]) -> None:
    result, report, _ = run
    assert result.exit_code == 0, result.output
    assert set(report) == REPORT_KEYS and report["schema"] == "schemseg.bench/1"
    assert all(set(row) == ROW_KEYS for row in report["rows"])
    assert report["config"] == {
        "batches": [1, 2],
        "warmup": 1,
        "iterations": 2,
        "duration_s": None,
        "threads": None,
        "device": "auto",
        "data": report["config"]["data"],
        "data_limit": 2,
        "interleave": False,
    }
    assert report["sheets"]["source"] == "synthetic" and report["sheets"]["count"] == 2
    assert report["sheets"]["sizes"] == ["64x64"]
    assert report["notes"][-1] == "test run" and any("shared and noisy" in n for n in report["notes"])
    assert report["memory_method"].startswith(("VmHWM", "getrusage"))
    assert report["command"].startswith("schemseg-bench --model ") and "--note 'test run'" in report["command"]
    assert {"cpu_model", "cpu_features", "gpus", "versions", "os", "python", "date"} <= set(report["machine"])


def test_measured_rows_hold_latency_stages_memory_and_miou(run: tuple[Result, dict[str, Any], Path]) -> None:
    _, report, _ = run
    ort = [row for row in report["rows"] if row["backend"] == "ort"]
    assert [row["batch"] for row in ort] == [1, 2] and all(row["status"] == "ok" for row in ort)
    for row in ort:
        latency = row["latency_ms"]
        assert row["iterations"] == latency["count"] == 2
        assert 0 < latency["min"] <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
        assert row["throughput_sheets_per_s"] == pytest.approx(row["batch"] / latency["p50"] * 1000, rel=1e-3)
        assert {"decode", "preprocess", "inference", "compute", "postprocess", "total"} <= set(row["stages_ms"])
        assert row["runtime"] == "onnxruntime-cpu" and row["device"] == "cpu" and row["tiles_per_batch"] == row["batch"]
        assert row["cold_start_s"] > 0 and row["peak_rss_mib"] > 0
        assert row["gflops_per_tile"] is None and row["achieved_gflops_per_s"] is None  # the tiny model has none
        assert 0.0 <= row["mean_iou"] <= 1.0 and row["accuracy_sheets"] == 2
        assert row["speedup_vs_torch"] is None
        assert row["speedup_note"] == "PyTorch row skipped: " + _row(report, "torch")["reason"]


def _row(report: dict[str, Any], backend: str) -> dict[str, Any]:
    return next(row for row in report["rows"] if row["backend"] == backend)


def test_skipped_and_failing_backends_carry_reasons(run: tuple[Result, dict[str, Any], Path]) -> None:
    _, report, _ = run
    int8 = _row(report, "ort-int8")
    assert int8["status"] == "error" and int8["batch"] is None
    assert int8["reason"].startswith("ModelFormatError: ")
    assert "tiny.int8-cpu.onnx: not a loadable ONNX model" in int8["reason"]
    for backend in ("trt-fp16", "trt-int8"):
        row = _row(report, backend)
        assert row["status"] == "skipped" and row["reason"]
        engines = Path(row["path"]).parent
        assert "TensorRT" in row["reason"] or row["reason"].endswith(f"--{row['precision']} --out {engines}")
    torch = _row(report, "torch")
    assert torch["status"] == "skipped"
    assert torch["reason"] in (
        "no checkpoint: runs/ref/best.pt not found; pass --checkpoint CKPT (a 'schemseg train' best.pt)",
        "torch is not installed; pip install 'schemseg[train]' for the PyTorch eager row",
    )


def test_markdown_table_on_stdout_and_plot_png(run: tuple[Result, dict[str, Any], Path]) -> None:
    result, _, out = run
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| model | backend | runtime | batch | p50 ms | p90 ms | p99 ms | ms/sheet | sheets/s |")
    assert any(line.startswith("| tiny | ort | onnxruntime-cpu | 2 | ") for line in lines)
    assert any(line.startswith("| tiny | ort-int8 | - |") and "error: ModelFormatError" in line for line in lines)
    assert "Stages (ms per batch, median):" in lines
    assert any(line.startswith("Speed ratio n/a: PyTorch row skipped: ") for line in lines)
    picture = cv2.imread(str(out / "r.png"))
    assert (out / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.shape[0] > 300


def test_default_results_file_is_named_by_machine_and_date(tiny_model: Path, tmp_path: Path) -> None:
    result = _invoke(
        [
            "--model",
            str(tiny_model),
            "--backends",
            "ort",
            *FAST,
            "--batch",
            "1",
            "--results-dir",
            str(tmp_path),
            "--sheets",
            "noise",
        ]
    )
    assert result.exit_code == 0, result.output
    (json_path,) = tmp_path.glob("*.json")
    report = load_report(json_path)
    assert json_path.name.endswith(f"-{report['created'][:10]}.json") and json_path.with_suffix(".png").is_file()
    assert report["sheets"]["source"] == "noise" and [r["status"] for r in report["rows"]] == ["ok"]
    assert f"wrote {json_path}" in result.stderr


def test_duration_mode_and_schemseg_subcommand(tiny_model: Path, tmp_path: Path) -> None:
    args = [
        "bench",
        "--model",
        str(tiny_model),
        "--backends",
        "ort",
        "--sheets",
        "synthetic",
        "--sheet-size",
        "64",
        "--batch",
        "1",
        "--warmup",
        "0",
        "--duration",
        "0.2",
        "--json",
        str(tmp_path / "d.json"),
    ]
    result = _invoke(args, schemseg_main)
    assert result.exit_code == 0, result.output
    (row,) = json.loads((tmp_path / "d.json").read_text())["rows"]
    assert row["status"] == "ok" and row["iterations"] >= 1 and row["latency_ms"]["count"] == row["iterations"]


def test_interleaved_run_times_every_backend_in_turn(tiny_model: Path, tmp_path: Path) -> None:
    from schemseg_sdk.cpu import has_fast_bf16

    folder = tmp_path / "m"
    folder.mkdir()
    model = shutil.copy(tiny_model, folder / "tiny.onnx")
    (folder / "tiny.int8-cpu.onnx").write_bytes(b"not an onnx model")
    # one OpenVINO model open at a time: with an f32 and a bf16 compiled model alive in one process, a later
    # SIGTERM crashed it (inside OpenVINO's native code; tests/sdk/test_signals.py sends one)
    backends = "ort,ort-int8,openvino-bf16"
    result = _invoke(
        ["--model", str(model), "--backends", backends, *FAST, "--interleave", "--json", str(tmp_path / "i.json")]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "i.json").read_text())
    assert report["config"]["interleave"] is True
    assert " --iterations 2 --interleave --sheets synthetic " in report["command"]  # a flag, not "--interleave True"
    assert any(n.startswith("Rows were measured round-robin (--interleave)") for n in report["notes"])
    assert not any(n.startswith("Rows are measured one after another") for n in report["notes"])
    rows = [(r["backend"], r["batch"], r["status"]) for r in report["rows"]]
    assert rows[:3] == [("ort", 1, "ok"), ("ort", 2, "ok"), ("ort-int8", None, "error")]  # order of --backends
    assert all(r["iterations"] == r["latency_ms"]["count"] == 2 for r in report["rows"] if r["status"] == "ok")
    bf16 = [r for r in report["rows"] if r["backend"] == "openvino-bf16"]
    if importlib.util.find_spec("openvino") is not None and has_fast_bf16():
        assert [(r["batch"], r["status"], r["runtime"]) for r in bf16] == [
            (1, "ok", "openvino-cpu-bf16"),
            (2, "ok", "openvino-cpu-bf16"),
        ]
    else:
        assert bf16[0]["status"] == "skipped" and bf16[0]["reason"]


def test_a_batch_that_fails_becomes_an_error_row_and_the_rest_is_measured(tiny_model: Path) -> None:
    sheets = load_bench_sheets("synthetic", 2, size=64)
    target = BenchTarget("ort", "tiny", tiny_model, "fp32")
    rows = measure_target(
        target, sheets, BenchConfig(batches=(1, 5000), warmup=0, iterations=1, device="cpu"), PeakMemory()
    )
    assert [(r.batch, r.status) for r in rows] == [(1, "ok"), (5000, "error")]
    assert rows[1].reason == "InvalidInputError: batch_size must be an integer in 1..1024, got 5000"


def test_nothing_measurable_exits_non_zero(tmp_path: Path) -> None:
    missing = tmp_path / "none.onnx"
    missing.write_bytes(b"")
    result = CliRunner().invoke(
        bench_main, ["--model", str(missing), "--backends", "ort", *FAST, "--json", str(tmp_path / "x.json")]
    )
    assert result.exit_code == 1
    assert "Error: no backend could be measured; the table above says why for each" in result.output
    assert "error: ModelFormatError: " in result.stdout and (tmp_path / "x.json").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--iterations", "3", "--duration", "1"], "--iterations and --duration exclude each other; give one"),
        (
            ["--backends", "ort,tflite"],
            "--backends: unknown backend 'tflite'; choose from torch, ort, ort-int8, "
            "openvino, openvino-bf16, openvino-int8, trt-fp16, trt-int8",
        ),
        (["--backends", " , "], "--backends: expected a comma-separated list, got ' , '"),
        (["--batch", "1,x"], "--batch: expected positive integers separated by commas (e.g. 1,4,8), got '1,x'"),
        (["--batch", "0,4"], "--batch: expected positive integers separated by commas (e.g. 1,4,8), got '0,4'"),
        (["--data-limit", "3"], "--data-limit needs --data DIR"),
        (["--interleave", "--duration", "1"], "--interleave counts runs: give --iterations, not --duration"),
        (["--sheets", "data"], "--sheets data needs --data DIR"),
        (["--readme", "README.md"], "--readme needs --readme-table RESULTS.json"),
    ],
)
def test_usage_errors(tiny_model: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(bench_main, ["--model", str(tiny_model), *args])
    assert result.exit_code == 2
    assert result.output.rstrip().endswith(f"Error: {message}")


def test_model_must_be_onnx(tmp_path: Path) -> None:
    engine = tmp_path / "tiny.fp16.engine"
    engine.write_bytes(b"x")
    result = CliRunner().invoke(bench_main, ["--model", str(engine)])
    assert result.exit_code == 2
    assert result.output.rstrip().endswith(
        f"Error: --model expects an fp32 .onnx model, got {engine}; engines are found in --engines-dir"
    )


def test_readme_table_rewrites_only_the_marked_block(run: tuple[Result, dict[str, Any], Path], tmp_path: Path) -> None:
    _, _, out = run
    readme = tmp_path / "README.md"
    before, after = "# schemseg\n\nIntro.\n\n## Performance\n\n", "\n\n## License\n\nApache-2.0\n"
    readme.write_text(before + BENCH_START + "\nold table\n" + BENCH_END + after)
    result = _invoke(["--readme-table", str(out / "r.json"), "--readme", str(readme)])
    assert result.exit_code == 0, result.output
    text = readme.read_text()
    assert text.startswith(before + BENCH_START + "\n| backend | precision | runtime | batch | ms/sheet (p50) |")
    assert text.endswith("\n" + BENCH_END + after) and "old table" not in text
    block = text[text.index(BENCH_START) + len(BENCH_START) : text.index(BENCH_END)]
    assert "\n| ort | fp32 | onnxruntime-cpu | 1 | " in block and "| ort | fp32 | onnxruntime-cpu | 2 | " in block
    assert "Not measured here: ort-int8 (ModelFormatError: " in block
    assert f"by `schemseg bench --readme-table {(out / 'r.json').as_posix()}`; do not edit by hand." in block
    assert result.stdout.strip() == block.strip()
    update_readme(readme, out / "r.json")
    assert readme.read_text() == text  # regenerating is stable


def test_readme_table_errors(run: tuple[Result, dict[str, Any], Path], tmp_path: Path, tiny_model: Path) -> None:
    _, _, out = run
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    expected = (
        f"{readme}: no '<!-- bench:start -->' ... '<!-- bench:end -->' block; "
        "add both markers, on their own lines, where the performance table belongs"
    )
    with pytest.raises(InvalidInputError, match=f"^{re.escape(expected)}$"):
        update_readme(readme, out / "r.json")
    other = tmp_path / "other.json"
    other.write_text('{"schema": "schemseg.segmentation/1"}')
    result = CliRunner().invoke(bench_main, ["--readme-table", str(other), "--readme", str(readme)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {other}: not a schemseg benchmark result (schema 'schemseg.segmentation/1', expected "
        "'schemseg.bench/1'); write one with 'schemseg bench --json FILE'"
    )
    result = CliRunner().invoke(bench_main, ["--readme-table", str(out / "r.json"), "--model", str(tiny_model)])
    assert result.exit_code == 2
    assert result.output.rstrip().endswith(
        "Error: --readme-table only rewrites the README table and measures nothing; drop --model"
    )


def test_sheet_sources(tmp_path: Path) -> None:
    data = _write_dataset(tmp_path / "data", count=3, size=80)
    sheets = load_bench_sheets("auto", 2, data=data)
    assert (sheets.source, sheets.names, sheets.sizes) == ("data", ("000.png", "001.png"), ((80, 80), (80, 80)))
    assert sheets.images[0] == (data / "images" / "000.png").read_bytes()
    noise = load_bench_sheets("noise", 3, size=40)
    assert noise.source == "noise" and noise.sizes == ((40, 40),) * 3 and len(set(noise.images)) == 3
    assert cv2.imdecode(np.frombuffer(noise.images[0], np.uint8), cv2.IMREAD_COLOR).shape == (40, 40, 3)
    with pytest.raises(InvalidInputError, match=r"^sheets from 'data' need a dataset folder; pass --data DIR$"):
        load_bench_sheets("data", 2)
    with pytest.raises(InvalidInputError, match=r"^sheet count must be at least 1, got 0$"):
        load_bench_sheets("noise", 0)


def test_every_backend_name_maps_to_its_file(tmp_path: Path) -> None:
    from schemseg_sdk.bench.targets import resolve_targets

    model = tmp_path / "ref.onnx"
    model.write_bytes(b"x")
    engines = tmp_path / "engines"
    targets = resolve_targets(
        ["trt-int8", "torch", "ort-int8", "ort", "trt-fp16"], [model], tmp_path / "no.pt", engines
    )
    assert [(t.backend, t.path, t.precision) for t in targets] == [
        ("trt-int8", engines / "ref.int8.engine", "int8"),
        ("ort-int8", tmp_path / "ref.int8-cpu.onnx", "int8"),
        ("ort", model, "fp32"),
        ("trt-fp16", engines / "ref.fp16.engine", "fp16"),
        ("torch", tmp_path / "no.pt", "fp32"),
    ]
    assert targets[1].skip_reason == (
        f"{tmp_path / 'ref.int8-cpu.onnx'} not found; create it with: schemseg-build-engine {model} --int8 --onnx-only"
    )
    assert targets[2].skip_reason is None
    if targets[4].skip_reason != "torch is not installed; pip install 'schemseg[train]' for the PyTorch eager row":
        assert targets[4].skip_reason == f"{tmp_path / 'no.pt'}: no such checkpoint"


def test_gflops_from_metadata_or_the_reference_constant(tmp_path: Path) -> None:
    import onnx
    from tiny_model import tiny_model_proto

    from schemseg_sdk.bench.runner import model_gflops
    from schemseg_sdk.model_info import ModelInfo

    assert model_gflops(ModelInfo()) == (67.3, "'schemseg model info' of attention_unetpp at 608x608")
    assert model_gflops(ModelInfo(input_size=64, model_name="tiny_test_model")) == (None, None)
    proto = tiny_model_proto(64)
    onnx.helper.set_model_props(
        proto, {**{p.key: p.value for p in proto.metadata_props}, "schemseg.extra.gflops": "0.05"}
    )
    onnx.save(proto, str(tmp_path / "flops.onnx"))
    rows = measure_target(
        BenchTarget("ort", "flops", tmp_path / "flops.onnx", "fp32"),
        load_bench_sheets("synthetic", 2, size=64),
        BenchConfig(batches=(2,), warmup=0, iterations=3, device="cpu"),
        PeakMemory(),
    )
    (row,) = rows
    assert (row.gflops_per_tile, row.gflops_source) == (0.05, "metadata schemseg.extra.gflops")
    # with an odd number of runs the median of the per-run rates is the rate of the median inference time
    expected = 0.05 * 2 / (row.stages_ms["inference"] / 1000.0)
    assert row.achieved_gflops_per_s == pytest.approx(expected, rel=0.02)
