"""The PyTorch eager row and the speed ratios against it (real torch, a tiny real checkpoint)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch", reason="the PyTorch row needs the 'train' extra (torch)")

from schemseg_sdk.cli.bench import main as bench_main  # noqa: E402
from schemseg_sdk.model_info import ModelInfo  # noqa: E402
from schemseg_training.checkpoint import save_checkpoint  # noqa: E402
from schemseg_training.model import SchemsegNet, create_model  # noqa: E402

TINY = {"decoder_channels": [16, 16, 8, 8, 8], "heads": 4}


@pytest.mark.slow
def test_torch_row_is_the_reference_of_the_speed_ratio(tiny_model: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    info = ModelInfo(input_size=64)
    checkpoint = tmp_path / "best.pt"
    net = SchemsegNet(create_model(**TINY), info)
    save_checkpoint(
        checkpoint,
        {"model": net.state_dict(), "model_config": {"name": "attention_unetpp", **TINY}, "model_info": asdict(info)},
    )
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        bench_main,
        [
            "--model",
            str(tiny_model),
            "--checkpoint",
            str(checkpoint),
            "--backends",
            "torch,ort",
            "--device",
            "cpu",
            "--sheets",
            "synthetic",
            "--sheet-size",
            "64",
            "--batch",
            "1",
            "--warmup",
            "0",
            "--iterations",
            "1",
            "--json",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    ort, eager = json.loads(out.read_text())["rows"]  # torch is measured last
    assert (ort["backend"], eager["backend"]) == ("ort", "torch")
    assert eager["status"] == "ok" and eager["runtime"] == "torch-cpu-fp32" and eager["model"] == "best.pt"
    assert eager["speedup_vs_torch"] == 1.0 and eager["speedup_note"] is None
    assert ort["speedup_vs_torch"] == round(eager["latency_ms"]["p50"] / ort["latency_ms"]["p50"], 3)
    assert eager["stages_ms"]["compute"] > 0 and eager["cold_start_s"] > 0
