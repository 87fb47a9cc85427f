"""Brains: what the stub server answers.

A brain is any object with ``respond(request) -> message`` (plain or ``async def``):

* ``request`` is the JSON body of the chat-completions request, as sent by the client
  (``model``, ``messages``, ``tools``, ``temperature`` ...). Do not modify it.
* The returned message is the assistant message: a dict with ``content`` and/or ``tool_calls``
  (OpenAI shape, or the short form ``{"name": ..., "arguments": {...}}`` that :func:`tool_call`
  builds; argument dicts are serialized, strings are kept verbatim so a brain can return broken
  JSON on purpose). A plain string is shorthand for ``{"content": string}``.
* Raising :class:`BrainError` answers HTTP 400 with its message (a test set-up problem the
  client must not retry); any other exception answers HTTP 500.

A brain may also have ``models() -> list[str]``, listed by ``GET /v1/models``.
"""

from __future__ import annotations

import importlib
import json
import threading
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from agentscaler.errors import ConfigError, LLMError

Reply = dict[str, Any] | str
"""What a brain returns: an assistant message dict, or a string (its content)."""


class BrainError(LLMError):
    """A brain cannot answer this request (e.g. a script ran out); the stub answers HTTP 400."""


@runtime_checkable
class Brain(Protocol):
    """Decides the assistant message for a chat-completions request."""

    def respond(self, request: dict[str, Any]) -> Reply | Awaitable[Reply]: ...


def tool_call(
    name: str, arguments: Mapping[str, Any] | str | None = None, id: str | None = None
) -> dict[str, Any]:
    """A tool call in OpenAI shape (a dict of arguments becomes JSON text)."""
    args = arguments if isinstance(arguments, str) else json.dumps(dict(arguments or {}))
    return {
        "id": id or f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": args},
    }


def reply(
    content: str | None = None, tool_calls: Iterable[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """An assistant message with ``content`` and/or ``tool_calls``."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [normalize_tool_call(c) for c in tool_calls]
    return message


def normalize_tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    """Accept an OpenAI-shaped tool call or the short ``{"name", "arguments"}`` form."""
    if "function" in call:
        function = dict(call["function"])
        args = function.get("arguments")
        if args is not None and not isinstance(args, str):
            function["arguments"] = json.dumps(args)
        return {
            "id": call.get("id") or f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": function,
        }
    if "name" not in call:
        raise BrainError(f"a tool call needs a 'name' or a 'function' field: {dict(call)!r}")
    return tool_call(call["name"], call.get("arguments"), call.get("id"))


def normalize_reply(value: Reply) -> dict[str, Any]:
    """A brain's return value as an OpenAI assistant message dict."""
    if isinstance(value, str):
        return {"role": "assistant", "content": value}
    if not isinstance(value, Mapping):
        raise BrainError(f"a brain returned {type(value).__name__}; expected a dict or a string")
    message = dict(value)
    message["role"] = "assistant"
    message.setdefault("content", None)
    if message.get("tool_calls"):
        message["tool_calls"] = [normalize_tool_call(c) for c in message["tool_calls"]]
    else:
        message.pop("tool_calls", None)
    return message


def last_text(request: Mapping[str, Any], role: str | None = None) -> str:
    """Content of the last message (of ``role``, if given) in the request, or ''."""
    for message in reversed(request.get("messages") or []):
        if role is None or message.get("role") == role:
            content = message.get("content")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
            return content or ""
    return ""


class EchoBrain:
    """Answers with the text of the last user message (prefixed by ``prefix``)."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def respond(self, request: dict[str, Any]) -> Reply:
        return {"content": self.prefix + last_text(request, "user")}


class FunctionBrain:
    """Wraps a plain function ``fn(request) -> reply`` (sync or async) as a brain."""

    def __init__(self, fn: Callable[[dict[str, Any]], Reply | Awaitable[Reply]]) -> None:
        self.fn = fn

    def respond(self, request: dict[str, Any]) -> Reply | Awaitable[Reply]:
        return self.fn(request)


class ScriptedBrain:
    """Canned replies in order: one queue, or one queue per model name.

    ``ScriptedBrain(["broken code", "good code"])`` answers the first request with the first
    reply, and so on; ``ScriptedBrain({"agent": [...], "user": [...]})`` keeps a queue per model.
    When a queue is empty it raises :class:`BrainError` (HTTP 400), or repeats its last reply
    with ``repeat_last=True``. Every request is kept in :attr:`requests` for assertions.
    """

    def __init__(
        self, replies: Iterable[Reply] | Mapping[str, Iterable[Reply]], *, repeat_last: bool = False
    ) -> None:
        if isinstance(replies, Mapping):
            self._queues: dict[str | None, deque[Reply]] = {m: deque(r) for m, r in replies.items()}
        else:
            self._queues = {None: deque(replies)}
        self.repeat_last = repeat_last
        self._last: dict[str | None, Reply] = {}
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []

    def models(self) -> list[str]:
        return [m for m in self._queues if m is not None] or ["scripted"]

    def remaining(self, model: str | None = None) -> int:
        """Replies left in the queue of ``model`` (the single queue when not per model)."""
        key = model if model in self._queues else None
        return len(self._queues.get(key, ()))

    def respond(self, request: dict[str, Any]) -> Reply:
        model = request.get("model")
        key = None if None in self._queues else model
        with self._lock:
            self.requests.append(request)
            queue = self._queues.get(key)
            if queue is None:
                raise BrainError(
                    f"ScriptedBrain has no replies for model {model!r}; "
                    f"scripted models: {sorted(k for k in self._queues if k is not None)}"
                )
            if queue:
                self._last[key] = queue.popleft()
                return self._last[key]
            if self.repeat_last and key in self._last:
                return self._last[key]
        where = "" if key is None else f" for model {model!r}"
        raise BrainError(
            f"ScriptedBrain ran out of replies{where} after {len(self.requests) - 1} requests; "
            "script more replies or pass repeat_last=True"
        )


class RoutingBrain:
    """Dispatches by the request's ``model``: one server plays several models at once.

    ``RoutingBrain({"agent": OracleLikeBrain(), "user": ScriptedBrain([...])}, default=None)``;
    an unknown model answers HTTP 400 naming the known ones (unless ``default`` is given).
    """

    def __init__(self, routes: Mapping[str, Brain], default: Brain | None = None) -> None:
        self.routes = dict(routes)
        self.default = default

    def models(self) -> list[str]:
        return sorted(self.routes)

    def respond(self, request: dict[str, Any]) -> Reply | Awaitable[Reply]:
        brain = self.routes.get(request.get("model", ""), self.default)
        if brain is None:
            raise BrainError(
                f"the stub server has no model {request.get('model')!r}; "
                f"it serves {sorted(self.routes)}"
            )
        return brain.respond(request)


RuleBrain = RoutingBrain
"""Alias: routing by model name is the rule."""


class ToolEchoBrain:
    """A cheap agent-like brain for demos and benchmarks: when the request offers tools and the
    last message is not a tool result, call the first tool with ``{}``; otherwise answer text."""

    def respond(self, request: dict[str, Any]) -> Reply:
        tools = request.get("tools") or []
        messages = request.get("messages") or []
        if tools and (not messages or messages[-1].get("role") != "tool"):
            name = (tools[0].get("function") or {}).get("name", "tool")
            return {"content": None, "tool_calls": [tool_call(name, {})]}
        return {"content": "done: " + last_text(request)}


NAMED_BRAINS: dict[str, str] = {
    "echo": "agentscaler.llm.stub.brains:EchoBrain",
    "tool-echo": "agentscaler.llm.stub.brains:ToolEchoBrain",
    "simulation": "agentscaler.simulate.stub_brain:SimulationBrain",
}
"""Short names for ``load_brain`` (``simulation``: the oracle agent and scripted user of a run's
tasks, ``--brain-option tasks=RUN_FOLDER``)."""


def load_script(path: Path) -> ScriptedBrain:
    """A ScriptedBrain from a JSON file: a list of replies, or an object model -> list."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the brain script {path}: {exc}") from exc
    if not isinstance(data, list | dict):
        raise ConfigError(
            f"{path}: a brain script is a JSON list of replies or an object model -> list"
        )
    return ScriptedBrain(data)


def load_brain(spec: str, options: Mapping[str, Any] | None = None) -> Brain:
    """A brain from a CLI spec: a name of :data:`NAMED_BRAINS`, ``script:FILE.json``, or
    ``package.module:factory`` (a class or function called with ``options`` as keywords)."""
    options = dict(options or {})
    if spec.startswith("script:"):
        if options:
            raise ConfigError("a script: brain takes no --brain-option")
        return load_script(Path(spec.removeprefix("script:")))
    target = NAMED_BRAINS.get(spec, spec)
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(
            f"unknown brain {spec!r}; use one of {sorted(NAMED_BRAINS)}, script:FILE.json "
            "or package.module:factory"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load brain {spec!r}: {exc}") from exc
    if not callable(factory):
        raise ConfigError(f"brain {spec!r} is not a class or a factory function")
    try:
        brain = factory(**options)
    except TypeError as exc:
        raise ConfigError(
            f"brain {spec!r} does not accept options {sorted(options)}: {exc}"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"brain {spec!r} cannot start: {exc}") from exc
    if not hasattr(brain, "respond") and callable(brain):
        brain = FunctionBrain(brain)
    if not isinstance(brain, Brain):
        raise ConfigError(f"brain {spec!r} gave {type(brain).__name__}, which has no respond()")
    return brain
