"""Fixtures of the evaluation tests: a realistic run folder built from records, and Chromium."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentscaler.jsonl import write_records
from agentscaler.records import (
    Domain,
    DomainMember,
    DomainStats,
    Episode,
    GoldCall,
    Message,
    PolicyInfo,
    RejectReason,
    StateChange,
    Task,
    Termination,
    ToolCall,
    ToolCallFunction,
    Usage,
    Verdict,
)
from agentscaler.workspace import Workspace

XSS_TEXT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
NEEDLE = "zanzibar"

# Outcome letters per trial:
#   S success, kept             R success after a tool error, kept
#   N success, rejected for n-gram repetition (validity), goal still reached
#   F failure, state mismatch   E failure with a tool error, state mismatch
#   C failure, read-only call mismatch   I infrastructure failure (LLM timeout)
SUCCESS = {"S": True, "R": True, "N": True, "F": False, "E": False, "C": False, "I": False}

DOMAINS = {
    "d0001-orders": "order refund",
    "d0002-flights": "flight booking",
    "d0003-library": "library loans",
}

# task id -> (domain, gold call names, read-only, outcomes per trial)
TASKS: dict[str, tuple[str, tuple[str, ...], bool, str]] = {
    "o1": ("d0001-orders", ("get_order",), True, "SSCS"),
    "o2": ("d0001-orders", ("get_order", "cancel_order", "refund_payment"), False, "RSFI"),
    "o3": ("d0001-orders", ("get_order", "update_address"), False, "FFFF"),
    "f1": ("d0002-flights", ("search_flights",), True, "SSSS"),
    "f2": (
        "d0002-flights",
        ("get_user", "search_flights", "book_flight", "pay_booking"),
        False,
        "SERF",
    ),
    "f3": (
        "d0002-flights",
        ("get_user", "search_flights", "book_flight", "add_bag", "pay_booking"),
        False,
        "SI",
    ),
    "l1": ("d0003-library", ("find_book", "get_loans"), True, "CSSN"),
    "l2": ("d0003-library", ("find_member", "find_book", "create_loan"), False, "ISRS"),
}


@dataclass(frozen=True)
class Planned:
    """What the fixture put into one episode (tests compute expected metrics from these)."""

    task_id: str
    trial: int
    domain_id: str
    letter: str
    n_gold: int
    read_only: bool
    episode_id: str
    tokens: int

    @property
    def infra(self) -> bool:
        return self.letter == "I"

    @property
    def success(self) -> bool:
        return SUCCESS[self.letter]

    @property
    def tool_errors(self) -> int:
        return 1 if self.letter in "RE" else 0


@dataclass
class RunFixture:
    root: Path
    plan: list[Planned] = field(default_factory=list)
    domains: dict[str, str] = field(default_factory=lambda: dict(DOMAINS))
    xss: str = XSS_TEXT
    """Text planted in the user message of episode ep-o2-0."""
    needle: str = NEEDLE
    """A word that occurs in episode ep-l2-3 only."""

    def episode(self, task_id: str, trial: int) -> Planned:
        return next(p for p in self.plan if p.task_id == task_id and p.trial == trial)


def _call(i: int, name: str, args: dict) -> ToolCall:
    return ToolCall(
        id=f"call_{i}", function=ToolCallFunction(name=name, arguments=json.dumps(args))
    )


def _messages(
    task_id: str, trial: int, gold: tuple[str, ...], letter: str, intent: str
) -> tuple[Message, ...]:
    user_text = f"Hi, I need help. {intent}"
    if (task_id, trial) == ("o2", 0):
        user_text += f" My note: {XSS_TEXT}"
    msgs = [
        Message(role="system", content="You are a careful support agent. Use the tools."),
        Message(role="user", content=user_text),
    ]
    for i, name in enumerate(gold):
        args = {
            "id": f"{task_id.upper()}-{trial}-{i}",
            "options": {"notify": True, "tags": ["a", "b"]},
        }
        msgs.append(Message(role="assistant", tool_calls=(_call(i, name, args),)))
        if letter in "RE" and i == 0:
            msgs.append(
                Message(
                    role="tool",
                    tool_call_id=f"call_{i}",
                    name=name,
                    content=json.dumps(
                        {"error": "not_found", "message": f"no record {args['id']}"}
                    ),
                )
            )
            msgs.append(
                Message(role="assistant", tool_calls=(_call(100 + i, name, {"id": f"X-{i}"}),))
            )
            msgs.append(
                Message(
                    role="tool",
                    tool_call_id=f"call_{100 + i}",
                    name=name,
                    content=json.dumps({"ok": True, "id": f"X-{i}"}),
                )
            )
        else:
            msgs.append(
                Message(
                    role="tool",
                    tool_call_id=f"call_{i}",
                    name=name,
                    content=json.dumps({"ok": True, "id": args["id"], "status": "done"}),
                )
            )
    closing = "All done, your request is complete."
    if (task_id, trial) == ("l2", 3):
        closing += f" Your loan ships to {NEEDLE.capitalize()}."
    msgs.append(
        Message(role="assistant", content=closing, reasoning_content="The user wanted this.")
    )
    msgs.append(Message(role="user", content="Thanks! ###STOP###"))
    return tuple(msgs)


def build_run_folder(root: Path, *, with_funnel_file: bool = False) -> RunFixture:
    """Write a run folder with tasks, domains, two episode shards and the filter's verdicts."""
    ws = Workspace(root)
    fixture = RunFixture(root=root)
    domains = [
        Domain(
            id=d,
            name=name,
            members=tuple(
                DomainMember(
                    tool_id=f"t-{n}",
                    name=n,
                    kind="read" if n.startswith(("get", "find", "search")) else "write",
                )
                for n in sorted({c for t in TASKS.values() if t[0] == d for c in t[1]})
            ),
            stats=DomainStats(
                size=3,
                reads=2,
                writes=1,
                internal_similarity_edges=3,
                dependency_edges=2,
                mean_similarity=0.7,
            ),
        )
        for d, name in DOMAINS.items()
    ]
    tasks, episodes, kept, rejected = [], [], [], []
    for n, (task_id, (domain, gold, read_only, letters)) in enumerate(TASKS.items()):
        intent = f"You want to finish task {task_id} in {DOMAINS[domain]}."
        tasks.append(
            Task(
                id=task_id,
                domain_id=domain,
                world_id=f"w-{domain}",
                seed=n,
                initial_state=f"s{n}",
                gold_calls=tuple(
                    GoldCall(name=c, arguments={"id": 1}, kind="read" if read_only else "write")
                    for c in gold
                ),
                gold_final_state=f"g{n}",
                read_only=read_only,
                intent=intent,
            )
        )
        for trial, letter in enumerate(letters):
            episode_id = f"ep-{task_id}-{trial}"
            messages = _messages(task_id, trial, gold, letter, intent)
            calls = sum(len(m.tool_calls or ()) for m in messages)
            infra = letter == "I"
            tokens = 0 if infra else 1000 + 100 * n + 10 * trial
            plan = Planned(task_id, trial, domain, letter, len(gold), read_only, episode_id, tokens)
            fixture.plan.append(plan)
            episodes.append(
                Episode(
                    id=episode_id,
                    task_id=task_id,
                    trial=trial,
                    domain_id=domain,
                    agent=PolicyInfo(kind="llm", model="test-model"),
                    user=PolicyInfo(kind="scripted_user", offline=True),
                    messages=messages[:2] if infra else messages,
                    termination=Termination.LLM_TIMEOUT if infra else Termination.USER_STOP,
                    tool_calls=0 if infra else calls,
                    tool_errors=plan.tool_errors,
                    usage=Usage(
                        requests=0 if infra else 5,
                        prompt_tokens=tokens - 200 if tokens else 0,
                        completion_tokens=200 if tokens else 0,
                    ),
                    error="timed out after 60 s waiting for the agent model" if infra else None,
                )
            )
            if infra and (task_id, trial) == ("f3", 1):
                continue  # an infrastructure failure the filter never judged
            verdict = _verdict(plan, domain)
            (kept if verdict.kept else rejected).append(verdict)
    write_records(ws.domains, domains)
    write_records(ws.tasks, tasks)
    half = len(episodes) // 2
    write_records(ws.episodes_dir / "shard-000.jsonl", episodes[:half])
    write_records(ws.episodes_dir / "shard-001.jsonl", episodes[half:])
    write_records(ws.filtered_dir / "kept.jsonl", kept)
    write_records(ws.filtered_dir / "rejected.jsonl", rejected)
    if with_funnel_file:
        from agentscaler.filter.funnel import funnel_from_verdicts

        funnel = funnel_from_verdicts([*kept, *rejected])
        (ws.filtered_dir / "funnel.json").write_text(json.dumps(funnel.to_json_dict()))
    return fixture


def _verdict(plan: Planned, domain: str) -> Verdict:
    base = {
        "episode_id": plan.episode_id,
        "task_id": plan.task_id,
        "domain_id": domain,
        "tool_errors": plan.tool_errors,
    }
    letter = plan.letter
    if letter in "SR":
        return Verdict(**base, kept=True, goal_reached=True, error_recovered=letter == "R")
    if letter == "N":
        return Verdict(
            **base,
            kept=False,
            stage="validity",
            reason=RejectReason.NGRAM_REPETITION,
            goal_reached=True,
            detail="assistant message 3 repeats 61% of its 4-grams",
        )
    if letter == "I":
        return Verdict(
            **base,
            kept=False,
            stage="validity",
            reason=RejectReason.INFRASTRUCTURE,
            detail="llm_timeout",
        )
    if letter == "C":
        return Verdict(
            **base,
            kept=False,
            stage="exact",
            reason=RejectReason.CALL_MISMATCH,
            detail="call 1: expected get_loans, got find_book",
        )
    return Verdict(
        **base,
        kept=False,
        stage="state",
        reason=RejectReason.STATE_MISMATCH,
        detail="final state differs from the gold state in 2 cells",
        diff=(
            StateChange(
                op="update",
                table="orders",
                key="ORD-1",
                column="status",
                old="paid",
                new="cancelled",
            ),
            StateChange(
                op="insert", table="refunds", key=7, new={"amount": 12.5, "note": "<b>x</b>"}
            ),
        ),
    )


@pytest.fixture
def run_folder(tmp_path: Path) -> RunFixture:
    return build_run_folder(tmp_path / "run")


@pytest.fixture
def run_folder_with_funnel(tmp_path: Path) -> RunFixture:
    return build_run_folder(tmp_path / "run", with_funnel_file=True)


@pytest.fixture
def make_run_folder():
    """The builder itself: ``make_run_folder(path, with_funnel_file=False)`` -> RunFixture."""
    return build_run_folder


# --- headless Chromium -------------------------------------------------------------------------------
