"""Tool code over its budget: the interpreter-level guards, the worker processes under OS limits,
and the adversarial corpus of ``data/adversarial_tools.json`` (the full corpus with timings is
``bench/faults.py``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from agentscaler.errors import UnsafeCodeError
from agentscaler.worlds.compiler import write_world
from agentscaler.worlds.runtime import isolated
from agentscaler.worlds.runtime.budget import BudgetExceeded, arm, disarm
from agentscaler.worlds.runtime.loader import CompiledWorld, code_hash, load_world, run_tool_code

DATA = Path(__file__).parent / "data"
CORPUS = {
    entry["name"]: entry for entry in json.loads((DATA / "adversarial_tools.json").read_text())
}
ESCAPE = Path("/tmp/agentscaler-escape")
LIMIT_S = 0.5
STOPPED_S = 8 * LIMIT_S
"""A stopped payload's call ends within this (a few budgets: a loaded 2-core machine delays
the stop); one that is not stopped runs for minutes or exhausts memory."""


def _probe_source(world: CompiledWorld, body: str, tool: str = "get_order") -> str:
    """The world's tools.py with ``tool``'s body replaced by ``body``."""
    source = world.source
    start = source.index(f"def {tool}(")
    end = source.index("\n\n\n", start)
    header = source[start : source.index('"""', source.index('"""', start) + 3) + 3]
    return source[:start] + header + "\n" + body + source[end:]


def _trusted(world: CompiledWorld, body: str) -> CompiledWorld:
    """The probe as if the compiler had written it: it runs in this process."""
    source = _probe_source(world, body)
    record = world.world.model_copy(update={"code_hash": code_hash(source)})
    config = world.config.model_copy(update={"time_limit_s": LIMIT_S, "memory_limit_mb": 128})
    loaded = CompiledWorld.from_parts(record, source, world.openai_tools, config=config)
    assert not loaded.tools["get_order"].isolated
    return loaded


def _edited(
    world: CompiledWorld, body: str, folder: Path, tool: str = "get_order"
) -> CompiledWorld:
    """The probe as a user's edit of tools.py: it runs in a worker process."""
    path = write_world(world, folder)
    (path / "tools.py").write_text(_probe_source(world, body, tool))
    loaded = load_world(path)
    loaded.config = loaded.config.model_copy(
        update={"time_limit_s": LIMIT_S, "memory_limit_mb": 128}
    )
    assert loaded.tools["get_order"].isolated
    return loaded


def _outcome(world: CompiledWorld) -> tuple[str, float]:
    env = world.make_env()
    env.config = world.config
    before = env.state_hash()
    started = time.perf_counter()
    result = env.call("get_order", order_id="ORD-000001")
    elapsed = time.perf_counter() - started
    assert env.state_hash() == before
    assert not result.ok, f"the payload ran to the end: {result.content[:200]}"
    return result.error_type or "", elapsed


GUARDED = sorted(
    n for n, e in CORPUS.items() if e["category"] in {"time", "memory"} and not e.get("stopped_by")
)


@pytest.mark.parametrize("name", GUARDED)
def test_the_interpreter_guards_stop_every_payload_in_process(shop, name):
    """Without any worker process, every time and memory payload but one C call is stopped,
    within a few times its budget."""
    ESCAPE.unlink(missing_ok=True)
    error, elapsed = _outcome(_trusted(shop, CORPUS[name]["body"]))
    assert error == "limit_exceeded"
    assert elapsed < STOPPED_S


@pytest.mark.parametrize(
    "name",
    [
        "s.replace('x', s)",
        "s.translate({120: s})",
        "'%*s' % (1500000000, '')",
        "''.join([s] * 1000000)",
        "sum(map(sum, map(range, ...)))",
        "sorted over identical huge lists (one C call)",
        "huge result",
    ],
)
def test_edited_code_runs_in_a_worker_that_is_killed_and_replaced(shop, tmp_path, name):
    world = _edited(shop, CORPUS[name]["body"], tmp_path / "w")
    started_before = isolated.pool().started
    error, elapsed = _outcome(world)
    assert error == "limit_exceeded"
    spawn = 1.0  # starting the worker is not the tool's time
    assert elapsed < STOPPED_S + spawn
    env = world.make_env()
    customer = env.db.find("customers", limit=1)[0]["customer_id"]
    assert env.call("search_orders", customer_id=customer).ok, "a fresh worker serves the next call"
    assert isolated.pool().started >= started_before + 1


@pytest.mark.parametrize(
    "name", sorted(n for n, e in CORPUS.items() if e["category"] in {"files", "network"})
)
def test_escapes_are_refused_or_fail_without_touching_the_host(shop, tmp_path, name):
    ESCAPE.unlink(missing_ok=True)
    source = _probe_source(shop, CORPUS[name]["body"])
    try:
        run_tool_code(source)
    except UnsafeCodeError:
        return  # refused before anything ran
    env = _trusted(shop, CORPUS[name]["body"]).make_env()
    before = env.state_hash()
    result = env.call("get_order", order_id="ORD-000001")
    # the database API names no table, column or clause it does not know: the text is inert
    assert result.ok or result.error_type == "world_bug", result.content[:200]
    assert env.state_hash() == before
    assert not ESCAPE.exists()


def test_guards_keep_the_meaning_of_ordinary_code():
    source = """
@tool(kind="read", operation="compute")
def probe(db, *, x: str = "a,b"):
    parts = x.split(",")
    items = [["k"], ["v"]]
    items[0] += ["w"]
    counts = {"n": 1}
    counts["n"] += 2
    return {
        "replace": x.replace(",", ";"),
        "join": ", ".join(parts),
        "join_type": str.join("-", parts),
        "translate": x.translate({44: "+"}),
        "percent": "%05d|%-4s|%.2f" % (42, "ab", 1.5),
        "percent_map": "%(a)s" % {"a": 1},
        "fstring": f"{parts}!{x!r}",
        "str": str(parts),
        "map_str": list(map(str, [1, 2])),
        "filter": list(filter(None, [0, 1, 2])),
        "sum": sum([1, 2, 3]),
        "sum_lists": sum([[1], [2]], []),
        "is_text": isinstance(x, str) and isinstance(1, (str, int)),
        "items": items,
        "counts": counts,
        "mod": 17 % 5,
        "sorted": sorted(["b", "a"], key=str),
    }
"""
    function = run_tool_code(source)["probe"][0]
    saved = arm(1.0, 64, 1_000_000)
    try:
        result = function(None)
    finally:
        disarm(saved)
    assert result == {
        "replace": "a;b",
        "join": "a, b",
        "join_type": "a-b",
        "translate": "a+b",
        "percent": "00042|ab  |1.50",
        "percent_map": "1",
        "fstring": "['a', 'b']!'a,b'",
        "str": "['a', 'b']",
        "map_str": ["1", "2"],
        "filter": [1, 2],
        "sum": 6,
        "sum_lists": [1, 2],
        "is_text": True,
        "items": [["k", "w"], ["v"]],
        "counts": {"n": 3},
        "mod": 2,
        "sorted": ["a", "b"],
    }


def test_a_guard_refuses_before_building(monkeypatch):
    source = """
@tool(kind="read", operation="compute")
def probe(db):
    s = "x" * 40000
    return s.replace("x", s)
"""
    function = run_tool_code(source)["probe"][0]
    saved = arm(5.0, 64, 1_000_000)
    started = time.perf_counter()
    try:
        with pytest.raises(BudgetExceeded, match="1600000000 items"):
            function(None)
    finally:
        disarm(saved)
    assert time.perf_counter() - started < 0.5, "refused from the sizes, nothing was built"


def test_worker_database_requests_keep_domain_errors(shop, tmp_path):
    body = (
        "    try:\n"
        "        db.get('orders', 'ORD-999999')\n"
        "    except NotFound as missing:\n"
        "        seen = str(missing)\n"
        "    order = db.get('orders', order_id)\n"
        "    return {'seen': seen, 'order': order['order_id']}\n"
    )
    world = _edited(shop, body, tmp_path / "w")
    env = world.make_env()
    existing = env.db.find("orders", limit=1)[0]["order_id"]
    result = env.call("get_order", order_id=existing)
    assert result.ok, result.content
    assert result.observation == {"seen": "order ORD-999999 not found", "order": existing}
    missing = env.call("get_order", order_id="ORD-999998")
    assert missing.error_type == "not_found"
    assert "ORD-999998" in missing.observation["error"]["message"]


def test_worker_writes_land_in_the_episode_database_and_roll_back_on_errors(shop, tmp_path):
    body = (
        "    db.update('orders', order_id, {'shipping_address': shipping_address})\n"
        "    if shipping_address == 'refuse':\n"
        "        raise PreconditionFailed('refused after the write')\n"
        "    return db.get('orders', order_id)\n"
    )
    world = _edited(shop, body, tmp_path / "w", tool="update_shipping_address")
    env = world.make_env()
    order = env.db.find("orders", limit=1)[0]["order_id"]
    before = env.state_hash()
    refused = env.call("update_shipping_address", order_id=order, shipping_address="refuse")
    assert refused.error_type == "precondition_failed"
    assert env.state_hash() == before, "the write before the error was rolled back"
    done = env.call("update_shipping_address", order_id=order, shipping_address="1 New Street")
    assert done.ok and done.observation["shipping_address"] == "1 New Street"
    assert [(c.op, c.column, c.new) for c in done.changes] == [
        ("update", "shipping_address", "1 New Street")
    ]
    assert env.db.get("orders", order)["shipping_address"] == "1 New Street"
    read_only = _edited(shop, "    return db.delete('orders', order_id)\n", tmp_path / "r")
    env = read_only.make_env()
    before = env.state_hash()
    bug = env.call("get_order", order_id=order)
    assert bug.error_type == "world_bug" and "READ tool tried to write" in bug.info["world_bug"]
    assert env.state_hash() == before


def test_a_worker_whose_parent_died_ends_by_its_cpu_limit():
    """A busy worker has no parent left to kill it: RLIMIT_CPU ends it."""
    worker = isolated.ToolWorker()
    source = """
@tool(kind="read", operation="compute")
def spin(db):
    x = [0] * 999999
    return len(sorted([x] * 999999))
"""
    worker.load("k", source, "tools.py", 2_000_000)
    worker._send(
        {
            "op": "call",
            "key": "k",
            "tool": "spin",
            "arguments": {},
            "left_s": 60.0,
            "time_limit_s": 1.0,
            "memory_limit_mb": 64,
            "max_sequence_len": 1_000_000,
        }
    )
    # the parent "dies": its pipes close and nobody enforces the wall clock
    worker._out.close()
    worker._in.close()
    code = worker.process.wait(timeout=120)  # a hang guard, not a timing: SIGXCPU says why
    assert code == -24, f"ended by SIGXCPU, not {code}"
    assert os.path.exists(f"/proc/{worker.process.pid}") is False


@pytest.mark.parametrize("vertical", ["shop", "helpdesk"])
def test_a_whole_world_in_worker_processes_passes_its_conformance_check(
    request, tmp_path, vertical
):
    """Every database call generated code makes is served to a worker, with the same results:
    the conformance check (mechanical and semantic: each rule's error, each effect) passes."""
    from agentscaler.worlds.checks.conformance import check_world
    from agentscaler.worlds.config import WorldConfig

    folder = write_world(request.getfixturevalue(vertical), tmp_path / vertical)
    workers = load_world(folder, WorldConfig(tool_isolation="process"))
    assert all(t.isolated for t in workers.tools.values())
    report = check_world(workers)
    assert report.passed, report.summary()
    inline = check_world(load_world(folder))
    assert [(c.check, c.tool, c.ok) for c in report.checks] == [
        (c.check, c.tool, c.ok) for c in inline.checks
    ]
