"""The stub OpenAI-compatible server (aiohttp): ``POST /v1/chat/completions``,
``POST /v1/embeddings`` (:mod:`agentscaler.llm.stub.embeddings`), ``GET /v1/models``,
``GET /health`` and ``GET /stats`` (its counters as JSON).

Run it in-process (``with StubServer(brain) as server: server.base_url``, or
``with serve(brain) as base_url``: a background thread with its own event loop), inside a
running loop (``await server.start_async()``), or as a process (``agentscaler stub serve``).
Answers are non-streaming; ``stream=true`` is refused with HTTP 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentscaler.errors import ConfigError
from agentscaler.llm.stub.brains import Brain, BrainError, EchoBrain, normalize_reply
from agentscaler.llm.stub.embeddings import EmbeddingPlan, EmbeddingRequestError, embeddings_answer
from agentscaler.llm.stub.faults import Fault, FaultPlan, break_arguments
from agentscaler.llm.stub.quirks import QuirkPlan

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024 * 1024
MAX_CUT_TEXTS = 100_000
SHUTDOWN_TIMEOUT_S = 0.5
_dumps = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)


@dataclass
class ServerStats:
    """Counters of a running stub server (read them from any thread)."""

    requests: int = 0
    """Chat-completion requests received (also the number of the latest one)."""
    in_flight: int = 0
    max_in_flight: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    quirks: Counter[str] = field(default_factory=Counter)
    """Answers each quirk changed (``truncated``, ``null_entry``, ``empty``, ``bad_history``)."""
    cut_texts: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_CUT_TEXTS))
    """The texts of answers cut at the token limit (the latest ones), for tests to look for."""
    texts_embedded: int = 0
    """Texts answered by ``POST /v1/embeddings``."""

    def as_dict(self) -> dict[str, Any]:
        """The counters as JSON data (what ``GET /stats`` answers)."""
        return {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "faults": dict(sorted(self.faults.items())),
            "quirks": dict(sorted(self.quirks.items())),
            "texts_embedded": self.texts_embedded,
        }

    def reset(self) -> None:
        """Zero every counter except the requests now in flight."""
        self.requests = 0
        self.max_in_flight = self.in_flight
        self.statuses.clear()
        self.faults.clear()
        self.quirks.clear()
        self.cut_texts.clear()
        self.texts_embedded = 0


def estimate_tokens(text: Any) -> int:
    """A rough token count: the number of whitespace-separated words (0 for non-strings)."""
    return len(text.split()) if isinstance(text, str) else 0


def _message_tokens(message: Mapping[str, Any]) -> int:
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    total = estimate_tokens(content)
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            total += estimate_tokens(function.get("name"))
            total += estimate_tokens(function.get("arguments"))
    return total


def usage_of(request: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, int]:
    """Estimated usage: words of the messages' contents and tool calls (+ the tools' JSON) in
    the prompt, words of the reply's content and tool calls in the completion."""
    prompt = sum(
        _message_tokens(m) for m in request.get("messages") or () if isinstance(m, Mapping)
    )
    if request.get("tools"):
        prompt += estimate_tokens(json.dumps(request["tools"]))
    completion = _message_tokens(message)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _error(status: int, message: str, kind: str, headers: Mapping[str, str] | None = None) -> Any:
    from aiohttp import web

    body = {"error": {"message": message, "type": kind, "code": status}}
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


class StubServer:
    """An OpenAI-compatible chat server whose answers come from ``brain``, whose failures come
    from ``faults`` and whose deviations from OpenAI's format come from ``quirks`` (both may be
    replaced between requests). ``port=0`` picks a free port (see :attr:`base_url` once started)."""

    def __init__(
        self,
        brain: Brain | None = None,
        faults: FaultPlan | None = None,
        *,
        quirks: QuirkPlan | None = None,
        embeddings: EmbeddingPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.brain: Brain = brain if brain is not None else EchoBrain()
        self.faults = faults or FaultPlan()
        self.quirks = quirks or QuirkPlan()
        self.embeddings = embeddings or EmbeddingPlan()
        self.host = host
        self.port = port
        self.stats = ServerStats()
        self._runner: Any = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port/v1`` (the port is known once the server has started)."""
        return f"http://{self.host}:{self.port}/v1"

    # --- HTTP handlers --------------------------------------------------------------------------

    def make_app(self) -> Any:
        from aiohttp import web

        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embed)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/health", self._health)
        app.router.add_get("/stats", self._stats)
        return app

    async def _health(self, request: Any) -> Any:
        from aiohttp import web

        return web.Response(text="ok")

    async def _stats(self, request: Any) -> Any:
        from aiohttp import web

        return web.json_response(self.stats.as_dict(), dumps=_dumps)

    async def _models(self, request: Any) -> Any:
        from aiohttp import web

        models_fn = getattr(self.brain, "models", None)
        names = list(models_fn()) if callable(models_fn) else ["stub"]
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "agentscaler-stub"}
            for n in names
        ]
        return web.json_response({"object": "list", "data": data}, dumps=_dumps)

    async def _chat(self, request: Any) -> Any:
        return await self._counted(self._answer, request)

    async def _embed(self, request: Any) -> Any:
        return await self._counted(self._embed_answer, request)

    async def _counted(self, handler: Any, request: Any) -> Any:
        stats = self.stats
        stats.requests += 1
        number = stats.requests
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight
        try:
            response = await handler(request, number)
        finally:
            stats.in_flight -= 1
        stats.statuses[response.status] += 1
        return response

    async def _inject(self, number: int) -> tuple[Fault, Any]:
        """Latency and the fault of request ``number``: ``(fault, error response or None)``."""
        from aiohttp import web

        plan = self.faults
        if not plan.active:
            return Fault.NONE, None
        fault = plan.fault_for(number)
        delay = plan.delay_for(number)
        if fault is not Fault.NONE:
            self.stats.faults[fault.value] += 1
        if delay:
            await asyncio.sleep(delay)
        if fault is Fault.HANG:
            await asyncio.sleep(plan.hang_s)
        elif fault is Fault.SERVER_ERROR:
            return fault, _error(500, f"injected server error (request {number})", "server_error")
        elif fault is Fault.RATE_LIMIT:
            wait = plan.retry_after_s
            headers = {
                "Retry-After": str(max(0, int(-(-wait // 1)))),
                "retry-after-ms": str(int(wait * 1000)),
            }
            message = f"injected rate limit (request {number})"
            return fault, _error(429, message, "rate_limit_error", headers)
        elif fault is Fault.INVALID_BODY:
            return fault, web.Response(
                text='{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess',
                content_type="application/json",
            )
        return fault, None

    async def _embed_answer(self, request: Any, number: int) -> Any:
        from aiohttp import web

        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the request body is not valid JSON", "invalid_request_error")
        _, refused = await self._inject(number)
        if refused is not None:
            return refused
        try:
            answer = embeddings_answer(body, self.embeddings)
        except EmbeddingRequestError as exc:
            return _error(400, str(exc), "invalid_request_error")
        self.stats.texts_embedded += len(answer["data"])
        return web.json_response(answer, dumps=_dumps)

    async def _answer(self, request: Any, number: int) -> Any:
        from aiohttp import web

        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the request body is not valid JSON", "invalid_request_error")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "the request needs a 'messages' list", "invalid_request_error")
        if body.get("stream"):
            return _error(
                400,
                "the stub server does not stream; send stream=false",
                "invalid_request_error",
            )
        fault, refused = await self._inject(number)
        if refused is not None:
            return refused
        quirks = self.quirks
        if quirks.active:
            problem = quirks.bad_history(body)
            if problem is not None:
                self.stats.quirks["bad_history"] += 1
                return _error(400, problem, "BadRequestError")
        try:
            result = self.brain.respond(body)
            if inspect.isawaitable(result):
                result = await result
            message = normalize_reply(result)
        except BrainError as exc:
            return _error(400, str(exc), "invalid_request_error")
        except Exception as exc:
            log.exception("stub brain %s failed on request %d", type(self.brain).__name__, number)
            return _error(500, f"brain {type(self.brain).__name__} failed: {exc!r}", "server_error")
        if fault is Fault.MALFORMED_ARGS:
            message = break_arguments(message)
        finish_reason = None
        if quirks.active:
            message, finish_reason = self._quirk(quirks, body, message, number)
        return web.json_response(self._completion(body, message, finish_reason), dumps=_dumps)

    def _quirk(
        self, quirks: QuirkPlan, body: Mapping[str, Any], message: dict[str, Any], number: int
    ) -> tuple[dict[str, Any], str | None]:
        before_empty = bool(message.get("content") or message.get("tool_calls"))
        message, finish_reason, cut = quirks.apply(body, message, number)
        counts = self.stats.quirks
        if cut:
            counts["truncated"] += 1
            self.stats.cut_texts.extend(cut)
        if None in (message.get("tool_calls") or ()):
            counts["null_entry"] += 1
        if before_empty and not (message.get("content") or message.get("tool_calls")):
            counts["empty"] += 1
        return message, finish_reason

    @staticmethod
    def _completion(
        request: Mapping[str, Any], message: dict[str, Any], finish_reason: str | None = None
    ) -> dict[str, Any]:
        if finish_reason is None:
            finish_reason = "tool_calls" if message.get("tool_calls") else "stop"
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or "stub",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": usage_of(request, message),
        }

    # --- life cycle inside a running loop -------------------------------------------------------

    async def start_async(self) -> str:
        """Start serving on the running event loop; return the base URL."""
        from aiohttp import web

        runner = web.AppRunner(
            self.make_app(), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=4096, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(
                f"the stub server cannot listen on {self.host}:{self.port}: {exc.strerror or exc}; "
                "pick another --port (0 picks a free one)"
            ) from exc
        self._runner = runner
        self.port = runner.addresses[0][1]
        log.info("stub server listening on %s", self.base_url)
        return self.base_url

    async def stop_async(self) -> None:
        """Stop serving; hanging requests are cancelled."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # --- life cycle in a background thread ------------------------------------------------------

    def start(self, timeout_s: float = 30.0) -> str:
        """Serve from a background thread with its own event loop; return the base URL."""
        if self._thread is not None:
            return self.base_url
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.stop_async())
                loop.close()

        self._thread = threading.Thread(target=run, name="agentscaler-stub", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise ConfigError(f"the stub server did not start within {timeout_s:g} s")
        if failure:
            self._thread = None
            raise failure[0]
        return self.base_url

    def stop(self) -> None:
        """Stop the background server and wait for its thread."""
        thread, loop = self._thread, self._loop
        self._thread = None
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join()

    def __enter__(self) -> StubServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serve(
    brain: Brain | None = None,
    faults: FaultPlan | None = None,
    *,
    quirks: QuirkPlan | None = None,
    embeddings: EmbeddingPlan | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[str]:
    """``with serve(ScriptedBrain([...])) as base_url:`` a stub server in a background thread."""
    with StubServer(
        brain, faults, quirks=quirks, embeddings=embeddings, host=host, port=port
    ) as server:
        yield server.base_url


async def serve_forever(server: StubServer, ready: asyncio.Event | None = None) -> None:
    """Run ``server`` on the current loop until cancelled (used by ``agentscaler stub serve``)."""
    await server.start_async()
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop_async()
