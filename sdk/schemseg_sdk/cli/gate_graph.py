"""``schemseg gate-graph``: judge a reduced-precision CPU graph on what users see, and write its gate report.

Exit codes: 0 passed, 1 error, 2 usage, 3 gate failed. The report ``STEM.gate.json`` beside the
graph is what ``Segmenter()`` reads before it takes a bundled int8 graph (docs/cpu-speed.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from ._common import SchemsegClickError, handle_errors

__all__ = ["EXIT_GATE_FAILED", "gate_graph"]

EXIT_GATE_FAILED = 3

_EPILOG = """\b
Example (the command that ships the VNNI int8 graph):
  schemseg gate-graph engines/reference.int8.onnx --fp32 sdk/schemseg_sdk/models/reference.onnx \\
      --val data/synth-val --val data/ci2n-val
"""


@click.command("gate-graph", epilog=_EPILOG)
@click.argument("graph", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--fp32",
    "fp32",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The fp32 model the graph was built from.",
)
@click.option(
    "--val",
    "vals",
    multiple=True,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Validation dataset (images/ + masks/, boxes/ for the symbol gate); repeatable: every set must pass.",
)
@click.option("--val-count", type=click.IntRange(min=1), help="Score only the first N sheets of each set.")
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads of the runtimes.")
@handle_errors
def gate_graph(graph: Path, fp32: Path, vals: tuple[Path, ...], val_count: int | None, threads: int | None) -> None:
    """Judge GRAPH against the fp32 model: per-class IoU drops with 90% intervals, hardly-found classes by
    their pixel share, mean symbol F1 after grouping and the classifier; write GRAPH's STEM.gate.json/.txt."""
    from ..engine.gate import write_gate_report
    from ..engine.sheet_gate import count_sheets, judge

    results = []
    for val in vals:
        click.echo(f"gate: scoring {fp32.name} and {graph.name} on {val}", err=True)
        reference = count_sheets(fp32, val, limit=val_count, threads=threads, progress=True)
        candidate = count_sheets(graph, val, limit=val_count, threads=threads, progress=True)
        results.append(judge(reference, candidate, label=graph.name, graph=graph.name, val=str(val)))
        click.echo(results[-1].table())
    base = graph.with_name(graph.name[: -len(".onnx")] if graph.name.endswith(".onnx") else graph.stem)
    json_path, text_path = write_gate_report(base, "int8", results, accepted_drop=False)
    click.echo(f"wrote {json_path} and {text_path}", err=True)
    failed = [f"{r.val}: {'; '.join(r.failures)}" for r in results if not r.passed]
    if failed:
        raise SchemsegClickError(
            f"accuracy gate failed for {graph.name} ({' | '.join(failed)}); report: {text_path}", EXIT_GATE_FAILED
        )
