"""Pictures for docs/classes.md and docs/synthetic.md: generated examples of every class (beside real
crops from the DEXPI example P&IDs for the P&ID classes), the unlabelled P&ID symbols, and a whole
synthetic P&ID sheet with its mask.

    PYTHONPATH=sdk:training python benchmarks/class_pictures.py \\
        --dexpi /work/shared/data/dexpi-examples --out docs/img

Real crops: DEXPI TrainingTestCases (CC BY 4.0), the renderings named in ``REAL_CROPS``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.palette import blend_mask
from schemseg_training.synth import PidSheetOptions, render_pid_sheet, render_symbol
from schemseg_training.synth.strokes import Pen, Placement, place_shape, render_ink
from schemseg_training.synth.symbols_unlabelled import (
    END_UNLABELLED,
    INLINE_UNLABELLED,
    interlock,
    motor,
    nozzle,
    off_page_connector,
)

C01 = "dexpi 1.2/example pids/C01 the complete DEXPI PnID/C01V01-HEX.EX02.png"
I02 = "dexpi 1.2/example pids/I02 Control/I02V01-HEX.EX03.png"
C03 = "dexpi 1.3/example pids/C03 Piping (Equinor)/C03V04.png"
REAL_CROPS: dict[str, list[tuple[str, tuple[int, int, int, int]]]] = {
    "gate_valve": [(I02, (2176, 768, 2246, 858))],
    "butterfly_valve": [(C01, (2422, 2218, 2478, 2268)), (C01, (2224, 1995, 2270, 2045))],
    "ball_valve": [(C03, (335, 312, 392, 368))],
    "control_valve": [(C03, (322, 226, 402, 368))],
    "relief_valve": [(C01, (3330, 1100, 3450, 1240))],
    "pump": [(C01, (935, 2175, 1065, 2300)), (C01, (3080, 2180, 3200, 2300))],
    "heat_exchanger": [(C01, (3860, 1690, 4220, 1850)), (C01, (1380, 1910, 1535, 2300))],
    "vessel": [(C01, (1930, 840, 2575, 1850))],
    "instrument_field": [(C01, (3430, 1980, 3560, 2070)), (C03, (240, 178, 325, 262))],
    "instrument_panel": [(C01, (1398, 1695, 1526, 1785)), (C03, (55, 115, 145, 200))],
    "reducer": [(C01, (2613, 2212, 2673, 2268))],
    "flange": [(C01, (3470, 2070, 3520, 2120))],
    "flow_arrow": [(I02, (2186, 725, 2236, 775))],
}
"""Hand-picked crops (file under the DEXPI root, box in px) of symbols of our P&ID classes."""

ROW = 96  # tile height in px


def _fit(ink_crop: np.ndarray, height: int = ROW) -> np.ndarray:
    """A BGR tile ``height`` px tall holding ``ink_crop`` (dark on white), scaled down if too tall."""
    h, w = ink_crop.shape[:2]
    scale = min(1.0, (height - 8) / h, 200 / w)
    if scale < 0.5:  # thin CAD lines would fade away: thicken them first
        k = int(round(0.6 / scale))
        ink_crop = cv2.erode(ink_crop, np.ones((k, k), np.uint8))
    if scale < 1.0:
        ink_crop = cv2.resize(ink_crop, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    h, w = ink_crop.shape[:2]
    tile = np.full((height, w + 12, 3), 255, np.uint8)
    y = (height - h) // 2
    tile[y : y + h, 6 : 6 + w] = ink_crop if ink_crop.ndim == 3 else cv2.cvtColor(ink_crop, cv2.COLOR_GRAY2BGR)
    return tile


def _trim(image: np.ndarray, pad: int = 4) -> np.ndarray:
    dark = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) < 200
    ys, xs = np.nonzero(dark)
    if not len(ys):
        return image
    return image[max(0, ys.min() - pad) : ys.max() + pad + 1, max(0, xs.min() - pad) : xs.max() + pad + 1]


def generated_tiles(name: str, count: int = 7) -> list[np.ndarray]:
    """``count`` random styles of class ``name`` as drawn on P&ID sheets (scale 14 px per unit)."""
    return [_fit(_trim(render_symbol(name, seed, scale=14.0, width=2).image)) for seed in range(count)]


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    (w, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.38, 1)
    right = max(0, w + 8 - tile.shape[1])
    out = cv2.copyMakeBorder(tile, 0, 16, 0, right, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    cv2.putText(out, text, (4, out.shape[0] - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (110, 110, 110), 1, cv2.LINE_AA)
    return out


def class_row(name: str, dexpi: Path | None) -> np.ndarray:
    """Generated styles, then (for P&ID classes with one) real DEXPI crops after a grey rule."""
    tiles = [_label(t, "generated" if i == 0 else "") for i, t in enumerate(generated_tiles(name))]
    for i, (rel, (x0, y0, x1, y1)) in enumerate(REAL_CROPS.get(name, []) if dexpi else []):
        image = cv2.imread(str(dexpi / rel))  # type: ignore[operator]
        if image is None:
            continue
        if i == 0:
            tiles.append(np.full((ROW + 16, 3, 3), 160, np.uint8))
        tiles.append(_label(_fit(image[y0:y1, x0:x1]), "DEXPI" if i == 0 else ""))
    return np.hstack(tiles)


def unlabelled_row() -> np.ndarray:
    """The out-of-class P&ID symbols a sheet draws as background."""
    rng = np.random.default_rng(0)
    builders = {**INLINE_UNLABELLED, **END_UNLABELLED, "nozzle": nozzle, "interlock": interlock, "motor": motor}
    tiles = []
    for name, build in builders.items():
        shape = build(rng) if name != "off_page_connector" else off_page_connector(rng, "TO U-200")
        ink, _, _ = render_ink(place_shape(shape, Placement(0, 0, 14.0)), Pen(width=2, font=cv2.FONT_HERSHEY_SIMPLEX))
        tiles.append(_label(_fit(255 - ink), name.replace("_", " ")))
    return np.hstack(tiles)


def sheet_pictures(out: Path) -> None:
    """A whole synthetic A2 sheet (downscaled) and a crop of it beside its mask."""
    sheet = render_pid_sheet(11, PidSheetOptions(paper="A2"))
    h, w = sheet.mask.shape
    small = cv2.resize(sheet.image, (1400, int(1400 * h / w)), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(out / "pid_sheet.png"), cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    blend = blend_mask(sheet.image, sheet.mask)
    y, x = _busiest(sheet.mask > 0, 440, 600)
    crop = np.hstack([sheet.image[y : y + 440, x : x + 600], blend[y : y + 440, x : x + 600]])
    cv2.imwrite(str(out / "pid_sheet_crop.png"), crop)


def _busiest(labelled: np.ndarray, h: int, w: int) -> tuple[int, int]:
    """Top-left corner of the ``h`` x ``w`` window holding the most labelled pixels."""
    sums = cv2.integral(labelled.astype(np.uint8))
    window = sums[h:, w:] - sums[:-h, w:] - sums[h:, :-w] + sums[:-h, :-w]
    y, x = np.unravel_index(int(np.argmax(window[::20, ::20])), window[::20, ::20].shape)
    return int(y) * 20, int(x) * 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dexpi", type=Path, default=None, help="DEXPI examples root (real crops; optional)")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    classes = args.out / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    for name in CLASS_NAMES[1:]:
        cv2.imwrite(str(classes / f"{name}.png"), class_row(name, args.dexpi))
    synth = args.out / "synthetic"
    synth.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(synth / "unlabelled.png"), unlabelled_row())
    sheet_pictures(synth)
    print(f"wrote {len(CLASS_NAMES) - 1} class pictures to {classes} and sheet pictures to {synth}")


if __name__ == "__main__":
    main()
