"""What the tools' docs say the service holds and the data leaves out.

A data set is a sample of a service's state; the tools' docs name more of it. A value a tool that
reads or changes the state row returns and no column holds (``pressBrakePedal`` and
``displayCarStatus`` return ``brakePedalStatus``, ``lockDoors`` returns
``remainingUnlockedDoors``) is a field of that row too: :func:`documented_state_fields` adds it to
the state table with the type and values its docs give, and a tool named by the verb of one of
those values sets it (``pressBrakePedal`` -> ``pressed``, ``releaseBrakePedal`` -> ``released``).
A table the tools' docs make the world keep and the data has no collection for (the ``orders``
``get_order_details`` returns, when the data lists none) becomes a collection of the data's shape
(:func:`documented_collections`).

Both are written back only while they hold something: a field holding nothing, and a collection
without rows, are left out of an export, so importing data and exporting it with no calls gives
the data back exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentscaler.naming import split_identifier
from agentscaler.records import ToolSpec
from agentscaler.worlds.importing.bind import (
    JSON_COLUMN_TYPES,
    STATE_ROW,
    _column_of,
    _key_field,
    _list_change,
    _stem,
    squash,
)
from agentscaler.worlds.importing.schema import STATE_TABLE, ImportPlan
from agentscaler.worlds.importing.shape import CollectionShape, FieldShape
from agentscaler.worlds.interface import read_params, read_returns, snake
from agentscaler.worlds.schemas import values_of
from agentscaler.worlds.spec.model import (
    SpecColumn,
    SpecEffect,
    SpecLookup,
    SpecParam,
    SpecTool,
    WorldSpec,
)

OUTCOME_FIELDS = frozenset("status result results outcome detail details reason".split())
"""Fields that tell how a call went, not what the service holds."""
STATE_TYPES = ("string", "integer", "number", "boolean")
"""Result fields taken as state fields: single values (a list or object a tool returns is most
often the call's own result, not a value the service keeps; a list is kept when tools add to
it)."""


def _state_bound(tool: SpecTool, state: str) -> bool:
    """The tool reads or changes the state row."""
    return tool.entity == state and any(
        lookup.entity == state for name, lookup in tool.find.items() if name == STATE_ROW
    )


def _documented_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "float":
        kind = "number"
    if kind == "dict":
        kind = "object"
    return kind if isinstance(kind, str) else None


def documented_state_fields(
    spec: WorldSpec, tools: list[ToolSpec], plan: ImportPlan
) -> tuple[WorldSpec, list[str]]:
    """Result fields of the state row's tools that no column holds, added to the state row (the
    data lacks them: they start empty and are written back once set); a tool whose name's verb
    is the stem of one of a field's documented values sets it to that value."""
    state = spec.entity_of_table(STATE_TABLE)
    if state is None or plan.shape.state is None:
        return spec, []
    entity = spec.entities[state]
    columns = dict(entity.columns)
    shape_fields = {squash(f.field) for f in plan.shape.state.fields} | {
        squash(p.field) for f in plan.shape.state.fields for p in f.parts
    }
    data_tables = {t.name for t in plan.tables}
    by_name = {t.name: t for t in tools}
    added: dict[str, str] = {}
    notes: list[str] = []
    for name, tool in spec.tools.items():
        source = by_name.get(name)
        bound = _state_bound(tool, state)
        current = spec.entity(tool.entity)
        if source is None or (not bound and current is not None and current.table in data_tables):
            continue
        for field, schema in read_returns(source.returns).entity_fields().items():
            column = snake(field)
            kind = _documented_type(schema)
            if kind not in STATE_TYPES and not (
                kind == "array" and _kept_list(column, source, tools)
            ):
                continue
            if (
                not column.isidentifier()
                or column in OUTCOME_FIELDS
                or _column_of(column, set(columns)) is not None
                or squash(field) in shape_fields
                or column in added
            ):
                continue
            documented = tuple(values_of(schema)) or None
            changed_by = (bound and tool.access == "write") or kind == "array"
            if not changed_by and not _set_by_name(documented or (), tools, field):
                continue  # nothing would ever set it: a result computed, not a value kept
            columns[column] = SpecColumn(
                type=JSON_COLUMN_TYPES[kind],  # type: ignore[arg-type]
                kind="status" if documented and kind == "string" else None,
                values=documented,
                description=str(schema.get("description") or f"Returned by {name}."),
            )
            added[column] = field
            notes.append(
                f"field {field}: {name} returns it and the data has no such value; kept in table "
                f"{STATE_TABLE} (empty until a tool sets it, written back only then)"
            )
    if not added:
        return spec, notes
    entities = {**spec.entities, state: entity.model_copy(update={"columns": columns})}
    spec = spec.model_copy(update={"entities": entities})
    _add_state_fields(plan, added)
    spec, set_notes = _verb_states(spec, tools, state, {c: columns[c] for c in added}, data_tables)
    return spec, notes + set_notes


def _kept_list(column: str, source: ToolSpec, tools: list[ToolSpec]) -> bool:
    """A list of single values a tool returns with no argument (the service's current list,
    ``list_all_following``) that other tools add to or take from (``follow_user``)."""
    if any(p.required for p in read_params(source.parameters)):
        return False
    item = (read_returns(source.returns).entity_fields().get(column) or {}).get("items") or {}
    if item.get("type") not in ("string", "integer"):
        return False
    return any(t is not source and _list_change(t, {column}) for t in tools)


def _set_by_name(values: tuple[Any, ...], tools: list[ToolSpec], field: str) -> bool:
    """Some tool returning ``field`` is named by the verb of one of its values (``press`` of
    ``pressed``)."""
    stems = {_stem(v) for v in values if isinstance(v, str)}
    return any(
        field in read_returns(t.returns).entity_fields()
        and stems & {_stem(w) for w in split_identifier(t.name)}
        for t in tools
    )


def _add_state_fields(plan: ImportPlan, added: dict[str, str]) -> None:
    state = plan.shape.state
    assert state is not None
    fields = state.fields + tuple(
        FieldShape(field=field, column=column, null_absent=True) for column, field in added.items()
    )
    plan.shape = plan.shape.model_copy(
        update={"state": state.model_copy(update={"fields": fields})}
    )


def _verb_states(
    spec: WorldSpec,
    tools: list[ToolSpec],
    state: str,
    columns: dict[str, SpecColumn],
    data_tables: set[str],
) -> tuple[WorldSpec, list[str]]:
    """A tool whose name's verb is the stem of one documented value of a field it returns sets
    that field to the value (``pressBrakePedal`` -> ``brake_pedal_status`` = ``pressed``)."""
    key = spec.entities[state].key
    out = dict(spec.tools)
    notes = []
    for source in tools:
        tool = spec.tools.get(source.name)
        if tool is None:
            continue
        words = {_stem(w) for w in split_identifier(source.name)}
        values: dict[str, Any] = {}
        for field in read_returns(source.returns).entity_fields():
            column = snake(field)
            spec_column = columns.get(column)
            if spec_column is None or not spec_column.values:
                continue
            named = [v for v in spec_column.values if isinstance(v, str) and _stem(v) in words]
            if len(named) == 1:
                values[column] = named[0]
        if not values:
            continue
        current = spec.entity(tool.entity)
        if _state_bound(tool, state) and tool.access == "write":
            continue  # it already changes the state as its arguments say
        if current is not None and current.table in data_tables and current.table != STATE_TABLE:
            continue  # it changes a table of the data: left as inferred
        out[source.name] = SpecTool(
            kind="update",
            entity=state,
            access="write",
            params={p: SpecParam(role="option") for p in tool.params},
            find={STATE_ROW: SpecLookup(entity=state, by={key: 1})},
            effects=(SpecEffect(update=STATE_ROW, values=values),),
            returns=STATE_ROW,
            note="sets the state value its name names",
        )
        what = ", ".join(f"{c} = {v}" for c, v in values.items())
        notes.append(f"tool {source.name}: sets {what} (the value its name names)")
    return spec.model_copy(update={"tools": out}), notes


def _key_as_read(table: Any, spec: WorldSpec | None, tools: list[ToolSpec]) -> str:
    """The name the tools reading one record return its key by (``get_order_details`` ->
    ``id`` for the key ``order_id``), else the key column's own name."""
    if spec is None:
        return table.primary_key
    by_name = {t.name: t for t in tools}
    columns = {c.name for c in table.columns}
    for name, tool in spec.tools.items():
        if tool.kind != "get" or tool.entity != table.entity or name not in by_name:
            continue
        for field in read_returns(by_name[name].returns).entity_fields():
            if snake(field) not in columns and _key_field(field, table.entity):
                return field
    return table.primary_key


def documented_collections(
    plan: ImportPlan,
    tables: list[Any],
    spec: WorldSpec | None = None,
    tools: Sequence[ToolSpec] = (),
) -> list[str]:
    """Tables of the world the data has no collection for (the tools' docs made the world keep
    them) added to the data's shape: written back, keyed like the data's other collections,
    once a tool has put rows in them (the key under the name the tools read it by)."""
    shape = plan.shape
    if shape.top != "object":
        return []
    names = {c.name for c in shape.collections}
    if shape.state is not None:
        names |= {f.field for f in shape.state.fields}
    known = set(shape.tables(documented=True)) | {c.session for c in shape.collections if c.session}
    styles = {c.style for c in shape.collections if c.style in ("dict", "list", "wrapped")}
    style = styles.pop() if len(styles) == 1 else "dict"
    added: list[CollectionShape] = []
    notes = []
    for table in tables:
        if table.name in known or table.parent is not None or table.name in names:
            continue
        key_field = _key_as_read(table, spec, list(tools))
        fields = tuple(
            FieldShape(
                field=key_field if c.name == table.primary_key else c.name,
                column=c.name,
                null_absent=True,
            )
            for c in table.columns
        )
        added.append(
            CollectionShape(
                name=table.name,
                table=table.name,
                style=style,  # type: ignore[arg-type]
                key=table.primary_key,
                fields=fields,
                documented=True,
            )
        )
        notes.append(
            f"table {table.name}: the tools keep {table.entity.replace('_', ' ')} records the "
            f"data has none of; written back as collection {table.name} once it holds some"
        )
    if added:
        plan.shape = shape.model_copy(update={"collections": shape.collections + tuple(added)})
    return notes
