"""Dates that agree with a row's status: a completed appointment lies in the past, a scheduled one
ahead of the world's clock, a checked-in stay began a few days ago.

A row whose status says where it stands in time is moved as a whole: its dates keep their order
and their distances (a booking made before its flight stays before it), only the span between
them and the clock changes. A row in a status that says nothing of time (``cancelled``, or a
status of the service's own) keeps its dates.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from agentscaler.naming import split_identifier
from agentscaler.worlds.seeding.pairs import moment_of, written_like

Tense = Literal["past", "now", "ahead"]


class Timing(NamedTuple):
    """The columns that put a table's rows in time."""

    status: str
    start: str
    """The column the row's time begins at; with ``closes``, the one it ends at (a
    prescription's ``expiration_date``: expired before the clock, active after it)."""
    ends: list[str]
    """The columns of the same moment as the start and those ending what it starts."""
    moments: list[str]
    """Every date and date-time column of the table."""
    closes: bool = False


ENDED = frozenset(
    """completed complete checked_out no_show noshow delivered departed landed arrived returned
    attended fulfilled expired used boarded closed resolved finished done ended stopped collected
    picked_up redeemed served""".split()
)
"""Statuses of a row whose time is over (its end lies before the clock)."""
UNDER_WAY = frozenset(
    "checked_in in_progress ongoing active boarding in_transit started underway seated".split()
)
"""Statuses of a row whose time has begun (its start lies before the clock, its end after)."""
LASTING = frozenset("active ongoing".split())
"""Of those, the statuses of a row that may have begun long ago (an account, a policy, a
project): its start lies anywhere in the past year, not in the last days."""
AHEAD = frozenset("scheduled confirmed upcoming booked reserved planned awaiting".split())
"""Statuses of a row whose time is still to come (its start lies after the clock)."""
WAITING = frozenset("pending requested awaiting_confirmation tentative waitlisted".split())
"""Statuses of an occasion (a booking, a leave, an appointment) still to be confirmed: what it
books lies ahead, as for a confirmed one."""
STARTS = frozenset(
    "start starts started begin begins departure departs check_in checkin pickup scheduled "
    "appointment travel event session slot effective valid_from".split()
)
"""Words of the column holding when a row's time begins (``check_in_date``, ``start_time``)."""


MADE = frozenset(
    "requested placed ordered submitted filed opened reported raised listed joined registered "
    "enrolled".split()
)
"""Words of the column holding when a row was asked for (``requested_at``, ``placed_at``): for a
row without a start, the moment an under-way status follows from."""


def made_column(moments: list[str]) -> str | None:
    """Of a row's date and date-time columns, the one it was asked for at (one only)."""
    found = [n for n in moments if set(split_identifier(n)) & MADE]
    return found[0] if len(found) == 1 else None


@lru_cache(maxsize=4096)
def _word(status: str) -> str:
    return status.strip().lower().replace(" ", "_").replace("-", "_")


def tense_of(status: Any, *, occasion: bool = False) -> Tense | None:
    """Where a row in ``status`` stands in time; a status waiting for confirmation says "ahead"
    only of an ``occasion`` (a pending order is not ahead, a pending booking is)."""
    if not isinstance(status, str):
        return None
    return _tense_of(status, occasion)


@lru_cache(maxsize=4096)
def _tense_of(status: str, occasion: bool) -> Tense | None:
    word = _word(status)
    if word in ENDED:
        return "past"
    if word in UNDER_WAY:
        return "now"
    if word in AHEAD or (occasion and word in WAITING):
        return "ahead"
    return None


CLOSES = frozenset("expiry expiration expires until".split())
"""Words of the column a row's time ends at when the row has no start (``expiration_date``)."""
RECORDED = frozenset("created updated modified changed made booked".split())
"""Words of a date column recording when something was done to the row, not when its time is."""


def start_column(moments: list[str], *, occasion: bool = False) -> str | None:
    """Of a row's date and date-time columns, the one its time begins at; for an ``occasion``
    (``table_bookings``) with no such name, its one date that records no act
    (``booking_date``: the day of the table booked)."""
    for name in moments:
        words = split_identifier(name)
        if set(words) & STARTS or "_".join(words[:2]) in STARTS:
            return name
    if occasion:
        own = [n for n in moments if not set(split_identifier(n)) & (MADE | RECORDED)]
        if len(own) == 1:
            return own[0]
    return None


def _parse(value: Any) -> dt.datetime | None:
    moment = moment_of(value) if isinstance(value, str) and len(value) >= 10 else None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _shifted(value: Any, days: int) -> Any:
    moment = _parse(value)
    if moment is None:
        return value
    return written_like(moment + dt.timedelta(days=days), value)


ARRIVES = frozenset("arrival delivery restoration completion".split())
"""Words of the column a row's time ends at beside the moment it was made (an order's
``estimated_arrival``)."""


HELD = frozenset("pause paused pauses suspend suspended hold freeze frozen".split())
"""Words of a column that ends a pause, not the row's time (a member's ``pause_until``)."""


def closes(name: str) -> bool:
    """Whether the column ``name`` holds when a row's time ends (an expiry, an arrival; not the
    end of a pause)."""
    words = set(split_identifier(name))
    return bool(words & (CLOSES | ARRIVES)) and not words & HELD


def closing_column(moments: list[str]) -> str | None:
    """Of a row's date columns, the one its time ends at (one only), for a row without start."""
    found = [n for n in moments if closes(n)]
    return found[0] if len(found) == 1 else None


def place(
    row: dict[str, Any],
    timing: Timing,
    clock: dt.datetime,
    rng: random.Random,
    *,
    occasion: bool = False,
) -> None:
    """Move ``row``'s dates (in place) so that its time stands where its status says: over
    (``ends`` before the clock), under way (begun before the clock and, when it has an end,
    ending after it; begun in the last days unless its status lasts) or ahead (``start`` after
    the clock). Moving back moves every date of the row (``moments``); moving ahead only the
    start and its ends (when it was booked stays in the past). The status of an ``occasion``
    waiting for confirmation places it ahead."""
    status, start, ends, moments, closes = timing
    tense = tense_of(row.get(status), occasion=occasion)
    if tense is None:
        return
    first = _parse(row.get(start))
    if first is None:
        return
    if closes:
        _close(row, start, first, clock, rng, tense)
        return
    lasting = _word(row[status]) in LASTING
    if not ends and not lasting and set(split_identifier(start)) & MADE:
        _asked_lately(row, status, start, moments, clock, rng, tense)
        return
    today = clock if clock.tzinfo else clock.replace(tzinfo=dt.UTC)
    last = max((m for m in (_parse(row.get(e)) for e in ends) if m is not None), default=first)
    if tense == "past":
        if last < today:
            return
        days = (today - last).days - rng.randint(1, 60)
        moved = moments
    elif tense == "now":
        if last > first:  # begun and not yet over: the clock within its span, its span kept
            if first <= today < last:
                return
            delta = today - first - (last - first) * rng.uniform(0.05, 0.95)
            if all(len(str(row.get(n))) <= 10 for n in [start, *ends]):  # days by whole days
                delta = dt.timedelta(days=delta.days)
            for name in moments if delta < dt.timedelta(0) else [start, *ends]:
                moment = _parse(row.get(name))
                if moment is not None:
                    row[name] = written_like(moment + delta, row[name])
            return
        if lasting:
            if first <= today:
                return
            days = (today - first).days - rng.randint(1, 365)
        else:
            if first < today and (today - first).days <= 14:
                return
            days = (today - first).days - rng.randint(0, 3)
        moved = moments if days < 0 else [start, *ends]
    else:
        if first > today:
            return
        days = (today - first).days + rng.randint(1, 60)
        moved = [start, *ends]
    for name in moved:
        row[name] = _shifted(row.get(name), days)


def _close(
    row: dict[str, Any],
    end: str,
    last: dt.datetime,
    clock: dt.datetime,
    rng: random.Random,
    tense: Tense,
) -> None:
    """A row that has only the moment its time ends (an expiry): over before the clock, under
    way or ahead after it."""
    today = clock if clock.tzinfo else clock.replace(tzinfo=dt.UTC)
    if tense == "past":
        if last < today:
            return
        days = (today - last).days - rng.randint(1, 180)
    else:
        if last > today:
            return
        days = (today - last).days + rng.randint(1, 365)
    row[end] = _shifted(row.get(end), days)


def _asked_lately(
    row: dict[str, Any],
    status: str,
    made: str,
    moments: list[str],
    clock: dt.datetime,
    rng: random.Random,
    tense: Tense,
) -> None:
    """A row under way or waiting that has only the moment it was asked for (a ride in
    progress or requested, requested at): asked for within the last day, its other dates moved
    with it; other states keep their dates (a confirmed order may be old)."""
    if not (tense == "now" or _word(row[status]) in WAITING):
        return
    first = _parse(row.get(made))
    today = clock if clock.tzinfo else clock.replace(tzinfo=dt.UTC)
    if first is None or dt.timedelta(0) <= today - first <= dt.timedelta(days=1):
        return
    target = today - dt.timedelta(minutes=15 * rng.randint(1, 48))
    delta = target - first
    for name in moments:
        moment = _parse(row.get(name))
        value = row.get(name)
        if moment is None or not isinstance(value, str):
            continue
        moved = moment + delta
        row[name] = written_like(moved, value)
