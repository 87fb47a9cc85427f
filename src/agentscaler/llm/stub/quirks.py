"""`QuirkPlan`: the stub server answering like real servers do, not like a perfect OpenAI.

Each quirk is one setting, so tests and demos can switch them on alone or together:

* ``reasoning``: reasoning text in ``<think>`` tags before the content (``think``, a server
  without a reasoning parser), ending in ``</think>`` without the opening tag (``open_think``, a
  Qwen3 template that opens it in the prompt), or in a ``reasoning_content`` / ``reasoning``
  field. The text mentions the stop token, as real reasoning does.
* ``tool_call_format``: tool calls written into the content as text (``hermes``, ``llama3``,
  ``mistral``, ``json``), as a server started without a tool parser returns them.
* ``reuse_ids``: call ids numbered from 0 in every answer (``call_0``, ``call_1``), so a
  conversation holds the same id many times.
* ``truncate_at``: the completion budget (in words) of a request without ``max_tokens``; longer
  answers are cut there with ``finish_reason="length"`` (a request's own ``max_tokens`` wins).
* ``null_tool_calls_rate``: a share of answers with a ``null`` entry in ``tool_calls``.
* ``empty_rate``: a share of answers with no text and no tool call.
* ``reject_bad_history``: HTTP 400 for a request whose history holds tool-call arguments that are
  not a JSON object, like vLLM (llama.cpp answers 500).

Draws are seeded by ``(seed, request number)``, like :class:`~agentscaler.llm.stub.FaultPlan`.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

THINKING = (
    "The user asked something; let me check the conversation. If everything is done the user "
    "would write ###STOP###. Maybe a tool call first, but first I answer."
)
"""The reasoning the stub adds: it mentions the stop token on purpose."""

_WORD_END = re.compile(r"\S+")


class QuirkPlan(BaseModel):
    """How the stub server's answers differ from a perfect OpenAI server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reasoning: Literal["none", "think", "open_think", "reasoning_content", "reasoning"] = Field(
        "none", description="Where reasoning text goes (none: no reasoning)."
    )
    tool_call_format: Literal["openai", "hermes", "llama3", "mistral", "json"] = Field(
        "openai", description="openai: structured tool_calls; else calls written as that text."
    )
    reuse_ids: bool = Field(False, description="Number call ids from 0 in every answer.")
    truncate_at: int | None = Field(
        None, ge=1, description="Completion budget in words of requests without max_tokens."
    )
    null_tool_calls_rate: float = Field(
        0.0, ge=0, le=1, description="Share of answers with a null tool_calls entry."
    )
    empty_rate: float = Field(0.0, ge=0, le=1, description="Share of empty answers.")
    reject_bad_history: bool = Field(
        False, description="HTTP 400 when a history's tool-call arguments are not a JSON object."
    )
    seed: int = Field(0, description="Seed of the per-request draws.")

    @property
    def active(self) -> bool:
        return self != _NONE

    def _draws(self, number: int) -> tuple[float, float]:
        rng = random.Random(self.seed * 1_000_003 + number + 0x5EED)
        return rng.random(), rng.random()

    def bad_history(self, request: Mapping[str, Any]) -> str | None:
        """The error a vLLM-like server gives a history holding broken arguments (or None)."""
        if not self.reject_bad_history:
            return None
        for index, message in enumerate(request.get("messages") or ()):
            for call in (message.get("tool_calls") or ()) if isinstance(message, Mapping) else ():
                function = call.get("function") if isinstance(call, Mapping) else None
                arguments = function.get("arguments") if isinstance(function, Mapping) else None
                try:
                    ok = isinstance(json.loads(arguments), dict)
                except (TypeError, ValueError) as exc:
                    return f"messages[{index}]: tool-call arguments are not valid JSON: {exc}"
                if not ok:
                    return f"messages[{index}]: tool-call arguments must be a JSON object"
        return None

    def apply(
        self, request: Mapping[str, Any], message: dict[str, Any], number: int
    ) -> tuple[dict[str, Any], str | None, list[str]]:
        """``(message, finish_reason or None, texts cut short)`` after the quirks."""
        null_draw, empty_draw = self._draws(number)
        message = dict(message)
        if empty_draw < self.empty_rate:
            message["content"] = ""
            message.pop("tool_calls", None)
        calls = message.get("tool_calls")
        if calls and self.tool_call_format != "openai":
            text = render_calls(calls, self.tool_call_format, reuse_ids=self.reuse_ids)
            message["content"] = f"{message.get('content') or ''}{text}".strip()
            message.pop("tool_calls")
        elif calls and self.reuse_ids:
            message["tool_calls"] = [{**c, "id": f"call_{i}"} for i, c in enumerate(calls)]
        message = self._add_reasoning(message)
        budget = request.get("max_tokens") or request.get("max_completion_tokens")
        budget = budget if isinstance(budget, int) and budget > 0 else self.truncate_at
        cut: list[str] = []
        if budget is not None:
            message, cut = _cut(message, budget)
        if null_draw < self.null_tool_calls_rate:
            message["tool_calls"] = [*(message.get("tool_calls") or ()), None]
        return message, ("length" if cut else None), cut

    def _add_reasoning(self, message: dict[str, Any]) -> dict[str, Any]:
        mode = self.reasoning
        if mode == "none":
            return message
        if mode in ("reasoning_content", "reasoning"):
            return {**message, mode: THINKING}
        content = message.get("content") or ""
        opening = "<think>\n" if mode == "think" else ""
        return {**message, "content": f"{opening}{THINKING}\n</think>\n\n{content}"}


_NONE = QuirkPlan()


def render_calls(calls: list[Mapping[str, Any]], fmt: str, *, reuse_ids: bool = False) -> str:
    """Tool calls as a model writes them in text when the server has no tool parser."""
    parsed = []
    for i, call in enumerate(calls):
        function = call.get("function") or {}
        raw = function.get("arguments") or "{}"
        try:
            arguments: Any = json.loads(raw)
        except ValueError:
            arguments = None
        mistral_id = f"call{i:05d}" if reuse_ids else uuid.uuid4().hex[:9]
        parsed.append((str(function.get("name", "")), arguments, raw, mistral_id))

    def obj(name: str, arguments: Any, raw: str, key: str = "arguments", **extra: Any) -> str:
        if arguments is None:  # broken JSON stays broken in the text
            head = json.dumps({"name": name, **extra})[:-1]
            return f'{head}, "{key}": {raw}}}'
        return json.dumps({"name": name, key: arguments, **extra}, ensure_ascii=False)

    if fmt == "hermes":
        return "\n".join(f"<tool_call>\n{obj(n, a, r)}\n</tool_call>" for n, a, r, _ in parsed)
    if fmt == "llama3":
        return "<|python_tag|>" + "; ".join(obj(n, a, r, "parameters") for n, a, r, _ in parsed)
    if fmt == "mistral":
        return "[TOOL_CALLS][" + ", ".join(obj(n, a, r, id=i) for n, a, r, i in parsed) + "]"
    if fmt == "json":
        items = [obj(n, a, r) for n, a, r, _ in parsed]
        return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"
    raise ValueError(f"unknown tool-call text format {fmt!r}")


def _words(text: str) -> int:
    return len(text.split())


def _cut_text(text: str, words: int) -> str:
    """The first ``words`` words of ``text`` (its spacing kept)."""
    if words <= 0:
        return ""
    for count, match in enumerate(_WORD_END.finditer(text), start=1):
        if count == words:
            return text[: match.end()]
    return text


def _cut(message: dict[str, Any], budget: int) -> tuple[dict[str, Any], list[str]]:
    """The message cut to ``budget`` words in generation order: reasoning, content, tool calls."""
    left = budget
    cut: list[str] = []
    out = dict(message)
    for key in ("reasoning_content", "reasoning", "content"):
        text = out.get(key)
        if not isinstance(text, str) or not text:
            continue
        size = _words(text)
        if size <= left:
            left -= size
            continue
        out[key] = _cut_text(text, left)
        cut.append(out[key])
        left = 0
    calls = out.get("tool_calls")
    if calls:
        kept = []
        for call in calls:
            arguments = (call.get("function") or {}).get("arguments") or ""
            size = _words(arguments) + 1
            if left >= size:
                kept.append(call)
                left -= size
                continue
            if left > 0 or not cut:  # the call being written when the budget ran out
                broken = arguments[: max(1, len(arguments) // 2)]
                kept.append({**call, "function": {**call["function"], "arguments": broken}})
                cut.append(broken)
            left = 0
            break
        if kept:
            out["tool_calls"] = kept
        else:
            out.pop("tool_calls")
    return out, cut
