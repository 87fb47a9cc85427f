"""The small, safe database API that tool code runs on.

Tool functions receive a :class:`Database` as ``db`` and can only do what its public methods
allow: ``get``, ``find``, ``count``, ``exists``, ``insert``, ``update``, ``delete``, ``new_id`` and
``derive``. There is no SQL, no connection, no file: everything else is private (names with a
leading underscore, which tool code may not touch). Rows are plain dicts; JSON columns come back
decoded and BOOLEAN columns as bools. Domain errors are raised as ``NotFound``,
``PreconditionFailed`` and ``InvalidArgument`` naming the record; misuse by tool code (unknown
table or column, a write from a READ tool) raises ``WorldBugError``.

Every write is recorded as a change ``(op, table, key, column, old, new)`` so a step knows exactly
what it changed without comparing whole databases.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentscaler.canonical import canonical_json, plain_text, stable_seed
from agentscaler.errors import InvalidArgument, NotFound, PreconditionFailed, WorldBugError
from agentscaler.records.world import Table, World
from agentscaler.worlds.codegen.ddl import quote_ident
from agentscaler.worlds.config import DEFAULT_CLOCK
from agentscaler.worlds.runtime.formulas import Formulas
from agentscaler.worlds.seeding.values import ValueFactory, derive

Change = tuple[str, str, Any, str | None, Any, Any]
"""``(op, table, key, column, old, new)``; op is insert, update or delete."""


@dataclass
class TableMeta:
    """Precomputed SQL and codecs of one table (shared by every env of a world)."""

    table: Table
    name: str
    entity: str
    key: str
    key_type: str
    columns: tuple[str, ...]
    types: dict[str, str]
    json_columns: frozenset[str]
    bool_columns: frozenset[str]
    text_columns: tuple[str, ...]
    references: dict[str, tuple[str, str]]
    defaults: dict[str, Any]
    select_list: str
    get_sql: str
    exists_sql: str
    insert_sql: str
    delete_sql: str
    max_key_sql: str
    qname: str
    digest_sql: str
    """The one-row query of the table's count and its rows as JSON arrays in key order."""
    digest_head: str
    """The canonical JSON of ``[name, [[column, type], ...]`` that heads the table's digest
    (the row count and ``]`` close it)."""
    update_sql: dict[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def build(cls, table: Table, tables: dict[str, Table]) -> TableMeta:
        columns = tuple(c.name for c in table.columns)
        qname = quote_ident(table.name)
        select_list = ", ".join(quote_ident(c) for c in columns)
        key = quote_ident(table.primary_key)
        references = {}
        for column in table.columns:
            if column.references and column.references in tables:
                ref = tables[column.references]
                references[column.name] = (ref.name, ref.primary_key)
        return cls(
            table=table,
            name=table.name,
            entity=(table.entity or table.name).replace("_", " "),
            key=table.primary_key,
            key_type=table.key_column.type,
            columns=columns,
            types={c.name: c.type for c in table.columns},
            json_columns=frozenset(c.name for c in table.columns if c.type == "JSON"),
            bool_columns=frozenset(c.name for c in table.columns if c.type == "BOOLEAN"),
            text_columns=tuple(
                c.name for c in table.columns if c.type == "TEXT" and not c.primary_key
            ),
            references=references,
            defaults={c.name: c.default for c in table.columns if c.default is not None},
            select_list=select_list,
            get_sql=f"SELECT {select_list} FROM {qname} WHERE {key} = ?",
            exists_sql=f"SELECT 1 FROM {qname} WHERE {key} = ?",
            insert_sql=(
                f"INSERT INTO {qname} ({select_list}) VALUES ({', '.join('?' for _ in columns)})"
            ),
            delete_sql=f"DELETE FROM {qname} WHERE {key} = ?",
            max_key_sql=f"SELECT max({key}) FROM {qname}",
            qname=qname,
            digest_sql=(
                f"SELECT count(*), group_concat(r, char(10)) FROM "
                f"(SELECT json_array({select_list}) AS r FROM {qname} ORDER BY {key})"
            ),
            digest_head=canonical_json([table.name, [[c.name, c.type] for c in table.columns]])[
                :-1
            ],
        )

    # --- codecs -----------------------------------------------------------------------------
    def decode(self, row: tuple[Any, ...]) -> dict[str, Any]:
        record = dict(zip(self.columns, row, strict=True))
        for name in self.json_columns:
            value = record[name]
            if value is not None:
                record[name] = json.loads(value)
        for name in self.bool_columns:
            value = record[name]
            if value is not None:
                record[name] = bool(value)
        return record

    def encode(self, column: str, value: Any) -> Any:
        """The SQLite value stored for ``value`` in ``column`` (types checked, lossless)."""
        if value is None:
            return None
        kind = self.types[column]
        if kind == "JSON":
            try:
                return canonical_json(value)
            except (TypeError, ValueError) as exc:
                raise WorldBugError(f"{self.name}.{column}: value is not JSON ({exc})") from exc
        if kind == "TEXT":
            return plain_text(value)
        if kind == "BOOLEAN":
            if isinstance(value, bool) or value in (0, 1):
                return int(value)
            raise InvalidArgument(f"{column} must be true or false, got {value!r}")
        if kind == "INTEGER":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise InvalidArgument(f"{column} must be an integer, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidArgument(f"{column} must be a number, got {value!r}")
        return float(value)

    def key_value(self, key: Any) -> Any:
        if self.key_type == "INTEGER" and isinstance(key, str) and key.lstrip("-").isdigit():
            return int(key)
        if self.key_type == "TEXT" and not isinstance(key, str) and key is not None:
            return str(key)
        return key


class Schema:
    """Table metadata of a world, built once and shared by all its databases."""

    def __init__(self, world: World) -> None:
        tables = {t.name: t for t in world.tables}
        self.world = world
        self.clock = _as_datetime(world.clock or DEFAULT_CLOCK)
        self.tables: dict[str, TableMeta] = {
            name: TableMeta.build(table, tables) for name, table in tables.items()
        }

    def meta(self, table: str) -> TableMeta:
        try:
            return self.tables[table]
        except KeyError:
            known = ", ".join(sorted(self.tables))
            raise WorldBugError(f"unknown table {table!r} (tables: {known})") from None


DAY_PARTS = ((21, "night"), (17, "evening"), (12, "afternoon"), (5, "morning"))
"""Parts of the day by the hour each starts (latest first); before 5:00 it is night."""

_ORDER = re.compile(
    r"^\s*(-)?\s*([A-Za-z0-9_ ]+?)(?:[\s_]+(asc|desc|ascending|descending))?\s*$", re.I
)


class Database(Formulas):
    """What tool code sees as ``db``: reads and writes on the world's tables.

    ``where`` filters compare columns for equality (a list value means "any of"), ``None``
    values are ignored so optional tool arguments can be passed straight through.
    """

    __slots__ = ("_changes", "_conn", "_max_limit", "_readonly", "_schema")

    def __init__(self, conn: sqlite3.Connection, schema: Schema, *, max_limit: int = 100) -> None:
        self._conn = conn
        self._schema = schema
        self._readonly = False
        self._changes: list[Change] = []
        self._max_limit = max_limit

    # --- reads ------------------------------------------------------------------------------
    def get(self, table: str, key: Any, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The row of ``table`` whose primary key is ``key``; NotFound names it if absent."""
        meta = self._schema.meta(table)
        row = self._conn.execute(meta.get_sql, (meta.key_value(key),)).fetchone()
        if row is None:
            raise NotFound(f"{meta.entity} {key} not found")
        record = meta.decode(row)
        return _project(record, fields, meta) if fields is not None else record

    def exists(self, table: str, key: Any) -> bool:
        """Whether a row with primary key ``key`` exists."""
        meta = self._schema.meta(table)
        return self._conn.execute(meta.exists_sql, (meta.key_value(key),)).fetchone() is not None

    def find(
        self,
        table: str,
        *,
        where: dict[str, Any] | None = None,
        ranges: dict[str, tuple[Any, Any]] | None = None,
        text: str | None = None,
        limit: int | None = None,
        order_by: str | None = None,
        fields: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching every filter, in primary-key order (or ``order_by``), at most ``limit``.

        ``ranges`` maps a column to inclusive ``(low, high)`` bounds (either may be None);
        ``text`` keeps rows where some text column contains it (case-insensitive).
        """
        meta = self._schema.meta(table)
        sql, params = self._where(meta, where, ranges, text)
        order = self._order(meta, order_by)
        cap = self._max_limit if limit is None else max(0, min(int(limit), self._max_limit))
        query = f"SELECT {meta.select_list} FROM {meta.qname}{sql} ORDER BY {order} LIMIT {cap}"
        rows = [meta.decode(r) for r in self._conn.execute(query, params).fetchall()]
        if fields is not None:
            fields = tuple(fields)
            return [_project(r, fields, meta) for r in rows]
        return rows

    def count(
        self,
        table: str,
        *,
        where: dict[str, Any] | None = None,
        ranges: dict[str, tuple[Any, Any]] | None = None,
        text: str | None = None,
    ) -> int:
        """How many rows match (same filters as :meth:`find`)."""
        meta = self._schema.meta(table)
        sql, params = self._where(meta, where, ranges, text)
        return int(
            self._conn.execute(f"SELECT count(*) FROM {meta.qname}{sql}", params).fetchone()[0]
        )

    # --- writes -----------------------------------------------------------------------------
    def insert(self, table: str, values: dict[str, Any]) -> dict[str, Any]:
        """Insert a row; a missing key gets :meth:`new_id`. Foreign keys must exist (NotFound).

        A key that already exists raises PreconditionFailed. Returns the stored row.
        """
        self._check_writable(table)
        meta = self._schema.meta(table)
        self._check_columns(meta, values)
        record = {**meta.defaults, **{k: v for k, v in values.items() if v is not None}}
        if record.get(meta.key) is None:
            record[meta.key] = self.new_id(table)
        key = meta.key_value(record[meta.key])
        record[meta.key] = key
        if self._conn.execute(meta.exists_sql, (key,)).fetchone() is not None:
            raise PreconditionFailed(f"{meta.entity} {key} already exists")
        self._check_references(meta, record)
        encoded = tuple(meta.encode(c, record.get(c)) for c in meta.columns)
        self._conn.execute(meta.insert_sql, encoded)
        stored = meta.decode(encoded)
        self._changes.append(("insert", table, key, None, None, stored))
        return dict(stored)

    def update(
        self, table: str, key: Any, values: dict[str, Any], *, clear: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Set the given columns of one row (``None`` values are left unchanged) and empty the
        ``clear`` columns (a cancellation reason when the row is reopened).

        NotFound if the row is missing; foreign keys must exist. Returns the updated row.
        """
        self._check_writable(table)
        meta = self._schema.meta(table)
        self._check_columns(meta, values)
        cleared = tuple(clear)
        self._check_columns(meta, dict.fromkeys(cleared))
        current = self.get(table, key)
        key = current[meta.key]
        changes = {k: v for k, v in values.items() if v is not None and k != meta.key}
        self._check_references(meta, changes)
        encoded = {k: meta.encode(k, v) for k, v in changes.items()}
        encoded.update({c: None for c in cleared if c != meta.key and c not in encoded})
        updated = dict(current)
        changed: list[str] = []
        for column, stored in encoded.items():
            new_value = _decode_value(meta, column, stored)
            if new_value != current[column] or type(new_value) is not type(current[column]):
                changed.append(column)
                updated[column] = new_value
        if changed:
            columns = tuple(changed)
            sql = meta.update_sql.get(columns)
            if sql is None:
                assignments = ", ".join(f"{quote_ident(c)} = ?" for c in columns)
                sql = f"UPDATE {meta.qname} SET {assignments} WHERE {quote_ident(meta.key)} = ?"
                meta.update_sql[columns] = sql
            self._conn.execute(sql, (*(encoded[c] for c in columns), key))
            for column in columns:
                self._changes.append(
                    ("update", table, key, column, current[column], updated[column])
                )
        return updated

    def delete(self, table: str, key: Any) -> dict[str, Any]:
        """Delete one row (NotFound if missing) and return it."""
        self._check_writable(table)
        meta = self._schema.meta(table)
        current = self.get(table, key)
        key = current[meta.key]
        self._conn.execute(meta.delete_sql, (key,))
        self._changes.append(("delete", table, key, None, current, None))
        return current

    def delete_where(self, table: str, *, where: dict[str, Any]) -> int:
        """Delete every row matching ``where`` (e.g. the items of a deleted order); the count."""
        meta = self._schema.meta(table)
        keys = [
            row[0]
            for row in self._conn.execute(
                f"SELECT {quote_ident(meta.key)} FROM {meta.qname}"
                + self._where(meta, where, None, None)[0],
                self._where(meta, where, None, None)[1],
            )
        ]
        for key in keys:
            self.delete(table, key)
        return len(keys)

    def update_where(self, table: str, *, where: dict[str, Any], values: dict[str, Any]) -> int:
        """Set ``values`` on every row matching ``where`` (each ticket order of a cancelled
        event); the count of rows changed."""
        meta = self._schema.meta(table)
        sql, params = self._where(meta, where, None, None)
        keys = [
            row[0]
            for row in self._conn.execute(
                f"SELECT {quote_ident(meta.key)} FROM {meta.qname}{sql}", params
            )
        ]
        for key in keys:
            self.update(table, key, values)
        return len(keys)

    def rows(self, table: str, *, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row matching ``where``, in key order, without the search limit."""
        meta = self._schema.meta(table)
        sql, params = self._where(meta, where, None, None)
        query = f"SELECT {meta.select_list} FROM {meta.qname}{sql} ORDER BY {quote_ident(meta.key)}"
        return [meta.decode(r) for r in self._conn.execute(query, params).fetchall()]

    def children(self, table: str, column: str, key: Any, *, fields: Iterable[str] | None = None):
        """Every row of ``table`` whose ``column`` holds ``key`` (a parent's child rows), in
        key order and without the search limit."""
        meta = self._schema.meta(table)
        self._check_columns(meta, {column: None})
        query = (
            f"SELECT {meta.select_list} FROM {meta.qname} WHERE {quote_ident(column)} = ? "
            f"ORDER BY {quote_ident(meta.key)}"
        )
        rows = [meta.decode(r) for r in self._conn.execute(query, (key,)).fetchall()]
        if fields is not None:
            fields = tuple(fields)
            return [_project(r, fields, meta) for r in rows]
        return rows

    def new_id(self, table: str) -> Any:
        """The next free id of ``table`` in its format (``ORD-000124``, 125, ...), deterministic."""
        meta = self._schema.meta(table)
        spec = meta.table
        if meta.key_type == "INTEGER":
            top = self._conn.execute(meta.max_key_sql).fetchone()[0]
            return (int(top) if top is not None else 0) + 1
        if spec.id_pattern and not spec.id_prefix:
            return self._pattern_id(meta)
        prefix, width = spec.id_prefix, spec.id_width or 5
        top = self._conn.execute(meta.max_key_sql).fetchone()[0]
        number = _number_after(top, prefix)
        if number is not None:
            candidate = f"{prefix}{number + 1:0{width}d}"
            if self._conn.execute(meta.exists_sql, (candidate,)).fetchone() is None:
                return candidate
        numbers = [
            n
            for (k,) in self._conn.execute(f"SELECT {quote_ident(meta.key)} FROM {meta.qname}")
            if (n := _number_after(k, prefix)) is not None
        ]
        return f"{prefix}{(max(numbers) if numbers else 0) + 1:0{width}d}"

    def _pattern_id(self, meta: TableMeta) -> str:
        count = self.count(meta.name)
        pattern = meta.table.id_pattern or ""
        for attempt in range(200):
            candidate = ValueFactory(stable_seed(meta.name, count, attempt)).from_pattern(pattern)
            if candidate is None:
                break
            if self._conn.execute(meta.exists_sql, (candidate,)).fetchone() is None:
                return candidate
        raise WorldBugError(f"cannot make a new id for {meta.name} matching {pattern!r}")

    def exists_where(self, table: str, *, where: dict[str, Any] | None = None) -> bool:
        """Whether some row matches ``where`` (same filters as :meth:`find`)."""
        return self.count(table, where=where) > 0

    def total(self, table: str, column: str, *, where: dict[str, Any] | None = None) -> float:
        """Sum of ``column`` over the matching rows (0 when none)."""
        return self._aggregate("total", table, column, where) or 0

    def average(
        self, table: str, column: str, *, where: dict[str, Any] | None = None
    ) -> float | None:
        """Mean of ``column`` over the matching rows (None when none)."""
        value = self._aggregate("avg", table, column, where)
        return None if value is None else round(float(value), 6)

    def _aggregate(
        self, function: str, table: str, column: str, where: dict[str, Any] | None
    ) -> Any:
        meta = self._schema.meta(table)
        self._check_columns(meta, {column: None})
        sql, params = self._where(meta, where, None, None)
        query = f"SELECT {function}({quote_ident(column)}) FROM {meta.qname}{sql}"
        return self._conn.execute(query, params).fetchone()[0]

    # --- the world clock and date arithmetic --------------------------------------------------
    def now(self) -> str:
        """The world's fixed date and time (ISO 8601, seconds), in UTC written with ``Z`` as the
        seeded moments are (a row a tool stamps reads like the rows beside it)."""
        return self._schema.clock.isoformat(timespec="seconds").replace("+00:00", "Z")

    def today(self) -> str:
        """The world's date (YYYY-MM-DD)."""
        return self._schema.clock.date().isoformat()

    @staticmethod
    def days_between(start: Any, end: Any) -> int:
        """Whole days from ``start`` to ``end`` (dates or date-times; negative if end is first)."""
        return (_as_date(end) - _as_date(start)).days

    @staticmethod
    def years_between(start: Any, end: Any) -> int:
        """Whole years from ``start`` to ``end`` (an age on a date)."""
        first, last = _as_date(start), _as_date(end)
        years = last.year - first.year
        if (last.month, last.day) < (first.month, first.day):
            years -= 1
        return years

    @staticmethod
    def weekday(value: Any) -> int:
        """Day of the week of a date: 0 Monday ... 6 Sunday."""
        return _as_date(value).weekday()

    @staticmethod
    def day_part(value: Any) -> str:
        """Part of the day of a date-time: morning from 5:00, afternoon from 12:00, evening
        from 17:00, night from 21:00 (a date alone is at midnight: night)."""
        hour = _as_datetime(value).hour
        for start, part in DAY_PARTS:
            if hour >= start:
                return part
        return "night"

    @staticmethod
    def working_days(start: Any, end: Any) -> int:
        """Monday-to-Friday days from ``start`` to ``end``, both counted (0 when end is first)."""
        first, last = _as_date(start), _as_date(end)
        days = (last - first).days + 1
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        return weeks * 5 + sum((first.weekday() + i) % 7 < 5 for i in range(rest))

    @staticmethod
    def hours_between(start: Any, end: Any) -> float:
        """Hours from ``start`` to ``end`` (date-times; dates count from midnight)."""
        seconds = (_as_datetime(end) - _as_datetime(start)).total_seconds()
        return round(seconds / 3600.0, 6)

    @staticmethod
    def add_days(value: Any, days: Any) -> str:
        """A date (or date-time) moved by a whole number of days, in the same form."""
        if isinstance(value, str) and len(value) <= 10:
            return (_as_date(value) + dt.timedelta(days=int(days))).isoformat()
        return _written_like(_as_datetime(value) + dt.timedelta(days=int(days)), value)

    @staticmethod
    def add_hours(value: Any, hours: Any) -> str:
        """A date-time moved by a number of hours, in the same form (``Z``, an offset or none)."""
        return _written_like(_as_datetime(value) + dt.timedelta(hours=float(hours)), value)

    @staticmethod
    def lower(text: Any) -> Any:
        return text.lower() if isinstance(text, str) else text

    @staticmethod
    def coalesce(*values: Any) -> Any:
        return next((v for v in values if v is not None), None)

    # --- compute-style tools ----------------------------------------------------------------
    def derive(self, schema: dict[str, Any] | None, tool: str, *_ignored: Any) -> Any:
        """A value shaped like ``schema``, fixed per tool: a tool no table or formula backs
        answers the same whatever its arguments (they are never hashed into values)."""
        return derive(schema, tool)

    # --- internals --------------------------------------------------------------------------
    def _check_writable(self, table: str) -> None:
        if self._readonly:
            raise WorldBugError(f"a READ tool tried to write table {table!r}; tag it kind='write'")

    def _check_columns(self, meta: TableMeta, values: dict[str, Any]) -> None:
        for column in values:
            if column not in meta.types:
                raise WorldBugError(
                    f"table {meta.name!r} has no column {column!r} (columns: {', '.join(meta.columns)})"
                )

    def _check_references(self, meta: TableMeta, values: dict[str, Any]) -> None:
        for column, (ref_table, _ref_key) in meta.references.items():
            value = values.get(column)
            if value is None:
                continue
            ref_meta = self._schema.meta(ref_table)
            if (
                self._conn.execute(ref_meta.exists_sql, (ref_meta.key_value(value),)).fetchone()
                is None
            ):
                raise NotFound(f"{ref_meta.entity} {value} not found")

    def _where(
        self,
        meta: TableMeta,
        where: dict[str, Any] | None,
        ranges: dict[str, tuple[Any, Any]] | None,
        text: str | None,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (where or {}).items():
            if value is None:
                continue
            self._check_columns(meta, {column: None})
            name = quote_ident(column)
            if isinstance(value, (list, tuple)) and meta.types[column] != "JSON":
                if not value:
                    clauses.append("0")
                    continue
                clauses.append(f"{name} IN ({', '.join('?' for _ in value)})")
                params.extend(meta.encode(column, v) for v in value)
            else:
                clauses.append(f"{name} = ?")
                params.append(meta.encode(column, value))
        for column, bounds in (ranges or {}).items():
            self._check_columns(meta, {column: None})
            low, high = bounds
            name = quote_ident(column)
            if low is not None:
                clauses.append(f"{name} >= ?")
                params.append(low)
            if high is not None:
                clauses.append(f"{name} <= ?")
                params.append(high)
        if text:
            columns = meta.text_columns or ()
            if columns:
                ors = " OR ".join(f"instr(lower({quote_ident(c)}), ?) > 0" for c in columns)
                clauses.append(f"({ors})")
                params.extend(str(text).lower() for _ in columns)
        return ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params

    def _order(self, meta: TableMeta, order_by: str | None) -> str:
        key = quote_ident(meta.key)
        if not order_by or not isinstance(order_by, str):
            return key
        match = _ORDER.match(order_by)
        if not match:
            return key
        descending = bool(match.group(1)) or (match.group(3) or "").lower().startswith("desc")
        column = match.group(2).strip().replace(" ", "_").lower()
        if column not in meta.types or meta.types[column] == "JSON":
            return key
        return f"{quote_ident(column)} {'DESC' if descending else 'ASC'}, {key}"

    def _take_changes(self) -> list[Change]:
        changes, self._changes = self._changes, []
        return changes


def _decode_value(meta: TableMeta, column: str, stored: Any) -> Any:
    if stored is None:
        return None
    if column in meta.json_columns:
        return json.loads(stored)
    if column in meta.bool_columns:
        return bool(stored)
    return stored


def _project(record: dict[str, Any], fields: Iterable[str], meta: TableMeta) -> dict[str, Any]:
    result = {}
    for name in fields:
        if name not in record:
            raise WorldBugError(f"table {meta.name!r} has no column {name!r}")
        result[name] = record[name]
    return result


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidArgument(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value)
        try:
            moment = (
                dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
                if len(text) > 10
                else dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
            )
        except ValueError:
            raise InvalidArgument(f"{value!r} is not a date and time (ISO 8601)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _written_like(moment: dt.datetime, value: Any) -> str:
    """``moment`` written as ``value`` was: with no offset when it had none, ``Z`` for UTC when
    it ended in ``Z`` or was a date (the world's moments are written ``...Z``), else its offset."""
    text = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
    if _OFFSET.search(text):
        return moment.isoformat(timespec="seconds")
    if len(text) > 10 and not text.endswith("Z"):
        return moment.replace(tzinfo=None).isoformat(timespec="seconds")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


_OFFSET = re.compile(r"[+-]\d\d:?\d\d$")


def _number_after(key: Any, prefix: str) -> int | None:
    if not isinstance(key, str) or not key.startswith(prefix):
        return None
    digits = key[len(prefix) :]
    return int(digits) if digits.isdigit() else None
