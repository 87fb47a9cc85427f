"""`WorldConfig`: every default of the world compiler and runtime, in one place."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

COMPILER_VERSION = "2"
"""Bumped when compiled output changes, so `worlds build` recompiles worlds built before."""

DEFAULT_CLOCK = "2025-06-02T09:00:00+00:00"
"""The fixed "now" of a world unless its spec says otherwise (a Monday morning)."""


class WorldConfig(BaseModel):
    """Settings of world compilation, seeding, the sandbox and the runtime.

    The field defaults are the product's defaults; CLI options fall back to them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- initial states -------------------------------------------------------------------------
    seed: int = Field(0, description="Base seed; each world's seed is derived from it and its id.")
    rows_per_table: int = Field(20, ge=1, description="Rows per table in seed.sqlite.")
    clock: str = Field(DEFAULT_CLOCK, description="The world's fixed now (ISO 8601 with offset).")

    # --- generated tools ------------------------------------------------------------------------
    default_limit: int = Field(20, ge=1, description="Results a search returns without a limit.")
    max_limit: int = Field(100, ge=1, description="Upper bound on any search's results.")

    # --- sandbox --------------------------------------------------------------------------------
    time_limit_s: float = Field(2.0, gt=0, description="Wall-clock limit of one tool call.")
    memory_limit_mb: int = Field(
        256, ge=16, description="Resident memory a tool call may add before it is stopped."
    )
    max_sequence_len: int = Field(
        1_000_000, ge=1000, description="Largest string/list one operation in tool code may build."
    )
    max_code_bytes: int = Field(2_000_000, ge=1000, description="Largest tools.py accepted.")
    tool_isolation: Literal["auto", "process"] = Field(
        "auto",
        description=(
            "Where tool code runs: 'auto' runs the compiler's own code in-process and code a user "
            "edited or an LLM wrote in worker processes under OS limits (RLIMIT_AS, RLIMIT_CPU, "
            "a wall-clock kill); 'process' runs every world's code in workers."
        ),
    )

    workers: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)),
        ge=1,
        description="Worlds compiled and checked in parallel (processes; default: the cores, "
        "at most 4).",
    )

    # --- runtime --------------------------------------------------------------------------------
    raise_world_bugs: bool = Field(
        False,
        description=(
            "Raise WorldBugError from step() instead of returning a truncated step with "
            "info['world_bug'] (conformance and task synthesis raise)."
        ),
    )
    seed_cache_size: int = Field(16, ge=0, description="Seeded initial states kept per world.")

    # --- conformance ----------------------------------------------------------------------------
    conformance_attempts: int = Field(
        30, ge=1, description="Sampled calls tried per tool to find one that succeeds."
    )
    replay_steps: int = Field(16, ge=1, description="Calls in the replay-determinism check.")

    # --- LLM-assisted compilation ---------------------------------------------------------------
    llm_compile: bool = Field(
        False, description="Ask an LLM for code of tools the templates fit badly."
    )
    llm_tools: Literal["fallback", "all"] = Field(
        "fallback", description="Which tools the LLM pass proposes code for."
    )
    llm_retries: int = Field(3, ge=1, description="Attempts per tool, each fed the previous error.")

    def compile_settings(self) -> dict[str, object]:
        """The settings that change compiled output (for resume fingerprints)."""
        return {
            "compiler": COMPILER_VERSION,
            "seed": self.seed,
            "rows_per_table": self.rows_per_table,
            "clock": self.clock,
            "default_limit": self.default_limit,
            "max_limit": self.max_limit,
            "llm_compile": self.llm_compile,
            "llm_tools": self.llm_tools,
            "llm_retries": self.llm_retries,
        }
