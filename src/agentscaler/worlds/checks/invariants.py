"""The invariants a world's spec declares, checked on a database: columns that belong to a state
are null in the others (``only_when``) and every entity's ``invariants`` hold on every row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentscaler.worlds.infer.rules.context import row_name
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.spec.expr import Scope, eval_builtins, to_python
from agentscaler.worlds.spec.model import WorldSpec

_BUILTINS = eval_builtins()


@dataclass(frozen=True)
class Violation:
    entity: str
    key: Any
    what: str

    def __str__(self) -> str:
        return f"{self.entity} {self.key}: {self.what}"


class InvariantChecker:
    """Checks the invariants of one spec (expressions compiled once)."""

    def __init__(self, spec: WorldSpec) -> None:
        self.spec = spec
        tables = {name: e.table for name, e in spec.entities.items()}
        self._code: dict[str, list[tuple[str, Any]]] = {}
        for name, entity in spec.entities.items():
            row = row_name(name)
            scope = Scope(params={}, rows={row: "row"}, tables=tables)
            compiled = []
            for index, text in enumerate(entity.invariants):
                where = f"entities.{name}.invariants[{index}]"
                compiled.append((text, compile(to_python(text, scope, where), where, "eval")))
            self._code[name] = compiled

    def violations(
        self, db: Database, tables: set[str] | None = None, *, limit: int = 20
    ) -> list[Violation]:
        """Rows breaking an invariant (of the given tables only, when ``tables`` is given)."""
        found: list[Violation] = []
        for name, entity in self.spec.entities.items():
            if tables is not None and entity.table not in tables:
                continue
            gated = [(c, col.only_when) for c, col in entity.columns.items() if col.only_when]
            code = self._code[name]
            if not gated and not code:
                continue
            for row in db.rows(entity.table):
                key = row[entity.key]
                for column, when in gated:
                    if row.get(column) is None:
                        continue
                    for other, allowed in (when or {}).items():
                        if row.get(other) not in allowed:
                            found.append(
                                Violation(
                                    name,
                                    key,
                                    f"{column} is set while {other} is {row.get(other)!r} "
                                    f"(only when {' or '.join(map(str, allowed))})",
                                )
                            )
                for text, compiled in code:
                    try:
                        ok = eval(compiled, {"__builtins__": _BUILTINS, "db": db, "row": row})
                    except Exception as exc:
                        ok = False
                        text = f"{text} ({type(exc).__name__})"
                    if not ok:
                        found.append(Violation(name, key, f"breaks {text}"))
                if len(found) >= limit:
                    return found
        return found
