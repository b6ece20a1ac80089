"""Dashed and dotted lines: short pieces in a row joined into one line, and their ends bridged to symbols.

A signal line on a P&ID is drawn dashed or dotted, often with a finer pen than the process lines
and often only one to three dashes long (between an instrument bubble and a valve's actuator).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ._regions import lookup, regions
from ._union import UnionFind
from .roles import ClassRoles

__all__ = [
    "DashSizes",
    "bridge_to_symbols",
    "dash_candidates",
    "dash_sizes",
    "dotted_pieces",
    "join_corners",
    "join_dashes",
]


_LONE_GAP = 3
"""A dash whose end lies this many pixels short of a symbol was drawn apart from it: an anti-aliased
wire may stop a pixel or two short of the symbol's mask, a dash pattern stops a gap short."""


_LONE_DASH = 4
"""A lone dash is at most this many times as long as it is thick, plus as many pixels: a dash is about
three pen widths and three pixels long, while a solid capillary line drawn from a valve's actuator
may start a gap away from the actuator's ink and is as long as the way to its bubble."""


_NOZZLE = 24
"""A nozzle stub is at most this many pixels long even where a dash is shorter: it is drawn to the vessel's
scale, not to the pen's, and on a sheet of 1 px strokes it is longer than a dash."""


@dataclass(frozen=True)
class DashSizes:
    """What a dash is on a sheet of a given stroke width (pixels).

    Attributes:
        thin: a dash is at most this thick.
        longest: and at most this long.
        gap: dashes this far apart are one line; a dash ending this short of a symbol reaches it.
    """

    thin: float
    longest: float
    gap: int


def dash_sizes(stroke_width: float) -> DashSizes:
    """Dash sizes for a stroke width: a dash up to 12 strokes long and 2 thick, gaps up to 4 strokes (7 px at least).

    A dash may be 5 px thick on any sheet: a signal line's pen can be wider than the sheet's
    thinnest strokes (text, hatching), which set its stroke width at 1 px.
    """
    gap = round(max(8.0, 4.0 * stroke_width))  # fine signal lines have gaps of several pixels even at 1 px strokes
    gap += 1 - gap % 2  # an odd kernel closes in place; an even one shifts the row a pixel, onto what ends it
    return DashSizes(max(2.0 * stroke_width + 1, 5.0), max(12.0, 12.0 * stroke_width), gap)


def dash_candidates(stats: np.ndarray, keep: np.ndarray, sizes: DashSizes) -> tuple[np.ndarray, np.ndarray]:
    """Pieces that may be dashes of a horizontal line and of a vertical one (a dot may be either)."""
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    long_x, long_y = _elongated(stats)
    dot = (widths <= sizes.thin) & (heights <= sizes.thin)
    along_x = keep & (((heights <= sizes.thin) & long_x & (widths <= sizes.longest)) | dot)
    along_y = keep & (((widths <= sizes.thin) & long_y & (heights <= sizes.longest)) | dot)
    return along_x, along_y


def _elongated(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pieces twice as long along x (along y) as they are thick.

    The thickness is the ink over the length, not the box's other side, which an anti-aliased
    pixel sticking out at an end widens.
    """
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    thick = stats[:, cv2.CC_STAT_AREA] / np.maximum(np.maximum(widths, heights), 1)
    return (widths >= 2 * thick) & (widths > heights), (heights >= 2 * thick) & (heights > widths)


def join_dashes(
    labels: np.ndarray,
    stats: np.ndarray,
    keep: np.ndarray,
    union: UnionFind,
    sizes: DashSizes,
    mask: np.ndarray,
    roles: ClassRoles,
) -> list[int]:
    """Join short pieces in a row along their long side into one line; the pieces so joined.

    A row of two is a line too when no symbol or text lies in its gap: a signal line between an
    instrument bubble and a valve's actuator is often two dashes long. Two leads on either side of
    a small symbol have the symbol in their gap and stay apart.
    """
    along_x, along_y = dash_candidates(stats, keep, sizes)
    joined: list[int] = []
    for candidates, shape in ((along_x, (1, sizes.gap)), (along_y, (sizes.gap, 1))):
        if candidates.sum() < 2:
            continue
        pieces = lookup(candidates, labels).view(np.uint8)
        bridged = cv2.morphologyEx(pieces, cv2.MORPH_CLOSE, np.ones(shape, np.uint8))
        del pieces
        for (x, y, w, h), run in regions(bridged):
            crop = labels[y : y + h, x : x + w]
            members = np.unique(crop[run & candidates[crop]])
            if members.size >= 3 or (members.size == 2 and _clear_gap(run, crop, mask[y : y + h, x : x + w], roles)):
                for member in members[1:]:
                    union.join(int(members[0]), int(member))
                joined.extend(int(m) for m in members)
    return joined


def join_corners(stats: np.ndarray, dashes: list[int], union: UnionFind, sizes: DashSizes) -> None:
    """Join a dashed line around its corners.

    A CAD tool restarts the dash pattern on each straight piece of a signal line, so at a corner
    the last dash of one piece stops short of the other's column and the first dash of the other
    starts on the row: the two rows of dashes, each joined along its own direction, do not touch.
    A dash along x and a dash along y join when the near side of the one along y lies from a dash's
    thickness before the end of the one along x to a dash gap beyond it, and its near end lies
    within a gap of that row while its far end runs away from it (it turns, it does not cross).
    """
    pieces = np.unique(np.asarray(dashes, np.int64))
    long_x, long_y = _elongated(stats)
    across, down = pieces[long_x[pieces]], pieces[long_y[pieces]]
    if not across.size or not down.size:
        return
    left = stats[down, cv2.CC_STAT_LEFT].astype(np.float64)
    right = left + stats[down, cv2.CC_STAT_WIDTH] - 1
    top = stats[down, cv2.CC_STAT_TOP].astype(np.float64)
    bottom = top + stats[down, cv2.CC_STAT_HEIGHT] - 1
    for piece in across.tolist():
        x, y, w, h = (int(v) for v in stats[piece, :4])
        row = y + (h - 1) / 2
        below = (top - row >= -sizes.thin) & (top - row <= sizes.gap) & (bottom - row >= sizes.thin)
        above = (row - bottom >= -sizes.thin) & (row - bottom <= sizes.gap) & (row - top >= sizes.thin)
        for end, step in ((x, -1), (x + w - 1, 1)):
            beyond = left - end if step > 0 else end - right  # to the near side: a corner dash drawn as an L
            near = (beyond >= -sizes.thin) & (beyond <= sizes.gap) & (below | above)
            for other in down[near].tolist():
                union.join(piece, other)


def bridge_to_symbols(
    labels: np.ndarray,
    stats: np.ndarray,
    keep: np.ndarray,
    fine: np.ndarray,
    rows: list[int],
    sizes: DashSizes,
    mask: np.ndarray,
    roles: ClassRoles,
    union: UnionFind,
) -> list[int]:
    """Draw each dash on to a symbol that lies less than a dash gap beyond its end; the pieces that are dashes now.

    Dashes are the pieces of a row of dashes (``rows``, :func:`join_dashes`) and the short pieces
    drawn with a finer pen than the sheet's lines (``fine``); a short wire of a circuit ending
    near a symbol it does not touch (a MOSFET's gate lead) is neither, and is left as drawn.

    A dashed line ends where its pattern ends, often in a gap short of the symbol it is drawn
    to; a one-dash signal line may float between a valve's actuator and its bubble touching
    neither. Along the dash's own direction, the gap up to a symbol is filled with the dash's
    label in ``labels`` (so the symbol finds it as a terminal), when nothing else (other ink,
    text) lies in it first. A signal line to a vessel often ends on a nozzle: a short stub of
    ink from the shell. A stub that touches one symbol and nothing else is joined the same way,
    and counts as part of the signal line. A dash that so joins two symbols, one of them across a
    gap, is a whole signal line when it is drawn with a finer pen than the sheet's lines (a wire
    touches what it joins; a short wire to a MOSFET's gate plate, drawn apart from its channel, does not).
    """
    along_x, along_y = dash_candidates(stats, keep, sizes)
    long_x, long_y = _elongated(stats)
    dash = fine.copy()
    dash[np.asarray(rows, np.int64)] = True
    bridge = _Bridge(labels, stats, keep, fine, sizes, mask, roles, union)
    for label in np.flatnonzero(along_x & long_x & dash):
        bridge.ends(int(label), transposed=True)
    for label in np.flatnonzero(along_y & long_y & dash):
        bridge.ends(int(label), transposed=False)
    return bridge.dashes


@dataclass
class _Bridge:
    """Bridges dash ends; ``dashes`` collects lone dashes and the stubs joined to dashes."""

    labels: np.ndarray
    stats: np.ndarray
    keep: np.ndarray
    fine: np.ndarray
    sizes: DashSizes
    mask: np.ndarray
    roles: ClassRoles
    union: UnionFind
    dashes: list[int] = field(default_factory=list)

    def ends(self, label: int, transposed: bool) -> None:
        """Bridge both ends of a dash: up and down (a horizontal one through the transposed arrays, views)."""
        labels, mask = (self.labels.T, self.mask.T) if transposed else (self.labels, self.mask)
        x, y, w, h = (int(v) for v in self.stats[label, [1, 0, 3, 2] if transposed else [0, 1, 2, 3]])
        cols = np.arange(x, x + w)  # the dash's whole width: a rim pixel alone would slip past a symbol's edge
        reached = across = 0
        for end, step in ((y, -1), (y + h - 1, 1)):
            rows = np.arange(end + step, end + step * (self.sizes.gap + 1), step)
            rows = rows[(rows >= 0) & (rows < labels.shape[0])]
            gap = self._gap(labels[np.ix_(rows, cols)], mask[np.ix_(rows, cols)], label)
            if gap is None:
                reached += self._arrowhead(labels, rows, cols, label)
                continue
            for r in rows[:gap]:
                row = labels[r, cols]
                labels[r, cols] = np.where(self.keep[row], row, label)
            reached += 1
            across += gap >= _LONE_GAP
        if (
            reached == 2
            and across
            and self.fine[label]
            and h <= _LONE_DASH * self.stats[label, cv2.CC_STAT_AREA] / h + _LONE_DASH
        ):
            self.dashes.append(label)

    def _gap(self, ahead: np.ndarray, ahead_mask: np.ndarray, label: int) -> int | None:
        """Rows up to the symbol (or joined stub) the dash reaches, or None when it reaches none."""
        symbol = self.roles.symbol[ahead_mask].any(axis=1)
        other = self.keep[ahead] & (ahead != label)
        text = ~(self.roles.line[ahead_mask] | self.roles.symbol[ahead_mask])
        stop = np.flatnonzero(symbol | (other | text).any(axis=1))
        if stop.size == 0:
            return None
        first = int(stop[0])
        if symbol[first]:
            return first
        pieces = np.unique(ahead[first][other[first]])
        if first == 0 or pieces.size != 1 or text[first].any() or not self._stub(int(pieces[0])):
            return None
        self.union.join(label, int(pieces[0]))
        self.dashes.append(int(pieces[0]))
        return first

    def _arrowhead(self, labels: np.ndarray, rows: np.ndarray, cols: np.ndarray, label: int) -> bool:
        """Join the arrowhead a signal line ends in at its instrument; True when there is one.

        CAD tools draw a signal line's direction as an arrowhead whose tip touches the bubble and
        whose arms open towards the last dash: the arms end within a dash gap of it, but beside the
        dash's own rows, and the tip, on them, lies further. So the stub is sought in a band a dash's
        thickness wider on either side of the dash, ahead of its end.
        """
        reach = int(self.sizes.thin)
        wide = np.arange(max(int(cols[0]) - reach, 0), min(int(cols[-1]) + reach + 1, labels.shape[1]))
        ahead = labels[np.ix_(rows, wide)]
        pieces = np.unique(ahead[self.keep[ahead] & (ahead != label)])
        if pieces.size != 1 or not self._stub(int(pieces[0])):
            return False
        self.union.join(label, int(pieces[0]))
        self.dashes.append(int(pieces[0]))
        return True

    def _stub(self, piece: int) -> bool:
        """A short piece of ink (a dash or :data:`_NOZZLE` px long) touching one symbol and nothing else: a nozzle."""
        x, y, w, h = (int(v) for v in self.stats[piece, :4])
        if max(w, h) > max(_NOZZLE, self.sizes.longest):
            return False
        y0, x0 = max(0, y - 2), max(0, x - 2)
        own = (self.labels[y0 : y + h + 2, x0 : x + w + 2] == piece).view(np.uint8)
        near = cv2.dilate(own, np.ones((5, 5), np.uint8)).view(bool)
        touched = near & self.roles.symbol[self.mask[y0 : y + h + 2, x0 : x + w + 2]]
        return cv2.connectedComponents(touched.view(np.uint8), connectivity=8)[0] == 2


def dotted_pieces(
    image: np.ndarray, labels: np.ndarray, stats: np.ndarray, keep: np.ndarray, sizes: DashSizes
) -> list[int]:
    """Thin straight pieces whose ink pales and darkens again and again along them: dotted lines drawn dense.

    Dots closer than a pixel or two run together into one piece of ink; along the piece the
    darkest gray of each cross-section still rises between the dots by :data:`_DOT_CONTRAST` or
    more, or, where their middles run into one dark row, by less while the ink each cross-section
    holds falls by a pixel's worth; along a solid line of any width both stay flat.
    """
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    found = []
    for label in np.flatnonzero(keep & (np.minimum(widths, heights) <= sizes.thin)):
        x, y, w, h = (int(v) for v in stats[label, :4])
        if max(w, h) < 2 * min(w, h) or max(w, h) < 8:
            continue
        ink = image[y : y + h, x : x + w]
        gray = ink if ink.ndim == 2 else cv2.cvtColor(ink, cv2.COLOR_BGR2GRAY)
        crop = np.where(labels[y : y + h, x : x + w] == label, gray, 255)
        axis = 0 if w >= h else 1
        darkest = crop.min(axis=axis).astype(np.int32)
        held = (255 - crop.astype(np.int32)).sum(axis=axis)  # the ink a cross-section holds
        if _dotted(darkest, sizes.gap, _DOT_CONTRAST) or (
            _dotted(darkest, sizes.gap, _DOT_CONTRAST_RUN_TOGETHER)
            and _dotted(held.max() - held, sizes.gap, _DOT_INK_CONTRAST)
        ):
            found.append(int(label))
    return found


_DOT_CONTRAST = 35
"""How much paler than the dots on either side the ink between two dots of a dotted line is, at least."""


_DOT_CONTRAST_RUN_TOGETHER = 20
"""Where the dots' middles run into one dark row the darkest gray rises less between them; the ink a
cross-section holds must then fall by :data:`_DOT_INK_CONTRAST` too."""
_DOT_INK_CONTRAST = 255
"""How much less ink (summed darkness, in grays) a cross-section between two dots holds: a pixel of full ink."""


def _dotted(profile: np.ndarray, spacing: int, contrast: int) -> bool:
    """True when ``profile`` (paleness along a line) has 2 or more bumps of ``contrast``, ``spacing`` apart or less."""
    if profile.size < 3:
        return False
    peaks = np.flatnonzero((profile[1:-1] >= profile[:-2]) & (profile[1:-1] > profile[2:])) + 1
    bumps = []
    for p in peaks:
        left = profile[max(0, p - spacing) : p].min(initial=255)
        right = profile[p + 1 : p + 1 + spacing].min(initial=255)
        if profile[p] - max(left, right) >= contrast:
            bumps.append(int(p))
    if len(bumps) < 2:
        return False
    gaps = np.diff(bumps)
    return bool(gaps.max() <= spacing and (len(bumps) + 1) * np.median(gaps) >= 0.5 * profile.size)


def _clear_gap(run: np.ndarray, pieces: np.ndarray, mask: np.ndarray, roles: ClassRoles) -> bool:
    """True when the pixels bridging a row of pieces hold no symbol or text."""
    gap = run & (pieces == 0)
    return bool(roles.line[mask[gap]].all())
