"""Evaluation metrics as pure functions.

pass^k follows tau-bench: for a task with ``c`` successes out of ``n`` trials, the chance that
``k`` trials drawn without replacement all succeed is C(c, k) / C(n, k); the run's pass^k is the
mean over tasks. pass@k is the chance that at least one of ``k`` drawn trials succeeds,
1 - C(n - c, k) / C(n, k). A task with fewer than ``k`` trials has no estimate at that k: it is
left out of the mean and counted in :attr:`PassK.excluded`.

Infrastructure failures (transport failures, timeouts, 5xx and 429 after retries, world bugs) are
left out of every denominator unless ``include_infrastructure`` is set (then they count as
failures); :func:`infrastructure_failures` counts them. A request the server refused with a 4xx
other than 408/429 (context overflow included), an answer cut at the token limit and an empty
user reply are the model's failures, as in tau-bench: they count as failures in pass^k.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from agentscaler.errors import EvaluationError
from agentscaler.evaluate.trial import Trial

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Rate:
    """``successes`` out of ``total``; ``rate`` is None when there is nothing to divide."""

    successes: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.successes / self.total if self.total else None


@dataclass(frozen=True)
class PassK:
    """pass^k or pass@k at one ``k``: ``value`` over ``tasks`` tasks, ``excluded`` had n < k."""

    k: int
    value: float | None
    tasks: int
    excluded: int


@dataclass(frozen=True)
class TaskOutcomes:
    """Per task: number of counted trials ``n`` and successes ``c`` (aligned arrays)."""

    task_ids: tuple[str, ...]
    n: NDArray[np.int64]
    c: NDArray[np.int64]


def comb_ratio(a: ArrayLike, n: ArrayLike, k: int) -> NDArray[np.float64]:
    """C(a, k) / C(n, k) elementwise, for 0 <= a <= n and n >= k.

    Computed as the product over i < k of (a - i) / (n - i), which stays exact in floating point
    far beyond the range where the binomials themselves overflow.
    """
    if k < 0:
        raise EvaluationError(f"k must be >= 0, got {k}")
    a_arr = np.asarray(a, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    if np.any(a_arr < 0) or np.any(a_arr > n_arr):
        raise EvaluationError("successes must lie between 0 and the number of trials")
    if np.any(n_arr < k):
        raise EvaluationError(f"every task needs at least k={k} trials for C(a,k)/C(n,k)")
    out = np.ones(np.broadcast(a_arr, n_arr).shape, dtype=np.float64)
    for i in range(k):
        out *= np.clip(a_arr - i, 0.0, None) / (n_arr - i)
    return out


def _pass(n: ArrayLike, c: ArrayLike, k: int, *, at: bool) -> PassK:
    if k < 1:
        raise EvaluationError(f"k must be >= 1, got {k}")
    n_arr = np.asarray(n, dtype=np.int64)
    c_arr = np.asarray(c, dtype=np.int64)
    if n_arr.shape != c_arr.shape:
        raise EvaluationError("n and c must have the same length (one entry per task)")
    usable = n_arr >= k
    excluded = int(np.count_nonzero(~usable))
    if not usable.any():
        return PassK(k=k, value=None, tasks=0, excluded=excluded)
    n_u, c_u = n_arr[usable], c_arr[usable]
    per_task = 1.0 - comb_ratio(n_u - c_u, n_u, k) if at else comb_ratio(c_u, n_u, k)
    return PassK(k=k, value=float(per_task.mean()), tasks=int(usable.sum()), excluded=excluded)


def pass_hat_k(n: ArrayLike, c: ArrayLike, k: int) -> PassK:
    """tau-bench pass^k: mean over tasks with n >= k of C(c, k) / C(n, k)."""
    return _pass(n, c, k, at=False)


def pass_at_k(n: ArrayLike, c: ArrayLike, k: int) -> PassK:
    """pass@k: mean over tasks with n >= k of 1 - C(n - c, k) / C(n, k)."""
    return _pass(n, c, k, at=True)


def counted(trials: Iterable[Trial], *, include_infrastructure: bool = False) -> list[Trial]:
    """The trials that enter success denominators."""
    return [t for t in trials if include_infrastructure or not t.infrastructure]


def task_outcomes(trials: Iterable[Trial]) -> TaskOutcomes:
    """Trials and successes per task (pass the :func:`counted` trials)."""
    n: dict[str, int] = defaultdict(int)
    c: dict[str, int] = defaultdict(int)
    for t in trials:
        n[t.task_id] += 1
        c[t.task_id] += t.success
    ids = tuple(sorted(n))
    return TaskOutcomes(
        task_ids=ids,
        n=np.array([n[i] for i in ids], dtype=np.int64),
        c=np.array([c[i] for i in ids], dtype=np.int64),
    )


def pass_curves(trials: Sequence[Trial], max_k: int) -> tuple[list[PassK], list[PassK]]:
    """pass^k and pass@k for k = 1..max_k over the given (counted) trials."""
    out = task_outcomes(trials)
    ks = range(1, max_k + 1)
    return [pass_hat_k(out.n, out.c, k) for k in ks], [pass_at_k(out.n, out.c, k) for k in ks]


def success_rate(trials: Iterable[Trial]) -> Rate:
    """Successes over (counted) trials."""
    items = list(trials)
    return Rate(successes=sum(t.success for t in items), total=len(items))


def part_rate(trials: Iterable[Trial], part: str) -> Rate | None:
    """The rate of one part of success (``state_ok`` or ``facts_ok``) over the trials that
    record it; None when none does."""
    values = [getattr(t, part) for t in trials if getattr(t, part) is not None]
    if not values:
        return None
    return Rate(successes=sum(values), total=len(values))


def success_by(trials: Iterable[Trial], key: Callable[[Trial], K | None]) -> dict[K, Rate]:
    """Success rate per group; trials whose key is None are left out. Groups in sorted order."""
    groups: dict[K, list[Trial]] = defaultdict(list)
    for t in trials:
        group = key(t)
        if group is not None:
            groups[group].append(t)
    return {g: success_rate(groups[g]) for g in sorted(groups, key=_sort_key)}


def _sort_key(value: object) -> tuple[int, object]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def calls_bin(count: int | None, cap: int) -> int | None:
    """The bin of a tool-call count: itself below ``cap``, else ``cap`` (shown as 'cap+')."""
    return None if count is None else min(count, cap)


def by_gold_calls(trials: Iterable[Trial], cap: int) -> dict[int, Rate]:
    """Success by number of gold calls of the task (counts >= cap pooled)."""
    return success_by(trials, lambda t: calls_bin(t.n_gold_calls, cap))


def by_agent_calls(trials: Iterable[Trial], cap: int) -> dict[int, Rate]:
    """Success by number of tool calls the agent made (counts >= cap pooled)."""
    return success_by(trials, lambda t: calls_bin(t.n_agent_calls, cap))


def by_domain(trials: Iterable[Trial]) -> dict[str, Rate]:
    return success_by(trials, lambda t: t.domain_id)


def by_task_kind(trials: Iterable[Trial]) -> dict[str, Rate]:
    """Success of read-only tasks vs tasks with writes (tasks of unknown kind left out)."""
    return success_by(
        trials, lambda t: None if t.read_only is None else ("read-only" if t.read_only else "write")
    )


def error_recovery(trials: Iterable[Trial]) -> Rate:
    """Successes among the (counted) episodes in which at least one tool call returned an error."""
    return success_rate(t for t in trials if t.tool_errors > 0)


def tokens_per_success(trials: Iterable[Trial]) -> float | None:
    """All tokens spent on the (counted) episodes divided by their successes.

    None when no episode records tokens or nothing succeeded.
    """
    items = list(trials)
    known = [t.tokens for t in items if t.tokens is not None]
    successes = sum(t.success for t in items)
    if not known or not successes:
        return None
    return float(sum(known)) / successes


def infrastructure_failures(trials: Iterable[Trial]) -> int:
    return sum(t.infrastructure for t in trials)
