"""Every metric of one evaluated source in one record, written as ``summary.json``."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import ClassVar

from pydantic import Field

from agentscaler.evaluate import metrics
from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.readers import EvalData
from agentscaler.evaluate.trial import Source, Trial
from agentscaler.filter.funnel import Funnel
from agentscaler.records.base import Record
from agentscaler.simulate.dialogue import DialogueStats
from agentscaler.tasks.summary import TaskMix


class RateRow(Record):
    key: str
    successes: int
    total: int
    rate: float | None

    @classmethod
    def of(cls, key: object, rate: metrics.Rate) -> RateRow:
        return cls(key=str(key), successes=rate.successes, total=rate.total, rate=rate.rate)


class CallsRow(Record):
    calls: int
    """Lower bound of the bin (the bin at the cap holds every count >= cap)."""
    label: str
    successes: int
    total: int
    rate: float | None


class PassKRow(Record):
    k: int
    pass_hat_k: float | None
    pass_at_k: float | None
    tasks: int
    """Tasks with at least k counted trials (the ones averaged)."""
    excluded: int
    """Tasks with fewer than k counted trials, left out at this k."""


class DomainRow(Record):
    domain_id: str
    name: str
    tasks: int
    episodes: int
    infrastructure: int
    successes: int
    rate: float | None
    pass_hat_k: tuple[float | None, ...] = ()
    """pass^1 .. pass^max_k of the domain's tasks."""
    kept: int | None = None


class EvalSummary(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    source: Source
    max_k: int
    include_infrastructure: bool
    tasks: int
    episodes: int
    counted_episodes: int
    """Episodes in the success denominators."""
    infrastructure_failures: int
    success: RateRow
    """Episodes that reached the gold state and told the user every value they must be told."""
    state_success: RateRow | None = None
    """Episodes that reached the gold state (the final messages aside)."""
    facts_success: RateRow | None = None
    """Episodes whose replies told the user every communicated fact (the state aside)."""
    by_scenario: tuple[RateRow, ...] = ()
    pass_k: tuple[PassKRow, ...]
    by_gold_calls: tuple[CallsRow, ...]
    by_agent_calls: tuple[CallsRow, ...]
    by_domain: tuple[DomainRow, ...]
    by_task_kind: tuple[RateRow, ...]
    error_recovery: RateRow
    """Successes among counted episodes with at least one tool error."""
    tokens: int | None = None
    tokens_per_success: float | None = None
    terminations: dict[str, int] = Field(default_factory=dict)
    funnel: Funnel | None = None
    task_mix: TaskMix | None = None
    """Scenario kinds, chain lengths, discovered values per task (run folders)."""
    dialogue: DialogueStats | None = None
    """Turns per episode, distinct openings and closings, sampled conversations (run folders)."""

    def pass_hat(self, k: int) -> float | None:
        return next((row.pass_hat_k for row in self.pass_k if row.k == k), None)


def _calls_rows(rates: dict[int, metrics.Rate], cap: int) -> tuple[CallsRow, ...]:
    return tuple(
        CallsRow(
            calls=calls,
            label=f"{calls}+" if calls >= cap else str(calls),
            successes=rate.successes,
            total=rate.total,
            rate=rate.rate,
        )
        for calls, rate in rates.items()
    )


def _part(trials: list[Trial], part: str, key: str) -> RateRow | None:
    rate = metrics.part_rate(trials, part)
    return None if rate is None else RateRow.of(key, rate)


def default_max_k(trials: list[Trial] | tuple[Trial, ...]) -> int:
    """The largest number of trials of any task (at least 1)."""
    per_task = Counter(t.task_id for t in trials)
    return max(per_task.values(), default=1)


def build_summary(data: EvalData, config: EvalConfig | None = None) -> EvalSummary:
    """Compute every metric of ``data`` under ``config``."""
    config = config or EvalConfig()
    trials = data.trials
    max_k = config.max_k or default_max_k(trials)
    used = metrics.counted(trials, include_infrastructure=config.include_infrastructure)
    scenarios = {v.trial.key: v.scenario for v in data.episodes if v.scenario}
    hat, at = metrics.pass_curves(used, max_k)
    pass_rows = tuple(
        PassKRow(k=h.k, pass_hat_k=h.value, pass_at_k=a.value, tasks=h.tasks, excluded=h.excluded)
        for h, a in zip(hat, at, strict=True)
    )
    names = dict(data.domain_names)
    per_domain_all: dict[str, list[Trial]] = defaultdict(list)
    for t in trials:
        per_domain_all[t.domain_id].append(t)
    kept_by_domain = (
        {d.domain_id: d.kept for d in data.funnel.domains} if data.funnel is not None else {}
    )
    domain_rows = []
    for domain_id in sorted(per_domain_all):
        all_trials = per_domain_all[domain_id]
        dom_used = metrics.counted(all_trials, include_infrastructure=config.include_infrastructure)
        rate = metrics.success_rate(dom_used)
        dom_hat, _ = metrics.pass_curves(dom_used, max_k)
        domain_rows.append(
            DomainRow(
                domain_id=domain_id,
                name=names.get(domain_id, all_trials[0].domain),
                tasks=len({t.task_id for t in all_trials}),
                episodes=len(all_trials),
                infrastructure=metrics.infrastructure_failures(all_trials),
                successes=rate.successes,
                rate=rate.rate,
                pass_hat_k=tuple(p.value for p in dom_hat),
                kept=kept_by_domain.get(domain_id),
            )
        )
    known_tokens = [t.tokens for t in used if t.tokens is not None]
    return EvalSummary(
        source=data.source,
        max_k=max_k,
        include_infrastructure=config.include_infrastructure,
        tasks=len({t.task_id for t in trials}),
        episodes=len(trials),
        counted_episodes=len(used),
        infrastructure_failures=metrics.infrastructure_failures(trials),
        success=RateRow.of("all", metrics.success_rate(used)),
        state_success=_part(used, "state_ok", "gold state"),
        facts_success=_part(used, "facts_ok", "communicated facts"),
        by_scenario=tuple(
            RateRow.of(k, r)
            for k, r in metrics.success_by(used, lambda t: scenarios.get(t.key)).items()
        ),
        pass_k=pass_rows,
        by_gold_calls=_calls_rows(metrics.by_gold_calls(used, config.calls_cap), config.calls_cap),
        by_agent_calls=_calls_rows(
            metrics.by_agent_calls(used, config.calls_cap), config.calls_cap
        ),
        by_domain=tuple(domain_rows),
        by_task_kind=tuple(RateRow.of(k, r) for k, r in metrics.by_task_kind(used).items()),
        error_recovery=RateRow.of("tool errors", metrics.error_recovery(used)),
        tokens=sum(known_tokens) if known_tokens else None,
        tokens_per_success=metrics.tokens_per_success(used),
        terminations=dict(sorted(Counter(t.termination for t in trials if t.termination).items())),
        funnel=data.funnel,
        task_mix=data.task_mix,
        dialogue=data.dialogue,
    )
