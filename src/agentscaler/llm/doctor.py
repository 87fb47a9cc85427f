"""``agentscaler doctor``: ask a server two small questions and say what it needs.

A tool-call probe (one tool, a question that needs it) shows whether the server returns
structured ``tool_calls``, tool calls as text (and in which format: the server lacks its tool
parser), refuses tools (vLLM without ``--enable-auto-tool-choice``) or gets no call at all (a chat
template without tools). A reasoning probe shows whether reasoning comes in a field (the server's
reasoning parser is on), inline in ``<think>`` tags, or not at all. Each finding carries the
server flags that fix it; agentscaler's normaliser copes with inline reasoning and text tool calls
either way, so the flags matter for speed and for other clients.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentscaler.errors import LLMError, LLMRequestRejected
from agentscaler.llm.client import ChatClient
from agentscaler.llm.config import LLMConfig
from agentscaler.llm.normalize import REASONING_KEYS, split_reasoning, text_of
from agentscaler.llm.tool_parsers import PARSERS, extract_tool_calls

PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
            "required": ["city"],
        },
    },
}
TOOL_PROBE = [
    {"role": "system", "content": "You are a weather assistant. Answer with the tools."},
    {"role": "user", "content": "What is the weather in Paris right now? Use get_weather."},
]
REASONING_PROBE = [
    {
        "role": "user",
        "content": "A bat and a ball cost 1.10 in total. The bat costs 1.00 more than the ball. "
        "How much does the ball cost? Think it through, then answer with the amount.",
    }
]

SERVER_TOOL_FLAGS = (
    "vLLM: --enable-auto-tool-choice --tool-call-parser hermes (Qwen, Hermes; llama3_json for "
    "Llama 3, mistral for Mistral); SGLang: --tool-call-parser qwen25 (llama3, mistral); "
    "llama.cpp: --jinja; Ollama: a model whose template supports tools"
)
SERVER_REASONING_FLAGS = (
    "vLLM: --reasoning-parser qwen3 (deepseek_r1 for DeepSeek-R1); SGLang: --reasoning-parser "
    "qwen3; llama.cpp: --reasoning-format deepseek; Ollama: reasoning arrives in a field by itself"
)

Level = Literal["ok", "warn", "fail", "info"]


@dataclass(frozen=True)
class Finding:
    """One observation of a probe, with what to do about it (if anything)."""

    probe: Literal["tools", "reasoning"]
    level: Level
    message: str
    fix: str | None = None


@dataclass
class Diagnosis:
    """What the probes found and the ``--tool-call-parser`` agentscaler should use."""

    base_url: str
    model: str
    findings: list[Finding] = field(default_factory=list)
    tool_call_parser: str | None = None
    """``auto`` (native calls or any text format), a format name, or None (no usable calls)."""

    @property
    def ok(self) -> bool:
        """True when tool calls work, natively or through a text parser."""
        return self.tool_call_parser is not None and all(f.level != "fail" for f in self.findings)


def _message(body: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], Mapping) else {}
    message = choice.get("message")
    return (dict(message) if isinstance(message, Mapping) else {}), choice.get("finish_reason")


def judge_tools(body: Mapping[str, Any]) -> tuple[list[Finding], str | None]:
    """Findings of the tool-call probe's raw answer, and the parser that reads its calls."""
    message, finish = _message(body)
    findings: list[Finding] = []
    if finish == "length":
        findings.append(
            Finding("tools", "warn", "the answer was cut at the token limit (finish_reason=length)",
                    "raise max_tokens or the server's default generation length")
        )  # fmt: skip
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls:
        names = [
            (c.get("function") or {}).get("name") if isinstance(c, Mapping) else None for c in calls
        ]
        if None in names or not all(names):
            findings.append(
                Finding("tools", "warn", f"tool_calls holds unusable entries: {calls!r}"[:300],
                        "agentscaler asks again on such answers; update the server")
            )  # fmt: skip
        arguments = [(c.get("function") or {}).get("arguments") for c in calls if c]
        if not all(_is_object(a) for a in arguments):
            findings.append(
                Finding("tools", "warn", f"tool-call arguments are not JSON objects: {arguments!r}"
                        [:300], "agentscaler answers them with a tool error")
            )  # fmt: skip
        findings.append(Finding("tools", "ok", "tool calls arrive structured (tool_calls)"))
        return findings, "auto"
    content, _ = split_reasoning(text_of(message.get("content")))
    for parser in PARSERS:
        found = extract_tool_calls(content, parser, ("get_weather",))
        if found is not None and any(c.name == "get_weather" for c in found.calls):
            findings.append(
                Finding(
                    "tools",
                    "warn",
                    f"tool calls arrive as {parser} text in the content: the server has no tool "
                    f"parser for this model (agentscaler reads them with --tool-call-parser "
                    f"{parser}; auto finds them too)",
                    f"start the server with its tool parser: {SERVER_TOOL_FLAGS}",
                )
            )
            return findings, parser
    findings.append(
        Finding(
            "tools",
            "fail",
            "the model answered without calling the tool"
            + (f": {content[:160]!r}" if content else " (empty answer)"),
            f"check that the chat template supports tools: {SERVER_TOOL_FLAGS}",
        )
    )
    return findings, None


def judge_reasoning(body: Mapping[str, Any]) -> list[Finding]:
    """Findings of the reasoning probe's raw answer."""
    message, finish = _message(body)
    field_name = next((k for k in REASONING_KEYS if message.get(k)), None)
    content, inline = split_reasoning(text_of(message.get("content")))
    findings: list[Finding] = []
    if field_name is not None:
        findings.append(
            Finding("reasoning", "ok", f"reasoning arrives in the {field_name!r} field")
        )
    if inline:
        findings.append(
            Finding(
                "reasoning",
                "warn",
                "reasoning arrives inline in the content (<think> tags): the server has no "
                "reasoning parser (agentscaler moves it out of the content either way)",
                f"start the server with its reasoning parser: {SERVER_REASONING_FLAGS}",
            )
        )
    if field_name is None and not inline:
        findings.append(
            Finding("reasoning", "info", "no reasoning seen (a model without thinking, or off)")
        )
    if finish == "length":
        findings.append(
            Finding("reasoning", "warn", "the answer was cut at the token limit while thinking",
                    "raise max_tokens, or turn thinking off for the user model")
        )  # fmt: skip
    elif not (content or "").strip():
        findings.append(Finding("reasoning", "warn", "the answer has no text besides reasoning"))
    return findings


def _is_object(arguments: Any) -> bool:
    if isinstance(arguments, Mapping):
        return True
    try:
        return isinstance(json.loads(arguments), dict)
    except (TypeError, ValueError):
        return False


def _refusal(exc: LLMError) -> Finding:
    text = str(exc)
    if "auto" in text and ("tool-choice" in text or "tool_choice" in text or "parser" in text):
        return Finding(
            "tools",
            "fail",
            f"the server refuses tool requests: {text}",
            "vLLM: add --enable-auto-tool-choice --tool-call-parser hermes (or the model's parser)",
        )
    return Finding("tools", "fail", f"the tool probe failed: {text}", None)


async def diagnose(config: LLMConfig) -> Diagnosis:
    """Run both probes against ``config``'s server and model."""
    diagnosis = Diagnosis(base_url=config.base_url, model=config.model)
    async with ChatClient(config) as client:
        try:
            body = await client.complete_raw(TOOL_PROBE, [PROBE_TOOL])
        except LLMRequestRejected as exc:
            diagnosis.findings.append(_refusal(exc))
        except LLMError as exc:
            diagnosis.findings.append(Finding("tools", "fail", str(exc)))
            return diagnosis  # the server cannot be used at all: no second probe
        else:
            found, parser = judge_tools(body)
            diagnosis.findings += found
            diagnosis.tool_call_parser = parser
        try:
            body = await client.complete_raw(REASONING_PROBE)
        except LLMError as exc:
            diagnosis.findings.append(Finding("reasoning", "fail", str(exc)))
        else:
            diagnosis.findings += judge_reasoning(body)
    return diagnosis


def run_diagnosis(config: LLMConfig) -> Diagnosis:
    """:func:`diagnose` for synchronous callers."""
    return asyncio.run(diagnose(config))
