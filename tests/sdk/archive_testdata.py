"""Real drawings for the archive tests: parts of the bundled example sheets, one file each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

EXAMPLES = Path(__file__).resolve().parents[2] / "sdk" / "schemseg_sdk" / "examples"
CLI = [sys.executable, "-c", "from schemseg_sdk.cli import main; main()"]
RED = (0, 0, 255)  # a pure red top-left pixel makes the poisoned tiny model fail (tests/tiny_model.py)


def make_sheets(folder: Path, count: int, size: tuple[int, int] = (120, 160)) -> list[Path]:
    """``count`` different crops of the example drawings (top-left pixel white), as PNG files."""
    folder.mkdir(parents=True, exist_ok=True)
    drawings = [cv2.imread(str(path)) for path in sorted(EXAMPLES.glob("*.png"))]
    height, width = size
    paths = []
    for i in range(count):
        drawing = drawings[i % len(drawings)]
        y = (i * 37) % (drawing.shape[0] - height)
        x = (i * 53) % (drawing.shape[1] - width)
        sheet = drawing[y : y + height, x : x + width].copy()
        sheet[0, 0] = 255
        paths.append(folder / f"sheet{i:04d}.png")
        cv2.imwrite(str(paths[-1]), sheet)
    return paths


def add_bad_sheets(folder: Path) -> tuple[Path, Path]:
    """A truncated PNG, and a readable sheet that fails inside the poisoned model."""
    good = cv2.imread(str(next(folder.glob("*.png"))))
    corrupt = folder / "corrupt.png"
    corrupt.write_bytes(cv2.imencode(".png", good)[1].tobytes()[:100])
    poison = folder / "poison.png"
    good[0, 0] = RED
    cv2.imwrite(str(poison), good)
    return corrupt, poison


def output_files(out: Path) -> dict[str, tuple[int, int]]:
    """Every output file of ``out`` (not the run folder) -> (inode, mtime in ns): what a rewrite changes."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file()}


def assert_outputs_whole(out: Path) -> None:
    """No temporary file left, every JSON parses and every overlay decodes completely."""
    for path in out.iterdir():
        assert not path.name.startswith("."), f"temporary file left: {path.name}"
        if path.suffix == ".json":
            assert json.loads(path.read_text())["schema"] == "schemseg.segmentation/1"
        elif path.suffix == ".png":
            assert path.read_bytes().endswith(b"IEND\xaeB`\x82"), f"truncated: {path.name}"
            assert cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR) is not None


def summary(out: Path) -> dict:
    return json.loads((out / "schemseg-run" / "summary.json").read_text())


def start_segment(*args: str | Path, log: Path | None = None) -> subprocess.Popen[bytes]:
    """``schemseg segment ARGS`` in its own process (to be killed); stdout and stderr go to ``log``."""
    with open(log or os.devnull, "wb") as sink:
        return subprocess.Popen([*CLI, "segment", *map(str, args)], stdout=sink, stderr=subprocess.STDOUT)


def wait_for_jsons(out: Path, count: int, process: subprocess.Popen[bytes], timeout: float = 600.0) -> None:
    """Wait until ``count`` sheets have their JSON in ``out``.

    The deadline only catches a hang: starting a local Ray cluster on a loaded 2-core machine took
    more than two minutes once, and the wait ends as soon as the outputs are there.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if out.is_dir() and sum(1 for p in out.glob("*.json") if not p.name.startswith(".")) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{count} outputs not reached (exit code {process.poll()})")


def wait_until_still(out: Path, quiet: float = 2.0, timeout: float = 60.0) -> dict[str, tuple[int, int]]:
    """Wait until nothing in ``out`` has changed for ``quiet`` seconds; return its files (see output_files)."""
    deadline = time.monotonic() + timeout
    files, since = output_files(out), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = output_files(out)
        if now != files:
            files, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return files
    raise AssertionError(f"{out} still changes after {timeout} s")
