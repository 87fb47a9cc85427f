"""A mock transport for unit tests: a :class:`ChatClient` whose requests never leave the
process, answered by a Python function or by a script of replies.

    llm = MockLLM(["first answer", reply_status(500), {"tool_calls": [tool_call("f", {})]}])
    client = llm.client()                      # a ChatClient with instant backoff
    result = client.chat_sync([{"role": "user", "content": "hi"}])
    llm.requests                               # the JSON bodies the client sent

Each HTTP attempt takes the next scripted reply (retries included), or calls ``handler(body)``
(sync or async). A reply is a :class:`MockReply` (status, body, headers, delay, or a transport
error), a full completion dict (with ``choices``), an assistant message dict, or a string (the
content). Built on ``httpx2.MockTransport``, the transport of the openai SDK's HTTP client.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentscaler.llm.client import ChatClient
from agentscaler.llm.config import LLMConfig
from agentscaler.llm.stub.brains import normalize_reply, reply, tool_call

__all__ = [
    "MockLLM",
    "MockReply",
    "completion_body",
    "mock_config",
    "reply",
    "reply_status",
    "tool_call",
]

MOCK_BASE_URL = "http://mock-llm.invalid/v1"


@dataclass(frozen=True)
class MockReply:
    """One scripted HTTP answer.

    ``body``: a dict or list (sent as JSON), or str/bytes sent verbatim (e.g. a broken body).
    ``error``: instead of answering, fail like the network would: ``"connect"`` (refused),
    ``"read"`` (connection dropped mid-answer) or ``"timeout"`` (a read timeout).
    ``delay_s``: wait before answering (longer than ``timeout_s`` makes the client time out).
    """

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    error: Literal["connect", "read", "timeout"] | None = None


MockAnswer = MockReply | Mapping[str, Any] | str
Handler = Callable[[dict[str, Any]], MockAnswer | Awaitable[MockAnswer]]


def reply_status(
    status: int, message: str = "", *, retry_after_s: float | None = None, delay_s: float = 0.0
) -> MockReply:
    """An OpenAI-style error answer; ``retry_after_s`` sets ``Retry-After``/``retry-after-ms``."""
    headers: dict[str, str] = {}
    if retry_after_s is not None:
        headers["retry-after-ms"] = str(int(retry_after_s * 1000))
        headers["retry-after"] = str(max(0, int(-(-retry_after_s // 1))))
    body = {"error": {"message": message or f"mock HTTP {status}", "type": "mock", "code": status}}
    return MockReply(status=status, body=body, headers=headers, delay_s=delay_s)


def completion_body(
    message: Mapping[str, Any] | str,
    *,
    model: str = "mock",
    finish_reason: str | None = None,
    usage: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A chat-completions response body around an assistant message."""
    msg = normalize_reply(message if isinstance(message, str) else dict(message))
    if finish_reason is None:
        finish_reason = "tool_calls" if msg.get("tool_calls") else "stop"
    body: dict[str, Any] = {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": msg, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = dict(usage)
    return body


def mock_config(**overrides: Any) -> LLMConfig:
    """An LLMConfig for mock clients: the mock URL and no waiting between retries."""
    values: dict[str, Any] = {
        "base_url": MOCK_BASE_URL,
        "model": "mock",
        "backoff_base_s": 0.0,
        "backoff_max_s": 0.0,
        "retry_after_max_s": 0.0,
    }
    values.update(overrides)
    return LLMConfig(**values)


class MockLLM:
    """Answers a ChatClient's requests in-process from a ``handler`` or a ``script``."""

    def __init__(self, script_or_handler: Iterable[MockAnswer] | Handler) -> None:
        if callable(script_or_handler):
            self._handler: Handler | None = script_or_handler
            self._script: deque[MockAnswer] = deque()
        else:
            self._handler = None
            self._script = deque(script_or_handler)
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """JSON bodies of every HTTP attempt, in arrival order."""
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def remaining(self) -> int:
        """Scripted replies not used yet."""
        return len(self._script)

    def transport(self) -> Any:
        """The ``httpx2.MockTransport`` that answers requests."""
        import httpx2

        return httpx2.MockTransport(self._handle)

    def http_client(self) -> Any:
        """An ``httpx2.AsyncClient`` over :meth:`transport`."""
        import httpx2

        return httpx2.AsyncClient(transport=self.transport())

    def client(self, config: LLMConfig | None = None, **config_overrides: Any) -> ChatClient:
        """A ChatClient answered by this mock (default config: :func:`mock_config`)."""
        cfg = config or mock_config(**config_overrides)
        return ChatClient(cfg, http_client=self.http_client(), owns_http_client=True)

    async def _next(self, body: dict[str, Any]) -> MockAnswer:
        if self._handler is not None:
            answer = self._handler(body)
            if inspect.isawaitable(answer):
                answer = await answer
            return answer
        with self._lock:
            if self._script:
                return self._script.popleft()
        return reply_status(
            400,
            f"MockLLM script ran out after {len(self.requests) - 1} requests; script more replies",
        )

    async def _handle(self, request: Any) -> Any:
        import httpx2

        body = json.loads(request.content) if request.content else {}
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            answer = await self._next(body)
            if not isinstance(answer, MockReply):
                answer = MockReply(body=_as_body(answer, body))
            if answer.delay_s:
                await asyncio.sleep(answer.delay_s)
        finally:
            with self._lock:
                self.in_flight -= 1
        if answer.error == "connect":
            raise httpx2.ConnectError("mock: connection refused", request=request)
        if answer.error == "read":
            raise httpx2.ReadError("mock: connection dropped", request=request)
        if answer.error == "timeout":
            raise httpx2.ReadTimeout("mock: read timed out", request=request)
        content = answer.body
        headers = dict(answer.headers)
        if isinstance(content, dict | list):
            content = json.dumps(content).encode()
            headers.setdefault("content-type", "application/json")
        elif isinstance(content, str):
            content = content.encode()
        return httpx2.Response(answer.status, headers=headers, content=content or b"")


def _as_body(answer: Mapping[str, Any] | str, request: Mapping[str, Any]) -> dict[str, Any]:
    model = str(request.get("model") or "mock")
    if isinstance(answer, Mapping) and "choices" in answer:
        return dict(answer)
    return completion_body(answer, model=model)
