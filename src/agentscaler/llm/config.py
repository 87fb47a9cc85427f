"""`LLMConfig`: how to reach an OpenAI-compatible server. Its field defaults are THE defaults."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PLACEHOLDER_API_KEY = "EMPTY"
"""Sent when the key variable is unset: local servers (vLLM, SGLang, Ollama) ignore the key."""

LENGTH_RETRY_MIN_TOKENS = 1024
"""Smallest max_tokens asked for when an answer cut at the token limit is asked again."""


class LLMConfig(BaseModel):
    """Connection, retry and sampling settings of one :class:`~agentscaler.llm.ChatClient`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="Base URL of the server, up to and including /v1."
    )
    model: str = Field("qwen3-8b", description="Model name sent with every request.")
    api_key_env: str = Field(
        "OPENAI_API_KEY",
        description="Name of the environment variable holding the API key (unset: 'EMPTY').",
    )
    timeout_s: float = Field(60.0, gt=0, description="Deadline of one HTTP attempt, in seconds.")
    max_retries: int = Field(
        5, ge=0, description="Retries after the first attempt on 429/408, 5xx, timeouts, resets."
    )
    backoff_base_s: float = Field(
        0.5, ge=0, description="First backoff delay; doubles per retry, with jitter."
    )
    backoff_max_s: float = Field(20.0, ge=0, description="Upper bound of one backoff delay.")
    retry_after_max_s: float = Field(
        60.0, ge=0, description="Upper bound on a server's Retry-After that the client honours."
    )
    concurrency: int = Field(64, ge=1, description="Requests in flight at once per client.")
    temperature: float | None = Field(0.0, description="Sampling temperature (None: server's).")
    max_tokens: int | None = Field(
        None, ge=1, description="Completion token limit (None: server's)."
    )
    extra_body: dict[str, Any] | None = Field(
        None, description="Extra JSON fields merged into every request body (server specific)."
    )
    tool_call_parser: Literal["auto", "none", "hermes", "llama3", "mistral", "json"] = Field(
        "auto",
        description="How tool calls written as text are read when the server returns none "
        "structured: hermes (<tool_call> tags, Qwen), llama3 (JSON), mistral ([TOOL_CALLS]), json "
        "(a JSON call object), auto (by marker; plain JSON only when it names an offered tool), "
        "none (never).",
    )
    length_retry: bool = Field(
        True,
        description="Ask once more with a larger max_tokens when an answer is cut at the token "
        "limit (finish_reason=length).",
    )
    http_backend: Literal["aiohttp", "httpx", "direct"] = Field(
        "aiohttp",
        description="aiohttp/httpx: the openai SDK over that HTTP stack (aiohttp scales better "
        "to hundreds in flight); direct: bare aiohttp POSTs without the SDK, least CPU per call.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"base_url {value!r} must start with http:// or https:// "
                "(e.g. http://127.0.0.1:8000/v1)"
            )
        return value.rstrip("/")

    def api_key(self) -> str:
        """The key from the variable named by :attr:`api_key_env`, or a placeholder."""
        return os.environ.get(self.api_key_env) or PLACEHOLDER_API_KEY

    def server_label(self) -> str:
        """``model@base_url``: how errors and logs name the server."""
        return f"{self.model}@{self.base_url}"
