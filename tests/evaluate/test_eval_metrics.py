"""pass^k, pass@k and the rates, on hand-checkable cases and as properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentscaler.errors import EvaluationError
from agentscaler.evaluate import metrics
from agentscaler.evaluate.trial import Trial


def test_pass_hat_k_hand_cases():
    # one task, 4 trials, 2 successes: C(2,2)/C(4,2) = 1/6
    assert metrics.pass_hat_k([4], [2], 2).value == pytest.approx(1 / 6)
    assert metrics.pass_hat_k([4], [2], 1).value == pytest.approx(0.5)
    assert metrics.pass_hat_k([4], [2], 3).value == 0.0
    assert metrics.pass_hat_k([4], [4], 4).value == 1.0
    # two tasks: (3 of 4) and (1 of 4) at k=2 -> (3/6 + 0/6) / 2
    assert metrics.pass_hat_k([4, 4], [3, 1], 2).value == pytest.approx(0.25)


def test_pass_at_k_hand_cases():
    # 1 - C(2,2)/C(4,2) = 5/6
    assert metrics.pass_at_k([4], [2], 2).value == pytest.approx(5 / 6)
    assert metrics.pass_at_k([4], [2], 3).value == 1.0
    assert metrics.pass_at_k([4], [0], 4).value == 0.0
    assert metrics.pass_at_k([5], [1], 2).value == pytest.approx(
        1 - math.comb(4, 2) / math.comb(5, 2)
    )


def test_tasks_with_too_few_trials_are_excluded_and_counted():
    result = metrics.pass_hat_k([4, 2, 4], [4, 2, 0], 3)
    assert (result.tasks, result.excluded) == (2, 1)
    assert result.value == pytest.approx(0.5)
    none_left = metrics.pass_hat_k([1, 2], [1, 1], 3)
    assert none_left.value is None and none_left.excluded == 2


def test_comb_ratio_matches_math_comb():
    for n in range(0, 9):
        for a in range(0, n + 1):
            for k in range(0, n + 1):
                expected = math.comb(a, k) / math.comb(n, k)
                assert metrics.comb_ratio(a, n, k) == pytest.approx(expected), (a, n, k)


def test_large_trial_counts_stay_finite():
    # C(1000, 500) overflows a float; the ratio must not
    value = metrics.pass_hat_k([1000], [900], 500).value
    assert value is not None and 0.0 < value < 1e-20
    assert np.isfinite(value)


def test_bad_counts_are_refused():
    with pytest.raises(EvaluationError):
        metrics.pass_hat_k([3], [4], 1)
    with pytest.raises(EvaluationError):
        metrics.pass_hat_k([3], [1], 0)
    with pytest.raises(EvaluationError):
        metrics.pass_at_k([3, 4], [1], 1)


tasks_strategy = st.lists(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n))
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(tasks=tasks_strategy)
def test_pass_k_properties(tasks):
    n = np.array([t[0] for t in tasks])
    c = np.array([t[1] for t in tasks])
    hat1, at1 = metrics.pass_hat_k(n, c, 1).value, metrics.pass_at_k(n, c, 1).value
    mean_rate = float(np.mean(c / n))
    assert hat1 == pytest.approx(mean_rate) and at1 == pytest.approx(mean_rate)
    # on the tasks that have every k up to min(n), pass^k falls and pass@k rises with k
    kmax = int(n.min())
    hats = [metrics.pass_hat_k(n, c, k).value for k in range(1, kmax + 1)]
    ats = [metrics.pass_at_k(n, c, k).value for k in range(1, kmax + 1)]
    for value in hats + ats:
        assert 0.0 <= value <= 1.0
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(hats))
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(ats))
    assert all(h <= a + 1e-12 for h, a in zip(hats, ats, strict=True))
    # per task, at every k the task has
    for k in range(1, int(n.max()) + 1):
        hat, at = metrics.pass_hat_k(n, c, k), metrics.pass_at_k(n, c, k)
        assert hat.tasks + hat.excluded == len(tasks) == at.tasks + at.excluded
        assert hat.excluded == int(np.sum(n < k))


@settings(max_examples=100, deadline=None)
@given(outcomes=st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=20))
def test_equal_trials_pass1_is_the_success_rate(outcomes):
    trials = [
        _trial(f"t{i}", j, success=s) for i, row in enumerate(outcomes) for j, s in enumerate(row)
    ]
    hat, at = metrics.pass_curves(trials, 3)
    rate = metrics.success_rate(trials).rate
    assert hat[0].value == pytest.approx(rate) and at[0].value == pytest.approx(rate)
    # pass^3 is the share of tasks solved in all three trials
    assert hat[2].value == pytest.approx(np.mean([all(r) for r in outcomes]))
    assert at[2].value == pytest.approx(np.mean([any(r) for r in outcomes]))


def _trial(task: str, trial: int, *, success: bool, **kw) -> Trial:
    fields = {"domain_id": "d", "domain": "d", "episode_id": f"{task}-{trial}"} | kw
    return Trial(task_id=task, trial=trial, success=success, **fields)


def test_infrastructure_failures_leave_the_denominators():
    trials = [
        _trial("a", 0, success=True, tokens=100),
        _trial("a", 1, success=False, infrastructure=True, tokens=5),
        _trial("b", 0, success=False, tool_errors=2, tokens=300),
        _trial("b", 1, success=True, tool_errors=1, tokens=100),
    ]
    used = metrics.counted(trials)
    assert len(used) == 3 and metrics.infrastructure_failures(trials) == 1
    assert metrics.success_rate(used) == metrics.Rate(2, 3)
    # task a has one counted trial: excluded at k=2
    hat2 = metrics.pass_curves(used, 2)[0][1]
    assert (hat2.tasks, hat2.excluded, hat2.value) == (1, 1, 0.0)
    assert metrics.success_rate(
        metrics.counted(trials, include_infrastructure=True)
    ) == metrics.Rate(2, 4)
    assert metrics.error_recovery(used) == metrics.Rate(1, 2)
    assert metrics.tokens_per_success(used) == pytest.approx(500 / 2)


def test_groupings():
    trials = [
        _trial(
            "a", 0, success=True, n_gold_calls=1, n_agent_calls=1, read_only=True, domain_id="x"
        ),
        _trial(
            "b", 0, success=False, n_gold_calls=12, n_agent_calls=30, read_only=False, domain_id="y"
        ),
        _trial(
            "c", 0, success=True, n_gold_calls=15, n_agent_calls=2, read_only=False, domain_id="y"
        ),
        _trial("d", 0, success=True, n_gold_calls=None, read_only=None, domain_id="y"),
    ]
    assert metrics.by_gold_calls(trials, cap=10) == {1: metrics.Rate(1, 1), 10: metrics.Rate(1, 2)}
    assert metrics.by_agent_calls(trials, cap=10) == {
        0: metrics.Rate(1, 1),
        1: metrics.Rate(1, 1),
        2: metrics.Rate(1, 1),
        10: metrics.Rate(0, 1),
    }
    assert metrics.by_domain(trials) == {"x": metrics.Rate(1, 1), "y": metrics.Rate(2, 3)}
    assert metrics.by_task_kind(trials) == {
        "read-only": metrics.Rate(1, 1),
        "write": metrics.Rate(1, 2),
    }
    assert metrics.tokens_per_success(trials) is None
    assert metrics.Rate(0, 0).rate is None
