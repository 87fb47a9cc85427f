"""Canonical state hash, readable diffs and snapshots of a world database.

The hash is SHA-256 over, for each table in name order, its name, its columns with their logical
types (so a BOOLEAN ``true`` differs from an INTEGER ``1``), and every row in primary-key order
encoded by SQLite's ``json_array`` (so ``1``, ``1.0`` and ``"1"`` differ). It does not depend on
the order rows were written, on the page layout, or on the Python or SQLite build. REAL values
enter with 15 significant digits, so float noise below that (``0.1 + 0.2`` vs ``0.3``) does not
make two states differ; diffs compare the same way.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.errors import WorldError
from agentscaler.records.world import StateChange
from agentscaler.worlds.runtime.dbapi import Schema, TableMeta


@dataclass(frozen=True)
class Snapshot:
    """A database state as bytes, with the per-table digests known when it was taken."""

    data: bytes
    digests: dict[str, str] = field(default_factory=dict, compare=False)

    def save(self, path: Path) -> None:
        Path(path).write_bytes(self.data)


def table_digest(conn: sqlite3.Connection, meta: TableMeta) -> str:
    """SHA-256 of one table's header (its name, columns with their types and row count) and
    rows (in primary-key order)."""
    row = conn.execute(meta.digest_sql).fetchone()
    digest = hashlib.sha256(f"{meta.digest_head},{row[0]}]".encode())
    if row[1]:
        digest.update(b"\n")
        digest.update(row[1].encode("utf-8"))
    return digest.hexdigest()


def combine(digests: dict[str, str]) -> str:
    """The state hash from per-table digests."""
    digest = hashlib.sha256()
    for name in sorted(digests):
        digest.update(f"{name}:{digests[name]};".encode())
    return digest.hexdigest()


def state_hash(conn: sqlite3.Connection, schema: Schema) -> str:
    """Canonical hash of the whole state of a world database."""
    return combine({name: table_digest(conn, meta) for name, meta in schema.tables.items()})


def connect_bytes(data: bytes) -> sqlite3.Connection:
    """A private in-memory connection holding a copy of a serialized database."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.deserialize(data)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise WorldError(f"not a SQLite database image ({exc})") from exc
    return conn


def _rows(conn: sqlite3.Connection, meta: TableMeta) -> dict[Any, dict[str, Any]]:
    result = {}
    for row in conn.execute(f"SELECT {meta.select_list} FROM {meta.qname}"):
        record = meta.decode(row)
        result[record[meta.key]] = record
    return result


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return f"{a:.15g}" == f"{b:.15g}"
    return a == b


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


def diff_connections(
    old: sqlite3.Connection,
    new: sqlite3.Connection,
    schema: Schema,
    *,
    old_digests: dict[str, str] | None = None,
    new_digests: dict[str, str] | None = None,
) -> list[StateChange]:
    """Cell-level changes that turn state ``old`` into state ``new``.

    Inserted and deleted rows are one change each (the whole row as ``new``/``old``); an updated
    row gives one change per changed column. Tables whose digests agree are skipped.
    """
    changes: list[StateChange] = []
    for name in sorted(schema.tables):
        meta = schema.tables[name]
        a = (old_digests or {}).get(name) or table_digest(old, meta)
        b = (new_digests or {}).get(name) or table_digest(new, meta)
        if a == b:
            continue
        before, after = _rows(old, meta), _rows(new, meta)
        for key in sorted(set(before) | set(after), key=_sort_key):
            if key not in before:
                changes.append(StateChange(op="insert", table=name, key=key, new=after[key]))
            elif key not in after:
                changes.append(StateChange(op="delete", table=name, key=key, old=before[key]))
            else:
                old_row, new_row = before[key], after[key]
                for column in meta.columns:
                    if not _same(old_row[column], new_row[column]):
                        changes.append(
                            StateChange(
                                op="update",
                                table=name,
                                key=key,
                                column=column,
                                old=old_row[column],
                                new=new_row[column],
                            )
                        )
    return changes


def format_changes(changes: list[StateChange]) -> list[str]:
    """One readable line per change."""
    lines = []
    for change in changes:
        if change.op == "update":
            lines.append(str(change))
        elif change.op == "insert":
            lines.append(f"insert {change.table}[{change.key}] {canonical_json(change.new)}")
        else:
            lines.append(f"delete {change.table}[{change.key}]")
    return lines
