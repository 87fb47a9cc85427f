"""Tables from data: collections become tables, nested lists of records child tables with their
parent's key, nested objects JSON columns; keys, foreign keys and semantic kinds from the values.

Every choice that loses nothing but is not obvious is said in a warning that names the path in
the data (``$.orders[3].total``) and what was done; the data's shape is recorded so that
:func:`agentscaler.worlds.importing.shape.export_document` writes any state back the same way.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.errors import DataImportError
from agentscaler.naming import entity_of_parameter, singular, split_identifier
from agentscaler.records.world import Column, Relation, Table
from agentscaler.worlds.importing.read import Declared, Source
from agentscaler.worlds.importing.shape import CollectionShape, DataShape, FieldShape
from agentscaler.worlds.importing.tree import (
    CURRENT_COLUMN,
    NAME_COLUMN,
    NODE_KEY,
    PARENT_COLUMN,
    SESSION_KEY,
    SESSION_TABLE,
    flatten,
    nesting_field,
    nesting_rule,
)
from agentscaler.worlds.infer.semantics import semantic_of
from agentscaler.worlds.infer.tables import plural_table
from agentscaler.worlds.interface import snake

log = logging.getLogger(__name__)

STATE_TABLE = "state"
"""Table of the top-level values of a document that are not collections (one row, key 1)."""
MAX_DEPTH = 4
"""Nested lists of records deeper than this stay JSON columns."""
INT64 = 2**63
_ABSENT = object()

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(r"^https?://\S+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KEY_WORDS = frozenset("id code number key symbol sku slug username handle uuid".split())


@dataclass
class ImportPlan:
    """Tables, rows and shape of a data set, and what was said about it."""

    tables: list[Table]
    relations: list[Relation]
    rows: dict[str, list[dict[str, Any]]]
    shape: DataShape
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    name: str
    entity: str
    path: str
    key: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    """Column -> type, in order."""
    semantics: dict[str, str | None] = field(default_factory=dict)
    enums: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    synthetic: bool = False
    parent: tuple[str, str, str] | None = None
    """(parent table, column holding its key, the parent's field)."""
    references: dict[str, tuple[str, str]] = field(default_factory=dict)


class _Planner:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.drafts: dict[str, _Draft] = {}
        self.warnings: list[str] = []
        self.entities: set[str] = set()

    def warn(self, text: str) -> None:
        log.warning("%s", text)
        self.warnings.append(text)

    # --- names ---------------------------------------------------------------------------
    def _table_name(self, wanted: str) -> str:
        name = snake(wanted)
        if name.startswith("sqlite"):
            name = "t_" + name
        base, n = name, 2
        while name in self.drafts:
            name, n = f"{base}_{n}", n + 1
        return name

    def _entity(self, table: str) -> str:
        words = table.split("_")
        entity = "_".join((*words[:-1], singular(words[-1])))
        base, n = entity, 2
        while entity in self.entities:
            entity, n = f"{base}_{n}", n + 1
        self.entities.add(entity)
        return entity

    # --- collections ---------------------------------------------------------------------
    def collection(
        self,
        name: str,
        records: list[tuple[str | None, Any]],
        style: str,
        path: str,
        *,
        declared: Declared | None = None,
        parent: tuple[_Draft, str, str, list[Any]] | None = None,
        depth: int = 0,
        chain: tuple[str, ...] = (),
    ) -> CollectionShape:
        """Plan one collection; ``records`` are ``(dict key or None, record)`` in data order."""
        if parent is not None:
            words = snake(name).split("_")
            entity_base = "_".join((*words[:-1], singular(words[-1])))
            if not entity_base.startswith(parent[0].entity):
                entity_base = f"{parent[0].entity}_{entity_base}"
            table = self._table_name(plural_table(entity_base))
        else:
            table = self._table_name(name)
        entity = self._entity(table)
        draft = _Draft(name=table, entity=entity, path=path)
        self.drafts[table] = draft
        fields: list[str] = []
        seen: set[str] = set()
        for _, record in records:
            for f in record:
                if f not in seen:
                    seen.add(f)
                    fields.append(f)
        if declared is not None and declared.header:
            fields = list(declared.header)
        columns: dict[str, str] = {}
        used: set[str] = set()
        for f in fields:
            column = snake(f)
            base, n = column, 2
            while column in used:
                column, n = f"{base}_{n}", n + 1
            used.add(column)
            columns[f] = column
        values = {f: [r.get(f, _ABSENT) for _, r in records] for f in fields}
        child_fields = [
            f for f in fields if self._is_child(values[f]) and depth < MAX_DEPTH and f not in chain
        ]
        for f in fields:
            if f in chain and self._is_child(values[f]):
                self.warn(
                    f"{path}[*].{f}: records nest records of the same field again (cyclic "
                    f"nesting); kept as a JSON column of {table}"
                )
        # key
        keys: list[Any]
        key_field = self._key_field(style, records, fields, values, entity, declared)
        if key_field is not None:
            draft.key = columns[key_field]
            keys = [r[key_field] for _, r in records]
        else:
            draft.synthetic = True
            draft.key = (
                self._free(f"{entity.split('_')[-1]}_id", used)
                if style != "single"
                else self._free("state_id", used)
            )
            used.add(draft.key)
            if style in ("dict", "wrapped"):
                keys = [k for k, _ in records]
            else:
                start = 1
                keys = list(range(start, start + len(records)))
        key_type = self._key_type(keys, draft, path)
        if key_type == "TEXT":
            keys = [str(k) for k in keys]
        draft.columns[draft.key] = key_type
        if len({canonical_json(k) for k in keys}) != len(keys):
            raise DataImportError(
                f"{path}: duplicate keys in {draft.key} ({_duplicates(keys)}); each record "
                "needs its own key"
            )
        if parent is not None:
            parent_draft, parent_column, _, _ = parent
            parent_column = self._free(parent_column, used)
            used.add(parent_column)
            draft.columns[parent_column] = parent_draft.columns[parent_draft.key]
            draft.parent = (parent_draft.name, parent_column, name)
            draft.references[parent_column] = (parent_draft.name, parent_draft.key)
        rows: list[dict[str, Any]] = []
        for index in range(len(records)):
            row: dict[str, Any] = {draft.key: keys[index]}
            if parent is not None:
                row[draft.parent[1]] = parent[3][index]  # type: ignore[index]
            rows.append(row)
        shapes: list[FieldShape] = []
        for f in fields:
            column = columns[f]
            column_values = values[f]
            absent = tuple(keys[i] for i, v in enumerate(column_values) if v is _ABSENT)
            present = [v for v in column_values if v is not _ABSENT]
            if f in child_fields:
                nulls = tuple(keys[i] for i, v in enumerate(column_values) if v is None)
                items: list[tuple[str | None, Any]] = []
                owners: list[Any] = []
                for i, v in enumerate(column_values):
                    if isinstance(v, list):
                        for item in v:
                            items.append((None, item))
                            owners.append(keys[i])
                parent_key_column = (
                    f"{draft.entity}_id" if draft.key in ("id", "key") else draft.key
                )
                child = self.collection(
                    f,
                    items,
                    "list",
                    f"{path}[*].{f}",
                    parent=(draft, parent_key_column, f, owners),
                    depth=depth + 1,
                    chain=(*chain, f),
                )
                shapes.append(
                    FieldShape(field=f, column=column, child=child, absent=absent, nulls=nulls)
                )
                continue
            if style == "single" and _is_flat_object(present):
                shapes.append(self._object_parts(draft, f, column, present[0], rows[0], used))
                continue
            # a field the data never holds null in: a null (a new record given no value) is
            # written absent; the state row's values are always written
            null_absent = (bool(absent) or (style != "single" and bool(present))) and all(
                v is not None for v in present
            )
            if column == draft.key:
                shapes.append(FieldShape(field=f, column=column))
                continue
            draft.columns[column] = self._column_type(
                f"{path}[*].{f}",
                [v for v in present if v is not None],
                declared.types.get(f) if declared else None,
            )
            if declared is not None and f in declared.references:
                ref_table, ref_column = declared.references[f]
                draft.references[column] = (
                    snake(ref_table),
                    snake(ref_column) if ref_column else "",
                )
            for row, v in zip(rows, column_values, strict=True):
                row[column] = None if v is _ABSENT else v
            shapes.append(
                FieldShape(
                    field=f,
                    column=column,
                    absent=() if null_absent else absent,
                    null_absent=null_absent,
                )
            )
        draft.rows = rows
        order = tuple(keys) if style != "dict" else ()
        return CollectionShape(
            name=name,
            table=table,
            style=style,  # type: ignore[arg-type]
            key=draft.key,
            fields=tuple(shapes),
            order=order,
            parent_column=draft.parent[1] if draft.parent else None,
            file=declared.file if declared else "",
            sql=declared.sql if declared else "",
        )

    def tree(self, name: str, value: dict[str, Any], nest: str, path: str) -> CollectionShape:
        """Plan a collection whose records nest records of their own shape through ``nest``:
        one self-referencing table of nodes and a session table holding the current node."""
        table = self._table_name(name)
        draft = _Draft(name=table, entity=self._entity(table), path=path, key=NODE_KEY)
        self.drafts[table] = draft
        fields, rows, facts = flatten(value, nest)
        used = {NODE_KEY, PARENT_COLUMN, NAME_COLUMN}
        draft.columns = {NODE_KEY: "INTEGER", PARENT_COLUMN: "INTEGER", NAME_COLUMN: "TEXT"}
        draft.references[PARENT_COLUMN] = (table, NODE_KEY)
        bare = set(facts["bare"])
        shapes: list[FieldShape] = []
        for f in fields:
            column = self._free(snake(f) or "value", used)
            used.add(column)
            present = [r[f] for r in rows if f in r]
            absent = tuple(r[NODE_KEY] for r in rows if f not in r)
            draft.columns[column] = self._column_type(
                f"{path}..{f}", [v for v in present if v is not None], None
            )
            null_absent = bool(absent) and all(v is not None for v in present)
            if column != f:
                for row in rows:
                    if f in row:
                        row[column] = row.pop(f)
            shapes.append(
                FieldShape(
                    field=f,
                    column=column,
                    absent=() if null_absent else absent,
                    null_absent=null_absent,
                )
            )
        for row in rows:
            for column in draft.columns:
                row.setdefault(column, None)
        draft.rows = rows
        rule = nesting_rule(rows, [s.column for s in shapes], bare)
        session = self._table_name(SESSION_TABLE)
        current = _Draft(name=session, entity=self._entity(session), path=path, key=SESSION_KEY)
        current.synthetic = True
        current.columns = {SESSION_KEY: "INTEGER", CURRENT_COLUMN: "INTEGER"}
        current.references[CURRENT_COLUMN] = (table, NODE_KEY)
        current.rows = [{SESSION_KEY: 1, CURRENT_COLUMN: rows[0][NODE_KEY]}]
        self.drafts[session] = current
        return CollectionShape(
            name=name,
            table=table,
            style="tree",
            key=NODE_KEY,
            fields=tuple(shapes),
            order=tuple(r[NODE_KEY] for r in rows),
            parent_column=PARENT_COLUMN,
            name_column=NAME_COLUMN,
            nest_field=nest,
            nest_when=rule,
            bare=() if rule else tuple(sorted(bare)),
            session=session,
        )

    def _object_parts(
        self,
        draft: _Draft,
        field_name: str,
        column: str,
        value: dict[str, Any],
        row: dict[str, Any],
        used: set[str],
    ) -> FieldShape:
        """A top-level object (``account_info``) kept as one column per key, so that tools
        read and write its values like any column (``balance``)."""
        parts = []
        for inner, inner_value in value.items():
            name = snake(inner)
            if not name or name in used or name in draft.columns:
                name = self._free(f"{column}_{name}".strip("_"), used | set(draft.columns))
            used.add(name)
            draft.columns[name] = self._column_type(
                f"$.{field_name}.{inner}", [] if inner_value is None else [inner_value], None
            )
            row[name] = inner_value
            parts.append(FieldShape(field=inner, column=name))
        return FieldShape(field=field_name, column=column, parts=tuple(parts))

    def empty(self, name: str, style: str, path: str, like: Table) -> CollectionShape:
        """A collection the data gives empty (``"tweets": {}``) that the tools keep records
        in: a table with the columns the tools give such records (``like``), keyed as the
        records will be, so records created there are written back in the collection."""
        table = self._table_name(name)
        draft = _Draft(name=table, entity=self._entity(table), path=path, synthetic=True)
        self.drafts[table] = draft
        key_column = like.column(like.primary_key)
        draft.key = like.primary_key
        draft.columns[draft.key] = key_column.type if key_column is not None else "TEXT"
        shapes = []
        for column in like.columns:
            if column.name == draft.key or column.name in draft.columns:
                continue
            draft.columns[column.name] = column.type
            if column.enum:
                draft.enums[column.name] = column.enum
            shapes.append(FieldShape(field=column.name, column=column.name, null_absent=True))
        self.warn(
            f"{path}: an empty collection; its records take the fields the tools give "
            f"{draft.entity.replace('_', ' ')} records ({', '.join(s.field for s in shapes)})"
        )
        return CollectionShape(
            name=name,
            table=table,
            style=style,  # type: ignore[arg-type]
            key=draft.key,
            fields=tuple(shapes),
        )

    @staticmethod
    def _free(name: str, used: set[str]) -> str:
        base, n = name, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        return name

    @staticmethod
    def _is_child(values: list[Any]) -> bool:
        present = [v for v in values if v is not _ABSENT and v is not None]
        return (
            bool(present)
            and all(isinstance(v, list) for v in present)
            and any(v for v in present)
            and all(isinstance(item, dict) for v in present for item in v)
        )

    def _key_field(
        self,
        style: str,
        records: list[tuple[str | None, Any]],
        fields: list[str],
        values: dict[str, list[Any]],
        entity: str,
        declared: Declared | None,
    ) -> str | None:
        if style == "single" or not records:
            return None
        if declared is not None and declared.key:
            return declared.key

        def usable(f: str) -> bool:
            vs = values[f]
            if any(v is _ABSENT or v is None or isinstance(v, bool) for v in vs):
                return False
            if not all(isinstance(v, (int, str)) for v in vs):
                return False
            if len({type(v) for v in vs}) > 1:
                return False
            return len({canonical_json(v) for v in vs}) == len(vs)

        if style in ("dict", "wrapped"):
            for f in fields:
                vs = values[f]
                if all(
                    v is not _ABSENT
                    and isinstance(v, (int, str))
                    and not isinstance(v, bool)
                    and str(v) == k
                    for (k, _), v in zip(records, vs, strict=True)
                ) and usable(f):
                    return f
            return None
        ranked = sorted(
            fields,
            key=lambda f: (
                0
                if snake(f) == "id"
                else 1
                if snake(f) == f"{entity}_id"
                else 2
                if entity_of_parameter(f) == entity
                else 3
                if split_identifier(f) and split_identifier(f)[-1] == "id"
                else 4
                if split_identifier(f) and split_identifier(f)[-1] in KEY_WORDS
                else 9
            ),
        )
        for f in ranked:
            words = split_identifier(f)
            if not words or (words[-1] not in KEY_WORDS and snake(f) != "id"):
                break
            if usable(f):
                return f
        return None

    def _key_type(self, keys: list[Any], draft: _Draft, path: str) -> str:
        if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
            return "INTEGER"
        return "TEXT"

    def _column_type(self, path: str, values: list[Any], declared: str | None) -> str:
        kinds = {_json_kind(v) for v in values}
        if not kinds:
            return "JSON"
        if kinds == {"bool"}:
            return "BOOLEAN"
        if kinds == {"int"}:
            if all(-INT64 <= v < INT64 for v in values):
                return "INTEGER"
            return "JSON"
        if kinds <= {"int", "float"}:
            return "REAL"
        if kinds == {"str"}:
            return "TEXT"
        if kinds <= {"object", "array"}:
            return "JSON"
        samples = []
        for kind in sorted(kinds):
            sample = next(v for v in values if _json_kind(v) == kind)
            samples.append(canonical_json(sample)[:40])
            if len(samples) == 2:
                break
        self.warn(
            f"{path}: values of different types ({', '.join(sorted(kinds))}; e.g. "
            f"{samples[0]} and {samples[1]}); widened to a JSON column that keeps each value as "
            "it is"
        )
        return "JSON"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _is_flat_object(present: list[Any]) -> bool:
    """One object of named values (not records keyed by id): its keys can be columns."""
    if len(present) != 1 or not isinstance(present[0], dict) or not present[0]:
        return False
    value = present[0]
    return all(isinstance(k, str) and k for k in value) and not any(
        isinstance(v, dict) for v in value.values()
    )


def _duplicates(keys: list[Any]) -> str:
    seen: set[str] = set()
    twice = []
    for k in keys:
        text = canonical_json(k)
        if text in seen and text not in twice:
            twice.append(text)
        seen.add(text)
    return ", ".join(twice[:3]) + (" ..." if len(twice) > 3 else "")


# --- the document ------------------------------------------------------------------------------


def _is_keyed_collection(value: Any) -> bool:
    if not isinstance(value, dict) or not value:
        return False
    records = sum(isinstance(v, dict) and bool(v) for v in value.values())
    return records >= 1 and records * 2 >= len(value)


def _is_wrapped_collection(value: Any) -> bool:
    """A list of records each wrapped under a key of its own (``[{"ticket_001": {...}}]``):
    one-key objects holding a record, their keys distinct and each holding a digit (an id,
    not a field name such as ``address``)."""
    if not isinstance(value, list) or not value:
        return False
    keys = []
    for item in value:
        if not isinstance(item, dict) or len(item) != 1:
            return False
        key, record = next(iter(item.items()))
        if not isinstance(record, dict) or not record or not any(c.isdigit() for c in key):
            return False
        keys.append(key)
    return len(set(keys)) == len(keys)


def plan_import(
    source: Source,
    name: str,
    *,
    empty_trees: bool = False,
    empty_collections: dict[str, Table] | None = None,
) -> ImportPlan:
    """Tables, rows and shape of a data set read by :func:`read_source` (``empty_trees``: a
    collection of nodes whose maps of nodes are all empty is a tree too;
    ``empty_collections``: the tables the tools keep records in, by name: an empty object or
    list of that name is such a collection, holding nothing yet)."""
    planner = _Planner(source)
    document = source.document
    top = "object"
    where = str(source.path)
    if isinstance(document, list):
        if not document or not all(isinstance(r, dict) for r in document):
            raise DataImportError(
                f"{where}: the top level is a list of {_kinds(document)}, not of records; give "
                'an object of collections ({"orders": [...], ...}) or a list of objects'
            )
        document = {source.path.stem: document}
        top = "list"
    if not isinstance(document, dict):
        raise DataImportError(
            f"{where}: the top level is a {_json_kind(document)}, not a collection of records; "
            'give an object of collections ({"orders": [...] or {"O1": {...}}}), a SQLite '
            "file or a folder of CSV / JSON Lines files"
        )
    collections: list[CollectionShape] = []
    state: dict[str, Any] = {}
    for key, value in document.items():
        path = f"$.{key}"
        declared = source.declared.get(key)
        if declared is None and _is_wrapped_collection(value):
            records = [next(iter(r.items())) for r in value]
            shape = planner.collection(key, records, "wrapped", path)
            planner.warn(
                f"{path}: a list of records each wrapped under its key ({records[0][0]!r}); "
                f"a keyed collection, its keys in column {shape.key} of table {shape.table}"
            )
            collections.append(shape)
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            collections.append(
                planner.collection(key, [(None, r) for r in value], "list", path, declared=declared)
            )
        elif declared is not None and isinstance(value, list):
            collections.append(planner.collection(key, [], "list", path, declared=declared))
        elif (
            value in ({}, [])
            and empty_collections
            and (like := empty_collections.get(snake(key))) is not None
        ):
            style = "dict" if isinstance(value, dict) else "list"
            collections.append(planner.empty(key, style, path, like))
        elif (nest := nesting_field(value, empty=empty_trees)) is not None:
            collections.append(planner.tree(key, value, nest, path))
        elif _is_keyed_collection(value):
            records = [(k, v) for k, v in value.items() if isinstance(v, dict) and v]
            aside = {k: v for k, v in value.items() if not (isinstance(v, dict) and v)}
            shape = planner.collection(key, records, "dict", path)
            if aside:
                names = ", ".join(f"{path}.{k}" for k in list(aside)[:3])
                planner.warn(
                    f"{names}: {len(aside)} of {len(value)} entries of collection {key} are "
                    f"not records (e.g. "
                    f"{canonical_json(next(iter(aside.values())))[:40]}); kept out of table "
                    f"{shape.table}, listed in set_aside.jsonl and written back on export"
                )
                shape = shape.model_copy(update={"aside": aside})
            collections.append(shape)
        else:
            if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
                planner.warn(
                    f"{path}: a list mixing records and other values ({_kinds(value)}); kept as "
                    f"one JSON column of table {STATE_TABLE}"
                )
            state[key] = value
    state_shape = None
    if state:
        state_shape = planner.collection(STATE_TABLE, [(None, state)], "single", "$")
    if not collections and state_shape is None and document:
        raise DataImportError(f"{where}: the data holds no collections and no values to import")
    relations = _references(planner)
    _kinds_of(planner)
    tables = [_table(d) for d in planner.drafts.values()]
    rows = {d.name: d.rows for d in planner.drafts.values()}
    shape = DataShape(
        format=source.format,
        source=str(source.path),
        top=top,  # type: ignore[arg-type]
        collections=tuple(collections),
        state=state_shape,
    )
    return ImportPlan(
        tables=tables, relations=relations, rows=rows, shape=shape, warnings=planner.warnings
    )


def _kinds(values: list[Any]) -> str:
    return ", ".join(sorted({_json_kind(v) for v in values})) or "nothing"


def _references(planner: _Planner) -> list[Relation]:
    """Foreign keys: declared ones, and columns whose values all name rows of another table
    (by name, ``customer_id`` -> customers, or by value containment)."""
    drafts = planner.drafts
    keysets = {name: {canonical_json(r[d.key]) for r in d.rows} for name, d in drafts.items()}
    by_entity = {d.entity: d for d in drafts.values()}
    relations: list[Relation] = []
    for draft in drafts.values():
        for column, type_ in draft.columns.items():
            if column == draft.key or type_ not in ("TEXT", "INTEGER"):
                continue
            values = [r.get(column) for r in draft.rows if r.get(column) is not None]
            texts = {canonical_json(v) for v in values}
            if column in draft.references:
                target = draft.references[column][0]
                if target in drafts:
                    missing = texts - keysets[target]
                    if missing and (draft.parent is None or column != draft.parent[1]):
                        planner.warn(
                            f"{draft.path}[*].{column}: {len(missing)} value(s) name no row of "
                            f"{target} (e.g. {sorted(missing)[0]}); dangling references are "
                            "kept as given"
                        )
                    draft.references[column] = (target, drafts[target].key)
                    relations.append(
                        Relation(
                            table=draft.name,
                            column=column,
                            ref_table=target,
                            ref_column=drafts[target].key,
                        )
                    )
                else:
                    del draft.references[column]
                continue
            named = entity_of_parameter(column)
            target_draft = by_entity.get(named) if named else None
            if target_draft is None and named:
                target_draft = next(
                    (
                        d
                        for d in drafts.values()
                        if d.name != draft.name and named in d.name.split("_")
                    ),
                    None,
                )
            if target_draft is not None and target_draft.name != draft.name and values:
                missing = texts - keysets[target_draft.name]
                if missing:
                    planner.warn(
                        f"{draft.path}[*].{column}: {len(missing)} of {len(texts)} value(s) name "
                        f"no {target_draft.entity} (e.g. {sorted(missing)[0]}); kept as given, not "
                        "declared a reference"
                    )
                    continue
                if draft.columns[column] != target_draft.columns[target_draft.key]:
                    continue
                draft.references[column] = (target_draft.name, target_draft.key)
            elif len(texts) >= 2 and named is None:
                target_draft = next(
                    (
                        d
                        for d in drafts.values()
                        if d.name != draft.name
                        and not d.synthetic
                        and d.columns[d.key] == type_
                        and len(keysets[d.name]) >= 3
                        and texts <= keysets[d.name]
                    ),
                    None,
                )
                if target_draft is None:
                    continue
                draft.references[column] = (target_draft.name, target_draft.key)
            else:
                continue
            relations.append(
                Relation(
                    table=draft.name,
                    column=column,
                    ref_table=target_draft.name,
                    ref_column=target_draft.key,
                )
            )
    return relations


def _kinds_of(planner: _Planner) -> None:
    """Semantic kinds and closed value sets from the values (and the column names)."""
    from agentscaler.worlds.seeding.kinds import iso_currencies

    for draft in planner.drafts.values():
        for column, type_ in draft.columns.items():
            if column == draft.key:
                continue
            values = [r.get(column) for r in draft.rows if r.get(column) is not None]
            schema: dict[str, Any] = {
                "type": {
                    "TEXT": "string",
                    "INTEGER": "integer",
                    "REAL": "number",
                    "BOOLEAN": "boolean",
                }.get(type_, "object")
            }
            semantic = None
            if type_ == "TEXT" and values:
                if all(_DATETIME.match(v) for v in values) and not all(
                    _DATE.match(v) for v in values
                ):
                    schema["format"] = "date-time"
                elif all(_DATE.match(v) for v in values):
                    schema["format"] = "date"
                elif all(_EMAIL.match(v) for v in values):
                    schema["format"] = "email"
                elif all(_URL.match(v) for v in values):
                    schema["format"] = "uri"
                elif all(_UUID.match(v) for v in values):
                    schema["format"] = "uuid"
                elif (
                    all(len(v) == 3 and v.isupper() for v in values)
                    and set(values) <= iso_currencies()
                ):
                    semantic = "currency"
                distinct = sorted(set(values))
                if (
                    2 <= len(distinct) <= 6
                    and len(values) >= 2 * len(distinct)
                    and all(len(v) <= 30 for v in distinct)
                ):
                    draft.enums[column] = tuple(distinct)
            if column in draft.references:
                semantic = "id"
            draft.semantics[column] = semantic or semantic_of(column, schema, draft.entity)


def _table(draft: _Draft) -> Table:
    columns = []
    for name, type_ in draft.columns.items():
        is_key = name == draft.key
        columns.append(
            Column(
                name=name,
                type=type_,  # type: ignore[arg-type]
                nullable=not is_key,
                primary_key=is_key,
                references=draft.references.get(name, (None,))[0],
                enum=draft.enums.get(name),
                semantic="id" if is_key else draft.semantics.get(name),
                description=f"{draft.path}[*].{name}" if not is_key else f"Key of {draft.path}.",
            )
        )
    return Table(
        name=draft.name,
        entity=draft.entity,
        primary_key=draft.key,
        columns=tuple(columns),
        indexes=tuple(
            c for c in draft.references if c != draft.key and draft.columns.get(c) != "JSON"
        ),
        parent=draft.parent[0] if draft.parent else None,
        parent_column=draft.parent[1] if draft.parent else None,
        parent_field=snake(draft.parent[2]) if draft.parent else None,
    )
