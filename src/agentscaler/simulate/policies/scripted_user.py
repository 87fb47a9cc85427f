"""The scripted user: an offline user that states its goal and answers from its known facts.

Its next message is a pure function of (task, the user's view of the conversation), so the same
code plays the user in an episode and inside the stub server:

* first, it states the goal (the task's intent);
* when the agent asks a question naming facts the user knows (their words appear in it: "your
  order id"), it answers with those facts;
* when the agent asks to confirm or proceed, it says yes;
* when the agent asks for something the user does not know, it says so (twice at most);
* when the agent's message is not a question (e.g. it reports the work done), or it asks
  whether there is anything else, it sends the stop token.
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

UNKNOWN_REPLY = "Sorry, I don't have that information."
PROCEED_REPLY = "Yes, please go ahead."
MAX_UNKNOWN_REPLIES = 2

_CONFIRM = re.compile(
    r"\b(confirm|proceed|go ahead|shall i|should i|would you like me to|do you want me to|"
    r"is that (right|correct|ok)|yes or no|yes/no)\b",
    re.IGNORECASE,
)
_ANYTHING_ELSE = re.compile(r"\b(anything else|something else|any other)\b", re.IGNORECASE)


def answer(facts: Sequence[UserFact]) -> str:
    """The user's answer giving ``facts`` ("My order id is ORD-7 and my email is ...")."""
    parts = [f"my {fact_phrase(f)} is {value_text(f.value)}" for f in facts]
    text = join_phrases(parts)
    return text[:1].upper() + text[1:] + "."


def scripted_user_reply(
    task: Task, view: Sequence[Mapping[str, str]], stop_token: str = STOP_TOKEN
) -> str:
    """The user's next message. ``view`` is the user's view of the conversation: ``user`` is
    the simulated user, ``assistant`` the agent (text only)."""
    if not any(m.get("role") == "user" for m in view):
        return task.intent
    last = view[-1] if view else {}
    agent_text = (last.get("content") or "") if last.get("role") == "assistant" else ""
    text = strip_data(agent_text)
    if "?" not in text:
        return stop_token
    facts = facts_asked(task.user_facts, text)
    if facts:
        return answer(facts)
    if _CONFIRM.search(text):
        return PROCEED_REPLY
    if _ANYTHING_ELSE.search(text):
        return stop_token
    unknown = sum(1 for m in view if m.get("role") == "user" and m.get("content") == UNKNOWN_REPLY)
    return stop_token if unknown >= MAX_UNKNOWN_REPLIES else UNKNOWN_REPLY


class ScriptedUser:
    """Plays :func:`scripted_user_reply` as an episode's user (offline, ``scripted_user``)."""

    info = PolicyInfo(kind="scripted_user", offline=True)

    def __init__(self, stop_token: str = STOP_TOKEN) -> None:
        self.stop_token = stop_token

    async def respond(self, context: EpisodeContext) -> PolicyReply:
        text = scripted_user_reply(context.task, context.conversation.user_view, self.stop_token)
        return PolicyReply(Message(role="user", content=text), stop=is_stop(text, self.stop_token))
