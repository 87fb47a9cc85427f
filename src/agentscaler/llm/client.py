"""`ChatClient`: chat completions against any OpenAI-compatible server, with bounded
concurrency, per-attempt deadlines, classified retries with backoff, and usage accounting.

One sender (``openai.AsyncOpenAI`` with its retries off, see :mod:`agentscaler.llm.backends`)
and one connection pool serve every call made on an event loop; :meth:`ChatClient.chat_sync`
runs calls on a private loop per calling thread, so sync callers share the same code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentscaler.errors import ConfigError, LLMRequestRejected, LLMResponseError
from agentscaler.llm.backends import Sender, make_sender
from agentscaler.llm.config import LENGTH_RETRY_MIN_TOKENS, LLMConfig
from agentscaler.llm.messages import (
    add_usage,
    parse_completion,
    to_openai_messages,
    usage_from_openai,
)
from agentscaler.llm.retry import (
    Failure,
    backoff_delay,
    bug_behind,
    classify_exception,
    classify_status,
    final_error,
)
from agentscaler.records import Message, Record, Usage

log = logging.getLogger(__name__)


class ChatResult(Record):
    """The answer to one :meth:`ChatClient.chat` call."""

    message: Message
    """The assistant message (tool-call arguments kept as the raw text the model produced)."""
    finish_reason: str | None = None
    usage: Usage
    """This call: ``requests=1``, tokens as the server reported them (0 when absent), the
    retries it took, and ``latency_s`` spent in attempts and backoff (not waiting for a slot)."""
    model: str | None = None
    """The model name the server reported (falls back to the requested one)."""


def larger_budget(requested: Any, used: int) -> int:
    """The completion budget to ask for after an answer was cut at ``requested`` tokens (None:
    the server's own limit) having produced ``used``: twice as much, at least
    :data:`~agentscaler.llm.config.LENGTH_RETRY_MIN_TOKENS`."""
    base = requested if isinstance(requested, int) and requested > 0 else used
    return max(2 * base, LENGTH_RETRY_MIN_TOKENS)


async def _backoff_sleep(delay: float) -> None:
    """Wait between attempts (one place, so tests can observe the delays)."""
    await asyncio.sleep(delay)


@dataclass(slots=True)
class _LoopState:
    """What a ChatClient keeps per event loop: HTTP pools and semaphores are loop-bound."""

    sender: Sender
    semaphore: asyncio.Semaphore
    in_flight: int = 0


class _PrivateLoops:
    """The event loops :meth:`ChatClient.chat_sync` runs on (one per calling thread).

    Holds no reference to the client, so a finalizer can close the loops and their connection
    pools when a client is dropped without :meth:`ChatClient.close` (``ChatClient(cfg).chat_sync``).
    """

    def __init__(self, states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState]):
        self._states = states
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        loop = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            with self._lock:
                self._loops.append(loop)
        return loop

    def close(self) -> None:
        with self._lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            if loop.is_closed() or loop.is_running():
                continue
            state = self._states.pop(loop, None)
            try:
                if state is not None:
                    loop.run_until_complete(state.sender.aclose())
                loop.close()
            except RuntimeError:  # another loop runs in this thread: leave it to the GC
                log.debug("could not close a private event loop of a ChatClient", exc_info=True)


class ChatClient:
    """Chat completions against ``config.base_url`` (see :class:`LLMConfig` for every knob).

    ``http_client`` (an ``httpx2.AsyncClient`` or ``httpx.AsyncClient``, e.g. one with a mock
    transport) replaces the built-in pool; it is closed by :meth:`aclose` only when
    ``owns_http_client`` is true.
    """

    def __init__(
        self,
        config: LLMConfig | None = None,
        http_client: Any = None,
        *,
        owns_http_client: bool = False,
        seed: int | None = None,
    ) -> None:
        self.config = config or LLMConfig()
        self._http_client = http_client
        self._owns_http_client = owns_http_client
        self._rng = random.Random(seed)
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        self._sync_loops = _PrivateLoops(self._states)
        self._finalizer = weakref.finalize(self, self._sync_loops.close)
        self._lock = threading.Lock()
        self._base_body = self._make_base_body()
        # running totals over every call of this client
        self._requests = 0
        self._failures = 0
        self._retries = 0
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._latency_s = 0.0
        self.max_in_flight = 0
        """Highest number of HTTP attempts this client had in flight at once."""

    # --- public API -----------------------------------------------------------------------------

    async def chat(
        self,
        messages: Iterable[Mapping[str, Any] | Message],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResult:
        """One chat completion. ``params`` are request fields (``tool_choice``, ``seed``,
        ``temperature``, ``model``, ``extra_body`` ...) overriding the config's.

        The answer is normalised (:mod:`agentscaler.llm.normalize`). An answer cut at the token
        limit (``finish_reason == "length"``) is asked once more with a larger ``max_tokens``
        (:func:`larger_budget`) unless ``length_retry`` is off; when that one is cut too, or the
        server refuses the budget, the cut answer is returned (its ``finish_reason`` says so) and
        ``usage`` counts both requests.

        Raises :class:`~agentscaler.errors.LLMTimeout`, ``LLMRateLimited``, ``LLMServerError``,
        ``LLMConnectionError``, ``LLMRequestRejected`` or ``LLMResponseError`` once retries
        are exhausted (or at once for a non-retryable failure).
        """
        body = self._body(messages, tools, params)
        result = await self._send(body)
        if result.finish_reason != "length" or not self.config.length_retry:
            return result
        key = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        budget = larger_budget(body.get(key), result.usage.completion_tokens)
        log.debug(
            "%s: answer cut at the token limit; asking again with %s=%d", body["model"], key, budget
        )
        try:
            again = await self._send({**body, key: budget})
        except LLMRequestRejected:  # the server does not allow that budget: keep the cut answer
            return result
        return again.model_copy(update={"usage": add_usage(result.usage, again.usage)})

    async def complete_raw(
        self,
        messages: Iterable[Mapping[str, Any] | Message],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """One chat completion, retried like :meth:`chat`, returned as the server's JSON body
        without normalisation (for diagnostics such as ``agentscaler doctor``)."""
        return await self._send(self._body(messages, tools, params), raw=True)  # type: ignore[return-value]

    async def _send(self, body: dict[str, Any], *, raw: bool = False) -> Any:
        """The retry loop around one request body: a ChatResult (or the raw JSON body)."""
        state = self._state()
        cfg = self.config
        attempts = 0
        busy = 0.0
        while True:
            attempts += 1
            async with state.semaphore:
                state.in_flight += 1
                if state.in_flight > self.max_in_flight:
                    self.max_in_flight = state.in_flight
                started = time.perf_counter()
                cause: BaseException | None = None
                try:
                    outcome = await self._attempt(state, body, attempts - 1, busy, started, raw)
                except Exception as exc:  # classified below; bugs re-raised
                    failure = classify_exception(exc)
                    if failure is None:
                        bug = bug_behind(exc)
                        if bug is not None:
                            raise bug from exc
                        raise
                    cause = exc
                else:
                    if not isinstance(outcome, Failure):
                        return outcome
                    failure = outcome
                finally:
                    state.in_flight -= 1
                    busy += time.perf_counter() - started
            if not failure.retryable or attempts > cfg.max_retries:
                with self._lock:
                    self._failures += 1
                    self._retries += attempts - 1
                error = final_error(failure, config=cfg, model=body["model"], attempts=attempts)
                raise error from cause
            delay = backoff_delay(attempts, cfg, failure.retry_after_s, self._rng)
            self._log_retry(failure, attempts, delay, body["model"])
            await _backoff_sleep(delay)
            busy += delay

    def chat_sync(
        self,
        messages: Iterable[Mapping[str, Any] | Message],
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResult:
        """:meth:`chat` for synchronous callers (not from inside a running event loop)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ConfigError(
                "ChatClient.chat_sync() was called inside a running event loop; "
                "use `await client.chat(...)` there"
            )
        loop = self._sync_loops.loop()
        return loop.run_until_complete(self.chat(messages, tools, **params))

    @property
    def usage(self) -> Usage:
        """Totals over every successful call of this client (retries of failed calls included)."""
        return Usage(
            requests=self._requests,
            prompt_tokens=self._prompt_tokens,
            completion_tokens=self._completion_tokens,
            retries=self._retries,
            latency_s=self._latency_s,
        )

    @property
    def failures(self) -> int:
        """Calls that raised an LLM error after their retries."""
        return self._failures

    async def aclose(self) -> None:
        """Close the connections opened on the running event loop."""
        state = self._states.pop(asyncio.get_running_loop(), None)
        if state is not None:
            await state.sender.aclose()

    def close(self) -> None:
        """Close the private loops of :meth:`chat_sync` and their connections (also done when
        the client is garbage collected); async users call :meth:`aclose` instead."""
        self._sync_loops.close()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ChatClient({self.config.server_label()!r}, concurrency={self.config.concurrency})"

    # --- internals ------------------------------------------------------------------------------

    def _make_base_body(self) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {"model": cfg.model}
        if cfg.temperature is not None:
            body["temperature"] = cfg.temperature
        if cfg.max_tokens is not None:
            body["max_tokens"] = cfg.max_tokens
        if cfg.extra_body:
            body.update(cfg.extra_body)
        return body

    def _body(
        self,
        messages: Iterable[Mapping[str, Any] | Message],
        tools: list[dict[str, Any]] | None,
        params: dict[str, Any],
    ) -> dict[str, Any]:
        if params.get("stream"):
            raise ConfigError("ChatClient does not stream; drop stream=True (answers arrive whole)")
        body = dict(self._base_body)
        body["messages"] = to_openai_messages(messages)
        if tools:
            body["tools"] = tools
        if params:
            extra = params.pop("extra_body", None)
            body.update(params)
            if extra:
                body.update(extra)
        return body

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            sender = make_sender(
                self.config, self._http_client, owns_http_client=self._owns_http_client
            )
            state = _LoopState(sender, asyncio.Semaphore(self.config.concurrency))
            self._states[loop] = state
        return state

    async def _attempt(
        self,
        state: _LoopState,
        body: dict[str, Any],
        retries: int,
        busy: float,
        started: float,
        raw_body: bool = False,
    ) -> ChatResult | Failure | dict[str, Any]:
        async with asyncio.timeout(self.config.timeout_s):
            raw = await state.sender.post(body)
        if raw.status >= 300:
            try:
                detail: Any = json.loads(raw.content)
            except ValueError:
                detail = raw.content
            return classify_status(raw.status, raw.headers, detail)
        data = json.loads(raw.content)
        if raw_body:
            if not isinstance(data, dict):
                raise LLMResponseError(f"the response body is not a JSON object: {data!r}"[:300])
            with self._lock:
                self._requests += 1
                self._retries += retries
            return data
        message, finish_reason, usage, model = parse_completion(
            data, tools=body.get("tools"), parser=self.config.tool_call_parser
        )
        latency = busy + (time.perf_counter() - started)
        result = ChatResult(
            message=message,
            finish_reason=finish_reason,
            usage=usage_from_openai(usage, retries=retries, latency_s=latency),
            model=model or body["model"],
        )
        with self._lock:  # chat_sync may run in several threads
            self._requests += 1
            self._retries += retries
            self._prompt_tokens += result.usage.prompt_tokens
            self._completion_tokens += result.usage.completion_tokens
            self._latency_s += latency
        return result

    def _log_retry(self, failure: Failure, attempt: int, delay: float, model: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            status = failure.status if failure.status is not None else "-"
            log.debug(
                "%s@%s: attempt %d failed (%s, HTTP %s: %s); retrying in %.3f s",
                model,
                self.config.base_url,
                attempt,
                failure.kind,
                status,
                failure.detail,
                delay,
            )
