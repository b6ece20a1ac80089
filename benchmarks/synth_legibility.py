"""Draw the smallest transistors and wire hops of generator versions 3 and 4 side by side (the
picture in README "Hops and emitter arrows drawn legibly").

Row 1, version 3: npn and pnp (without and with circle) at 12 px per unit with a 2-px pen, whose
emitter arrows ink into the same blob, then a hop at its smallest scale (2.5 pens + 1 px) and, for
comparison, a junction dot on a crossing. Row 2, version 4: the same transistors with arrowheads of at
least 3 pen widths, and the hop at its new smallest scale (4.5 pens + 5 px). Clean ink, no scan effects.

    python benchmarks/synth_legibility.py --out benchmarks/synth_legibility.png
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import cv2
import numpy as np

from schemseg_training.synth.catalog import build_shape
from schemseg_training.synth.layout import HOP_LEAST_SCALE_PENS, HOP_LEAST_SCALE_PX
from schemseg_training.synth.strokes import Pen, PlacedShape, Placement, Shape, arrow_head, place_shape, render_ink
from schemseg_training.synth.symbols_common import crossover

PEN, SCALE, TILE, ZOOM = Pen(width=2, font=0), 12.0, 64, 3


def _tile(placed: PlacedShape) -> np.ndarray:
    ink, x0, y0 = render_ink(placed, PEN)
    tile = np.zeros((TILE, TILE), np.uint8)
    h, w = min(ink.shape[0], TILE), min(ink.shape[1], TILE)
    oy, ox = (TILE - h) // 2, (TILE - w) // 2
    tile[oy : oy + h, ox : ox + w] = ink[:h, :w]
    return cv2.resize(255 - tile, None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_NEAREST)


def _transistor(name: str, circle: bool, legible: bool) -> np.ndarray:
    seed = next(s for s in range(100) if bool(build_shape(name, np.random.default_rng(s)).circles) == circle)
    placed = place_shape(build_shape(name, np.random.default_rng(seed)), Placement(0, 0, SCALE))
    if not legible:  # version 3: each head as built, at the symbol's scale
        heads = [
            (np.asarray(arrow_head(tuple(tip), tuple(d), length, half)), filled)
            for tip, d, length, half, filled in placed.arrows
        ]
        placed = replace(
            placed,
            arrows=[],
            polys=placed.polys + [head for head, filled in heads if filled],
            lines=placed.lines + [(head[[1, 0, 2]], False, 1.0) for head, filled in heads if not filled],
        )
    return _tile(placed)


def _hop(scale: float) -> np.ndarray:
    """The hop variant with the smallest radius of the first 200 seeds, its wires drawn on."""

    def draws(seed: int) -> tuple[float, bool]:
        rng = np.random.default_rng(seed)
        return float(rng.uniform(0.4, 0.6)), bool(rng.random() < 0.9)

    seed = min((s for s in range(200) if draws(s)[1]), key=lambda s: draws(s)[0])
    shape = crossover(np.random.default_rng(seed))
    shape.line((-1.6, 0), (-1.0, 0)).line((1.0, 0), (1.6, 0)).line((0, -1.6), (0, -1.0)).line((0, 1.0), (0, 1.6))
    return _tile(place_shape(shape, Placement(0, 0, scale)))


def _dot() -> np.ndarray:
    """A junction dot on a crossing, 1.75 pens in radius (sheets draw 1.3-2.2)."""
    shape = (
        Shape().line((-2.0, 0), (2.0, 0)).line((0, -2.0), (0, 2.0)).circle(0, 0, 1.75 * PEN.width / SCALE, filled=True)
    )
    return _tile(place_shape(shape, Placement(0, 0, SCALE)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="benchmarks/synth_legibility.png")
    args = parser.parse_args()
    rows = []
    for version, legible, hop_scale in (
        ("v3", False, 2.5 * PEN.width + 1),
        ("v4", True, HOP_LEAST_SCALE_PENS * PEN.width + HOP_LEAST_SCALE_PX),
    ):
        tiles = [_transistor(name, circle, legible) for circle in (False, True) for name in ("npn", "pnp")]
        tiles += [_hop(hop_scale), _dot()]
        row = np.hstack([np.pad(t, 2, constant_values=160) for t in tiles])
        cv2.putText(row, version, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2)
        rows.append(row)
    labels = np.full((28, rows[0].shape[1]), 255, np.uint8)
    for index, text in enumerate(("npn", "pnp", "npn", "pnp", "hop", "junction")):
        cv2.putText(labels, text, (index * (TILE * ZOOM + 4) + 8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1)
    cv2.imwrite(args.out, np.vstack([labels] + rows))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
