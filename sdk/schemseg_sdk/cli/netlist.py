"""``schemseg netlist`` (drawings -> netlists and graphs) and ``schemseg eval-netlist`` (score them against CI2N golden files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from ..archive import collect_images, output_stems
from ..dataset import IMAGE_SUFFIXES
from ..errors import SchemsegError
from ..fileio import atomic_write_bytes, atomic_write_text
from ..overlay import encode_png
from ._common import SchemsegClickError, handle_errors, only_option, read_names
from .segment import CLASSIFIER_OPTION, classifier_option

__all__ = ["eval_netlist", "netlist"]


@click.command("netlist")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/netlist"),
    show_default=True,
    help="Folder for NAME.json (the CI2N netlist schema) and the other outputs.",
)
@click.option(
    "--model",
    "-m",
    type=click.Path(path_type=Path),
    default=None,
    help="ONNX model or TensorRT engine  [default: the bundled reference model]",
)
@CLASSIFIER_OPTION
@click.option(
    "--graph/--no-graph",
    "write_graph",
    default=True,
    show_default=True,
    help="Write NAME.graph.json: symbols with ports, nets with segments.",
)
@click.option("--graphml", is_flag=True, help="Write NAME.graphml (symbols and nets as nodes, ports as edges).")
@click.option("--spice", is_flag=True, help="Write NAME.cir: one 'X<n> (<nets>) <type>' line per component.")
@click.option(
    "--overlay/--no-overlay",
    "write_overlay",
    default=True,
    show_default=True,
    help="Write NAME.nets.png: each net in its own colour, ports as dots.",
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Where ONNX models run; engines always run on the GPU.",
)
@handle_errors
def netlist(
    paths: tuple[Path, ...],
    out_dir: Path,
    model: Path | None,
    classifier: str,
    write_graph: bool,
    graphml: bool,
    spice: bool,
    write_overlay: bool,
    device: str,
) -> None:
    """Read the connections of the drawings in PATHS (image files or folders of them) into netlists.

    Each sheet is segmented, its lines traced into nets and its symbols' ports named; OUT/NAME.json
    holds the circuit in the CI2N golden schema ({"ckt_netlist": [...]}, circuit components only),
    OUT/NAME.graph.json the whole graph (any sheet, P&IDs too). Bad files are listed at the end (exit code 1).

    \b
    Examples:
      schemseg netlist amp.png --out out/amp --graphml --spice
      schemseg netlist drawings/ --out out/netlists && schemseg eval-netlist out/netlists golden/
    """
    from ..graph import build_graph
    from ..graph.overlay import draw_graph
    from ..segmenter import Segmenter

    files = collect_images(paths)
    if not files:
        raise click.UsageError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    components = 0
    with Segmenter(model, device=device, classifier=classifier_option(classifier)) as segmenter:  # type: ignore[arg-type]
        for file, stem in tqdm(list(zip(files, output_stems(files))), unit="sheet", file=sys.stderr):
            try:
                result = segmenter.predict(file, with_confidence=False)
                graph = build_graph(result)
            except SchemsegError as exc:
                failures.append(f"{file}: {exc}")
                continue
            graph.save_netlist(out_dir / f"{stem}.json")
            components += len(graph.to_netlist()["ckt_netlist"])  # type: ignore[arg-type]
            if write_graph:
                graph.save_json(out_dir / f"{stem}.graph.json")
            if graphml:
                graph.save_graphml(out_dir / f"{stem}.graphml")
            if spice:
                atomic_write_text(out_dir / f"{stem}.cir", graph.to_spice())
            if write_overlay:
                path = out_dir / f"{stem}.nets.png"
                atomic_write_bytes(path, encode_png(draw_graph(result.image, graph), str(path)))
    done = len(files) - len(failures)
    click.echo(f"{done} sheet{'s' if done != 1 else ''}, {components} components -> {out_dir}")
    if failures:
        for line in failures:
            click.echo(f"  {line}", err=True)
        raise SchemsegClickError(f"{len(failures)} of {len(files)} files failed")


@click.command("eval-netlist")
@click.argument("pred_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("golden_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the scores (exact_rate, mean_ned, per sheet) as JSON.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds of edit-path search per sheet; a sheet that hits it has an upper bound (marked ~).",
)
@only_option("001")
@handle_errors
def eval_netlist(pred_dir: Path, golden_dir: Path, json_path: Path | None, timeout: float, only: Path | None) -> None:
    """Score the netlists in PRED_DIR against GOLDEN_DIR/NAME.json as the CI2N scorer does.

    Per sheet: the graph edit distance (GED) between the port graphs (exact = GED 0) and the
    normalised GED: GED / (nodes + edges of both port graphs), 0 for an exact netlist, 1 for an
    empty one. A missing prediction counts as an empty netlist. The last line reads
    'exact N/M, mean NED X'.

    \b
    Example:
      schemseg eval-netlist out/netlists /data/ci2n-netlist/golden --json out/netlists/scores.json
    """
    from ..graph.netlist_score import score_dirs

    scores = score_dirs(pred_dir, golden_dir, timeout=timeout, names=read_names(only))
    for s in scores.sheets:
        mark = "~" if s.timed_out else " "
        missing = "  (no prediction)" if s.missing else ""
        click.echo(f"{s.name}  GED {mark}{s.ged:<4d} NED {s.ned:.3f}{'  exact' if s.exact else ''}{missing}")
    if json_path is not None:
        atomic_write_text(json_path, json.dumps({"timeout_s": timeout, **scores.to_dict()}, indent=2) + "\n")
    click.echo(f"exact {scores.exact}/{len(scores.sheets)}, mean NED {scores.mean_ned:.4f}")
