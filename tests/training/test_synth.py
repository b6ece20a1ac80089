"""Synthetic sheets: determinism, image/mask alignment, every class in every orientation, coverage,
dataset.json, preview and the ``schemseg synth`` command."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from schemseg_sdk.classes import CLASS_NAMES, class_index
from schemseg_sdk.cli import main
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_training.synth import GENERATOR_VERSION, render_sheet, render_symbol, write_dataset
from schemseg_training.synth.catalog import build_shape
from schemseg_training.synth.layout import HOP_LEAST_SCALE_PENS, HOP_LEAST_SCALE_PX
from schemseg_training.synth.strokes import LEGIBLE_ARROW_PENS, Pen, Placement, legible_arrows, place_shape, render_ink
from schemseg_training.synth.symbols_common import crossover

COVERAGE_SHEETS = 100


@pytest.fixture(scope="module")
def coverage_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("synth") / "cov"
    info = write_dataset(out, COVERAGE_SHEETS, seed=3, size=600, workers=2, progress=False)
    return out, info


def test_render_sheet_is_deterministic_and_seed_dependent() -> None:
    a, b, c = render_sheet(11), render_sheet(11), render_sheet(12)
    assert a.image.shape == (600, 600, 3) and a.image.dtype == np.uint8
    assert a.mask.shape == (600, 600) and a.mask.dtype == np.uint8
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert a.instances == b.instances
    assert not np.array_equal(a.mask, c.mask)
    assert int(a.mask.max()) < len(CLASS_NAMES)


@pytest.mark.parametrize("size", [96, 256, 608])
def test_any_size_renders(size: int) -> None:
    for seed in range(15):
        sheet = render_sheet(seed, size)
        assert sheet.image.shape == (size, size, 3) and sheet.mask.shape == (size, size)
        for _, (x0, y0, x1, y1) in sheet.instances:
            assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size


def test_sheet_is_mostly_paper() -> None:
    for seed in range(5):
        sheet = render_sheet(seed)
        gray = cv2.cvtColor(sheet.image, cv2.COLOR_BGR2GRAY)
        assert (gray < 128).mean() < 0.25
        assert (sheet.mask == 0).mean() > 0.6


@pytest.mark.parametrize("seed", [0, 1, 2, 4, 8])
def test_mask_aligns_with_ink(seed: int) -> None:
    clean = render_sheet(seed, artefacts=False)
    ink = cv2.cvtColor(clean.image, cv2.COLOR_BGR2GRAY) < 128
    for class_id, (x0, y0, x1, y1) in clean.instances:
        inside = clean.mask[y0:y1, x0:x1] == class_id
        assert inside.any(), CLASS_NAMES[class_id]
        # every symbol's mask holds its strokes: a good share of it is ink
        assert ink[y0:y1, x0:x1][inside].mean() > 0.05, CLASS_NAMES[class_id]
    noisy = render_sheet(seed)
    if np.array_equal(noisy.mask, clean.mask):  # no skew drawn: artefacts must not move the ink
        darkness = 255.0 - cv2.cvtColor(noisy.image, cv2.COLOR_BGR2GRAY).astype(np.float64)
        darkness -= np.median(darkness)
        scores = {
            (dx, dy): float((np.roll(darkness, (dy, dx), axis=(0, 1)) * ink).sum())
            for dx in (-2, -1, 0, 1, 2)
            for dy in (-2, -1, 0, 1, 2)
        }
        assert max(scores, key=scores.__getitem__) == (0, 0)


@pytest.mark.parametrize("name", CLASS_NAMES[1:])
def test_every_class_renders_in_every_orientation(name: str) -> None:
    cid = class_index(name)
    for turns in range(4):
        for mirror in (False, True):
            for seed in range(3):
                sym = render_symbol(name, seed, turns=turns, mirror=mirror, scale=12.0, width=2)
                own = sym.mask == cid
                assert own.sum() > 10, (name, turns, mirror, seed)
                assert set(np.unique(sym.mask)) <= {0, cid}
                dark = cv2.cvtColor(sym.image, cv2.COLOR_BGR2GRAY) < 128
                assert dark.any()
                assert not (dark & ~own).any(), (name, turns, mirror, seed)  # all ink under the mask


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_a_broken_wire_crossover_shows_paper_on_both_sides_of_the_crossing_wire(width: int) -> None:
    """At the smallest hop a sheet draws, the crossing wire must not fill the broken wire's gap: a
    plain crossing is no symbol to a reader, so a label there would teach the model to guess."""
    scale = HOP_LEAST_SCALE_PENS * width + HOP_LEAST_SCALE_PX  # Layout._hop's smallest scale
    seed = next(s for s in range(100) if _draws_broken_wire(np.random.default_rng(s)))
    shape = crossover(np.random.default_rng(seed), min_gap=(width + 4) / scale)
    shape.line((-3.0, 0), (-1.0, 0)).line((1.0, 0), (3.0, 0))  # the wire it breaks goes on beyond the hop
    ink, x0, y0 = render_ink(place_shape(shape, Placement(40, 40, scale)), Pen(width=width, font=0))
    row = ink[40 - y0, :].astype(int)  # along the broken wire a-b; the crossing wire c-d runs down x = 40
    for side in (row[40 - x0 :], row[40 - x0 :: -1]):  # from the crossing wire outwards
        paper = np.argmax(side < 64)  # the first paper pixel, after the crossing wire's ink
        assert side[0] > 192 and paper > 0 and (side[paper:] > 192).any()  # then the broken wire's ink


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_a_hop_shows_paper_between_its_arc_and_the_crossing_wire(width: int) -> None:
    """At the smallest hop a sheet draws, with the smallest radius, at least 2 px of paper show under
    the arc on both sides of the crossing wire (version 3 inked it into a blob that reads as a junction)."""
    scale = HOP_LEAST_SCALE_PENS * width + HOP_LEAST_SCALE_PX
    seeds = [s for s in range(200) if not _draws_broken_wire(np.random.default_rng(s))]
    seed = min(seeds, key=lambda s: np.random.default_rng(s).uniform(0.4, 0.6))  # the smallest radius
    assert np.random.default_rng(seed).uniform(0.4, 0.6) < 0.41
    ink, x0, y0 = render_ink(
        place_shape(crossover(np.random.default_rng(seed)), Placement(40, 40, scale)), Pen(width=width, font=0)
    )
    for step in (1, -1):  # right of the crossing wire (x = 40), then left; the arc is above the wire a-b
        widest = 0
        for dy in range(1, int(0.4 * scale) + 1):
            side = ink[40 - y0 - dy, 40 - x0 :: step].astype(int)  # from the crossing wire outwards
            paper = int(np.argmax(side < 64))
            if side[0] > 192 and paper > 0 and (side[paper:] > 192).any():  # wire, paper, then the arc
                widest = max(widest, int(np.argmax(side[paper:] >= 64)))
        assert widest >= 2, (width, step)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("name", ["npn", "pnp"])
def test_an_emitter_arrow_stays_legible_on_the_smallest_transistors(name: str, width: int) -> None:
    """The arrow that tells npn from pnp is at least LEGIBLE_ARROW_PENS pen widths long however small
    the symbol: a shorter head inks into a blob pointing nowhere (version 3)."""
    pen = Pen(width=width, font=0)
    for seed in range(20):
        placed = place_shape(build_shape(name, np.random.default_rng(seed)), Placement(40, 40, 6.0))
        for head, _ in legible_arrows(placed, pen):
            length = float(np.hypot(*(head[0] - (head[1] + head[2]) / 2)))
            assert length >= LEGIBLE_ARROW_PENS * width - 1e-6 and length >= 5.0 - 1e-6
        ink, x0, y0 = render_ink(placed, pen)
        for head, _ in legible_arrows(placed, pen):
            tip = np.round(head[0] - (x0, y0)).astype(int)
            assert ink[tip[1], tip[0]] > 64  # drawn, tip included
    assert any(
        legible_arrows(place_shape(build_shape(name, np.random.default_rng(s)), Placement(40, 40, 6.0)), pen)
        for s in range(20)
    )


def _draws_broken_wire(rng: np.random.Generator) -> bool:
    rng.uniform(0.4, 0.6)  # crossover's first draw, its radius; then the variant
    return bool(rng.random() >= 0.9)


def test_render_symbol_rejects_unknown_class() -> None:
    with pytest.raises(ValueError, match="unknown class name 'transistor'"):
        render_symbol("transistor")


def test_every_class_appears_in_enough_sheets(coverage_dataset: tuple[Path, dict[str, object]]) -> None:
    _, info = coverage_dataset
    fraction = info["class_sheet_fraction"]
    assert isinstance(fraction, dict)
    rare = {n: f for n, f in fraction.items() if f < 0.03}
    assert not rare, rare


def test_dataset_json_and_files(coverage_dataset: tuple[Path, dict[str, object]]) -> None:
    out, info = coverage_dataset
    on_disk = json.loads((out / "dataset.json").read_text())
    assert on_disk == info
    assert on_disk["class_names"] == list(CLASS_NAMES)
    assert on_disk["generator_version"] == GENERATOR_VERSION
    assert (on_disk["seed"], on_disk["size"], on_disk["count"]) == (3, 600, COVERAGE_SHEETS)
    assert set(on_disk["class_pixels"]) == set(CLASS_NAMES)
    assert set(on_disk["class_instances"]) == set(CLASS_NAMES[1:])
    assert on_disk["class_pixels"]["background"] > on_disk["class_pixels"]["nmos"] > 0
    ds = SegmentationDataset(out)
    assert len(ds) == COVERAGE_SHEETS
    image, mask = ds[0]
    assert image.shape == (600, 600, 3) and mask.shape == (600, 600)
    raw = cv2.imread(str(out / "masks" / "00000.png"), cv2.IMREAD_UNCHANGED)
    assert raw.ndim == 2 and raw.dtype == np.uint8


def test_boxes_list_every_symbol_with_its_class(coverage_dataset: tuple[Path, dict[str, object]]) -> None:
    out, info = coverage_dataset
    ds = SegmentationDataset(out)
    assert ds.has_boxes
    counts: dict[str, int] = dict.fromkeys(CLASS_NAMES[1:], 0)
    for index in range(len(ds)):
        mask = ds.read_mask(index)
        for class_id, (x0, y0, x1, y1) in ds.read_boxes(index).symbols:
            counts[CLASS_NAMES[class_id]] += 1
            assert 0 <= x0 < x1 <= 600 and 0 <= y0 < y1 <= 600
            assert (mask[y0:y1, x0:x1] == class_id).any()  # the box holds its symbol
    assert counts == info["class_instances"]


def test_workers_do_not_change_output(tmp_path: Path) -> None:
    one = write_dataset(tmp_path / "one", 6, seed=5, size=160, workers=1, progress=False)
    two = write_dataset(tmp_path / "two", 6, seed=5, size=160, workers=2, progress=False)
    assert one == two
    for sub, suffix in (("images", ".png"), ("masks", ".png"), ("boxes", ".json")):
        for i in range(6):
            name = f"{i:05d}{suffix}"
            assert (tmp_path / "one" / sub / name).read_bytes() == (tmp_path / "two" / sub / name).read_bytes()


def test_write_dataset_rejects_bad_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="count must be at least 1, got 0"):
        write_dataset(tmp_path, 0, seed=0)


def test_cli_writes_dataset_and_preview(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    result = CliRunner().invoke(
        main, ["synth", "--out", str(out), "--count", "3", "--seed", "1", "--size", "128", "--preview"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote 3 sheets to {out}" in result.output
    preview = cv2.imread(str(out / "preview.png"))
    assert preview is not None and preview.shape[0] > 300
    assert sorted(p.name for p in (out / "images").iterdir()) == ["00000.png", "00001.png", "00002.png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "Error: --count must be at least 1, got 0"),
        (["--count", "2", "--workers", "0"], "Error: --workers must be at least 1, got 0"),
        (["--count", "2", "--size", "10"], "Error: --size must be at least 64, got 10"),
    ],
)
def test_cli_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["synth", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_help() -> None:
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert result.exit_code == 0
    for flag in ("--out", "--count", "--seed", "--size", "--workers", "--preview"):
        assert flag in result.output


def test_broken_wire_share_draws_the_crossovers_otherwise(tmp_path: Path) -> None:
    """More broken wires for training: with share 1 every crossover is a broken wire (its hopping wire
    stops short of the crossing one: the crossover's ink is three pieces, a hop's one)."""
    crossover_id = class_index("crossover")
    seed = next(s for s in range(50) if any(c == crossover_id for c, _ in render_sheet(s).instances))
    assert np.array_equal(render_sheet(seed, broken_wire_share=0.1).image, render_sheet(seed).image)  # the default
    for share, pieces in ((0.0, 1), (1.0, 3)):
        sheet = render_sheet(seed, artefacts=False, broken_wire_share=share)
        crossovers = [box for c, box in sheet.instances if c == crossover_id]
        assert crossovers
        for x0, y0, x1, y1 in crossovers:
            ink = (sheet.mask[y0:y1, x0:x1] == crossover_id) & (sheet.image[y0:y1, x0:x1, 0] < 128)
            assert cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)[0] - 1 == pieces
    info = write_dataset(tmp_path / "d", count=2, seed=seed, size=200, progress=False, broken_wire_share=0.5)
    assert info["broken_wire_share"] == 0.5
