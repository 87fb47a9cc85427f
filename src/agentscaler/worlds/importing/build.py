"""A world from a user's tools and data: the data's tables as the entities, the tools bound to
them by the spec inference, the data itself as the initial state.

``import_world`` writes a normal world folder (``worlds/<name>/``) plus ``data_shape.json`` (how
to write a state back in the data's shape), ``import_report.json`` (every warning, naming the
path in the data) and, when entries were kept out of the tables, ``set_aside.jsonl``. The run
folder gets ``tools.jsonl`` and ``domains.jsonl`` with the world's domain, so the later stages
(tasks, simulate, filter, export, RL environments) take it like any other world.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentscaler.errors import DataImportError
from agentscaler.jsonl import read_records, write_json, write_records
from agentscaler.naming import singular, split_identifier
from agentscaler.records import Domain, ToolSpec
from agentscaler.records.domain import DomainMember, DomainStats
from agentscaler.records.world import World
from agentscaler.worlds.compiler import compile_world, write_world
from agentscaler.worlds.config import WorldConfig
from agentscaler.worlds.importing.bind import (
    bind_counters,
    bind_state,
    check_given_values,
    initial_states,
    name_after_tools,
    status_of_transitions,
    store_created_fields,
    styled_status_values,
    unrecorded_calls,
)
from agentscaler.worlds.importing.documented import (
    documented_collections,
    documented_state_fields,
)
from agentscaler.worlds.importing.read import Source, read_source
from agentscaler.worlds.importing.schema import ImportPlan, plan_import
from agentscaler.worlds.importing.shape import SET_ASIDE_FILE, SHAPE_FILE, DataShape
from agentscaler.worlds.importing.tree_tools import bind_tree, complete_leaves, speaks_of_tree
from agentscaler.worlds.runtime.dbapi import Schema
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.spec.expr import PARAM_PATTERN

log = logging.getLogger(__name__)

REPORT_FILE = "import_report.json"
POLICY_FILE = "policy.md"


@dataclass
class ImportResult:
    world_dir: Path
    compiled: CompiledWorld
    plan: ImportPlan
    warnings: list[str] = field(default_factory=list)


def domain_id_of(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise DataImportError(f"--name {name!r}: give a name with letters or digits")
    return f"imported-{slug}"


def load_tools(paths: list[Path | str]) -> list[ToolSpec]:
    """The tools of any dialect the ingest reads (OpenAI, MCP, OpenAPI, BFCL ...)."""
    from agentscaler.ingest.pipeline import import_sources

    result = import_sources([str(p) for p in paths])
    for reject in result.rejects:
        log.warning("tool rejected: %s", reject)
    if not result.tools:
        raise DataImportError(
            f"{', '.join(str(p) for p in paths)}: no usable tool definitions "
            f"({len(result.rejects)} rejected); give OpenAI, MCP, OpenAPI or BFCL tool files"
        )
    return result.tools


def _guessed_tables(tools: list[ToolSpec]) -> list[Any]:
    """The tables the tools alone would make (none when they alone do not infer)."""
    from agentscaler.worlds.infer.entities import infer_schema

    try:
        return list(infer_schema(tools).tables)
    except Exception as exc:  # the tools alone may not infer; the data still imports
        log.info("no entity names from the tools alone: %s", exc)
        return []


def _match_entities(guessed: list[Any], plan: ImportPlan) -> list[str]:
    """Name the data's tables after the entities the tools speak of (collection
    ``ticket_queue`` holds what ``get_ticket`` reads), so the inference binds them."""
    notes: list[str] = []
    wanted = [t for t in guessed if t.entity]
    current = {t.entity for t in plan.tables}
    renamed: dict[str, str] = {}
    for guess in wanted:
        if guess.entity in current or guess.entity in renamed.values():
            continue
        guess_columns = {c.name for c in guess.columns}
        best, best_score = None, 0.0
        for table in plan.tables:
            if table.parent is not None or table.entity in renamed or table.name == "state":
                continue
            if any(table.entity == t.entity for t in wanted):
                continue
            words = set(split_identifier(table.name)) | {
                singular(w) for w in split_identifier(table.name)
            }
            score = 0.0
            if guess.entity in words or set(guess.entity.split("_")) <= words:
                score += 2.0
            overlap = len(guess_columns & {c.name for c in table.columns})
            score += overlap / max(1, len(guess_columns))
            if score > best_score:
                best, best_score = table, score
        if best is not None and best_score >= 1.0:
            renamed[best.entity] = guess.entity
            notes.append(
                f"table {best.name} holds the {guess.entity.replace('_', ' ')} records the tools "
                f"name (entity {best.entity} renamed {guess.entity})"
            )
    if renamed:
        plan.tables = [
            t.model_copy(update={"entity": renamed.get(t.entity, t.entity)}) for t in plan.tables
        ]
    return notes


def _arguments_read(tool: Any) -> set[str]:
    """The arguments a spec tool's lookups, rules, effects or formulas read (``$stock`` in
    ``watchlist + [$stock]``), whatever role its parameter list gives them."""
    parts = tool.model_dump(mode="json", exclude={"params", "note"})
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.update(a or b for a, b in PARAM_PATTERN.findall(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(parts)
    return found


def _absent_fields(tools: list[ToolSpec], plan: ImportPlan, spec: Any) -> list[str]:
    """Tool arguments that name fields the data does not have and that nothing the tool does
    reads (accepted, no effect)."""
    notes = []
    for name, tool in spec.tools.items():
        entity = spec.entity(tool.entity)
        if entity is None:
            continue
        read = _arguments_read(tool)
        for param, role in tool.params.items():
            if param in read:
                continue
            if role.role == "option" and param not in ("limit", "sort_by", "order"):
                origin = next((t for t in tools if t.name == name), None)
                if origin is None:
                    continue
                what = "has no effect on the state" if tool.access == "write" else "is ignored"
                notes.append(
                    f"tool {name}: argument {param} names no field of {entity.table} in the data; "
                    f"it is accepted and {what}"
                )
    return notes


def _policy_sentences(policy: str) -> str:
    text = re.sub(r"^#+\s*", "", policy, flags=re.M)
    return " ".join(line.strip("-* ").strip() for line in text.splitlines() if line.strip())


def _with_policy(tools: list[ToolSpec], policy: str | None) -> list[ToolSpec]:
    """A policy's sentences are one more source of rules: each tool's description is read with
    the policy sentences that name the tool or its words."""
    if not policy:
        return tools
    sentences = [
        s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", _policy_sentences(policy)) if s.strip()
    ]
    result = []
    for tool in tools:
        words = {w for w in split_identifier(tool.name) if len(w) > 2}
        mentions = [
            s
            for s in sentences
            if tool.name in s
            or (
                words
                and words
                <= {singular(w) for w in re.findall(r"[a-z]+", s.lower())}
                | set(re.findall(r"[a-z]+", s.lower()))
            )
        ]
        if mentions:
            tool = tool.model_copy(
                update={"description": (tool.description + " " + " ".join(mentions)).strip()}
            )
        result.append(tool)
    return result


def storage_world(plan: ImportPlan) -> World:
    """A world of the data's tables alone (no tools): what storing the data needs."""
    return World(
        id="data",
        domain_id="data",
        name="data",
        tables=tuple(plan.tables),
        relations=tuple(plan.relations),
        tools=(),
        code_hash="",
    )


def initial_state(world: World, rows: dict[str, list[dict[str, Any]]]) -> bytes:
    """The data as the world's database (every value stored, or a clear error)."""
    from agentscaler.worlds.seeding.seed import empty_database

    schema = Schema(world)
    conn = empty_database(world)
    try:
        conn.execute("BEGIN")
        for table, table_rows in rows.items():
            meta = schema.tables[table]
            encoded = []
            for number, row in enumerate(table_rows):
                values = []
                for column in meta.columns:
                    try:
                        values.append(meta.encode(column, row.get(column)))
                    except Exception as exc:
                        raise DataImportError(
                            f"table {table} row {number + 1} column {column}: "
                            f"{row.get(column)!r} cannot be stored ({exc})"
                        ) from exc
                encoded.append(tuple(values))
            conn.executemany(meta.insert_sql, encoded)
        conn.execute("COMMIT")
        return conn.serialize()
    finally:
        conn.close()


def import_world(
    tools: list[ToolSpec],
    data: Path | str | Source,
    name: str,
    out: Path | str,
    *,
    policy: str | None = None,
    config: WorldConfig | None = None,
    check: bool = True,
) -> ImportResult:
    """Import ``data`` as the world ``name`` of run folder ``out`` with ``tools`` bound to it."""
    from agentscaler.worlds.infer.propose import propose_spec

    config = config or WorldConfig()
    source = data if isinstance(data, Source) else read_source(data)
    guessed = _guessed_tables(tools)
    plan = plan_import(
        source,
        name,
        empty_trees=speaks_of_tree(tools),
        empty_collections={t.name: t for t in guessed if t.parent is None},
    )
    warnings = list(plan.warnings)
    warnings += complete_leaves(plan, tools)
    warnings += name_after_tools(tools, plan)
    warnings += _match_entities(guessed, plan)
    domain_id = domain_id_of(name)
    bound_tools = _with_policy(tools, policy)
    spec, _ = propose_spec(
        domain_id,
        name,
        bound_tools,
        clock=config.clock,
        known_tables=plan.tables,
        known_relations=plan.relations,
    )
    spec, notes = bind_state(spec, tools, {t.name for t in plan.tables})
    warnings += notes
    spec, notes = documented_state_fields(spec, tools, plan)
    warnings += notes
    if notes:  # the tools of the state values the docs name bind to them too
        spec, notes = bind_state(spec, tools, {t.name for t in plan.tables})
        warnings += [n for n in notes if n not in warnings]
    spec, notes = bind_counters(spec, plan.rows)
    warnings += notes
    spec, notes = check_given_values(spec, tools, {t.name for t in plan.tables})
    warnings += notes
    spec, notes = unrecorded_calls(spec, {t.name for t in plan.tables})
    warnings += notes
    spec, notes = store_created_fields(spec, tools, plan)
    warnings += notes
    spec, notes = status_of_transitions(spec, plan)
    warnings += notes
    spec, notes = styled_status_values(spec, plan)
    warnings += notes
    spec, notes = initial_states(spec, {t.name for t in plan.tables})
    warnings += notes
    warnings += _absent_fields(tools, plan, spec)
    compiled = compile_world(domain_id, name, tools, config, spec=spec, spec_source="inferred")
    state = initial_state(compiled.world, plan.rows)
    fixed, notes = _broken_invariants(spec, compiled, state)
    if notes:
        warnings += notes
        compiled = compile_world(domain_id, name, tools, config, spec=fixed, spec_source="inferred")
    compiled, notes = bind_tree(compiled, tools, plan)
    warnings += notes
    warnings += documented_collections(plan, list(compiled.world.tables), spec, tools)
    compiled._seed_bytes = state
    out = Path(out)
    world_dir = out / "worlds" / domain_id
    write_world(compiled, world_dir)
    write_json(world_dir / SHAPE_FILE, plan.shape.to_json_dict())
    aside = _set_aside(plan.shape)
    if aside:
        write_records(world_dir / SET_ASIDE_FILE, aside)
    if policy:
        (world_dir / POLICY_FILE).write_text(policy, encoding="utf-8")
    write_json(
        world_dir / REPORT_FILE,
        {
            "source": str(source.path),
            "format": source.format,
            "tables": {t: len(r) for t, r in plan.rows.items()},
            "warnings": warnings,
        },
    )
    _register(out, domain_id, name, tools, compiled)
    from agentscaler.worlds.runtime.loader import load_world

    loaded = load_world(world_dir, config)
    if check:
        from agentscaler.worlds.checks.conformance import check_world

        report = check_world(loaded, seed=config.seed)
        write_json(world_dir / "conformance.json", report.to_json_dict())
    return ImportResult(world_dir=world_dir, compiled=loaded, plan=plan, warnings=warnings)


def _broken_invariants(spec: Any, compiled: CompiledWorld, state: bytes) -> tuple[Any, list[str]]:
    """Invariants (and state-bound columns) the data itself breaks are not this world's."""
    from agentscaler.worlds.checks.invariants import InvariantChecker
    from agentscaler.worlds.runtime.dbapi import Database
    from agentscaler.worlds.runtime.state import connect_bytes

    conn = connect_bytes(state)
    try:
        found = InvariantChecker(spec).violations(Database(conn, compiled.schema), limit=10**9)
    finally:
        conn.close()
    if not found:
        return spec, []
    entities = dict(spec.entities)
    notes = []
    for name in sorted({v.entity for v in found}):
        entity = entities[name]
        broken = [v.what for v in found if v.entity == name]
        invariants = tuple(i for i in entity.invariants if not any(i in w for w in broken))
        columns = {
            c: col.model_copy(update={"only_when": None})
            if col.only_when and any(w.startswith(f"{c} is set") for w in broken)
            else col
            for c, col in entity.columns.items()
        }
        entities[name] = entity.model_copy(update={"invariants": invariants, "columns": columns})
        notes.append(
            f"table {entity.table}: the data breaks {len(broken)} inferred condition(s) (e.g. "
            f"{broken[0]}); they are not conditions of this world"
        )
    return spec.model_copy(update={"entities": entities}), notes


def _set_aside(shape: DataShape) -> list[dict[str, Any]]:
    rows = []
    for collection in shape.collections:
        for key, value in collection.aside.items():
            rows.append(
                {
                    "path": f"$.{collection.name}.{key}",
                    "value": value,
                    "reason": f"not a record of collection {collection.name}; kept out of table "
                    f"{collection.table} and written back on export",
                }
            )
    return rows


def _register(
    out: Path, domain_id: str, name: str, tools: list[ToolSpec], compiled: CompiledWorld
) -> None:
    """Add the world's tools and domain to the run folder (replacing an earlier import)."""
    from agentscaler.workspace import Workspace

    workspace = Workspace(out)
    existing_tools = read_records(workspace.tools, ToolSpec) if workspace.tools.exists() else []
    ids = {t.id for t in tools}
    merged = [t for t in existing_tools if t.id not in ids] + list(tools)
    write_records(workspace.tools, merged)
    domains = read_records(workspace.domains, Domain) if workspace.domains.exists() else []
    kinds = {b.name: b.kind for b in compiled.world.tools}
    members = tuple(
        DomainMember(tool_id=t.id, name=t.name, kind=kinds.get(t.name, "read")) for t in tools
    )
    writes = sum(m.kind == "write" for m in members)
    domain = Domain(
        id=domain_id,
        name=name,
        members=members,
        stats=DomainStats(
            size=len(members),
            reads=len(members) - writes,
            writes=writes,
            internal_similarity_edges=0,
            dependency_edges=0,
            mean_similarity=0.0,
        ),
    )
    domains = [d for d in domains if d.id != domain_id] + [domain]
    workspace.domains.parent.mkdir(parents=True, exist_ok=True)
    write_records(workspace.domains, domains)


def round_trip(source: Source, name: str = "data") -> tuple[str, str]:
    """``(input, output)`` as canonical data: the data stored as a world's tables and read back
    in its own shape (equal when nothing is lost)."""
    from agentscaler.worlds.importing.replay import rows_of_state
    from agentscaler.worlds.importing.shape import canonical_data, export_document

    plan = plan_import(source, name)
    world = storage_world(plan)
    tables = rows_of_state(Schema(world), initial_state(world, plan.rows))
    return canonical_data(source.document), canonical_data(export_document(plan.shape, tables))
