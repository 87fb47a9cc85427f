"""What a simulation run produced: counts by termination, gold states reached, tokens, time,
and an explanation for every episode that did not end in its task's gold state."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agentscaler.filter.calls import episode_calls
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.exact import match_gold
from agentscaler.records import Episode, Task, Termination

MAX_EXAMPLES = 8


@dataclass(frozen=True, slots=True)
class EpisodeOutcome:
    """The few facts about a finished episode that progress and summaries need."""

    task_id: str
    trial: int
    termination: str
    infrastructure: bool
    reached_gold: bool
    """The episode ran to its end (no infrastructure or model failure) in its task's gold final
    state; for a read-only task (whose state never changes) its calls also match the gold."""
    tokens: int
    turns: int
    requests: int
    why: str | None
    """Why the gold state was not reached (None when it was)."""


_EXACT = FilterConfig()


def read_only_mismatch(episode: Episode, task: Task) -> str | None:
    """How a read-only task's episode's calls differ from the gold calls (None when they match;
    arguments compared without the tools' schemas)."""
    return match_gold(episode_calls(episode.messages), task.gold_calls, {}, _EXACT)


def outcome_of(episode: Episode, task: Task) -> EpisodeOutcome:
    infrastructure = episode.termination.is_infrastructure
    reached = (
        not infrastructure
        and not episode.termination.is_model_failure
        and episode.final_state_hash == task.gold_final_state
    )
    mismatch = read_only_mismatch(episode, task) if reached and task.read_only else None
    if mismatch is not None:
        reached = False
    return EpisodeOutcome(
        task_id=episode.task_id,
        trial=episode.trial,
        termination=episode.termination.value,
        infrastructure=infrastructure,
        reached_gold=reached,
        tokens=episode.usage.prompt_tokens + episode.usage.completion_tokens,
        turns=episode.turns,
        requests=episode.usage.requests,
        why=None if reached else explain(episode, mismatch),
    )


def explain(episode: Episode, calls_mismatch: str | None = None) -> str:
    """One line on why an episode missed its gold state (or, read-only, its gold calls)."""
    if episode.error:
        first = episode.error.splitlines()[0] if episode.error.strip() else ""
        return f"{episode.termination.value}: {textwrap.shorten(first, 400, placeholder=' ...')}"
    if calls_mismatch is not None:
        return (
            f"{episode.termination.value}: read-only task, calls differ from gold; {calls_mismatch}"
        )
    first_error = _first_tool_error(episode)
    if first_error:
        return f"{episode.termination.value}: final state differs from gold; {first_error}"
    return f"{episode.termination.value}: final state differs from gold"


def _first_tool_error(episode: Episode) -> str | None:
    names = {c.id: c.function.name for m in episode.messages if m.tool_calls for c in m.tool_calls}
    for message in episode.messages:
        if message.role != "tool" or not message.content:
            continue
        if not message.content.startswith('{"error"'):
            continue
        try:
            error = json.loads(message.content)["error"]
        except (ValueError, KeyError, TypeError):
            continue
        tool = names.get(message.tool_call_id or "", "?")
        kind = error.get("type", "error") if isinstance(error, dict) else "error"
        text = error.get("message", "") if isinstance(error, dict) else str(error)
        return f"first tool error: {tool} -> {kind}: {str(text)[:120]}"
    return None


@dataclass
class RunStats:
    """Totals over episodes (this run's and, on resume, those found on disk)."""

    episodes: int = 0
    reached_gold: int = 0
    by_termination: Counter[str] = field(default_factory=Counter)
    tokens: int = 0
    turns: int = 0
    requests: int = 0
    skipped: int = 0
    """Episodes already on disk before this run (not simulated again)."""
    simulated: int = 0
    elapsed_s: float = 0.0
    why_not: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, outcome: EpisodeOutcome, *, new: bool = True) -> None:
        self.episodes += 1
        self.simulated += int(new)
        self.skipped += int(not new)
        self.by_termination[outcome.termination] += 1
        self.tokens += outcome.tokens
        self.turns += outcome.turns
        self.requests += outcome.requests
        if outcome.reached_gold:
            self.reached_gold += 1
        elif outcome.why:
            self.why_not[_reason_class(outcome.why)] += 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append(f"{outcome.task_id} trial {outcome.trial}: {outcome.why}")

    @property
    def infrastructure(self) -> int:
        """Episodes ended by an infrastructure failure."""
        return sum(n for t, n in self.by_termination.items() if Termination(t).is_infrastructure)

    @property
    def gold_rate(self) -> float:
        return self.reached_gold / self.episodes if self.episodes else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "episodes": self.episodes,
            "simulated": self.simulated,
            "skipped": self.skipped,
            "reached_gold": self.reached_gold,
            "gold_rate": round(self.gold_rate, 6),
            "by_termination": dict(sorted(self.by_termination.items())),
            "infrastructure_failures": self.infrastructure,
            "tokens": self.tokens,
            "turns": self.turns,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed_s, 3),
            "not_gold_reasons": dict(self.why_not.most_common()),
        }


def _reason_class(why: str) -> str:
    """The reason without the per-episode detail: ``user_stop: final state differs ...``."""
    head, _, rest = why.partition(": ")
    if rest.startswith("final state differs"):
        return f"{head}: final state differs from gold"
    if rest.startswith("read-only task, calls differ"):
        return f"{head}: read-only task, calls differ from gold"
    return head


def summary_table(stats: RunStats) -> Any:
    """A rich table of the run (episodes, terminations, gold %, tokens, time)."""
    from rich.table import Table

    table = Table(title="simulation", show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("episodes", str(stats.episodes))
    if stats.skipped:
        table.add_row("  simulated now", str(stats.simulated))
        table.add_row("  already on disk", str(stats.skipped))
    table.add_row("reached gold state", f"{stats.reached_gold} ({100 * stats.gold_rate:.1f}%)")
    for termination, count in sorted(stats.by_termination.items(), key=lambda kv: -kv[1]):
        table.add_row(f"  ended by {termination}", str(count))
    table.add_row("LLM requests", str(stats.requests))
    table.add_row("tokens", f"{stats.tokens:,}")
    table.add_row("turns", str(stats.turns))
    elapsed = stats.elapsed_s
    table.add_row("time", f"{elapsed:.1f} s")
    if elapsed > 0 and stats.simulated:
        table.add_row("episodes/s", f"{stats.simulated / elapsed:.1f}")
    return table


def reasons_table(stats: RunStats) -> Any | None:
    """A rich table explaining the episodes that missed their gold state (None if none did)."""
    if not stats.why_not:
        return None
    from rich.table import Table

    table = Table(title="episodes not in their gold state", show_header=True, header_style="bold")
    table.add_column("reason")
    table.add_column("episodes", justify="right")
    for reason, count in stats.why_not.most_common():
        table.add_row(reason, str(count))
    return table
