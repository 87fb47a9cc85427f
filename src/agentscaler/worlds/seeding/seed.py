"""Initial states: seeded rows for every table, consistent with keys and column meanings.

``seed_state(world, seed)`` fills every table (referenced tables first) with rows whose ids have
the format the tools expect, whose foreign keys point at existing rows, and whose values look
like what the columns mean (Faker for names, e-mails, phones, addresses; fixed date windows;
statuses from the enums). The same world and seed always give the same bytes.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from agentscaler.canonical import canonical_json, stable_seed
from agentscaler.errors import WorldError
from agentscaler.records.world import Table, World
from agentscaler.worlds.codegen.ddl import schema_sql
from agentscaler.worlds.runtime.dbapi import Schema, TableMeta
from agentscaler.worlds.runtime.state import table_digest
from agentscaler.worlds.seeding.amounts import attach_items, derive_amounts
from agentscaler.worlds.seeding.coherent import CoherentRows
from agentscaler.worlds.seeding.columns import Draw
from agentscaler.worlds.seeding.derived import derive_columns
from agentscaler.worlds.seeding.rates import fill_rates
from agentscaler.worlds.seeding.values import ValueFactory
from agentscaler.worlds.spec.model import WorldSpec

_EMPTY: dict[str, bytes] = {}
"""Serialized empty databases by schema SQL (loading a schema costs more than copying one)."""
_EMPTY_KEPT = 64


_SQL: dict[str, tuple[World, str]] = {}


def _schema_sql(world: World) -> str:
    made = _SQL.get(world.id)
    if made is None or made[0] is not world:
        if len(_SQL) >= _EMPTY_KEPT:
            _SQL.pop(next(iter(_SQL)))
        made = _SQL[world.id] = (world, schema_sql(world))
    return made[1]


def empty_database(world: World) -> sqlite3.Connection:
    """A fresh in-memory database with the world's schema and no rows."""
    return _connected(empty_state(world))


def _connected(image: bytes) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.deserialize(image)  # every state starts from the same bytes
    return conn


def empty_state(world: World) -> bytes:
    """The serialized empty database of a world (its schema loaded once per schema text)."""
    sql = _schema_sql(world)
    image = _EMPTY.get(sql)
    if image is None:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            # user_version marks the image as a world database and gives a world without tables
            # (only compute-style tools) a non-empty image that can be serialized.
            conn.execute("PRAGMA user_version = 1")
            conn.executescript(sql)
            image = conn.serialize()
        except sqlite3.Error as exc:
            raise WorldError(
                f"world {world.id}: its schema does not load in SQLite ({exc})"
            ) from exc
        finally:
            conn.close()
        if len(_EMPTY) >= _EMPTY_KEPT:
            _EMPTY.pop(next(iter(_EMPTY)))
        _EMPTY[sql] = image
    return image


def table_order(world: World) -> list[Table]:
    """Tables with referenced tables first (cycles broken in name order)."""
    tables = {t.name: t for t in world.tables}
    deps = {
        t.name: {
            c.references
            for c in t.columns
            if c.references and c.references in tables and c.references != t.name
        }
        for t in world.tables
    }
    ordered: list[Table] = []
    done: set[str] = set()
    while len(done) < len(tables):
        ready = sorted(n for n in tables if n not in done and deps[n] <= done)
        if not ready:  # a cycle: take the first remaining table
            ready = [sorted(n for n in tables if n not in done)[0]]
        for name in ready:
            done.add(name)
            ordered.append(tables[name])
    return ordered


_ORDER: dict[str, tuple[World, list[Table]]] = {}


def _table_order(world: World) -> list[Table]:
    made = _ORDER.get(world.id)
    if made is None or made[0] is not world:
        if len(_ORDER) >= _EMPTY_KEPT:
            _ORDER.pop(next(iter(_ORDER)))
        made = _ORDER[world.id] = (world, table_order(world))
    return made[1]


def make_keys(table: Table, count: int, draw: Draw) -> list[Any]:
    """``count`` distinct primary keys in the table's id format."""
    keys: list[Any] = []
    seen: set[Any] = set()
    key_column = table.key_column
    key_type = key_column.type
    if key_column.enum:  # the tools name every id: use them
        return list(dict.fromkeys(key_column.enum))[:count]
    if key_type != "INTEGER" and not (table.id_pattern and not table.id_prefix):
        width = table.id_width or 5
        low = 10 ** (width - 1) if width > 1 else 0
        if (
            10**width - low >= count * 4 and width <= 18
        ):  # room enough: draw a few extra, keep the first distinct
            numbers = draw.gen.integers(low, 10**width, count + count // 2 + 8).tolist()
            distinct = list(dict.fromkeys(numbers))  # distinct numbers give distinct ids
            prefix = table.id_prefix
            keys = [f"{prefix}{n:0{width}d}" for n in distinct[:count]]
            if len(keys) >= count:
                return keys
            seen = set(keys)
    factory = draw.factory
    attempts, most = 0, count * 50
    if key_type == "INTEGER":
        schema = key_column.value_schema or {}
        low = schema.get("minimum") if isinstance(schema.get("minimum"), int) else 1
        high = schema.get("maximum") if isinstance(schema.get("maximum"), int) else None
        high = high if high is not None and high >= low else low + max(9999, count * 20)
        randint = factory.rng.randint
        while len(keys) < count and attempts < most:
            attempts += 1
            key: Any = randint(low, high)
            if key not in seen:
                seen.add(key)
                keys.append(key)
        return keys
    patterned = (
        {**(key_column.value_schema or {}), "pattern": table.id_pattern}
        if table.id_pattern and not table.id_prefix
        else None
    )
    while len(keys) < count and attempts < most:
        attempts += 1
        if patterned is not None:
            key = factory.string(patterned, "id")
            if not key:
                key = f"{table.entity[:3].upper()}-{factory.rng.randint(10000, 99999)}"
        else:
            width = table.id_width or 5
            low = 10 ** (width - 1) if width > 1 else 0
            key = f"{table.id_prefix}{factory.rng.randint(low, 10**width - 1):0{width}d}"
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


_COHERENT: dict[str, CoherentRows] = {}
"""Row makers by world id (their per-table plans are made once per world and spec)."""
_COHERENT_KEPT = 64


def _coherent_rows(world: World, spec: WorldSpec) -> CoherentRows:
    made = _COHERENT.get(world.id)
    if made is None or made.world is not world or made.spec is not spec:
        made = CoherentRows(world, spec)
        if len(_COHERENT) >= _COHERENT_KEPT:
            _COHERENT.pop(next(iter(_COHERENT)))
        _COHERENT[world.id] = made
    return made


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many acyclic rows are made (its passes,
    set off by every few hundred new dicts, would walk every live object each time)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def seed_rows(
    world: World,
    seed: int,
    rows_per_table: int | Mapping[str, int] = 20,
    spec: WorldSpec | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The seeded rows of every table, as dicts (before encoding).

    With the world's ``spec`` the rows are coherent: states first, columns that belong to a state
    set only in it, dates around the world's clock with ends after starts, numbers in the range
    their name suggests, real currency, country and airport codes, phones of the row's country
    and e-mail addresses made from the row's name.
    """
    with _collection_paused():
        return _seed_rows(world, seed, rows_per_table, spec)


def _seed_rows(
    world: World,
    seed: int,
    rows_per_table: int | Mapping[str, int],
    spec: WorldSpec | None,
) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, list[Any]] = {}
    draw = Draw(stable_seed("seed", world.id, seed))  # one stream, tables in a fixed order
    coherent = _coherent_rows(world, spec) if spec is not None else None
    ordered = _table_order(world)
    for table in ordered:  # every table's ids first, so references never depend on the order
        count = (
            rows_per_table.get(table.name, 20)
            if isinstance(rows_per_table, Mapping)
            else rows_per_table
        )
        keys[table.name] = make_keys(table, int(count), draw)
    for table in ordered:
        if coherent is not None:
            rows[table.name] = coherent.rows(table, keys[table.name], keys, draw)
            continue
        factory = draw.factory
        table_rows = []
        for key in keys[table.name]:
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.primary_key:
                    row[column.name] = key
                elif column.references:
                    pool = keys.get(column.references) or []
                    row[column.name] = factory.rng.choice(pool) if pool else None
                elif column.enum:
                    narrowed = [
                        v for v in (column.value_schema or {}).get("enum") or () if v in column.enum
                    ]
                    row[column.name] = factory.rng.choice(narrowed or list(column.enum))
                else:
                    row[column.name] = factory.value(
                        column.value_schema, column.semantic, column.name
                    )
            table_rows.append(row)
        rows[table.name] = table_rows
    if spec is not None and coherent is not None:
        fill_rates(spec, rows)
        derive_columns(coherent.derived, rows)  # a delivery fee before the total adding it
        parts = coherent.amounts
        if parts:
            rng = ValueFactory(stable_seed("amounts", world.id, seed)).rng
            attach_items(parts, rows, coherent.references, rng)
            derive_amounts(parts, rows, rng)
    return rows


_NONE = type(None)
_STORED_AS = {"TEXT": str, "INTEGER": int, "REAL": float}
"""Column types whose values of this Python type are stored as they are."""


def insert_rows(conn: sqlite3.Connection, meta: TableMeta, rows: list[dict[str, Any]]) -> None:
    """Insert rows, each value encoded for its column (a value that cannot be is stored null);
    a column whose values are all already in their stored form is passed through, and a table
    whose columns all are is inserted from the rows' value tuples as they are read."""
    names = meta.columns
    if len(names) < 2 or not rows:
        _insert_by_column(conn, meta, rows)
        return
    try:
        table = list(map(itemgetter(*names), rows))
    except KeyError:  # a row without one of the columns: stored null
        table = [tuple(row.get(name) for name in names) for row in rows]
    changed = False
    values: list[Any] = list(zip(*table, strict=True))
    for at, name in enumerate(names):
        column_values = values[at]
        kind = meta.types[name]
        stored = _STORED_AS.get(kind)
        if stored is not None and set(map(type, column_values)) <= {stored, _NONE}:
            continue
        changed = True
        if kind == "JSON":
            values[at] = _json_column(meta, name, list(column_values))
        else:
            values[at] = [_encoded(meta, name, v) for v in column_values]
    conn.executemany(meta.insert_sql, zip(*values, strict=True) if changed else table)


def _insert_by_column(
    conn: sqlite3.Connection, meta: TableMeta, rows: list[dict[str, Any]]
) -> None:
    values = []
    for column in meta.columns:
        column_values = [row.get(column) for row in rows]
        kind = meta.types[column]
        stored = _STORED_AS.get(kind)
        if stored is not None and set(map(type, column_values)) <= {stored, _NONE}:
            pass
        elif kind == "JSON":
            column_values = _json_column(meta, column, column_values)
        else:
            column_values = [_encoded(meta, column, v) for v in column_values]
        values.append(column_values)
    conn.executemany(meta.insert_sql, zip(*values, strict=True) if values else [()] * len(rows))


def _json_column(meta: TableMeta, column: str, values: list[Any]) -> list[Any]:
    """A JSON column's values as canonical JSON text (one by one where one is not JSON)."""
    try:
        return [None if v is None else canonical_json(v) for v in values]
    except (TypeError, ValueError):
        return [_encoded(meta, column, v) for v in values]


def _encoded(meta: TableMeta, column: str, value: Any) -> Any:
    try:
        return meta.encode(column, value)
    except Exception:
        return None


def seed_state(
    world: World,
    seed: int,
    rows_per_table: int | Mapping[str, int] | None = None,
    *,
    schema: Schema | None = None,
    spec: WorldSpec | None = None,
) -> bytes:
    """A serialized SQLite database with seeded rows (deterministic for ``world`` and ``seed``).

    ``rows_per_table`` is one count for every table or a mapping of table name to count
    (default: the world's own setting, else 20).
    """
    return seeded_state(world, seed, rows_per_table, schema=schema, spec=spec, digests=False)[0]


def seeded_state(
    world: World,
    seed: int,
    rows_per_table: int | Mapping[str, int] | None = None,
    *,
    schema: Schema | None = None,
    spec: WorldSpec | None = None,
    digests: bool = True,
    image: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """:func:`seed_state` and, with ``digests``, the digest of every table (read from the
    database the rows were written to). ``image`` is the world's empty database
    (:func:`empty_state`) when the caller keeps it."""
    count: int | Mapping[str, int] = rows_per_table or world.rows_per_table or 20
    schema = schema or Schema(world)
    with _collection_paused():
        conn = _connected(image if image is not None else empty_state(world))
        try:
            conn.execute("BEGIN")
            for name, table_rows in seed_rows(world, seed, count, spec).items():
                insert_rows(conn, schema.tables[name], table_rows)
            conn.execute("COMMIT")
            tables = (
                {name: table_digest(conn, meta) for name, meta in schema.tables.items()}
                if digests
                else {}
            )
            return conn.serialize(), tables
        finally:
            conn.close()
