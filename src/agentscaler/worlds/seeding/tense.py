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
from typing import Any, Literal

from agentscaler.naming import split_identifier
from agentscaler.worlds.seeding.pairs import moment_of, written_like

Tense = Literal["past", "now", "ahead"]

ENDED = frozenset(
    """completed complete checked_out no_show noshow delivered departed landed arrived returned
    attended fulfilled expired used boarded closed resolved finished done ended stopped collected
    picked_up redeemed served""".split()
)
"""Statuses of a row whose time is over (its end lies before the clock)."""
UNDER_WAY = frozenset(
    "checked_in in_progress ongoing active boarding in_transit started underway".split()
)
"""Statuses of a row whose time has begun (its start lies just before the clock)."""
AHEAD = frozenset("scheduled confirmed upcoming booked reserved planned awaiting".split())
"""Statuses of a row whose time is still to come (its start lies after the clock)."""
STARTS = frozenset(
    "start starts started begin begins departure departs check_in checkin pickup scheduled "
    "appointment travel event session slot".split()
)
"""Words of the column holding when a row's time begins (``check_in_date``, ``start_time``)."""


MADE = frozenset("requested placed ordered submitted filed opened reported raised".split())
"""Words of the column holding when a row was asked for (``requested_at``, ``placed_at``): for a
row without a start, the moment an under-way status follows from."""


def made_column(moments: list[str]) -> str | None:
    """Of a row's date and date-time columns, the one it was asked for at (one only)."""
    found = [n for n in moments if set(split_identifier(n)) & MADE]
    return found[0] if len(found) == 1 else None


def tense_of(status: Any) -> Tense | None:
    if not isinstance(status, str):
        return None
    word = status.strip().lower().replace(" ", "_").replace("-", "_")
    if word in ENDED:
        return "past"
    if word in UNDER_WAY:
        return "now"
    if word in AHEAD:
        return "ahead"
    return None


def start_column(moments: list[str]) -> str | None:
    """Of a row's date and date-time columns, the one its time begins at."""
    for name in moments:
        words = split_identifier(name)
        if set(words) & STARTS or "_".join(words[:2]) in STARTS:
            return name
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


def place(
    row: dict[str, Any],
    status: str,
    start: str,
    ends: list[str],
    moments: list[str],
    clock: dt.datetime,
    rng: random.Random,
) -> None:
    """Move ``row``'s dates (in place) so that its time stands where its status says: over
    (``ends`` before the clock), under way (``start`` in the last days) or ahead (``start``
    after the clock). Moving back moves every date of the row (``moments``); moving ahead only
    the start and its ends (when it was booked stays in the past)."""
    tense = tense_of(row.get(status))
    first = _parse(row.get(start))
    if tense is None or first is None:
        return
    if not ends and set(split_identifier(start)) & MADE:
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


def _asked_lately(
    row: dict[str, Any],
    status: str,
    made: str,
    moments: list[str],
    clock: dt.datetime,
    rng: random.Random,
    tense: Tense,
) -> None:
    """A row under way that has only the moment it was asked for (a ride in progress, requested
    at): asked for within the last day, its other dates moved with it; an ``active`` row (an
    account, a subscription) may be old, and other states keep their dates."""
    if tense != "now" or str(row.get(status)).lower() == "active":
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
