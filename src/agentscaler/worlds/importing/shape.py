"""The data's own shape, kept beside an imported world (``data_shape.json``), and the way back:
a world state written as the data was written (same collection names, nesting and keys).

``export_document`` turns the rows of a world state into the document the data was; with the
initial state it gives the input back (:func:`canonical_data` compares the two).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any, ClassVar, Literal

import msgspec

from agentscaler.canonical import canonical_json
from agentscaler.errors import DataImportError
from agentscaler.jsonl import read_json
from agentscaler.records.base import JsonValue, Record

SHAPE_FILE = "data_shape.json"
SET_ASIDE_FILE = "set_aside.jsonl"


class FieldShape(Record):
    """One field of the data's records and where the world keeps it."""

    field: str
    """The field as the data names it."""
    column: str
    """The column holding it (for a child list: the parent's column name, unused)."""
    child: CollectionShape | None = None
    """A list of records stored as rows of a child table."""
    absent: tuple[JsonValue, ...] = ()
    """Keys of the rows that lack the field in the data."""
    nulls: tuple[JsonValue, ...] = ()
    """For a child list: keys of the rows whose field is null."""
    null_absent: bool = False
    """The data never holds null here but sometimes lacks the field: a null is written absent."""
    parts: tuple[FieldShape, ...] = ()
    """An object of the top-level values kept as one column per key (``account_info`` ->
    ``balance``, ``binding_card``): the object is written back from these columns."""


class CollectionShape(Record):
    """One collection of the data (or a nested list of records) and its table."""

    name: str
    """The collection's name in the data (a nested list: the field name)."""
    table: str
    style: Literal["dict", "list", "wrapped", "single", "tree"]
    """``dict``: an object keyed by the records' keys; ``list``: a list of records;
    ``wrapped``: a list of records each wrapped under its key (``[{"ticket_001": {...}}]``), a
    keyed collection in the order the data lists it; ``single``:
    the top-level values of the document that are not collections, as one row; ``tree``:
    records nesting records of their own shape, one row per node of one table."""
    key: str
    """The key column."""
    fields: tuple[FieldShape, ...]
    order: tuple[JsonValue, ...] = ()
    """Keys in the order the data lists the records (new rows follow, in key order)."""
    key_prefix: str = ""
    """Integer keys the data writes as text (object keys): the text before the number
    (``ticket_`` of ``ticket_001``)."""
    key_width: int = 0
    """Integer keys the data writes as text: the digits the number is zero-padded to (3 of
    ``ticket_001``; 0: as many as it has)."""
    parent_column: str | None = None
    """For a child table: the column holding the parent's key."""
    aside: dict[str, JsonValue] = {}
    """Entries of a keyed collection that are not records: kept out of the table and written
    back as they were."""
    file: str = ""
    """Folder data: the file of the table (``orders.csv``)."""
    sql: str = ""
    """SQLite data: the table's ``CREATE TABLE`` statement."""
    name_column: str = ""
    """For a tree: the column holding a node's name in its parent's map."""
    nest_field: str = ""
    """For a tree: the field holding a node's map of nodes (``contents``)."""
    nest_when: tuple[str, tuple[JsonValue, ...]] | None = None
    """For a tree: the column and its values for which a node holds the nest field (a
    ``directory`` has ``contents``, a ``file`` not), so new nodes are written like the data's."""
    bare: tuple[JsonValue, ...] = ()
    """For a tree without such a column: keys of the nodes the data gives without the field."""
    session: str = ""
    """For a tree: the table of the one row holding the current node."""
    documented: bool = False
    """Not in the data: a table the tools' docs make the world keep, written back only once it
    holds rows (so the data alone comes back as it was)."""

    @property
    def synthetic_key(self) -> bool:
        """The key is not a field of the data (a dict key or a position)."""
        return not any(f.column == self.key and f.child is None for f in self.fields)


class DataShape(Record):
    """How an imported world's tables map back onto the data they were read from."""

    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    format: Literal["json", "sqlite", "folder"]
    source: str
    """The data's path when it was imported."""
    top: Literal["object", "list"] = "object"
    """A JSON document that is one list of records (the collection named after the file)."""
    collections: tuple[CollectionShape, ...]
    state: CollectionShape | None = None
    """Top-level values that are not collections (one row of their own table)."""

    def tables(self, *, documented: bool = False) -> list[str]:
        """The tables holding the data (``documented``: also those only the tools' docs name)."""
        found: list[str] = []

        def walk(shape: CollectionShape) -> None:
            found.append(shape.table)
            for f in shape.fields:
                if f.child is not None:
                    walk(f.child)

        for collection in (*self.collections, *([self.state] if self.state else [])):
            if documented or not collection.documented:
                walk(collection)
        return found


FieldShape.model_rebuild()


def _ordered(rows: list[dict[str, Any]], shape: CollectionShape) -> list[dict[str, Any]]:
    """Rows in the order the data lists their keys, then new rows in key order. Rows that
    already come in the data's order (a state's rows do, until a record is removed) are only
    compared with it."""
    column = shape.key
    keys = [r[column] for r in rows]
    order = list(shape.order)
    if keys[: len(order)] == order and _one_plain_type(keys) and _one_plain_type(order):
        known, new = rows[: len(order)], rows[len(order) :]
    else:
        position = {_key(k): i for i, k in enumerate(order)}
        placed = [(position.get(_key(k)), r) for k, r in zip(keys, rows, strict=True)]
        known = [r for i, r in sorted((p for p in placed if p[0] is not None), key=_first)]
        new = [r for i, r in placed if i is None]
    new.sort(key=lambda r: (isinstance(r[column], str), r[column]))
    return known + new


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _one_plain_type(values: list[Any]) -> bool:
    """All text or all integers: values equal as Python compares them are the same key."""
    kinds = set(map(type, values))
    return kinds <= {str} or kinds <= {int}


def _key(value: Any) -> Any:
    """A key's identity across tables, hashable: text and integer keys (the common ones) as
    they are (``"1"`` and ``1`` stay apart), any other value by its type and canonical JSON
    (``True`` is not ``1``, ``1.0`` not ``1``)."""
    kind = type(value)
    if kind is str or kind is int:
        return value
    return (kind.__name__, canonical_json(value))


_PLAIN, _SKIP_NULL, _ABSENT_NULL, _CHILD, _PARTS = range(5)
"""How a field is written: always; left out when null; left out when null and listed absent;
a child list; an object of columns."""


class _DocumentWriter:
    """One state written back in the data's shape: child rows grouped once per table, each
    field's listed keys canonicalised once and each shape's fields read once (an export stays
    linear in the rows)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.groups: dict[str, dict[Any, list[dict[str, Any]]]] = {}
        self.key_sets: dict[int, frozenset[Any]] = {}
        self.plans: dict[int, tuple[bool, list[tuple[int, str, Any]]]] = {}

    def _listed(self, keys: tuple[Any, ...]) -> frozenset[Any]:
        found = self.key_sets.get(id(keys))
        if found is None:
            found = self.key_sets[id(keys)] = frozenset(_key(k) for k in keys)
        return found

    def _plan(self, shape: CollectionShape) -> tuple[bool, list[tuple[int, str, Any]]]:
        """Whether a record needs its row's key, and how each field is written."""
        plan = self.plans.get(id(shape))
        if plan is None:
            steps: list[tuple[int, str, Any]] = []
            for f in shape.fields:
                if f.child is not None:
                    steps.append((_CHILD, f.field, f))
                elif f.parts:
                    steps.append((_PARTS, f.field, tuple((p.field, p.column) for p in f.parts)))
                elif f.null_absent:
                    steps.append((_SKIP_NULL, f.field, f.column))
                elif f.absent:
                    steps.append((_ABSENT_NULL, f.field, (f.column, self._listed(f.absent))))
                else:
                    steps.append((_PLAIN, f.field, f.column))
            keyed = any(step[0] in (_CHILD, _ABSENT_NULL) for step in steps)
            plan = self.plans[id(shape)] = (keyed, steps)
        return plan

    def record(self, row: dict[str, Any], shape: CollectionShape) -> dict[str, Any]:
        keyed, steps = self._plan(shape)
        key = _key(row[shape.key]) if keyed else None
        record: dict[str, Any] = {}
        for step, name, how in steps:
            if step == _PLAIN:
                record[name] = row.get(how)
            elif step == _SKIP_NULL:
                value = row.get(how)
                if value is not None:
                    record[name] = value
            elif step == _ABSENT_NULL:
                value = row.get(how[0])
                if value is not None or key not in how[1]:
                    record[name] = value
            elif step == _PARTS:
                record[name] = {part: row.get(column) for part, column in how}
            else:
                self._children(record, key, how)
        return record

    def _children(self, record: dict[str, Any], key: Any, f: FieldShape) -> None:
        child = f.child
        assert child is not None
        if child.table not in self.groups:
            self.groups[child.table] = _group(self.tables, child)
        children = self.groups[child.table].get(key)
        if children:
            record[f.field] = [self.record(c, child) for c in children]
        elif f.absent and key in self._listed(f.absent):
            return
        elif f.nulls and key in self._listed(f.nulls):
            record[f.field] = None
        else:
            record[f.field] = []


def _tree(writer: _DocumentWriter, rows: list[dict[str, Any]], shape: CollectionShape) -> Any:
    """A tree's rows nested again: each node under its name in its parent's map."""
    children: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(_key(row[shape.parent_column or ""]), []).append(row)
    bare = writer._listed(shape.bare) if shape.bare else frozenset()

    def nodes(parent: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for row in children.get(_key(parent), []):
            record = writer.record(row, shape)
            key = row[shape.key]
            if shape.nest_when is not None:
                column, values = shape.nest_when
                holds = row.get(column) in values
            else:
                holds = _key(key) not in bare
            if holds or _key(key) in children:
                record[shape.nest_field] = nodes(key)
            found[str(row[shape.name_column])] = record
        return found

    return nodes(None)


def _group(
    tables: dict[str, list[dict[str, Any]]], shape: CollectionShape
) -> dict[Any, list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    column = shape.parent_column
    for row in _ordered(tables.get(shape.table, []), shape):
        parent = _key(row[column])
        found = groups.get(parent)
        if found is None:
            groups[parent] = [row]
        else:
            found.append(row)
    return groups


def export_document(shape: DataShape, tables: dict[str, list[dict[str, Any]]]) -> Any:
    """The data as a state's rows make it (``tables``: table name -> rows as dicts)."""
    writer = _DocumentWriter(tables)
    document: dict[str, Any] = {}
    for collection in shape.collections:
        rows = _ordered(tables.get(collection.table, []), collection)
        if collection.documented and not rows:
            continue
        if collection.style == "tree":
            document[collection.name] = _tree(writer, rows, collection)
            continue
        record = writer.record
        if collection.style == "dict":
            key = collection.key
            value: Any = {key_text(r[key], collection): record(r, collection) for r in rows}
            value.update(collection.aside)
        elif collection.style == "wrapped":
            key = collection.key
            value = [{key_text(r[key], collection): record(r, collection)} for r in rows]
        else:
            value = [record(r, collection) for r in rows]
        document[collection.name] = value
    if shape.state is not None:
        rows = tables.get(shape.state.table) or []
        if rows:
            document.update(writer.record(rows[0], shape.state))
    if shape.top == "list":
        return document[shape.collections[0].name]
    return document


def key_text(value: Any, shape: CollectionShape) -> str:
    """A record's key as the data writes it when it is an object key: text as it is, an
    integer key in the data's form (``1`` -> ``ticket_001``), other values as JSON."""
    if isinstance(value, str):
        return value
    if type(value) is int and (shape.key_prefix or shape.key_width):
        return f"{shape.key_prefix}{value:0{shape.key_width}d}"
    return json.dumps(value)


def canonical_data(value: Any) -> str:
    """Canonical JSON of data for comparison: sorted keys, numbers as RFC 8785 writes them (an
    integral float is the integer: ``2.0`` and ``2`` are one number)."""
    return canonical_json(_numbers(value))


def _numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


# --- writing -----------------------------------------------------------------------------------


def write_json_data(document: Any, path: Path) -> None:
    Path(path).write_bytes(indented_json(document) + b"\n")


def indented_json(document: Any) -> bytes:
    """``json.dumps(document, ensure_ascii=False, indent=2)`` as UTF-8, byte for byte, five
    times faster: the compact text of the C encoder (``json`` has none for indented text),
    indented by ``msgspec``, which copies strings and numbers as they are. A document holding
    ``NaN`` or ``Infinity`` (not JSON, which ``msgspec`` refuses) is indented by ``json``."""
    compact = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        return msgspec.json.format(compact.encode("utf-8"), indent=2)
    except msgspec.DecodeError:
        return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def write_folder(shape: DataShape, document: dict[str, Any], folder: Path) -> None:
    """Folder data written back: one .csv or .jsonl file per table, as it was given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for collection in shape.collections:
        if collection.documented and collection.name not in document:
            continue  # a table only the tools' docs name, holding nothing
        rows = document.get(collection.name) or []
        target = folder / (collection.file or f"{collection.name}.jsonl")
        if target.suffix == ".csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            header = [f.field for f in collection.fields]
            writer.writerow(header)
            for row in rows:
                writer.writerow(
                    ["" if row.get(h) is None else _csv_text(row.get(h)) for h in header]
                )
            target.write_text(buffer.getvalue(), encoding="utf-8")
        else:
            target.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
            )


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_sqlite(
    shape: DataShape, tables: dict[str, list[dict[str, Any]]], path: Path, schema_sql: str
) -> None:
    """A state as a SQLite file: the data's own tables (SQLite data) or the world's tables."""
    path = Path(path)
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    try:
        if shape.format == "sqlite":
            for collection in shape.collections:
                names = [f.field for f in collection.fields]
                rows = _ordered(tables.get(collection.table, []), collection)
                if collection.documented and not rows:
                    continue  # a table only the tools' docs name, holding nothing
                conn.execute(
                    collection.sql
                    or f"CREATE TABLE {_quote(collection.name)} "
                    f"({', '.join(_quote(n) for n in names)})"
                )
                conn.executemany(
                    f"INSERT INTO {_quote(collection.name)} "
                    f"({', '.join(_quote(n) for n in names)}) VALUES ({', '.join('?' for _ in names)})",
                    [tuple(_sql_value(r.get(f.column)) for f in collection.fields) for r in rows],
                )
        else:
            conn.executescript(schema_sql)
            for table, rows in tables.items():
                if not rows:
                    continue
                columns = list(rows[0])
                conn.executemany(
                    f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})",
                    [tuple(_sql_value(r.get(c)) for c in columns) for r in rows],
                )
        conn.commit()
    except sqlite3.Error as exc:
        raise DataImportError(f"{path}: cannot write the state as SQLite ({exc})") from exc
    finally:
        conn.close()


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_document(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table of a SQLite file as lists of rows (for comparing SQLite data)."""
    from agentscaler.worlds.importing.read import read_source

    return read_source(path).document


def read_shape(world_dir: Path) -> DataShape:
    path = Path(world_dir) / SHAPE_FILE
    if not path.exists():
        raise DataImportError(
            f"{path} is missing: {world_dir} was not imported from data; only imported worlds "
            "have a data shape to export to (use `agentscaler worlds import`)"
        )
    return DataShape.from_json_dict(read_json(path), where=str(path))
