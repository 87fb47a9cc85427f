"""Stage 1 of the filter: is the episode well formed and not degenerate?"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from agentscaler.filter.calls import CallRecord, call_key, episode_calls
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.repetition import repeat_ratio
from agentscaler.records import Episode, RejectReason, Termination


@dataclass(frozen=True)
class Problem:
    reason: RejectReason
    detail: str


def check_validity(
    episode: Episode,
    tool_names: frozenset[str] | set[str],
    config: FilterConfig,
    calls: list[CallRecord] | None = None,
) -> Problem | None:
    """The first validity problem of ``episode``, or None when it is valid.

    Checks, in order: infrastructure failure; a model failure that left the episode incomplete
    (a refused request, an answer cut at the token limit, an empty user reply); a policy breach
    that ended it (the agent changed another person's records); role order (optional leading system message, the
    user speaks first, assistant turns answer users or tool results, every tool call answered by
    exactly one tool message before the next assistant turn); empty assistant turns; parseable
    calls naming known tools; n-gram repetition; repeated identical failing calls.
    """
    if episode.termination.is_infrastructure:
        return Problem(
            RejectReason.INFRASTRUCTURE,
            f"episode ended by {episode.termination.value}: {episode.error or 'no detail'}",
        )
    if episode.termination.is_model_failure:
        return Problem(
            RejectReason.INCOMPLETE,
            f"episode ended by {episode.termination.value}: {episode.error or 'no detail'}",
        )
    if episode.termination == Termination.POLICY_BREACH:
        return Problem(RejectReason.POLICY_BREACH, episode.error or "the agent broke the policy")
    problem = _check_structure(episode)
    if problem:
        return problem
    calls = episode_calls(episode.messages) if calls is None else calls
    for call in calls:
        if call.arguments is None:
            return Problem(
                RejectReason.UNPARSEABLE_CALL,
                f"message {call.index}: arguments of {call.name!r} are not a JSON object: "
                f"{call.raw_arguments[:80]!r}",
            )
        if call.name not in tool_names:
            return Problem(
                RejectReason.UNKNOWN_TOOL, f"message {call.index}: unknown tool {call.name!r}"
            )
    problem = _check_repetition(episode, config)
    if problem:
        return problem
    failing = Counter(call_key(c.name, c.arguments or {}) for c in calls if c.errored)
    if failing:
        key, count = failing.most_common(1)[0]
        if count >= config.max_identical_failing_calls:
            return Problem(
                RejectReason.REPEATED_FAILING_CALL,
                f"the same failing call was made {count} times: {key[:120]}",
            )
    return None


def _check_structure(episode: Episode) -> Problem | None:
    messages = episode.messages
    start = 1 if messages and messages[0].role == "system" else 0
    if start >= len(messages) or messages[start].role != "user":
        return Problem(
            RejectReason.ROLE_ORDER, "the conversation does not start with a user message"
        )
    pending: set[str] = set()
    previous = "user"
    for index in range(start + 1, len(messages)):
        message = messages[index]
        role = message.role
        if role == "system":
            return Problem(
                RejectReason.ROLE_ORDER, f"message {index}: system message mid-conversation"
            )
        if role == "tool":
            if message.tool_call_id not in pending:
                return Problem(
                    RejectReason.ROLE_ORDER,
                    f"message {index}: tool result for unknown or already answered call "
                    f"{message.tool_call_id!r}",
                )
            pending.discard(message.tool_call_id)
            previous = "tool"
            continue
        if pending:
            return Problem(
                RejectReason.MISSING_TOOL_RESULT,
                f"message {index}: calls {sorted(pending)} have no tool result",
            )
        if role == "assistant":
            if previous == "assistant":
                return Problem(
                    RejectReason.ROLE_ORDER, f"message {index}: two assistant turns in a row"
                )
            has_text = bool((message.content or "").strip())
            if not has_text and not message.tool_calls:
                return Problem(
                    RejectReason.EMPTY_ASSISTANT, f"message {index}: empty assistant turn"
                )
            if message.tool_calls:
                ids = [c.id for c in message.tool_calls]
                if len(set(ids)) != len(ids):
                    return Problem(
                        RejectReason.ROLE_ORDER, f"message {index}: duplicate tool-call ids"
                    )
                pending = set(ids)
                previous = "assistant_calls"
            else:
                previous = "assistant"
        elif role == "user":
            if previous in {"user", "tool", "assistant_calls"}:
                return Problem(
                    RejectReason.ROLE_ORDER,
                    f"message {index}: user message where the agent should speak",
                )
            previous = "user"
    if pending:
        return Problem(
            RejectReason.MISSING_TOOL_RESULT, f"calls {sorted(pending)} have no tool result"
        )
    return None


def _check_repetition(episode: Episode, config: FilterConfig) -> Problem | None:
    texts: Counter[str] = Counter()
    for index, message in enumerate(episode.messages):
        if message.role != "assistant":
            continue
        text = " ".join(t for t in (message.reasoning_content, message.content) if t)
        if not text.strip():
            continue
        ratio, total = repeat_ratio(text, config.ngram_n)
        if total >= config.ngram_min_count and ratio > config.ngram_max_repeat_ratio:
            return Problem(
                RejectReason.NGRAM_REPETITION,
                f"message {index}: {ratio:.0%} of its {config.ngram_n}-grams repeat",
            )
        if message.content and message.content.strip():
            texts[message.content.strip()] += 1
    if texts:
        text, count = texts.most_common(1)[0]
        if count > config.max_identical_messages:
            return Problem(
                RejectReason.NGRAM_REPETITION,
                f"the same assistant reply appears {count} times: {text[:80]!r}",
            )
    return None
