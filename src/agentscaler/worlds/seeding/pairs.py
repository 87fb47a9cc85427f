"""Pairs of values where one ends what the other starts (``start_date`` / ``end_date``,
``departure_time`` / ``arrival_time``, ``started_at`` / ``ends_at``), kept in order in seeded
rows and in made objects: the end after its start; and pairs that describe the same moment (a
flight's ``departure_date`` and ``departure_time``, a slot's ``date`` and ``start_time``), kept
in agreement: the day is the moment's day."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import Any

from agentscaler.naming import split_identifier

END = re.compile(
    r"(^|_)(end|ends|ended|ending|finish|stop|check_out|checkout|arrival|return|dropoff|until|to"
    r"|due|expiry|expiration|expires)(_|$)"
)
STARTS = {
    "end": ("start", "begin"),
    "ends": ("starts", "begins", "started"),
    "ended": ("started", "began"),
    "ending": ("starting", "beginning"),
    "finish": ("start",),
    "stop": ("start",),
    "check_out": ("check_in",),
    "checkout": ("checkin",),
    "arrival": ("departure",),
    "return": ("pickup", "departure"),
    "dropoff": ("pickup",),
    "until": ("from", "since"),
    "to": ("from",),
    "due": ("start", "checkout", "issue", "issued", "borrowed"),
    "expiry": ("effective", "issue", "issued", "start"),
    "expiration": ("effective", "issue", "issued", "start"),
    "expires": ("starts", "effective", "issued"),
}
"""The words of an end, and those of its start."""


def pairs_of(names: Iterable[str]) -> list[tuple[str, str]]:
    """``(start, end)`` name pairs among ``names``."""
    return list(_pairs(tuple(sorted(set(names)))))


@lru_cache(maxsize=8192)
def _pairs(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    snake = {"_".join(split_identifier(name)): name for name in names}  # startDate: start_date
    found = []
    for name, original in snake.items():
        match = END.search(name)
        if match is None:
            continue
        for word in STARTS[match.group(2)]:
            start = name[: match.start(2)] + word + name[match.end(2) :]
            if start in snake and start != name:
                found.append((snake[start], original))
                break
    return tuple(sorted(found))


_DAY = re.compile(r"^(?:(.+)_)?(date|day)$")
_MOMENT = re.compile(r"^(.+)_(time|at|datetime)$")
_DAY_OF_START = frozenset({"", "travel", "service", "trip", "journey", "slot", "session", "event"})
"""Days named for what a row is (``travel_date``, ``date``): the day its start falls on."""
_STARTS = frozenset({"start", "starts", "departure", "begin", "begins"})


def same_moments(names: Iterable[str]) -> list[tuple[str, str]]:
    """``(day, moment)`` name pairs among ``names`` that describe one moment: a day column and
    the date-time of the same event (``departure_date`` / ``departure_time``, ``pickup_date`` /
    ``pickup_at``), or a row's own day and its start (``travel_date`` / ``departure_time``,
    ``date`` / ``start_time``)."""
    return list(_same_moments(tuple(sorted(set(names)))))


@lru_cache(maxsize=8192)
def _same_moments(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    if not any("day" in name.lower() or "date" in name.lower() for name in names):
        return ()  # no day among them (a split name keeps its letters in order)
    snake = {"_".join(split_identifier(name)): name for name in names}
    moments = {m.group(1): name for name in snake if (m := _MOMENT.match(name))}
    found = []
    for name, original in snake.items():
        day = _DAY.match(name)
        if day is None:
            continue
        what = day.group(1) or ""
        moment = moments.get(what) if what else None
        if moment is None and what in _DAY_OF_START:
            starts = sorted(moments[w] for w in moments if w in _STARTS)
            moment = starts[0] if len(starts) == 1 else None
        if moment is not None:
            found.append((original, snake[moment]))
    return tuple(found)


MINUTES_PER_UNIT = {"duration_minutes": 1, "duration_mins": 1, "duration_hours": 60}
"""Columns holding a row's length, and their minutes per unit."""


def spans(names: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(start, end, length)`` name triples among ``names``: a row's start and end and the
    column holding how long it lasts (a parking session's ``started_at``, ``ends_at`` and
    ``duration_minutes``)."""
    names = set(names)
    lengths = sorted(n for n in names if n in MINUTES_PER_UNIT)
    if len(lengths) != 1:
        return []
    return [(start, end, lengths[0]) for start, end in pairs_of(names)]


def agree(
    pairs: list[tuple[str, str]],
    row: dict[str, Any],
    lengths: list[tuple[str, str, str]] | tuple[()] = (),
) -> None:
    """Make the values of ``row`` that describe one moment agree (in place): each day is the day
    of the date-time it goes with (a time of day alone has no day to agree on), and an end is
    its start plus the row's length."""
    for start, end, length in lengths:
        minutes, first = row.get(length), row.get(start)
        if not _number(minutes) or minutes <= 0 or not isinstance(first, str) or len(first) <= 10:
            continue
        begin = moment_of(first)
        if not isinstance(row.get(end), str) or begin is None:
            continue
        row[end] = written_like(
            begin + dt.timedelta(minutes=minutes * MINUTES_PER_UNIT[length]), first
        )
    for day, moment in pairs:
        first, second = row.get(day), row.get(moment)
        if not isinstance(first, str) or not isinstance(second, str) or len(first) != 10:
            continue
        if len(second) > 10 and _iso(first) and _iso(second):
            row[day] = second[:10]


def moment_of(text: Any) -> dt.datetime | None:
    """An ISO date or date-time text as a moment (``Z`` read as UTC); None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def written_like(moment: dt.datetime, like: str) -> str:
    """``moment`` written as ``like`` is: its day when ``like`` is a date, else to the second,
    in UTC written ``Z`` when ``like`` is written so."""
    if len(like) == 10:
        return moment.date().isoformat()
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if like.endswith("Z") else text


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iso(text: str) -> bool:
    return re.match(r"^\d{4}-\d{2}-\d{2}", text) is not None


_OCCASIONS = frozenset(
    """reservation booking stay rental leave trip session appointment visit shift meeting ride
    boarding lesson class slot viewing book reserve rent""".split()
)
"""Words of a row (its table) or a call (its tool) that lasts hours or days: a stay, a rental,
a leave, a parking reservation."""
_SPAN_DAYS = 21
"""The longest such occasion, in days, before its end is drawn again."""


def is_occasion(name: str) -> bool:
    """Whether a table or tool name says its rows last hours or days (``reservations``,
    ``leave_requests``, ``book_room``)."""
    words = {
        w[:-1] if w.endswith("s") and w[:-1] in _OCCASIONS else w for w in split_identifier(name)
    }
    return not _OCCASIONS.isdisjoint(words)


def order(
    pairs: list[tuple[str, str]],
    row: dict[str, Any],
    rng: random.Random,
    allowed: dict[str, tuple[Any, ...]] | None = None,
    *,
    occasion: bool = False,
) -> None:
    """Put each end after its start in ``row`` (in place): numbers and same-form texts are
    swapped, dates and times of day moved a few hours or days later; a column with ``allowed``
    values takes one of them that is in order. In the row of an ``occasion`` (a stay, a parking
    reservation) an end lies hours (date-times) or one to fourteen days (dates) after its start,
    not weeks or months."""
    for start, name in pairs:
        if row.get(name) is None or row.get(start) is None:
            continue
        if allowed and (start in allowed or name in allowed):
            _order_within(start, name, row, rng, allowed)
            continue
        if _number(row[start]) and _number(row[name]):
            if row[name] < row[start]:
                row[start], row[name] = row[name], row[start]
            continue
        first, second = str(row[start]), str(row[name])
        if _CLOCK.match(first) and _CLOCK.match(second):
            _order_clock(start, name, row, rng)
            continue
        if _iso(first) and _iso(second) and _stays(name):
            _days_apart(start, name, row, rng)  # a car returned days after its pickup
            continue
        if second > first:
            if "time" in name and len(first) > 10 and len(second) > 10:
                _within_a_day(start, name, row, rng)
            elif occasion and _iso(first) and _iso(second):
                _within_occasion(start, name, row, rng)
            continue
        if len(first) == len(second) and second < first and not _iso(first):
            row[start], row[name] = row[name], row[start]  # same form: keep both valid
            continue
        try:
            if len(first) <= 10:
                moved = dt.date.fromisoformat(first) + dt.timedelta(days=rng.randint(1, 10))
                row[name] = moved.isoformat()
            else:
                moment = dt.datetime.fromisoformat(first.replace("Z", "+00:00"))
                short = "time" in name or occasion
                hours = rng.randint(1, 6) if short else rng.randint(24, 240)
                moved_at = moment + dt.timedelta(hours=hours)
                row[name] = moved_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        except ValueError:
            continue


def free_pairs(pairs: list[tuple[str, str]], schemas: dict[str, Any]) -> list[tuple[str, str]]:
    """The pairs whose two values may trade places or move: their schemas state no enum,
    pattern or constant of their own (or the same ones)."""
    kept = []
    for start, end in pairs:
        first, second = schemas.get(start) or {}, schemas.get(end) or {}
        fixed = {"enum", "pattern", "const", "maximum", "exclusiveMaximum"}
        if all(first.get(k) == second.get(k) for k in fixed) and not (
            {"enum", "const"} & (set(first) | set(second))
        ):
            kept.append((start, end))
    return kept


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(:\d{2})?$")


def _order_clock(start: str, end: str, row: dict[str, Any], rng: random.Random) -> None:
    """Times of day (``8:17``, ``20:02``): both written with two-digit hours, the end later than
    its start on the same day (by a quarter hour to five hours)."""
    first, second = _CLOCK.match(str(row[start])), _CLOCK.match(str(row[end]))
    if first is None or second is None:
        return
    begin = int(first.group(1)) * 60 + int(first.group(2))
    finish = int(second.group(1)) * 60 + int(second.group(2))
    if finish < begin:
        begin, finish = finish, begin
    if finish == begin:
        step = rng.randint(1, 20) * 15
        if begin + step < 24 * 60:
            finish = begin + step
        else:
            begin = max(0, finish - step)
    tail = first.group(3) or ""
    row[start] = f"{begin // 60:02d}:{begin % 60:02d}{tail}"
    row[end] = f"{finish // 60:02d}:{finish % 60:02d}{second.group(3) or ''}"


def _order_within(
    start: str, end: str, row: dict[str, Any], rng: random.Random, allowed: dict[str, Any]
) -> None:
    """Order a pair one of whose columns has a closed set of values (``06:00``, ``12:00``...;
    ``Morning``, ``Afternoon``, ``Evening``, in the order they are listed): a later end of its
    values, else an earlier start of its."""
    listed = [str(v) for v in (allowed.get(end) or allowed.get(start) or ())]

    def rank(value: object) -> object:
        text = str(value)
        if text[:1].isdigit() or text not in listed:
            return text  # times and dates are ordered as written
        return f"{listed.index(text):06d}"

    first, second = rank(row[start]), rank(row[end])
    if type(first) is not type(second) or str(second) > str(first):
        return
    later = [v for v in allowed.get(end) or () if str(rank(v)) > str(first)]
    if later:
        row[end] = rng.choice(later)
        return
    earlier = [v for v in allowed.get(start) or () if str(rank(v)) < str(second)]
    if earlier:
        row[start] = rng.choice(earlier)
        return
    if not str(row[start])[:1].isdigit() and str(row[start]) in map(str, allowed.get(end) or ()):
        row[end] = row[start]  # the last part of the day: it ends in that part too


_NOT_AHEAD = frozenset("birth dob born birthday issued created since expiry expires".split())
"""Words of a date a booking call gives that is not when the booked time lies."""


def ahead(
    row: dict[str, Any],
    now: str,
    rng: random.Random,
    fixed: Iterable[str] = (),
    forward: Iterable[str] = (),
) -> None:
    """Move the dates and date-times of a booking call's arguments (in place), all by the same
    whole days, so that the earliest lies one to sixty days after ``now``: what a booking books
    lies ahead of the clock, its spans and order kept. ``fixed`` arguments stay as given; a
    ``forward`` argument moves whatever its words (a railcard's expiry a write sets), while
    otherwise a date that is not when the booked time lies (a passport's expiry) stays."""
    clock = moment_of(now)
    if clock is None:
        return
    kept = set(fixed)
    moving = set(forward)
    dated = {
        name: moment.replace(tzinfo=None)
        for name, value in row.items()
        if name not in kept
        and isinstance(value, str)
        and _iso(value)
        and (name in moving or not _NOT_AHEAD & set(split_identifier(name)))
        and (moment := moment_of(value)) is not None
    }
    if not dated or min(dated.values()) > clock.replace(tzinfo=None):
        return
    days = (clock.replace(tzinfo=None) - min(dated.values())).days + rng.randint(1, 60)
    for name in dated:
        value = row[name]
        moved = moment_of(value) + dt.timedelta(days=days)  # type: ignore[operator]
        row[name] = written_like(moved, value)


def _stays(end: str) -> bool:
    """Whether ``end`` closes a stay of days (a check-out, a car's return), not a trip of hours
    (an arrival, a drop-off)."""
    match = END.search("_".join(split_identifier(end)))
    return match is not None and match.group(2) in ("check_out", "checkout", "return")


def _days_apart(start: str, end: str, row: dict[str, Any], rng: random.Random) -> None:
    """The end of a stay one to fourteen days after its start (at the same time of day for
    date-times), unless it already lies one to three weeks after it."""
    first, second = str(row[start]), str(row[end])
    begin, finish = moment_of(first), moment_of(second)
    if begin is None or finish is None:
        return
    gap = finish.replace(tzinfo=None) - begin.replace(tzinfo=None)
    if dt.timedelta(days=1) <= gap <= dt.timedelta(days=_SPAN_DAYS):
        return
    moved = begin + dt.timedelta(days=rng.randint(1, 14))
    row[end] = written_like(moved, second)


def _within_occasion(start: str, end: str, row: dict[str, Any], rng: random.Random) -> None:
    """The end of an occasion: a parking reservation's end hours after its start, a stay's
    check-out day one to fourteen days after its check-in, when they lie further apart."""
    match = END.search("_".join(split_identifier(end)))
    if match is None or match.group(2) in ("until", "to"):
        return  # valid_until: a validity, not an occasion's end
    first, second = str(row[start]), str(row[end])
    if len(first) > 10 and len(second) > 10:
        _within_a_day(start, end, row, rng)
        return
    begin, finish = moment_of(first), moment_of(second)
    if begin is None or finish is None or finish - begin <= dt.timedelta(days=_SPAN_DAYS):
        return
    moved = begin + dt.timedelta(days=rng.randint(1, 14))
    row[end] = written_like(moved, second)


def _within_a_day(start: str, end: str, row: dict[str, Any], rng: random.Random) -> None:
    """A moment an end time of the same run as its start (a flight's arrival, a session's
    end): one to fourteen hours after it when the two lie more than a day apart."""
    begin, finish = moment_of(str(row[start])), moment_of(str(row[end]))
    if begin is None or finish is None or finish - begin <= dt.timedelta(days=1):
        return
    moved = begin + dt.timedelta(minutes=15 * rng.randint(4, 56))
    row[end] = written_like(moved, str(row[end]))


COUNTERPARTS = {
    "to": "from",
    "target": ("base", "source", "from"),
    "destination": "origin",
    "dst": "src",
    "receiver": "sender",
    "recipient": "sender",
    "away": "home",
    "arrival": "departure",
}
"""Words of an argument whose value differs from its counterpart's: the word it replaces."""


def counterpart(name: str, arguments: Collection[str]) -> str | None:
    """The argument (or column) of ``arguments`` whose value ``name``'s must differ from
    (``to_city`` of ``from_city``, ``target_currency`` of ``base_currency``), else None."""
    words = split_identifier(name)
    for index, word in enumerate(words):
        firsts = COUNTERPARTS.get(word)
        for first in (firsts,) if isinstance(firsts, str) else firsts or ():
            swapped = "_".join((*words[:index], first, *words[index + 1 :]))
            found = next((n for n in arguments if "_".join(split_identifier(n)) == swapped), None)
            if found is not None:
                return found
    return None
