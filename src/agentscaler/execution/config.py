"""`ExecutionConfig`: where the heavy stages run (the one place of these defaults).

These settings decide speed, never records: a run started on one executor may be resumed on
another, so they are options of a command, not settings stored in ``run.json``.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExecutionConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    executor: Literal["local", "ray"] = Field(
        "local", description="local: worker processes on this machine; ray: one Ray task per shard"
    )
    workers: int = Field(
        0, ge=0, description="local worker processes (0: one per core; 1: in this process)"
    )
    ray_address: str | None = Field(
        None, description="Ray cluster to join (None: the running one, or start a local one)"
    )
    max_retries: int = Field(
        2, ge=0, description="times Ray runs a shard again after its worker died"
    )

    def local_workers(self) -> int:
        return self.workers or os.cpu_count() or 1
