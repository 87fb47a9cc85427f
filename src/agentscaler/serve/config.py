"""`ServeConfig`: the defaults of ``agentscaler serve`` (sessions, limits, addresses)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ServeConfig(BaseModel):
    """How many sessions a server holds and for how long."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8765, ge=0, le=65535, description="Port to listen on (0: any free port).")
    max_sessions: int = Field(
        1024, ge=1, description="Sessions held at once; more wait for a free slot (backpressure)."
    )
    acquire_timeout_s: float = Field(
        10.0,
        ge=0,
        description="How long creating a session waits for a free slot before it is refused "
        "with 503 (never forever).",
    )
    idle_timeout_s: float = Field(
        600.0, gt=0, description="A session unused this long is closed and its slot freed."
    )
    sweep_interval_s: float = Field(
        5.0, gt=0, description="How often idle sessions are looked for."
    )
    remember_expired: int = Field(
        100_000, ge=0, description="Expired session ids remembered, to answer 410 instead of 404."
    )
