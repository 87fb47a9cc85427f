"""The two roles of an episode: `Agent` and `User`, each a policy from the conversation to the
next message.

Both are asynchronous so LLM policies can wait on a server while hundreds of other episodes run;
offline policies answer at once. A policy gets an :class:`EpisodeContext` (the task, the
conversation so far, the world's tools and the trial's seed) and returns a :class:`PolicyReply`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from agentscaler.records import Message, PolicyInfo, Task, Usage
from agentscaler.simulate.conversation import Conversation


@dataclass(frozen=True, slots=True)
class EpisodeContext:
    """What a policy may look at to decide its next message."""

    task: Task
    conversation: Conversation
    tools: list[dict[str, Any]]
    """The world's tools in OpenAI format (one shared list per world: do not modify)."""
    seed: int
    """Sampling seed of this (task, trial)."""
    domain: str = ""
    """Readable name of the task's domain (for prompts)."""


@dataclass(frozen=True, slots=True)
class PolicyReply:
    """A policy's next message. ``stop`` ends the episode (the user is done, or the agent quits)."""

    message: Message
    usage: Usage | None = None
    stop: bool = False


class Agent(Protocol):
    """Acts in the world for the user: answers with text or with tool calls."""

    @property
    def info(self) -> PolicyInfo: ...

    async def act(self, context: EpisodeContext) -> PolicyReply: ...


class User(Protocol):
    """Pursues the task's intent by talking to the agent; ``stop=True`` when done."""

    @property
    def info(self) -> PolicyInfo: ...

    async def respond(self, context: EpisodeContext) -> PolicyReply: ...


EMPTY_REPLY_RETRIES = 2
"""Times an LLM policy asks again (with another seed) when the model answered nothing."""

_AFTER_STOP = " \t\r\n.!*_\"'`)]"


def is_stop(text: str | None, stop_token: str) -> bool:
    """True when a user message ends the conversation: its text ends with the stop token as a
    whole token (``Thanks! ###STOP###``; closing quotes, stars or a period may follow). A text
    that only mentions the token earlier does not stop (the text is the message's content:
    reasoning is never part of it)."""
    if not text or not stop_token:
        return False
    end = text.rstrip()
    while end and not end.endswith(stop_token) and end[-1] in _AFTER_STOP:
        end = end[:-1].rstrip()
    if not end.endswith(stop_token):
        return False
    before = end[: -len(stop_token)]
    return not before or not (before[-1].isalnum() or before[-1] == "_")


def retry_seed(seed: int, attempt: int) -> int:
    """The sampling seed of a policy's ``attempt``-th request for the same turn (0: ``seed``)."""
    return seed if attempt == 0 else (seed + 7919 * attempt) % (1 << 31)
