"""`schemseg bench` / `schemseg-bench`: latency, throughput, memory and mIoU per backend and precision."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, cast

import click

from ..bench.inputs import SHEET_SOURCES, load_bench_sheets
from ..bench.machine import machine_slug
from ..bench.readme_table import update_readme
from ..bench.report import markdown_report, write_plots, write_report_json
from ..bench.run import run_benchmark
from ..bench.runner import BenchConfig
from ..bench.targets import BACKENDS, resolve_targets
from ..errors import BackendUnavailableError
from ..segmenter import DEFAULT_MODEL
from ._common import SchemsegClickError, handle_errors

__all__ = ["bench", "main"]

MIN_SHEETS = 8  # distinct sheets cycled through the batches, unless --data-limit says otherwise
README_OPTIONS = ("readme_table", "readme")


@click.command("bench")
@click.option(
    "--model",
    "models",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="fp32 .onnx model (repeatable); default: the bundled reference model.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PyTorch checkpoint for the eager row (default: runs/ref/best.pt when present).",
)
@click.option(
    "--backends",
    default=",".join(BACKENDS),
    show_default=True,
    help="Comma-separated backends to measure; unavailable ones are skipped with the reason.",
)
@click.option("--batch", default="1,4,8", show_default=True, help="Comma-separated batch sizes (sheets per call).")
@click.option("--warmup", type=click.IntRange(min=0), default=2, show_default=True, help="Untimed runs first.")
@click.option("--iterations", type=click.IntRange(min=1), help="Timed runs per batch size [default: 10].")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), help="Seconds of timed runs per batch size.")
@click.option(
    "--interleave",
    is_flag=True,
    help="Time the backends round-robin (one run of each in turn) so a changing load hits them alike; "
    "needs --iterations, not --duration.",
)
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dataset (images/ + masks/): sheets to time and the mIoU column.",
)
@click.option("--data-limit", type=click.IntRange(min=1), help="Use only the first N sheets of --data.")
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads for ONNX Runtime and torch.")
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Device of the fp32 ONNX Runtime and PyTorch rows (int8 ONNX runs on the CPU, engines on the GPU).",
)
@click.option(
    "--sheets",
    type=click.Choice(SHEET_SOURCES),
    default="auto",
    show_default=True,
    help="Timed sheets: --data images, bundled examples, synthetic sheets or noise (auto: first available).",
)
@click.option(
    "--sheet-size",
    type=click.IntRange(min=32),
    default=600,
    show_default=True,
    help="Side of synthetic and noise sheets in pixels.",
)
@click.option(
    "--engines-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("engines"),
    show_default=True,
    help="Where NAME.fp16.engine / NAME.int8.engine are looked for.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results JSON [default: RESULTS_DIR/<machine>-<date>.json].",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plots PNG [default: the JSON path with .png].",
)
@click.option(
    "--results-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("benchmarks/results"),
    show_default=True,
    help="Where results are kept when --json is not given.",
)
@click.option("--note", "notes", multiple=True, help="Extra note stored in the JSON (repeatable).")
@click.option(
    "--readme-table",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Only rewrite the performance table of the docs from this results JSON, measure nothing.",
)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Markdown page to rewrite with --readme-table [default: docs/performance.md].",
)
@click.pass_context
@handle_errors
def bench(ctx: click.Context, **options: Any) -> None:
    """Measure latency, throughput, memory and accuracy of every backend side by side.

    Prints a Markdown table, writes the results JSON and a PNG of latency vs batch size and speed
    vs accuracy. Example:

    \b
        schemseg-bench --backends torch,ort,ort-int8 --batch 1,4 --data data/synth-val --data-limit 20
    """
    if options["readme_table"] is not None:
        _rewrite_readme(ctx, options)
        return
    if options["readme"] is not None:
        raise click.UsageError("--readme needs --readme-table RESULTS.json")
    config, backends = _config(options)
    models = list(options["models"]) or [DEFAULT_MODEL]
    bad = [m for m in models if m.suffix.lower() != ".onnx"]
    if bad:
        raise click.UsageError(f"--model expects an fp32 .onnx model, got {bad[0]}; engines are found in --engines-dir")
    if options["sheets"] == "data" and config.data is None:
        raise click.UsageError("--sheets data needs --data DIR")
    targets = resolve_targets(backends, models, options["checkpoint"], options["engines_dir"])
    count = options["data_limit"] or max(MIN_SHEETS, *config.batches)
    sheets = load_bench_sheets(options["sheets"], count, size=options["sheet_size"], data=config.data)
    report = run_benchmark(targets, sheets, config, notes=tuple(options["notes"]))
    report["command"] = _command_line(ctx)
    click.echo(markdown_report(report))
    _write_outputs(report, options)
    rows = cast("list[dict[str, Any]]", report["rows"])
    if not any(row["status"] == "ok" for row in rows):
        raise SchemsegClickError("no backend could be measured; the table above says why for each")


def _config(options: dict[str, Any]) -> tuple[BenchConfig, list[str]]:
    if options["iterations"] is not None and options["duration"] is not None:
        raise click.UsageError("--iterations and --duration exclude each other; give one")
    if options["interleave"] and options["duration"] is not None:
        raise click.UsageError("--interleave counts runs: give --iterations, not --duration")
    if options["data_limit"] is not None and options["data"] is None:
        raise click.UsageError("--data-limit needs --data DIR")
    backends = _parse_list(options["backends"], "--backends")
    unknown = [name for name in backends if name not in BACKENDS]
    if unknown:
        raise click.UsageError(f"--backends: unknown backend '{unknown[0]}'; choose from {', '.join(BACKENDS)}")
    try:
        batches = tuple(int(text) for text in _parse_list(options["batch"], "--batch"))
    except ValueError:
        batches = (0,)
    if min(batches) < 1:
        raise click.UsageError(
            f"--batch: expected positive integers separated by commas (e.g. 1,4,8), got '{options['batch']}'"
        )
    iterations = options["iterations"] if options["duration"] is None else None
    config = BenchConfig(
        batches=batches,
        warmup=options["warmup"],
        iterations=iterations or (None if options["duration"] else 10),
        duration_s=options["duration"],
        threads=options["threads"],
        device=options["device"],
        data=options["data"],
        data_limit=options["data_limit"],
        interleave=options["interleave"],
    )
    return config, backends


def _parse_list(text: str, flag: str) -> list[str]:
    items = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not items:
        raise click.UsageError(f"{flag}: expected a comma-separated list, got '{text}'")
    return items


def _write_outputs(report: dict[str, Any], options: dict[str, Any]) -> None:
    json_path = options["json_path"]
    if json_path is None:
        json_path = options["results_dir"] / f"{machine_slug(report['machine'])}-{str(report['created'])[:10]}.json"
    plot_path = options["plot_path"] or json_path.with_suffix(".png")
    write_report_json(report, json_path)
    click.echo(f"wrote {json_path}", err=True)
    try:
        write_plots(report, plot_path)
    except BackendUnavailableError as exc:
        if options["plot_path"] is not None:
            raise
        click.echo(f"no plot: {exc}", err=True)
        return
    click.echo(f"wrote {plot_path}", err=True)


def _rewrite_readme(ctx: click.Context, options: dict[str, Any]) -> None:
    given = [
        param.opts[0]
        for param in ctx.command.params
        if param.name not in README_OPTIONS
        and ctx.get_parameter_source(str(param.name)) == click.core.ParameterSource.COMMANDLINE
    ]
    if given:
        raise click.UsageError(f"--readme-table only rewrites the README table and measures nothing; drop {given[0]}")
    readme = options["readme"] or Path("docs/performance.md")
    block = update_readme(readme, options["readme_table"])
    click.echo(block)
    click.echo(f"updated the performance table in {readme}", err=True)


def _command_line(ctx: click.Context) -> str:
    """The options given on the command line, as a ``schemseg-bench`` command that repeats the run."""
    words = ["schemseg-bench"]
    for param in ctx.command.params:
        if param.name is None or ctx.get_parameter_source(param.name) != click.core.ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name]
        if isinstance(param, click.Option) and param.is_flag:
            words += [param.opts[0]] if value else []
            continue
        for item in value if isinstance(value, tuple) else (value,):
            words += [param.opts[0], shlex.quote(str(item))]
    return " ".join(words)


main = bench
