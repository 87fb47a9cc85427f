"""What rule inference knows about one tool: its texts, parameters and the rows it binds."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from agentscaler.records.world import Column, Table
from agentscaler.worlds.interface import ParamInfo
from agentscaler.worlds.spec.expr import FUNCTIONS, param_ref
from agentscaler.worlds.spec.model import SpecLookup, SpecRule

STATE_COLUMN = re.compile(r"(^|_)(status|state|stage|phase)$")
REFERRED = re.compile(r"<(\w+)>(\w+)")
"""A row one reference away, not bound yet: ``<booking>flight`` (see :meth:`RuleContext.referred`)."""


def row_name(entity: str) -> str:
    """The name a tool binds a row of ``entity`` to: the entity's name, unless that is a Python
    keyword or a spec function (``return`` -> ``return_row``)."""
    if keyword.iskeyword(entity) or keyword.issoftkeyword(entity) or entity in FUNCTIONS:
        return f"{entity}_row"
    return entity


@dataclass
class RuleContext:
    """One tool as rule inference sees it; rules may bind more rows (:meth:`bind`)."""

    tool: str
    description: str
    params: dict[str, ParamInfo]
    operation: str
    entity: str | None
    """The entity the tool acts on."""
    main: str | None
    """The row name of the acted-on row (None for creates and searches)."""
    tables: dict[str, Table]
    """Tables by entity."""
    find: dict[str, SpecLookup]
    to_status: str | None = None
    created: str | None = None
    """For a create: the name the new row is bound to."""
    rules: list[SpecRule] = field(default_factory=list)
    """Rules found so far (later finders skip what earlier ones covered)."""
    written: frozenset[str] = frozenset()
    """Arguments whose values the call writes into the acted-on row."""

    # --- the texts ------------------------------------------------------------------------
    def texts(self) -> list[tuple[str | None, str]]:
        """``(parameter or None, text)`` of the description and every parameter description."""
        out: list[tuple[str | None, str]] = [(None, self.description)]
        for name, param in self.params.items():
            text = param.schema.get("description")
            if isinstance(text, str) and text.strip():
                out.append((name, text))
        return out

    # --- rows -------------------------------------------------------------------------------
    def rows(self, *, each: bool = False) -> dict[str, str]:
        """Bound row name -> entity (rows bound inside loops only with ``each``)."""
        return {n: f.entity for n, f in self.find.items() if each or f.each is None}

    def rows_of(self, entity: str) -> list[str]:
        return [n for n, e in self.rows().items() if e == entity]

    def row_entity(self, row: str) -> str | None:
        lookup = self.find.get(row)
        return lookup.entity if lookup is not None else None

    def bind(self, entity: str, by: dict[str, Any], each: str | None = None) -> str:
        """Bind a row of ``entity`` found by ``by`` (an existing identical lookup is reused)."""
        for name, lookup in self.find.items():
            if lookup.entity == entity and lookup.by == by and lookup.each == each:
                return name
        base = row_name(entity)
        name, n = base, 2
        while name in self.find or name == self.created:
            name, n = f"{base}_{n}", n + 1
        self.find[name] = SpecLookup(entity=entity, by=by, each=each)
        return name

    def related(self, row: str, entity: str) -> str | None:
        """A row of ``entity`` that row ``row`` refers to (binding it if needed)."""
        existing = self.rows_of(entity)
        if existing:
            return existing[0]
        source = self.table_of_row(row)
        target = self.tables.get(entity)
        if source is None or target is None:
            return None
        for column in source.columns:
            if column.references == target.name:
                return self.bind(entity, {target.primary_key: f"={row}.{column.name}"})
        return None

    def referred(self) -> list[tuple[str, str]]:
        """``(name, entity)`` of the rows one reference away from a bound row and not bound yet
        (the flight of a booking), named ``<booking>flight`` until a rule uses one
        (:meth:`bind_referred`)."""
        rows = self.rows()
        found = []
        for row, entity in rows.items():
            table = self.tables.get(entity)
            if table is None or row == self.created:
                continue
            for column in table.columns:
                target = next(
                    (e for e, t in self.tables.items() if t.name == column.references), None
                )
                if target is not None and target not in rows.values():
                    found.append((f"<{row}>{target}", target))
        return found

    def bind_referred(self, name: str) -> str | None:
        """The row name a rule uses for ``name``: a bound row's own name, or, for a name from
        :meth:`referred`, the row it binds (None when the reference leads nowhere)."""
        match = REFERRED.fullmatch(name)
        if match is None:
            return name
        return self.related(match.group(1), match.group(2))

    def may_be_none(self, row: str) -> bool:
        """Whether a bound row is None when the call leaves out an optional argument."""
        lookup = self.find.get(row)
        if lookup is None:
            return False
        if lookup.optional:
            return True
        values = list(lookup.by.values())
        if len(values) != 1 or not isinstance(values[0], str):
            return False
        from agentscaler.worlds.spec.expr import param_of

        name = param_of(values[0])
        return name is not None and name in self.params and not self.params[name].required

    def table_of_row(self, row: str) -> Table | None:
        entity = self.row_entity(row)
        return self.tables.get(entity) if entity else None

    # --- columns ----------------------------------------------------------------------------
    def state_columns(self, entity: str) -> list[Column]:
        """Enum columns of an entity that hold a state (status, stage, lock_state ...)."""
        table = self.tables.get(entity)
        if table is None:
            return []
        return [
            c
            for c in table.columns
            if c.enum
            and len(c.enum) >= 2
            and (c.semantic == "status" or STATE_COLUMN.search(c.name))
        ]

    def param_ref(self, name: str) -> str:
        return param_ref(name)
