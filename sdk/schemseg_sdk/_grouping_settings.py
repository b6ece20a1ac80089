"""The parameters of grouping (:mod:`~schemseg_sdk.instances`, which re-exports them) and why each default is what it is."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GroupingSettings"]


@dataclass(frozen=True)
class GroupingSettings:
    """How predicted pixels become symbol instances; lengths are in stroke widths, text's in text heights.

    Attributes:
        gap: fragments closer than about ``gap`` stroke widths join into one instance, whatever their classes.
        merge_gap: instances of the same class closer than ``merge_gap`` stroke widths join. Chosen
            with the symbol classifier on two tuning sets (synthetic seed 3, 120 CI2N training
            drawings the classifier never saw): 8, the value before the classifier, joins neighbouring
            symbols of one class (two transistors on one wire); 3 splits real capacitors' plates.
        text_gap: instances of the text class (``designation``) closer than ``text_gap`` times the sheet's
            text height join, in place of ``merge_gap``: a tag or a line number is one label whatever the
            resolution, while its letters' gaps grow with the text and not with the pen. Letters stand
            about 0.2 text heights apart, words 0.6, separate labels a text height or more (ISO 3098
            spacing). 0.8 was chosen on the synthetic P&ID tuning sheets at three zooms: designation F1
            0.66 (stroke widths) -> 0.80; 1.0 joins neighbouring labels (0.76), 0.6 splits words (0.77)
            (docs/grouping.md). Sheets whose text height is unknown (fewer than a dozen characters
            found) use ``merge_gap``.
        text_cover: a text instance whose runs of characters on the drawing (characters within ``text_gap``
            text heights of each other: a word, a tag, a line number) hold less than this fraction of
            predicted text pixels is dropped: the model painted a syllable of a table's or title block's
            text, not a label. Kept text instances on one run join and take the run's extent (the
            model often paints only some letters of a tag). 0.7: on the same sheets designation F1 0.79
            at 0.5, 0.80 at 0.7, 0.81 at 0.9; the model paints their tags whole, and real sheets' tags
            more often in part, so the default stops short of 0.9.
        min_area: instances with fewer than ``min_area * w**2`` pixels are dropped.
        min_confidence, unsure_area: so are instances smaller than ``unsure_area * w**2`` whose
            pixels give their class a mean confidence below ``min_confidence`` (pixels of other
            classes count 0): small and unsure is mostly noise; not applied without confidence.
        split_confidence: mean confidence a second class needs to split an instance, over at least
            ``split_area * w**2`` pixels (without a classifier, or with ``apart_margin`` above 1)...
        judged_split_confidence: ...and with a classifier, which undoes a split unless it takes each
            piece for a symbol (``apart_margin``), so splitting may be eager: 0.6
            was chosen on the three tuning sets, better on each in mIoU and symbol F1 (more polarized
            capacitors, junction dots and real PMOS found; a few check valves lost; 0.5 and 0.4 lose on
            the seed-4 set). Without a classifier every split stays, and 0.6 cuts symbols into pieces
            (the vote alone: 3 points of mIoU lower on the real drawings), so ``split_confidence`` stays 0.8
            (docs/grouping.md, "How the defaults were chosen").
        split_area: see ``split_confidence``.
        floor_confidence: instances of any size whose mean confidence in their class is below this
            are dropped; not applied without confidence. Chosen on a tuning set of its own (seed 3):
            higher floors count strong classes better but drop the true symbols of the classes the
            model is unsure of everywhere, and lower the mean symbol F1 (docs/grouping.md).
        apart_margin: with a classifier, instances that ``merge_gap`` would join, and the pieces of an
            instance that ``split_confidence`` split, stay apart when the classifier calls each of them
            (of at least ``min_area``; two or more) a symbol, and is surer of each than of the whole
            being a symbol (of any class) by this margin or more; else they join (the split is undone).
            Above 1 merges always join and splits stay, as without a classifier. Chosen on the tuning
            sets: 0.05 keeps real capacitors' plates together, where the classifier is about as sure
            of a plate as of the capacitor.
        overlap_join: after the classifier, kept instances it gives one class join when at least this
            fraction of the smaller one's box lies in the other's: parts of one symbol that step 3
            split or two classes won (the halves of a check valve, a panel instrument's bubble and
            line), which the classifier then names alike. Above 1 nothing joins. 0.3, 0.5 and 0.7
            scored alike on the tuning sets, with no symbol lost; 0.5 is "more than half inside".
    """

    gap: float = 1.0
    merge_gap: float = 5.0
    text_gap: float = 0.8
    text_cover: float = 0.7
    min_area: float = 2.5
    min_confidence: float = 0.6
    unsure_area: float = 10.0
    split_confidence: float = 0.8
    judged_split_confidence: float = 0.6
    split_area: float = 2.5
    floor_confidence: float = 0.1
    apart_margin: float = 0.05
    overlap_join: float = 0.5
