"""What a run's conversations look like: turns, openings, closings and a sample to read.

A dataset that teaches one dialogue shape shows it here: every episode with the same number of
user messages, one opening phrase, one closing phrase. An *opening* is the first three words of
the user's first message and a *closing* the first three words of the agent's last reply
(lower case, letters, digits and apostrophes), so "Hi there, I'd like to..." and "Hi there, I'd
need..." count as the same opening while values in the text rarely matter.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence

from agentscaler.records import Episode, Task
from agentscaler.records.base import Record

_WORD = re.compile(r"[a-z0-9']+")
PHRASE_WORDS = 3
SAMPLE_TEXT_CHARS = 400


def phrase(text: str | None, words: int = PHRASE_WORDS) -> str:
    """The first ``words`` words of ``text`` (lower case)."""
    return " ".join(_WORD.findall((text or "").lower())[:words])


def user_turns(episode: Episode) -> int:
    return sum(1 for m in episode.messages if m.role == "user")


def opening(episode: Episode) -> str:
    first = next((m for m in episode.messages if m.role == "user"), None)
    return phrase(first.content if first is not None else "")


def closing(episode: Episode) -> str:
    replies = [
        m for m in episode.messages if m.role == "assistant" and m.content and not m.tool_calls
    ]
    return phrase(replies[-1].content if replies else "")


class PhraseShare(Record):
    phrase: str
    episodes: int
    share: float


class ConversationLine(Record):
    role: str
    text: str


class Conversation(Record):
    """One sampled conversation, as a person reads it (tool calls and results in short)."""

    episode_id: str
    task_id: str
    scenario: str
    domain_id: str
    intent: str
    lines: tuple[ConversationLine, ...]


class DialogueStats(Record):
    """Turns, openings and closings of a run's episodes, and conversations to read."""

    episodes: int
    user_turns_median: float
    user_turns_mean: float
    user_turns: dict[str, int]
    """Episodes per number of user messages."""
    openings: int
    """Distinct openings."""
    closings: int
    """Distinct closings."""
    top_openings: tuple[PhraseShare, ...]
    top_closings: tuple[PhraseShare, ...]
    offline: int
    """Episodes an offline policy took part in (templated dialogue)."""
    samples: tuple[Conversation, ...] = ()

    @property
    def max_opening_share(self) -> float:
        return self.top_openings[0].share if self.top_openings else 0.0

    @property
    def max_closing_share(self) -> float:
        return self.top_closings[0].share if self.top_closings else 0.0


def _top(counts: Counter[str], total: int, k: int = 5) -> tuple[PhraseShare, ...]:
    return tuple(
        PhraseShare(phrase=p, episodes=n, share=round(n / total, 4))
        for p, n in counts.most_common(k)
    )


def _lines(episode: Episode) -> tuple[ConversationLine, ...]:
    lines = []
    for message in episode.messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            text = (message.content or "")[:SAMPLE_TEXT_CHARS]
            lines.append(ConversationLine(role="tool", text=text))
        elif message.tool_calls:
            calls = ", ".join(
                f"{c.function.name}({c.function.arguments[:SAMPLE_TEXT_CHARS]})"
                for c in message.tool_calls
            )
            lines.append(ConversationLine(role="call", text=calls))
        else:
            lines.append(ConversationLine(role=message.role, text=message.content or ""))
    return tuple(lines)


def dialogue_stats(
    episodes: Sequence[Episode],
    tasks: Mapping[str, Task] | None = None,
    *,
    samples: int = 20,
    seed: int = 0,
) -> DialogueStats:
    """The dialogue statistics of ``episodes`` and ``samples`` conversations drawn with
    ``seed`` (episodes that ended normally, one per task)."""
    total = len(episodes) or 1
    turns = [user_turns(e) for e in episodes]
    openings = Counter(opening(e) for e in episodes)
    closings = Counter(closing(e) for e in episodes)
    tasks = tasks or {}
    finished = [e for e in episodes if not e.termination.is_infrastructure]
    by_task: dict[str, Episode] = {}
    for episode in finished:
        by_task.setdefault(episode.task_id, episode)
    chosen = sorted(by_task.values(), key=lambda e: e.id)
    chosen = random.Random(seed).sample(chosen, min(samples, len(chosen)))
    conversations = []
    for episode in chosen:
        task = tasks.get(episode.task_id)
        conversations.append(
            Conversation(
                episode_id=episode.id,
                task_id=episode.task_id,
                scenario=task.scenario if task is not None else "",
                domain_id=episode.domain_id,
                intent=task.intent if task is not None else "",
                lines=_lines(episode),
            )
        )
    counts = Counter(turns)
    return DialogueStats(
        episodes=len(episodes),
        user_turns_median=float(statistics.median(turns)) if turns else 0.0,
        user_turns_mean=round(sum(turns) / total, 3),
        user_turns={str(n): counts[n] for n in sorted(counts)},
        openings=len(openings),
        closings=len(closings),
        top_openings=_top(openings, total),
        top_closings=_top(closings, total),
        offline=sum(e.agent.offline or e.user.offline for e in episodes),
        samples=tuple(conversations),
    )
