"""The README walkthrough, end to end through the CLI: LabelMe -> import with your own 3-class map
(one class new) -> check -> train --init -> eval -> export -> build-engine -> segment.

``--init`` starts from a tiny checkpoint with the reference class list and a 64 px input (the
fine-tuned model follows it), so the test runs in seconds; ``--init reference`` itself is tested in
``test_finetune.py``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the walkthrough trains: it needs the 'train' extra (torch)")

from click.testing import CliRunner, Result  # noqa: E402

from schemseg_sdk import Segmenter  # noqa: E402
from schemseg_sdk.classes import CLASS_NAMES, class_index  # noqa: E402
from schemseg_sdk.cli import main  # noqa: E402
from schemseg_sdk.cli.build_engine import main as build_engine_main  # noqa: E402
from schemseg_sdk.overlay import draw_legend  # noqa: E402
from schemseg_training.synth import render_sheet  # noqa: E402
from schemseg_training.train import TrainConfig, train  # noqa: E402

# Two classes the reference model knows, one it does not: "earth" is the generator's ground symbol.
MAP = {
    "classes": ["resistor_iec", "terminal", "earth"],
    "labels": {
        **{name: None for name in CLASS_NAMES[1:]},
        "resistor_iec": "resistor_iec",
        "terminal": "terminal",
        "ground": "earth",
    },
}
OUR_NAMES = ("background", "resistor_iec", "terminal", "earth")


def _labelme_folder(folder: Path, count: int = 4, size: int = 256) -> None:
    """Synthetic sheets annotated the LabelMe way: one rectangle per symbol, labelled with its class."""
    folder.mkdir(parents=True)
    wanted = {class_index(name) for name in ("resistor_iec", "terminal", "ground")}
    seen: set[int] = set()
    written, seed = 0, 0
    while written < count and seed < 100:
        sheet = render_sheet(seed, size, artefacts=False)
        seed += 1
        present = {int(c) for c in np.unique(sheet.mask)} & wanted
        if not present:
            continue  # a sheet without any of our classes teaches nothing here
        seen |= present
        cv2.imwrite(str(folder / f"sheet{written}.png"), sheet.image)
        annotation = {
            "version": "5.1.1",
            "shapes": _shapes(sheet.mask),
            "imagePath": f"sheet{written}.png",
            "imageData": None,
            "imageHeight": size,
            "imageWidth": size,
        }
        (folder / f"sheet{written}.json").write_text(json.dumps(annotation))
        written += 1
    assert seen == wanted, "the generator gave no sheet with one of the three classes"


def _shapes(mask: np.ndarray) -> list[dict[str, object]]:
    shapes = []
    for class_id in (c for c in np.unique(mask) if 0 < c < len(CLASS_NAMES)):
        count, _, stats, _ = cv2.connectedComponentsWithStats((mask == class_id).astype(np.uint8), connectivity=8)
        for x, y, w, h, _ in stats[1:count].tolist():
            shapes.append(
                {"label": CLASS_NAMES[class_id], "points": [[x, y], [x + w - 1, y + h - 1]], "shape_type": "rectangle"}
            )
    return shapes


def _start_checkpoint(root: Path) -> Path:
    """A tiny model on the reference class list, one step on synthetic sheets: what --init starts from."""
    config = TrainConfig(
        out=str(root),
        synthetic=True,
        synthetic_sheets=2,
        epochs=1,
        batch=2,
        size=64,
        input_size=64,
        device="cpu",
        workers=0,
        threads=2,
        model_options={"decoder_channels": [16, 16, 8, 8, 8], "heads": 4},
    )
    train(config, progress=False)
    return root / "last.pt"


def _run(*args: object, command: object = main) -> Result:
    result = CliRunner().invoke(command, [str(a) for a in args])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_walkthrough_with_a_custom_class_list(tmp_path: Path) -> None:
    _labelme_folder(tmp_path / "labelme")
    (tmp_path / "my-map.json").write_text(json.dumps(MAP))
    data, run = tmp_path / "data" / "mine", tmp_path / "runs" / "mine"
    _run("data", "import-labelme", tmp_path / "labelme", "--out", data, "--map", tmp_path / "my-map.json")
    check = _run("data", "check", data)
    assert "0 of 3 symbol classes absent" in check.output and "  earth  " in check.output

    start = _start_checkpoint(tmp_path / "runs" / "start")
    trained = _run(
        "train",
        "--data",
        data,
        "--val",
        data,
        "--out",
        run,
        "--init",
        start,
        "--epochs",
        "1",
        "--batch",
        "2",
        "--size",
        "64",
        "--device",
        "cpu",
        "--workers",
        "0",
        "--threads",
        "2",
    )
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 2 and summary["init"]["new"] == ["earth"]
    assert summary["init"]["kept"] == ["background", "resistor_iec", "terminal"]
    assert len(summary["init"]["dropped"]) == len(CLASS_NAMES) - 3

    report = _run("eval", "--model", run / "best.pt", "--data", data, "--limit", "2").stdout
    pixels, symbols_table = report.split("\n\nsymbols (boxes matched", 1)  # the import wrote boxes/
    scores = pixels.strip().splitlines()
    assert scores[0].split() == ["class", "IoU"] and scores[-2].startswith("mean (1..3)")
    assert scores[1:-2] and {row.split()[0] for row in scores[1:-2]} <= set(OUR_NAMES[1:])  # the data's classes
    symbol_rows = symbols_table.strip().splitlines()[1:-1]  # after the header line, before the mean F1
    assert symbol_rows[1:] and {row.split()[0] for row in symbol_rows[1:]} <= set(OUR_NAMES[1:])
    _run("export", run / "best.pt", "--out", tmp_path / "mine.onnx")
    # --accept-drop: two sheets after two steps make a noisy gate; the gate has tests of its own
    _run(
        tmp_path / "mine.onnx",
        "--fp16",
        "--val",
        data,
        "--val-count",
        "2",
        "--onnx-only",
        "--accept-drop",
        "--out",
        tmp_path / "engines",
        command=build_engine_main,
    )
    fp16 = tmp_path / "engines" / "mine.fp16.onnx"

    out = tmp_path / "out"
    _run("segment", data / "images" / "sheet0.png", "--model", fp16, "--out", out, "--csv", out / "bill.csv")
    symbols = json.loads((out / "sheet0.json").read_text())["symbols"]
    assert symbols and all(OUR_NAMES[s["class_id"]] == s["class_name"] for s in symbols)
    with open(out / "bill.csv", newline="") as f:
        bill = list(csv.DictReader(f))
    assert len(bill) == len(symbols) and {row["class"] for row in bill} <= set(OUR_NAMES[1:])

    with Segmenter(tmp_path / "mine.onnx") as segmenter:
        assert segmenter.class_names == OUR_NAMES and segmenter.input_size == 64  # the start's input size
        result = segmenter.predict(data / "images" / "sheet0.png")
    assert {s.class_name for s in result.symbols} <= set(OUR_NAMES[1:]) and result.symbols
    height, width = result.mask.shape
    scale = max(1.0, min(height, width) / 1200.0)
    ours = draw_legend(result.mask, OUR_NAMES, scale)
    legend = result.overlay()[: ours.shape[0], width + 1 :]  # column `width` is the grey rule
    assert np.array_equal(legend, ours[:, 1:])
    assert not np.array_equal(ours, draw_legend(result.mask, CLASS_NAMES[:4], scale))  # the names show
