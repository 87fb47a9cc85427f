"""`TaskConfig`: every default of task synthesis, in one place.

The field defaults are the product's defaults; CLI options default to None and fall back to them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TASKS_VERSION = "1"
"""Bumped when synthesized tasks change for the same settings, so resumed runs redo domains."""


class TaskConfig(BaseModel):
    """Settings of the ``tasks`` stage: initial states, walks, grounding, retries and intents."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- how many ---------------------------------------------------------------------------
    seed: int = Field(0, description="Base seed; states and tasks derive their seeds from it.")
    per_domain: int = Field(40, ge=1, description="Tasks wanted per domain.")
    attempts_per_task: int = Field(
        6, ge=1, description="Walks tried per wanted task before the domain gives up."
    )

    # --- initial states ---------------------------------------------------------------------
    states_per_domain: int = Field(
        4, ge=1, description="Distinct seeded initial states per domain, shared by its tasks."
    )
    rows_per_table: int = Field(
        12, ge=0, description="Mean number of rows per table in an initial state."
    )
    rows_spread: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Each table's row count is drawn uniformly from rows*(1-spread) .. "
        "rows*(1+spread), so states differ in size as well as content.",
    )

    child_rows: float = Field(
        2.0,
        ge=1.0,
        le=10.0,
        description="Tables whose rows refer to other tables get this many times more rows, so "
        "most parents have children (a customer has orders) and chains can go on.",
    )

    # --- walks ------------------------------------------------------------------------------
    max_steps: int = Field(5, ge=1, le=20, description="Longest chain (tool calls per task).")
    length_weights: tuple[float, ...] = Field(
        (),
        description="Relative weights of chain lengths 1..max_steps (empty: all lengths equally "
        "likely). A walk stops earlier at a tool with no way on.",
    )
    read_only_share: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Share of walks restricted to read tools; the others must contain a write.",
    )
    linked_steps: bool = Field(
        True,
        description="Every call after the first takes at least one argument from an earlier "
        "call's output (chains hang together).",
    )

    # --- grounding and execution ------------------------------------------------------------
    optional_args: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Probability of passing an optional argument that no earlier output feeds.",
    )
    feed_optional: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="Probability of passing an optional argument that an earlier output can "
        "feed (required ones are always fed when they can be).",
    )
    on_error: Literal["retry", "drop"] = Field(
        "retry",
        description="A call that errors: try other arguments and other next tools (retry) or "
        "drop the whole chain (drop).",
    )
    retries: int = Field(3, ge=0, description="Other argument sets tried per tool after an error.")
    candidates_per_step: int = Field(
        4, ge=1, description="Next tools tried per step before the walk stops there."
    )

    # --- intents ----------------------------------------------------------------------------
    llm_intents: bool = Field(
        False,
        description="Rewrite template intents with an LLM (checked; template kept on reject).",
    )
    intent_max_chars: int = Field(
        1200, ge=80, description="Longest accepted LLM intent (longer ones keep the template)."
    )

    @model_validator(mode="after")
    def _check_weights(self) -> TaskConfig:
        weights = self.length_weights
        if weights:
            if len(weights) != self.max_steps:
                raise ValueError(
                    f"length_weights has {len(weights)} entries; it needs one per chain length "
                    f"1..max_steps ({self.max_steps})"
                )
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise ValueError("length_weights must be non-negative with a positive sum")
        return self

    def lengths(self) -> tuple[list[int], list[float]]:
        """Chain lengths 1..max_steps and their weights."""
        lengths = list(range(1, self.max_steps + 1))
        weights = list(self.length_weights) if self.length_weights else [1.0] * self.max_steps
        return lengths, weights

    def fingerprint_settings(self, llm_model: str | None = None) -> dict[str, Any]:
        """What decides the stage's output (for resume fingerprints)."""
        settings = self.model_dump(mode="json")
        settings["version"] = TASKS_VERSION
        settings["llm_model"] = llm_model if self.llm_intents else None
        return settings
