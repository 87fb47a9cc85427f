"""Which table operation a tool performs: verbs, status transitions and their preconditions."""

from __future__ import annotations

import re
from collections.abc import Sequence

DELETE_VERBS = frozenset(
    "delete remove erase purge destroy drop discard unlink detach uninstall".split()
)
CREATE_VERBS = frozenset(
    """create add new insert register make generate post submit place book reserve schedule file
    log record write upload send compose issue enroll subscribe apply invite request order purchase
    buy rent hire adopt save import open start plan initiate raise report leave put""".split()
)
UPDATE_VERBS = frozenset(
    """update edit modify set change rename move assign reassign adjust replace reschedule upgrade
    downgrade extend configure toggle patch correct amend transfer top charge rate review
    increase decrease reduce rebook swap link attach manage control customize personalize
    calibrate""".split()
)
COMMAND_VERBS = frozenset(
    """manage control customize personalize connect disconnect recover coordinate calibrate run
    deploy export authorize broadcast collaborate launch trigger announce""".split()
)
"""Verbs that command a service to change something, beyond the shared write verbs of
:mod:`agentscaler.naming` (``connect_to_wifi``, ``deploy_code``, ``run_microwave``)."""
TRADE_VERBS = frozenset("book reserve rent buy purchase order issue borrow lend hire adopt".split())
"""Verbs whose call on a keyed thing records a deal about it (a purchase of an item, an issue
of a book to a user), not a change of the thing's own fields; the thing traded is not the
caller's own."""
COMPUTATION_NOUNS = frozenset(
    """test tests tester testing model simulation analysis query script check scan benchmark
    report evaluation prediction calculation experiment diagnostic diagnostics""".split()
)
"""Objects of ``run`` that compute a result rather than command a thing (``run_mobile_test``)."""
COMPUTE_VERBS = frozenset(
    """calculate compute convert estimate predict translate analyze analyse evaluate assess
    forecast recommend suggest summarize detect identify measure compare validate verify simulate
    optimize optimise solve quote preview score classify parse format generate encode decode
    interpret diagnose transcribe""".split()
)
LIST_VERBS = frozenset("list search find browse query filter explore scan sort rank match".split())

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "cancel": ("cancelled", "canceled"),
    "approve": ("approved",),
    "reject": ("rejected", "declined"),
    "decline": ("declined", "rejected"),
    "deny": ("denied", "rejected"),
    "complete": ("completed", "complete", "done"),
    "finish": ("finished", "completed"),
    "close": ("closed",),
    "confirm": ("confirmed",),
    "ship": ("shipped",),
    "deliver": ("delivered",),
    "dispatch": ("dispatched",),
    "archive": ("archived",),
    "unarchive": ("active",),
    "activate": ("active", "activated"),
    "reactivate": ("active", "activated"),
    "deactivate": ("inactive", "deactivated"),
    "suspend": ("suspended",),
    "resume": ("active", "resumed", "in_progress"),
    "pause": ("paused",),
    "unpause": ("active",),
    "reopen": ("open", "reopened"),
    "refund": ("refunded",),
    "pay": ("paid",),
    "block": ("blocked",),
    "unblock": ("active", "unblocked"),
    "lock": ("locked",),
    "unlock": ("unlocked", "active"),
    "freeze": ("frozen",),
    "unfreeze": ("active",),
    "publish": ("published",),
    "unpublish": ("draft", "unpublished"),
    "submit": ("submitted",),
    "resolve": ("resolved",),
    "escalate": ("escalated",),
    "start": ("in_progress", "started", "active"),
    "stop": ("stopped",),
    "expire": ("expired",),
    "renew": ("active", "renewed"),
    "return": ("returned",),
    "accept": ("accepted",),
    "sign": ("signed",),
    "revoke": ("revoked",),
    "terminate": ("terminated",),
    "release": ("released",),
    "claim": ("claimed",),
    "redeem": ("redeemed",),
    "enable": ("enabled", "active"),
    "disable": ("disabled", "inactive"),
    "fail": ("failed",),
    "void": ("voided", "void"),
    "settle": ("settled",),
    "dispute": ("disputed",),
    "flag": ("flagged",),
    "hold": ("on_hold", "held"),
    "restore": ("active", "restored"),
    "checkin": ("checked_in",),
    "checkout": ("checked_out",),
    "collect": ("collected",),
    "mute": ("muted",),
    "unmute": ("active",),
    "withdraw": ("withdrawn",),
    "verify": ("verified",),
    "fulfill": ("fulfilled",),
    "process": ("processing", "processed"),
    "assign": ("assigned",),
}
REVERSE_SOURCES: dict[str, tuple[str, ...]] = {
    "reopen": ("closed", "resolved", "cancelled", "canceled", "completed"),
    "unblock": ("blocked",),
    "unlock": ("locked",),
    "unfreeze": ("frozen",),
    "resume": ("paused", "suspended", "on_hold"),
    "unpause": ("paused",),
    "reactivate": ("inactive", "deactivated", "suspended", "cancelled", "expired"),
    "activate": ("inactive", "deactivated", "pending", "suspended", "disabled"),
    "enable": ("disabled", "inactive"),
    "restore": ("archived", "deleted", "removed"),
    "unarchive": ("archived",),
    "unpublish": ("published",),
    "unmute": ("muted",),
    "renew": ("expired", "active", "expiring"),
}
TERMINAL_STATUSES = frozenset(
    """cancelled canceled completed complete closed delivered refunded rejected declined expired
    deleted archived failed returned terminated revoked done finished void voided removed denied
    resolved""".split()
)
INITIAL_STATUSES = (
    "pending",
    "open",
    "new",
    "active",
    "scheduled",
    "draft",
    "requested",
    "submitted",
    "created",
    "booked",
    "confirmed",
    "placed",
    "available",
    "upcoming",
    "processing",
)
NOTE_PARAM_WORDS = frozenset(
    "reason note notes comment comments message remarks explanation description memo feedback".split()
)


def norm_status(value: object) -> str:
    return re.sub(r"[\s-]+", "_", str(value).strip().lower())


def transition_target(
    verb: str | None, tail: Sequence[str], enum: Sequence[object] | None
) -> str | None:
    """The status a transition verb moves to, matched against the column's enum when known."""
    candidates: tuple[str, ...] = ()
    if tail:
        candidates = ("_".join(tail), tail[-1])
    elif verb in TRANSITIONS:
        candidates = TRANSITIONS[verb]
    if not candidates:
        return None
    if enum:
        by_norm = {norm_status(e): str(e) for e in enum if isinstance(e, str)}
        for candidate in candidates:
            if candidate in by_norm:
                return by_norm[candidate]
        return None
    return candidates[0]


def allowed_sources(
    verb: str | None, target: str | None, enum: Sequence[object] | None, description: str
) -> tuple[str, ...]:
    """Statuses a row must be in for the transition, or () for "any status but the target".

    Sentences of the description that name enum values with "only", "must be" or "can be"
    decide; otherwise reverse verbs (reopen, unblock...) start from their opposite states and
    every other verb from the non-terminal states.
    """
    values = [str(e) for e in (enum or ()) if isinstance(e, str)]
    if not values:
        return ()
    stated = statuses_stated(description, values, verb)
    if stated:
        return tuple(v for v in stated if v != target)
    if verb in REVERSE_SOURCES:
        wanted = set(REVERSE_SOURCES[verb])
        sources = tuple(v for v in values if norm_status(v) in wanted and v != target)
        if sources:
            return sources
    sources = tuple(v for v in values if v != target and norm_status(v) not in TERMINAL_STATUSES)
    return sources


def statuses_stated(
    description: str, values: Sequence[str], verb: str | None = None
) -> tuple[str, ...]:
    """Enum values named as allowed sources in the description ("Only pending orders can...").

    Sentences with "only" decide; without one, sentences saying "must be"/"can be" that also
    name the tool's verb. Negative sentences ("cannot", "not") are ignored.
    """
    if not description or not values:
        return ()
    sentences = [s.lower() for s in re.split(r"(?<=[.;!?])\s+", description)]
    sentences = [
        s for s in sentences if not re.search(r"\bcannot\b|\bcan't\b|\bcan not\b|\bnot\b", s)
    ]
    chosen = [s for s in sentences if re.search(r"\bonly\b", s)]
    if not chosen and verb:
        stem = verb[:-1] if verb.endswith("e") else verb
        chosen = [
            s for s in sentences if re.search(r"\bmust be\b|\bcan be\b|\bmay be\b", s) and stem in s
        ]
    found: list[str] = []
    for sentence in chosen:
        for value in values:
            spoken = re.escape(value.lower()).replace("_", "[ _]")
            if re.search(rf"\b{spoken}\b", sentence) and value not in found:
                found.append(value)
    return tuple(found)


def initial_status(enum: Sequence[object] | None, known: Sequence[str] = ()) -> str | None:
    """The status a created row starts in."""
    values = [str(e) for e in (enum or ()) if isinstance(e, str)]
    if values:
        by_norm = {norm_status(v): v for v in values}
        for candidate in INITIAL_STATUSES:
            if candidate in by_norm:
                return by_norm[candidate]
        return values[0]
    for candidate in INITIAL_STATUSES:
        if candidate in known:
            return candidate
    return "active"
