"""`TaskConfig`: every default of task synthesis, in one place.

The field defaults are the product's defaults; CLI options default to None and fall back to them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentscaler.records.task import SCENARIO_KINDS

DEFAULT_SCENARIO_WEIGHTS: dict[str, float] = {
    "one_goal": 0.30,
    "multi_goal": 0.26,
    "rule_refusal": 0.16,
    "missing_info": 0.14,
    "change_of_mind": 0.14,
}

TASKS_VERSION = "2"
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

    # --- scenarios and walks -------------------------------------------------------------------
    scenario_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SCENARIO_WEIGHTS),
        description="Relative shares of the scenario kinds: one_goal, multi_goal, rule_refusal "
        "(a request the rules forbid), missing_info (a detail the agent must ask for), "
        "change_of_mind (a request taken back for another). A kind a world cannot make is left "
        "out there.",
    )
    max_steps: int = Field(5, ge=1, le=20, description="Longest chain (tool calls per task).")
    read_only_share: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Share of one-goal, multi-goal and missing-information walks that only "
        "read (questions rather than changes).",
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

    @field_validator("scenario_weights")
    @classmethod
    def _check_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(SCENARIO_KINDS))
        if unknown:
            raise ValueError(
                f"scenario_weights names unknown kinds {', '.join(unknown)}; the kinds are "
                f"{', '.join(SCENARIO_KINDS)}"
            )
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("scenario_weights must be non-negative with a positive sum")
        return {kind: float(weights.get(kind, 0.0)) for kind in SCENARIO_KINDS}

    def fingerprint_settings(self, llm_model: str | None = None) -> dict[str, Any]:
        """What decides the stage's output (for resume fingerprints)."""
        settings = self.model_dump(mode="json")
        settings["version"] = TASKS_VERSION
        settings["llm_model"] = llm_model if self.llm_intents else None
        return settings
