"""The filter funnel: how many episodes each filter stage received and rejected, and why.

The filter stage writes it to ``filtered/funnel.json``; the shape (version 1) is::

    {
      "schema_version": 1,
      "episodes": 1000,              # episodes the filter judged
      "kept": 610,                   # episodes that passed every stage
      "error_recovered": 42,         # kept episodes in which some tool call returned an error
      "stages": [                    # in filter order; each stage receives what the previous kept
        {"stage": "validity", "input": 1000, "rejected": 250,
         "reasons": {"infrastructure": 30, "role_order": 20, "ngram_repetition": 200}},
        {"stage": "state", "input": 750, "rejected": 120, "reasons": {"state_mismatch": 120}},
        {"stage": "exact", "input": 630, "rejected": 20, "reasons": {"call_mismatch": 20}}
      ],
      "domains": [                   # the same counts per domain
        {"domain_id": "d0001-orders", "episodes": 300, "kept": 200,
         "rejected": {"validity": 50, "state": 40, "exact": 10}}
      ]
    }

Reasons are :class:`~agentscaler.records.RejectReason` values. The counts must add up (each
stage's ``input`` is the previous stage's ``input - rejected``, ``kept`` is what the last stage
lets through, the reasons of a stage sum to its ``rejected``); a file whose counts do not is
refused with the field that is off. A run folder without the file gets the funnel computed from
its verdicts (:func:`funnel_from_verdicts`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar, Self, get_args

from pydantic import Field, ValidationError, model_validator

from agentscaler.errors import CorruptRecordError, SchemaVersionError
from agentscaler.jsonl import read_json
from agentscaler.records.base import Record
from agentscaler.records.verdict import FilterStage, RejectReason, Verdict

STAGE_ORDER: tuple[FilterStage, ...] = get_args(FilterStage)


class FunnelStage(Record):
    stage: FilterStage
    input: int = Field(ge=0)
    rejected: int = Field(ge=0)
    reasons: dict[RejectReason, int] = {}

    @property
    def passed(self) -> int:
        return self.input - self.rejected


class DomainFunnel(Record):
    domain_id: str
    episodes: int = Field(ge=0)
    kept: int = Field(ge=0)
    rejected: dict[FilterStage, int] = {}


class Funnel(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    episodes: int = Field(ge=0)
    kept: int = Field(ge=0)
    error_recovered: int = Field(default=0, ge=0)
    stages: tuple[FunnelStage, ...]
    domains: tuple[DomainFunnel, ...] = ()

    @model_validator(mode="after")
    def _counts_add_up(self) -> Self:
        order = [s.stage for s in self.stages]
        if order != sorted(order, key=STAGE_ORDER.index) or len(set(order)) != len(order):
            raise ValueError(f"stages must appear once each in the order {list(STAGE_ORDER)}")
        remaining = self.episodes
        for i, stage in enumerate(self.stages):
            if stage.input != remaining:
                raise ValueError(
                    f"stages[{i}].input is {stage.input}, expected {remaining} "
                    "(what the previous stage let through)"
                )
            if stage.rejected > stage.input:
                raise ValueError(f"stages[{i}].rejected exceeds its input")
            if stage.reasons and sum(stage.reasons.values()) != stage.rejected:
                raise ValueError(f"stages[{i}].reasons do not add up to rejected={stage.rejected}")
            remaining = stage.passed
        if self.kept != remaining:
            raise ValueError(f"kept is {self.kept}, but the stages let {remaining} through")
        for i, dom in enumerate(self.domains):
            if dom.kept + sum(dom.rejected.values()) != dom.episodes:
                raise ValueError(f"domains[{i}] ({dom.domain_id}): kept + rejected != episodes")
        return self

    def reason_counts(self) -> dict[str, int]:
        """Rejections by reason over all stages."""
        total: Counter[str] = Counter()
        for stage in self.stages:
            total.update({str(r): n for r, n in stage.reasons.items()})
        return dict(total)


def read_funnel(path: Path) -> Funnel:
    """Read ``funnel.json``; a file of another shape is refused naming the field and the fix."""
    data = read_json(path)
    try:
        return Funnel.from_json_dict(data, where=str(path))
    except SchemaVersionError:
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "<record>"
        raise CorruptRecordError(
            f"{path}: invalid filter funnel, field {field!r}: {first.get('msg')}. Delete it and "
            "re-run `agentscaler filter DIR` (the report falls back on the verdicts without it)."
        ) from exc


def funnel_from_verdicts(verdicts: Iterable[Verdict]) -> Funnel:
    """The funnel implied by the filter's verdicts (a rejected verdict without a stage counts as
    rejected by the first stage)."""
    total = kept = recovered = 0
    rejected_by: dict[str, Counter[RejectReason]] = defaultdict(Counter)
    per_domain: dict[str, Counter[str]] = defaultdict(Counter)
    for verdict in verdicts:
        total += 1
        dom = per_domain[verdict.domain_id]
        dom["episodes"] += 1
        if verdict.kept:
            kept += 1
            dom["kept"] += 1
            recovered += verdict.error_recovered or verdict.tool_errors > 0
            continue
        stage = verdict.stage or STAGE_ORDER[0]
        reason = verdict.reason or RejectReason.INFRASTRUCTURE
        rejected_by[stage][reason] += 1
        dom[stage] += 1
    stages = []
    remaining = total
    for stage in STAGE_ORDER:
        reasons = dict(sorted(rejected_by[stage].items()))
        rejected = sum(reasons.values())
        stages.append(FunnelStage(stage=stage, input=remaining, rejected=rejected, reasons=reasons))
        remaining -= rejected
    domains = tuple(
        DomainFunnel(
            domain_id=domain_id,
            episodes=counts["episodes"],
            kept=counts["kept"],
            rejected={s: counts[s] for s in STAGE_ORDER if counts[s]},
        )
        for domain_id, counts in sorted(per_domain.items())
    )
    return Funnel(
        episodes=total,
        kept=kept,
        error_recovered=recovered,
        stages=tuple(stages),
        domains=domains,
    )
