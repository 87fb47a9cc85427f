"""Date and time rules stated in text, against the world clock and the dates a call names.

* between arguments: ``Return time ..., after the pickup`` -> ``$return_time > $pickup_time``;
  ``The end must be after the start``;
* against the clock: ``now or on a future date``, ``the card must not be expired``, ``a viewing
  that has not taken place yet``, ``before its due date``, ``today or earlier``;
* windows: ``within 60 days of the incident``, ``up to 48 hours before the event starts``,
  ``check-in opens 24 hours before departure``, ``at most three months ahead``, ``valid for at
  least six more months``, ``at least 21 years old``, ``on a weekday``, ``later`` (moving a time
  of the row forward).

A date is an argument or a column of a row the tool binds whose name (or, for an argument, the
start of its description) says it is a date or time; phrases find it by its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentscaler.worlds.infer.rules.context import REFERRED, RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import number_value, sentences, tokens
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

_DATE_NAME = re.compile(
    r"(date|time|datetime|timestamp)(_|$)|(_at|_on|until|expiry|expires|deadline|birth|dob|"
    r"_day|^day)$"
)
_STOP = frozenset("the a an its their of date time day and or to be must in at on".split())
_DAYS_IN = {
    "day": 1,
    "days": 1,
    "week": 7,
    "weeks": 7,
    "month": 30,
    "months": 30,
    "year": 365,
    "years": 365,
}
_HOURS_IN = {"hour": 1, "hours": 1, "minute": 1 / 60, "minutes": 1 / 60}
_SYNONYMS = {
    "starts": "start",
    "started": "start",
    "begins": "start",
    "beginning": "start",
    "departs": "departure",
    "leaves": "departure",
    "arrives": "arrival",
    "arrived": "arrival",
    "delivered": "delivery",
    "delivery": "delivered",
    "expired": "expiry",
    "expires": "expiry",
    "travel": "travel",
    "incident": "incident",
    "due": "due",
    "ends": "end",
    "finish": "end",
    "birthday": "birth",
    "born": "birth",
    "old": "birth",
    "place": "time",
    "screening": "start",
    "showing": "start",
}


@dataclass(frozen=True)
class _Date:
    expr: str
    words: frozenset[str]
    param: str | None
    datetime: bool


def _words(name: str) -> set[str]:
    words = {w for w in re.split(r"[_\W]+", name.lower()) if w}
    return words | {_SYNONYMS[w] for w in words if w in _SYNONYMS}


def _dates(ctx: RuleContext) -> list[_Date]:
    found: list[_Date] = []
    for name, param in ctx.params.items():
        fmt = param.schema.get("format")
        if param.json_type not in ("string", None) and fmt is None:
            continue
        if fmt in ("date", "date-time") or _DATE_NAME.search(name):
            description = str(param.schema.get("description", ""))
            head = " ".join(description.lower().split()[:4])
            found.append(
                _Date(
                    param_ref(name),
                    frozenset(_words(name) | _words(re.sub(r"[^a-z ]", " ", head))),
                    name,
                    fmt == "date-time" or name.endswith(("time", "_at")),
                )
            )
    # rows one reference away (the flight of a booking) are bound only if a rule uses them
    for row, entity in [*ctx.rows().items(), *ctx.referred()]:
        table = ctx.tables.get(entity)
        if table is None or row == ctx.created:
            continue
        for column in table.columns:
            if column.semantic in ("date", "datetime") or (
                column.type == "TEXT"
                and column.semantic in (None, "time")
                and _DATE_NAME.search(column.name)
                and not column.enum
                and not column.references
                and not column.primary_key
            ):
                found.append(
                    _Date(
                        f"{row}.{column.name}",
                        frozenset(_words(column.name) | _words(entity)),
                        None,
                        column.semantic == "datetime" or column.name.endswith(("time", "_at")),
                    )
                )
    return found


_LAZY = re.compile(rf"({REFERRED.pattern})\.")


def _bind_lazy(ctx: RuleContext, text: str) -> str:
    """``<booking>flight.departure_time`` -> ``flight.departure_time``, binding the flight the
    booking refers to."""

    def repl(match: re.Match[str]) -> str:
        row = ctx.bind_referred(match.group(1))
        return f"{row or match.group(3)}."

    return _LAZY.sub(repl, text)


def _find(dates: list[_Date], words: list[str], *, not_param: str | None = None) -> _Date | None:
    wanted = {_SYNONYMS.get(w, w) for w in words if w not in _STOP} | {
        w for w in words if w not in _STOP
    }
    best: tuple[int, int, _Date] | None = None
    for index, date in enumerate(dates):
        if not_param is not None and date.param == not_param:
            continue
        score = len(date.words & wanted)
        if score and (best is None or (score, -index) > (best[0], best[1])):
            best = (score, -index, date)
    return best[2] if best is not None else None


def _amount(words: list[str], at: int) -> tuple[float, str] | None:
    """``(number, unit)`` of "N days"/"24 hours" starting at ``at``."""
    if at + 1 >= len(words):
        return None
    number = 1.0 if words[at] in ("a", "an") else number_value(words[at])
    unit = words[at + 1]
    if unit in ("more", "full", "calendar", "business") and at + 2 < len(words):
        unit = words[at + 2]
    if number is None or (unit not in _DAYS_IN and unit not in _HOURS_IN):
        return None
    return number, unit


def _now(date: _Date) -> str:
    return "now()" if date.datetime else "today()"


def _rule(
    name: str, check: str, error: str, source: str, date: _Date, ctx: RuleContext, *others: _Date
) -> SpecRule:
    optional = [
        d.param for d in (date, *others) if d.param is not None and not ctx.params[d.param].required
    ]
    guards = [f"{param_ref(p)} is not None" for p in optional]
    guards += [f"{d.expr} is not None" for d in (date, *others) if d.param is None]
    when = " and ".join(guards) or None
    return SpecRule(
        name=re.sub(r"[^a-z0-9_]+", "_", _LAZY.sub(r"\2.", name).lower())[:60].strip("_"),
        kind="date",
        check=_bind_lazy(ctx, check),
        error=_bind_lazy(ctx, error).replace("<", "").replace(">", ""),
        when=_bind_lazy(ctx, when) if when else None,
        source=source,
    )


def date_rules(ctx: RuleContext) -> list[SpecRule]:
    """Date rules of the tool's texts (see the module docstring for the phrases read)."""
    dates = _dates(ctx)
    if not dates or ctx.operation == "search":
        return []
    rules: list[SpecRule] = []
    for param, text in ctx.texts():
        own = next((d for d in dates if d.param == param), None) if param else None
        for sentence in sentences(text):
            words = tokens(sentence)
            source = _source(text, sentence)
            rules.extend(_between(ctx, dates, own, words, sentence, source))
            rules.extend(_against_now(ctx, dates, own, words, sentence, source))
            rules.extend(_windows(ctx, dates, own, words, sentence, source))
    unique: dict[str, SpecRule] = {}
    for rule in rules:
        unique.setdefault(rule.check, rule)
    return list(unique.values())


def _between(ctx, dates, own, words, sentence, source) -> list[SpecRule]:
    """``after the pickup`` in a date argument's description; ``the end must be after the
    start`` in the tool's description."""
    out = []
    match = re.search(
        r"\b(on or after|after|later than|before|earlier than|on or before) the (\w+( \w+)?)",
        sentence,
    )
    if match is None:
        return out
    op = {
        "after": ">",
        "later than": ">",
        "on or after": ">=",
        "before": "<",
        "earlier than": "<",
        "on or before": "<=",
    }[match.group(1)]
    other = _find(dates, match.group(2).split(), not_param=own.param if own else None)
    subject = own
    if subject is None:
        head = sentence[: match.start()].split()
        subject = _find(dates, head[-3:], not_param=other.param if other else None)
    if subject is None or other is None or subject.expr == other.expr:
        return out
    if subject.param is None and other.param is None:
        return out
    said = {">": "after", ">=": "on or after", "<": "before", "<=": "on or before"}[op]
    out.append(
        _rule(
            f"{subject.expr.strip('$').split('.')[-1]}_{said.replace(' ', '_')}_"
            f"{other.expr.strip('$').split('.')[-1]}",
            f"{subject.expr} {op} {other.expr}",
            f"{subject.expr.strip('$')} {{{subject.expr}}} must be {said} "
            f"{other.expr.strip('$')} {{{other.expr}}}",
            source,
            subject,
            ctx,
            other,
        )
    )
    return out


def _against_now(ctx, dates, own, words, sentence, source) -> list[SpecRule]:
    out = []

    def add(date: _Date, op: str, said: str, name: str) -> None:
        now = _now(date)
        out.append(
            _rule(
                f"{date.expr.strip('$').split('.')[-1]}_{name}",
                f"{date.expr} {op} {now}",
                f"{date.expr.strip('$')} is {{{date.expr}}}; it must be {said}",
                source,
                date,
                ctx,
            )
        )

    subject = own
    only_param = [d for d in dates if d.param is not None]
    if subject is None and len(only_param) == 1:
        subject = only_param[0]  # the call's one date is what the sentence is about
    if re.search(
        r"\b(now or on a future|in the future|future date|a later time|later time|not in the past)\b",
        sentence,
    ):
        target = subject or _find(dates, words)
        if target is not None and target.param is not None:
            add(target, ">=" if "now or" in sentence else ">", "in the future", "in_future")
    if re.search(r"\bnot (be )?expired\b|\bnot expire[sd]?\b", sentence):
        target = _find(dates, ["expiry", "expires", "expiration", *words])
        if target is not None and "expir" in target.expr:
            add(target, ">=", "a date that has not passed", "not_expired")
    if re.search(
        r"\b(has not|have not|not yet|hasn't) (started|begun|taken place|happened|occurred)\b",
        sentence,
    ) or re.search(r"\bnot (taken place|started) yet\b", sentence):
        target = _find(dates, ["start", "starts", *words])
        if target is not None and target.param is None:
            add(target, ">", "in the future (it has not started)", "not_started")
    if re.search(r"\bbefore its (\w+ )?(due|deadline|expiry)", sentence):
        target = _find(dates, ["due", "deadline", "expiry"])
        if target is not None:
            now = _now(target)
            out.append(
                _rule(
                    f"before_{target.expr.split('.')[-1].strip('$')}",
                    f"{now} <= {target.expr}",
                    f"{target.expr.strip('$')} {{{target.expr}}} has passed",
                    source,
                    target,
                    ctx,
                )
            )
    if re.search(r"\btoday or earlier\b|\bnot in the future\b", sentence):
        target = subject or _find(dates, words)
        if target is not None:
            add(target, "<=", "today or earlier", "not_future")
    if re.search(r"\b(weekday|business day|working day)\b", sentence):
        target = subject or _find(dates, words)
        if target is not None:
            out.append(
                _rule(
                    f"{target.expr.strip('$').split('.')[-1]}_on_a_weekday",
                    f"weekday({target.expr}) < 5",
                    f"{target.expr.strip('$')} {{{target.expr}}} is not a weekday",
                    source,
                    target,
                    ctx,
                )
            )
    if "later" in words and re.search(r"\b(move|moves|extend|extends|push)\b", sentence):
        main = ctx.main
        for date in dates:
            if date.param is None or main is None:
                continue
            column = next((d for d in dates if d.expr == f"{main}.{date.param}"), None)
            if column is not None:
                out.append(
                    _rule(
                        f"{date.param}_later",
                        f"{date.expr} > {column.expr}",
                        f"{date.param} must be later than the current {{{column.expr}}}",
                        source,
                        date,
                        ctx,
                    )
                )
    return out


def _windows(ctx, dates, own, words, sentence, source) -> list[SpecRule]:
    out = []
    for index in range(len(words)):
        amount = _amount(words, index)
        if amount is None:
            continue
        number, unit = amount
        before = " ".join(words[max(0, index - 4) : index])
        rest = words[index + 2 :]
        hours = unit in _HOURS_IN
        size = number * (_HOURS_IN[unit] if hours else _DAYS_IN[unit])
        size_text = f"{size:g}"
        span = "hours_between" if hours else "days_between"
        if re.search(r"\bat least$", before) and "old" in rest[:2]:
            target = _find(dates, ["birth", "born", "date", "dob"])
            if target is not None:
                out.append(
                    _rule(
                        f"at_least_{int(number)}_years_old",
                        f"years_between({target.expr}, today()) >= {number:g}",
                        f"must be at least {number:g} years old",
                        source,
                        target,
                        ctx,
                    )
                )
            continue
        if re.search(r"\bwithin$", before) and rest[:1] == ["of"]:
            target = _find(dates, rest[1:4])
            if target is not None:
                out.append(
                    _rule(
                        f"within_{size_text}_{'hours' if hours else 'days'}",
                        f"{span}({target.expr}, {'now()' if hours else 'today()'}) <= {size_text}",
                        f"it is more than {number:g} {unit} after {target.expr.strip('$')} {{{target.expr}}}",
                        source,
                        target,
                        ctx,
                    )
                )
            continue
        if rest[:1] == ["before"]:
            target = _find(dates, rest[1:4])
            if target is None:
                continue
            if re.search(r"\b(up to|at least|until)$", before) or "cancel" in sentence:
                op, said = ">=", f"at least {number:g} {unit} before"
            elif re.search(r"\b(opens?|from|only)\b", before + " " + " ".join(words[:index])):
                op, said = "<=", f"within {number:g} {unit} before"
            else:
                continue
            out.append(
                _rule(
                    f"{'at_least' if op == '>=' else 'within'}_{size_text}_{'h' if hours else 'd'}_before",
                    f"{span}({'now()' if hours else 'today()'}, {target.expr}) {op} {size_text}",
                    f"it must be {said} {target.expr.strip('$')} {{{target.expr}}}",
                    source,
                    target,
                    ctx,
                )
            )
            continue
        if rest[:1] == ["ahead"] or (rest[:2] == ["in", "advance"]):
            target = own or _find(dates, words)
            if target is None:
                continue
            op = "<=" if re.search(r"\b(at most|up to|no more than)$", before) else ">="
            if op == ">=" and not re.search(r"\b(at least|minimum)$", before):
                continue
            out.append(
                _rule(
                    f"{'at_most' if op == '<=' else 'at_least'}_{size_text}_days_ahead",
                    f"days_between(today(), {target.expr}) {op} {size_text}",
                    f"{target.expr.strip('$')} {{{target.expr}}} must be {'at most' if op == '<=' else 'at least'} {number:g} {unit} ahead",
                    source,
                    target,
                    ctx,
                )
            )
            continue
        if re.search(r"\b(valid for at least|at least)$", before) and not hours:
            target = _find(dates, ["expiry", "expires", "expiration", "valid", *words])
            if target is not None and ("expir" in target.expr or "valid" in sentence):
                out.append(
                    _rule(
                        f"valid_{size_text}_more_days",
                        f"days_between(today(), {target.expr}) >= {size_text}",
                        f"{target.expr.strip('$')} {{{target.expr}}} must be at least {number:g} {unit} away",
                        source,
                        target,
                        ctx,
                    )
                )
    return out
