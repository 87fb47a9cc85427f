"""The oracle agent: an offline agent that follows the task's gold plan.

Its next message is a pure function of (task, conversation), so the same code plays the agent in
an episode and inside the stub server (:mod:`agentscaler.simulate.stub_brain`):

1. It finds how far the plan got: gold calls made with the gold arguments and answered by a tool
   result, in order (a call whose arguments came back broken, e.g. from a fault, is made again).
2. Before the next calls it asks the user, once, for the facts those calls need that the user has
   not written yet (an id, an email ...).
3. It makes the next calls: consecutive reads that do not depend on each other go out together
   as parallel tool calls.
4. When the plan is done it tells the user what it did (with what the tools answered).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.llm.messages import message_from_openai
from agentscaler.records import GoldCall, PolicyInfo, Task, UserFact
from agentscaler.simulate.policies.base import EpisodeContext, PolicyReply
from agentscaler.simulate.policies.facts import (
    disclosed,
    fact_phrase,
    facts_asked,
    facts_for_calls,
    join_phrases,
)

DONE_OPENING = "All done."
"""First words of the oracle's closing message."""
MAX_SUMMARY_FIELDS = 4
"""Fields of a tool result the closing message repeats."""


@dataclass(frozen=True)
class _Step:
    """The calls the oracle makes in one message when ``start`` gold calls are done."""

    start: int
    end: int
    facts: tuple[UserFact, ...]


class OraclePlan:
    """The gold calls of a task grouped into messages, with the facts each group needs."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.calls = task.gold_calls
        self.argument_keys = tuple(canonical_json(c.arguments) for c in self.calls)
        self._steps: dict[int, _Step] = {}

    def step(self, start: int) -> _Step:
        """The group of calls beginning at gold call ``start``."""
        cached = self._steps.get(start)
        if cached is not None:
            return cached
        end = start + 1
        while end < len(self.calls) and _joins(self.calls[start:end], self.calls[end], start):
            end += 1
        facts = facts_for_calls(self.task.user_facts, self.calls[start:end], self.calls[:start])
        step = _Step(start, end, tuple(facts))
        self._steps[start] = step
        return step


def _joins(group: Sequence[GoldCall], call: GoldCall, offset: int) -> bool:
    """True when ``call`` can run in parallel with ``group`` (all reads, no data flow)."""
    if call.kind != "read" or any(c.kind != "read" for c in group):
        return False
    steps = range(offset, offset + len(group))
    if any(s.kind == "output" and s.step in steps for s in call.sources.values()):
        return False
    produced = {canonical_json(v) for c in group for v in _leaves(c.output)}
    return not any(canonical_json(v) in produced for v in _leaves(call.arguments))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None else [value]


_PLANS: OrderedDict[str, OraclePlan] = OrderedDict()
_PLAN_CACHE_SIZE = 4096


def plan_of(task: Task) -> OraclePlan:
    """The (cached) plan of ``task``."""
    plan = _PLANS.get(task.id)
    if plan is None or plan.task is not task:
        plan = OraclePlan(task)
        _PLANS[task.id] = plan
        if len(_PLANS) > _PLAN_CACHE_SIZE:
            _PLANS.popitem(last=False)
    return plan


def _parsed_key(arguments: str) -> str | None:
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except (json.JSONDecodeError, RecursionError):
        return None
    return canonical_json(value) if isinstance(value, dict) else None


def progress(plan: OraclePlan, messages: Sequence[Mapping[str, Any]]) -> tuple[int, int, list]:
    """``(gold calls done, calls made so far, [(gold call, tool result text)])``."""
    results = {
        m.get("tool_call_id"): m.get("content") or "" for m in messages if m.get("role") == "tool"
    }
    done = 0
    made = 0
    answered: list[tuple[GoldCall, str]] = []
    calls = plan.calls
    for message in messages:
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or ():
            made += 1
            if done >= len(calls) or call.get("id") not in results:
                continue
            function = call.get("function") or {}
            if function.get("name") != calls[done].name:
                continue
            if _parsed_key(function.get("arguments") or "") != plan.argument_keys[done]:
                continue
            answered.append((calls[done], results[call["id"]]))
            done += 1
    return done, made, answered


def oracle_reply(task: Task, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The oracle's next assistant message (OpenAI dict) given the conversation so far."""
    plan = plan_of(task)
    done, made, answered = progress(plan, messages)
    if done >= len(plan.calls):
        return {"role": "assistant", "content": closing_message(answered)}
    step = plan.step(done)
    if step.facts:
        user_texts = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        asked: set[str] = set()
        for m in messages:
            if m.get("role") == "assistant" and m.get("content"):
                asked.update(f.name for f in facts_asked(step.facts, m["content"]))
        missing = [f for f in step.facts if f.name not in asked and not disclosed(f, user_texts)]
        if missing:
            return {"role": "assistant", "content": question(missing)}
    tool_calls = [
        {
            "id": f"call_{made + i}",
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": json.dumps(call.arguments, ensure_ascii=False),
            },
        }
        for i, call in enumerate(plan.calls[step.start : step.end])
    ]
    return {"role": "assistant", "content": None, "tool_calls": tool_calls}


def question(facts: Sequence[UserFact]) -> str:
    """The oracle's request for facts (names the facts by their words)."""
    phrases = [fact_phrase(f) for f in facts]
    return f"I can help with that. Could you please tell me your {join_phrases(phrases)}?"


def closing_message(answered: Sequence[tuple[GoldCall, str]]) -> str:
    """What the oracle says when the plan is done: one short line per call, from what the tool
    answered (a few identifying fields, not the whole result)."""
    if not answered:
        return f"{DONE_OPENING} There was nothing to change."
    lines = [f"{DONE_OPENING} Here is what I did:"]
    for call, result in answered:
        line = f"- {call.name}: {summarize_result(result, done=call.kind == 'write')}"
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


_PREFERRED = ("status", "name", "title", "full_name", "total", "amount", "count")


def summarize_result(result: str, *, done: bool = False) -> str:
    """A short phrase for a tool result (JSON text): its ids and a few telling fields."""
    try:
        value = json.loads(result)
    except (json.JSONDecodeError, RecursionError):
        return _clip(result)
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        error = value["error"]
        return f"failed ({error.get('type', 'error')}: {_clip(str(error.get('message', '')))})"
    prefix = "done" if done else ""
    if isinstance(value, list):
        return _join(prefix, f"results: {len(value)}")
    if not isinstance(value, dict):
        return _join(prefix, _clip(json.dumps(value, ensure_ascii=False)))
    lists = [(k, v) for k, v in value.items() if isinstance(v, list)]
    if lists and all(not isinstance(v, dict | list) for k, v in value.items() if k != lists[0][0]):
        key, items = lists[0]
        return _join(prefix, f"{key.replace('_', ' ')}: {len(items)}")
    scalars = [(k, v) for k, v in value.items() if v is not None and not isinstance(v, dict | list)]
    ids = [kv for kv in scalars if kv[0] == "id" or kv[0].endswith("_id")][:1]
    rest = sorted(
        (kv for kv in scalars if kv[0] in _PREFERRED),
        key=lambda kv: _PREFERRED.index(kv[0]),
    )
    fields = (ids + rest)[:MAX_SUMMARY_FIELDS] or scalars[:MAX_SUMMARY_FIELDS]
    text = ", ".join(f"{k.replace('_', ' ')} {_clip(str(v))}" for k, v in fields)
    return _join(prefix, text) or "ok"


def _join(prefix: str, text: str) -> str:
    return f"{prefix} ({text})" if prefix and text else prefix or text


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class OracleAgent:
    """Plays :func:`oracle_reply` as an episode's agent (offline, labelled ``oracle_agent``)."""

    info = PolicyInfo(kind="oracle_agent", offline=True)

    async def act(self, context: EpisodeContext) -> PolicyReply:
        reply = oracle_reply(context.task, context.conversation.wire)
        return PolicyReply(message_from_openai(reply))
