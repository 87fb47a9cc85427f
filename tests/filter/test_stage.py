"""The filter stage on a real compiled world: replayed state alignment, exact match, funnel."""

from __future__ import annotations

import json
import random

import pytest

from agentscaler.errors import RunFolderError
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.funnel import read_funnel
from agentscaler.filter.stage import run_filter
from agentscaler.jsonl import read_records, write_records
from agentscaler.records import GoldCall, RejectReason, Task, Verdict
from agentscaler.workspace import Workspace

DOMAIN = "d0001-retail"


@pytest.fixture(scope="module")
def world():
    from agentscaler.catalog import vertical_tools
    from agentscaler.worlds.compiler import compile_world

    return compile_world(DOMAIN, "retail orders", vertical_tools("retail_orders"))


def _execute(
    world, state: bytes, calls: list[tuple[str, dict]]
) -> tuple[tuple[GoldCall, ...], str]:
    env = world.make_env(state=state)
    gold = []
    for name, args in calls:
        result = env.step({"name": name, "arguments": args})
        assert result.ok, result.observation
        gold.append(
            GoldCall(
                name=name, arguments=args, kind=world.binding(name).kind, output=result.observation
            )
        )
    return tuple(gold), env.state_hash()


@pytest.fixture
def run(tmp_path, world):
    """A run folder with the compiled world, its seed state and two tasks:
    ``write`` cancels two pending orders; ``read`` looks one order up."""
    from agentscaler.worlds.compiler import write_world

    ws = Workspace(tmp_path / "run")
    write_world(world, ws.world_dir(DOMAIN))
    state = world.seed_state(11, rows_per_table=80)
    env = world.make_env(state=state)
    initial_hash = env.state_hash()
    ws.states_dir.mkdir(parents=True)
    ws.state_file(initial_hash).write_bytes(state)
    pending = env.random_rows("orders", 2, random.Random(7), where={"status": "pending"})
    assert len(pending) == 2, "the seeded retail world should hold pending orders"
    a, b = (row["order_id"] for row in pending)
    cancel = [
        ("cancel_order", {"order_id": a, "cancellation_reason": "changed_mind"}),
        ("cancel_order", {"order_id": b, "cancellation_reason": "changed_mind"}),
    ]
    write_gold, write_hash = _execute(world, state, cancel)
    read_gold, read_hash = _execute(world, state, [("get_order", {"order_id": a})])
    common = {"domain_id": DOMAIN, "world_id": world.id, "seed": 0, "initial_state": initial_hash}
    tasks = [
        Task(
            id="write",
            gold_calls=write_gold,
            gold_final_state=write_hash,
            read_only=False,
            intent="You want to cancel two orders.",
            **common,
        ),
        Task(
            id="read",
            gold_calls=read_gold,
            gold_final_state=read_hash,
            read_only=True,
            intent="You want to know where your order is.",
            **common,
        ),
    ]
    write_records(ws.tasks, tasks)
    return ws, world, state, (a, b)


def _episode(conversation, world, state, task_id, trial, calls, *, bad_first=None):
    """An episode whose tool results come from really executing ``calls`` on ``state``."""
    env = world.make_env(state=state)
    conv = conversation().user("Hi, I need help with my orders.")
    if bad_first is not None:
        conv.calls(bad_first).result(
            env.step({"name": bad_first[0], "arguments": bad_first[1]}).observation
        )
    for name, args in calls:
        conv.calls((name, args)).result(env.step({"name": name, "arguments": args}).observation)
    conv.say("All done.").user("Thanks ###STOP###")
    ep = conv.episode(task_id=task_id, trial=trial)
    return ep.model_copy(update={"domain_id": DOMAIN, "final_state_hash": env.state_hash()})


def _verdicts(ws) -> dict[str, Verdict]:
    kept = read_records(ws.filtered_dir / "kept.jsonl", Verdict)
    rejected = read_records(ws.filtered_dir / "rejected.jsonl", Verdict)
    return {v.episode_id: v for v in kept + rejected}


def test_filter_verdicts_on_real_world(run, conversation):
    ws, world, state, (a, b) = run
    cancel_a = ("cancel_order", {"order_id": a, "cancellation_reason": "changed_mind"})
    cancel_b = ("cancel_order", {"order_id": b, "cancellation_reason": "changed_mind"})
    episodes = [
        _episode(conversation, world, state, "write", 0, [cancel_a, cancel_b]),
        # a different valid order of the writes reaches the same gold state: kept
        _episode(conversation, world, state, "write", 1, [cancel_b, cancel_a]),
        # an intermediate tool error, then success: kept and flagged as recovered
        _episode(
            conversation,
            world,
            state,
            "write",
            2,
            [cancel_a, cancel_b],
            bad_first=("get_order", {"order_id": "ORD-000000"}),
        ),
        # only one of the two writes: state mismatch, with the diff
        _episode(conversation, world, state, "write", 3, [cancel_a]),
        # read-only task, exact calls: kept
        _episode(conversation, world, state, "read", 0, [("get_order", {"order_id": a})]),
        # read-only task, one wrong argument: state still aligned, but dropped by exact match
        _episode(conversation, world, state, "read", 1, [("get_order", {"order_id": b})]),
    ]
    write_records(ws.episodes_dir / "shard-0000.jsonl", episodes)

    result = run_filter(ws.root)
    verdicts = _verdicts(ws)
    assert verdicts["write#0"].kept and verdicts["write#0"].goal_reached
    assert verdicts["write#1"].kept
    recovered = verdicts["write#2"]
    assert recovered.kept and recovered.error_recovered and recovered.tool_errors == 1
    mismatch = verdicts["write#3"]
    assert not mismatch.kept and mismatch.stage == "state"
    assert mismatch.reason is RejectReason.STATE_MISMATCH
    assert not mismatch.goal_reached
    changed = {(c.table, c.key, c.column) for c in mismatch.diff}
    assert ("orders", b, "status") in changed, mismatch.diff
    assert verdicts["read#0"].kept
    wrong = verdicts["read#1"]
    assert not wrong.kept and wrong.stage == "exact" and wrong.reason is RejectReason.CALL_MISMATCH
    assert b in wrong.detail

    funnel = read_funnel(ws.filtered_dir / "funnel.json")
    assert funnel == result.funnel
    assert (funnel.episodes, funnel.kept, funnel.error_recovered) == (6, 4, 1)
    assert [s.rejected for s in funnel.stages] == [0, 1, 1, 0]
    assert ws.stage_done("filter")


def test_recorded_hash_is_not_trusted(run, conversation):
    ws, world, state, (a, _) = run
    ep = _episode(conversation, world, state, "write", 0, [("get_order", {"order_id": a})])
    task = {t.id: t for t in read_records(ws.tasks, Task)}["write"]
    lying = ep.model_copy(update={"final_state_hash": task.gold_final_state})
    write_records(ws.episodes_dir / "shard-0000.jsonl", [lying])
    run_filter(ws.root)
    verdict = _verdicts(ws)["write#0"]
    assert not verdict.kept and verdict.reason is RejectReason.STATE_MISMATCH


def test_validity_reject_still_reports_goal(run, conversation):
    """An episode rejected for training (n-gram loop) that reached the goal counts as a success
    for evaluation."""
    ws, world, state, (a, _) = run
    ep = _episode(conversation, world, state, "read", 0, [("get_order", {"order_id": a})])
    loop = ep.messages[-2].model_copy(update={"reasoning_content": "Let me check again. " * 20})
    ep = ep.model_copy(update={"messages": (*ep.messages[:-2], loop, ep.messages[-1])})
    write_records(ws.episodes_dir / "shard-0000.jsonl", [ep])
    run_filter(ws.root)
    verdict = _verdicts(ws)["read#0"]
    assert verdict.reason is RejectReason.NGRAM_REPETITION and verdict.goal_reached


def test_unknown_task_and_missing_episodes_are_clear_errors(run, conversation):
    ws, world, state, (a, _) = run
    with pytest.raises(RunFolderError, match="simulate"):
        run_filter(ws.root)
    ep = _episode(conversation, world, state, "nope", 0, [("get_order", {"order_id": a})])
    write_records(ws.episodes_dir / "shard-0000.jsonl", [ep])
    result = run_filter(ws.root)  # the shard of the episode's domain fails, reported
    (failure,) = result.shard_failures
    assert failure.records == (ep.domain_id,)
    assert failure.error.startswith("RunFolderError") and "'nope'" in failure.error
    assert not (ws.filtered_dir / "kept.jsonl").exists()


def test_config_options_change_verdicts(run, conversation):
    ws, world, state, (a, _) = run
    eps = [
        _episode(
            conversation,
            world,
            state,
            "read",
            0,
            [("get_order", {"order_id": a})],
            bad_first=("get_order", {"order_id": "ORD-000000"}),
        )
    ]
    write_records(ws.episodes_dir / "shard-0000.jsonl", eps)
    run_filter(ws.root)
    assert _verdicts(ws)["read#0"].kept
    run_filter(ws.root, FilterConfig(exact_include_failed_calls=True))
    assert _verdicts(ws)["read#0"].reason is RejectReason.CALL_MISMATCH
    marker = json.loads(ws.marker_path("filter").read_text())
    assert marker["summary"] == {"episodes": 1, "kept": 0}


def test_replies_that_miss_a_communicated_fact_are_rejected_and_reported(run, conversation):
    from agentscaler.evaluate.readers import read_run_folder
    from agentscaler.evaluate.summary import build_summary
    from agentscaler.records import CommunicatedFact

    ws, world, state, (a, _) = run
    [read_task] = [t for t in read_records(ws.tasks, Task) if t.id == "read"]
    status = read_task.gold_calls[0].output["status"]
    told = read_task.model_copy(
        update={
            "communicate": (CommunicatedFact(name="status", value=status, call=0, path="status"),)
        }
    )
    write_records(ws.tasks, [told])

    def episode(trial: int, reply: str):
        env = world.make_env(state=state)
        args = {"order_id": a}
        conv = conversation().user("Where is my order?").call("get_order", **args)
        conv.result(env.step({"name": "get_order", "arguments": args}).observation)
        conv.say(reply).user("Thanks ###STOP###")
        ep = conv.episode(task_id="read", trial=trial)
        return ep.model_copy(update={"domain_id": DOMAIN, "final_state_hash": env.state_hash()})

    write_records(
        ws.episodes_dir / "shard-0000.jsonl",
        [
            episode(0, f"Your order is {status.replace('_', ' ').upper()}."),
            episode(1, "I found your order."),
        ],
    )
    result = run_filter(ws.root)
    verdicts = _verdicts(ws)
    said, silent = verdicts["read#0"], verdicts["read#1"]
    assert said.kept and said.facts_said
    assert not silent.kept and silent.stage == "facts"
    assert silent.reason is RejectReason.MISSING_FACT and silent.missing_facts == ("status",)
    assert silent.goal_reached and status in silent.detail
    assert [s.rejected for s in result.funnel.stages] == [0, 0, 0, 1]

    # evaluation counts success only when both hold, and reports each part
    summary = build_summary(read_run_folder(ws.root))
    assert (summary.success.successes, summary.success.total) == (1, 2)
    assert (summary.state_success.successes, summary.state_success.total) == (2, 2)
    assert (summary.facts_success.successes, summary.facts_success.total) == (1, 2)

    # the check can be left to evaluation alone
    run_filter(ws.root, FilterConfig(require_facts=False))
    silent = _verdicts(ws)["read#1"]
    assert silent.kept and not silent.facts_said
