"""Seeded-state quality: invariant violations, valid codes and numbers, the generic value path,
and seeding speed.

    python bench/seed_quality.py [--external-run DIR] [--tasks-run DIR] [--rows 50]

Over one world per built-in vertical, and over every world of the external pool (its default
domains; built once into --external-run), each seeded with --rows rows per table:

* invariant violations per 1,000 rows: right after seeding, after each write tool ran on
  sampled arguments (the states agents see mid-episode), and after each gold call of every task
  of the built-in run (``agentscaler tasks sample`` on the built-in catalog, built once into
  --tasks-run) replayed on its initial state (target 0);
* valid values of each checkable kind: ISO 4217 currencies, ISO 3166 countries, IATA airport
  codes (columns named origin/destination/airport; a rail service's stations, listed by its
  own catalog, are checked against that list), E.164 phones, e-mail addresses, and date
  pairs in order (end after start), addresses whose parts agree (a row's street, city, region,
  postcode and country, or its one-line address: the city in the region and the country, the
  region one of the country's ISO 3166-2 subdivisions, the postcode of the country's form and,
  in the US, of the state's ZIP range; rows with two parts or more), amounts of money inside
  the plausible range of what they price in their service (``worlds/seeding/prices.py``, else
  the range of their name in ``kinds.py``; sums of items and what a create derives excepted:
  those are checked against their formula), and amounts that add up (an order's subtotal is the sum of
  its items' quantity x unit price, its total the subtotal less the discount plus its fees)
  (target 100%);
* free-text values (reasons, notes, descriptions, advice, comments, bios, messages) that are
  noise: fewer than three words, no closing ``.``/``!``/``?``, lorem ipsum, or every word from
  Faker's lorem word list (target 0);
* seeded values that a tool taking them would refuse: each value of a column that a tool's
  parameter sets, filters or names (keys and references) checked against that parameter's JSON
  Schema (pattern, enum, format, bounds), in the tool's own spelling where the tool maps its
  spelling of the column's values onto the column's (``Beginner`` for ``easy``), and a key the
  tool takes inside an object argument against the property it reads it from
  (``propertyDetails.propertyID``) (target 0);
* tools of the external pool whose results come from the generic value path (no table holds
  their data: a value derived from the arguments), and external worlds with a write tool;
* seeding speed: rows per second of CPU (process time) of ``seed_state`` (values, SQLite image
  and table digests), against a bare insert of the same rows (baseline); what a process loads
  once (the Faker value pools, each country's addresses, the airport list, the phone numbering
  plans, the vehicle makes and models, the compiled range patterns) is loaded before the clock
  starts and its one-time cost is printed apart; the compiled worlds, the bench's input, are
  frozen out of Python's cyclic collector (``gc.freeze()``) so its passes over them and over the
  bench's own objects are not counted as seeding. A world loads its schema into SQLite when it
  is built (``compile_world``) and its states copy that empty image: the time of building the
  worlds is printed apart.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.catalog import builtin_tools
from agentscaler.worlds.checks.invariants import InvariantChecker
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.runtime.state import connect_bytes
from agentscaler.worlds.seeding import kinds
from agentscaler.worlds.seeding.addresses import address_groups, parts_agree, row_parts
from agentscaler.worlds.seeding.amounts import amount_parts, amounts_add_up
from agentscaler.worlds.seeding.derived import derive_columns, derived_columns
from agentscaler.worlds.seeding.names import vocabulary_of
from agentscaler.worlds.seeding.prices import is_money
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.seed import seed_rows
from agentscaler.worlds.seeding.texts import is_noise, text_kind
from agentscaler.worlds.spellings import to_tool

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_AIRPORT = re.compile(r"(^|_)(origin|destination|airport)(_code)?$")


def _listed(column: Any, word: str) -> bool:
    """Whether a column's own vocabulary (its schema's ``examples``) lists its values and its
    description names them as ``word`` (a station, not an airport)."""
    schema = column.value_schema or {}
    text = getattr(column, "description", "") or schema.get("description", "")
    return bool(vocabulary_of(schema)) and word in str(text).lower()


def _checkable(column: Any, value: Any) -> tuple[str, bool] | None:
    """``(kind, valid)`` for a value of a kind the bench can check, else None."""
    if value is None or not isinstance(value, str):
        return None
    semantic = column.semantic
    name = column.name
    if (semantic == "currency" or name.endswith("currency")) and "crypto" not in name:
        return "currency", value in kinds.iso_currencies()
    if (semantic == "country" or name.endswith("country")) and len(value) <= 3:
        return "country", value in kinds.iso_countries()
    if _AIRPORT.search(name) and len(value) == 3 and value.isupper():
        if _listed(column, "station"):
            # the service lists its own places (a rail service's station codes): one of them
            return "station", value in vocabulary_of(column.value_schema or {})
        return "airport", value in {a[0] for a in kinds.airports()}
    if semantic == "phone":
        return "phone", kinds.is_e164(value)
    if semantic == "email" and text_kind(name) is None:  # an email_body is a text
        return "email", bool(_EMAIL.match(value))
    return None


def _free_text(column: Any) -> bool:
    """A column of free text: named like one, with no enum, pattern or format of its values."""
    schema = column.value_schema or {}
    return (
        column.type == "TEXT"
        and not column.enum
        and text_kind(column.name) is not None
        and not ({"enum", "pattern", "format"} & set(schema))
    )


def _date_pairs(world: Any) -> list[tuple[str, str, str]]:
    pairs = []
    for table in world.world.tables:
        names = {c.name for c in table.columns if c.semantic in ("date", "datetime")}
        for name in names:
            for first, second in (
                ("start", "end"),
                ("departure", "arrival"),
                ("check_in", "check_out"),
                ("pickup", "return"),
            ):
                if first in name and name.replace(first, second, 1) in names:
                    pairs.append((table.name, name, name.replace(first, second, 1)))
    return pairs


DAY_PARTS = ("morning", "afternoon", "evening", "night")


def _in_order(start: Any, end: Any) -> bool | None:
    """Whether ``end`` comes at or after ``start``: dates and times as written, parts of a day
    (``Morning`` before ``Afternoon``) by the day's order; None when either is missing or
    names no moment."""
    if not start or not end:
        return None
    first, last = str(start), str(end)
    if first.lower() in DAY_PARTS and last.lower() in DAY_PARTS:
        return DAY_PARTS.index(last.lower()) >= DAY_PARTS.index(first.lower())
    if not (first[:1].isdigit() and last[:1].isdigit()):
        return None
    return last >= first


def _as_passed(value: Any, schema: dict[str, Any]) -> Any:
    """A column value as an agent passes it to a parameter of another JSON type, when that loses
    nothing (the id ``"11145"`` of a text key to an integer parameter)."""
    wanted = schema.get("type")
    if wanted == "integer" and isinstance(value, str) and value.isdigit():
        return int(value)
    if wanted == "number" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if wanted == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _key_inside(schema: dict[str, Any], entity: str) -> tuple[str, dict[str, Any]] | None:
    """The property of an object argument that holds the key of ``entity`` (as the world reads
    it: the one property naming the entity), with its schema."""
    from agentscaler.naming import entity_of_parameter

    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for prop, sub in props.items():
        if entity_of_parameter(prop) == entity and isinstance(sub, dict):
            return prop, sub
    return None


def _taken_by(world: Any) -> dict[tuple[str, str], list[tuple[str, Any, dict[Any, Any]]]]:
    """``(table, column) -> [(tool.parameter, validators, spelling)]`` of the parameters that
    set, filter or name a column's values (``spelling``: the tool's own spelling of them, which
    it takes and shows in place of the column's)."""
    from jsonschema import Draft202012Validator, FormatChecker

    from agentscaler.worlds.schemas import resolve_schema

    schemas = {
        t["function"]["name"]: (t["function"].get("parameters") or {}).get("properties") or {}
        for t in world.openai_tools
    }
    tables = {t.name: t for t in world.world.tables}
    found: dict[tuple[str, str], list[tuple[str, Any]]] = defaultdict(list)
    for binding in world.world.tools:
        for param in binding.params:
            schema = schemas.get(binding.name, {}).get(param.name)
            if not isinstance(schema, dict):
                continue
            if param.role in ("field", "filter") and param.column and binding.table:
                place = (binding.table, param.column)
            elif param.role in ("key", "reference") and param.table in tables:
                place = (param.table, tables[param.table].primary_key)
            else:
                continue
            schema = resolve_schema(schema)
            where = f"{binding.name}.{param.name}"
            if param.role == "key" and schema.get("type") == "object":
                # the key inside an object argument (``propertyDetails.propertyID``): the tool
                # reads the row's id from that property, so the id is checked against it
                inside = _key_inside(schema, tables[place[0]].entity)
                if inside is not None:
                    where, schema = f"{where}.{inside[0]}", resolve_schema(inside[1])
            whole = Draft202012Validator(schema, format_checker=FormatChecker())
            one = whole
            if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
                # a list of them (label_ids): a value of the column is one of the items
                one = Draft202012Validator(
                    resolve_schema(schema["items"]), format_checker=FormatChecker()
                )
            spelled = world.tools[binding.name].spellings.get(param.name) or {}
            found[place].append((where, (whole, one), spelled))
    return found


def measure(worlds: list[Any], rows: int) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "rows": 0,
        "seed_violations": 0,
        "write_rows": 0,
        "write_violations": 0,
        "valid": Counter(),
        "checked": Counter(),
        "seconds": 0.0,
        "seconds_next": 0.0,
        "taken": 0,
        "refused": 0,
        "refusals": [],
        "refused_by": Counter(),
        "baseline": 0.0,
        "texts": 0,
        "noise": 0,
        "noise_examples": [],
        "address_examples": [],
        "money_examples": [],
        "invalid": defaultdict(list),
    }
    examples: list[str] = []
    for world in worlds:
        spec = world.load_spec()
        if spec is None:
            continue
        checker = InvariantChecker(spec)
        started = time.process_time()
        data = world.seed_state(7, rows)
        stats["seconds"] += time.process_time() - started
        started = time.process_time()
        world.seed_state(8, rows)  # the next state of the same world (its plans and data loaded)
        stats["seconds_next"] += time.process_time() - started
        seeded = seed_rows(world.world, 7, rows, spec)
        stats["rows"] += sum(len(v) for v in seeded.values())
        started = time.process_time()
        conn = connect_bytes(data)
        for table in world.world.tables:
            table_rows = seeded[table.name]
            columns = [c.name for c in table.columns]
            conn.execute(
                f'CREATE TEMP TABLE "x_{table.name}" ({", ".join(f"c{i}" for i in range(len(columns)))})'
            )
            conn.executemany(
                f'INSERT INTO "x_{table.name}" VALUES ({", ".join("?" for _ in columns)})',
                [tuple(str(r.get(c)) for c in columns) for r in table_rows],
            )
        stats["baseline"] += time.process_time() - started
        conn.close()
        db = Database(connect_bytes(data), world.schema)
        violations = checker.violations(db, limit=10**6)
        stats["seed_violations"] += len(violations)
        examples += [f"{world.world.domain_id}: {v}" for v in violations[:2]]
        for table in world.world.tables:
            for row in db.rows(table.name):
                for column in table.columns:
                    found = _checkable(column, row.get(column.name))
                    if found is not None:
                        stats["checked"][found[0]] += 1
                        stats["valid"][found[0]] += found[1]
                        if not found[1] and len(stats["invalid"][found[0]]) < 3:
                            stats["invalid"][found[0]].append(
                                f"{world.world.domain_id} {table.name}.{column.name}="
                                f"{row.get(column.name)!r}"
                            )
        for table in world.world.tables:
            free = [c.name for c in table.columns if _free_text(c)]
            for row in db.rows(table.name) if free else ():
                for name in free:
                    value = row.get(name)
                    if isinstance(value, str):
                        stats["texts"] += 1
                        if is_noise(value):
                            stats["noise"] += 1
                            if len(stats["noise_examples"]) < 4:
                                stats["noise_examples"].append(
                                    f"{world.world.domain_id} {table.name}.{name}={value!r}"
                                )
        for (table, column), takers in _taken_by(world).items():
            for row in db.rows(table):
                value = row.get(column)
                if value is None:
                    continue
                for where, (whole, one), spelled in takers:
                    stats["taken"] += 1
                    validator = whole if isinstance(value, list) else one
                    # as the tool shows and takes the value (its own spelling of the column's)
                    shown = to_tool(value, spelled) if spelled else value
                    passed = _as_passed(shown, validator.schema)
                    error = next(validator.iter_errors(passed), None)
                    if error is not None:
                        stats["refused"] += 1
                        stats["refused_by"][error.validator] += 1
                        if len(stats["refusals"]) < 6:
                            stats["refusals"].append(
                                f"{world.world.domain_id} {table}.{column}={value!r} ({where}: "
                                f"{error.message[:80]})"
                            )
        for table in world.world.tables:
            groups = address_groups(table)
            for row in db.rows(table.name) if groups else ():
                for group in groups:
                    for parts in row_parts(row, group):
                        if len(parts) < 2 and "line" not in parts:
                            continue  # a lone part (a postcode) has nothing to agree with
                        stats["checked"]["address"] += 1
                        agree = parts_agree(parts)
                        stats["valid"]["address"] += agree
                        if not agree and len(stats["address_examples"]) < 4:
                            stats["address_examples"].append(f"{world.world.domain_id} {parts}")
        for table, start, end in _date_pairs(world):
            for row in db.rows(table):
                ordered = _in_order(row.get(start), row.get(end))
                if ordered is not None:
                    stats["checked"]["date order"] += 1
                    stats["valid"]["date order"] += ordered
                    if not ordered and len(stats["invalid"]["date order"]) < 3:
                        stats["invalid"]["date order"].append(
                            f"{world.world.domain_id} {table}.{start}={row[start]!r} "
                            f"{end}={row[end]!r}"
                        )
        all_rows = {t.name: db.rows(t.name) for t in world.world.tables}
        derived = {
            (part.table, name)
            for part in amount_parts(spec)
            for name in (part.subtotal, part.total, part.discount)
            if name
        }
        formulas = derived_columns(spec)
        derived |= {(item.table, item.column) for item in formulas}
        written = {item.table for item in formulas}  # rows read only are not copied
        rederived = {
            t: [dict(r) for r in rows] if t in written else rows for t, rows in all_rows.items()
        }
        derive_columns(formulas, rederived)
        for item in formulas:  # what a create derives: checked against its formula, not a range
            pairs = zip(all_rows[item.table], rederived[item.table], strict=True)
            for stored, made in pairs:
                value, expected = stored.get(item.column), made.get(item.column)
                if value is None:
                    continue
                stats["checked"]["derived by formula"] += 1
                same = value == expected or (
                    isinstance(value, int | float)
                    and isinstance(expected, int | float)
                    and abs(value - expected) < 0.005
                )
                stats["valid"]["derived by formula"] += same
        for table in world.world.tables:
            for column in table.columns:
                if column.type not in ("REAL", "INTEGER") or column.references:
                    continue
                if not is_money(column.name) or (table.name, column.name) in derived:
                    continue  # sums of their items are checked as amounts that add up
                integer = column.type == "INTEGER"
                span = kinds.number_range(column.name, integer, table.name, world.world.name)
                if span is None:
                    continue
                for row in all_rows[table.name]:
                    value = row.get(column.name)
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        stats["checked"]["money range"] += 1
                        inside = span[0] <= value <= span[1]
                        stats["valid"]["money range"] += inside
                        if not inside and len(stats["money_examples"]) < 4:
                            stats["money_examples"].append(
                                f"{world.world.domain_id} {table.name}.{column.name}={value} "
                                f"outside {span}"
                            )
        for part in amount_parts(spec):
            good, checked = amounts_add_up(part, all_rows)
            stats["checked"]["amounts add up"] += checked
            stats["valid"]["amounts add up"] += good
        env = world.make_env(data)
        for name, entry in world.tools.items():
            if entry.kind != "write":
                continue
            snapshot = env.snapshot()
            for attempt in range(4):
                env.restore(snapshot)
                try:
                    args = ArgumentSampler(env).sample(name, random.Random(f"{name}:{attempt}"))
                except Exception:
                    continue
                result = env.step((name, args))
                if result.ok and result.changes:
                    tables = {c.table for c in result.changes}
                    stats["write_rows"] += sum(len(env.db.rows(t)) for t in tables)
                    broken = checker.violations(env.db, tables, limit=10**6)
                    stats["write_violations"] += len(broken)
                    examples += [f"{world.world.domain_id} after {name}: {v}" for v in broken[:1]]
                    break
            env.restore(snapshot)
        env.close()
    stats["examples"] = examples
    return stats


def _cli(*commands: list[str]) -> None:
    from typer.testing import CliRunner

    from agentscaler.cli.app import app
    from agentscaler.cli.common import EXIT_PARTIAL

    runner = CliRunner()
    for args in commands:
        result = runner.invoke(app, args)
        if result.exit_code not in (0, EXIT_PARTIAL):
            raise SystemExit(f"`agentscaler {' '.join(args)}` failed:\n{result.output}")


def gold_replays(run: Path) -> None:
    """Replay every task's gold calls of a run on its initial state and check the invariants
    of the tables each call wrote, after the call."""
    from agentscaler.jsonl import read_records
    from agentscaler.records import Task
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.runtime.env import WorldEnv
    from agentscaler.worlds.runtime.loader import load_world

    if not (run / "tasks.jsonl").exists():
        print(f"\nbuilding the built-in run with its tasks in {run} ...", flush=True)
        _cli(
            ["domains", "build", "--tools", "builtin", "--out", str(run), "--embedder", "hash"],
            ["worlds", "build", str(run), "-j", "2"],
            ["tasks", "sample", str(run)],
        )
    workspace = Workspace(run)
    tasks = read_records(workspace.tasks, Task)
    loaded: dict[str, Any] = {}
    calls = rows = violations = failed = 0
    examples: list[str] = []
    for task in tasks:
        if task.domain_id not in loaded:
            world = load_world(workspace.world_dir(task.domain_id))
            spec = world.load_spec()
            loaded[task.domain_id] = (world, InvariantChecker(spec) if spec else None)
        world, checker = loaded[task.domain_id]
        if checker is None:
            continue
        env = WorldEnv(world)
        env.reset(options={"state": workspace.state_file(task.initial_state).read_bytes()})
        for call in task.gold_calls:
            result = env.step((call.name, call.arguments))
            calls += 1
            failed += not result.ok
            if not result.changes:
                continue
            tables = {c.table for c in result.changes}
            rows += sum(len(env.db.rows(t)) for t in tables)
            broken = checker.violations(env.db, tables, limit=10**6)
            violations += len(broken)
            examples += [f"{task.domain_id} after {call.name}: {v}" for v in broken[:1]]
        env.close()
    print(
        f"  ... after each gold call of {len(tasks)} tasks ({calls} calls, {failed} failed): "
        f"{1000 * violations / max(1, rows):.2f} ({violations} in {rows} rows of the tables "
        f"written)   (target 0)"
    )
    for example in examples[:4]:
        print(f"    {example}")


def report(title: str, stats: dict[str, Any]) -> None:
    rows = max(1, stats["rows"])
    print(f"\n== {title}")
    print(
        f"  invariant violations per 1,000 rows after seeding: "
        f"{1000 * stats['seed_violations'] / rows:.2f} ({stats['seed_violations']} in "
        f"{stats['rows']} rows)   (target 0)"
    )
    write_rows = max(1, stats["write_rows"])
    print(
        f"  ... after a write: {1000 * stats['write_violations'] / write_rows:.2f} "
        f"({stats['write_violations']} in {stats['write_rows']} rows of the tables written)"
    )
    for kind in sorted(stats["checked"]):
        checked, valid = stats["checked"][kind], stats["valid"][kind]
        print(
            f"  valid {kind:<11} {100 * valid / checked:6.2f}% ({valid}/{checked})   (target 100%)"
        )
        for example in stats["invalid"][kind][:2]:
            print(f"    invalid: {example}")
    for example in stats["money_examples"][:3]:
        print(f"    amount outside its range: {example}")
    for example in stats["address_examples"][:3]:
        print(f"    address whose parts disagree: {example}")
    print(
        f"  seeded values a tool taking them refuses: "
        f"{100 * stats['refused'] / max(1, stats['taken']):.2f}% ({stats['refused']} of "
        f"{stats['taken']} value x parameter checks; by keyword: "
        f"{', '.join(f'{k} {n}' for k, n in stats['refused_by'].most_common(6)) or 'none'})"
        "   (target 0)"
    )
    for example in stats["refusals"][:4]:
        print(f"    {example}")
    print(
        f"  free-text values that are noise (reasons, notes, descriptions, advice, comments, "
        f"bios, messages: fewer than 3 words, no closing . ! ?, lorem ipsum, or only Faker lorem "
        f"words): {100 * stats['noise'] / max(1, stats['texts']):.2f}% ({stats['noise']}/"
        f"{stats['texts']})   (target 0)"
    )
    for example in stats["noise_examples"][:3]:
        print(f"    {example}")
    speed = stats["rows"] / max(stats["seconds"], 1e-9)
    following = stats["rows"] / max(stats["seconds_next"], 1e-9)
    print(
        f"  seeding: {speed:,.0f} rows/s of CPU for a world's first state, {following:,.0f} for "
        f"its next ones (target 50,000); a bare insert of the same rows runs at "
        f"{stats['rows'] / max(stats['baseline'], 1e-9):,.0f} rows/s "
        f"({stats['seconds'] / max(stats['baseline'], 1e-9):.1f}x / "
        f"{stats['seconds_next'] / max(stats['baseline'], 1e-9):.1f}x its time)"
    )
    for example in stats["examples"][:6]:
        print(f"    {example}")


def _built(count: int, seconds: float) -> None:
    print(
        f"worlds built: {count} in {seconds:.2f} s CPU (compile_world; each world loads its "
        "schema into SQLite there, once, and its states copy that empty image)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50, help="Rows per table.")
    parser.add_argument("--external-run", type=Path, help="Run folder of the external pool.")
    parser.add_argument(
        "--tasks-run",
        type=Path,
        default=Path("/tmp/agentscaler-bench-seed-quality-tasks"),
        help="Run folder of the built-in catalog with tasks.jsonl (built when missing).",
    )
    parser.add_argument(
        "--external", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "external"
    )
    args = parser.parse_args()

    from agentscaler.worlds.seeding.values import draw_pools

    started = time.process_time()
    draw_pools()
    print(
        f"one-time value pools and code lists of the process (Faker, addresses, airports, phone plans): "
        f"{time.process_time() - started:.2f} s CPU (loaded once per process, not counted in the "
        "seeding speed)"
    )
    verticals: dict[str, list[Any]] = defaultdict(list)
    for tool in builtin_tools():
        verticals[tool.tag_value("vertical") or "misc"].append(tool)
    started = time.process_time()
    worlds = [compile_world(f"v-{v}", v, tools) for v, tools in sorted(verticals.items())]
    _built(len(worlds), time.process_time() - started)
    gc.freeze()  # the compiled worlds are the bench's input: no collector pass walks them
    report(
        f"built-in catalog, one world per vertical ({len(worlds)} worlds)",
        measure(worlds, args.rows),
    )
    gold_replays(args.tasks_run)

    if not args.external.exists():
        print(f"\n(no external data at {args.external}: the external pool is not measured)")
        return
    from agentscaler.jsonl import read_records
    from agentscaler.pipeline.run import run_pipeline
    from agentscaler.records import Domain, ToolSpec

    root = args.external_run or Path("/tmp/agentscaler-bench-world-semantics-external")
    if not (root / "domains.jsonl").exists():
        sources = [
            str(args.external / "bfcl"),
            str(args.external / "seal-tools" / "tool.jsonl"),
            str(args.external / "acebench" / "data_en"),
        ]
        run_pipeline(root, {"sources": sources}, stop_after="domains")
    pool = {t.id: t for t in read_records(root / "tools.jsonl", ToolSpec)}
    external = []
    failed = 0
    started = time.process_time()
    for domain in read_records(root / "domains.jsonl", Domain):
        tools = [pool[m.tool_id] for m in domain.members if m.tool_id in pool]
        try:
            external.append(compile_world(domain.id, domain.name, tools))
        except Exception:
            failed += 1
    _built(len(external), time.process_time() - started)
    gc.freeze()
    report(
        f"external pool ({len(external)} worlds, {failed} failed to compile)", measure(external, 20)
    )
    tools = [b for w in external for b in w.world.tools]
    generic = sum(b.fallback for b in tools)
    with_write = sum(any(b.kind == "write" for b in w.world.tools) for w in external)
    print(
        f"  tools on the generic value path (no table holds their data): "
        f"{100 * generic / max(1, len(tools)):.1f}% ({generic}/{len(tools)})   (target 0%)"
    )
    print(
        f"  worlds with at least one write tool: {100 * with_write / max(1, len(external)):.1f}% "
        f"({with_write}/{len(external)})"
    )


if __name__ == "__main__":
    main()
