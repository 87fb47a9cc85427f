"""Senders: how a :class:`~agentscaler.llm.ChatClient` puts one request on the wire.

A sender posts a chat-completions body and hands back the raw answer (status, headers, bytes),
whatever the status; network failures propagate as the HTTP stack's exceptions and are classified
by :mod:`agentscaler.llm.retry`. Senders hold connection pools, which belong to one event loop.

* :class:`SdkSender` (``http_backend`` ``aiohttp`` or ``httpx``): ``openai.AsyncOpenAI`` with
  its retries off, over the openai SDK's aiohttp or httpx2 HTTP client.
* :class:`DirectSender` (``http_backend="direct"``): bare aiohttp POSTs with the same headers
  and body, no SDK: the least CPU per request, for simulations with hundreds in flight.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from agentscaler.llm.config import LLMConfig

CHAT_PATH = "/chat/completions"


@dataclass(frozen=True, slots=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    """Case-insensitive headers."""
    content: bytes


class Sender(Protocol):
    async def post(self, body: dict[str, Any]) -> RawResponse: ...

    async def aclose(self) -> None: ...


class SdkSender:
    """Posts through ``openai.AsyncOpenAI`` (``max_retries=0``: the ChatClient retries)."""

    def __init__(
        self, config: LLMConfig, http_client: Any = None, *, owns_http_client: bool = True
    ) -> None:
        import httpx2
        import openai

        if http_client is None:
            limits = httpx2.Limits(
                max_connections=config.concurrency, max_keepalive_connections=config.concurrency
            )
            factory = (
                openai.DefaultAioHttpClient
                if config.http_backend == "aiohttp"
                else openai.DefaultAsyncHttpx2Client
            )
            http_client = factory(limits=limits, timeout=httpx2.Timeout(config.timeout_s))
            owns_http_client = True
        self._owns = owns_http_client
        self._http_client = http_client
        self._response_type = httpx2.Response
        self._status_error = openai.APIStatusError
        self._openai = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key(),
            timeout=config.timeout_s,
            max_retries=0,
            http_client=http_client,
        )

    async def post(self, body: dict[str, Any]) -> RawResponse:
        try:
            response = await self._openai.post(CHAT_PATH, cast_to=self._response_type, body=body)
        except self._status_error as exc:
            response = exc.response
        return RawResponse(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        if self._owns:
            await self._openai.close()


class DirectSender:
    """Posts with one ``aiohttp.ClientSession`` (a pool of ``concurrency`` connections)."""

    def __init__(self, config: LLMConfig) -> None:
        import aiohttp

        self._url = config.base_url.rstrip("/") + CHAT_PATH
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=config.concurrency),
            headers={
                "Authorization": f"Bearer {config.api_key()}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=config.timeout_s),
            # proxy settings cost a thread hop per request: honour them only when some are set
            trust_env=bool(urllib.request.getproxies()),
        )

    async def post(self, body: dict[str, Any]) -> RawResponse:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        async with self._session.post(self._url, data=data) as response:
            content = await response.read()
            return RawResponse(response.status, response.headers, content)

    async def aclose(self) -> None:
        await self._session.close()


def make_sender(
    config: LLMConfig, http_client: Any = None, *, owns_http_client: bool = False
) -> Sender:
    """The sender for ``config.http_backend`` (an explicit ``http_client`` implies the SDK)."""
    if http_client is not None:
        return SdkSender(config, http_client, owns_http_client=owns_http_client)
    if config.http_backend == "direct":
        return DirectSender(config)
    return SdkSender(config)
