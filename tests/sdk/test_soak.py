"""The short version of the memory soak (benchmarks/soak.py): RSS must not grow with predictions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive_testdata import make_sheets

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


def test_rss_stays_flat_over_300_predictions(tmp_path: Path, tiny_model: Path) -> None:
    make_sheets(tmp_path / "sheets", 4, size=(90, 150))  # 2 x 3 tiles of the tiny model: tiling and stitching run
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SOAK),
            "--model",
            str(tiny_model),
            "--count",
            "300",
            "--threads",
            "1",
            "--sheets",
            str(tmp_path / "sheets"),
            "--samples",
            "50",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert result["schema"] == "schemseg.soak/1" and result["count"] == 300 and result["warmup"] == 15
    assert result["passed"] and result["growth_pct"] < 5.0
    numbers = [i for i, _ in result["samples"]]
    assert numbers[0] == 0 and numbers[-1] == 300 and len(numbers) >= 50
    assert result["sheets"] == ["150x90"] * 4
    assert "predictions in" in done.stdout and f"wrote {out}" in done.stdout
