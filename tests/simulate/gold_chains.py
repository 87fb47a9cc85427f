"""Tasks for simulation tests: short gold chains executed on real compiled worlds.

``build_run(root, verticals)`` compiles built-in catalog verticals into ``root/worlds/``, seeds
initial states into ``root/states/`` and writes ``root/tasks.jsonl`` with Task records whose gold
calls were executed on the world (real outputs, real gold final hashes). Chains:

* read-only: a ``get`` by key (the key is a fact the user knows and the agent must ask for);
* read -> read: a ``get`` whose output holds a foreign key, then the ``get`` of that record
  (argument sourced from the first call's output);
* parallel reads: two independent ``get`` calls on different tables;
* read -> write: ``get`` then an update / transition / delete of the same record.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from agentscaler.canonical import content_hash
from agentscaler.jsonl import write_records
from agentscaler.naming import split_identifier
from agentscaler.records import ArgumentSource, GoldCall, Task, UserFact

SIMPLE_TEXT = "requested by the customer"


def _words(name: str) -> str:
    return " ".join(split_identifier(name))


def _value_for(schema: dict[str, Any], rng: random.Random) -> Any:
    if schema.get("enum"):
        return rng.choice(list(schema["enum"]))
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return float(max(schema.get("minimum", 1), 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-03-01"
    if fmt == "email":
        return "someone@example.com"
    return SIMPLE_TEXT


def _required_extra(tool: dict[str, Any], skip: set[str], rng: random.Random) -> dict[str, Any]:
    params = tool["function"].get("parameters") or {}
    props = params.get("properties") or {}
    return {
        name: _value_for(props.get(name) or {}, rng)
        for name in params.get("required") or []
        if name not in skip
    }


class ChainBuilder:
    """Executes candidate chains on a fresh env per chain and keeps the ones that succeed."""

    def __init__(self, compiled: Any, state: bytes, state_hash: str, seed: int) -> None:
        self.compiled = compiled
        self.state = state
        self.state_hash = state_hash
        self.seed = seed
        self.rng = random.Random(seed)
        self.tools = {t["function"]["name"]: t for t in compiled.openai_tools}
        self.bindings = {b.name: b for b in compiled.world.tools}
        self.gets = {
            b.table: b
            for b in compiled.world.tools
            if b.operation == "get" and b.kind == "read" and b.key_param and b.table
        }

    def _run(self, calls: list[tuple[str, dict[str, Any], dict[str, ArgumentSource]]]):
        env = self.compiled.make_env(self.state)
        gold: list[GoldCall] = []
        try:
            for name, arguments, sources in calls:
                result = env.step((name, arguments))
                if not result.ok:
                    return None, None
                binding = self.bindings[name]
                gold.append(
                    GoldCall(
                        name=name,
                        arguments=arguments,
                        kind=binding.kind,
                        output=result.observation,
                        sources=sources,
                        changes=result.changes,
                    )
                )
            return gold, env.state_hash()
        finally:
            env.close()

    def _task(self, gold, final_hash, facts, intent) -> Task:
        body = {
            "world": self.compiled.id,
            "state": self.state_hash,
            "calls": [[c.name, c.arguments] for c in gold],
        }
        return Task(
            id="t-" + content_hash(body, length=16),
            domain_id=self.compiled.world.domain_id,
            world_id=self.compiled.id,
            seed=self.seed,
            initial_state=self.state_hash,
            gold_calls=tuple(gold),
            gold_final_state=final_hash,
            read_only=all(c.kind == "read" for c in gold),
            user_facts=tuple(facts),
            intent=intent,
        )

    def _rows(self, table: str, k: int) -> list[dict[str, Any]]:
        env = self.compiled.make_env(self.state)
        try:
            return env.random_rows(table, k, self.rng)
        finally:
            env.close()

    def _fact(self, param: str, value: Any, entity: str) -> UserFact:
        return UserFact(name=param, value=value, description=f"the id of your {entity}")

    def lookups(self, per_table: int) -> list[Task]:
        tasks = []
        for table, get in self.gets.items():
            key = get.key_param
            for row in self._rows(table, per_table):
                value = row[self.compiled.world.table(table).primary_key]
                src = {key: ArgumentSource(kind="user_fact", path=key)}
                gold, final = self._run([(get.name, {key: value}, src)])
                if gold:
                    entity = _words(table)
                    tasks.append(
                        self._task(
                            gold,
                            final,
                            [self._fact(key, value, entity)],
                            f"You want to know the details of one of your {entity}.",
                        )
                    )
        return tasks

    def follow_references(self, per_table: int) -> list[Task]:
        tasks = []
        world = self.compiled.world
        for table, get in self.gets.items():
            refs = [c for c in world.table(table).columns if c.references in self.gets]
            if not refs:
                continue
            column = refs[0]
            target = self.gets[column.references]
            for row in self._rows(table, per_table):
                if row.get(column.name) is None:
                    continue
                key = get.key_param
                value = row[world.table(table).primary_key]
                calls = [
                    (get.name, {key: value}, {key: ArgumentSource(kind="user_fact", path=key)}),
                    (
                        target.name,
                        {target.key_param: row[column.name]},
                        {target.key_param: ArgumentSource(kind="output", step=0, path=column.name)},
                    ),
                ]
                gold, final = self._run(calls)
                if gold:
                    tasks.append(
                        self._task(
                            gold,
                            final,
                            [self._fact(key, value, _words(table))],
                            f"You want to see the {_words(column.references)} linked to one of "
                            f"your {_words(table)}.",
                        )
                    )
        return tasks

    def parallel_reads(self, count: int) -> list[Task]:
        tables = sorted(self.gets)
        tasks = []
        for i in range(min(count, max(0, len(tables) - 1))):
            first, second = tables[i], tables[(i + 1) % len(tables)]
            rows_a, rows_b = self._rows(first, 1), self._rows(second, 1)
            if not rows_a or not rows_b:
                continue
            world = self.compiled.world
            calls, facts = [], []
            for table, row in ((first, rows_a[0]), (second, rows_b[0])):
                get = self.gets[table]
                value = row[world.table(table).primary_key]
                src = {get.key_param: ArgumentSource(kind="user_fact", path=get.key_param)}
                calls.append((get.name, {get.key_param: value}, src))
                facts.append(self._fact(get.key_param, value, _words(table)))
            gold, final = self._run(calls)
            if gold:
                tasks.append(
                    self._task(
                        gold,
                        final,
                        facts,
                        f"You want to check one of your {_words(first)} and one of your "
                        f"{_words(second)}.",
                    )
                )
        return tasks

    def read_then_write(self, per_tool: int) -> list[Task]:
        tasks = []
        world = self.compiled.world
        for binding in world.tools:
            if binding.kind != "write" or binding.operation not in {
                "update",
                "transition",
                "delete",
            }:
                continue
            key = binding.key_param
            if not key or binding.table not in self.gets:
                continue
            get = self.gets[binding.table]
            made = 0
            for row in self._rows(binding.table, 6):
                if made >= per_tool:
                    break
                value = row[world.table(binding.table).primary_key]
                extra = _required_extra(self.tools[binding.name], {key}, self.rng)
                if binding.operation == "update" and not extra:
                    fields = [p.name for p in binding.params if p.role == "field"]
                    if not fields:
                        continue
                    props = self.tools[binding.name]["function"]["parameters"]["properties"]
                    extra = {fields[0]: _value_for(props.get(fields[0]) or {}, self.rng)}
                src = {key: ArgumentSource(kind="user_fact", path=key)}
                sources = dict(src)
                sources.update({n: ArgumentSource(kind="generated") for n in extra})
                calls = [
                    (get.name, {get.key_param: value}, src),
                    (binding.name, {key: value, **extra}, sources),
                ]
                gold, final = self._run(calls)
                if gold and final != self.state_hash:
                    made += 1
                    verb = _words(binding.name)
                    tasks.append(
                        self._task(
                            gold,
                            final,
                            [self._fact(key, value, _words(binding.table))],
                            f"You want to {verb} for one of your {_words(binding.table)}"
                            + (
                                " ("
                                + ", ".join(f"{_words(k)}: {v}" for k, v in extra.items())
                                + ")"
                                if extra
                                else ""
                            )
                            + ".",
                        )
                    )
        return tasks


def build_run(
    root: Path,
    verticals: list[str],
    *,
    seeds: tuple[int, ...] = (1,),
    per_table: int = 1,
    per_tool: int = 1,
) -> list[Task]:
    """Compile ``verticals`` of the built-in catalog into ``root`` and write gold-chain tasks."""
    from agentscaler.catalog import vertical_tools
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.compiler import compile_world, write_world

    ws = Workspace(root)
    tasks: list[Task] = []
    for vertical in verticals:
        compiled = compile_world(vertical, vertical.replace("_", " "), vertical_tools(vertical))
        write_world(compiled, ws.world_dir(vertical))
        for seed in seeds:
            state = compiled.seed_state(seed)
            env = compiled.make_env(state)
            state_hash = env.state_hash()
            env.close()
            ws.states_dir.mkdir(parents=True, exist_ok=True)
            ws.state_file(state_hash).write_bytes(state)
            builder = ChainBuilder(compiled, state, state_hash, seed)
            tasks += builder.lookups(per_table)
            tasks += builder.follow_references(per_table)
            tasks += builder.parallel_reads(2)
            tasks += builder.read_then_write(per_tool)
    unique = list({t.id: t for t in tasks}.values())
    write_records(ws.tasks, unique)
    return unique
