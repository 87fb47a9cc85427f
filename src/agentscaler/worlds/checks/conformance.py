"""Conformance check of a compiled world (like Gymnasium's env_checker), as a structured report.

Checks, each reported per world or per tool:

* ``schemas``: every tool's parameters are valid JSON Schema; the database schema loads;
* ``dump_load``: a state written out and read back (bytes and a ``.sqlite`` file) keeps its hash;
* ``reset``: seeding and ``reset`` are deterministic for a seed;
* ``read`` / ``write``: every tool runs on sampled valid arguments without a world bug; a READ
  leaves the state hash unchanged; a WRITE that succeeds changes it (the sampler looks for
  arguments that succeed from the seeded state, e.g. an order in a cancellable status);
* ``errors``: bad calls (unknown tool, unexpected, missing or mistyped arguments, unknown ids)
  return typed error observations and leave the hash unchanged;
* ``replay``: a random sequence of calls replayed on a fresh copy gives the same observations
  and hashes.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from agentscaler.records.base import Record
from agentscaler.worlds.checks.semantic import RuleProof
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.values import ValueFactory

_WRONG_VALUES = {
    "string": 12345,
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "maybe",
    "array": "not-a-list",
    "object": "not-an-object",
}


class CheckResult(Record):
    check: str
    ok: bool
    tool: str | None = None
    detail: str = ""


class ConformanceReport(Record):
    world_id: str
    domain_id: str
    passed: bool
    tools: int
    checks: tuple[CheckResult, ...]
    rules: tuple[RuleProof, ...] = ()
    """Each rule of the spec: proven enforced, failed, or unproven (see the semantic checks)."""

    def rule_counts(self) -> dict[str, int]:
        counts = {"proven": 0, "failed": 0, "unproven": 0}
        for proof in self.rules:
            counts[proof.status] += 1
        return counts

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]

    def summary(self) -> str:
        if self.passed:
            return f"passed {len(self.checks)} checks"
        first = self.failures[0]
        where = f" [{first.tool}]" if first.tool else ""
        more = f" (+{len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
        return f"{first.check}{where}: {first.detail}{more}"


def check_world(world: CompiledWorld, *, seed: int = 0, semantic: bool = True) -> ConformanceReport:
    """Run every conformance check on ``world`` and return the report: the mechanical checks
    and, when the world has a spec (and ``semantic``), the semantic checks derived from it."""
    checks: list[CheckResult] = []
    checks += _check_schemas(world)
    rules: tuple[RuleProof, ...] = ()
    if all(c.ok for c in checks):
        spec = world.load_spec() if semantic else None
        successes: dict[str, Any] = {}
        if spec is not None:
            from agentscaler.worlds.checks.semantic import SemanticChecker

            checker = SemanticChecker(world, spec)
            report = checker.check()
            successes = checker.successes
            rules = report.rules
            checks += [
                CheckResult(check=f.check, ok=f.ok, tool=f.tool or None, detail=f.detail)
                for f in report.findings
            ]
        base = WorldEnv(world)
        try:
            base.reset()
            checks += _check_dump_load(world, base)
            checks += _check_reset(world, seed)
            snapshot = base.snapshot()
            reached: list[tuple[str, Any]] = []
            for tool in world.tools:
                checks.append(
                    _check_tool(world, base, snapshot, tool, seed, successes.get(tool), reached)
                )
                checks += _check_errors(world, base, snapshot, tool)
            checks = [_after_others(world, base, c, seed, reached) for c in checks]
            checks.append(_check_unknown_tool(base, snapshot))
            checks.append(_check_replay(world, snapshot, seed))
        finally:
            base.close()
    return ConformanceReport(
        world_id=world.world.id,
        domain_id=world.world.domain_id,
        passed=all(c.ok for c in checks),
        tools=len(world.tools),
        checks=tuple(checks),
        rules=rules,
    )


def _check_schemas(world: CompiledWorld) -> list[CheckResult]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    results = []
    for name, entry in world.tools.items():
        parameters = entry.parameters
        try:
            validator_for(parameters, default=Draft202012Validator).check_schema(parameters)
            ok, detail = parameters.get("type", "object") == "object", ""
            if not ok:
                detail = "parameters must be a JSON Schema of type object"
        except SchemaError as exc:
            ok, detail = False, f"parameters are not valid JSON Schema: {exc.message}"
        if not ok:
            results.append(CheckResult(check="schemas", ok=False, tool=name, detail=detail))
    try:
        world.initial_state()
        results.append(CheckResult(check="schemas", ok=True, detail=f"{len(world.tools)} tools"))
    except Exception as exc:
        results.append(
            CheckResult(check="schemas", ok=False, detail=f"the database does not load: {exc}")
        )
    return results


def _check_dump_load(world: CompiledWorld, base: WorldEnv) -> list[CheckResult]:
    expected = base.state_hash()
    other = WorldEnv(world)
    try:
        other.reset(options={"state": base.state_bytes()})
        same_bytes = other.state_hash() == expected
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "state.sqlite"
            base.save_state(path)
            other.reset(options={"state": path})
            same_file = other.state_hash() == expected
    finally:
        other.close()
    ok = same_bytes and same_file
    detail = "" if ok else f"hash changed after {'bytes' if not same_bytes else 'file'} round trip"
    return [CheckResult(check="dump_load", ok=ok, detail=detail)]


def _check_reset(world: CompiledWorld, seed: int) -> list[CheckResult]:
    from agentscaler.worlds.runtime.state import connect_bytes, state_hash
    from agentscaler.worlds.seeding.seed import seed_state

    hashes = []
    for _ in range(2):
        conn = connect_bytes(
            seed_state(world.world, seed + 1, schema=world.schema, spec=world.load_spec())
        )
        try:
            hashes.append(state_hash(conn, world.schema))
        finally:
            conn.close()
    env = WorldEnv(world)
    try:
        first = env.reset(seed=seed + 1)[0]["state_hash"]
        env.call(next(iter(world.tools)))  # any step, then reset again
        second = env.reset(seed=seed + 1)[0]["state_hash"]
    finally:
        env.close()
    ok = hashes[0] == hashes[1] == first == second
    return [
        CheckResult(
            check="reset", ok=ok, detail="" if ok else "the same seed gave different states"
        )
    ]


def _check_tool(
    world: CompiledWorld,
    base: WorldEnv,
    snapshot: Any,
    tool: str,
    seed: int,
    known: Any = None,
    reached: list[tuple[str, Any]] | None = None,
    starts: list[Any] | None = None,
) -> CheckResult:
    """A sampled call of ``tool`` runs without a world bug; a read changes nothing, a write
    that succeeds changes the state. ``known``: a case (state and arguments) the semantic
    checks made pass the tool's rules, tried when no sampled call succeeds. ``reached``
    collects (tool, state) after a write that succeeded; ``starts``: the states to sample
    from instead of the seed and seeded ones."""
    entry = world.tools[tool]
    kind = entry.kind
    check = "read" if kind == "read" else "write"
    attempts = world.config.conformance_attempts
    last_error = ""
    unchanged_ok = 0
    for attempt in range(attempts + (1 if known is not None else 0)):
        if attempt == attempts:
            base.restore(known.data)
        elif starts:
            base.restore(starts[attempt % len(starts)])
        elif attempt < attempts // 2:
            base.restore(snapshot)
        else:
            base.reset(seed=seed + 100 + attempt % 3)
        before = base.state_hash()
        rng = random.Random(f"{tool}:{attempt}")
        try:
            arguments = (
                dict(known.args)
                if attempt == attempts
                else ArgumentSampler(base).sample(tool, rng, optional=0.5 if attempt % 2 else 1.0)
            )
        except Exception as exc:
            last_error = f"no valid arguments could be sampled ({exc})"
            continue
        result = base.step((tool, arguments))
        if result.info.get("world_bug"):
            return CheckResult(
                check=check,
                ok=False,
                tool=tool,
                detail=f"world bug on {arguments}: {result.info['world_bug']}",
            )
        after = base.state_hash()
        if not result.ok:
            if after != before:
                return CheckResult(
                    check=check, ok=False, tool=tool, detail="a failed call changed the state"
                )
            last_error = f"{result.error_type}: {result.observation['error']['message']}"
            continue
        if kind == "read":
            if after != before:
                return CheckResult(
                    check=check, ok=False, tool=tool, detail="a READ tool changed the state"
                )
            return CheckResult(check=check, ok=True, tool=tool)
        if after != before:
            if not result.changes:
                return CheckResult(
                    check=check,
                    ok=False,
                    tool=tool,
                    detail="state changed but no change was recorded",
                )
            if reached is not None:
                reached.append((tool, base.snapshot()))
            return CheckResult(check=check, ok=True, tool=tool)
        unchanged_ok += 1
        last_error = "the call succeeded but left the state unchanged"
    detail = f"no sampled call succeeded in {attempts} attempts; last: {last_error}"
    if unchanged_ok:
        detail = f"{unchanged_ok} successful calls left the state unchanged"
    return CheckResult(check=check, ok=False, tool=tool, detail=detail)


def _after_others(
    world: CompiledWorld, base: WorldEnv, result: CheckResult, seed: int, reached: list
) -> CheckResult:
    """A tool no sampled call made succeed, tried again in the states other tools' writes
    reached (a file is read after entering its directory); it passes if a call succeeds there,
    the detail naming that tool."""
    if result.ok or result.check not in ("read", "write") or result.tool is None:
        return result
    if not result.detail.startswith("no sampled call succeeded") and not result.detail.endswith(
        "left the state unchanged"
    ):
        return result
    for other, state in reached:
        if other == result.tool:
            continue
        again = _check_tool(world, base, state, result.tool, seed, starts=[state])
        if again.ok:
            return again.model_copy(update={"detail": f"after a call of {other}"})
    return result


def _bad_calls(
    world: CompiledWorld, tool: str, base: WorldEnv | None = None
) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    entry = world.tools[tool]
    properties = entry.parameters.get("properties") or {}
    required = [r for r in entry.parameters.get("required") or () if r in properties]
    factory = ValueFactory(f"bad:{tool}")
    valid = {
        name: factory.value(properties[name] if isinstance(properties[name], dict) else {})
        for name in required
    }
    calls: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("unexpected argument", {**valid, "zz_unexpected_argument": 1}, ("invalid_argument",))
    ]
    if required:
        missing = dict(valid)
        missing.pop(required[0])
        calls.append((f"missing {required[0]}", missing, ("invalid_argument",)))
    for name, schema in properties.items():
        json_type = schema_type(resolve_schema(schema if isinstance(schema, dict) else {}))
        if json_type in _WRONG_VALUES and not (
            isinstance(schema, dict) and ("anyOf" in schema or "oneOf" in schema)
        ):
            calls.append(
                (
                    f"{name} of the wrong type",
                    {**valid, name: _WRONG_VALUES[json_type]},
                    ("invalid_argument",),
                )
            )
            break
    binding = world.binding(tool)
    key = binding.key_param
    if key and binding.operation in ("get", "update", "transition", "delete") and binding.table:
        schema = properties.get(key) or {}
        unknown = _unknown_key(world, binding.table, schema, base)
        if unknown is not None:
            args = dict(valid)
            args[key] = unknown
            calls.append((f"unknown {key}", args, ("not_found", "invalid_argument")))
    return calls


def _unknown_key(
    world: CompiledWorld, table: str, schema: dict[str, Any], base: WorldEnv | None = None
) -> Any:
    """A key of the tool's format that no row of ``table`` has (in ``base``'s state)."""
    meta = world.schema.tables[table]
    json_type = schema_type(resolve_schema(schema))
    if meta.key_type == "INTEGER" or json_type == "integer":
        candidates: list[Any] = [987654321, 987654320, 876543210]
    elif meta.table.id_prefix:
        width = meta.table.id_width or 5
        candidates = [f"{meta.table.id_prefix}{digit * width}" for digit in "98765"]
    else:
        made = ValueFactory("unknown-key").value(resolve_schema(schema))
        candidates = [made if isinstance(made, str) else "UNKNOWN-0000", "UNKNOWN-0001"]
    for candidate in candidates:
        if base is None or not base.db.exists(table, candidate):
            return candidate
    return None


def _check_errors(
    world: CompiledWorld, base: WorldEnv, snapshot: Any, tool: str
) -> list[CheckResult]:
    base.restore(snapshot)
    before = base.state_hash()
    problems = []
    base.restore(snapshot)
    for label, arguments, expected in _bad_calls(world, tool, base):
        result = base.step((tool, arguments))
        if result.info.get("world_bug"):
            problems.append(f"{label}: world bug {result.info['world_bug']}")
        elif result.ok and expected != ("not_found", "invalid_argument"):
            problems.append(f"{label}: accepted")
        elif result.ok:
            problems.append(f"{label}: accepted (expected not_found)")
        elif result.error_type not in expected:
            problems.append(
                f"{label}: error type {result.error_type}, expected {' or '.join(expected)}"
            )
        if base.state_hash() != before:
            problems.append(f"{label}: changed the state")
            base.restore(snapshot)
    return [CheckResult(check="errors", ok=not problems, tool=tool, detail="; ".join(problems))]


def _check_unknown_tool(base: WorldEnv, snapshot: Any) -> CheckResult:
    base.restore(snapshot)
    before = base.state_hash()
    result = base.step({"name": "zz_no_such_tool", "arguments": {}})
    ok = result.error_type == "unknown_tool" and base.state_hash() == before
    return CheckResult(
        check="errors", ok=ok, detail="" if ok else f"unknown tool gave {result.error_type}"
    )


def _check_replay(world: CompiledWorld, snapshot: Any, seed: int) -> CheckResult:
    tools = list(world.tools)
    rng = random.Random(f"replay:{world.world.id}:{seed}")
    env = WorldEnv(world)
    try:
        env.reset(options={"state": snapshot})
        sampler = ArgumentSampler(env)
        calls, trace = [], []
        for _ in range(world.config.replay_steps):
            tool = rng.choice(tools)
            try:
                arguments = sampler.sample(tool, rng)
            except Exception:
                continue
            result = env.step((tool, arguments))
            calls.append((tool, arguments))
            trace.append((result.content, env.state_hash()))
        env.reset(options={"state": snapshot})
        for index, call in enumerate(calls):
            result = env.step(call)
            if (result.content, env.state_hash()) != trace[index]:
                return CheckResult(
                    check="replay",
                    ok=False,
                    detail=f"call {index + 1} ({call[0]}) differed on replay",
                )
    finally:
        env.close()
    return CheckResult(check="replay", ok=True, detail=f"{len(calls)} calls")
