"""The oracle agent: an offline agent that follows the task's gold plan as a careful agent would.

Its next message is a pure function of (task, conversation), so the same code plays the agent in
an episode and inside the stub server (:mod:`agentscaler.simulate.stub_brain`). It works goal by
goal, taking up a goal once the user has asked for it:

1. It finds how far the plan got: gold calls made with the gold arguments and answered by a tool
   result, in order (a call whose arguments came back broken, e.g. from a fault, is made again).
2. Before the next calls it asks the user, once, for what those calls need that the user has not
   said: who they are (to identify them before acting on their account) or a detail of their
   request.
3. It makes the next calls: consecutive reads that do not depend on each other go out together
   as parallel tool calls; a write goes out alone, only after it proposed the write in words and
   the user said yes (where the user changes their mind, it first proposes what the user asked
   at first).
4. When a goal's calls are done it reports the goal's results from what the tools actually
   returned (the values the task says the user must be told), or for a request the rules forbid,
   explains why it cannot be done; then it asks whether there is anything else.

Its wording comes from a phrase grammar (:mod:`.phrases`) drawn per task, so conversations do not
all sound alike.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.llm.messages import message_from_openai
from agentscaler.naming import preposition_of, with_article
from agentscaler.records import GoldCall, PolicyInfo, Task, TaskGoal, UserFact
from agentscaler.simulate.policies.base import EpisodeContext, PolicyReply
from agentscaler.simulate.policies.facts import (
    disclosed,
    fact_phrase,
    facts_asked,
    facts_for_calls,
    join_phrases,
    value_text,
)
from agentscaler.simulate.policies.phrases import (
    ANYTHING_ELSE,
    DETAIL_FRAMES,
    FACT_FRAMES,
    GOODBYES,
    HOLD_FRAMES,
    IDENTIFY_FRAMES,
    INFO_FACT_FRAMES,
    INFO_OPENERS,
    REFUSE_FRAMES,
    REPORT_OPENERS,
    fill,
    past,
    pick,
    sentence,
    words,
)
from agentscaler.simulate.policies.script import (
    describe_call,
    goals_of,
    proposal,
    push_back,
    user_texts,
    value_at,
)

MAX_SUMMARY_FIELDS = 4
"""Fields of a tool result a report repeats when the task names nothing to tell."""
_YES = re.compile(
    r"^\s*(yes|yeah|yep|sure|ok|okay|correct|right|sounds good|perfect|go ahead|please do|"
    r"that's (right|correct)|confirm)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Step:
    """The calls the oracle makes in one message when ``start`` gold calls are done."""

    start: int
    end: int
    facts: tuple[UserFact, ...]


class OraclePlan:
    """The gold calls of a task grouped into messages and goals, with the facts each group
    needs."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.calls = task.gold_calls
        self.goals = goals_of(task)
        self.argument_keys = tuple(canonical_json(c.arguments) for c in self.calls)
        self.goal_of_call: dict[int, int] = {}
        for number, goal in enumerate(self.goals):
            for call in goal.calls:
                self.goal_of_call.setdefault(call, number)
        self._steps: dict[int, _Step] = {}

    def goal_end(self, number: int) -> int:
        """One past the last gold call of goal ``number``."""
        calls = self.goals[number].calls
        return (max(calls) + 1) if calls else 0

    def step(self, start: int) -> _Step:
        """The group of calls beginning at gold call ``start`` (never across goals)."""
        cached = self._steps.get(start)
        if cached is not None:
            return cached
        end = start + 1
        goal = self.goal_of_call.get(start)
        while (
            end < len(self.calls)
            and self.goal_of_call.get(end) == goal
            and _joins(self.calls[start:end], self.calls[end], start)
        ):
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


@dataclass(frozen=True)
class Progress:
    """How far a conversation got through a plan."""

    done: int
    """Gold calls made with the gold arguments and answered, in order."""
    made: int
    """Tool calls made so far (any)."""
    answered: tuple[tuple[GoldCall, str], ...]
    """Each done gold call with its tool result text."""
    positions: tuple[int, ...]
    """Index (in the messages) of each done gold call's tool result."""


def progress(plan: OraclePlan, messages: Sequence[Mapping[str, Any]]) -> tuple[int, int, list]:
    """``(gold calls done, calls made so far, [(gold call, tool result text)])``."""
    found = track(plan, messages)
    return found.done, found.made, list(found.answered)


def track(plan: OraclePlan, messages: Sequence[Mapping[str, Any]]) -> Progress:
    """The :class:`Progress` of ``messages`` through ``plan``."""
    results = {
        m.get("tool_call_id"): (i, m.get("content") or "")
        for i, m in enumerate(messages)
        if m.get("role") == "tool"
    }
    done = 0
    made = 0
    answered: list[tuple[GoldCall, str]] = []
    positions: list[int] = []
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
            position, text = results[call["id"]]
            answered.append((calls[done], text))
            positions.append(position)
            done += 1
    return Progress(done, made, tuple(answered), tuple(positions))


def _texts_after(messages: Sequence[Mapping[str, Any]], role: str, after: int) -> list[str]:
    return [
        m.get("content") or ""
        for m in messages[after + 1 :]
        if m.get("role") == role and (m.get("content") or "").strip() and not m.get("tool_calls")
    ]


def _reply_after(
    messages: Sequence[Mapping[str, Any]], text: str, after: int
) -> tuple[bool, str | None]:
    """Whether the agent said ``text`` after message ``after``, and the user's next message."""
    for index in range(after + 1, len(messages)):
        message = messages[index]
        if message.get("role") == "assistant" and message.get("content") == text:
            following = _texts_after(messages, "user", index)
            return True, following[0] if following else None
    return False, None


def oracle_reply(task: Task, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The oracle's next assistant message (OpenAI dict) given the conversation so far."""
    plan = plan_of(task)
    state = track(plan, messages)
    done = state.done
    # the goal being worked on: the first goal not yet reported
    start = -1  # index of the message after which the current goal began
    for number in range(len(plan.goals)):
        end = plan.goal_end(number)
        if done < end or not state.positions:
            return _work(task, plan, state, messages, number, start)
        finished = state.positions[end - 1]
        reports = _texts_after(messages, "assistant", finished)
        if not reports:
            return _text(report(task, plan, number, state))
        start = _next_text(messages, finished)
        if plan.goals[number].kind == "refusal":
            following = _texts_after(messages, "user", start)
            if following and following[0] == push_back(task, number):
                pressed = next(
                    i for i in range(start + 1, len(messages)) if messages[i].get("role") == "user"
                )
                if not _texts_after(messages, "assistant", pressed):
                    return _text(hold(task, plan.goals[number], number))
                start = _next_text(messages, pressed)
    return _text(pick(GOODBYES, task.id, "goodbye"))


def _next_text(messages: Sequence[Mapping[str, Any]], after: int) -> int:
    """Index of the first assistant text after message ``after``."""
    return next(
        i
        for i in range(after + 1, len(messages))
        if messages[i].get("role") == "assistant"
        and messages[i].get("content")
        and not messages[i].get("tool_calls")
    )


def hold(task: Task, goal: TaskGoal, number: int) -> str:
    """The oracle's answer when the user presses on a refusal: the rule again, no exception."""
    refused = goal.refused
    rule = (refused.error or "").rstrip(".") if refused is not None else ""
    rule = sentence(rule) + "." if rule else "The rules do not allow it."
    text = fill(pick(HOLD_FRAMES, task.id, "hold", number), rule=rule)
    return f"{text} {pick(ANYTHING_ELSE, task.id, 'more-after-hold', number)}"


def _text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def _work(
    task: Task,
    plan: OraclePlan,
    state: Progress,
    messages: Sequence[Mapping[str, Any]],
    number: int,
    start: int,
) -> dict[str, Any]:
    """The next message for goal ``number``, whose turn began after message ``start``."""
    goal = plan.goals[number]
    done = state.done
    if done >= plan.goal_end(number):  # a goal without calls (nothing to look up)
        return _text(report(task, plan, number, state))
    step = plan.step(done)
    first = plan.calls[step.start]
    if first.kind == "write" and goal.withdrawn is not None:
        said, reply = _reply_after(messages, proposal(task, goal.withdrawn, "withdrawn"), start)
        if not said or reply is None:
            return _text(proposal(task, goal.withdrawn, "withdrawn"))
    if step.facts:
        users = user_texts(messages)
        # asked once: the agent's last words asked for them (an answer without them is taken
        # as "I don't know", and the calls go ahead)
        latest = _texts_after(messages, "assistant", start)
        asked = {f.name for f in facts_asked(step.facts, latest[-1])} if latest else set()
        missing = [f for f in step.facts if f.name not in asked and not disclosed(f, users)]
        if missing:
            return _text(question(task, missing, done))
    if first.kind == "write":
        text = proposal(task, first, done)
        said, reply = _reply_after(messages, text, start)
        if not said or reply is None:
            return _text(text)
        if not _YES.search(reply):
            # the user did not say yes: ask once more, then go ahead as the gold says
            again = f"{text} (Please answer yes or no.)"
            said_again, reply_again = _reply_after(messages, again, start)
            if not said_again or reply_again is None:
                return _text(again)
    tool_calls = [
        {
            "id": f"call_{state.made + i}",
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": json.dumps(call.arguments, ensure_ascii=False),
            },
        }
        for i, call in enumerate(plan.calls[step.start : step.end])
    ]
    return {"role": "assistant", "content": None, "tool_calls": tool_calls}


def question(task: Task, facts: Sequence[UserFact], key: Any = 0) -> str:
    """The oracle's request for facts: who the user is, or a detail of the request."""
    phrases = join_phrases([fact_phrase(f) for f in facts])
    if any(f.role == "identity" for f in facts):
        return fill(pick(IDENTIFY_FRAMES, task.id, "identify", key), facts=phrases)
    return fill(pick(DETAIL_FRAMES, task.id, "detail", key), facts=phrases)


def _said_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return value_text(value)


def report(task: Task, plan: OraclePlan, number: int, state: Progress) -> str:
    """What the oracle says when goal ``number``'s calls are done: its results from the actual
    tool outputs (or why it cannot be done), then whether there is anything else."""
    goal = plan.goals[number]
    outputs: dict[int, Any] = {}
    for index, (_, text) in enumerate(state.answered):
        try:
            outputs[index] = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            outputs[index] = text
    facts = [c for c in task.communicate if c.goal == number]
    said = []
    for fact in facts:
        value = value_at(outputs.get(fact.call), fact.path)
        if value is None or isinstance(value, (dict, list)):
            continue
        frames = FACT_FRAMES if goal.kind == "action" else INFO_FACT_FRAMES
        frame = pick(frames, task.id, "fact", number, fact.path)
        said.append(
            frame.format(
                name=fact.name,
                Name=sentence(fact.name),
                a_name=with_article(fact.name),
                value=_said_value(value),
            )
        )
    more = pick(ANYTHING_ELSE, task.id, "more", number)
    if goal.kind == "refusal":
        return " ".join(p for p in (_refusal(task, goal, number), *said, more) if p)
    if not facts and (goal.kind != "action" or not task.goals):
        said = _summary(goal, state)
    if goal.kind == "action":
        opener = pick(REPORT_OPENERS, task.id, "report", number)
        action = _done_sentence(goal, plan, state, task, number)
        parts = [opener, action, *said, more]
    else:
        opener = pick(INFO_OPENERS, task.id, "info", number)
        parts = [opener, *said, more]
    return " ".join(p for p in parts if p)


def _done_sentence(
    goal: TaskGoal, plan: OraclePlan, state: Progress, task: Task, number: int
) -> str:
    """``I've cancelled the order.`` for the goal's writes."""
    done = []
    for index in goal.calls:
        call = plan.calls[index] if index < len(plan.calls) else None
        if call is None or call.kind != "write":
            continue
        parts = words(call.name).split()
        if not parts:
            continue
        verb, rest = parts[0], " ".join(parts[1:])
        done_verb = " ".join(w for w in (past(verb), preposition_of(verb)) if w)
        done.append(f"{done_verb} the {rest}" if rest else past(verb))
    if not done:
        return ""
    lead = pick(("I've", "I have", "I just"), task.id, "lead", number)
    return f"{lead} {join_phrases(done)}."


def _refusal(task: Task, goal: TaskGoal, number: int) -> str:
    refused = goal.refused
    action = describe_call(refused.name, refused.arguments) if refused is not None else "do that"
    text = fill(pick(REFUSE_FRAMES, task.id, "refuse", number), a=action)
    if refused is not None and refused.error:
        text += f" {sentence(refused.error.rstrip('.'))}."
    return text


def _summary(goal: TaskGoal, state: Progress) -> list[str]:
    """What the last call of a goal that names nothing to tell returned, in short."""
    calls = [i for i in goal.calls if i < len(state.answered)]
    if not calls:
        return []
    _, result = state.answered[calls[-1]]
    return [f"{sentence(summarize_result(result))}."]


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
