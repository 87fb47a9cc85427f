"""The per-call budget of tool code: time, memory and the size of values it builds.

Instrumented tool code calls :func:`tick` at every function entry and loop head (and inside
comprehensions), and the operator guards on ``*``, ``**``, ``<<`` and ``+``. The runtime arms
the budget around each call (:func:`arm`/:func:`disarm`, per thread); SQLite statements are
interrupted on the same deadline through :func:`sql_progress`. Exceeding it raises
:class:`BudgetExceeded`, a ``BaseException`` so tool code cannot catch it with
``except Exception``. Memory is the growth of the process's peak RSS, checked every 16 ticks.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any


class BudgetExceeded(BaseException):
    """A tool call ran out of time or memory; raised inside tool code, caught by the runtime."""

    def __init__(self, reason: str, resource: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resource = resource


class _Budget(threading.local):
    def __init__(self) -> None:
        self.armed = False
        self.deadline = 0.0
        self.ticks = 0
        self.rss0 = 0
        self.memory_kb = 0
        self.max_len = 1_000_000
        self.limit_s = 0.0


_BUDGET = _Budget()


def _peak_rss_kb() -> int:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Linux/macOS
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _check_budget(budget: _Budget) -> None:
    if time.perf_counter() > budget.deadline:
        raise BudgetExceeded(f"exceeded its time limit of {budget.limit_s:g} s", "time")
    if budget.memory_kb and not budget.ticks & 15:
        if budget.rss0 < 0:  # measured lazily: most calls end before their 16th tick
            budget.rss0 = _peak_rss_kb()
        elif _peak_rss_kb() - budget.rss0 > budget.memory_kb:
            raise BudgetExceeded(
                f"exceeded its memory limit of {budget.memory_kb // 1024} MB", "memory"
            )


def tick() -> bool:
    """Budget check injected at function entries and loop heads (cheap: a counter)."""
    budget = _BUDGET
    if budget.armed:
        budget.ticks += 1
        if not budget.ticks & 3:
            _check_budget(budget)
    return True


def sql_progress() -> int:
    """SQLite progress handler: non-zero interrupts the running statement."""
    budget = _BUDGET
    return 1 if budget.armed and time.perf_counter() > budget.deadline else 0


def arm(time_limit_s: float, memory_limit_mb: int, max_sequence_len: int) -> tuple[Any, ...]:
    """Arm the budget of the current thread for one tool call; return what :func:`disarm` needs."""
    state = _BUDGET
    previous = (
        state.armed,
        state.deadline,
        state.ticks,
        state.rss0,
        state.memory_kb,
        state.max_len,
        state.limit_s,
    )
    state.armed = True
    state.limit_s = time_limit_s
    state.deadline = time.perf_counter() + time_limit_s
    state.ticks = 0
    state.memory_kb = memory_limit_mb * 1024
    state.rss0 = -1
    state.max_len = max_sequence_len
    return previous


def disarm(previous: tuple[Any, ...]) -> None:
    """Restore the budget state saved by :func:`arm`."""
    state = _BUDGET
    (
        state.armed,
        state.deadline,
        state.ticks,
        state.rss0,
        state.memory_kb,
        state.max_len,
        state.limit_s,
    ) = previous


def _too_big(size: int) -> None:
    if size > _BUDGET.max_len:
        raise BudgetExceeded(
            f"tried to build a value of {size} items (limit {_BUDGET.max_len})", "memory"
        )


def guard_mul(a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple)) and isinstance(b, int):
        _too_big(len(a) * b)
    elif isinstance(b, (str, list, tuple)) and isinstance(a, int):
        _too_big(len(b) * a)
    elif isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > 64 * 1024:
        _too_big(a.bit_length() + b.bit_length())
    return a * b


def guard_pow(a: Any, b: Any) -> Any:
    big = isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1
    if big and b * a.bit_length() > 64 * 1024:
        _too_big(b * a.bit_length())
    return a**b


def guard_lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > 64 * 1024:
        _too_big(b)
    return a << b


def guard_add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
        _too_big(len(a) + len(b))
    return a + b


def safe_range(*args: int) -> range:
    result = range(*args)
    _too_big(len(result))
    return result
