"""The per-call budget of tool code: time, memory and the size of values it builds.

Instrumented tool code calls :func:`tick` at every function entry and loop head (and inside
comprehensions), and the guards below wherever one operation could build a huge value or loop
without returning to Python code:

* operators ``*``, ``**``, ``<<``, ``+`` and ``%`` (printf-style formatting, whose widths and
  precisions are counted, ``*`` widths included);
* the string methods ``replace``, ``translate`` and ``join`` (``str`` and ``bytes``, bound or
  called on the type), whose result size is computed before they run;
* the builtins that call a function per item inside C (``map``, ``filter``): their items tick;
  ``sum`` with a sequence start concatenates under the size limit.

The runtime arms the budget around each call (:func:`arm`/:func:`disarm`, per thread); SQLite
statements are interrupted on the same deadline through :func:`sql_progress`. Exceeding it
raises :class:`BudgetExceeded`, a ``BaseException`` so tool code cannot catch it with
``except Exception``. Memory is the growth of the process's resident set over the call, checked
every 16 ticks. These guards are interpreter-level: code that is not the compiler's own runs in
a worker process under OS limits as well (:mod:`agentscaler.worlds.runtime.isolated`).
"""

from __future__ import annotations

import builtins
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple


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


_PAGE_KB = (os.sysconf("SC_PAGE_SIZE") // 1024) if hasattr(os, "sysconf") else 4


def _rss_kb() -> int:
    """The resident set of this process now (Linux ``/proc``), else its peak (``getrusage``)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        pass
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
            budget.rss0 = _rss_kb()
        elif _rss_kb() - budget.rss0 > budget.memory_kb:
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


class Limits(NamedTuple):
    """The armed budget of the current call, as a worker process needs it."""

    left_s: float
    time_limit_s: float
    memory_limit_mb: int
    max_sequence_len: int


def armed_limits() -> Limits | None:
    """The budget armed on this thread (None outside a tool call)."""
    budget = _BUDGET
    if not budget.armed:
        return None
    left = budget.deadline - time.perf_counter()
    return Limits(left, budget.limit_s, budget.memory_kb // 1024, budget.max_len)


_SEQUENCES = (str, bytes, list, tuple)


def guard_mul(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, int):
        _too_big(len(a) * b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
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
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _too_big(len(a) + len(b))
    return a + b


_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
    r"[hlL]?(?P<type>[diouxXeEfFgGcrsab%])"
)
_DEEPEST = 32


_SMALL = (float, bool, type(None))
_CONTAINERS = (list, tuple, set, frozenset)


def text_size(value: Any, limit: int, depth: int = 0) -> int:
    """An upper bound on the length of ``str(value)`` (or its JSON), or ``limit + 1`` as soon as
    it exceeds ``limit`` (so measuring a huge value costs no more than the limit)."""
    kind = type(value)
    if kind is str or kind is bytes:
        return len(value) + 2
    if kind is int:
        return value.bit_length() // 3 + 2
    if kind in _SMALL:
        return 24
    if kind is not dict and kind not in _CONTAINERS:
        return 32
    if depth >= _DEEPEST:
        return limit + 1
    total = 2 + 2 * len(value)
    items = value.items() if kind is dict else ((None, item) for item in value)
    for key, item in items:
        if key is not None:
            total += len(key) + 2 if type(key) is str else text_size(key, limit, depth + 1)
        kind = type(item)
        if kind is str:
            total += len(item) + 2
        elif kind in _SMALL:
            total += 24
        else:
            total += text_size(item, limit, depth + 1)
        if total > limit:
            return limit + 1
    return total


def _percent_size(template: str | bytes, args: Any) -> int:
    """An upper bound on the length of ``template % args`` (widths and precisions counted)."""
    limit = _BUDGET.max_len
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    values = list(args) if isinstance(args, tuple) else [args]
    position = 0
    size = len(text)
    for match in _PERCENT.finditer(text):
        for group in ("width", "precision"):
            spec = match.group(group)
            if spec == "*":
                value = values[position] if position < len(values) else 0
                position += 1
                size += abs(value) if isinstance(value, int) else 0
            elif spec:
                size += int(spec) if len(spec) < 12 else limit + 1
        if match.group("type") != "%" and match.group("key") is None:
            position += 1
        if match.group("type") in "eEfFgG":
            size += 400  # the digits of a float's integer part (at most 309)
        if size > limit:
            return size
    return size + text_size(args, limit)


def guard_mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):
        _too_big(_percent_size(a, b))
    return a % b


def guard_text(value: Any) -> Any:
    """``value`` unchanged, once its text form is known to fit (f-string fields, ``str()``)."""
    if not isinstance(value, (str, int, float, bool)) and value is not None:
        _too_big(text_size(value, _BUDGET.max_len))
    return value


def safe_str(*args: Any, **kwargs: Any) -> str:
    """``str`` that refuses to render a container larger than the size limit."""
    if args:
        guard_text(args[0])
    return str(*args, **kwargs)


# --- string methods that build their result in one call --------------------------------------


def _replace(text: Any, old: Any, new: Any, count: int = -1) -> Any:
    if isinstance(text, (str, bytes)) and isinstance(old, type(text)):
        found = len(text) + 1 if not old else text.count(old)
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        if isinstance(new, (str, bytes)) and len(new) > len(old):
            _too_big(len(text) + found * (len(new) - len(old)))
    return text.replace(old, new, count)


def _translate(text: Any, table: Any) -> Any:
    if isinstance(text, str) and isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        _too_big(len(text) * max(1, longest))
    return text.translate(table)


def _join(separator: Any, iterable: Iterable[Any]) -> Any:
    parts = iterable if isinstance(iterable, (list, tuple)) else list(iterable)
    if isinstance(separator, (str, bytes)):
        total = len(separator) * max(0, len(parts) - 1)
        for part in parts:
            if isinstance(part, (str, bytes)):
                total += len(part)
        _too_big(total)
    return separator.join(parts)


_METHODS: dict[str, Callable[..., Any]] = {
    "replace": _replace,
    "translate": _translate,
    "join": _join,
}
GUARDED_METHODS = frozenset(_METHODS)
"""Attribute names whose loads the sandbox routes through :func:`guard_attribute`."""


def guard_attribute(owner: Any, name: str) -> Any:
    """``owner.name``, with the size-guarded version of ``replace``/``translate``/``join`` when
    ``owner`` is a ``str`` or ``bytes`` (or one of those types, for ``str.join(sep, parts)``)."""
    guarded = _METHODS[name]
    if type(owner) in (str, bytes):
        return lambda *args, **kwargs: guarded(owner, *args, **kwargs)
    if owner is str or owner is bytes:
        return guarded
    return getattr(owner, name)


# --- builtins that loop inside C -------------------------------------------------------------


def _ticking(iterator: Iterator[Any]) -> Iterator[Any]:
    for item in iterator:
        tick()
        yield item


def safe_map(function: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
    """``map`` whose items tick the budget (``map(range, ...)`` inside ``sum`` stays stoppable)."""
    return _ticking(builtins.map(function, *iterables))


def safe_filter(function: Callable[[Any], Any] | None, iterable: Iterable[Any]) -> Iterator[Any]:
    """``filter`` whose items tick the budget."""
    return _ticking(builtins.filter(function, iterable))


def safe_sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    """``sum``; with a sequence start (``sum(lists, [])``) it concatenates under the size limit."""
    if isinstance(start, (int, float, complex, str, bytes)):
        return builtins.sum(iterable, start)  # numbers; text start raises TypeError as usual
    total = start
    for item in iterable:
        tick()
        total = guard_add(total, item)
    return total


def safe_range(*args: int) -> range:
    result = range(*args)
    _too_big(len(result))
    return result
