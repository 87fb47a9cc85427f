"""`FaultPlan`: deterministic fault injection for the stub server.

Every request gets a number (1, 2, ... in arrival order). ``plan.fault_for(n)`` decides its fate
from the script (explicit per-request faults) or else from the rates, drawn from a generator
seeded by ``(seed, n)``: the same plan gives the same faults to the same request numbers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Fault(StrEnum):
    """What the stub server does to one request."""

    NONE = "none"
    SERVER_ERROR = "server_error"
    """HTTP 500 with an OpenAI-style error body."""
    RATE_LIMIT = "rate_limit"
    """HTTP 429 with ``Retry-After`` (whole seconds, rounded up) and ``retry-after-ms``."""
    MALFORMED_ARGS = "malformed_args"
    """The reply's tool-call arguments are cut short (invalid JSON); no-op without tool calls."""
    INVALID_BODY = "invalid_body"
    """HTTP 200 whose body is not valid JSON."""
    HANG = "hang"
    """No answer for ``hang_s`` seconds (longer than any sane client timeout)."""


class FaultPlan(BaseModel):
    """Latency and faults the stub server injects. Rates are probabilities per request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_ms: float = Field(0.0, ge=0, description="Delay added to every answer.")
    latency_jitter_ms: float = Field(
        0.0, ge=0, description="Extra uniform random delay in [0, jitter] per answer."
    )
    fail_rate: float = Field(0.0, ge=0, le=1, description="Share of HTTP 500 answers.")
    rate_limit_rate: float = Field(0.0, ge=0, le=1, description="Share of HTTP 429 answers.")
    malformed_rate: float = Field(
        0.0, ge=0, le=1, description="Share of answers with broken tool-call argument JSON."
    )
    invalid_body_rate: float = Field(
        0.0, ge=0, le=1, description="Share of HTTP 200 answers with a non-JSON body."
    )
    hang_rate: float = Field(0.0, ge=0, le=1, description="Share of requests left hanging.")
    retry_after_s: float = Field(1.0, ge=0, description="Wait a 429 asks for.")
    hang_s: float = Field(600.0, ge=0, description="How long a hanging request waits.")
    seed: int = Field(0, description="Seed of the per-request fault draws.")
    script: dict[int, Fault] = Field(
        default_factory=dict,
        description="Faults for given request numbers (1-based), overriding the rates.",
    )

    @model_validator(mode="after")
    def _rates_sum_to_at_most_one(self) -> FaultPlan:
        total = (
            self.fail_rate
            + self.rate_limit_rate
            + self.malformed_rate
            + self.invalid_body_rate
            + self.hang_rate
        )
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}; they must add up to at most 1")
        return self

    @classmethod
    def scripted(cls, *faults: Fault | str, **options: Any) -> FaultPlan:
        """Faults for requests 1, 2, ... in order (then none): ``FaultPlan.scripted("rate_limit")``."""
        return cls(script={i: Fault(f) for i, f in enumerate(faults, start=1)}, **options)

    @property
    def active(self) -> bool:
        """False when the plan never does anything (the server then skips all fault logic)."""
        return bool(
            self.latency_ms
            or self.latency_jitter_ms
            or self.script
            or self.fail_rate
            or self.rate_limit_rate
            or self.malformed_rate
            or self.invalid_body_rate
            or self.hang_rate
        )

    def _draws(self, number: int) -> tuple[float, float]:
        rng = random.Random(self.seed * 1_000_003 + number)
        return rng.random(), rng.random()

    def fault_for(self, number: int) -> Fault:
        """The fault of request ``number`` (1-based)."""
        scripted = self.script.get(number)
        if scripted is not None:
            return scripted
        draw, _ = self._draws(number)
        for fault, rate in (
            (Fault.SERVER_ERROR, self.fail_rate),
            (Fault.RATE_LIMIT, self.rate_limit_rate),
            (Fault.MALFORMED_ARGS, self.malformed_rate),
            (Fault.INVALID_BODY, self.invalid_body_rate),
            (Fault.HANG, self.hang_rate),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return Fault.NONE

    def delay_for(self, number: int) -> float:
        """Seconds of added latency for request ``number``."""
        if not self.latency_jitter_ms:
            return self.latency_ms / 1000.0
        _, jitter = self._draws(number)
        return (self.latency_ms + jitter * self.latency_jitter_ms) / 1000.0


def break_arguments(message: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an assistant message whose tool-call arguments are no longer valid JSON."""
    calls = message.get("tool_calls")
    if not calls:
        return dict(message)
    broken = []
    for call in calls:
        function = dict(call.get("function") or {})
        text = function.get("arguments")
        if not isinstance(text, str):
            text = json.dumps(text)
        # drop the closing brace and add a stray quote: a typical truncated generation
        function["arguments"] = text.rstrip().removesuffix("}") + ', "'
        broken.append({**call, "function": function})
    return {**message, "tool_calls": broken}
