"""States of an imported world written back in the data's shape, and recorded calls replayed.

``export_state`` writes a state (the initial one, a ``.sqlite`` file, or a task's gold final
state) as the data was written; ``replay`` runs a user's logged tool calls (one
``{"name": ..., "arguments": {...}}`` per line) and yields each output or domain error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentscaler.errors import DataImportError
from agentscaler.gcpause import gc_paused
from agentscaler.worlds.codegen.ddl import schema_sql
from agentscaler.worlds.importing.shape import (
    export_document,
    read_shape,
    write_folder,
    write_json_data,
    write_sqlite,
)
from agentscaler.worlds.runtime.dbapi import Schema
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import connect_bytes

ExportFormat = Literal["json", "sqlite", "folder"]


def state_tables(world: CompiledWorld, state: bytes) -> dict[str, list[dict[str, Any]]]:
    """Every table of a world's state as decoded rows."""
    return rows_of_state(world.schema, state)


def rows_of_state(schema: Schema, state: bytes) -> dict[str, list[dict[str, Any]]]:
    """Every table of a state as decoded rows."""
    conn = connect_bytes(state)
    try:
        tables = {}
        for name, meta in schema.tables.items():
            rows = conn.execute(f"SELECT {meta.select_list} FROM {meta.qname}").fetchall()
            if meta.json_columns or meta.bool_columns:
                tables[name] = [meta.decode(r) for r in rows]
            else:  # nothing to decode: SQLite's values are the row's
                columns = meta.columns
                tables[name] = [dict(zip(columns, r, strict=True)) for r in rows]
        return tables
    finally:
        conn.close()


def state_document(world: CompiledWorld, state: bytes | None = None) -> Any:
    """A state (default: the initial one) as the data's document."""
    shape = read_shape(_world_dir(world))
    data = state if state is not None else world.initial_state()
    with gc_paused():
        return export_document(shape, state_tables(world, data))


def export_state(
    world: CompiledWorld, out: Path | str, *, state: bytes | None = None, format: str | None = None
) -> Path:
    """Write a state in the data's shape: ``json`` (the document), ``sqlite`` (the data's own
    tables for SQLite data, else the world's tables) or ``folder`` (CSV / JSON Lines files)."""
    world_dir = _world_dir(world)
    shape = read_shape(world_dir)
    chosen = format or ("folder" if shape.format == "folder" else shape.format)
    if chosen not in ("json", "sqlite", "folder"):
        raise DataImportError(f"unknown --format {chosen!r}; choose json, sqlite or folder")
    if chosen == "folder" and shape.format != "folder":
        raise DataImportError(
            f"--format folder writes CSV / JSON Lines files and needs folder data; "
            f"{shape.source} was {shape.format}: use --format json or sqlite"
        )
    data = state if state is not None else world.initial_state()
    out = Path(out)
    with gc_paused():  # rows and records are acyclic: the collector would only rescan them
        tables = state_tables(world, data)
        if chosen == "json":
            write_json_data(export_document(shape, tables), out)
        elif chosen == "sqlite":
            write_sqlite(shape, tables, out, schema_sql(world.world))
        else:
            write_folder(shape, export_document(shape, tables), out)
    return out


def _world_dir(world: CompiledWorld) -> Path:
    if world.path is None:
        raise DataImportError("the world has no folder: load it with load_world(dir)")
    return world.path


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]
    line: int


def read_calls(path: Path | str) -> list[Call]:
    """Recorded calls, one JSON object ``{"name": ..., "arguments": {...}}`` per line."""
    path = Path(path)
    calls = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataImportError(f"{path}: line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(value, dict) or not isinstance(value.get("name"), str):
                raise DataImportError(
                    f'{path}: line {number}: expected {{"name": TOOL, "arguments": {{...}}}}'
                )
            arguments = value.get("arguments", {})
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except json.JSONDecodeError as exc:
                    raise DataImportError(
                        f"{path}: line {number}: arguments are text that is not JSON ({exc.msg})"
                    ) from exc
            if not isinstance(arguments, dict):
                raise DataImportError(f"{path}: line {number}: arguments must be an object")
            calls.append(Call(name=value["name"], arguments=arguments, line=number))
    return calls


def replay(
    world: CompiledWorld, calls: list[Call], state: bytes | None = None
) -> Iterator[dict[str, Any]]:
    """Run ``calls`` in order from ``state`` (default: the initial state); yield one record per
    call (``ok``, ``output`` or ``error``) and, last, ``{"final_state": bytes}``."""
    from agentscaler.worlds.runtime.env import WorldEnv

    env = WorldEnv(world)
    env.reset(options={"state": state if state is not None else world.initial_state()})
    for call in calls:
        result = env.step({"name": call.name, "arguments": call.arguments})
        record: dict[str, Any] = {"line": call.line, "name": call.name, "ok": result.ok}
        if result.ok:
            record["output"] = result.observation
        else:
            error = (
                result.observation.get("error") if isinstance(result.observation, dict) else None
            )
            record["error"] = error if error is not None else result.observation
        yield record
    yield {"final_state": env.state_bytes()}
