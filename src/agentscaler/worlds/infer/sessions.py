"""Sessions of a world: who is signed in, and the tokens that authorize calls.

A service that asks for an authentication token ("Authentication token required to authorize
the publishing action.") or acts "for the authenticated user" keeps sessions: tokens issued to
users at sign-in, live until they expire. When a domain's writes say so, the world gets a
``session`` entity (a token, the user it was issued to, and whether it is still active), the
token argument is a credential checked against it rather than a value stored on the row the call
changes, and the rule finder :func:`agentscaler.worlds.infer.rules.credentials.session_rules`
makes the check a rule.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agentscaler.worlds.infer.drafts import Entities
from agentscaler.worlds.interface import ParamInfo

SESSION_ENTITY = "session"
TOKEN_COLUMN = "token"
USER_COLUMN = "username"
STATE_COLUMN = "status"
LIVE = "active"
SESSION_STATES = (LIVE, "expired")
WRITE_OPERATIONS = frozenset({"create", "update", "transition", "delete"})

TOKEN_WORDS = frozenset({"token", "apikey", "api_key", "bearer"})
"""Last words (or whole names) of parameters that carry a credential."""
_AUTH = re.compile(r"\b(authenticat\w*|authoriz\w*|credentials?|bearer)\b", re.IGNORECASE)
_SIGNED_IN = re.compile(
    r"\b(?:the|a|an)\s+(?:currently\s+)?(?:authenticated|logged[- ]in|signed[- ]in)\s+user\b",
    re.IGNORECASE,
)
"""Acting for the user of the session: "Post a tweet for the authenticated user"."""


def is_credential(param: ParamInfo) -> bool:
    """A string parameter holding an authentication token or key (its name ends in ``token``
    or ``api_key`` and its description speaks of authenticating or authorizing)."""
    if param.json_type not in ("string", None) or param.entity is not None:
        return False
    words = param.words
    name = param.name.lower()
    named = bool(words) and (
        words[-1] in TOKEN_WORDS or "_".join(words[-2:]) in TOKEN_WORDS or name in TOKEN_WORDS
    )
    if not named:
        return False
    return bool(_AUTH.search(str(param.schema.get("description") or "")))


def signed_in_sentence(text: str) -> bool:
    """Whether a description acts for the signed-in user."""
    return bool(_SIGNED_IN.search(text))


def needs_sessions(operation: str, params: list[ParamInfo], description: str) -> bool:
    """Whether a write authenticates its caller (a credential argument, or acting for the
    signed-in user)."""
    if operation not in WRITE_OPERATIONS:
        return False
    return any(is_credential(p) for p in params) or signed_in_sentence(description)


def ensure_sessions(entities: Entities) -> None:
    """Add the session entity (or the columns an existing one lacks)."""
    draft = entities.ensure(SESSION_ENTITY)
    if TOKEN_COLUMN not in draft.columns:
        draft.column(TOKEN_COLUMN).add(
            {"type": "string"}, "Token issued to the user when the session started."
        )
    if USER_COLUMN not in draft.columns:
        draft.column(USER_COLUMN).add({"type": "string"}, "The user the session belongs to.")
    if STATE_COLUMN not in draft.columns:
        draft.column(STATE_COLUMN).add(
            {"type": "string", "enum": list(SESSION_STATES)},
            "Whether the session is still active or has expired.",
        )
    draft.column(TOKEN_COLUMN).indexed = True


def credentials_as_options(roles: list) -> list:
    """The roles with credential arguments that a write would store accepted as options: a
    token authorizes the call, it is not a value of the record the call writes. (A token that
    finds the records a call acts on, the only argument of "Deletes a specified reminder based
    on the provided token.", keeps finding them.)"""
    return [
        replace(role, role="option", column=None)
        if role.role == "field" and is_credential(role.param)
        else role
        for role in roles
    ]
