"""Semantic checks of a world, derived from its spec and reported per tool.

* ``agrees``: on sampled states and arguments, the generated tool code and an independent
  interpreter of the tool's spec entry (:mod:`.interpret`) both succeed or fail with the same
  error and rule, and leave the same state (so every effect lands as the spec says, with its
  computed values: derived values equal their formula);
* ``effects``: a successful write changes only the tables its spec declares;
* ``rules``: each rule, violated in a state (or with arguments) built for that purpose, makes the
  call fail with a domain error naming that rule and leaves the state unchanged; a rule for which
  no violating state could be built is reported as unproven, never as passed;
* ``creates``: a create returns its new row's key, and a read tool of that entity finds the row
  with the values the call gave.

Reads never changing the state is the mechanical conformance check's job.
"""

from __future__ import annotations

import ast
import copy
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from agentscaler.records.base import Record
from agentscaler.worlds.checks.interpret import Interpreter, Outcome
from agentscaler.worlds.checks.invariants import InvariantChecker
from agentscaler.worlds.interface import argument_defaults, read_params
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import connect_bytes
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.spec.expr import decode_param, param_of, parse
from agentscaler.worlds.spec.model import SpecRule, SpecTool, WorldSpec
from agentscaler.worlds.spellings import to_column


class RuleProof(Record):
    """Whether one rule of one tool was shown to be enforced."""

    tool: str
    rule: str
    kind: str
    status: str
    """``proven`` (violated on purpose, the call failed naming it, nothing changed),
    ``failed`` (violated, but the call did something else) or ``unproven`` (no violating state
    or arguments could be built)."""
    detail: str = ""


class SemanticFinding(Record):
    check: str
    ok: bool
    tool: str
    detail: str = ""


class SemanticReport(Record):
    """Semantic checks of one world."""

    world_id: str
    passed: bool
    findings: tuple[SemanticFinding, ...]
    rules: tuple[RuleProof, ...]

    @property
    def failures(self) -> list[SemanticFinding]:
        return [f for f in self.findings if not f.ok]

    def rule_counts(self) -> dict[str, int]:
        counts = {"proven": 0, "failed": 0, "unproven": 0}
        for proof in self.rules:
            counts[proof.status] += 1
        return counts


@dataclass
class _Case:
    """A state and arguments on which a tool's call succeeds (the base of rule violations)."""

    data: bytes
    args: dict[str, Any]
    outcome: Outcome


@dataclass
class _Mutation:
    """A change to a base case: row values, arguments, or rows added."""

    rows: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    args: dict[str, Any] = field(default_factory=dict)
    inserts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    note: str = ""


class SemanticChecker:
    """Runs the semantic checks of one compiled world."""

    def __init__(
        self, world: CompiledWorld, spec: WorldSpec, *, attempts: int = 24, enough: int = 6
    ) -> None:
        """``attempts``: sampled calls at most per tool; ``enough``: calls compared once one
        succeeded."""
        self.world = world
        self.spec = spec
        self.attempts = attempts
        self.enough = enough
        self.params = {
            name: [p.name for p in read_params(entry.parameters)]
            for name, entry in world.tools.items()
        }
        self.broken: dict[tuple[str, str], str] = {}
        """(tool, rule) -> how the code was seen not to enforce a rule its spec states."""
        self.successes: dict[str, _Case] = {}
        """Per tool, a case on which the call succeeded (sampled or built)."""
        self.interpreter = Interpreter(
            spec,
            self.params,
            {name: argument_defaults(entry.parameters) for name, entry in world.tools.items()},
        )
        self.env = WorldEnv(world)
        self.env.reset()
        self.base = self.env.snapshot().data
        self.invariants = InvariantChecker(spec)

    # --- helpers ------------------------------------------------------------------------------
    def _db(self, data: bytes) -> tuple[Any, Database]:
        conn = connect_bytes(data)
        return conn, Database(conn, self.world.schema, max_limit=self.world.config.max_limit)

    def _interpret(self, tool: str, data: bytes, args: dict[str, Any]) -> tuple[Outcome, dict]:
        """What the spec says the call does on ``data``: its outcome and net changes."""
        conn, db = self._db(data)
        try:
            outcome = self.interpreter.run(tool, db, copy.deepcopy(args))
            changes = _net(db._take_changes()) if outcome.ok else {}
            return outcome, changes
        finally:
            conn.close()

    def _call(self, tool: str, data: bytes, args: dict[str, Any]) -> tuple[Any, dict]:
        """The generated code's call on ``data``: its step result and net changes."""
        self.env.restore(data)
        result = self.env.step((tool, copy.deepcopy(args)))
        changes = _net((c.op, c.table, c.key, c.column, c.old, c.new) for c in result.changes)
        return result, changes

    def _nothing_to_search(
        self, name: str, tool: SpecTool, data: bytes, spec_ok: bool, error: str | None
    ) -> bool:
        """A search answering one record, on a state whose table holds none: the code answers
        ``not_found``, the spec (which describes searches by their filters, not by the shape
        of their answer) says nothing about it; the case is not compared."""
        if tool.kind != "search" or not spec_ok or error != "not_found":
            return False
        binding = self.world.world.binding(name)
        if binding is None or not binding.table:
            return False
        conn, db = self._db(data)
        try:
            return db.count(binding.table) == 0
        finally:
            conn.close()

    @staticmethod
    def _error_of(result: Any) -> tuple[str | None, str | None]:
        if result.ok:
            return None, None
        error = result.observation.get("error", {}) if isinstance(result.observation, dict) else {}
        return error.get("type"), error.get("rule")

    def _cases(self, tool: str) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Sampled (state, arguments) pairs for ``tool``, from the seed state and seeded ones."""
        for attempt in range(self.attempts):
            if attempt < self.attempts // 2:
                self.env.restore(self.base)
            else:
                self.env.reset(seed=100 + attempt % 3)
            data = self.env.snapshot().data
            rng = random.Random(f"semantic:{tool}:{attempt}")
            try:
                args = ArgumentSampler(self.env).sample(
                    tool, rng, optional=0.5 if attempt % 2 else 1.0
                )
            except Exception:
                continue
            yield data, args

    # --- the checks -----------------------------------------------------------------------------
    def check(self) -> SemanticReport:
        findings: list[SemanticFinding] = []
        proofs: list[RuleProof] = []
        seeded = self.invariants.violations(self.env.db)
        findings.append(
            SemanticFinding(
                check="invariants",
                ok=not seeded,
                tool="",
                detail="; ".join(map(str, seeded[:3])) if seeded else "the seeded state",
            )
        )
        for name, tool in self.spec.tools.items():
            if name not in self.world.tools:
                continue
            binding = self.world.world.binding(name)
            if tool.fallback and binding is not None and not binding.fallback:
                # code written beside the spec (a tree's operations): the spec describes nothing
                # to compare it with; the mechanical checks still run every call
                findings.append(
                    SemanticFinding(
                        check="agrees",
                        ok=True,
                        tool=name,
                        detail=f"not compared: the spec has no {binding.operation} to compare "
                        "the code with",
                    )
                )
                continue
            success, tool_findings = self._agreement(name, tool)
            findings.extend(tool_findings)
            if success is not None:
                self.successes[name] = success
            if success is not None and tool.access == "write":
                findings.append(self._effects(name, success))
                if tool.kind == "create":
                    findings.extend(self._create_found(name, tool, success))
            proofs.extend(self._rules(name, tool, success))
        findings.extend(
            SemanticFinding(
                check="rules",
                ok=False,
                tool=p.tool,
                detail=f"rule {p.rule}: {p.detail}",
            )
            for p in proofs
            if p.status == "failed"
        )
        passed = all(f.ok for f in findings)
        return SemanticReport(
            world_id=self.world.id, passed=passed, findings=tuple(findings), rules=tuple(proofs)
        )

    def _agreement(self, name: str, tool: SpecTool) -> tuple[_Case | None, list[SemanticFinding]]:
        success: _Case | None = None
        failed: list[_Case] = []
        compared = 0
        for data, args in self._cases(name):
            result, changes = self._call(name, data, args)
            if result.info.get("world_bug"):
                return None, [
                    SemanticFinding(
                        check="agrees",
                        ok=False,
                        tool=name,
                        detail=f"world bug on {args}: {result.info['world_bug']}",
                    )
                ]
            outcome, expected = self._interpret(name, data, args)
            error, rule = self._error_of(result)
            if self._nothing_to_search(name, tool, data, outcome.ok, error):
                continue
            compared += 1
            if outcome.ok != result.ok or (
                not outcome.ok and (outcome.error, outcome.rule) != (error, rule)
            ):
                said = (
                    "succeeds" if outcome.ok else f"fails with {outcome.error} {outcome.rule or ''}"
                )
                did = "succeeded" if result.ok else f"failed with {error} {rule or ''}"
                if outcome.rule and outcome.rule != rule:
                    self.broken[(name, outcome.rule)] = (
                        f"on {args} the rule is violated but the call {did.strip()}"
                    )
                return None, [
                    SemanticFinding(
                        check="agrees",
                        ok=False,
                        tool=name,
                        detail=f"on {args} the spec {said.strip()} but the code {did.strip()}",
                    )
                ]
            if outcome.result is not None and result.ok:
                got = result.observation
                if not isinstance(got, dict) and len(outcome.result) == 1:
                    got = {next(iter(outcome.result)): got}
                if got != outcome.result:
                    return None, [
                        SemanticFinding(
                            check="agrees",
                            ok=False,
                            tool=name,
                            detail=f"on {args} the code returned {got} but the spec's formulas "
                            f"give {outcome.result}",
                        )
                    ]
            if changes != expected:
                return None, [
                    SemanticFinding(
                        check="agrees",
                        ok=False,
                        tool=name,
                        detail=f"on {args} the code changed {_said(changes)} but the spec says "
                        f"{_said(expected)}",
                    )
                ]
            if result.ok and changes:
                broken = self.invariants.violations(self.env.db, {c.table for c in result.changes})
                if broken:
                    return None, [
                        SemanticFinding(
                            check="invariants",
                            ok=False,
                            tool=name,
                            detail=f"on {args} the call left " + "; ".join(map(str, broken[:3])),
                        )
                    ]
            if result.ok and success is None and (tool.access == "read" or changes):
                success = _Case(data, args, outcome)
            enough = self.enough if tool.access == "write" else 3
            if success is not None and compared >= enough:
                break
            if (
                not outcome.ok
                and (outcome.rule or outcome.error == "not_found")
                and len(failed) < 3
            ):
                failed.append(_Case(data, args, outcome))
        if success is None:
            for repaired in self._repair(name, tool, failed):
                result, changes = self._call(name, repaired.data, repaired.args)
                outcome, expected = self._interpret(name, repaired.data, repaired.args)
                if result.ok != outcome.ok or changes != expected:
                    return None, [
                        SemanticFinding(
                            check="agrees",
                            ok=False,
                            tool=name,
                            detail=f"on {repaired.args} (a state built to pass its rules) the "
                            "code and the spec disagree",
                        )
                    ]
                if result.ok and (tool.access == "read" or changes):
                    success = repaired
                    break
        if compared == 0:
            return None, [
                SemanticFinding(
                    check="agrees", ok=False, tool=name, detail="no call could be sampled"
                )
            ]
        return success, [SemanticFinding(check="agrees", ok=True, tool=name)]

    def _repair(self, name: str, tool: SpecTool, failed: list[_Case]) -> Iterator[_Case]:
        """Cases where every rule holds, built from cases that failed a rule by changing the
        state or arguments until the interpreter accepts the call (a few steps each)."""
        found = 0
        for start in failed:
            case = start
            for _step in range(_REPAIR_STEPS):
                rule = next((r for r in tool.requires if r.name == case.outcome.rule), None)
                if rule is None:
                    moved = self._existing_keys(name, tool, case)
                    if moved is None:
                        break
                    if moved.outcome.ok:
                        found += 1
                        yield moved
                        break
                    case = moved
                    continue
                moved = again = None
                for mutation in _violations(self, name, tool, rule, case):
                    try:
                        data, args = self._apply(case, mutation)
                        if not self._valid(name, args):
                            continue
                        conn, db = self._db(data)
                        try:
                            outcome = self.interpreter.check(name, db, copy.deepcopy(args))
                        finally:
                            conn.close()
                    except Exception:
                        continue
                    if outcome.ok:
                        found += 1
                        yield _Case(data, args, outcome)
                        if found >= 8:
                            return
                        continue
                    if moved is None and outcome.rule and outcome.rule != rule.name:
                        moved = _Case(data, args, outcome)
                    elif again is None and outcome.rule == rule.name and mutation.rows:
                        # the same rule on another element ("each dish available"): one fixed
                        again = _Case(data, args, outcome)
                moved = moved or again
                if moved is None:
                    break
                case = moved

    def _existing_keys(self, name: str, tool: SpecTool, case: _Case) -> _Case | None:
        """For a call that failed to find a row by an argument: the same call naming a row
        that exists."""
        if case.outcome.error != "not_found":
            return None
        conn, db = self._db(case.data)
        try:
            for lookup in tool.find.values():
                values = list(lookup.by.values())
                if lookup.each is not None and len(values) == 1:
                    moved = self._existing_elements(name, lookup, case, db)
                    if moved is not None:
                        return moved
                    continue
                param = param_of(values[0]) if len(values) == 1 else None
                if param is None:
                    continue
                entity = self.spec.entities[lookup.entity]
                column = next(iter(lookup.by))
                rows = db.find(entity.table, limit=3)
                for row in rows:
                    args = {**copy.deepcopy(case.args), param: row[column]}
                    if not self._valid(name, args):
                        continue
                    outcome = self.interpreter.check(name, db, copy.deepcopy(args))
                    if (
                        outcome.ok
                        or outcome.error != "not_found"
                        or outcome.message != case.outcome.message
                    ):
                        return _Case(case.data, args, outcome)
        finally:
            conn.close()
        return None

    def _existing_elements(self, name: str, lookup: Any, case: _Case, db: Database) -> _Case | None:
        """For a lookup per element of a list argument (``item.product_id``): the same call
        whose elements name existing rows."""
        variable, _, source = lookup.each.partition(" in ")
        param = param_of(source.strip())
        value = str(next(iter(lookup.by.values())))
        match = re.fullmatch(rf"={re.escape(variable.strip())}\.(\w+)", value)
        elements = case.args.get(param or "")
        if param is None or match is None or not isinstance(elements, list) or not elements:
            return None
        entity = self.spec.entities[lookup.entity]
        column = next(iter(lookup.by))
        rows = db.find(entity.table, limit=len(elements))
        if not rows:
            return None
        changed = copy.deepcopy(elements)
        for index, element in enumerate(changed):
            if isinstance(element, dict):
                element[match.group(1)] = rows[index % len(rows)][column]
        args = {**copy.deepcopy(case.args), param: changed}
        if not self._valid(name, args):
            return None
        outcome = self.interpreter.check(name, db, copy.deepcopy(args))
        if outcome.ok or outcome.message != case.outcome.message:
            return _Case(case.data, args, outcome)
        return None

    def _effects(self, name: str, case: _Case) -> SemanticFinding:
        result, _ = self._call(name, case.data, case.args)
        declared = set(self.world.world.binding(name).writes)  # type: ignore[union-attr]
        touched = {change.table for change in result.changes}
        stray = sorted(touched - declared)
        if stray:
            return SemanticFinding(
                check="effects",
                ok=False,
                tool=name,
                detail=f"changed {', '.join(stray)}, which its spec does not declare",
            )
        return SemanticFinding(check="effects", ok=True, tool=name)

    def _create_found(self, name: str, tool: SpecTool, case: _Case) -> list[SemanticFinding]:
        entity = self.spec.entity(tool.entity)
        if entity is None:
            return []
        result, _ = self._call(name, case.data, case.args)
        inserted = [c for c in result.changes if c.op == "insert" and c.table == entity.table]
        if not inserted:
            return [
                SemanticFinding(
                    check="creates",
                    ok=False,
                    tool=name,
                    detail=f"the create added no {tool.entity} row",
                )
            ]
        key = inserted[0].key
        returned = result.observation if isinstance(result.observation, dict) else {}
        if returned and entity.key in _flat_keys(returned) and key not in _flat_values(returned):
            return [
                SemanticFinding(
                    check="creates",
                    ok=False,
                    tool=name,
                    detail=f"the result does not give the new {tool.entity}'s key {key!r}",
                )
            ]
        reader = next(
            (
                n
                for n, t in self.spec.tools.items()
                if t.kind == "get"
                and t.entity == tool.entity
                and any(p.role == "key" for p in t.params.values())
                and n in self.world.tools
            ),
            None,
        )
        if reader is None:
            return []
        key_param = next(p for p, s in self.spec.tools[reader].params.items() if s.role == "key")
        schema = (self.world.tools[reader].parameters.get("properties") or {}).get(key_param, {})
        integer = isinstance(schema, dict) and schema.get("type") == "integer"
        if integer and isinstance(key, str) and key.isdigit():
            key = int(key)  # the row's text key as the reader spells it
        try:
            arguments = ArgumentSampler(self.env).sample(
                reader, random.Random(f"creates:{name}"), optional=0.0, fixed={key_param: key}
            )
        except Exception:
            arguments = {key_param: key}
        found = self.env.step((reader, arguments))
        if not found.ok and found.error_type != "not_found":
            return []  # the reader needs more than the key (a rule, another filter): no verdict
        if not found.ok:
            return [
                SemanticFinding(
                    check="creates",
                    ok=False,
                    tool=name,
                    detail=f"{reader} does not find the new {tool.entity} {key!r}",
                )
            ]
        stored = inserted[0].new or {}
        given = {  # in the column's spelling where the tool spells its values its own way
            column: to_column(case.args[p], s.spelling) if s.spelling else case.args[p]
            for p, s in tool.params.items()
            if s.role == "field"
            and s.column in stored
            and (column := s.column) is not None
            and p in case.args
        }
        wrong = [c for c, v in given.items() if stored.get(c) != v]
        if wrong:
            return [
                SemanticFinding(
                    check="creates",
                    ok=False,
                    tool=name,
                    detail=f"the new {tool.entity} does not hold the given {', '.join(wrong)}",
                )
            ]
        return [SemanticFinding(check="creates", ok=True, tool=name)]

    # --- rules ----------------------------------------------------------------------------------
    def _rules(self, name: str, tool: SpecTool, case: _Case | None) -> list[RuleProof]:
        proofs = []
        for rule in tool.requires:
            if (name, rule.name) in self.broken:
                proofs.append(
                    RuleProof(
                        tool=name,
                        rule=rule.name,
                        kind=rule.kind,
                        status="failed",
                        detail=self.broken[(name, rule.name)],
                    )
                )
                continue
            if case is None:
                proofs.append(
                    RuleProof(
                        tool=name,
                        rule=rule.name,
                        kind=rule.kind,
                        status="unproven",
                        detail="no successful call to start from",
                    )
                )
                continue
            proofs.append(self._prove(name, tool, rule, case))
        return proofs

    def _valid(self, name: str, args: dict[str, Any]) -> bool:
        """Whether arguments pass the tool's JSON Schema (a built case must be a valid call)."""
        try:
            self.world.tools[name].validator.validate(copy.deepcopy(args))
        except Exception:
            return False
        return True

    def _apply(self, case: _Case, mutation: _Mutation) -> tuple[bytes, dict[str, Any]]:
        conn, db = self._db(case.data)
        try:
            for table, key, values in mutation.rows:
                meta = self.world.schema.meta(table)
                assignments = ", ".join(f'"{c}" = ?' for c in values)
                conn.execute(
                    f'UPDATE "{table}" SET {assignments} WHERE "{meta.key}" = ?',
                    (*(meta.encode(c, v) for c, v in values.items()), key),
                )
            for table, values in mutation.inserts:
                db.insert(table, values)
            data = conn.serialize()
        finally:
            conn.close()
        args = {**copy.deepcopy(case.args), **mutation.args}
        return data, {k: v for k, v in args.items() if v is not _LEFT_OUT}

    def _prove(self, name: str, tool: SpecTool, rule: SpecRule, case: _Case) -> RuleProof:
        tried = 0
        for mutation in _violations(self, name, tool, rule, case):
            try:
                data, args = self._apply(case, mutation)
            except Exception:
                continue
            if not self._valid(name, args):
                continue
            tried += 1
            conn, db = self._db(data)
            try:
                expected = self.interpreter.check(name, db, copy.deepcopy(args))
            except Exception:
                continue
            finally:
                conn.close()
            if expected.ok or expected.rule != rule.name:
                continue
            result, changes = self._call(name, data, args)
            error, rule_name = self._error_of(result)
            if error == "precondition_failed" and rule_name == rule.name and not changes:
                return RuleProof(
                    tool=name, rule=rule.name, kind=rule.kind, status="proven", detail=mutation.note
                )
            did = "succeeded" if result.ok else f"failed with {error} {rule_name or ''}".strip()
            if changes:
                did += " and changed the state"
            return RuleProof(
                tool=name,
                rule=rule.name,
                kind=rule.kind,
                status="failed",
                detail=f"violated ({mutation.note}) but the call {did}",
            )
        return RuleProof(
            tool=name,
            rule=rule.name,
            kind=rule.kind,
            status="unproven",
            detail=f"no violating state found ({tried} tried)",
        )


def _net(changes: Any) -> dict[tuple[str, str], Any]:
    """Net effect of recorded changes: ``{(table, key): final row values, or None if deleted}``
    (comparing two of them from one state compares the states they lead to)."""
    from agentscaler.canonical import canonical_json

    net: dict[tuple[str, str], Any] = {}
    for op, table, key, column, _old, new in changes:
        where = (table, canonical_json(key))
        if op == "insert":
            net[where] = {k: canonical_json(v) for k, v in (new or {}).items()}
        elif op == "delete":
            net[where] = None
        else:
            row = net.get(where)
            if row is None:
                row = net[where] = {}
            row[column] = canonical_json(new)
    return net


def _said(changes: dict[tuple[str, str], Any]) -> str:
    if not changes:
        return "nothing"
    parts = []
    for (table, key), row in list(changes.items())[:3]:
        parts.append(
            f"{table}[{key}]: "
            + (
                "deleted"
                if row is None
                else ", ".join(f"{c}={v}" for c, v in list(row.items())[:6])
            )
        )
    return "; ".join(parts) + (" ..." if len(changes) > 3 else "")


def _flat_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= _flat_keys(item)
        return keys
    return set()


def _flat_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flat_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _flat_values(item)]
    return [value]


# --- building violations ---------------------------------------------------------------------


def _other_values(current: Any, column: Any) -> list[Any]:
    """Values different from ``current`` that a column of this kind could hold."""
    values: list[Any] = []
    for value in (column.values or ()) if column is not None else ():
        if value != current:
            values.append(value)
    if isinstance(current, bool):
        values.append(not current)
    elif isinstance(current, int):
        values += [current + 1, current - 1, 0]
    elif isinstance(current, float):
        values += [current + 1.0, round(current / 2, 2), 0.0]
    elif isinstance(current, str):
        values += [current + "-other", ""]
    elif current is None:
        values += ["other", 0, False]
    if current is not None:
        values.append(None)
    return values


def _shifted(value: Any, direction: int) -> list[Any]:
    """Values just below (direction -1) or above (+1) ``value``, for numbers and ISO dates."""
    import datetime as dt

    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + direction, value + 10 * direction]
    if isinstance(value, float):
        return [round(value + 0.01 * direction, 6), value + direction]
    if isinstance(value, str):
        try:
            if len(value) <= 10:
                day = dt.date.fromisoformat(value)
                return [(day + dt.timedelta(days=d * direction)).isoformat() for d in (1, 400)]
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return [
                (moment + dt.timedelta(days=d * direction)).isoformat(timespec="seconds")
                for d in (1, 400)
            ]
        except ValueError:
            return []
    return []


def _extremes(current: Any) -> list[Any]:
    """Far-off values of the same kind (dates long past or far ahead, numbers at 0 or large)."""
    import datetime as dt

    if isinstance(current, bool):
        return [not current]
    if isinstance(current, int | float):
        return [0, -1, 10**6]
    if isinstance(current, str):
        try:
            if len(current) <= 10:
                dt.date.fromisoformat(current)
                return ["2000-01-01", "2099-12-31"]
            dt.datetime.fromisoformat(current.replace("Z", "+00:00"))
            return ["2000-01-01T00:00:00+00:00", "2099-12-31T00:00:00+00:00"]
        except ValueError:
            return []
    if current is None:
        return ["2000-01-01", 0, True, False]
    return []


def _violations(
    checker: SemanticChecker, name: str, tool: SpecTool, rule: SpecRule, case: _Case
) -> Iterator[_Mutation]:
    """Changes to a successful case that may violate ``rule`` (the interpreter confirms); when
    the rule only applies to rows in some state (``leave_request.leave_type == 'vacation'``),
    the same changes again with the rows put in that state first."""
    yield from _violations_of(checker, name, tool, rule, case)
    when = parse(rule.when, "when") if rule.when else None
    if when is None:
        return
    for changes, note in _enabling_rows(checker, tool, when, case):
        for mutation in _violations_of(checker, name, tool, rule, case):
            yield _Mutation(
                rows=[*changes, *mutation.rows],
                args=mutation.args,
                inserts=mutation.inserts,
                note=f"{note}, {mutation.note}",
            )


def _enabling_rows(
    checker: SemanticChecker, tool: SpecTool, when: ast.Expression, case: _Case
) -> Iterator[tuple[list[tuple[str, Any, dict[str, Any]]], str]]:
    """Row changes that can make a rule's ``when`` hold (``row.column == value`` or
    ``row.column in (...)`` on a row the tool looks up)."""
    for node in ast.walk(when):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, right, op = node.left, node.comparators[0], node.ops[0]
        if not (
            isinstance(left, ast.Attribute)
            and isinstance(left.value, ast.Name)
            and left.value.id in tool.find
            and tool.find[left.value.id].each is None
        ):
            continue
        row_name, column = left.value.id, left.attr
        row = case.outcome.rows.get(row_name)
        entity = checker.spec.entities[tool.find[row_name].entity]
        if not row or column not in entity.columns:
            continue
        if isinstance(op, ast.Eq) and isinstance(right, ast.Constant):
            values = [right.value]
        elif isinstance(op, ast.In) and isinstance(right, ast.Tuple | ast.List):
            values = [e.value for e in right.elts if isinstance(e, ast.Constant)]
        else:
            continue
        for value in values:
            if row.get(column) != value:
                yield (
                    [(entity.table, row[entity.key], {column: value})],
                    f"{row_name}.{column} = {value!r}",
                )


def _violations_of(
    checker: SemanticChecker, name: str, tool: SpecTool, rule: SpecRule, case: _Case
) -> Iterator[_Mutation]:
    spec = checker.spec
    tree = parse(rule.check, f"tools.{name}.requires.{rule.name}.check")
    when = parse(rule.when, "when") if rule.when else None
    rows = dict(case.outcome.rows)
    enabling = (
        list(_enabling_args(when, case.args, lambda p: _param_schema(checker, name, p)))
        if when is not None
        else [{}]
    )
    row_refs: list[tuple[str, str]] = []
    param_refs: list[str] = []
    property_refs: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in tool.find:
                row_refs.append((node.value.id, node.attr))
            elif (param := decode_param(node.value.id)) is not None:
                param_refs.append(param)
                property_refs.append((param, node.attr))
        elif isinstance(node, ast.Name) and (param := decode_param(node.id)) is not None:
            param_refs.append(param)
    seen: set[str] = set()
    for extra in enabling:
        # rows the rule reads: every other value of the column, then values just past it
        for row_name, column_name in dict.fromkeys(row_refs):
            lookup = tool.find[row_name]
            entity = spec.entities[lookup.entity]
            column = entity.column(column_name)
            targets = _rows_for(checker, name, tool, row_name, rows, case)
            for key, current in targets:
                if current is None:
                    continue
                value = current.get(column_name)
                candidates = (
                    _other_values(value, column)
                    + _shifted(value, -1)
                    + _shifted(value, 1)
                    + _extremes(value)
                )
                if (
                    value in (None, "")
                    and column is not None
                    and column.kind in ("date", "datetime")
                ):
                    # an empty date: dates around the world's clock (a day and a year away)
                    now = spec.clock[:10] if column.kind == "date" else spec.clock
                    candidates += _shifted(now, -1) + _shifted(now, 1)
                for candidate in candidates:
                    note = f"{row_name}.{column_name} = {candidate!r}" + _with(extra)
                    if note in seen:
                        continue
                    seen.add(note)
                    yield _Mutation(
                        rows=[(entity.table, key, {column_name: candidate})],
                        args=dict(extra),
                        note=note,
                    )
        # arguments the rule reads
        for param in dict.fromkeys(param_refs):
            value = case.args.get(param)
            schema = _param_schema(checker, name, param)
            candidates = [v for v in (schema.get("enum") or ()) if v != value]
            candidates += _shifted(value, -1) + _shifted(value, 1) + _extremes(value)
            candidates += _past_bounds(tree, param)
            candidates += _format_examples(tree, param)
            if isinstance(value, str) and value and _looked_up_by(tree, param):
                candidates.append(value + "-other")  # a value no row holds
            if isinstance(value, list) or (value is None and schema.get("type") == "array"):
                # a list with an element unlike the others
                candidates += [[*(value or ()), "other"], ["other"]]
            if value is not None and not _param_required(checker, name, param):
                candidates.append(_LEFT_OUT)  # "a lost reason is required when ..."
            for candidate in candidates:
                note = f"${param} = {candidate!r}" + _with(extra)
                if note in seen:
                    continue
                seen.add(note)
                yield _Mutation(args={**extra, param: candidate}, note=note)
        # properties of object arguments the rule reads ($configurations.timeout)
        for param, prop in dict.fromkeys(property_refs):
            value = case.args.get(param)
            value = value if isinstance(value, dict) else {}
            current = value.get(prop)
            candidates = _shifted(current, -1) + _shifted(current, 1) + _extremes(current)
            candidates += _past_bounds(tree, param, prop)
            prop_schema = (_param_schema(checker, name, param).get("properties") or {}).get(prop)
            if isinstance(prop_schema, dict):  # the property's other allowed values
                candidates += [v for v in prop_schema.get("enum") or () if v != current]
            for candidate in candidates:
                note = f"${param}.{prop} = {candidate!r}" + _with(extra)
                if note in seen:
                    continue
                seen.add(note)
                yield _Mutation(args={**extra, param: {**value, prop: candidate}}, note=note)
        # comparisons: the other side's value (satisfies an equality, or breaks an inequality)
        yield from _matching(checker, name, tool, tree, case, extra, rows)
        # a unique rule: another row with the same values
        yield from _duplicates(checker, name, tree, case, extra)
        # rows a ``not exists`` finds moved out of the states it names (used by repairs)
        yield from _clearing(checker, name, tree, case, extra)
        # elements of list arguments the rule reads (item.quantity, item.product_id ...)
        yield from _element_changes(checker, name, rule, case, extra, spec)
        # a list argument's items that must be in a row's list ("every seat must be free")
        yield from _members(checker, tool, tree, case, extra)


_REPAIR_STEPS = 12
"""Rules a repair may fix one after another (an order: the merchant open, each dish of it and
available, the minimum reached)."""


def _past_bounds(tree: ast.Expression, param: str, prop: str | None = None) -> list[Any]:
    """Values just past each number the rule compares ``$param`` (or its property ``prop``)
    with (31.5 -> 32.5, 30.5)."""
    found: list[Any] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, right = node.left, node.comparators[0]
        if isinstance(right, ast.Name | ast.Attribute) and isinstance(left, ast.Constant):
            left, right = right, left
        if prop is not None:
            if not (isinstance(left, ast.Attribute) and left.attr == prop):
                continue
            left = left.value
        if (
            isinstance(left, ast.Name)
            and decode_param(left.id) == param
            and isinstance(right, ast.Constant)
            and isinstance(right.value, int | float)
            and not isinstance(right.value, bool)
        ):
            found += [right.value + 1, right.value - 1]
    return found


def _looked_up_by(tree: ast.Expression, param: str) -> bool:
    """Whether the rule looks rows up by ``$param`` (``exists("user", username=$username)``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            for keyword in node.keywords:
                value = keyword.value
                if isinstance(value, ast.Name) and decode_param(value.id) == param:
                    return True
    return False


def _format_examples(tree: ast.Expression, param: str) -> list[Any]:
    """For ``in_format($param, 'name')``: a value without the format and one with it."""
    from agentscaler.worlds.runtime.text_formats import TEXT_FORMATS

    found: list[Any] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "in_format"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and decode_param(node.args[0].id) == param
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in TEXT_FORMATS
        ):
            text_format = TEXT_FORMATS[node.args[1].value]
            found += [text_format.invalid, text_format.valid]
    return found


class _LeftOut:
    """An argument the call leaves out (a mutation's value)."""

    def __repr__(self) -> str:
        return "left out"


_LEFT_OUT = _LeftOut()


def _param_required(checker: SemanticChecker, tool: str, param: str) -> bool:
    required = checker.world.tools[tool].parameters.get("required") or ()
    return param in required


def _with(extra: dict[str, Any]) -> str:
    return "".join(f", ${k} = {v!r}" for k, v in extra.items())


def _rows_for(
    checker: SemanticChecker,
    name: str,
    tool: SpecTool,
    row_name: str,
    rows: dict[str, Any],
    case: _Case,
) -> list[tuple[Any, dict[str, Any] | None]]:
    """``(key, row)`` of the rows a lookup binds in the successful case (each element's row
    for a lookup inside ``each``)."""
    lookup = tool.find[row_name]
    entity = checker.spec.entities[lookup.entity]
    if lookup.each is None:
        row = rows.get(row_name)
        if not row:
            return []
        # as the row is before the call (an update's effect may show in the case's rows)
        conn, db = checker._db(case.data)
        try:
            before = db.get(entity.table, row[entity.key])
        finally:
            conn.close()
        return [(row[entity.key], before or row)]
    found = []
    conn, db = checker._db(case.data)
    try:
        interp = checker.interpreter
        variable, elements = interp._each(name, lookup.each, db, case.args, rows)
        for element in elements:
            try:
                row = interp._lookup(name, lookup, db, case.args, rows, {variable: element})
            except Exception:
                continue
            if row is not None:
                found.append((row[entity.key], row))
    finally:
        conn.close()
    return found


def _param_schema(checker: SemanticChecker, tool: str, param: str) -> dict[str, Any]:
    properties = checker.world.tools[tool].parameters.get("properties") or {}
    schema = properties.get(param)
    return schema if isinstance(schema, dict) else {}


def _enabling_args(
    when: ast.Expression, args: dict[str, Any], schema_of: Any = None
) -> Iterator[dict[str, Any]]:
    """Argument changes that can make a rule's ``when`` hold (``$method == 'miles'``, ``$service
    not in ('economy',)`` by another value of its enum)."""
    yield {}
    for node in ast.walk(when):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, right = node.left, node.comparators[0]
        param = decode_param(left.id) if isinstance(left, ast.Name) else None
        if param is None or not isinstance(right, ast.Constant | ast.Tuple | ast.List):
            continue
        op = node.ops[0]
        if isinstance(op, ast.Eq) and isinstance(right, ast.Constant):
            yield {param: right.value}
        elif isinstance(op, ast.In) and isinstance(right, ast.Tuple | ast.List):
            for element in right.elts:
                if isinstance(element, ast.Constant):
                    yield {param: element.value}
        elif isinstance(op, ast.NotIn) and isinstance(right, ast.Tuple | ast.List):
            named = {e.value for e in right.elts if isinstance(e, ast.Constant)}
            schema = schema_of(param) if schema_of is not None else {}
            for value in schema.get("enum") or ():
                if value not in named:
                    yield {param: value}
                    break
        elif isinstance(op, ast.Gt | ast.GtE) and isinstance(right, ast.Constant):
            if isinstance(right.value, int | float):
                yield {param: right.value + 1}
        elif isinstance(op, ast.IsNot):
            current = args.get(param)
            if current is None:
                yield {param: "yes"}


def _matching(
    checker: SemanticChecker,
    name: str,
    tool: SpecTool,
    tree: ast.Expression,
    case: _Case,
    extra: dict[str, Any],
    rows: dict[str, Any],
) -> Iterator[_Mutation]:
    """For ``a == b``/``a != b`` between a row column or an argument and something else: give
    one side the other's value."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
            continue
        if not isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.GtE | ast.LtE):
            continue
        sides = [node.left, node.comparators[0]]
        for mine, other in (sides, sides[::-1]):
            conn, db = checker._db(case.data)
            try:
                value = checker.interpreter.evaluate(
                    name, _spec_text(ast.unparse(other)), db, {**case.args, **extra}, rows
                )
            except Exception:
                continue
            finally:
                conn.close()
            if isinstance(mine, ast.Attribute) and isinstance(mine.value, ast.Name):
                row_name = mine.value.id
                if row_name not in tool.find:
                    continue
                entity = checker.spec.entities[tool.find[row_name].entity]
                targets = _rows_for(checker, name, tool, row_name, rows, case)
                if not targets:
                    continue
                yield _Mutation(
                    rows=[(entity.table, key, {mine.attr: value}) for key, _ in targets],
                    args=dict(extra),
                    note=f"{row_name}.{mine.attr} = {value!r}" + _with(extra),
                )
            elif isinstance(mine, ast.Name) and (param := decode_param(mine.id)) is not None:
                yield _Mutation(
                    args={**extra, param: value}, note=f"${param} = {value!r}" + _with(extra)
                )


def _duplicates(
    checker: SemanticChecker,
    name: str,
    tree: ast.Expression,
    case: _Case,
    extra: dict[str, Any],
) -> Iterator[_Mutation]:
    """For ``not exists("e", col=...)`` / ``count("e", ...) == 0``: a row that matches."""
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("exists", "count")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            continue
        entity_name = node.args[0].value
        entity = checker.spec.entities.get(entity_name)
        if entity is None:
            continue
        conn, db = checker._db(case.data)
        try:
            values = {}
            for keyword in node.keywords:
                text = ast.unparse(keyword.value)
                try:
                    values[keyword.arg] = checker.interpreter.evaluate(
                        name, _spec_text(text), db, {**case.args, **extra}, case.outcome.rows
                    )
                except Exception:
                    values = {}
                    break
            template = db.find(entity.table, limit=1)
        finally:
            conn.close()
        if not values:
            continue
        row = dict(template[0]) if template else {}
        row.pop(entity.key, None)
        row.update(values)
        yield _Mutation(
            inserts=[(entity.table, row)], args=dict(extra), note=f"another {entity_name} {values}"
        )


def _clearing(
    checker: SemanticChecker,
    name: str,
    tree: ast.Expression,
    case: _Case,
    extra: dict[str, Any],
) -> Iterator[_Mutation]:
    """For ``exists("e", ref=..., status='x')`` calls: the matching rows put in a state none of
    the calls names (what makes ``not exists(...) and not exists(...)`` hold)."""
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "exists"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    named: dict[tuple[str, str], set[Any]] = {}
    for node in calls:
        for keyword in node.keywords:
            if isinstance(keyword.value, ast.Constant) and keyword.arg:
                named.setdefault((node.args[0].value, keyword.arg), set()).add(keyword.value.value)
    for node in calls:
        entity = checker.spec.entities.get(node.args[0].value)
        if entity is None:
            continue
        where: dict[str, Any] = {}
        states: list[str] = []
        conn, db = checker._db(case.data)
        try:
            for keyword in node.keywords:
                if not keyword.arg:
                    continue
                if isinstance(keyword.value, ast.Constant):
                    where[keyword.arg] = keyword.value.value
                    states.append(keyword.arg)
                    continue
                where[keyword.arg] = checker.interpreter.evaluate(
                    name,
                    _spec_text(ast.unparse(keyword.value)),
                    db,
                    {**case.args, **extra},
                    case.outcome.rows,
                )
            found = db.find(entity.table, where=where, limit=100) if states else []
        except Exception:
            found = []
        finally:
            conn.close()
        for column_name in states:
            column = entity.columns.get(column_name)
            taken = named.get((node.args[0].value, column_name), set())
            free = [v for v in (column.values or ()) if v not in taken] if column else []
            if not found or not free:
                continue
            yield _Mutation(
                rows=[(entity.table, row[entity.key], {column_name: free[0]}) for row in found],
                args=dict(extra),
                note=f"{len(found)} {node.args[0].value} rows moved to {column_name} = {free[0]!r}",
            )


def _members(
    checker: SemanticChecker,
    tool: SpecTool,
    tree: ast.Expression,
    case: _Case,
    extra: dict[str, Any],
) -> Iterator[_Mutation]:
    """For ``[x for x in $items if x not in row.column]``: the row's list given the argument's
    items, and the argument made of the row's items (what makes the rule hold)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.ListComp) or len(node.generators) != 1:
            continue
        loop = node.generators[0]
        if not isinstance(loop.iter, ast.Name) or (param := decode_param(loop.iter.id)) is None:
            continue
        items = case.args.get(param)
        for test in loop.ifs:
            for sub in ast.walk(test):
                if not (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id in tool.find
                ):
                    continue
                row_name, column = sub.value.id, sub.attr
                row = case.outcome.rows.get(row_name)
                entity = checker.spec.entities[tool.find[row_name].entity]
                if not row or column not in entity.columns:
                    continue
                listed = row.get(column) if isinstance(row.get(column), list) else []
                if isinstance(items, list) and items:
                    merged = listed + [i for i in items if i not in listed]
                    yield _Mutation(
                        rows=[(entity.table, row[entity.key], {column: merged})],
                        args=dict(extra),
                        note=f"{row_name}.{column} holds ${param}",
                    )
                if listed:
                    size = len(items) if isinstance(items, list) and items else 1
                    yield _Mutation(
                        args={**extra, param: listed[:size]},
                        note=f"${param} taken from {row_name}.{column}",
                    )


def _spec_text(python_like: str) -> str:
    """An unparsed spec expression back in spec syntax (``arg__x`` -> ``$x``)."""
    import re

    def repl(match: re.Match[str]) -> str:
        name = decode_param(match.group(0))
        return f"${name}" if name is not None and name.isidentifier() else f"${{{name}}}"

    return re.sub(r"\bargx?__[A-Za-z0-9_]+\b", repl, python_like)


def _element_changes(
    checker: SemanticChecker,
    name: str,
    rule: SpecRule,
    case: _Case,
    extra: dict[str, Any],
    spec: WorldSpec,
) -> Iterator[_Mutation]:
    """For rules inside ``each``: change one field of one element of the list argument."""
    if rule.each is None:
        return
    variable, source = rule.each.split(" in ", 1)
    param = source.strip().lstrip("$").strip("{}")
    elements = case.args.get(param)
    if not isinstance(elements, list) or not elements:
        return
    tree = parse(rule.check, "check")
    # a list of ids (``exists("label", label_id=one)``): all existing ones, or one unknown more
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "exists"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in spec.entities
        ):
            entity = spec.entities[node.args[0].value]
            conn, db = checker._db(case.data)
            try:
                keys = [r[entity.key] for r in db.find(entity.table, limit=len(elements))]
            finally:
                conn.close()
            if keys:
                yield _Mutation(args={**extra, param: keys}, note=f"${param} = existing ids")
            # an unknown id in the ids' own format (LBL-0042 -> LBL-9999), else a plain one
            unknown = [re.sub(r"\d", "9", str(k)) for k in keys[:1]]
            for missing in [*[u for u in unknown if u not in map(str, keys)], "NO-SUCH-ID"]:
                yield _Mutation(
                    args={**extra, param: [*elements, missing]}, note=f"${param} + {missing!r}"
                )
    fields = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == variable.strip()
    ]
    for field_name in dict.fromkeys(fields):
        for index, element in enumerate(elements):
            if not isinstance(element, dict):
                continue
            current = element.get(field_name)
            for candidate in _shifted(current, 1) + _extremes(current):
                changed = copy.deepcopy(elements)
                changed[index][field_name] = candidate
                yield _Mutation(
                    args={**extra, param: changed},
                    note=f"${param}[{index}].{field_name} = {candidate!r}",
                )


def check_semantics(world: CompiledWorld, spec: WorldSpec | None = None) -> SemanticReport:
    """The semantic checks of ``world`` (its spec read from the world folder if not given)."""
    spec = spec or world.load_spec()
    if spec is None:
        return SemanticReport(
            world_id=world.id,
            passed=False,
            findings=(
                SemanticFinding(
                    check="spec", ok=False, tool="", detail="the world has no spec.yaml"
                ),
            ),
            rules=(),
        )
    return SemanticChecker(world, spec).check()
