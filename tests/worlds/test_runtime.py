"""The Gymnasium-shaped runtime: steps, typed errors, isolation, snapshots and diffs."""

from __future__ import annotations

import json
import random

import pytest

from agentscaler.errors import WorldBugError
from agentscaler.records import ToolCall, ToolCallFunction
from agentscaler.worlds.runtime.env import StepResult, WorldEnv


def _row(env, table, **where):
    rows = env.random_rows(table, 1, random.Random(0), where=where or None)
    assert rows, f"no {table} row matching {where}"
    return rows[0]


def test_step_accepts_openai_calls_dicts_records_and_pairs(shop):
    env = shop.make_env()
    order = _row(env, "orders")
    calls = [
        {
            "type": "function",
            "id": "c1",
            "function": {
                "name": "get_order",
                "arguments": json.dumps({"order_id": order["order_id"]}),
            },
        },
        {"name": "get_order", "arguments": {"order_id": order["order_id"]}},
        ToolCall(
            id="c2",
            function=ToolCallFunction(
                name="get_order", arguments=json.dumps({"order_id": order["order_id"]})
            ),
        ),
        ("get_order", {"order_id": order["order_id"]}),
    ]
    for call in calls:
        result = env.step(call)
        assert isinstance(result, StepResult) and result.ok
        assert result.observation["order_id"] == order["order_id"]
        assert result.observation["status"] == order["status"]
        assert json.loads(result.content) == result.observation
    _, reward, terminated, truncated, info = env.step(calls[0])
    assert (reward, terminated, truncated, info["kind"]) == (0.0, False, False, "read")


def test_transition_changes_status_and_respects_preconditions(shop):
    env = shop.make_env()
    open_order = _row(env, "orders", status=["pending", "processing"])
    result = env.call("cancel_order", order_id=open_order["order_id"], reason="changed mind")
    assert result.ok, result.observation
    assert result.observation["status"] == "cancelled" and result.observation["success"] is True
    columns = {(c.column, c.new) for c in result.changes}
    assert ("status", "cancelled") in columns and ("reason", "changed mind") in columns
    before = env.state_hash()
    again = env.call("cancel_order", order_id=open_order["order_id"])
    assert again.error_type == "precondition_failed"
    assert open_order["order_id"] in again.observation["error"]["message"]
    assert "cancelled" in again.observation["error"]["message"]
    assert env.state_hash() == before


def test_create_generates_the_next_id_in_format_and_checks_references(shop):
    env = shop.make_env()
    customer = _row(env, "customers")
    top = max(r["order_id"] for r in env.db.find("orders", limit=100))
    items = [{"product_id": "P1", "quantity": 2}]
    result = env.call(
        "create_order",
        customer_id=customer["customer_id"],
        items=items,
        shipping_address="1 Main St",
    )
    assert result.ok, result.observation
    new_id = result.observation["order_id"]
    assert new_id == f"ORD-{int(top[4:]) + 1:06d}"
    assert result.observation["status"] == "pending"
    stored = env.call("get_order", order_id=new_id).observation
    assert stored["items"] == items and stored["customer_id"] == customer["customer_id"]
    before = env.state_hash()
    missing = env.call("create_order", customer_id="CUS-999999", items=items, shipping_address="x")
    assert missing.error_type == "not_found"
    assert "customer CUS-999999 not found" in missing.observation["error"]["message"]
    assert env.state_hash() == before


def test_bad_calls_return_typed_errors_and_leave_the_state(shop):
    env = shop.make_env()
    before = env.state_hash()
    cases = {
        "unknown_tool": {"name": "get_ordr", "arguments": {}},
        "invalid_argument": {"name": "get_order", "arguments": "{not json"},
    }
    for expected, call in cases.items():
        assert env.step(call).error_type == expected
    messages = {
        "missing": env.call("get_order").observation["error"]["message"],
        "extra": env.call("get_order", order_id="ORD-000001", color="red").observation["error"][
            "message"
        ],
        "type": env.call("search_orders", customer_id="CUS-000001", limit="ten").observation[
            "error"
        ]["message"],
        "enum": env.call("search_orders", customer_id="CUS-000001", status="lost").observation[
            "error"
        ]["message"],
    }
    assert "missing required argument 'order_id'" in messages["missing"]
    assert "unexpected argument 'color'" in messages["extra"]
    assert "'limit' must be an integer" in messages["type"]
    assert "'status' must be one of" in messages["enum"]
    assert (
        "did you mean 'get_order'"
        in env.step(cases["unknown_tool"]).observation["error"]["message"]
    )
    not_found = env.call("get_order", order_id="ORD-999999")
    assert not_found.observation == {
        "error": {"type": "not_found", "message": "order ORD-999999 not found"}
    }
    assert env.state_hash() == before


def test_envs_are_isolated_and_reset_is_deterministic(shop):
    a, b = shop.make_env(), shop.make_env()
    assert a.state_hash() == b.state_hash()
    order = _row(a, "orders", status=["pending", "processing"])
    assert a.call("cancel_order", order_id=order["order_id"]).ok
    assert a.state_hash() != b.state_hash()
    assert b.call("get_order", order_id=order["order_id"]).observation["status"] == order["status"]
    first = a.reset(seed=7)[0]["state_hash"]
    assert a.reset(seed=7)[0]["state_hash"] == first
    assert a.reset(seed=8)[0]["state_hash"] != first
    assert a.reset()[0]["state_hash"] == b.reset()[0]["state_hash"]


def test_snapshot_restore_and_diff(shop, tmp_path):
    env = shop.make_env()
    snap = env.snapshot()
    start = env.state_hash()
    order = _row(env, "orders", status=["pending", "processing"])
    env.call("cancel_order", order_id=order["order_id"])
    changes = env.diff(snap)
    assert [
        (c.op, c.table, c.key, c.column, c.old, c.new) for c in changes if c.column == "status"
    ] == [("update", "orders", order["order_id"], "status", order["status"], "cancelled")]
    assert str(changes[0]).startswith("orders[")
    env.save_state(tmp_path / "after.sqlite")
    env.restore(snap)
    assert env.state_hash() == start and env.diff(snap) == []
    other = WorldEnv(shop)
    other.reset(options={"state": tmp_path / "after.sqlite"})
    assert {c.column for c in other.diff(env)} >= {"status"}


def test_goal_state_reward_and_max_steps(shop):
    env = shop.make_env()
    order = _row(env, "orders", status=["pending", "processing"])
    probe = shop.make_env()
    probe.call("cancel_order", order_id=order["order_id"])
    goal = probe.state_hash()
    env.reset(options={"goal_state_hash": goal, "max_steps": 2})
    first = env.call("get_order", order_id=order["order_id"])
    assert first.reward == 0.0 and not first.truncated
    second = env.call("cancel_order", order_id=order["order_id"])
    assert second.reward == 1.0 and second.info["goal_reached"] and second.truncated


def _edited_world(world, tmp_path, replace):
    from agentscaler.worlds.compiler import write_world
    from agentscaler.worlds.runtime.loader import load_world

    folder = write_world(world, tmp_path / "w")
    source = (folder / "tools.py").read_text()
    old, new = replace
    assert old in source
    (folder / "tools.py").write_text(source.replace(old, new, 1))
    return load_world(folder)


def test_world_bugs_are_recorded_never_shown(shop, tmp_path):
    broken = _edited_world(
        shop,
        tmp_path,
        (
            '    order = db.get("orders", order_id)\n',
            '    order = db.get("orders", order_id)\n    order = 1 / 0\n',
        ),
    )
    env = broken.make_env()
    before = env.state_hash()
    order = _row(env, "orders", status=["pending", "processing"])
    result = env.call("get_order", order_id=order["order_id"])
    assert result.error_type == "world_bug" and result.truncated
    assert result.observation == {
        "error": {"type": "internal_error", "message": result.observation["error"]["message"]}
    }
    assert "ZeroDivisionError" in result.info["world_bug"] and "ZeroDivision" not in result.content
    assert env.world_bugs and env.state_hash() == before
    strict = broken.make_env()
    strict.config = strict.config.model_copy(update={"raise_world_bugs": True})
    with pytest.raises(WorldBugError, match="ZeroDivisionError"):
        strict.call("get_order", order_id=order["order_id"])


def test_a_failed_write_rolls_back_partial_changes(shop, tmp_path):
    broken = _edited_world(
        shop,
        tmp_path,
        (
            '    order = db.update("orders", order["order_id"], {"status": "cancelled", "reason": reason})\n',
            '    order = db.update("orders", order["order_id"], {"status": "cancelled", "reason": reason})\n'
            '    raise PreconditionFailed("changed my mind")\n',
        ),
    )
    env = broken.make_env()
    before = env.state_hash()
    order = _row(env, "orders", status=["pending", "processing"])
    result = env.call("cancel_order", order_id=order["order_id"])
    assert result.error_type == "precondition_failed" and result.changes == ()
    assert result.observation["error"]["message"] == "changed my mind"
    assert env.state_hash() == before


def test_a_read_tool_that_writes_is_a_world_bug(shop, tmp_path):
    broken = _edited_world(
        shop,
        tmp_path,
        (
            '    order = db.get("orders", order_id)\n',
            '    order = db.update("orders", order_id, {"status": "lost"})\n',
        ),
    )
    env = broken.make_env()
    before = env.state_hash()
    order = _row(env, "orders")
    result = env.call("get_order", order_id=order["order_id"])
    assert (
        result.error_type == "world_bug" and "READ tool tried to write" in result.info["world_bug"]
    )
    assert env.state_hash() == before
