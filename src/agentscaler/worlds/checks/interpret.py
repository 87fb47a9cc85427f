"""A second, independent reading of the spec: it runs a tool's spec entry directly on a
database (lookups, rules, effects) without the generated code.

The semantic checks compare the generated tool code with this interpreter: on the same state
and arguments both must succeed or fail with the same rule, and leave the same state. The
interpreter evaluates each spec expression on its own; it shares only the expression language
with the code generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentscaler.errors import InvalidArgument, NotFound, PreconditionFailed, ToolError
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.spec.expr import (
    Scope,
    eval_builtins,
    may_empty,
    param_of,
    parse_each,
    to_python,
    value_to_python,
)
from agentscaler.worlds.spec.model import SpecEffect, SpecLookup, SpecRule, SpecTool, WorldSpec
from agentscaler.worlds.spellings import read_arguments

_BUILTINS = eval_builtins()


@dataclass
class Outcome:
    """What a tool's spec says a call does: success, or the domain error (and its rule)."""

    ok: bool
    error: str | None = None
    rule: str | None = None
    message: str = ""
    rows: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    """For a compute tool with formulas: each result field and its value."""


class _Violation(Exception):
    def __init__(self, rule: SpecRule, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class Interpreter:
    """Runs the spec entries of a world's tools on a :class:`Database`."""

    def __init__(
        self,
        spec: WorldSpec,
        params: dict[str, list[str]],
        defaults: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """``params``: each tool's parameter names; ``defaults``: values of absent optional
        arguments (both from the tools' interfaces)."""
        self.spec = spec
        self.params = params
        self.defaults = defaults or {}
        self.tables = {name: e.table for name, e in spec.entities.items()}
        self._code: dict[tuple[str, str], Any] = {}

    # --- expressions ------------------------------------------------------------------------
    def _scope(self, tool: str, rows: dict[str, Any], items: dict[str, Any]) -> Scope:
        return Scope(
            params={p: f"p_{i}" for i, p in enumerate(self.params[tool])},
            rows={r: r for r in rows},
            items={i: i for i in items},
            tables=self.tables,
        )

    def _namespace(
        self, tool: str, db: Database, args: dict[str, Any], rows: dict, items: dict
    ) -> dict[str, Any]:
        namespace: dict[str, Any] = {"db": db, "__builtins__": _BUILTINS}
        defaults = self.defaults.get(tool, {})
        for i, name in enumerate(self.params[tool]):
            namespace[f"p_{i}"] = args[name] if name in args else defaults.get(name)
        namespace.update(rows)
        namespace.update(items)
        return namespace

    def evaluate(
        self,
        tool: str,
        text: str,
        db: Database,
        args: dict[str, Any],
        rows: dict[str, Any],
        items: dict[str, Any] | None = None,
        *,
        value: bool = False,
    ) -> Any:
        """Evaluate a spec expression (``value``: a spec value, literal or ``=expression``)."""
        items = items or {}
        scope = self._scope(tool, rows, items)
        where = f"tools.{tool}"
        code = value_to_python(text, scope, where) if value else to_python(text, scope, where)
        compiled = self._code.get((code, "eval"))
        if compiled is None:
            compiled = compile(code, f"<spec {tool}>", "eval")
            self._code[(code, "eval")] = compiled
        return eval(compiled, self._namespace(tool, db, args, rows, items))

    def _each(
        self, tool: str, each: str, db: Database, args: dict, rows: dict
    ) -> tuple[str, list[Any]]:
        variable, _ = parse_each(each, f"tools.{tool}.each")
        iterable = self.evaluate(tool, each.partition(" in ")[2], db, args, rows)
        return variable, list(iterable or ())

    # --- the steps of a call ----------------------------------------------------------------
    def _lookup(
        self, tool: str, lookup: SpecLookup, db: Database, args: dict, rows: dict, items: dict
    ) -> Any:
        entity = self.spec.entities[lookup.entity]
        by = {
            column: self.evaluate(tool, v, db, args, rows, items, value=True)
            for column, v in lookup.by.items()
        }
        keyed = list(by) == [entity.key]
        if (lookup.optional or (keyed and self._optional_ref(tool, lookup))) and all(
            v is None for v in by.values()
        ):
            return None
        if keyed:
            return db.get(entity.table, by[entity.key])
        matches = db.find(entity.table, where=by, limit=1)
        if not matches:
            raise NotFound(f"no {lookup.entity} matches")
        return matches[0]

    def _optional_ref(self, tool: str, lookup: SpecLookup) -> bool:
        """A lookup by one argument alone is skipped when the argument is absent."""
        values = list(lookup.by.values())
        return len(values) == 1 and param_of(values[0]) is not None

    def _rule(
        self, tool: str, rule: SpecRule, db: Database, args: dict, rows: dict, items: dict
    ) -> None:
        if rule.when and not self.evaluate(tool, rule.when, db, args, rows, items):
            return
        if not self.evaluate(tool, rule.check, db, args, rows, items):
            raise _Violation(rule, rule.error)

    def check(self, tool: str, db: Database, args: dict[str, Any]) -> Outcome:
        """Lookups and rules of ``tool`` on ``db`` (nothing is written): which rule fails first."""
        spec_tool = self.spec.tools[tool]
        rows: dict[str, Any] = {}
        spellings = {n: p.spelling for n, p in spec_tool.params.items() if p.spelling}
        if spellings:
            args = read_arguments(args, spellings)
        return self._outcome(lambda: self._checks(tool, spec_tool, db, args, rows), rows)

    @staticmethod
    def _outcome(step: Callable[[], None], rows: dict[str, Any]) -> Outcome:
        """Run ``step``: success, or the error code and rule it failed on."""
        try:
            step()
        except _Violation as violation:
            return Outcome(
                False, "precondition_failed", violation.rule.name, str(violation), rows=rows
            )
        except ToolError as exc:
            return Outcome(False, exc.code, getattr(exc, "rule", None), str(exc), rows=rows)
        return Outcome(True, rows=rows)

    def _checks(self, tool: str, spec_tool: SpecTool, db: Database, args: dict, rows: dict) -> None:
        for name, lookup in spec_tool.find.items():
            if lookup.each is None:
                rows[name] = self._lookup(tool, lookup, db, args, rows, {})
        for rule in spec_tool.requires:
            if rule.each is None:
                self._rule(tool, rule, db, args, rows, {})
        for each in spec_tool.loops():
            variable, elements = self._each(tool, each, db, args, rows)
            for element in elements:
                inner = dict(rows)
                items = {variable: element}
                for name, lookup in spec_tool.find.items():
                    if lookup.each == each:
                        inner[name] = self._lookup(tool, lookup, db, args, inner, items)
                for rule in spec_tool.requires:
                    if rule.each == each:
                        self._rule(tool, rule, db, args, inner, items)

    def run(self, tool: str, db: Database, args: dict[str, Any]) -> Outcome:
        """The whole call: lookups, rules and effects on ``db`` (which it changes on success)."""
        spec_tool = self.spec.tools[tool]
        rows: dict[str, Any] = {}
        spellings = {n: p.spelling for n, p in spec_tool.params.items() if p.spelling}
        if spellings:
            args = read_arguments(args, spellings)

        def call() -> None:
            self._checks(tool, spec_tool, db, args, rows)
            if spec_tool.kind == "update":
                self._nothing_to_change(spec_tool, {**self.defaults.get(tool, {}), **args})
            for effect in spec_tool.effects:
                self._effect(tool, spec_tool, effect, db, args, rows)
            if spec_tool.compute:
                computed.update(
                    (name, self.evaluate(tool, formula, db, args, rows, value=True))
                    for name, formula in spec_tool.compute.items()
                )

        computed: dict[str, Any] = {}
        outcome = self._outcome(call, rows)
        if outcome.ok and spec_tool.compute:
            outcome.result = computed
        return outcome

    @staticmethod
    def _nothing_to_change(spec_tool: SpecTool, args: dict[str, Any]) -> None:
        main = next((e for e in spec_tool.effects if e.op == "update" and e.each is None), None)
        if main is None or not main.values:
            return
        names = []
        for value in main.values.values():
            name = param_of(value)
            if name is None:
                return
            names.append(name)
        if all(args.get(n) is None for n in names):
            raise InvalidArgument("nothing to change")

    def _effect(
        self,
        tool: str,
        spec_tool: SpecTool,
        effect: SpecEffect,
        db: Database,
        args: dict,
        rows: dict,
    ) -> None:
        if effect.each is None:
            self._apply(tool, spec_tool, effect, db, args, rows, {})
            return
        variable, elements = self._each(tool, effect.each, db, args, rows)
        for element in elements:
            inner = dict(rows)
            items = {variable: element}
            for name, lookup in spec_tool.find.items():
                if lookup.each == effect.each:
                    inner[name] = self._lookup(tool, lookup, db, args, inner, items)
            self._apply(tool, spec_tool, effect, db, args, inner, items)
            for name in rows:
                rows[name] = inner.get(name, rows[name])

    def _apply(
        self,
        tool: str,
        spec_tool: SpecTool,
        effect: SpecEffect,
        db: Database,
        args: dict,
        rows: dict,
        items: dict,
    ) -> None:
        if effect.when and not self.evaluate(tool, effect.when, db, args, rows, items):
            return
        values = {
            column: self.evaluate(tool, v, db, args, rows, items, value=True)
            for column, v in effect.values.items()
        }
        if effect.clear is not None:
            db.delete_where(self.spec.entities[effect.clear].table, where=values)
            return
        if effect.update_all is not None:
            filters = {
                column: self.evaluate(tool, v, db, args, rows, items, value=True)
                for column, v in effect.where.items()
            }
            db.update_where(
                self.spec.entities[effect.update_all].table, where=filters, values=values
            )
            return
        if effect.insert is not None:
            row = db.insert(self.spec.entities[effect.insert].table, values)
            if effect.bind:
                rows[effect.bind] = row
            return
        row_name = effect.target
        entity_name = (
            spec_tool.find[row_name].entity
            if row_name in spec_tool.find
            else next(e.insert for e in spec_tool.effects if e.bind == row_name)
        )
        entity = self.spec.entities[entity_name]
        row = rows[row_name]
        if row is None:
            raise NotFound(f"{entity_name} not found")
        key = row[entity.key]
        if effect.delete is not None:
            for child in self.spec.children_of(entity_name).values():
                child_entity = self.spec.entities[child]
                assert child_entity.parent is not None
                db.delete_where(child_entity.table, where={child_entity.parent.column: key})
            db.delete(entity.table, key)
            return
        cleared = [c for c, v in effect.values.items() if v is None]
        values = {c: v for c, v in values.items() if c not in cleared}
        if effect.op in ("increment", "decrement"):
            sign = 1 if effect.op == "increment" else -1
            values = {c: (row[c] or 0) + sign * amount for c, amount in values.items()}
        emptied = [c for c, v in effect.values.items() if may_empty(v)]
        rows[row_name] = db.update(entity.table, key, values, clear=[*cleared, *emptied])


__all__ = ["Interpreter", "Outcome", "PreconditionFailed"]
