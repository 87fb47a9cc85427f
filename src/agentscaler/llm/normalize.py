"""The response normaliser: what a server answered, made into one clean assistant message.

Every answer of :class:`~agentscaler.llm.ChatClient` goes through :func:`normalize_message`, so
no server quirk reaches a policy, an episode record or a dataset row:

* reasoning goes to ``Message.reasoning_content``, never to ``content``: the
  ``reasoning_content`` / ``reasoning`` fields, ``<think>...</think>`` blocks in the content, a
  content that ends its reasoning with ``</think>`` without the opening tag (Qwen3 templates
  open it in the prompt), and an unclosed ``<think>`` (reasoning cut short);
* tool calls the model wrote as text are parsed (:mod:`agentscaler.llm.tool_parsers`) when the
  request offered tools and the answer has no structured ones;
* a ``tool_calls`` entry that is null, not an object, or has no function name makes the answer
  unusable: :class:`~agentscaler.errors.LLMResponseError`, which the client retries;
* missing call ids are filled in; arguments sent as objects become JSON text, arguments sent as a
  JSON string holding a JSON object are unwrapped.

Per episode, :class:`CallIds` makes call ids unique (servers that number calls per answer reuse
them across turns) and :func:`wire_arguments` gives the arguments to send back to a server: a
valid JSON object text, whatever the model produced (the record keeps the raw text).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from agentscaler.errors import LLMResponseError
from agentscaler.llm.tool_parsers import extract_tool_calls
from agentscaler.records import Message, ToolCall, ToolCallFunction

REASONING_KEYS = ("reasoning_content", "reasoning")
"""Where servers put a reasoning trace (vLLM/SGLang/DeepSeek: ``reasoning_content``; Ollama,
OpenRouter, llama.cpp with some settings: ``reasoning``)."""

_OPEN_TAGS = ("<think>", "<thinking>")
_BLOCK = re.compile(r"<(think|thinking)>(.*?)(?:</\1>|\Z)", re.S)
_CLOSE = re.compile(r"</(?:think|thinking)>")
_MISTRAL_ID = re.compile(r"[A-Za-z0-9]{9}")


def text_of(content: Any) -> str | None:
    """A message's content as text (content parts joined, non-text parts dropped)."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return str(content)


def split_reasoning(content: str | None) -> tuple[str | None, str | None]:
    """``(content, reasoning)``: reasoning written in the content moved out of it.

    The content left is stripped and None when empty; reasoning is None when there was none.
    """
    if not content or "think" not in content:
        return content, None
    parts: list[str] = []
    rest = content
    close = None
    for close in _CLOSE.finditer(rest):  # noqa: B007 - the last closing tag
        pass
    if close is not None and not any(tag in rest[: close.start()] for tag in _OPEN_TAGS):
        parts.append(rest[: close.start()])  # "reasoning</think>answer": opened in the prompt
        rest = rest[close.end() :]
    if any(tag in rest for tag in _OPEN_TAGS):
        parts.extend(m.group(2) for m in _BLOCK.finditer(rest))
        rest = _BLOCK.sub("", rest)
        rest = _CLOSE.sub("", rest)
    if not parts:
        return content, None
    reasoning = "\n\n".join(p.strip() for p in parts if p.strip())
    return rest.strip() or None, reasoning or None


def _arguments(raw: Any, where: str) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        if raw[:1] == '"':  # a JSON string holding the JSON object (double-encoded)
            try:
                inner = json.loads(raw)
            except ValueError:
                return raw
            if isinstance(inner, str) and inner.lstrip()[:1] == "{":
                try:
                    if isinstance(json.loads(inner), dict):
                        return inner
                except ValueError:
                    pass
        return raw
    if isinstance(raw, Mapping | list):
        return json.dumps(raw, ensure_ascii=False)
    raise LLMResponseError(f"{where}: arguments are a {type(raw).__name__}, not JSON text")


def _new_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def tool_call_of(raw: Any, index: int) -> ToolCall:
    """One structured ``tool_calls`` entry (raises LLMResponseError when it is unusable)."""
    where = f"tool_calls[{index}]"
    if not isinstance(raw, Mapping):
        raise LLMResponseError(f"{where} is {raw!r}, not a tool-call object")
    function = raw.get("function")
    if not isinstance(function, Mapping):
        raise LLMResponseError(f"{where} has no 'function' object: {function!r}")
    name = function.get("name")
    if not isinstance(name, str) or not name.strip():
        raise LLMResponseError(f"{where} has no function name: {dict(function)!r}"[:300])
    call_id = raw.get("id")
    return ToolCall(
        id=str(call_id) if call_id else _new_id(),
        function=ToolCallFunction(
            name=name.strip(), arguments=_arguments(function.get("arguments"), where)
        ),
    )


def _tool_names(tools: Any) -> frozenset[str]:
    names = set()
    for tool in tools or ():
        if isinstance(tool, Mapping):
            function = tool.get("function")
            if isinstance(function, Mapping) and isinstance(function.get("name"), str):
                names.add(function["name"])
    return frozenset(names)


def normalize_message(
    data: Mapping[str, Any],
    *,
    tools: Collection[Any] | None = None,
    parser: str = "auto",
) -> Message:
    """The assistant message of a choice, normalised (see the module's docstring).

    ``tools`` are the tools the request offered (text tool calls are parsed only then) and
    ``parser`` the text format (``auto``, ``none``, ``hermes``, ``llama3``, ``mistral``, ``json``).
    """
    content, inline = split_reasoning(text_of(data.get("content")))
    reasoning = None
    for key in REASONING_KEYS:
        value = data.get(key)
        if value:
            reasoning = text_of(value)
            break
    if inline:
        reasoning = f"{reasoning}\n\n{inline}" if reasoning else inline
    raw_calls = data.get("tool_calls")
    calls: tuple[ToolCall, ...] | None = None
    if raw_calls:
        if not isinstance(raw_calls, list):
            raise LLMResponseError(f"tool_calls is a {type(raw_calls).__name__}, not a list")
        calls = tuple(tool_call_of(call, i) for i, call in enumerate(raw_calls))
    elif tools and content:
        found = extract_tool_calls(content, parser, lambda: _tool_names(tools))
        if found is not None and found.calls:
            content = found.content
            calls = tuple(
                ToolCall(
                    id=call.id or _new_id(),
                    function=ToolCallFunction(name=call.name, arguments=call.arguments),
                )
                for call in found.calls
            )
    return Message(role="assistant", content=content, tool_calls=calls, reasoning_content=reasoning)


# --- per episode ----------------------------------------------------------------------------------


class CallIds:
    """The call ids an episode has used; :meth:`unique` renames the ones seen before."""

    __slots__ = ("_used",)

    def __init__(self) -> None:
        self._used: set[str] = set()

    def unique(self, message: Message) -> Message:
        """``message`` with every call id unused so far in the episode (the same object when
        nothing had to change). A renamed id keeps the shape of Mistral's 9-character ids."""
        calls = message.tool_calls
        if not calls:
            return message
        used = self._used
        renamed: list[ToolCall] | None = None
        for position, call in enumerate(calls):
            call_id = call.id
            if call_id in used or not call_id:
                call_id = self._fresh(call_id)
                if renamed is None:
                    renamed = list(calls)
                renamed[position] = call.model_copy(update={"id": call_id})
            used.add(call_id)
        if renamed is None:
            return message
        return message.model_copy(update={"tool_calls": tuple(renamed)})

    def _fresh(self, old: str) -> str:
        while True:
            mistral = _MISTRAL_ID.fullmatch(old or "")
            candidate = uuid.uuid4().hex[:9] if mistral else _new_id()
            if candidate not in self._used:
                return candidate


def wire_arguments(arguments: str) -> str:
    """Arguments to send back to a server: ``arguments`` when it is a JSON object text, else
    ``"{}"`` (servers such as vLLM and llama.cpp refuse a history holding invalid JSON)."""
    text = arguments.strip()
    if text[:1] == "{" and text[-1:] == "}":
        try:
            if isinstance(json.loads(text), dict):
                return arguments
        except (ValueError, RecursionError):
            pass
    return "{}"
