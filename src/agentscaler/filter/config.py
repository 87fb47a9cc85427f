"""Defaults of the filter stage (the one place they live)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FilterConfig(BaseModel):
    """Settings of the three-stage filter.

    The n-gram detector flags degenerate reasoning: within one assistant message (content plus
    reasoning), the share of word n-grams that repeat an earlier n-gram of the same message. Normal
    replies stay far below 0.3; loops ("I will check the order. I will check the order. ...") go
    above 0.5.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def verdict_settings(self) -> dict:
        """The settings that decide verdicts (the stage's fingerprint)."""
        return self.model_dump(mode="json", exclude={"workers"})

    ngram_n: int = Field(default=4, ge=1, description="n of the word n-grams")
    ngram_min_count: int = Field(
        default=12, ge=1, description="messages with fewer n-grams are not judged"
    )
    ngram_max_repeat_ratio: float = Field(
        default=0.5, gt=0, le=1, description="reject above this share of repeated n-grams"
    )
    max_identical_messages: int = Field(
        default=2, ge=1, description="an identical assistant text may appear at most this often"
    )
    max_identical_failing_calls: int = Field(
        default=3, ge=1, description="reject when the same failing call is repeated this often"
    )
    exact_order_insensitive: bool = Field(
        default=False, description="compare read-only call sequences as multisets"
    )
    workers: int = Field(
        default=0,
        ge=0,
        description="processes judging episodes in parallel, one domain at a time each "
        "(0: one per core); verdicts do not depend on it",
    )
    require_facts: bool = Field(
        default=True,
        description="reject (stage facts) an episode whose replies never tell the user a value "
        "the task says they must be told (a refund amount, a new status); evaluation reports "
        "it either way",
    )
    exact_include_failed_calls: bool = Field(
        default=False,
        description="compare every call of a read-only episode with the gold, including calls "
        "that returned an error (default: only successful calls, so recovered errors are kept)",
    )
