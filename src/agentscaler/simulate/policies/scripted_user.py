"""The scripted user: an offline user that talks like a customer from its task's script.

Its next message is a pure function of (task, the user's view of the conversation), so the same
code plays the user in an episode and inside the stub server:

* it opens with its first goal in natural words (a greeting, a phrasing drawn per task), saying
  what it wants but not who it is, and holding back a detail where the scenario says so;
* when the agent asks for something it knows (its email, its booking number, the detail it held
  back), it answers with those facts only;
* when the agent asks it to confirm an action, it says yes, except the first time in a
  change-of-mind scenario, where it takes the request back and asks for its real goal instead;
* when the agent explains why a request the rules forbid cannot be done, it presses once ("Are
  you sure?"), then accepts;
* when the agent reports or asks whether there is anything else, it states its next goal, or
  thanks the agent and ends with the stop token;
* when the agent asks for something it does not know, it says so (twice at most).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agentscaler.records import Message, PolicyInfo, Task, UserFact
from agentscaler.simulate.config import STOP_TOKEN
from agentscaler.simulate.policies.base import EpisodeContext, PolicyReply, is_stop
from agentscaler.simulate.policies.facts import (
    fact_phrase,
    facts_asked,
    join_phrases,
    strip_data,
    value_text,
)
from agentscaler.simulate.policies.phrases import (
    ACCEPT_REFUSAL,
    IDENTITY_FRAMES,
    THANKS,
    UNKNOWN,
    YES,
    fill,
    pick,
)
from agentscaler.simulate.policies.script import change_of_mind, goals_of, push_back, statement

MAX_UNKNOWN_REPLIES = 2

_CONFIRM = re.compile(
    r"\b(confirm|proceed|go ahead|shall i|should i|would you like me to|do you want me to|"
    r"is that (right|correct|ok|okay)|yes or no|yes/no)\b",
    re.IGNORECASE,
)
_INFO_REQUEST = re.compile(
    r"(^|[.!?:]\s+)(what|which)\b|"
    r"\b(what is|what's|which|could you (please )?(tell|give|provide|share|send)|"
    r"can you (please )?(tell|give|provide|share)|please (tell|give|provide|share)|"
    r"may i have|i need your|confirm your)\b",
    re.IGNORECASE,
)
_ANYTHING_ELSE = re.compile(
    r"\b(anything else|something else|any other|else i can|more i can)\b", re.IGNORECASE
)
_REFUSED = re.compile(
    r"\b(can ?not|can't|unable|not able|not possible|not allowed|won't be able|afraid)\b",
    re.IGNORECASE,
)


def answer(task: Task, facts: Sequence[UserFact], turn: int) -> str:
    """The user's answer giving ``facts`` ("Sure, my email is ann@example.com.")."""
    parts = [f"{fact_phrase(f)} is {value_text(f.value)}" for f in facts]
    return fill(pick(IDENTITY_FRAMES, task.id, "answer", turn), facts=join_phrases(parts))


def _stated(task: Task, users: Sequence[str]) -> int:
    """The index of the last goal the user has stated."""
    said = set(users)
    stated = 0
    for index in range(1, len(goals_of(task))):
        if statement(task, index) in said:
            stated = index
    return stated


def scripted_user_reply(
    task: Task, view: Sequence[Mapping[str, str]], stop_token: str = STOP_TOKEN
) -> str:
    """The user's next message. ``view`` is the user's view of the conversation: ``user`` is
    the simulated user, ``assistant`` the agent (text only)."""
    users = [m.get("content") or "" for m in view if m.get("role") == "user"]
    if not users:
        return statement(task, 0)
    goals = goals_of(task)
    stated = _stated(task, users)
    last = view[-1] if view else {}
    agent_text = (last.get("content") or "") if last.get("role") == "assistant" else ""
    text = strip_data(agent_text)
    turn = len(users)
    if _CONFIRM.search(text) and not _INFO_REQUEST.search(text):
        goal = goals[stated]
        if goal.withdrawn is not None and change_of_mind(task, stated) not in users:
            return change_of_mind(task, stated)
        return pick(YES, task.id, "yes", turn)
    if "?" in text and not _ANYTHING_ELSE.search(text):
        facts = facts_asked(task.user_facts, text)
        if facts:
            return answer(task, facts, turn)
        unknown = sum(1 for u in users if u in UNKNOWN)
        if unknown < MAX_UNKNOWN_REPLIES:
            return pick(UNKNOWN, task.id, "unknown", turn)
    refused = goals[stated].kind == "refusal" and bool(_REFUSED.search(text))
    if refused and push_back(task, stated) not in users:
        return push_back(task, stated)
    if stated + 1 < len(goals):
        return statement(task, stated + 1)
    closing = pick(ACCEPT_REFUSAL if refused else THANKS, task.id, "bye")
    return f"{closing} {stop_token}"


class ScriptedUser:
    """Plays :func:`scripted_user_reply` as an episode's user (offline, ``scripted_user``)."""

    info = PolicyInfo(kind="scripted_user", offline=True)

    def __init__(self, stop_token: str = STOP_TOKEN) -> None:
        self.stop_token = stop_token

    async def respond(self, context: EpisodeContext) -> PolicyReply:
        text = scripted_user_reply(context.task, context.conversation.user_view, self.stop_token)
        return PolicyReply(Message(role="user", content=text), stop=is_stop(text, self.stop_token))
