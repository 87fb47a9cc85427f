"""Optional LLM rewriting of template intents, checked before use.

The model gets the template intent and the values the user knows, and is asked for a natural
second-person version that keeps every value verbatim. A rewrite is used only when it passes
every check; otherwise the template stays and the reason is counted:

* ``empty`` / ``too_long``: no usable text, or longer than ``intent_max_chars``;
* ``not_second_person``: it does not address the user as "you";
* ``leak``: it contains a value the agent must look up (the user cannot know it);
* ``lost_fact``: a value the user asks with (a date, an amount, a name) went missing or
  changed (who the user is, and a detail they hold back, are said when the agent asks and
  are not in the intent);
* ``tool_name``: it names a tool by its identifier.

Replies are cached by (model, prompt) in a JSON Lines file, so a rerun asks nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentscaler.canonical import plain_text
from agentscaler.llm.cache import DecisionCache, decision_key
from agentscaler.records.task import Task
from agentscaler.tasks.intent import leaks

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You rewrite task descriptions for a simulated customer who will talk to a support agent. "
    'Write what the customer wants in the second person ("You want to ..."), naturally and '
    "briefly, as goals rather than steps. Keep every value from the list of known values exactly "
    "as written (ids, names, dates, amounts, quoted text), add no other identifiers or numbers, "
    "and do not mention tools or APIs. Reply with the rewritten description only."
)
_YOU = re.compile(r"\byou(r|rs|rself)?\b", re.IGNORECASE)


def rewrite_prompt(task: Task) -> list[dict[str, str]]:
    """The chat messages asking for a rewrite of ``task``'s template intent."""
    known = "\n".join(f"- {f.name}: {plain_text(f.value)}" for f in task.user_facts) or "- (none)"
    user = f"Description:\n{task.intent}\n\nKnown values (keep each exactly):\n{known}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def check_rewrite(
    text: str | None, task: Task, tool_names: Sequence[str], max_chars: int
) -> str | None:
    """Why a rewrite cannot replace the template (a reason code), or None when it can."""
    text = (text or "").strip()
    if not text:
        return "empty"
    if len(text) > max_chars:
        return "too_long"
    if not _YOU.search(text):
        return "not_second_person"
    if leaks(text, task.agent_lookups):
        return "leak"
    lowered = text.casefold()
    for fact in task.user_facts:
        if isinstance(fact.value, bool) or fact.value is None or fact.role != "request":
            continue
        if plain_text(fact.value).casefold() not in lowered:
            return "lost_fact"
    for name in tool_names:
        if "_" in name and re.search(rf"\b{re.escape(name)}\b", text):
            return "tool_name"
    return None


def clean_reply(text: str | None) -> str:
    """The reply without surrounding quotes, code fences or a ``Description:`` label."""
    text = (text or "").strip()
    text = re.sub(r"^```\w*\s*|\s*```$", "", text).strip()
    text = re.sub(r"^(rewritten )?description:\s*", "", text, flags=re.IGNORECASE).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


async def _ask(
    client: Any, prompts: dict[str, list[dict[str, str]]], cache: DecisionCache, model: str
) -> None:
    """Ask every prompt concurrently; each reply is cached as soon as it arrives."""

    async def one(key: str, messages: list[dict[str, str]]) -> None:
        result = await client.chat(messages)
        cache.put(key, result.message.content or "", model=model)

    try:
        await asyncio.gather(*(one(k, m) for k, m in prompts.items()))
    finally:
        await client.aclose()


def rewrite_intents(
    tasks: Sequence[Task],
    client: Any,
    cache_path: Path,
    tool_names: Sequence[str],
    *,
    max_chars: int,
) -> tuple[list[Task], Counter[str]]:
    """``tasks`` with checked LLM intents where they pass, and counts (``llm`` for rewrites
    used, ``cached`` for replies from the cache, one count per reject reason)."""
    model = client.config.model
    counts: Counter[str] = Counter()
    if not tasks:
        return [], counts
    with DecisionCache(cache_path) as cache:
        prompts = {}
        keys = []
        for task in tasks:
            messages = rewrite_prompt(task)
            key = decision_key(model, messages)
            keys.append(key)
            if key in cache:
                counts["cached"] += 1
            else:
                prompts[key] = messages
        if prompts:
            asyncio.run(_ask(client, prompts, cache, model))
        rewritten = []
        for task, key in zip(tasks, keys, strict=True):
            text = clean_reply(cache.get(key))
            reason = check_rewrite(text, task, tool_names, max_chars)
            if reason is None:
                counts["llm"] += 1
                rewritten.append(task.model_copy(update={"intent": text, "intent_source": "llm"}))
            else:
                counts[f"rejected_{reason}"] += 1
                log.debug("LLM intent of task %s rejected (%s): %r", task.id, reason, text[:120])
                rewritten.append(task)
    return rewritten, counts
