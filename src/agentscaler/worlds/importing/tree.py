"""Records that nest records of their own shape (a directory's ``contents`` map of files and
directories) as one self-referencing table, and the current node of a session over it.

A keyed collection is a tree when one field of its records is, wherever it is given, a map of
records that again may hold that field (``{"root": {"type": "directory", "contents": {...}}}``):
every node becomes one row (a key numbered in document order, the parent's key, the name it has
in its parent's map, and its other fields as columns), and a one-row session table holds the
current node (the first top-level node: where a session starts). Export nests the rows again
under the same names, in the same order, each node with the nesting field exactly when the data
gives it.
"""

from __future__ import annotations

from typing import Any

NODE_KEY = "node_id"
PARENT_COLUMN = "parent_id"
NAME_COLUMN = "name"
SESSION_TABLE = "session"
SESSION_KEY = "session_id"
CURRENT_COLUMN = "current_node_id"


def nesting_field(value: Any, *, empty: bool = False) -> str | None:
    """The field through which the records of a keyed collection nest records of their own
    shape, or None when they do not; with ``empty`` (the tools speak of a current directory),
    also a map field every record has and none fills yet."""
    if not isinstance(value, dict) or not value:
        return None
    if not all(isinstance(k, str) and isinstance(v, dict) and v for k, v in value.items()):
        return None
    candidates: set[str] | None = None
    for record in value.values():
        maps = {f for f, v in record.items() if isinstance(v, dict)}
        candidates = maps if candidates is None else candidates | maps
    for field in sorted(candidates or ()):
        if _nests(value, field, set().union(*(set(r) for r in value.values())), depth=0):
            return field
    if empty:
        for field in sorted(candidates or ()):
            if all(r.get(field) == {} for r in value.values()) and any(
                set(r) - {field} for r in value.values()
            ):
                return field
    return None


def _nests(nodes: dict[str, Any], field: str, fields: set[str], depth: int) -> bool:
    """Every node is a record sharing a field other than ``field`` with the top level; its
    ``field``, when given, is a map of such nodes; at least one node holds a node."""
    found = False
    for record in nodes.values():
        if not isinstance(record, dict) or not record:
            return False
        if not (set(record) - {field}) & (fields - {field}):
            return False
        if field not in record:
            continue
        inner = record[field]
        if not isinstance(inner, dict) or not all(isinstance(k, str) for k in inner):
            return False
        if inner:
            if depth > 64 or not _nests(inner, field, fields, depth + 1):
                return False
            found = True
    return found or depth > 0


def flatten(
    value: dict[str, Any], field: str
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    """``(fields, rows, facts)``: the node fields other than the nesting one in order of first
    use; one row per node in document order (key, parent key, name, fields); and what export
    needs: the keys of nodes given without the nesting field."""
    fields: list[str] = []
    rows: list[dict[str, Any]] = []
    bare: list[int] = []

    def walk(nodes: dict[str, Any], parent: int | None) -> None:
        for name, record in nodes.items():
            key = len(rows) + 1
            row: dict[str, Any] = {NODE_KEY: key, PARENT_COLUMN: parent, NAME_COLUMN: name}
            for f, v in record.items():
                if f == field:
                    continue
                if f not in fields:
                    fields.append(f)
                row[f] = v
            rows.append(row)
            if field in record:
                walk(record[field], key)
            else:
                bare.append(key)

    walk(value, None)
    return fields, rows, {"bare": bare}


def nesting_rule(
    rows: list[dict[str, Any]], columns: list[str], bare: set[int]
) -> tuple[str, tuple[Any, ...]] | None:
    """A column whose value says whether a node holds the nesting field (``type``:
    ``directory`` nodes have ``contents``, ``file`` nodes not): ``(column, values that hold
    it)``, so that new nodes are written like the data's; a column of few values (a kind,
    not a measure)."""
    for column in columns:
        holding: set[Any] = set()
        lacking: set[Any] = set()
        for row in rows:
            value = row.get(column)
            if not isinstance(value, (str, int, bool)):
                break
            (lacking if row[NODE_KEY] in bare else holding).add(value)
        else:
            telling = len(holding | lacking) <= max(2, len(rows) // 2)
            if holding and not holding & lacking and telling:
                return column, tuple(sorted(holding, key=str))
    return None
