"""Tools bound to what the data holds.

Services often keep one current state beside their collections: who is logged in, the current
directory, an engine's state, a counter giving the next id. An import keeps those top-level
values as the one row of the ``state`` table (objects one column per key); this module makes the
tools speak of it:

* :func:`name_after_tools` names the data's columns the way the tools name them (the data's
  ``watch_list`` is what ``get_watchlist`` returns as ``watchlist``; the dict keys of ``stocks``
  are the ``symbol`` that ``get_stock_info`` takes), so the inference binds them;
* :func:`bind_state` binds a tool that the inference put on an entity the data does not have to
  the state row, when the fields it returns or sets are the state's (``get_account_info``
  returns the ``account_info`` object's ``balance``): a read returns the row, a write sets the
  columns its arguments name, adds to or removes from a list column its name names;
* :func:`bind_counters` gives a created row its key from the state's counter of that
  collection (``order_counter``, ``next_ticket_id``) and moves the counter on.

Only names and values decide, never a service's name: what each choice rests on is said in a
note of the import report.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from agentscaler.naming import singular, split_identifier
from agentscaler.records import ToolSpec
from agentscaler.records.world import Table
from agentscaler.worlds.importing.schema import KEY_WORDS, STATE_TABLE, ImportPlan
from agentscaler.worlds.importing.shape import CollectionShape, FieldShape, key_text
from agentscaler.worlds.infer.operations import TRANSITIONS
from agentscaler.worlds.interface import read_params, read_returns, snake
from agentscaler.worlds.schemas import values_of
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import (
    SpecColumn,
    SpecEffect,
    SpecLookup,
    SpecParam,
    SpecTool,
    WorldSpec,
)

STATE_ROW = "state"
"""The name tools bind the state row to."""
ADD_VERBS = frozenset("add append include insert push attach follow".split())
REMOVE_VERBS = frozenset("remove delete drop detach exclude pop unfollow".split())


def squash(name: str) -> str:
    """A name without case, separators or punctuation (``watch_list``, ``watchList``, ``MA(5)``
    -> ``watchlist``, ``ma5``)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _tool_names(tool: ToolSpec) -> list[str]:
    """The argument names and result fields of a tool."""
    names = [p.name for p in read_params(tool.parameters)]
    info = read_returns(tool.returns)
    names += [*info.fields, *info.object_fields, *info.item_fields]
    return names


# --- naming ------------------------------------------------------------------------------------


def rename_column(plan: ImportPlan, table: str, old: str, new: str) -> None:
    """Rename one column of an imported table everywhere the plan names it (the data's own
    field names stay as they are in the shape)."""
    tables = []
    for t in plan.tables:
        if t.name == table:
            t = t.model_copy(
                update={
                    "columns": tuple(
                        c.model_copy(update={"name": new}) if c.name == old else c
                        for c in t.columns
                    ),
                    "primary_key": new if t.primary_key == old else t.primary_key,
                    "indexes": tuple(new if i == old else i for i in t.indexes),
                }
            )
        tables.append(t)
    plan.tables = tables
    for row in plan.rows.get(table, []):
        if old in row:
            row[new] = row.pop(old)
    plan.relations = [
        r.model_copy(
            update={
                "column": new if r.table == table and r.column == old else r.column,
                "ref_column": new if r.ref_table == table and r.ref_column == old else r.ref_column,
            }
        )
        for r in plan.relations
    ]

    def fields(shapes: tuple[FieldShape, ...]) -> tuple[FieldShape, ...]:
        return tuple(
            f.model_copy(
                update={"column": new, "parts": fields(f.parts)}
                if f.column == old
                else {"parts": fields(f.parts)}
            )
            for f in shapes
        )

    def walk(shape: CollectionShape) -> CollectionShape:
        update: dict[str, Any] = {}
        if shape.table == table:
            update["key"] = new if shape.key == old else shape.key
            update["fields"] = fields(shape.fields)
        children = tuple(
            f.model_copy(update={"child": walk(f.child)}) if f.child is not None else f
            for f in update.get("fields", shape.fields)
        )
        update["fields"] = children
        return shape.model_copy(update=update)

    shape = plan.shape
    plan.shape = shape.model_copy(
        update={
            "collections": tuple(walk(c) for c in shape.collections),
            "state": walk(shape.state) if shape.state is not None else None,
        }
    )


def _collection(plan: ImportPlan, table: str) -> CollectionShape | None:
    for collection in (*plan.shape.collections, *([plan.shape.state] if plan.shape.state else [])):
        if collection.table == table:
            return collection
    return None


def name_after_tools(tools: list[ToolSpec], plan: ImportPlan) -> list[str]:
    """Name the data's columns as the tools name them; returns what was renamed."""
    notes: list[str] = []
    spoken: dict[str, str] = {}
    for tool in tools:
        for name in _tool_names(tool):
            spoken.setdefault(squash(name), snake(name))
    trees = {n for c in plan.shape.collections if c.style == "tree" for n in (c.table, c.session)}
    for table in list(plan.tables):
        if table.parent is not None or table.name in trees:
            continue  # a tree's columns are its own (key, parent, name, kind, content)
        key_name = _key_named_by_tools(tools, table, plan)
        if key_name:
            notes.append(
                f"table {table.name}: its keys are the {key_name} the tools take "
                f"(column {table.primary_key} renamed {key_name})"
            )
            rename_column(plan, table.name, table.primary_key, key_name)
        table = next(t for t in plan.tables if t.name == table.name)
        if _integer_keys(tools, table, plan):
            keyed = _collection(plan, table.name)
            form = (
                f", written back as {key_text(1, keyed)} for 1"
                if keyed is not None and (keyed.key_prefix or keyed.key_width)
                else ""
            )
            notes.append(
                f"table {table.name}: its keys are integers, as the tools give them (the data's "
                f"object keys are text{form})"
            )
            table = next(t for t in plan.tables if t.name == table.name)
        notes += _documented_values(tools, table, plan)
        table = next(t for t in plan.tables if t.name == table.name)
        columns = {c.name for c in table.columns}
        for column in sorted(columns):
            wanted = spoken.get(squash(column))
            if wanted and wanted != column and wanted not in columns and wanted.isidentifier():
                rename_column(plan, table.name, column, wanted)
                columns = (columns - {column}) | {wanted}
                notes.append(
                    f"table {table.name}: column {column} is the {wanted} the tools name (renamed)"
                )
    return notes


def _documented_values(tools: list[ToolSpec], table: Table, plan: ImportPlan) -> list[str]:
    """The values a column may take, as the tools about its records list them (the data may
    show only some: an order ``Completed``, the docs ``Open``, ``Pending``, ``Completed``,
    ``Cancelled``), when every value of the data is one of them."""
    entity_word = (table.entity or singular(table.name)).split("_")[-1]
    rows = plan.rows.get(table.name, [])
    notes = []
    for column in table.columns:
        if column.primary_key or column.type != "TEXT" or column.references:
            continue
        present = {r.get(column.name) for r in rows} - {None}
        for tool in tools:
            if entity_word not in {singular(w) for w in split_identifier(tool.name)}:
                continue
            info = read_returns(tool.returns)
            sub = next(
                (v for f, v in info.entity_fields().items() if snake(f) == column.name), None
            )
            documented = values_of(sub) if isinstance(sub, dict) else ()
            if len(documented) < 2 or not all(isinstance(v, str) for v in documented):
                continue
            if not present <= set(documented) or tuple(documented) == column.enum:
                continue
            plan.tables = [
                t.model_copy(
                    update={
                        "columns": tuple(
                            c.model_copy(update={"enum": tuple(documented)})
                            if c.name == column.name
                            else c
                            for c in t.columns
                        )
                    }
                )
                if t.name == table.name
                else t
                for t in plan.tables
            ]
            notes.append(
                f"table {table.name}: {column.name} takes the values {tool.name} lists "
                f"({', '.join(documented)})"
            )
            break
    return notes


def _integer_keys(tools: list[ToolSpec], table: Table, plan: ImportPlan) -> bool:
    """Keys of a keyed collection stored as integers when they are all numbers, alone or after
    one prefix (``12``; ``ticket_001``), and the tools take them as integers (JSON object keys
    are always text); the data's form of them is kept to write them back."""
    shape = _collection(plan, table.name)
    if shape is None or shape.style not in ("dict", "wrapped") or not shape.synthetic_key:
        return False
    key = table.primary_key
    rows = plan.rows.get(table.name, [])
    if table.key_column.type != "TEXT" or not rows:
        return False
    form = numbered_keys([r[key] for r in rows])
    if form is None:
        return False
    typed = [
        p.json_type
        for tool in tools
        for p in read_params(tool.parameters)
        if snake(p.name) == key and p.json_type in ("integer", "string")
    ]
    if not typed or any(t != "integer" for t in typed):
        return False
    prefix, width = form
    numbers = {r[key]: int(r[key][len(prefix) :]) for r in rows}
    for row in rows:
        row[key] = numbers[row[key]]
    retyped = {table.name: key}
    for child in plan.tables:
        if child.parent == table.name and child.parent_column:
            retyped[child.name] = child.parent_column
            for row in plan.rows.get(child.name, []):
                if isinstance(row.get(child.parent_column), str):
                    row[child.parent_column] = numbers[row[child.parent_column]]
    plan.tables = [
        t.model_copy(
            update={
                "columns": tuple(
                    c.model_copy(update={"type": "INTEGER"}) if c.name == retyped[t.name] else c
                    for c in t.columns
                )
            }
        )
        if t.name in retyped
        else t
        for t in plan.tables
    ]

    def renumbered(keys: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(numbers.get(k, k) if isinstance(k, str) else k for k in keys)

    fields = tuple(
        f.model_copy(update={"absent": renumbered(f.absent), "nulls": renumbered(f.nulls)})
        for f in shape.fields
    )
    keyed = shape.model_copy(
        update={
            "key_prefix": prefix,
            "key_width": width,
            "order": renumbered(shape.order),
            "fields": fields,
        }
    )
    plan.shape = plan.shape.model_copy(
        update={"collections": tuple(keyed if c is shape else c for c in plan.shape.collections)}
    )
    return True


def numbered_keys(keys: list[Any]) -> tuple[str, int] | None:
    """The form of text keys that are numbers, alone or after one prefix (``"12"``;
    ``ticket_001``): the prefix and the digits the number is zero-padded to (0: none), when
    every key is its number written in that form; else None."""
    if not keys or not all(isinstance(k, str) for k in keys):
        return None
    parts = [re.fullmatch(r"()(-?\d{1,18})|(\D+)(\d{1,18})", k) for k in keys]
    if any(m is None for m in parts):
        return None
    split = [(m.group(1) or m.group(3) or "", m.group(2) or m.group(4)) for m in parts if m]
    prefixes = {prefix for prefix, _ in split}
    if len(prefixes) != 1:
        return None
    prefix = prefixes.pop()
    padded = {len(number) for _, number in split if re.match(r"-?0\d", number)}
    if len(padded) > 1:
        return None
    width = padded.pop() if padded else 0
    if any(f"{prefix}{int(k[len(prefix) :]):0{width}d}" != k for k in keys):
        return None
    return prefix, width


def _key_named_by_tools(tools: list[ToolSpec], table: Table, plan: ImportPlan) -> str | None:
    """The argument the tools find a keyed collection's records by, when the data's keys are
    not a field of their own (``stocks`` keyed by symbol, ``get_stock_info(symbol)``): the
    tools named after the records' entity vote, or when none does, those named after another
    word of the collection's name (``get_ticket(ticket_id)`` for ``ticket_queue``)."""
    shape = _collection(plan, table.name)
    if shape is None or shape.style not in ("dict", "wrapped") or not shape.synthetic_key:
        return None
    entity_word = (table.entity or singular(table.name)).split("_")[-1]
    key_types = {"integer" if table.key_column.type == "INTEGER" else "string"}
    rows = plan.rows.get(table.name, [])
    if key_types == {"string"} and numbered_keys([r[table.primary_key] for r in rows]):
        key_types.add("integer")  # numbered keys the tools may take as integers
    other_words = {singular(w) for w in split_identifier(table.name)} - {entity_word}
    for named in ({entity_word}, other_words):
        votes: Counter[str] = Counter()
        for tool in tools:
            if not named & {singular(w) for w in split_identifier(tool.name)}:
                continue
            for param in read_params(tool.parameters):
                if not param.required or param.json_type not in key_types:
                    continue
                last = (split_identifier(param.name) or [""])[-1]
                description = str(param.schema.get("description", "")).lower()
                if last in KEY_WORDS or "uniquely identif" in description:
                    votes[snake(param.name)] += 1
        if votes:
            name = votes.most_common(1)[0][0]
            if name == table.primary_key or table.column(name) is not None:
                return None
            return name
    return None


# --- the state row -----------------------------------------------------------------------------


def _state_entity(spec: WorldSpec) -> str | None:
    return spec.entity_of_table(STATE_TABLE)


def _returned(tool: ToolSpec) -> list[str]:
    info = read_returns(tool.returns)
    return [snake(f) for f in info.entity_fields()]


def bind_state(
    spec: WorldSpec, tools: list[ToolSpec], data_tables: set[str]
) -> tuple[WorldSpec, list[str]]:
    """Bind the tools that act on no table of the data to the state row when the fields they
    return or set are its columns."""
    state = _state_entity(spec)
    if state is None:
        return spec, []
    entity = spec.entities[state]
    columns = set(entity.columns) - {entity.key}
    by_name = {t.name: t for t in tools}
    notes: list[str] = []
    bound: dict[str, SpecTool] = {}
    for name, tool in spec.tools.items():
        source = by_name.get(name)
        current = spec.entity(tool.entity)
        if source is None:
            continue
        listed = _list_change(source, columns) or _chosen_columns(source, columns)
        if current is not None and current.table in data_tables and not listed:
            continue
        returned = _returned(source)
        shared = [c for c in (_column_of(f, columns) for f in returned) if c]
        params = {p.name: p for p in read_params(source.parameters)}
        set_by = {p: _column_of(snake(p), columns) for p in params}
        set_by = {p: c for p, c in set_by.items() if c}
        setter = bool(set(split_identifier(source.name)) & SET_VERBS) and any(
            params[p].required for p in set_by
        )
        if not listed and not setter and (not shared or 2 * len(shared) < len(returned)):
            continue
        new = _state_tool(tool, source, state, entity.key, set_by, columns)
        if new is None:
            continue
        bound[name] = new
        what = ", ".join(shared or sorted(set(set_by.values())))
        notes.append(
            f"tool {name}: {'reads' if new.access == 'read' else 'changes'} the data's "
            f"top-level values ({what}), not a table of its own"
        )
    if not bound:
        return spec, notes
    return spec.model_copy(update={"tools": {**spec.tools, **bound}}), notes


def _list_change(source: ToolSpec, columns: set[str]) -> tuple[str, str, str] | None:
    """``(verb, list column, argument)`` of a tool that adds one value to or removes one from a
    list its name or result names (``add_to_watchlist(stock)``, ``remove_..._from_watchlist``)."""
    words = split_identifier(source.name)
    verb = next((w for w in words if w in ADD_VERBS | REMOVE_VERBS), None)
    params = read_params(source.parameters)
    if verb is None or len([p for p in params if p.required]) != 1:
        return None
    param = next(p for p in params if p.required)
    if param.json_type not in ("string", "integer"):
        return None
    named = [squash(w) for w in words] + [squash(f) for f in _returned(source)]
    kind = "add" if verb in ADD_VERBS else "remove"
    info = read_returns(source.returns)

    def is_list(column: str) -> bool:
        field = info.fields.get(column) or {}
        return not field or field.get("type") in ("array", None)

    for column in sorted(columns):
        if squash(column) in named or squash(column) in squash(source.name):
            if not is_list(column):
                continue
            return (kind, column, param.name)
    # a list named after the verb itself (``follow_user`` / ``unfollow_user`` -> the
    # ``following_list``)
    acted = _stem(verb.removeprefix("un") if kind == "remove" else verb)
    for column in sorted(columns):
        column_words = split_identifier(column)
        if "list" in column_words and acted in {_stem(w) for w in column_words}:
            return (kind, column, param.name)
    return None


def _state_tool(
    tool: SpecTool,
    source: ToolSpec,
    state: str,
    key: str,
    set_by: dict[str, str],
    columns: set[str],
) -> SpecTool | None:
    find = {STATE_ROW: SpecLookup(entity=state, by={key: 1})}
    params = {
        p.name: SpecParam(role="field", column=set_by[p.name])
        if p.name in set_by
        else SpecParam(role="option")
        for p in read_params(source.parameters)
    }
    change = _list_change(source, columns)
    chosen = _chosen_columns(source, columns)
    amounts = _amount_changes(source, columns, set(set_by.values()))
    if tool.access == "read" and change is None and chosen is None and not amounts:
        return SpecTool(
            kind="get", entity=state, access="read", params=params, find=find, returns=STATE_ROW
        )
    values: dict[str, Any] = {}
    if change is not None:
        verb, column, arg = change
        items = f"coalesce({STATE_ROW}.{column}, [])"
        ref = param_ref(arg)
        if verb == "add":
            values[column] = f"={items} if {ref} in {items} else {items} + [{ref}]"
        else:
            values[column] = f"=[v for v in {items} if v != {ref}]"
        params[arg] = SpecParam(role="option")
    elif chosen is not None:
        listing, switch, when_true, when_false, targets = chosen
        for column in targets:
            value = f"({when_true!r} if {param_ref(switch)} else {when_false!r})"
            values[column] = (
                f"={value} if {column!r} in coalesce({param_ref(listing)}, []) "
                f"else {STATE_ROW}.{column}"
            )
        params[listing] = SpecParam(role="option")
        params[switch] = SpecParam(role="option")
    else:
        values = {column: param_ref(name) for name, column in set_by.items()}
        values.update(_mapped_modes(source, columns, set(values)))
    effects = [SpecEffect(update=STATE_ROW, values=values)] if values else []
    effects += [e for e in amounts if not set(e.values) & set(values)]
    if not effects:
        return None
    return SpecTool(
        kind="update",
        entity=state,
        access="write",
        params=params,
        find=find,
        requires=(),
        effects=tuple(effects),
        returns=STATE_ROW,
        note="bound to the data's top-level values",
    )


SET_VERBS = frozenset("set change update configure assign".split())


def _chosen_columns(
    source: ToolSpec, columns: set[str]
) -> tuple[str, str, str, str, list[str]] | None:
    """``(list argument, switch, value when on, value when off, columns)`` of a tool that puts
    the state columns a list argument names into one of two states a switch chooses
    (``lockDoors(door=["driver"], unlock=True)``: the ``driver`` column becomes ``unlocked``;
    the two states are the ones its result lists, ``locked`` / ``unlocked``)."""
    params = read_params(source.parameters)
    states = [
        v
        for sub in read_returns(source.returns).entity_fields().values()
        for v in values_of(sub)
        if isinstance(v, str)
    ]
    if len(set(states)) != 2:
        return None
    squashed = {squash(c): c for c in columns}
    for listing in params:
        if listing.json_type != "array":
            continue
        named = [v for v in values_of(listing.schema) if isinstance(v, str)]
        targets = [squashed.get(squash(v)) for v in named]
        if len(named) < 2 or not all(targets):
            continue
        for switch in params:
            if switch.json_type != "boolean":
                continue
            on = [s for s in dict.fromkeys(states) if _stem(s) == _stem(switch.name)]
            if len(on) != 1:
                continue
            off = next(s for s in dict.fromkeys(states) if s != on[0])
            return listing.name, switch.name, on[0], off, [t for t in targets if t]
    return None


CHANGED_PREFIXES = ("new_", "updated_", "current_", "remaining_", "total_")
INCREASE_WORDS = frozenset("add adds fill fills fund funds deposit deposits top increase".split())
DECREASE_WORDS = frozenset(
    "withdraw withdraws subtract deduct deducts spend spends decrease reduce".split()
)


def _column_of(field: str, columns: set[str]) -> str | None:
    """The state column a result field shows (``new_balance`` shows ``balance``,
    ``_slopeAngle`` shows ``slope_angle``)."""
    if field in columns:
        return field
    squashed = {squash(c): c for c in columns}
    if squash(field) in squashed:
        return squashed[squash(field)]
    for prefix in CHANGED_PREFIXES:
        if field.startswith(prefix) and field[len(prefix) :] in columns:
            return field[len(prefix) :]
    return None


STATE_OF_VERB = {"start": "run", "run": "run", "on": "on", "off": "off"}
"""Modes whose state is another word (an engine started is ``running``)."""


def _stem(value: str) -> str:
    text = squash(value)
    for suffix in ("ed", "d", "ing", "s"):
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            text = text[: -len(suffix)]
            if len(text) > 3 and text[-1] == text[-2] and text[-1] not in "aeiou":
                text = text[:-1]  # stopped, running -> stop, run
            break
    if len(text) > 3 and text.endswith("e"):
        text = text[:-1]  # engage, engaged -> engag
    return STATE_OF_VERB.get(text, text)


def _mapped_modes(source: ToolSpec, columns: set[str], taken: set[str]) -> dict[str, Any]:
    """A state column set from an argument choosing among values that name its own states
    (``mode``: engage / release -> ``parking_brake_status``: engaged / released)."""
    info = read_returns(source.returns)
    found: dict[str, Any] = {}
    for param in read_params(source.parameters):
        given = [v for v in values_of(param.schema) if isinstance(v, str)]
        if len(given) < 2 or snake(param.name) in columns:
            continue
        for field, sub in info.entity_fields().items():
            column = _column_of(snake(field), columns)
            states = [v for v in values_of(sub) if isinstance(v, str)]
            if column is None or column in taken or len(states) < 2:
                continue
            pairs = []
            for value in given:
                match = next(
                    (s for s in states if squash(s) == squash(value) or _stem(s) == _stem(value)),
                    None,
                )
                if match is not None:
                    pairs.append((value, match))
            if len(pairs) < 2:
                continue
            expression = f"{STATE_ROW}.{column}"
            for value, state_value in reversed(pairs):
                expression = (
                    f"{state_value!r} if {param_ref(param.name)} == {value!r} else ({expression})"
                )
            found[column] = "=" + expression
            taken = taken | {column}
    return found


def _amount_changes(source: ToolSpec, columns: set[str], taken: set[str]) -> list[SpecEffect]:
    """A numeric state column an amount argument adds to or takes from (``fund_account(amount)``
    -> ``balance``; ``fillFuelTank(fuelAmount)``: "the additional fuel to add" -> ``fuel_level``)."""
    words = set(split_identifier(source.name)) | set(
        re.findall(r"[a-z]+", str(source.description).lower())
    )
    effects = []
    info = read_returns(source.returns)
    targets = [
        c
        for c in (_column_of(snake(f), columns) for f in info.entity_fields())
        if c and c not in taken
    ]
    for param in read_params(source.parameters):
        if param.json_type not in ("number", "integer") or snake(param.name) in columns:
            continue
        said = words | set(re.findall(r"[a-z]+", str(param.schema.get("description", "")).lower()))
        up = bool(said & INCREASE_WORDS) or "additional" in said
        down = bool(set(split_identifier(source.name)) & DECREASE_WORDS)
        if up == down:
            up, down = (False, True) if down else (up, False)
            if not (up or down):
                continue
        param_words = set(split_identifier(param.name)) - {"amount", "value", "number"}
        fitting = [c for c in targets if not param_words or param_words & set(c.split("_"))] or (
            targets if len(targets) == 1 else []
        )
        if len(fitting) != 1:
            continue
        op = "increment" if up and not down else "decrement"
        effects.append(SpecEffect(**{op: STATE_ROW, "values": {fitting[0]: param_ref(param.name)}}))
        taken = taken | {fitting[0]}
    return effects


# --- counters ----------------------------------------------------------------------------------


def _counter_column(entity: str, table: str, columns: dict[str, Any]) -> str | None:
    words = {entity, entity.split("_")[-1], table, singular(table)}
    for column, spec_column in columns.items():
        if spec_column.type != "INTEGER":
            continue
        for word in words:
            if column in (f"{word}_counter", f"next_{word}_id", f"{word}_id_counter"):
                return column
    return None


def bind_counters(
    spec: WorldSpec, rows: dict[str, list[dict[str, Any]]]
) -> tuple[WorldSpec, list[str]]:
    """A created row takes its key from the state's counter of its collection (``order_counter``
    beside ``orders``), which moves on by one, when the data agrees (the counter is above every
    key)."""
    state = _state_entity(spec)
    if state is None:
        return spec, []
    state_entity = spec.entities[state]
    state_row = (rows.get(state_entity.table) or [{}])[0]
    notes: list[str] = []
    tools = dict(spec.tools)
    for entity_name, entity in spec.entities.items():
        if entity_name == state or entity.parent is not None:
            continue
        counter = _counter_column(entity_name, entity.table, state_entity.columns)
        if counter is None or not isinstance(state_row.get(counter), int):
            continue
        keys = []
        for row in rows.get(entity.table, []):
            try:
                keys.append(int(row[entity.key]))
            except (TypeError, ValueError, KeyError):
                keys = None  # type: ignore[assignment]
                break
        if keys is None or (keys and max(keys) >= state_row[counter]):
            continue
        key_type = entity.columns[entity.key].type
        for name, tool in spec.tools.items():
            inserts = [
                e for e in tool.effects if e.insert == entity_name and entity.key not in e.values
            ]
            if len(inserts) != 1 or (
                STATE_ROW in tool.find and tool.find[STATE_ROW].entity != state
            ):
                continue
            value = f"={STATE_ROW}.{counter}"
            if key_type == "TEXT":
                value = f"=str({STATE_ROW}.{counter})"
            effects = [
                e.model_copy(update={"values": {entity.key: value, **e.values}})
                if e is inserts[0]
                else e
                for e in tool.effects
            ]
            effects.append(SpecEffect(increment=STATE_ROW, values={counter: 1}))
            find = {
                STATE_ROW: SpecLookup(entity=state, by={state_entity.key: 1}),
                **tool.find,
            }
            tools[name] = tool.model_copy(update={"find": find, "effects": tuple(effects)})
            notes.append(
                f"tool {name}: a new {entity_name.replace('_', ' ')} takes its key from "
                f"{counter}, which moves on by one"
            )
    return spec.model_copy(update={"tools": tools}), notes


def unrecorded_calls(spec: WorldSpec, data_tables: set[str]) -> tuple[WorldSpec, list[str]]:
    """A write the inference could only keep as a bare new row of a data table (no argument
    fills it: ``ticket_login`` adding an empty ticket) changes nothing of the data: its result
    is computed from its arguments instead, and the data is left as it is."""
    tools = dict(spec.tools)
    notes = []
    for name, tool in spec.tools.items():
        if tool.access != "write" or len(tool.effects) != 1:
            continue
        effect = tool.effects[0]
        entity = spec.entity(effect.insert)
        if entity is None or entity.table not in data_tables or effect.values:
            continue
        tools[name] = SpecTool(
            kind="compute",
            access="read",
            params={p: SpecParam(role="option") for p in tool.params},
            fallback=True,
            note=f"no argument fills a {effect.insert.replace('_', ' ')}; the data is not changed",
        )
        notes.append(
            f"tool {name}: no argument fills a {effect.insert.replace('_', ' ')} of table "
            f"{entity.table}; it does not add an empty one (its result is computed)"
        )
    return spec.model_copy(update={"tools": tools}), notes


def initial_states(spec: WorldSpec, data_tables: set[str]) -> tuple[WorldSpec, list[str]]:
    """A row a tool creates in a data table starts in its status's initial value when no
    argument sets it: of the values that name a start (``open``, ``pending``, ``new``...), the
    one the docs list first (``Open`` of Open / Pending / Completed / Cancelled: a lifecycle is
    written in its order)."""
    from agentscaler.worlds.infer.operations import INITIAL_STATUSES, initial_status, norm_status

    created = {e.insert for t in spec.tools.values() for e in t.effects if e.insert}
    entities = dict(spec.entities)
    notes = []
    for name in sorted(created):
        entity = entities.get(name)
        if entity is None or entity.table not in data_tables:
            continue
        for column_name, column in entity.columns.items():
            if column.kind != "status" or not column.values or column.default is not None:
                continue
            sets = any(
                column_name in e.values
                for t in spec.tools.values()
                for e in t.effects
                if e.insert == name
            )
            starts = [v for v in column.values if norm_status(str(v)) in INITIAL_STATUSES]
            start = str(starts[0]) if starts else initial_status(column.values)
            if sets or start is None:
                continue
            columns = {**entity.columns, column_name: column.model_copy(update={"default": start})}
            entity = entity.model_copy(update={"columns": columns})
            entities[name] = entity
            notes.append(f"table {entity.table}: a new row's {column_name} starts {start}")
    return spec.model_copy(update={"entities": entities}), notes


# --- what a new record holds -------------------------------------------------------------------

JSON_COLUMN_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "BOOLEAN",
    "array": "JSON",
    "object": "JSON",
}


def _key_field(field: str, entity_name: str) -> bool:
    """A response field that is a record's key under another name (``id``, ``order_id``)."""
    return squash(field) in {
        "id",
        squash(entity_name) + "id",
        squash(entity_name.split("_")[-1]) + "id",
    }


def store_created_fields(
    spec: WorldSpec, tools: list[ToolSpec], plan: ImportPlan
) -> tuple[WorldSpec, list[str]]:
    """A record a tool creates in a data table keeps what the call gave it: each argument that
    names no column becomes a column of its own (``place_order(order_type, amount)`` -> the new
    order's ``order_type`` and ``amount``), and the key is stored in the record under the name
    the reads of that record return it by (``get_order_details`` -> ``id``) when the data's
    records do not hold it. Rows of the data lack these fields and are written back without
    them."""
    by_name = {t.name: t for t in tools}
    data_tables = {t.name for t in plan.tables}
    entities = dict(spec.entities)
    tools_out = dict(spec.tools)
    notes: list[str] = []
    added: dict[str, list[str]] = {}
    for name, tool in spec.tools.items():
        source = by_name.get(name)
        inserts = [e for e in tool.effects if e.insert]
        if source is None or len(inserts) != 1:
            continue
        entity_name = inserts[0].insert
        entity = entities.get(entity_name)
        if entity is None or entity.table not in data_tables or entity.parent is not None:
            continue
        insert = inserts[0]
        values = dict(insert.values)
        params = dict(tool.params)
        columns = dict(entity.columns)
        new: list[str] = []
        for param in read_params(source.parameters):
            role = params.get(param.name)
            column = snake(param.name)
            if role is None or role.role != "option" or column in columns or param.entity:
                continue
            if not column.isidentifier() or param.json_type not in JSON_COLUMN_TYPES:
                continue
            columns[column] = SpecColumn(
                type=JSON_COLUMN_TYPES[param.json_type],  # type: ignore[arg-type]
                description=f"Given to {name} when the record is created.",
            )
            values[column] = param_ref(param.name)
            params[param.name] = SpecParam(role="field", column=column)
            new.append(column)
        retyped = _widened(source, params, columns, entity.key)
        find = dict(tool.find)
        creator = _creator_from_state(spec, entity, values)
        if creator is not None:
            column, state_column = creator
            values[column] = f"={STATE_ROW}.{state_column}"
            state = _state_entity(spec)
            find.setdefault(STATE_ROW, SpecLookup(entity=state, by={spec.entities[state].key: 1}))
            new.append(column)
        for param in read_params(source.parameters):
            default = param.schema.get("default")
            ref = param_ref(param.name)
            if isinstance(default, (list, str, int, float)) and not isinstance(default, bool):
                for column, value in values.items():
                    if value == ref:
                        values[column] = f"=coalesce({ref}, {default!r})"
                        new += [] if column in new else [column]
        key_value = values.get(entity.key)
        if key_value is not None:
            for read_name, read in spec.tools.items():
                if read.kind != "get" or read.entity != entity_name or read_name not in by_name:
                    continue
                for field in read_returns(by_name[read_name].returns).entity_fields():
                    column = snake(field)
                    if column in columns or not _key_field(field, entity_name):
                        continue
                    columns[column] = columns[entity.key].model_copy(
                        update={"description": f"The record's key, as {read_name} returns it."}
                    )
                    values[column] = key_value
                    new.append(column)
        if retyped:
            entities[entity_name] = entity.model_copy(update={"columns": columns})
            entity = entities[entity_name]
            notes.append(
                f"tool {name}: gives a new {entity_name.replace('_', ' ')} "
                + ", ".join(f"{c} as {t}" for c, t in retyped)
                + f", a type the data's values are not; table {entity.table} keeps each value "
                "as given (a JSON column)"
            )
        if not new:
            continue
        entities[entity_name] = entity.model_copy(update={"columns": columns})
        effects = tuple(
            e.model_copy(update={"values": values}) if e is insert else e for e in tool.effects
        )
        tools_out[name] = tool.model_copy(
            update={"params": params, "effects": effects, "find": find}
        )
        added.setdefault(entity.table, []).extend(
            c for c in new if c not in added.get(entity.table, [])
        )
        notes.append(
            f"tool {name}: a new {entity_name.replace('_', ' ')} keeps {', '.join(new)} "
            f"(columns of table {entity.table} the data's records do not have)"
        )
    for table, columns in added.items():
        _add_absent_fields(plan, table, columns)
    return spec.model_copy(update={"entities": entities, "tools": tools_out}), notes


def _widened(
    source: ToolSpec, params: dict[str, SpecParam], columns: dict[str, SpecColumn], key: str
) -> list[tuple[str, str]]:
    """``(column, JSON type)`` of the columns a creating tool fills with values of another type than the data's (the
    data's ``priority`` is ``"High"``, ``create_ticket`` takes an integer from 1 to 5): each
    becomes a JSON column, which keeps the data's values and the tool's as they are given
    (a text column would read the integer back as text). Changes ``columns``."""
    widened = []
    for param in read_params(source.parameters):
        role = params.get(param.name)
        if role is None or role.role != "field" or role.column in (None, key):
            continue
        column = columns.get(role.column)
        wanted = JSON_COLUMN_TYPES.get(param.json_type or "")
        if column is None or wanted is None or column.type in (wanted, "JSON"):
            continue
        if (column.type, wanted) == ("REAL", "INTEGER"):
            continue  # an integer is a number
        columns[role.column] = column.model_copy(update={"type": "JSON", "values": None})
        widened.append((role.column, param.json_type or ""))
    return widened


CREATOR_COLUMNS = frozenset(
    "created_by author owner creator username user user_name posted_by sender".split()
)
SESSION_USER_COLUMNS = frozenset(
    "current_user username user user_name logged_in_user current_username".split()
)


def _creator_from_state(
    spec: WorldSpec, entity: Any, values: dict[str, Any]
) -> tuple[str, str] | None:
    """``(column, state column)``: a new record's author is the session's user, when the
    record has one author column no argument sets and the state holds one current user
    (``tweets.username`` <- ``username``, ``created_by`` <- ``current_user``)."""
    state = _state_entity(spec)
    if state is None or STATE_ROW in values:
        return None
    if spec.entity_of_table(entity.table) == state:
        return None
    users = [c for c in spec.entities[state].columns if c in SESSION_USER_COLUMNS]
    authors = [
        c for c in entity.columns if c in CREATOR_COLUMNS and c not in values and c != entity.key
    ]
    if len(users) != 1 or len(authors) != 1:
        return None
    if spec.entities[state].columns[users[0]].type != entity.columns[authors[0]].type:
        return None
    return authors[0], users[0]


def _add_absent_fields(plan: ImportPlan, table: str, columns: list[str]) -> None:
    """Fields only new records hold: written when set, absent otherwise."""

    def walk(shape: CollectionShape) -> CollectionShape:
        fields = tuple(
            f.model_copy(update={"child": walk(f.child)}) if f.child is not None else f
            for f in shape.fields
        )
        if shape.table == table:
            known = {f.field for f in fields}
            fields += tuple(
                FieldShape(field=c, column=c, null_absent=True) for c in columns if c not in known
            )
        return shape.model_copy(update={"fields": fields})

    plan.shape = plan.shape.model_copy(
        update={"collections": tuple(walk(c) for c in plan.shape.collections)}
    )


def status_of_transitions(spec: WorldSpec, plan: ImportPlan) -> tuple[WorldSpec, list[str]]:
    """A tool that moves a record of the data to the status its verb names (``close_ticket``
    -> ``closed``) when the data's records hold no status: the status is a column of its own,
    which the tool sets; the data's records, which have none, are written back without it
    (the transition would otherwise change nothing)."""
    data_tables = {t.name for t in plan.tables} - {STATE_TABLE}
    entities = dict(spec.entities)
    tools = dict(spec.tools)
    notes: list[str] = []
    for name, tool in spec.tools.items():
        entity = entities.get(tool.entity or "")
        if tool.kind != "transition" or entity is None or entity.table not in data_tables:
            continue
        if any(
            (n == STATUS_COLUMN or c.kind == "status") and c.description != _ADDED_STATUS
            for n, c in entity.columns.items()
        ):
            continue
        verb = next((w for w in split_identifier(name) if w in TRANSITIONS), None)
        main = next(
            (r for r, f in tool.find.items() if f.entity == tool.entity and f.each is None), None
        )
        effect = next((e for e in tool.effects if e.update == main and e.each is None), None)
        if verb is None or effect is None or STATUS_COLUMN in effect.values:
            continue
        target = TRANSITIONS[verb][0]
        if STATUS_COLUMN not in entity.columns:
            columns = {
                **entity.columns,
                STATUS_COLUMN: SpecColumn(type="TEXT", kind="status", description=_ADDED_STATUS),
            }
            entity = entity.model_copy(update={"columns": columns})
            entities[tool.entity] = entity  # type: ignore[index]
            _add_absent_fields(plan, entity.table, [STATUS_COLUMN])
        values = {STATUS_COLUMN: target, **effect.values}
        tools[name] = tool.model_copy(
            update={
                "effects": tuple(
                    e.model_copy(update={"values": values}) if e is effect else e
                    for e in tool.effects
                )
            }
        )
        notes.append(
            f"tool {name}: sets the {STATUS_COLUMN} of a {tool.entity.replace('_', ' ')} to "
            f"{target!r}; the data's records hold no status (a column of table {entity.table} "
            "written back once set)"
        )
    return spec.model_copy(update={"entities": entities, "tools": tools}), notes


STATUS_COLUMN = "status"
_ADDED_STATUS = "The status a tool moved the record to (the data's records hold none)."


def styled_status_values(spec: WorldSpec, plan: ImportPlan) -> tuple[WorldSpec, list[str]]:
    """A status a tool sets is written in the style of the data's own values (the data's
    ``Open`` and ``In Progress``: a ticket resolved becomes ``Resolved``, not ``resolved``)."""
    tools = dict(spec.tools)
    notes = []
    for name, tool in spec.tools.items():
        effects = []
        changed = False
        for effect in tool.effects:
            entity = spec.entity(effect.insert or effect.update or "")
            values = dict(effect.values)
            for column, value in effect.values.items():
                spec_column = entity.columns.get(column) if entity is not None else None
                if spec_column is None or spec_column.kind != "status":
                    continue
                if not isinstance(value, str) or not value or value[0] in "=$":
                    continue
                seen = {
                    r.get(column) for r in plan.rows.get(entity.table, []) if r.get(column)
                } | set(spec_column.values or ())
                texts = [v for v in seen if isinstance(v, str) and v[:1].isalpha()]
                if value in seen or not texts or not value.islower():
                    continue
                if all(v[0].isupper() for v in texts):
                    values[column] = " ".join(w.capitalize() for w in value.split(" "))
                    notes.append(
                        f"tool {name}: sets {column} to {values[column]} (the data's values are "
                        "capitalised)"
                    )
                    changed = True
            effects.append(effect.model_copy(update={"values": values}))
        if changed:
            tools[name] = tool.model_copy(update={"effects": tuple(effects)})
    return spec.model_copy(update={"tools": tools}), notes


# --- checks of given values against the state --------------------------------------------------


def check_given_values(
    spec: WorldSpec, tools: list[ToolSpec], data_tables: set[str]
) -> tuple[WorldSpec, list[str]]:
    """A read that takes values the state row holds (``authenticate(username, password)``, with
    the data's ``username`` and ``password``) and returns one yes / no field answers whether
    each given value is the state's: the docs name what it checks, the data holds what it
    checks against."""
    state = _state_entity(spec)
    if state is None:
        return spec, []
    entity = spec.entities[state]
    columns = set(entity.columns) - {entity.key}
    by_name = {t.name: t for t in tools}
    tools_out = dict(spec.tools)
    notes = []
    for name, tool in spec.tools.items():
        source = by_name.get(name)
        if source is None or tool.access != "read":
            continue
        current = spec.entity(tool.entity)
        if current is not None and current.table in data_tables:
            continue
        returned = read_returns(source.returns).entity_fields()
        params = read_params(source.parameters)
        if len(returned) != 1 or next(iter(returned.values())).get("type") != "boolean":
            continue
        if len(params) < 2 or not all(p.required and p.json_type == "string" for p in params):
            continue
        checked = {p.name: _column_of(snake(p.name), columns) for p in params}
        if not all(checked.values()) or len(set(checked.values())) != len(checked):
            continue
        answer = " and ".join(f"{param_ref(p)} == {STATE_ROW}.{c}" for p, c in checked.items())
        tools_out[name] = SpecTool(
            kind="compute",
            access="read",
            params={p: SpecParam(role="option") for p in checked},
            find={STATE_ROW: SpecLookup(entity=state, by={entity.key: 1})},
            compute={next(iter(returned)): f"={answer}"},
            note="checks the given values against the data's top-level values",
        )
        notes.append(
            f"tool {name}: answers whether {', '.join(checked)} are the data's "
            f"{', '.join(str(c) for c in checked.values())}"
        )
    return spec.model_copy(update={"tools": tools_out}), notes
