"""Tool calls written as text, for servers started without a tool parser.

A server that serves a model without its tool parser (vLLM without ``--tool-call-parser``,
llama.cpp without ``--jinja``, a proxy) returns the model's tool calls as plain text in
``content``. Each format has a named parser here:

* ``hermes``: Hermes / Qwen ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks
  (the last one may lack its closing tag); Qwen3-Coder's XML body
  ``<function=NAME><parameter=KEY>VALUE</parameter></function>`` inside the tags is read too.
* ``llama3``: Llama 3.x JSON, ``{"name": ..., "parameters": {...}}``, optionally after
  ``<|python_tag|>``, several separated by ``;``.
* ``mistral``: ``[TOOL_CALLS]`` followed by a JSON list of calls, or by ``NAME[ARGS]{...}``
  (newer Mistral tokenizers), text before the marker being the message's content.
* ``json``: the whole text is one JSON call object (``{"name", "arguments"}``,
  ``{"function": {...}}``, ``{"tool_calls": [...]}``) or a list of them, optionally in a
  ```` ```json ```` fence.

``auto`` picks the parser from the text's markers; without a marker, a text that is a JSON call
counts as a call only when it names an offered tool (a JSON answer is otherwise kept as text).
A call whose arguments are not valid JSON keeps them as the raw text: the episode answers it
with a tool error, as it does for a native call with broken arguments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ParserName = Literal["auto", "none", "hermes", "llama3", "mistral", "json"]
PARSERS: tuple[str, ...] = ("hermes", "llama3", "mistral", "json")
"""The named text formats (``auto`` tries them by marker; ``none`` never parses text)."""


@dataclass(frozen=True, slots=True)
class TextCall:
    """One tool call read from text: its name and its arguments as JSON text (raw if broken)."""

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    """The text's tool calls and what is left of the text (None when nothing is)."""

    parser: str
    content: str | None
    calls: tuple[TextCall, ...]


_DECODER = json.JSONDecoder()
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.S)
_XML_FUNCTION = re.compile(r"<function=([^>\s]+)>(.*?)(?:</function>|\Z)", re.S)
_XML_PARAMETER = re.compile(r"<parameter=([^>\s]+)>\s*(.*?)\s*(?:</parameter>|\Z)", re.S)
_NAME = re.compile(r'"name"\s*:\s*"([^"\\]+)"')
_ARGUMENTS = re.compile(r'"(?:arguments|parameters)"\s*:\s*(.*?)\s*\}?\s*\Z', re.S)
_FENCE = re.compile(r"\A```(?:json)?\s*\n?(.*?)\n?\s*```\Z", re.S)
_MISTRAL_ARGS = re.compile(r"\s*([A-Za-z0-9_.\-]+)(?:\[CALL_ID\]([A-Za-z0-9]+))?\[ARGS\]")
PYTHON_TAG = "<|python_tag|>"
MISTRAL_MARKER = "[TOOL_CALLS]"


def _arguments_text(value: Any) -> str:
    if value is None:
        return "{}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _call_from_object(obj: Any) -> TextCall | None:
    """A call from ``{"name", "arguments"|"parameters"}`` or ``{"function": {...}, "id"}``."""
    if not isinstance(obj, Mapping):
        return None
    function = obj.get("function")
    source = function if isinstance(function, Mapping) else obj
    name = source.get("name")
    if not isinstance(name, str) or not name:
        return None
    arguments = source.get("arguments", source.get("parameters"))
    call_id = obj.get("id")
    return TextCall(name, _arguments_text(arguments), call_id if isinstance(call_id, str) else None)


def _broken_call(text: str) -> TextCall:
    """A call whose JSON does not parse: the name if it can be read, the raw arguments."""
    name = _NAME.search(text)
    arguments = _ARGUMENTS.search(text)
    return TextCall(name.group(1) if name else "", arguments.group(1) if arguments else text)


def _decode_all(text: str, separators: str = ";, \n\t\r") -> list[Any] | None:
    """Every JSON value of ``text`` in order (separated by ``separators``), or None."""
    values: list[Any] = []
    position, end = 0, len(text)
    while True:
        while position < end and text[position] in separators:
            position += 1
        if position >= end:
            return values
        try:
            value, position = _DECODER.raw_decode(text, position)
        except ValueError:
            return None
        values.append(value)


def _calls_of_values(values: list[Any]) -> list[TextCall] | None:
    """Calls from decoded JSON values (objects, lists of objects, ``{"tool_calls": [...]}``)."""
    calls: list[TextCall] = []
    for value in values:
        items = value if isinstance(value, list) else [value]
        if len(items) == 1 and isinstance(items[0], Mapping) and "tool_calls" in items[0]:
            nested = items[0]["tool_calls"]
            items = nested if isinstance(nested, list) else [nested]
        for item in items:
            call = _call_from_object(item)
            if call is None:
                return None
            calls.append(call)
    return calls or None


def _clean(text: str) -> str | None:
    text = text.strip()
    return text or None


# --- the parsers ----------------------------------------------------------------------------------


def parse_hermes(text: str) -> Extracted | None:
    if "<tool_call>" not in text:
        return None
    calls: list[TextCall] = []
    for block in _HERMES.findall(text):
        if block.startswith("<function="):
            calls.extend(_xml_calls(block))
            continue
        try:
            value = json.loads(block)
        except ValueError:
            calls.append(_broken_call(block))
            continue
        call = _call_from_object(value)
        calls.append(call if call is not None else _broken_call(block))
    return Extracted("hermes", _clean(_HERMES.sub("", text)), tuple(calls))


def _xml_calls(block: str) -> list[TextCall]:
    """Qwen3-Coder's ``<function=NAME><parameter=KEY>VALUE</parameter></function>``."""
    calls = []
    for name, body in _XML_FUNCTION.findall(block):
        arguments: dict[str, Any] = {}
        for key, raw in _XML_PARAMETER.findall(body):
            try:
                arguments[key] = json.loads(raw)
            except ValueError:
                arguments[key] = raw
        calls.append(TextCall(name, json.dumps(arguments, ensure_ascii=False)))
    return calls


def parse_llama3(text: str) -> Extracted | None:
    body = text.strip()
    tagged = body.startswith(PYTHON_TAG)
    if tagged:
        body = body[len(PYTHON_TAG) :]
    elif not body.startswith("{"):
        return None
    values = _decode_all(body)
    if values is None:
        return Extracted("llama3", None, (_broken_call(body),)) if _NAME.search(body) else None
    if not tagged and not all(isinstance(v, Mapping) and "parameters" in v for v in values):
        return None  # Llama 3 writes "parameters"; other JSON is the json parser's
    calls = _calls_of_values(values)
    return Extracted("llama3", None, tuple(calls)) if calls else None


def parse_mistral(text: str) -> Extracted | None:
    head, marker, tail = text.partition(MISTRAL_MARKER)
    if not marker:
        return None
    calls: list[TextCall] = []
    for part in tail.split(MISTRAL_MARKER):
        body = part.strip()
        if body.startswith(("[", "{")):
            values = _decode_all(body)
            found = _calls_of_values(values) if values is not None else None
            calls.extend(found if found is not None else [_broken_call(body)])
            continue
        calls.extend(_mistral_named(body))
    return Extracted("mistral", _clean(head), tuple(calls))


def _mistral_named(body: str) -> list[TextCall]:
    """``NAME[ARGS]{...}NAME2[ARGS]{...}`` (optionally ``NAME[CALL_ID]id[ARGS]{...}``)."""
    calls = []
    position = 0
    while position < len(body):
        match = _MISTRAL_ARGS.match(body, position)
        if match is None:
            break
        name, call_id = match.group(1), match.group(2)
        start = match.end()
        try:
            value, position = _DECODER.raw_decode(body, start)
        except ValueError:
            next_call = _MISTRAL_ARGS.search(body, start)
            stop = next_call.start() if next_call else len(body)
            calls.append(TextCall(name, body[start:stop].strip(), call_id))
            position = stop
            continue
        calls.append(TextCall(name, _arguments_text(value), call_id))
    return calls


def parse_json(text: str) -> Extracted | None:
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body.startswith(("{", "[")):
        return None
    values = _decode_all(body, separators=" \n\t\r")
    if values is None:
        return None
    calls = _calls_of_values(values)
    return Extracted("json", None, tuple(calls)) if calls else None


NAMED: dict[str, Callable[[str], Extracted | None]] = {
    "hermes": parse_hermes,
    "llama3": parse_llama3,
    "mistral": parse_mistral,
    "json": parse_json,
}


def extract_tool_calls(
    text: str | None,
    parser: str = "auto",
    tool_names: Collection[str] | Callable[[], Collection[str]] = (),
) -> Extracted | None:
    """The tool calls written in ``text`` by the format ``parser`` names, or None (no call).

    With ``auto``, ``<tool_call>`` means hermes, ``[TOOL_CALLS]`` mistral, ``<|python_tag|>``
    llama3; a text that is only JSON counts as calls when every name is in ``tool_names`` (a
    collection, or a function giving it, called only then).
    """
    if not text or parser == "none":
        return None
    if parser != "auto":
        try:
            return NAMED[parser](text)
        except KeyError:
            raise ValueError(
                f"unknown tool-call parser {parser!r}; use auto, none or one of {list(PARSERS)}"
            ) from None
    if "<tool_call>" in text:
        return parse_hermes(text)
    if MISTRAL_MARKER in text:
        return parse_mistral(text)
    if PYTHON_TAG in text:
        return parse_llama3(text)
    first = text.lstrip()[:1]
    if first not in ("{", "[", "`"):
        return None
    found = parse_json(text)
    if found is None:
        return None
    names = tool_names() if callable(tool_names) else tool_names
    return found if all(c.name in names for c in found.calls) else None
