"""Expressions that shape table rows into each tool's declared result, and literal helpers.

Used by :mod:`agentscaler.worlds.codegen.generate`: a field of the ``returns`` schema that names a column
reads it from the row; ``id`` reads the primary key; a nested object is shaped from the same
row; counts become ``len(rows)``; success flags ``True``; messages say what happened; an object
or list field nothing fills is empty (``{}``, ``[]``).
"""

from __future__ import annotations

import json
from typing import Any

from agentscaler.naming import singular
from agentscaler.worlds.interface import COUNT_FIELDS, ENVELOPE_FIELDS, snake
from agentscaler.worlds.schemas import resolve_schema, schema_type

# a declared field nothing fills: the empty value of its type (``car_info: {}``), not null
EMPTY_OF_TYPE = {"object": "{}", "array": "[]"}


class Shaper:
    """Expressions that shape rows into a tool's declared result."""

    def __init__(self, fn: Any, var: str) -> None:
        """``fn`` is the codegen builder of the tool (its binding, table, names and emit)."""
        self.fn = fn
        self.var = var
        self.table = fn.table

    def column_for(self, prop: str) -> str | None:
        if self.table is None:
            return None
        if prop == "id":
            return self.table.primary_key
        name = snake(prop)
        if self.table.column(name) is None:
            shown = name.removeprefix("new_").removeprefix("updated_")  # new_balance -> balance
            if shown != name and self.table.column(shown) is not None:
                return shown
            # a field named by the record's noun and a column: card_balance of a credit card
            nouns = {singular(w) for w in f"{self.table.name}_{self.table.entity}".split("_") if w}
            head, _, rest = name.partition("_")
            if head in nouns and rest and self.table.column(rest) is not None:
                return rest
            return None
        return name

    def projection(self, fields: dict[str, Any]) -> tuple[str, ...] | None:
        """Columns to select when every field is a column of the same name."""
        if not fields or self.table is None:
            return None
        if all(self.table.column(f) is not None for f in fields):
            return tuple(fields)
        return None

    def message(self) -> str:
        fn = self.fn
        key = self.table.primary_key if self.table else None
        who = f"{fn.label} {{{self.var}[{key!r}]}}" if key and self.var else fn.label
        verb = {
            "get": "found",
            "create": "created",
            "update": "updated",
            "delete": "deleted",
            "transition": f"is now {escape_braces(str(fn.binding.to_status))}",
        }.get(fn.binding.operation, "done")
        return f'f"{who} {verb}"'

    def single(self, schema: dict[str, Any] | None, count: str = "1") -> str:
        if not schema:
            return self.var
        schema = resolve_schema(schema)
        json_type = schema_type(schema)
        if (
            json_type == "object"
            and isinstance(schema.get("properties"), dict)
            and schema["properties"]
        ):
            return self.object(schema["properties"], count)
        if json_type == "object":
            return self.var
        if json_type == "array":
            return f"[{self.var}]"
        if json_type == "string":
            return self.message()
        if json_type == "boolean":
            return "True"
        column = self._noun_column()
        return f'{self.var}["{column}"]' if column else "None"

    def _noun_column(self) -> str | None:
        for noun in reversed(self.fn.shape.nouns):
            column = self.column_for(noun)
            if column:
                return column
        return None

    def object(self, props: dict[str, Any], count: str = "1", depth: int = 0) -> str:
        entries: list[tuple[str, str]] = []
        for prop, sub in props.items():
            entries.append(
                (prop, self.field(prop, sub if isinstance(sub, dict) else {}, count, depth))
            )
        return dict_literal(entries, depth)

    def field(self, prop: str, sub: dict[str, Any], count: str, depth: int) -> str:
        column = self.column_for(prop)
        sub = resolve_schema(sub)
        json_type = schema_type(sub)
        if column and self.var:
            return f'{self.var}["{column}"]'
        children = self.fn.children_of_row(self.var) if self.var else {}
        if prop in children and json_type in ("array", None):
            return self._children(prop, sub, *children[prop])
        if (
            json_type == "object"
            and isinstance(sub.get("properties"), dict)
            and sub["properties"]
            and depth < 2
        ):
            return self.object(sub["properties"], count, depth + 1)
        if prop in COUNT_FIELDS and json_type in ("integer", "number", None):
            return count
        if json_type == "boolean":
            return "True"
        if prop in ENVELOPE_FIELDS and json_type in ("string", None):
            return self.message()
        for param in self.fn.shape.params:
            if param.name == prop:
                return self.fn.py[param.name]
        if json_type == "string" and self.var:
            return self.message()
        return EMPTY_OF_TYPE.get(json_type or "", "None")

    def many(self, rows: str, schema: dict[str, Any] | None, *, projected: bool) -> str:
        table = self.table.name if self.table else "results"
        if not schema:
            return f'{{"{table}": {rows}, "count": len({rows})}}'
        schema = resolve_schema(schema)
        json_type = schema_type(schema)
        returns = self.fn.shape.returns
        if json_type == "array":
            return (
                rows
                if projected or not returns.item_fields
                else self._items(rows, returns.item_fields)
            )
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        if returns.list_key:
            entries = []
            for prop, sub in props.items():
                if prop == returns.list_key:
                    value = (
                        rows
                        if projected or not returns.item_fields
                        else self._items(rows, returns.item_fields)
                    )
                elif prop in COUNT_FIELDS:
                    value = f"len({rows})"
                else:
                    value = Shaper(self.fn, "").field(
                        prop, sub if isinstance(sub, dict) else {}, f"len({rows})", 0
                    )
                entries.append((prop, value))
            return dict_literal(entries, 0)
        # a search declared to return one object: the first match
        first = self.fn.local(self.fn.entity)
        self.fn.emit(f"if not {rows}:")
        self.fn.emit(f'    raise NotFound(f"no {self.fn.label} matches {self.fn._args_text()}")')
        self.fn.emit(f"{first} = {rows}[0]")
        return Shaper(self.fn, first).single(schema, f"len({rows})")

    def _children(self, prop: str, sub: dict[str, Any], table: Any, column: str) -> str:
        """The child rows making up a list field (``items`` of an order), projected onto the
        item fields the schema names when they are all columns of the child table."""
        key = self.table.primary_key if self.table is not None else "id"
        items = sub.get("items") if isinstance(sub.get("items"), dict) else {}
        props = resolve_schema(items).get("properties") if items else None
        fields = ""
        if isinstance(props, dict) and props and all(table.column(f) for f in props):
            fields = f", fields={tuple_literal(tuple(props))}"
        return f'db.children("{table.name}", "{column}", {self.var}["{key}"]{fields})'

    def _items(self, rows: str, fields: dict[str, Any]) -> str:
        item = self.fn.local("row")
        inner = Shaper(self.fn, item).object(fields, "1", 1)
        return f"[{inner} for {item} in {rows}]"


def dict_literal(entries: list[tuple[str, str]], depth: int) -> str:
    if not entries:
        return "{}"
    one = "{" + ", ".join(f"{str_literal(k)}: {v}" for k, v in entries) + "}"
    if len(one) <= 80 and "\n" not in one:
        return one
    pad = "    " * (depth + 2)
    close = "    " * (depth + 1)
    return "{\n" + "".join(f"{pad}{str_literal(k)}: {v},\n" for k, v in entries) + close + "}"


def str_literal(text: str) -> str:
    """A double-quoted Python string literal."""
    return json.dumps(text, ensure_ascii=False)


def tuple_literal(items: tuple[str, ...]) -> str:
    inner = ", ".join(str_literal(i) for i in items)
    return f"({inner},)" if len(items) == 1 else f"({inner})"


def spoken(values: tuple[str, ...]) -> str:
    values = tuple(str(v) for v in values)
    if len(values) == 1:
        return values[0]
    return ", ".join(values[:-1]) + " or " + values[-1]


def escape_braces(text: str) -> str:
    """Text made safe inside a double-quoted f-string literal."""
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
