"""``agentscaler worlds``: compile domains into SQLite-backed worlds, check them, call tools."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentscaler.cli.common import (
    EXECUTOR_OPTION,
    RAY_ADDRESS_OPTION,
    console,
    err_console,
    error_line,
    fail,
    partial,
    shard_failures,
    stage_executor,
)

if TYPE_CHECKING:
    from agentscaler.worlds.config import WorldConfig

app = typer.Typer(
    help="Compile domains into SQLite-backed, verifiable worlds; check them; call their tools.",
    no_args_is_help=True,
)

_DIR = typer.Argument(..., help="Run folder holding tools.jsonl and domains.jsonl.")
_DOMAIN = typer.Option(None, "--domain", "-d", help="Only this domain id (repeatable).")


def _register_importing() -> None:
    from agentscaler.cli.importing import export_state_command, import_command, replay_command

    app.command("import")(import_command)
    app.command("export-state")(export_state_command)
    app.command("replay")(replay_command)


_register_importing()


def _config(**options: Any) -> WorldConfig:
    from agentscaler.worlds.config import WorldConfig

    return WorldConfig(**{k: v for k, v in options.items() if v is not None})


def escape(text: str) -> str:
    """Text shown as is (square brackets in tool names are not rich markup)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


@app.command("build")
def build_command(
    directory: Path = _DIR,
    domain: list[str] | None = _DOMAIN,
    force: bool = typer.Option(
        False,
        "--force",
        help="Rebuild worlds even when nothing changed, inferring their spec again (over a "
        "user-edited spec.yaml too).",
    ),
    rows_per_table: int | None = typer.Option(
        None, "--rows-per-table", help="Rows per table in seed.sqlite."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Base seed of the initial states."),
    workers: int | None = typer.Option(
        None,
        "--workers",
        "-j",
        min=1,
        help="Worlds compiled in parallel (processes; default: the cores, at most 4).",
    ),
    llm: bool = typer.Option(
        False, "--llm", help="Let an LLM propose code for tools the templates fit badly."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible server for --llm."
    ),
    model: str | None = typer.Option(None, "--model", help="Model name for --llm."),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Exit with status 1 when any world fails conformance (without it: status 3, "
        "partial, the passing worlds are usable).",
    ),
    show_failures: int = typer.Option(
        20, "--show-failures", help="Failed worlds listed with reasons."
    ),
    executor: str = EXECUTOR_OPTION,
    ray_address: str | None = RAY_ADDRESS_OPTION,
) -> None:
    """Compile every domain of DIR/domains.jsonl into DIR/worlds/ (resumable), then check each."""
    from rich.table import Table

    from agentscaler.progress import make_progress
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.build import build_worlds, load_inputs

    workspace = Workspace(directory)
    config = _config(
        rows_per_table=rows_per_table, seed=seed, workers=workers, llm_compile=llm or None
    )
    client = None
    if llm:
        from agentscaler.llm import ChatClient, LLMConfig

        llm_options = {
            k: v for k, v in {"base_url": base_url, "model": model}.items() if v is not None
        }
        client = ChatClient(LLMConfig(**llm_options))
    domains, _ = load_inputs(workspace)
    total = len(domain) if domain else len(domains)
    progress = make_progress(err_console)
    runner = stage_executor(executor, config.workers, ray_address) if executor != "local" else None
    try:
        with progress:
            task = progress.add_task("compiling worlds", total=total)
            summary = build_worlds(
                workspace,
                config,
                domains=domain or None,
                force=force,
                llm=client,
                progress=lambda result: progress.advance(task),
                executor=runner,
            )
    finally:
        if runner is not None:
            runner.close()
    table = Table(title=f"worlds in {workspace.worlds_dir}")
    for column in ("domain", "tools", "table ops", "fallback", "result", "reused"):
        table.add_column(
            column, justify="right" if column in ("tools", "table ops", "fallback") else "left"
        )
    for result in summary.results[:200]:
        table.add_row(
            result.domain_id,
            str(result.tools),
            _share(result.table_tools, result.tools),
            str(result.fallback_tools),
            "[green]pass[/]" if result.passed else "[red]fail[/]",
            "yes" if result.reused else "",
        )
    console.print(table)
    if len(summary.results) > 200:
        console.print(
            f"... {len(summary.results) - 200} more worlds (see {workspace.worlds_dir / 'summary.json'})"
        )
    console.print(
        f"{summary.passed}/{len(summary.results)} worlds pass conformance; "
        f"{_share(sum(r.table_tools for r in summary.results), summary.tools)} of {summary.tools} tools "
        "compile to a real table operation (the rest: deterministic compute or logged call)"
    )
    left_out = sum(r.left_out for r in summary.results)
    if left_out:
        console.print(
            f"{left_out} tools were left out because another tool of their domain has the same "
            "name (a world cannot tell them apart); rename them or re-import the catalog"
        )
    for result in summary.failed[:show_failures]:
        console.print(
            f"[red]failed[/] {result.domain_id}: " + escape("; ".join(result.failures[:3])),
            highlight=False,
        )
    shard_failures("worlds", summary.shard_failures)
    if summary.failed:
        message = (
            f"{len(summary.failed)} of {len(summary.results)} worlds failed conformance and are "
            f"left out (reasons above and in {workspace.worlds_dir / 'summary.json'})"
        )
        if strict:
            fail(f"--strict: {message}")
        partial(message)


@app.command("check")
def check_command(
    directory: Path = _DIR,
    domain: list[str] | None = _DOMAIN,
    verbose: bool = typer.Option(False, "--verbose", help="List every check, not only failures."),
) -> None:
    """Run the conformance check on the built worlds of DIR; exit 1 if any world fails."""
    from rich.table import Table

    from agentscaler.errors import AgentscalerError, RunFolderError
    from agentscaler.jsonl import write_json
    from agentscaler.progress import make_progress
    from agentscaler.runlock import run_lock
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.checks.conformance import check_world
    from agentscaler.worlds.runtime.loader import load_world

    workspace = Workspace(directory)
    workspace.require(workspace.worlds_dir, "worlds")
    folders = sorted(p for p in workspace.worlds_dir.iterdir() if (p / "world.json").exists())
    if domain:
        folders = [p for p in folders if p.name in set(domain)]
        missing = sorted(set(domain) - {p.name for p in folders})
        if missing:
            raise RunFolderError(
                f"no built world for {', '.join(missing)} in {workspace.worlds_dir}"
            )
    table = Table(title="conformance")
    for column in ("world", "tools", "checks", "result", "first failure"):
        table.add_column(column)
    failed = 0
    unloadable: list[str] = []
    progress = make_progress(err_console)
    with progress, run_lock(workspace.root):
        task = progress.add_task("checking worlds", total=len(folders))
        for folder in folders:
            try:
                report = check_world(load_world(folder))
            except AgentscalerError as exc:
                failed += 1
                unloadable.append(f"{folder.name}: {exc}")
                table.add_row(folder.name, "-", "-", "[red]fail[/]", "cannot be loaded (below)")
                progress.advance(task)
                continue
            write_json(folder / "conformance.json", report.to_json_dict())
            failed += not report.passed
            table.add_row(
                folder.name,
                str(report.tools),
                str(len(report.checks)),
                "[green]pass[/]" if report.passed else "[red]fail[/]",
                "" if report.passed else escape(report.summary()[:120]),
            )
            if verbose:
                for check in report.checks:
                    mark = "ok" if check.ok else "FAIL"
                    console.print(
                        escape(
                            f"  {folder.name} {mark} {check.check} {check.tool or ''} {check.detail}"
                        ),
                        highlight=False,
                    )
            progress.advance(task)
    console.print(table)
    for line in unloadable:
        error_line(line, label="cannot load")
    console.print(f"{len(folders) - failed}/{len(folders)} worlds pass conformance")
    if failed:
        fail(f"{failed} of {len(folders)} worlds fail the conformance check")


@app.command("call")
def call_command(
    directory: Path = _DIR,
    domain: str = typer.Argument(..., help="Domain id (folder name under DIR/worlds)."),
    tool: str = typer.Argument(..., help="Tool name."),
    args: str = typer.Option("{}", "--args", "-a", help="Arguments as a JSON object."),
    seed: int | None = typer.Option(
        None, "--seed", help="Call on a seeded state instead of seed.sqlite."
    ),
    state: Path | None = typer.Option(None, "--state", help="Call on this .sqlite state instead."),
) -> None:
    """Call one tool of a world on its seed state; print the observation and the state diff."""
    import json

    from agentscaler.errors import InvalidArgument
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.runtime.env import WorldEnv
    from agentscaler.worlds.runtime.loader import load_world
    from agentscaler.worlds.runtime.state import format_changes

    workspace = Workspace(directory)
    world_dir = workspace.require(workspace.world_dir(domain), "worlds")
    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(
            f"--args is not valid JSON ({exc.msg} at position {exc.pos}); pass an object"
        ) from exc
    world = load_world(world_dir)
    env = WorldEnv(world)
    options = {"state": state} if state is not None else None
    env.reset(seed=seed, options=options)
    before = env.snapshot()
    result = env.step({"name": tool, "arguments": arguments})
    console.print_json(result.content)
    changes = env.diff(before)
    if changes:
        console.print(f"[bold]{len(changes)} change(s):[/]")
        for line in format_changes(changes):
            console.print("  " + escape(line), highlight=False)
    else:
        console.print("state unchanged")
    console.print(f"state hash {env.state_hash()}")
    if not result.ok:
        error = result.observation.get("error", {}) if isinstance(result.observation, dict) else {}
        detail = result.info.get("world_bug") or error.get("message", "")
        fail(f"{tool} was refused ({result.error_type}): {detail}")


@app.command("show")
def show_command(
    directory: Path = _DIR,
    domain: str = typer.Argument(..., help="Domain id (folder name under DIR/worlds)."),
) -> None:
    """Show a world's tables and how each tool uses them."""
    from rich.table import Table

    from agentscaler.workspace import Workspace
    from agentscaler.worlds.runtime.loader import load_world

    workspace = Workspace(directory)
    world = load_world(workspace.require(workspace.world_dir(domain), "worlds")).world
    tables = Table(title=f"{world.name}: tables")
    for column in ("table", "key", "columns", "references"):
        tables.add_column(column)
    for t in world.tables:
        refs = ", ".join(f"{c.name}->{c.references}" for c in t.columns if c.references)
        tables.add_row(t.name, t.primary_key, ", ".join(c.name for c in t.columns), refs)
    console.print(tables)
    tools = Table(title=f"{world.name}: tools")
    for column in ("tool", "kind", "operation", "table", "transition"):
        tools.add_column(column)
    for b in world.tools:
        transition = f"{'/'.join(b.from_status) or '*'} -> {b.to_status}" if b.to_status else ""
        tools.add_row(
            b.name,
            b.kind,
            b.operation + (" (fallback)" if b.fallback else ""),
            b.table or "",
            transition,
        )
    console.print(tools)


@app.command("spec")
def spec_command(
    directory: Path = _DIR,
    domain: str = typer.Argument(..., help="Domain id (folder name under DIR/worlds)."),
    tool: str | None = typer.Option(None, "--tool", "-t", help="Only this tool's entry."),
    plain: bool = typer.Option(False, "--plain", help="No colours (for pipes and files)."),
) -> None:
    """Print a world's spec (DIR/worlds/DOMAIN/spec.yaml): its entities, and for every tool the
    rows it finds, the rules it enforces and the changes it makes.

    Edit that file and run `agentscaler worlds build DIR --domain DOMAIN`: the tool code is
    generated again from your spec, and inference never overwrites it without --force.
    """
    from agentscaler.cli.common import fail
    from agentscaler.errors import SpecError
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.spec.io import SPEC_FILE, dump_spec, load_spec

    workspace = Workspace(directory)
    path = workspace.require(workspace.world_dir(domain), "worlds") / SPEC_FILE
    if not path.exists():
        fail(
            f"{path} is missing: the world was built by an older release. Rebuild it with "
            f"`agentscaler worlds build {directory} --domain {domain} --force`."
        )
    text = path.read_text(encoding="utf-8")
    if tool is not None:
        try:
            spec = load_spec(path)
        except SpecError as exc:
            fail(str(exc))
        if tool not in spec.tools:
            fail(f"{path}: no tool {tool!r} (tools: {', '.join(spec.tools)})")
        only = spec.model_copy(update={"tools": {tool: spec.tools[tool]}, "entities": {}})
        text = dump_spec(only)
        text = text[text.index("tools:") :]
    if plain or not console.is_terminal:
        console.print(text, markup=False, highlight=False, end="", soft_wrap=True)
        return
    from rich.syntax import Syntax

    console.print(Syntax(text, "yaml", word_wrap=True))
