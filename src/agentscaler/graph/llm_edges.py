"""Optional LLM pass over candidate dependency edges: confirm or reject each one.

The model sees both tools (name, description, parameters, returns) and the fields the edge
carries; it may reason, then ends with a verdict line ``VERDICT: yes`` or ``VERDICT: no`` (a JSON
object ``{"verdict": "yes"}`` is read too). Reasoning never decides: ``<think>`` blocks are
dropped and only the last line (or the JSON object) is read. Answers are cached in
``<run>/graph/llm_edges.jsonl`` by (model, edge), one line per decision, so a rerun asks nothing
it asked before.

* ``yes``: the edge is kept with ``confirmed_by_llm=True``;
* ``no``: the edge is dropped from the domain (the decision stays in the cache file);
* anything else (an unclear or malformed answer): the edge is kept with ``confirmed_by_llm=None``
  and the answer is recorded as ``unclear`` with its raw text.

An LLM error (server down after retries) stops the pass with that error; decisions made so far
are already in the cache.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentscaler.canonical import content_hash
from agentscaler.jsonl import JsonlAppender, iter_json_lines
from agentscaler.llm.normalize import split_reasoning
from agentscaler.records.domain import DependencyEdge
from agentscaler.records.tool import ToolSpec

log = logging.getLogger(__name__)

Answer = Literal["yes", "no", "unclear"]
_WORD = re.compile(r"[a-z]+")
_VERDICT_LINE = re.compile(
    r"^[\W_]*(?:(?:final\s+)?(?:verdict|answer)[\W_]*)?(yes|no)\b", re.IGNORECASE
)
_VERDICT_KEYS = ("verdict", "answer", "dependency")

SYSTEM_PROMPT = (
    "You check dependencies between API tools. Given tool A, tool B and how A would lead to B, "
    "decide whether a realistic user task calls A and then uses what A returns or establishes "
    "to call B. Explain briefly if you need to, then end with one last line that is exactly "
    "VERDICT: yes or VERDICT: no."
)


@dataclass(frozen=True)
class EdgeDecision:
    key: str
    answer: Answer
    raw: str


def _tool_summary(tool: ToolSpec) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }
    if tool.returns:
        summary["returns"] = tool.returns
    return summary


def edge_key(model: str, edge: DependencyEdge, source: ToolSpec, target: ToolSpec) -> str:
    """Cache key of one question: the model, both tools' content and the edge."""
    return content_hash(
        {
            "model": model,
            "source": source.id,
            "target": target.id,
            "kind": edge.kind,
            "via": list(edge.via),
        },
        length=24,
    )


def edge_prompt(edge: DependencyEdge, source: ToolSpec, target: ToolSpec) -> list[dict[str, str]]:
    if edge.kind == "output_input":
        relation = "A returns fields that B takes as parameters: " + ", ".join(edge.via)
    else:
        relation = f"A reads the {', '.join(edge.via)} that B changes (read before write)"
    user = (
        f"Tool A:\n{json.dumps(_tool_summary(source), sort_keys=True)}\n\n"
        f"Tool B:\n{json.dumps(_tool_summary(target), sort_keys=True)}\n\n"
        f"Candidate dependency A -> B: {relation}.\nIs this a real dependency? End with "
        "VERDICT: yes or VERDICT: no."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_answer(text: str | None) -> Answer:
    """``yes``/``no`` from a reply's verdict, else ``unclear``.

    Reasoning (``<think>`` blocks) is dropped first. The verdict is a JSON object's ``verdict``
    (or ``answer``, ``dependency``) field when the reply is one, else the last non-empty line:
    ``VERDICT: yes``, ``Answer: no``, ``Yes.``, ``no - unrelated``. A line naming both, or a last
    line that is not a verdict, is unclear.
    """
    content, _ = split_reasoning(text)
    body = (content or "").strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    if body.strip().startswith("{"):
        try:
            value = json.loads(body)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return _verdict_value(next((value[k] for k in _VERDICT_KEYS if k in value), None))
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        return "unclear"
    last = lines[-1]
    match = _VERDICT_LINE.match(last)
    if match is None or {"yes", "no"} <= set(_WORD.findall(last.lower())):
        return "unclear"
    return match.group(1).lower()  # type: ignore[return-value]


def _verdict_value(value: object) -> Answer:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower()  # type: ignore[return-value]
    return "unclear"


class LLMEdgeCache:
    """Decisions already made, read from and appended to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.decisions: dict[str, EdgeDecision] = {}
        if self.path.exists():
            for _, value in iter_json_lines(self.path):
                if isinstance(value, dict) and value.get("answer") in ("yes", "no", "unclear"):
                    key = str(value.get("key"))
                    self.decisions[key] = EdgeDecision(
                        key, value["answer"], str(value.get("raw", ""))
                    )


async def _ask_all(
    client: Any,
    questions: list[tuple[str, dict[str, str], list[dict[str, str]]]],
    appender: JsonlAppender,
    advance: Callable[[int], None] | None,
) -> dict[str, EdgeDecision]:
    decided: dict[str, EdgeDecision] = {}

    async def ask(key: str, about: dict[str, str], messages: list[dict[str, str]]) -> None:
        result = await client.chat(messages)
        raw = result.message.content or ""
        decision = EdgeDecision(key, parse_answer(raw), raw)
        if decision.answer == "unclear":
            log.warning(
                "LLM answer about %s -> %s is unclear (%r); the edge is kept",
                about["source"],
                about["target"],
                raw[:80],
            )
        appender.append({"key": key, **about, "answer": decision.answer, "raw": raw})
        decided[key] = decision
        if advance is not None:
            advance(1)

    try:
        await asyncio.gather(*(ask(*q) for q in questions))
    finally:
        await client.aclose()
    return decided


def review_edges(
    edges: Sequence[DependencyEdge],
    tools_by_name: dict[str, ToolSpec],
    client: Any,
    cache_path: Path,
    *,
    on_total: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> tuple[list[DependencyEdge], dict[str, int]]:
    """Edges after the LLM's review, and counts of ``asked``/``cached``/``yes``/``no``/``unclear``."""
    model = client.config.model
    cache = LLMEdgeCache(cache_path)
    keys = [edge_key(model, e, tools_by_name[e.source], tools_by_name[e.target]) for e in edges]
    questions = []
    seen: set[str] = set()
    for edge, key in zip(edges, keys, strict=True):
        if key in cache.decisions or key in seen:
            continue
        seen.add(key)
        about = {"model": model, "source": edge.source, "target": edge.target, "kind": edge.kind}
        source, target = tools_by_name[edge.source], tools_by_name[edge.target]
        questions.append((key, about, edge_prompt(edge, source, target)))
    if on_total is not None:
        on_total(len(questions))
    if questions:
        with JsonlAppender(cache_path) as appender:
            cache.decisions.update(asyncio.run(_ask_all(client, questions, appender, advance)))
    counts = {
        "asked": len(questions),
        "cached": len(edges) - len(questions),
        "yes": 0,
        "no": 0,
        "unclear": 0,
    }
    kept: list[DependencyEdge] = []
    for edge, key in zip(edges, keys, strict=True):
        answer = cache.decisions[key].answer
        counts[answer] += 1
        if answer == "no":
            continue
        confirmed = True if answer == "yes" else None
        kept.append(edge.model_copy(update={"confirmed_by_llm": confirmed}))
    return kept, counts
