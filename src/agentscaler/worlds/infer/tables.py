"""Final tables of a domain from its entity drafts: keys and id formats, columns, relations."""

from __future__ import annotations

import re
from typing import Any

from agentscaler.naming import plural
from agentscaler.records.world import Column, Relation, Table
from agentscaler.worlds.infer.drafts import Entities, EntityDraft, merge_types
from agentscaler.worlds.infer.operations import initial_status, norm_status
from agentscaler.worlds.infer.schema_merge import choose_pattern
from agentscaler.worlds.infer.semantics import semantic_of
from agentscaler.worlds.infer.toolshape import id_format
from agentscaler.worlds.spellings import spelling, typed_enum


def build_tables(entities: Entities) -> tuple[list[Table], list[Relation]]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for entity in entities.drafts:
        table = plural_table(entity)
        base, n = table, 2
        while table in used:
            table, n = f"{base}_{n}", n + 1
        used.add(table)
        names[entity] = table
        entities.drafts[entity].table = table
    prefixes: set[str] = set()
    tables: list[Table] = []
    relations: list[Relation] = []
    for entity, draft in entities.drafts.items():
        key_type = _key_type(draft)
        stated = id_format(draft.key_sources)
        prefix, width, pattern = stated or ("", 0, None)
        if pattern is not None:
            patterns = [
                s["pattern"] for s, _ in draft.key_sources if isinstance(s.get("pattern"), str)
            ]
            pattern = choose_pattern(list(dict.fromkeys(patterns)))[0] or pattern
        if key_type == "TEXT" and "INTEGER" in draft.key_types:
            # some tools pass this id as an integer: keep ids all digits so every tool can name
            # them, as wide as the string tools' patterns and lengths want
            prefix, width, pattern = "", _digit_width(draft.key_sources), None
        elif key_type == "TEXT" and stated is None:
            prefix, width = _default_prefix(entity, prefixes), 5
        prefixes.add(prefix)
        if key_type == "INTEGER":
            prefix, width, pattern = "", 0, None
        key_schema, key_enum = _key_schema(draft.key_sources, key_type)
        columns = [
            Column(
                name=draft.key,
                type=key_type,
                nullable=False,
                primary_key=True,
                enum=key_enum,
                semantic="id",
                description=f"Identifier of the {entity.replace('_', ' ')}.",
                value_schema=_clean_schema(key_schema),
            )
        ]
        indexes: list[str] = []
        for name, draft_column in draft.columns.items():
            if name == draft.key:
                continue
            enum = draft_column.enum()
            is_status = name == draft.status_column
            if is_status and (enum is None or draft_column.free_values):
                values = list(enum or [])
                for value in draft.status_values:
                    if value not in values and norm_status(value) not in {
                        norm_status(v) for v in values
                    }:
                        values.append(value)
                targets = {norm_status(v) for v in draft.status_values}
                initial = initial_status(None, [v for v in values if norm_status(v) not in targets])
                if norm_status(initial) in targets:
                    initial = "active" if "active" not in targets else "pending"
                if initial not in values:
                    values.insert(0, initial)
                enum = values if enum is None else enum + [v for v in values if v not in enum]
            references = draft_column.references
            ref_table = names.get(references) if references else None
            col_type = merge_types(draft_column.types) if draft_column.types else "TEXT"
            if ref_table is not None:
                if "JSON" in draft_column.types and set(draft_column.types) - {"JSON"} == set():
                    ref_table = None  # lists or objects of ids are not one foreign key
                else:
                    ref_draft = entities.drafts[references]  # type: ignore[index]
                    col_type = _key_type(ref_draft)
            semantic = "id" if ref_table else semantic_of(name, draft_column.schema, entity)
            if is_status:
                semantic = "status"
            value_schema = _clean_schema(draft_column.value_schema())
            if not is_status and ref_table is None:
                enum, value_schema = typed_enum(enum, value_schema)
                held = (value_schema or {}).get("enum")
                if enum and isinstance(held, list):  # a tool's own spelling of a held value
                    enum = [v for v in enum if v in held or not spelling([v], held)] or None
            default = None
            if is_status or (name in ("status", "state") and enum):
                default = initial_status(enum)
            columns.append(
                Column(
                    name=name,
                    type=col_type,
                    references=ref_table,
                    enum=tuple(enum) if enum else None,
                    semantic=semantic,
                    description=draft_column.description[:300],
                    value_schema=value_schema,
                    default=default,
                )
            )
            if ref_table is not None:
                relations.append(
                    Relation(
                        table=draft.table,
                        column=name,
                        ref_table=ref_table,
                        ref_column=ref_draft.key,
                    )
                )
            if (ref_table is not None or draft_column.indexed or is_status) and col_type != "JSON":
                indexes.append(name)
        tables.append(
            Table(
                name=draft.table,
                entity=entity,
                primary_key=draft.key,
                id_prefix=prefix,
                id_width=width,
                id_pattern=pattern,
                columns=tuple(columns),
                indexes=tuple(indexes),
            )
        )
    return tables, relations


def _key_schema(
    sources: list[tuple[dict[str, Any], str]], key_type: str
) -> tuple[dict[str, Any], tuple[Any, ...] | None]:
    """One schema for an entity's ids that every tool's id schema accepts, where possible:
    the intersection of numeric bounds, and the ids an enum lists."""
    schemas = [s for s, _ in sources if s]
    schema = dict(
        next((s for s in schemas if "pattern" in s), schemas[0] if schemas else {"type": "string"})
    )
    patterns = list(
        dict.fromkeys(s["pattern"] for s in schemas if isinstance(s.get("pattern"), str))
    )
    if len(patterns) > 1:
        chosen, also = choose_pattern(patterns)
        if chosen is not None:
            schema["pattern"] = chosen
            if also:
                schema["allOf"] = [{"pattern": p} for p in also]
    for key, pick in (("minLength", max), ("maxLength", min)):
        lengths = [s[key] for s in schemas if isinstance(s.get(key), int)]
        if lengths:
            schema[key] = pick(lengths)
    minimums = [s["minimum"] for s in schemas if isinstance(s.get("minimum"), (int, float))]
    maximums = [s["maximum"] for s in schemas if isinstance(s.get("maximum"), (int, float))]
    if minimums:
        schema["minimum"] = max(minimums)
    if maximums:
        schema["maximum"] = min(maximums)
    if minimums and maximums and schema["minimum"] > schema["maximum"]:
        schema.pop("maximum")
    lists: list[list[Any]] = []
    for source in schemas:
        ids: list[Any] = []
        for value in source.get("enum") or ():
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                value = value if key_type == "INTEGER" or isinstance(value, str) else str(value)
                if value not in ids:
                    ids.append(value)
        if ids:
            lists.append(ids)
    # the ids every tool listing them can name, else all of them
    enum = [v for v in lists[0] if all(v in ids for ids in lists[1:])] if lists else []
    if not enum:
        enum = list(dict.fromkeys(v for ids in lists for v in ids))
    return schema, (tuple(enum) if enum else None)


def _digit_width(sources: list[tuple[dict[str, Any], str]]) -> int:
    """The narrowest width (from 5) of an all-digit id every string id schema accepts."""
    for width in (*range(5, 41), 4, 3, 2, 1):
        text = "1" * width
        ok = True
        for schema, _ in sources:
            pattern = schema.get("pattern")
            try:
                if isinstance(pattern, str) and not re.search(pattern, text):
                    ok = False
            except re.error:
                continue
            low, high = schema.get("minLength"), schema.get("maxLength")
            if (isinstance(low, int) and width < low) or (isinstance(high, int) and width > high):
                ok = False
        if ok:
            return width
    return 5


def _key_type(draft: EntityDraft) -> str:
    key_type = merge_types(draft.key_types) if draft.key_types else "TEXT"
    return key_type if key_type in ("TEXT", "INTEGER") else "TEXT"


def plural_table(entity: str) -> str:
    parts = entity.split("_")
    table = "_".join((*parts[:-1], plural(parts[-1])))
    if table.startswith("sqlite"):
        table = "t_" + table
    return table


def _default_prefix(entity: str, used: set[str]) -> str:
    parts = [p for p in entity.split("_") if p]
    letters = "".join(p[0] for p in parts) if len(parts) > 1 else parts[0][:3]
    letters = (letters + entity.replace("_", ""))[:3].upper()
    prefix = letters + "-"
    n = 2
    while prefix in used:
        prefix = f"{letters}{n}-"
        n += 1
    return prefix


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    if not schema:
        return None
    return {k: v for k, v in schema.items() if k not in ("description", "title", "default")}
