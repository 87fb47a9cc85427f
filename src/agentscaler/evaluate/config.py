"""Defaults of the evaluation stage (the one place they live)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EvalConfig(BaseModel):
    """Settings of metrics, plots and the HTML report.

    Infrastructure failures (LLM timeouts and errors, rate limits, world bugs; in tau-bench files,
    results whose ``info`` holds an ``error``) say nothing about the agent, so by default they are
    left out of every success denominator (success rate, pass^k, pass@k, per-domain and per-call
    rates) and reported as their own count. ``include_infrastructure=True`` counts them as
    failures instead, as tau-bench's own scripts do.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_k: int | None = Field(
        default=None,
        ge=1,
        description="largest k of pass^k and pass@k; None: the largest number of trials of a task",
    )
    include_infrastructure: bool = Field(
        default=False, description="count infrastructure failures as agent failures"
    )
    success_tolerance: float = Field(
        default=1e-6,
        ge=0,
        description="a tau-bench trial succeeds when its reward is 1 within this tolerance",
    )
    calls_cap: int = Field(
        default=10,
        ge=1,
        description="tool-call counts at or above this are pooled into one bin ('10+')",
    )
    plot_max_domains: int = Field(
        default=30, ge=1, description="the per-domain plot shows this many domains (most episodes)"
    )
    max_message_chars: int = Field(
        default=20_000,
        ge=100,
        description="longer message texts are cut in the HTML report (the run folder keeps them)",
    )
    page_size: int = Field(
        default=200, ge=10, description="episodes listed at a time in the HTML report"
    )
    report_dirname: str = Field(
        default="report", description="report folder inside a run folder, or in the current folder"
    )
