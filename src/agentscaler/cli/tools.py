"""``agentscaler tools``: import tool catalogs and inspect pools."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentscaler.cli.common import console, err_console, fail, partial
from agentscaler.ingest.config import (
    BUILTIN_SOURCE,
    IngestConfig,
    SourceFormat,
    UnknownTypePolicy,
)

if TYPE_CHECKING:
    from agentscaler.ingest import IngestResult, PoolStats
    from agentscaler.records.tool import ToolSpec

app = typer.Typer(
    help="Import tool catalogs into a normalized ToolSpec pool and inspect it.",
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    OPENAI = "openai"


@app.command("import")
def import_command(
    sources: list[str] = typer.Argument(
        ...,
        help="Catalog files, directories (read recursively), quoted globs ('specs/*.yaml'), or "
        "'builtin' for the catalog shipped with agentscaler.",
        show_default=False,
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Pool file to write (JSON Lines of ToolSpec); rejects go beside it "
        "(pool.jsonl -> pool.rejects.jsonl).",
        show_default=False,
    ),
    format: SourceFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="Read every file in this dialect instead of detecting it per file.",
        case_sensitive=False,
        show_default=False,
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Exit with status 1 when any file could not be read or any record was rejected. "
        "Without it such an import exits with status 3 (partial: the pool is usable), and 1 "
        "only when nothing was imported. The pool and the rejects file are written either way.",
    ),
    near_duplicates: bool | None = typer.Option(
        None,
        "--near-duplicates/--exact-only",
        help="Merge tools with the same name and parameter names (default), or only exact copies.",
        show_default=False,
    ),
    unknown_types: UnknownTypePolicy | None = typer.Option(
        None,
        "--unknown-types",
        help="What to do with a parameter type nobody knows: 'reject' the tool (default) or "
        "treat it as 'any'.",
        show_default=False,
    ),
    check_schemas: bool | None = typer.Option(
        None,
        "--check-schemas/--no-check-schemas",
        help="Also validate every normalized schema against the JSON Schema 2020-12 "
        "metaschema (slower; the normal form is valid by construction).",
        show_default=False,
    ),
) -> None:
    """Import tool catalogs (OpenAI, MCP, OpenAPI 3, BFCL, Seal-Tools, ACEBench, pools) into
    one normalized, deduplicated pool, and print what was read, kept, merged and rejected."""
    from agentscaler.errors import AgentscalerError
    from agentscaler.ingest import import_sources, write_pool

    overrides = {
        "near_duplicates": near_duplicates,
        "unknown_types": unknown_types,
        "check_schemas": check_schemas,
    }
    config = IngestConfig(**{k: v for k, v in overrides.items() if v is not None})
    from agentscaler.runlock import run_lock
    from agentscaler.workspace import Workspace

    folder = Path(out).parent
    in_run = Workspace(folder).run_json.exists() or Workspace(folder).markers_dir.exists()
    try:
        result = import_sources(sources, format, config=config, progress=True)
        if in_run:
            with run_lock(folder):
                rejects_file = write_pool(out, result.tools, result.rejects)
        else:
            rejects_file = write_pool(out, result.tools, result.rejects)
    except AgentscalerError as exc:
        fail(str(exc))
    _print_import(result, out, rejects_file)
    summary = result.summary
    if not result.tools:
        unreadable = "; ".join(str(r) for r in result.file_errors[:3])
        fail(
            "no tools were imported"
            + (f": {unreadable}" if unreadable else "; see the errors and skipped files above")
        )
    if summary.rejected or summary.files_failed:
        message = (
            f"{summary.rejected} record(s) rejected and {summary.files_failed} file(s) "
            f"unreadable; each is in {rejects_file} with its reason"
        )
        if strict:
            fail(f"--strict: {message}")
        partial(f"{message}; the {len(result.tools)} tools imported are in {out}")


@app.command("stats")
def stats_command(
    pool: str = typer.Argument(
        ..., help="A pool file written by `tools import`, or 'builtin'.", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Print counts by source and vertical, parameters per tool, the type histogram, the
    read/write split and the share of tools with a return schema."""
    from agentscaler.ingest import pool_stats

    stats = pool_stats(_load(pool))
    if as_json:
        console.print_json(stats.model_dump_json())
        return
    _print_stats(pool, stats)


@app.command("export")
def export_command(
    pool: str = typer.Argument(
        ..., help="A pool file written by `tools import`, or 'builtin'.", show_default=False
    ),
    out: Path = typer.Option(..., "--out", "-o", help="File to write.", show_default=False),
    format: ExportFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="Output format. openai (the only one, and the default): a JSON list of "
        '{"type": "function", "function": {...}} tools, each with its return schema under '
        '"returns", which `tools import` reads back to the same tool ids.',
        case_sensitive=False,
        show_default=False,
    ),
) -> None:
    """Export a pool as an OpenAI tools list (re-importable with the same ids)."""
    from agentscaler.ingest import export_openai

    tools = _load(pool)
    count = export_openai(tools, out)
    console.print(f"wrote {count} tools ({(format or ExportFormat.OPENAI).value} format) to {out}")


def _load(pool: str) -> list[ToolSpec]:
    from agentscaler.errors import AgentscalerError
    from agentscaler.ingest import import_sources, load_pool

    try:
        if pool == BUILTIN_SOURCE:
            result = import_sources([BUILTIN_SOURCE])
            if result.file_errors:
                fail(str(result.file_errors[0]))
            return result.tools
        return load_pool(Path(pool))
    except AgentscalerError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _print_import(result: IngestResult, out: Path, rejects_file: Path) -> None:
    from rich.table import Table

    summary = result.summary
    table = Table(title="Sources", title_justify="left")
    for column in ("source", "files", "skipped", "failed", "records", "rejected", "tools"):
        if column == "source":
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, justify="right")
    for s in summary.sources:
        table.add_row(
            s.source,
            *(str(v) for v in (s.files, s.skipped, s.failed, s.records, s.rejected, s.tools)),
        )
    console.print(table)
    read = summary.records_read
    share = 100.0 * summary.rejected / read if read else 0.0
    totals = Table(show_header=False, title="Records", title_justify="left")
    totals.add_column(justify="left")
    totals.add_column(justify="right")
    totals.add_row("read", str(read))
    totals.add_row("kept (tools in the pool)", str(summary.kept))
    totals.add_row("merged: exact copies", str(summary.exact_merged))
    totals.add_row("merged: near duplicates", str(summary.near_merged))
    totals.add_row("rejected", f"{summary.rejected} ({share:.2f}%)")
    for reason, count in summary.rejected_by_reason.items():
        totals.add_row(f"  {reason}", str(count))
    console.print(totals)
    for error in result.file_errors:
        err_console.print(f"[bold red]file error:[/] {error}", highlight=False, soft_wrap=True)
    if summary.skipped:
        reasons: dict[str, int] = {}
        for skipped in summary.skipped:
            reasons[skipped.reason] = reasons.get(skipped.reason, 0) + 1
        console.print(f"skipped {len(summary.skipped)} file(s) holding no tools:")
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            console.print(f"  {count:>4}  {reason}", highlight=False)
    console.print(
        f"wrote {summary.kept} tools to {out} and {len(result.rejects)} rejects to {rejects_file}",
        soft_wrap=True,
        highlight=False,
    )


def _print_stats(name: str, stats: PoolStats) -> None:
    from rich.table import Table

    console.print(
        f"[bold]{name}[/]: {stats.tools} tools, {stats.parameters_total} parameters, "
        f"{stats.reads} reads / {stats.writes} writes, "
        f"{stats.returns_percent:.1f}% with returns, {stats.multi_source} read from several "
        "dialects"
    )

    def counts(title: str, data: dict[str, int], label: str, limit: int = 25) -> None:
        table = Table(title=title, title_justify="left")
        table.add_column(label)
        table.add_column("tools", justify="right")
        table.add_column("%", justify="right")
        total = sum(data.values()) or 1
        items = list(data.items())
        for key, value in items[:limit]:
            table.add_row(key, str(value), f"{100.0 * value / total:.1f}")
        if len(items) > limit:
            rest = sum(v for _, v in items[limit:])
            table.add_row(f"({len(items) - limit} more)", str(rest), f"{100.0 * rest / total:.1f}")
        console.print(table)

    counts("By source", stats.by_source, "source")
    counts("By vertical", stats.by_vertical, "vertical")
    counts("Parameters per tool", stats.parameters_histogram, "parameters")
    console.print(
        f"parameters per tool: min {stats.parameters_min}, median {stats.parameters_median:g}, "
        f"mean {stats.parameters_mean:.2f}, max {stats.parameters_max}"
    )
    types = Table(title="Parameter types", title_justify="left")
    types.add_column("type")
    types.add_column("parameters", justify="right")
    for key, value in stats.types.items():
        types.add_row(key, str(value))
    console.print(types)
    kinds = Table(title="Read / write", title_justify="left")
    kinds.add_column("kind")
    kinds.add_column("tools", justify="right")
    kinds.add_row("read", str(stats.reads))
    kinds.add_row("write", str(stats.writes))
    kinds.add_row("with returns", f"{stats.with_returns} ({stats.returns_percent:.1f}%)")
    console.print(kinds)
