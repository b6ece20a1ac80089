"""``schemseg eval-graph``: edge precision, recall and F1 of graphs against a dataset's true graphs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from ..fileio import atomic_write_text
from ._common import handle_errors, only_option, read_names

__all__ = ["eval_graph"]


@click.command("eval-graph")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("pred_dir", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the scores (counts and rates per edge kind, per sheet) as JSON.",
)
@only_option("00012")
@handle_errors
def eval_graph(dataset: Path, pred_dir: Path | None, json_path: Path | None, only: Path | None) -> None:
    """Score graphs against DATASET/graphs/NAME.json, the true graphs 'schemseg synth' and
    'schemseg data import-dexpi' write.

    An edge joins two symbols on one net. Predicted symbols are matched to the true boxes as in
    'schemseg eval' (same class, box IoU >= 0.5); a predicted edge is right when the true graph
    joins the matched symbols by a net of the same kind (solid: wires, pipes; dashed: signal
    lines). With PRED_DIR, the graphs are PRED_DIR/NAME.graph.json ('schemseg segment --graph'; a
    missing one counts as empty): the model's and the tracer's errors together. Without it, each
    sheet is traced from its true class mask and boxes: the tracer's errors alone. One line per
    sheet, then the totals per kind (counts summed over the sheets). Where the true graphs name
    ports (circuit symbols), one line per class then says how many of its true ports the graph
    names right: the port nearest each true terminal of the matched symbol, judged strictly and as
    the CI2N scorer reads it (a MOSFET's drain and source, a resistor's two ends are alike).

    \b
    Examples:
      schemseg synth --out data/val --count 100 --seed 7
      schemseg eval-graph data/val
      schemseg segment data/val/images --out out/val --graph
      schemseg eval-graph data/val out/val --json out/val/edges.json
      schemseg data import-dexpi dexpi-examples --out data/dexpi --cases fragments
      schemseg eval-graph data/dexpi
    """
    from ..graph.edge_score import EDGE_KINDS, SheetEdgeScore, score_dataset_graphs

    def show(sheet: SheetEdgeScore) -> None:
        c = sheet.counts["all"]
        click.echo(f"{sheet.name}  edges true {c.true} predicted {c.predicted} right {c.matched}  F1 {_rate(c.f1)}")

    scores = score_dataset_graphs(dataset, pred_dir, names=read_names(only), progress=show)
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(scores.to_dict(), indent=2) + "\n")
    for kind in EDGE_KINDS:
        t = scores.total(kind)
        click.echo(
            f"{kind}: precision {_rate(t.precision)} recall {_rate(t.recall)} F1 {_rate(t.f1)} "
            f"({t.matched} of {t.true} true, {t.predicted} predicted)"
        )
    for class_name, p in scores.port_totals().items():
        click.echo(
            f"ports {class_name}: right {p.right} of {p.true} ({_rate(p.accuracy)}), "
            f"as CI2N reads them {p.right_ci2n} ({_rate(p.accuracy_ci2n)}), not found {p.not_found}"
        )


def _rate(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"
