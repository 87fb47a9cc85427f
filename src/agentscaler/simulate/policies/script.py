"""What the offline user and agent say about a task's goals: shared by both policies.

Both sides are pure functions of the task and the conversation, so each recomputes the same
texts to know where the conversation is: the user's statement of each goal (the opening for the
first, a follow-up for the others, the withdrawn request first where the user changes their
mind), the change-of-mind message, and the agent's proposal of each write. A task without goals
(written before tasks had them) is one goal made of all its gold calls, stated with its intent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agentscaler.naming import entity_of_parameter, preposition_of, split_identifier, with_article
from agentscaler.records import GoldCall, Task, TaskGoal
from agentscaler.simulate.policies.facts import join_phrases, value_text
from agentscaler.simulate.policies.phrases import (
    CHANGE_FRAMES,
    GREETINGS,
    NEXT_FRAMES,
    PROPOSE_FRAMES,
    PUSH_BACK,
    REQUEST_FRAMES,
    fill,
    pick,
    with_greeting,
    words,
)

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def goals_of(task: Task) -> tuple[TaskGoal, ...]:
    """The task's goals (one goal of all its calls for a task without goals)."""
    if task.goals:
        return task.goals
    kind = "inquiry" if task.read_only else "action"
    return (TaskGoal(kind=kind, request=task.intent, calls=tuple(range(len(task.gold_calls)))),)


def first_request(goal: TaskGoal) -> str:
    """What the user asks first for a goal (the withdrawn request when they change their mind)."""
    return goal.withdrawn_request or goal.request


def statement(task: Task, index: int) -> str:
    """The user's message stating goal ``index`` (the opening for the first goal)."""
    goal = goals_of(task)[index]
    if not task.goals:
        return task.intent
    request = first_request(goal)
    if index == 0:
        greeting = pick(GREETINGS, task.id, "greeting")
        return with_greeting(greeting, fill(pick(REQUEST_FRAMES, task.id, "open"), r=request))
    return fill(pick(NEXT_FRAMES, task.id, "next", index), r=request)


def change_of_mind(task: Task, index: int) -> str:
    """The user's message taking back goal ``index``'s first request for its real one."""
    return fill(pick(CHANGE_FRAMES, task.id, "change", index), r=goals_of(task)[index].request)


def push_back(task: Task, index: int) -> str:
    """The user's message pressing on a refused goal ``index`` once."""
    return pick(PUSH_BACK, task.id, "push", index)


def describe_call(name: str, arguments: Mapping[str, Any]) -> str:
    """A call in the agent's words: ``cancel order ORD-7 with reason changed_mind``; the id
    of the record the tool acts on leads, any other id is one more detail (``submit an offer
    with buyer ID BYR-4 and amount 430``)."""
    action = split_identifier(name)
    lead = None
    parts = []
    for key, value in arguments.items():
        entity = entity_of_parameter(key)
        acted_on = entity is not None and set(split_identifier(entity)) <= set(action[1:])
        if lead is None and acted_on and isinstance(value, (str, int)):
            lead = value_text(value)
            continue
        parts.append(f"{words(key)} {value_text(value)}")
    verb = " ".join(w for w in (action[0], preposition_of(action[0])) if w) if action else ""
    thing = words("_".join(action[1:]))
    if lead is not None:
        text = f"{verb} {thing} {lead}" if thing else f"{verb} {lead}"
    elif thing:
        text = f"{verb} {with_article(thing)}"
    else:
        text = words(name)
    return text + (" with " + join_phrases(parts) if parts else "")


def proposal(task: Task, call: GoldCall | Any, key: Any) -> str:
    """The agent's confirmation request before making ``call`` (``key`` tells calls apart)."""
    action = describe_call(call.name, call.arguments)
    return fill(pick(PROPOSE_FRAMES, task.id, "propose", key), a=action)


def value_at(output: Any, path: str) -> Any:
    """The value at ``path`` (``orders[1].status``) inside a tool output; None when absent."""
    value = output
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(value, dict) or name not in value:
                return None
            value = value[name]
        else:
            position = int(index)
            if not isinstance(value, list) or position >= len(value):
                return None
            value = value[position]
    return value


def user_texts(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    return [m.get("content") or "" for m in messages if m.get("role") == "user"]
