"""``agentscaler worlds import | export-state | replay``: worlds from a user's own data, states
written back in the data's shape, recorded calls replayed."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agentscaler.cli.common import console, error_line, fail


def import_command(
    tools: list[Path] = typer.Option(
        ..., "--tools", help="Tool definitions (OpenAI, MCP, OpenAPI, BFCL ...; repeatable)."
    ),
    data: Path = typer.Option(
        ..., "--data", help="A JSON document, a SQLite file or a folder of CSV / JSONL files."
    ),
    name: str = typer.Option(..., "--name", help="Name of the world."),
    out: Path = typer.Option(..., "--out", help="Run folder to add the world to."),
    policy: Path | None = typer.Option(
        None, "--policy", help="A policy text (Markdown): one more source of rules."
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Run the conformance checks."),
) -> None:
    """Import DATA as a world whose tools are bound to the data's own tables; the world's
    initial state is the data, exactly."""
    from agentscaler.worlds.importing.build import import_world, load_tools

    policy_text = None
    if policy is not None:
        if not policy.is_file():
            fail(f"--policy {policy}: no such file")
        policy_text = policy.read_text(encoding="utf-8")
    result = import_world(load_tools(list(tools)), data, name, out, policy=policy_text, check=check)
    world = result.compiled.world
    rows = sum(len(r) for r in result.plan.rows.values())
    console.print(
        f"imported {data} as {result.world_dir} ({len(world.tables)} tables, {rows} rows, "
        f"{len(world.tools)} tools)"
    )
    for warning in result.warnings:
        console.print(f"  warning: {warning}", markup=False, highlight=False)
    conformance = result.world_dir / "conformance.json"
    if check and conformance.exists():
        report = json.loads(conformance.read_text(encoding="utf-8"))
        failed = [c for c in report.get("checks", []) if not c.get("ok")]
        console.print(
            f"conformance: {'passed' if report.get('passed') else f'{len(failed)} check(s) failed'}"
            f" (see {conformance})"
        )


def _world(directory: Path, domain: str):
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.runtime.loader import load_world

    workspace = Workspace(directory)
    return workspace, load_world(workspace.require(workspace.world_dir(domain), "worlds"))


def export_state_command(
    directory: Path = typer.Argument(..., help="Run folder."),
    domain: str = typer.Argument(..., help="Domain id of an imported world."),
    out: Path = typer.Option(..., "--out", "-o", help="File (json, sqlite) or folder to write."),
    state: Path | None = typer.Option(None, "--state", help="A .sqlite state of the world."),
    task: str | None = typer.Option(None, "--task", help="A task id: its initial state."),
    gold: bool = typer.Option(False, "--gold", help="With --task: its gold final state."),
    format: str | None = typer.Option(
        None, "--format", help="json, sqlite or folder (default: the data's own format)."
    ),
) -> None:
    """Write a state of an imported world in the data's own shape (same collections, nesting
    and keys), to diff with the state of your own environment."""
    from agentscaler.worlds.importing.replay import Call, export_state, replay

    workspace, world = _world(directory, domain)
    if gold and task is None:
        fail("--gold needs --task ID")
    if state is not None and task is not None:
        fail("give --state FILE or --task ID, not both")
    data = None
    if state is not None:
        data = _state_bytes(state)
    elif task is not None:
        from agentscaler.jsonl import read_records
        from agentscaler.records import Task

        tasks = {t.id: t for t in read_records(workspace.require(workspace.tasks, "tasks"), Task)}
        if task not in tasks:
            fail(f"no task {task!r} in {workspace.tasks}")
        found = tasks[task]
        path = workspace.state_file(found.initial_state)
        data = path.read_bytes() if path.exists() else world.initial_state()
        if gold:
            calls = [Call(c.name, dict(c.arguments), i + 1) for i, c in enumerate(found.gold_calls)]
            *_, last = replay(world, calls, data)
            data = last["final_state"]
    written = export_state(world, out, state=data, format=format)
    console.print(f"wrote {written}")


def _state_bytes(path: Path) -> bytes:
    if not path.is_file():
        fail(f"--state {path}: no such file")
    return path.read_bytes()


def replay_command(
    directory: Path = typer.Argument(..., help="Run folder."),
    domain: str = typer.Argument(..., help="Domain id of the world."),
    calls: Path = typer.Option(
        ..., "--calls", help='JSON Lines: one {"name": ..., "arguments": {...}} per line.'
    ),
    state: Path | None = typer.Option(None, "--state", help="Start from this .sqlite state."),
    export: Path | None = typer.Option(
        None, "--export-state", help="Write the final state in the data's shape (JSON)."
    ),
    save: Path | None = typer.Option(None, "--save-state", help="Write the final .sqlite state."),
) -> None:
    """Run recorded tool calls in order; print each output or domain error as JSON Lines."""
    from agentscaler.canonical import canonical_json
    from agentscaler.worlds.importing.replay import export_state, read_calls, replay

    _, world = _world(directory, domain)
    if not calls.is_file():
        fail(f"--calls {calls}: no such file")
    data = _state_bytes(state) if state is not None else None
    final = None
    failed = 0
    for record in replay(world, read_calls(calls), data):
        if "final_state" in record:
            final = record["final_state"]
            continue
        failed += not record["ok"]
        typer.echo(canonical_json(record))
    if export is not None and final is not None:
        export_state(world, export, state=final, format="json")
    if save is not None and final is not None:
        save.write_bytes(final)
    if failed:
        error_line(f"{failed} call(s) returned an error")
