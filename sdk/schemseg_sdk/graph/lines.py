"""Lines: the ink that is neither symbol nor text, joined into nets.

1. Line ink is ink (gray < 128, or up to Otsu's threshold on a faint drawing), and the light
   middles of fine-pen lines (:func:`thin_line_ink`), whose class is background, junction or flow
   arrow: symbols and text are cut out, so the leads on either side of a resistor are two pieces.
2. Each 8-connected piece is a wire (or pipe) piece; specks (under a stroke width squared, and
   shorter than two stroke widths) are dropped.
3. A crossover (a hop, or a crossing the model marked as one) is cut out too, and so is a plain
   crossing: a horizontal and a vertical line crossing with four arms and no junction dot (the
   usual drawing rule: lines that join at a crossing get a dot). The pieces that meet a cut are
   joined in opposite pairs (left with right, top with bottom), so the two lines pass each other
   without joining. A junction dot is line ink, so the lines it touches stay one piece.
4. Dashed and dotted lines (:mod:`.dashes`): short pieces lying in a row along their own long side
   (three or more, gaps up to four stroke widths or 7 px; or two with no symbol or text in their
   gap) are one line; a dash ending a gap short of a symbol reaches it; a lone fine dash between
   two symbols, a nozzle stub a dash reaches, and dots run together into one piece are dashes
   too. A net whose ink is at least half dashes is of kind ``"dashed"``. On a P&ID these are
   signal lines and are kept apart from process lines (``"solid"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._regions import lookup, regions
from ._union import UnionFind
from .dashes import bridge_to_symbols, dash_sizes, dotted_pieces, join_corners, join_dashes
from .roles import ClassRoles

__all__ = ["LineTrace", "ink_mask", "plain_crossings", "thin_line_ink", "trace_lines"]

_INK_THRESHOLD = 128  # gray below this is always ink, as in symbol grouping and the real-drawing protocol
_FAINT_INK_THRESHOLD = 220
"""The highest gray a faint drawing's lines may be read as ink at (Otsu's threshold, when above 128)."""
_FAINT_SHARE = 0.75
"""A drawing is faint when less than this share of its ink at Otsu's threshold is darker than 128."""
_THIN_LINE_GRAY = 200
"""The lightest gray a thin line's middle may have: a 1 px pen between two pixel rows is two rows of light gray."""
_GRID_SHARE = 0.3
"""A row whose light valleys cover this share of the sheet's width is a grid line of the paper, not a signal line."""
_THIN_LINE_CONTRAST = 40
"""How much darker than the paper on one side a thin line's middle must be (JPEG ripples and halftones are less)."""
_FAINT_DOT_GRAY = 225
"""The lightest gray a faint dot's middle may have: a dotted fine line blurred is lighter than a dashed one."""
_FAINT_DOT_CONTRAST = 30
"""How much darker than the paper two pixels beside it a faint dot is."""
_FAINT_DOT_GAP = 6
"""Faint dots this many pixels apart or closer are one row (even: the closing kernel is one longer, odd)."""
_FAINT_DOT_ROW = 11
"""A row of faint dots is a line when it runs this many pixels (three dots of a fine pen; odd, as a kernel)."""
_BAND_ROWS = 1024
_FINE = 0.7
"""A piece thinner than this share of the sheet's stroke width is drawn with a finer pen (a signal line's)."""


@dataclass
class LineTrace:
    """The line pieces of a sheet and the net each belongs to.

    Attributes:
        labels: ``(H, W)`` int32 piece label per line pixel (0: not line ink).
        net_of: ``net_of[label]`` is the net index of a piece (``-1``: dropped speck or label 0).
        net_count: how many nets.
        dashed: ``dashed[net]`` is True for a net made of dashed or dotted pieces.
        stroke_width: the sheet's stroke width the thresholds were scaled by.
    """

    labels: np.ndarray
    net_of: np.ndarray
    net_count: int
    dashed: np.ndarray
    stroke_width: float


def ink_mask(image: np.ndarray) -> np.ndarray:
    """Boolean ink of a BGR or gray drawing: gray below 128; on a faint drawing, below Otsu's threshold.

    A thin line drawn faint or blurred is light gray along its whole length: a fixed threshold
    loses it, and every net it carries, while the model still sees it. A drawing is faint when
    Otsu's threshold (at most 220) finds a third more ink than 128 does; on a crisp one the
    difference is the anti-aliased fringe of the strokes (some 10 %), which stays out so that the
    fringe of a designation does not turn into specks of line.

    >>> gray = np.full((4, 8), 250, np.uint8); gray[1:3, 2:6] = 180  # a faint stroke
    >>> int(ink_mask(gray).sum())
    8
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    crisp = gray < _INK_THRESHOLD
    if otsu <= _INK_THRESHOLD:
        return crisp
    faint = gray <= min(float(otsu), _FAINT_INK_THRESHOLD)  # Otsu's threshold is the darker class's last gray
    return faint if np.count_nonzero(crisp) < _FAINT_SHARE * np.count_nonzero(faint) else crisp


def thin_line_ink(image: np.ndarray) -> np.ndarray:
    """Boolean middles of thin light lines: pixels darker than both neighbours across a row or a column.

    A signal line drawn with a fine pen and anti-aliased is gray where it falls between two pixel
    rows (120-200), lighter than the threshold of :func:`ink_mask`, so its dashes vanish. Its
    middle is a valley of the gray profile across the line; the fringe of a dark stroke only grows
    lighter away from the stroke and is no valley, so strokes do not grow by their fringes. A row
    (column) whose light valleys (gray 128 or more) run along :data:`_GRID_SHARE` of the sheet's
    width (height) is a line of the grid of engineering paper, and is left out. A dotted fine line
    blurred is fainter still: rows of short light valleys are kept too (:func:`_faint_dots`).

    >>> gray = np.full((5, 40), 250, np.uint8); gray[2, 1:8] = 170  # a light 1 px dash
    >>> thin_line_ink(gray)[2, :9].astype(int).tolist()
    [0, 1, 1, 1, 1, 1, 1, 1, 0]
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    out = np.zeros(gray.shape, bool)
    for top in range(0, gray.shape[0], _BAND_ROWS):
        lo, hi = max(0, top - 2), min(gray.shape[0], top + _BAND_ROWS + 2)
        found = _valleys(gray[lo:hi])
        out[top : top + _BAND_ROWS] = found[top - lo : top - lo + min(_BAND_ROWS, gray.shape[0] - top)]
    return out


_ACROSS_ROWS = (np.array([[1], [0], [1]], np.uint8), np.array([[1], [0], [0], [0], [1]], np.uint8))
_ACROSS_COLUMNS = (_ACROSS_ROWS[0].T.copy(), _ACROSS_ROWS[1].T.copy())


def _valleys(band: np.ndarray) -> np.ndarray:
    """Valleys of ``band`` running 3 pixels or more along a row (horizontal lines) or down a column, grid lines out."""
    found = np.zeros(band.shape, bool)
    for (near, far), along, axis in ((_ACROSS_ROWS, (1, 3), 1), (_ACROSS_COLUMNS, (3, 1), 0)):
        # a stroke's anti-aliased corner pixel is a valley of one pixel, so a valley runs 3 pixels at
        # least; its depth is read two pixels out, as a 2 px pen blurred over three rows is only a
        # little darker than the rows beside it
        lowest = band <= cv2.erode(band, near, borderType=cv2.BORDER_REPLICATE)
        contrast = cv2.subtract(cv2.dilate(band, far, borderType=cv2.BORDER_REPLICATE), band)
        valley = (lowest & (contrast >= _THIN_LINE_CONTRAST) & (band <= _THIN_LINE_GRAY)).view(np.uint8)
        valley = cv2.morphologyEx(valley, cv2.MORPH_OPEN, np.ones(along, np.uint8)).view(bool)
        valley |= _faint_dots(band, lowest, contrast, axis == 1)
        share = (valley & (band >= _INK_THRESHOLD)).sum(axis=axis) / band.shape[axis]  # light valleys: a grid's
        grid = np.convolve(share >= _GRID_SHARE, np.ones(3), mode="same") > 0  # a grid line and the rows beside it
        if axis == 1:
            valley[grid, :] = False
        else:
            valley[:, grid] = False
        found |= valley
    return found


def _faint_dots(band: np.ndarray, lowest: np.ndarray, contrast: np.ndarray, horizontal: bool) -> np.ndarray:
    """Faint dots and short dashes in a row: a dotted signal line drawn with a fine pen, blurred.

    Each dot is a valley only two pixels long and as light as 225; alone it could be any ripple of
    the paper, so dots count only where they follow each other along the row (or column), gaps up
    to :data:`_FAINT_DOT_GAP`, over :data:`_FAINT_DOT_ROW` pixels at least, and away from dark ink.
    """
    dots: np.ndarray = (lowest & (contrast >= _FAINT_DOT_CONTRAST) & (band <= _FAINT_DOT_GRAY)).view(np.uint8)
    # beside dark ink a light valley is the rim of a stroke (the foot of a letter), not a dot
    dots[cv2.dilate((band < _INK_THRESHOLD).view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)] = 0
    dots = _runs_of_two(dots, horizontal)
    shapes = [(1, _FAINT_DOT_GAP + 1), (1, _FAINT_DOT_ROW)]  # odd lengths: an even kernel shifts the row a pixel
    if not horizontal:
        shapes = [(h, w) for w, h in shapes]
    rows: np.ndarray = cv2.morphologyEx(dots, cv2.MORPH_CLOSE, np.ones(shapes[0], np.uint8))
    rows = cv2.morphologyEx(rows, cv2.MORPH_OPEN, np.ones(shapes[1], np.uint8))
    return np.logical_and(dots, rows)


def _runs_of_two(marks: np.ndarray, horizontal: bool) -> np.ndarray:
    """The marked pixels with a marked neighbour along the row (column): an opening two pixels long."""
    view = marks if horizontal else marks.T
    paired = np.zeros_like(view)
    both = view[:, 1:] & view[:, :-1]
    paired[:, 1:] |= both
    paired[:, :-1] |= both
    return paired if horizontal else paired.T


def trace_lines(image: np.ndarray, mask: np.ndarray, roles: ClassRoles, stroke_width: float) -> LineTrace:
    """Trace the lines of a segmented sheet into nets (see the module docstring for the rules).

    Args:
        image: the drawing, BGR or gray, the size of ``mask``.
        mask: ``(H, W)`` uint8 class ids.
        roles: what each class id is (:func:`~schemseg_sdk.graph.roles.class_roles`).
        stroke_width: the sheet's stroke width in pixels.
    """
    count, labels, stats, keep, fine, cuts = _line_pieces(image, mask, roles, stroke_width)
    union = UnionFind(count)
    crossing = _crossings(mask, roles, cuts)
    _join_across_crossovers(crossing, labels, keep, union, stroke_width)
    del crossing
    sizes = dash_sizes(stroke_width)
    dashed_pieces = join_dashes(labels, stats, keep, union, sizes, mask, roles)
    dashed_pieces += bridge_to_symbols(labels, stats, keep, fine, dashed_pieces, sizes, mask, roles, union)
    join_corners(stats, dashed_pieces, union, sizes)
    dashed_pieces += dotted_pieces(image, labels, stats, keep, sizes)
    area = stats[:, cv2.CC_STAT_AREA]
    roots = np.array([union.find(i) for i in range(count)])
    roots[~keep] = -1
    unique, net_of = np.unique(roots, return_inverse=True)
    net_of = net_of.astype(np.int64) - (1 if unique.size and unique[0] == -1 else 0)
    net_of[~keep] = -1
    net_count = int(net_of.max()) + 1 if net_of.size and net_of.max() >= 0 else 0
    return LineTrace(labels, net_of, net_count, _dashed_nets(net_of, area, dashed_pieces, net_count), stroke_width)


def _line_pieces(
    image: np.ndarray, mask: np.ndarray, roles: ClassRoles, stroke_width: float
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, int, int]]]:
    """The 8-connected pieces of line ink: count, label image, stats, which are kept (no specks), which are drawn
    with a finer pen than the sheet's lines (thinner than its stroke, or light for half their ink: a dark
    stroke's anti-aliased end is a light valley too), and the plain crossings."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    line = ink_mask(gray)
    thin = thin_line_ink(gray)
    del gray  # the label image is the big one to come; the dots are read from the drawing piece by piece
    lines = lookup(roles.line, mask)
    line &= lines
    np.logical_and(thin, lines, out=thin)
    del lines
    thin[line] = False
    line |= thin
    light = np.flatnonzero(thin)  # where only the light middles of fine lines are ink: few pixels, kept as indices
    del thin
    cuts = plain_crossings(line, mask, roles, stroke_width)
    line[_crossings(mask, roles, cuts)] = False
    count, labels, stats, _ = cv2.connectedComponentsWithStats(line.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    del line
    longest_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    area = stats[:, cv2.CC_STAT_AREA]
    # a thin dash of a signal line drawn finer than the process lines is no speck: its length counts, and a
    # piece with a fine line's light middle is a line already (a valley three pixels long at least)
    keep = (area >= max(2.0, stroke_width * stroke_width)) | ((longest_side >= 2 * stroke_width) & (area >= 2))
    light_area = np.bincount(labels.ravel()[light], minlength=count)
    keep |= light_area > 0
    keep[0] = False
    fine = (2 * light_area >= area) | (area < _FINE * stroke_width * longest_side)
    return count, labels, stats, keep, fine, cuts


def _dashed_nets(net_of: np.ndarray, area: np.ndarray, dashed_pieces: list[int], net_count: int) -> np.ndarray:
    """A net is dashed when dashes make at least half its ink: a short row of stubs in a wire's net leaves it solid."""
    pieces = np.flatnonzero(net_of >= 0)
    total = np.bincount(net_of[pieces], weights=area[pieces], minlength=net_count)
    dashes = np.unique(np.asarray(dashed_pieces, np.int64))
    dashes = dashes[net_of[dashes] >= 0] if dashes.size else dashes
    dash_ink = np.bincount(net_of[dashes], weights=area[dashes], minlength=net_count)
    return dash_ink >= 0.5 * np.maximum(total, 1)


def _crossings(mask: np.ndarray, roles: ClassRoles, cuts: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Where lines cross without joining: the model's crossovers and the plain crossings' cores, a pixel wider."""
    crossing = mask == roles.crossover if roles.crossover is not None else np.zeros(mask.shape, bool)
    for x, y, w, h in cuts:
        crossing[max(0, y - 1) : y + h + 1, max(0, x - 1) : x + w + 1] = True
    return crossing


def plain_crossings(
    line: np.ndarray, mask: np.ndarray, roles: ClassRoles, stroke_width: float
) -> list[tuple[int, int, int, int]]:
    """Where a horizontal and a vertical line cross with four arms and no junction dot: they do not join there.

    A dot is the model's junction class near the crossing, or ink much denser than two crossing
    strokes. Returns the crossings' cores ``(x, y, w, h)``; a pixel more around each is cut out of the lines.
    """
    arm = round(max(6.0, 3.0 * stroke_width))
    line8 = line.view(np.uint8)
    cores: np.ndarray = cv2.morphologyEx(line8, cv2.MORPH_OPEN, np.ones((1, 2 * arm + 1), np.uint8))
    np.bitwise_and(cores, cv2.morphologyEx(line8, cv2.MORPH_OPEN, np.ones((2 * arm + 1, 1), np.uint8)), out=cores)
    height, width = line.shape
    near = int(np.ceil(2 * stroke_width)) + 1
    found = []
    for (x, y, w, h), _ in regions(cores):
        cx, cy = x + w // 2, y + h // 2
        if x - arm < 0 or y - arm < 0 or x + w + arm > width or y + h + arm > height:
            continue
        arms = (
            line[cy, x - arm : x].all()
            and line[cy, x + w : x + w + arm].all()
            and line[y - arm : y, cx].all()
            and line[y + h : y + h + arm, cx].all()
        )
        if not arms:
            continue
        y0, y1, x0, x1 = max(0, cy - near), cy + near + 1, max(0, cx - near), cx + near + 1
        dotted = roles.line[mask[y0:y1, x0:x1]] & (mask[y0:y1, x0:x1] != 0)
        side = y1 - y0
        cross_ink = side * (w + h) - w * h  # two strokes as thick as the crossing's core
        if dotted.any() or line[y0:y1, x0:x1].sum() > 1.6 * cross_ink:
            continue
        found.append((x, y, w, h))
    return found


def _join_across_crossovers(
    crossing: np.ndarray, labels: np.ndarray, keep: np.ndarray, union: UnionFind, stroke_width: float
) -> None:
    """Join the pieces that meet each crossover in opposite pairs."""
    reach = int(np.ceil(stroke_width)) + 2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    height, width = labels.shape
    for (x, y, w, h), pixels in regions(crossing):
        x0, y0 = max(0, x - reach), max(0, y - reach)
        x1, y1 = min(width, x + w + reach), min(height, y + h + reach)
        own = np.zeros((y1 - y0, x1 - x0), np.uint8)
        own[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = pixels
        ring = cv2.dilate(own, kernel).astype(bool) & ~own.astype(bool)
        touching = labels[y0:y1, x0:x1][ring]
        ys, xs = np.nonzero(ring)
        cy, cx = (float(v) for v in np.argwhere(own).mean(axis=0))
        sides = []
        for label in np.unique(touching):
            if label == 0 or not keep[label]:
                continue
            at = touching == label
            sides.append((int(label), float(np.arctan2(ys[at].mean() - cy, xs[at].mean() - cx))))
        _pair_opposite(sides, union)


def _pair_opposite(sides: list[tuple[int, float]], union: UnionFind) -> None:
    """Join each piece with the one leaving the crossing on the opposite side (within 45 degrees)."""
    if len(sides) == 2:
        union.join(sides[0][0], sides[1][0])
        return
    for label, angle in sides:
        best, best_gap = None, np.pi / 4
        for other, other_angle in sides:
            gap = abs((angle - other_angle) % (2 * np.pi) - np.pi)
            if other != label and gap < best_gap:
                best, best_gap = other, gap
        if best is not None:
            union.join(label, best)
