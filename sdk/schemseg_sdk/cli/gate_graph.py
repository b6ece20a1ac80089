"""``schemseg gate-graph``: judge a reduced-precision CPU path on what users see, and write its gate report.

Exit codes: 0 passed, 1 error, 2 usage, 3 gate failed. The report beside the graph
(``STEM.gate.json``, or ``STEM.openvino-bf16.gate.json`` for ``--precision bf16``) is what
``Segmenter()`` reads before it takes a bundled path (docs/cpu-speed.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from ._common import SchemsegClickError, handle_errors

__all__ = ["EXIT_GATE_FAILED", "gate_graph"]

EXIT_GATE_FAILED = 3

_EPILOG = """\b
Examples (the commands that ship the VNNI int8 graph, and the bundled model in bf16):
  schemseg gate-graph engines/reference.int8.onnx --fp32 sdk/schemseg_sdk/models/reference.onnx \\
      --val data/synth-val --val data/ci2n-val
  schemseg gate-graph sdk/schemseg_sdk/models/reference.onnx --precision bf16 \\
      --fp32 sdk/schemseg_sdk/models/reference.onnx --val data/synth-val --val data/ci2n-val
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
@click.option(
    "--precision",
    type=click.Choice(["f32", "bf16"]),
    default="f32",
    show_default=True,
    help="f32: GRAPH as written, on the runtime Segmenter(device='cpu') gives it; bf16: GRAPH on OpenVINO in "
    "bfloat16 (needs a CPU with AVX512_BF16 or AMX), report STEM.openvino-bf16.gate.json.",
)
@handle_errors
def gate_graph(
    graph: Path, fp32: Path, vals: tuple[Path, ...], val_count: int | None, threads: int | None, precision: str
) -> None:
    """Judge GRAPH against the fp32 model: per-class IoU drops with 90% intervals, hardly-found classes by
    their pixel share, mean symbol F1 after grouping and the classifier; write GRAPH's gate report."""
    from ..backends.cpu_choice import gate_report_path
    from ..engine.gate import write_gate_report
    from ..engine.sheet_gate import count_sheets, judge
    from ..fileio import sha256_file

    bf16 = precision == "bf16"
    label = "OpenVINO bf16" if bf16 else graph.name
    results = []
    for val in vals:
        click.echo(f"gate: scoring {fp32.name} and {label} on {val}", err=True)
        reference = count_sheets(fp32, val, limit=val_count, threads=threads, progress=True)
        candidate = count_sheets(
            graph, val, limit=val_count, threads=threads, progress=True, precision="bf16" if bf16 else "f32"
        )
        results.append(judge(reference, candidate, label=label, graph=graph.name, val=str(val)))
        click.echo(results[-1].table())
    report = gate_report_path(graph, "bf16" if bf16 else "f32")
    base = report.with_name(report.name[: -len(".gate.json")])
    json_path, text_path = write_gate_report(
        base, "bf16" if bf16 else "int8", results, accepted_drop=False, graph_sha256=sha256_file(graph)
    )
    click.echo(f"wrote {json_path} and {text_path}", err=True)
    failed = [f"{r.val}: {'; '.join(r.failures)}" for r in results if not r.passed]
    if failed:
        raise SchemsegClickError(
            f"accuracy gate failed for {graph.name} ({' | '.join(failed)}); report: {text_path}", EXIT_GATE_FAILED
        )
