"""Status rules stated in text: which states a row must (or must not) be in for the call.

Read from each sentence of the tool's and its parameters' descriptions, against the state
columns (status, stage, lock_state ...) of the rows the tool binds:

* ``Only pending or processing orders can be cancelled`` -> allowed {pending, processing};
* ``Cancel a pending or confirmed booking``, ``a claim under review``, ``The reservation must be
  confirmed`` -> allowed (a state word next to the row's noun, or after must/be);
* ``Checked-in or cancelled bookings cannot be changed``, ``a draft that has not been sent``,
  ``an undelivered shipment``, ``already graded`` -> forbidden;
* ``an open claim``, ``closed deals``, ``not decided yet``: words naming a group of states
  (:mod:`.lifecycle`).

"only" statements win over plain mentions, which win over forbidden ones. Sentences about the
result (``Returns the pending request``) or the state the call moves the row to (``marks it as
completed``) are not preconditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentscaler.records.world import Column
from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.lifecycle import (
    GROUP_WORDS,
    PLAIN_GROUP_WORDS,
    group_values,
    is_state_adjective,
)
from agentscaler.worlds.infer.rules.text import (
    DETERMINERS,
    clauses,
    is_result_sentence,
    mentions,
    negated,
    sentences,
    spoken,
    tokens,
    word_forms,
)
from agentscaler.worlds.spec.model import SpecRule

_TARGET_CUE = frozenset("as to into becomes become marked mark sets set starts start".split())
_MUST = re.compile(r"\b(must|needs? to|has to|have to|should|required to) be\b")
_ACTION_BE = frozenset("can cannot may will could would to".split())
_MOVES = re.compile(
    r"\b(starts? (in|as)|is created|are created|becomes?|is set to|moves? (it )?to|goes to|"
    r"marks? (it|them|the \w+ )?as|marked as|as (completed|done|resolved|paid|read))\b"
)
_WINDOW = 4
_PREREQUISITE = re.compile(
    r"\bmust (first )?be\b(?=.*\bfirst\W*$)|\bmust first be\b|\bmust be\b(?=.*\bbefore (it|they) can\b)"
)
_CONDITIONAL_EFFECT = re.compile(r"\b(is|are|will be|gets?) \w+ed only (when|if)\b")
"""``The fee is refunded only when ...``: a condition of an effect, not of the call."""


@dataclass
class _Evidence:
    only: list[str] = field(default_factory=list)
    strong: list[str] = field(default_factory=list)
    """Next to the row's noun as the verb's object, or after must/needs to be."""
    plain: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _nouns(ctx: RuleContext, row: str, entity: str) -> list[str]:
    phrases = {entity.replace("_", " "), entity.split("_")[-1], row.replace("_", " ")}
    table = ctx.tables.get(entity)
    if table is not None:
        phrases.add(table.name.replace("_", " "))
    return sorted(phrases, key=len, reverse=True)


def _candidates(ctx: RuleContext) -> list[tuple[str, str, Column]]:
    rows = ctx.rows()
    out = []
    ordered = [r for r in rows if r == ctx.main] + [r for r in rows if r != ctx.main]
    for row in ordered:
        entity = rows[row]
        for column in ctx.state_columns(entity):
            out.append((row, entity, column))
    return out


def _owner_of_mention(
    words: list[str],
    start: int,
    end: int,
    nouns: dict[str, list[tuple[int, int]]],
    options: list[str],
    default: str | None,
) -> str | None:
    """The row a state word at ``start..end`` is about: the nearest noun of a candidate row
    (after the word first: "a confirmed booking"), else the default if it is a candidate."""
    best: tuple[int, str] | None = None
    for row in options:
        for noun_start, noun_end in nouns.get(row, ()):
            if noun_start >= end:
                distance = noun_start - end
                window = _WINDOW
            elif noun_end <= start:
                distance = start - noun_end + 1  # nouns before the word count a bit less
                window = _WINDOW + 2  # "a hold that is waiting or ready for pickup"
            else:
                continue
            if distance <= window and (best is None or distance < best[0]):
                best = (distance, row)
    if best is not None:
        return best[1]
    if default is not None and default in options:
        return default
    return None


def status_rules(ctx: RuleContext) -> list[SpecRule]:
    """Status rules the tool's texts state, one per (row, state column)."""
    candidates = _candidates(ctx)
    if not candidates:
        return []
    evidence: dict[tuple[str, str], _Evidence] = {}
    columns = {(row, column.name): column for row, _, column in candidates}
    default = ctx.main
    for _param, text in ctx.texts():
        for number, sentence in enumerate(sentences(text)):
            first = number == 0  # "Pause an active membership": the verb's object
            if is_result_sentence(sentence) or _CONDITIONAL_EFFECT.search(sentence):
                continue
            words = tokens(sentence)
            nouns: dict[str, list[tuple[int, int]]] = {}
            for row, entity, _ in candidates:
                if row not in nouns:
                    nouns[row] = [
                        (m.start, m.end)
                        for p in _nouns(ctx, row, entity)
                        for m in mentions(words, p)
                    ]
            moves = _MOVES.search(sentence)
            only_at = words.index("only") if "only" in words else None
            # "Active projects must be completed or put on hold first": the state before is
            # the one that blocks, the ones after are what to do about it
            prerequisite = _PREREQUISITE.search(sentence)
            must_at = len(tokens(sentence[: prerequisite.start()])) if prerequisite else None
            # ... unless the subject is another kind of record ("Open refills must be cancelled")
            about_others = must_at is not None and _names_other_table(ctx, words[:must_at])
            # a clause saying what to do with rows in another state is no condition on the call
            procedure_at = None
            if must_at is None and "must" in words:
                at = words.index("must")
                if "already" in words[:at] or any(negated(words, i) for i in range(at)):
                    procedure_at = at
            mentioned = _value_mentions(words, candidates)
            for value_key, found in mentioned.items():
                value, prefixed = value_key
                if prefixed and (value, False) in mentioned:
                    continue  # "scheduled drafts are unscheduled": what the call does to them
                for start, end in found:
                    if start > 0 and words[start - 1] in _TARGET_CUE and not prefixed:
                        continue
                    if start > 1 and words[start - 1] == "be" and words[start - 2] in _ACTION_BE:
                        continue  # "can be submitted": the action, not a state
                    if moves and start >= len(tokens(sentence[: moves.start()])) and not prefixed:
                        continue  # "... marks it as completed": the target, not a condition
                    after_must = must_at is not None and start > must_at
                    if procedure_at is not None and start > procedure_at:
                        continue  # "stays already checked in must be checked out at the desk"
                    if _about_other_noun(words, start, end, nouns):
                        continue  # "so it leaves the active boards"
                    options = [r for r, _, c in candidates if value in _values(c)]
                    explicit = _listed_after_state_word(words, start)
                    forbidden = not explicit and (
                        prefixed
                        or negated(words, start, end)
                        or "already" in words[max(0, start - 2) : start]
                        or (must_at is not None and not after_must)
                    )
                    only = not forbidden and only_at is not None and only_at < start
                    # a plain mention needs the row's noun next to it; "only" and forbidden
                    # ones in the tool's own description may be about the acted-on row; a word
                    # for a group of states ("open") needs its noun outside the first sentence
                    group = words[start] in GROUP_WORDS and spoken(value) != words[start]
                    fallback = (
                        default
                        if (
                            _param is None
                            and (
                                first
                                or (after_must and not about_others)
                                or ((only or forbidden) and not group)
                            )
                        )
                        else None
                    )
                    row = _owner_of_mention(words, start, end, nouns, options, fallback)
                    if (
                        row is None
                        and default is None
                        and _param is None
                        and (only or forbidden)
                        and len(options) == 1
                    ):
                        row = options[0]  # "Accounts in arrears cannot add lines": the account
                    if row is None:
                        continue
                    column = next(c for r, _, c in candidates if r == row and value in _values(c))
                    bucket = evidence.setdefault((row, column.name), _Evidence())
                    if forbidden:
                        bucket.forbidden.append(value)
                    elif only:
                        bucket.only.append(value)
                    elif (
                        (first and _param is None)
                        or explicit
                        or after_must
                        or _MUST.search(sentence)
                    ):
                        bucket.strong.append(value)
                    else:
                        bucket.plain.append(value)
                    if text not in bucket.sources:
                        bucket.sources.append(_source(text, sentence))
    rules = []
    for (row, column_name), found in evidence.items():
        column = columns[(row, column_name)]
        rule = _rule(ctx, row, column, found)
        if rule is not None:
            rules.append(rule)
    return rules


_AUXILIARIES = frozenset("was is has were are been".split())
_CLAUSE_TURNS = frozenset("so while whereas which where then".split())


def _about_other_noun(
    words: list[str], start: int, end: int, nouns: dict[str, list[tuple[int, int]]]
) -> bool:
    """Whether a state word qualifies another noun in a later clause than the row's own
    ("archive a completed project so it leaves the active boards")."""
    if start == 0 or words[start - 1] not in DETERMINERS:
        return False
    if any(noun_start in (end, end + 1) for spans in nouns.values() for noun_start, _ in spans):
        return False
    before = [noun_end for spans in nouns.values() for _, noun_end in spans if noun_end <= start]
    return bool(before) and any(w in _CLAUSE_TURNS for w in words[max(before) : start])


def _names_other_table(ctx: RuleContext, words: list[str]) -> bool:
    """Whether the words name a table other than the acted-on one's."""
    for entity, table in ctx.tables.items():
        if entity == ctx.entity:
            continue
        for phrase in {spoken(entity), spoken(table.name)}:
            if mentions(words, phrase):
                return True
    return False


def _listed_after_state_word(words: list[str], start: int) -> bool:
    """``(status draft or paid)``: values listed right after the word status (or state)."""
    index = start - 1
    while index >= 1 and words[index] in ("or", "and"):
        index -= 2  # skip "<value> or"
    return index >= 0 and words[index] in ("status", "state", "stage")


def _values(column: Column) -> list[str]:
    return [str(v) for v in column.enum or () if isinstance(v, str)]


def _value_mentions(
    words: list[str], candidates: list[tuple[str, str, Column]]
) -> dict[tuple[str, bool], list[tuple[int, int]]]:
    """``(value, negated by an un- prefix) -> [(start, end)]`` of state words in a sentence."""
    found: dict[tuple[str, bool], list[tuple[int, int]]] = {}
    values = {v for _, _, c in candidates for v in _values(c)}
    forms = [(v, form) for v in values for form in word_forms(spoken(v))]
    for value, form in sorted(forms, key=lambda vf: -len(vf[1])):
        n = len(form)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == form:
                found.setdefault((value, False), []).append((i, i + n))
            elif (
                n == 2
                and i + 3 <= len(words)
                and words[i] == form[0]
                and words[i + 1] in _AUXILIARIES
                and words[i + 2] == form[1]
            ):
                found.setdefault((value, False), []).append((i, i + 3))  # "label was created"
            elif n == 1 and words[i] == "un" + form[0] and ("un" + value) not in values:
                found.setdefault((value, True), []).append((i, i + 1))
    # a shorter value inside a longer one's mention is not a mention of its own
    spans = sorted(
        ((s, e, k) for k, v in found.items() for s, e in v), key=lambda t: (t[0], -(t[1] - t[0]))
    )
    kept: dict[tuple[str, bool], list[tuple[int, int]]] = {}
    covered: set[int] = set()
    for start, end, key in spans:
        if any(i in covered for i in range(start, end)):
            continue
        covered.update(range(start, end))
        kept.setdefault(key, []).append((start, end))
    # "an open claim", "closed deals": a word naming a group of one column's states
    for i, word in enumerate(words):
        if i in covered or word not in GROUP_WORDS or not is_state_adjective(words, i):
            continue
        for _, _, column in candidates:
            for value in group_values(word, _values(column)):
                spans = kept.setdefault((value, False), [])
                if (i, i + 1) not in spans:
                    spans.append((i, i + 1))
    return kept


def _source(text: str, sentence: str) -> str:
    """The sentence as written in the original text (its case and punctuation)."""
    for part in clauses(text):
        normalized = re.sub(r"\s+", " ", part.lower().replace("-", " ").replace("_", " ")).strip()
        if normalized == sentence:
            return part.strip()
    return sentence


def _group_word(chosen: list[str], values: list[str]) -> str | None:
    """The word for a group of states that names exactly ``chosen`` ("open"), if any."""
    if len(chosen) < 2:
        return None
    return next((w for w in PLAIN_GROUP_WORDS if set(group_values(w, values)) == set(chosen)), None)


def _rule(ctx: RuleContext, row: str, column: Column, found: _Evidence) -> SpecRule | None:
    values = _values(column)
    strong = found.only or found.strong
    allowed = list(dict.fromkeys(strong or ([] if found.forbidden else found.plain)))
    if row == ctx.main and allowed == [ctx.to_status]:
        allowed = []  # "the ticket to be closed": the move itself, not where it starts
    if set(allowed) >= set(values):
        allowed = []  # "switch it on or off": every state, no rule
    forbidden = [v for v in dict.fromkeys(found.forbidden) if v not in allowed]
    label = row.replace("_", " ")
    key = ctx.tables[ctx.row_entity(row) or ""].primary_key
    what = column.name.replace("_", " ")
    source = found.sources[0] if found.sources else ""
    if allowed:
        check = f"{row}.{column.name} in ({', '.join(repr(v) for v in allowed)}{',' if len(allowed) == 1 else ''})"
        group = _group_word(allowed, values)
        said = " or ".join(allowed)
        name = f"{row}_is_{group or '_or_'.join(allowed)}"
        said = f"{group} ({said})" if group else said
        error = f"{label} {{{row}.{key}}} is {{{row}.{column.name}}}; it must be {said}"
    elif forbidden and set(forbidden) < set(values):
        check = f"{row}.{column.name} not in ({', '.join(repr(v) for v in forbidden)}{',' if len(forbidden) == 1 else ''})"
        group = _group_word(forbidden, values)
        said = " or ".join(forbidden)
        name = f"{row}_not_{group or '_or_'.join(forbidden)}"
        said = f"{group} ({said})" if group else said
        error = f"{label} {{{row}.{key}}} is {{{row}.{column.name}}}; it may not be {said}"
    else:
        return None
    if column.name not in ("status",):
        error = error.replace(f"is {{{row}.{column.name}}}", f"has {what} {{{row}.{column.name}}}")
    name = re.sub(r"[^a-z0-9_]+", "_", name.lower())[:60].rstrip("_")
    return SpecRule(name=name, kind="status", check=check, error=error, source=source)
