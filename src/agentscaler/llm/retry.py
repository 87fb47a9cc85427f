"""Which failures are retried, how long to wait, and which error is raised in the end.

The classification is exact because the simulation turns these errors into episode terminations:
:class:`~agentscaler.errors.LLMTimeout` -> ``llm_timeout``,
:class:`~agentscaler.errors.LLMRateLimited` -> ``rate_limited``, anything else -> ``llm_error``.
"""

from __future__ import annotations

import email.utils
import json
import random
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from agentscaler.errors import (
    LLMConnectionError,
    LLMError,
    LLMRateLimited,
    LLMRequestRejected,
    LLMResponseError,
    LLMServerError,
    LLMTimeout,
)
from agentscaler.llm.config import LLMConfig

FailureKind = Literal["timeout", "rate_limited", "server", "connection", "rejected", "response"]

ERROR_OF_KIND: dict[str, type[LLMError]] = {
    "timeout": LLMTimeout,
    "rate_limited": LLMRateLimited,
    "server": LLMServerError,
    "connection": LLMConnectionError,
    "rejected": LLMRequestRejected,
    "response": LLMResponseError,
}


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed attempt, classified."""

    kind: FailureKind
    status: int | None
    detail: str
    retry_after_s: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind != "rejected"


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither seconds nor a date: ignore it, the backoff still applies
    return max(0.0, parsed.timestamp() - (time.time() if now is None else now))


def backoff_delay(
    retry: int, config: LLMConfig, retry_after_s: float | None, rng: random.Random
) -> float:
    """Seconds to wait before retry number ``retry`` (1-based).

    Exponential (``backoff_base_s * 2**(retry-1)``, capped at ``backoff_max_s``) with jitter in
    [50%, 100%]; never shorter than the server's Retry-After (capped at ``retry_after_max_s``).
    """
    base = min(config.backoff_max_s, config.backoff_base_s * (2.0 ** (retry - 1)))
    delay = base * (0.5 + 0.5 * rng.random())
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, config.retry_after_max_s))
    return delay


def _status_detail(body: Any) -> str:
    """A short reason from an error body (OpenAI ``{"error": {"message": ...}}`` or text)."""
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            message = err.get("message") or err.get("detail")
            if message:
                return str(message)[:300]
        elif isinstance(err, str):
            return err[:300]
    if isinstance(body, str | bytes):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return text.strip()[:300]
    return ""


def classify_status(status: int, headers: Mapping[str, str] | None, body: Any) -> Failure:
    """Classify an HTTP error status (429/408/5xx are retried, other 4xx are not)."""
    detail = _status_detail(body)
    if status == 429:
        return Failure("rate_limited", status, detail, parse_retry_after(headers))
    if status == 408:
        return Failure("timeout", status, detail, parse_retry_after(headers))
    if status >= 500:
        return Failure("server", status, detail, parse_retry_after(headers))
    return Failure("rejected", status, detail)


def _timeout_types() -> tuple[type[BaseException], ...]:
    """Exception types that mean "timed out" in the HTTP stacks under the openai SDK."""
    types: list[type[BaseException]] = [TimeoutError]
    for module_name in ("httpx2", "httpcore2", "httpx", "httpcore"):
        module = sys.modules.get(module_name)
        timeout_type = getattr(module, "TimeoutException", None)
        if isinstance(timeout_type, type):
            types.append(timeout_type)
    return tuple(types)


def _root_cause(exc: BaseException) -> BaseException:
    seen = {id(exc)}
    while True:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or id(nxt) in seen:
            return exc
        seen.add(id(nxt))
        exc = nxt


_TRANSPORT_MODULES = (
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "httpx_aiohttp",
    "aiohttp",
    "h11",
    "h2",
    "anyio",
    "ssl",
    "socket",
    "asyncio",
    "openai",
)


def bug_behind(exc: BaseException) -> BaseException | None:
    """The program error an SDK connection error wraps (older openai SDKs report any exception
    raised while sending, a ``KeyError`` in a mock handler included, as a connection error), or
    None when the root cause is a transport failure."""
    import openai

    if not isinstance(exc, openai.APIConnectionError):
        return None
    root = _root_cause(exc)
    if root is exc or isinstance(root, OSError | TimeoutError | EOFError):
        return None
    module = type(root).__module__.split(".")[0]
    return None if module in _TRANSPORT_MODULES else root


def classify_exception(exc: BaseException) -> Failure | None:
    """Classify an exception raised by an attempt; None means "not an LLM failure" (a bug)."""
    import openai

    if isinstance(exc, LLMResponseError | json.JSONDecodeError | UnicodeDecodeError):
        return Failure("response", None, str(exc)[:300])
    if bug_behind(exc) is not None:
        return None
    if isinstance(exc, openai.APIStatusError):
        try:
            body: Any = exc.response.json()
        except ValueError:
            body = exc.response.text
        return classify_status(exc.status_code, exc.response.headers, body)
    if isinstance(exc, openai.APIConnectionError):
        # Trust the root cause: HTTP stacks wrap resets and refusals in many ways (the aiohttp
        # adapter even reports a refused or dropped connection as a connect *timeout*).
        root = _root_cause(exc)
        timed_out = isinstance(root, _timeout_types()) or (
            root is exc and isinstance(exc, openai.APITimeoutError)
        )
        reason = f"{type(root).__name__}: {root}" if root is not exc else str(exc)
        return Failure("timeout" if timed_out else "connection", None, reason[:300])
    if isinstance(exc, TimeoutError):
        return Failure("timeout", None, "no answer within the client deadline")
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(exc, aiohttp.ClientError):  # the direct backend
        return Failure("connection", None, f"{type(exc).__name__}: {exc}"[:300])
    return None


def _hint(failure: Failure, config: LLMConfig) -> str:
    if failure.kind == "rejected":
        if failure.status in (401, 403):
            return f"check the API key in ${config.api_key_env} (api_key_env)"
        if failure.status == 404:
            return "check that base_url ends with /v1 and that the server serves this model"
        return "check the model name and the request (e.g. context length, tool schemas)"
    return {
        "timeout": "raise timeout_s, lower concurrency, or check the server's load",
        "rate_limited": "lower concurrency or raise max_retries/backoff_max_s",
        "server": "check the server's logs",
        "connection": "check base_url and that the server is running",
        "response": "check that base_url points at an OpenAI-compatible /v1 endpoint",
    }[failure.kind]


def final_error(failure: Failure, *, config: LLMConfig, model: str, attempts: int) -> LLMError:
    """The error raised when ``failure`` is the last one (not retryable or retries exhausted)."""
    cls = ERROR_OF_KIND[failure.kind]
    what = {
        "timeout": f"timed out (deadline {config.timeout_s:g} s)",
        "rate_limited": "rate limited the client",
        "server": "failed with a server error",
        "connection": "could not be reached",
        "rejected": "refused the request",
        "response": "sent an unusable response",
    }[failure.kind]
    tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    detail = f": {failure.detail}" if failure.detail else ""
    if failure.status is not None:
        last = f"last answer HTTP {failure.status}{detail}"
    else:
        last = f"last error{detail or ': none reported'}"
    message = (
        f"LLM server {model}@{config.base_url} {what} {tries} ({last}). "
        f"Fix: {_hint(failure, config)}."
    )
    if cls is LLMResponseError:
        return cls(message)
    return cls(message, status=failure.status, attempts=attempts)  # type: ignore[call-arg]
