"""Sessions of a world: who is signed in, and the tokens that authorize calls.

A service that asks for an authentication token ("Authentication token required to authorize
the publishing action.") or acts "for the authenticated user" keeps sessions: tokens issued to
users at sign-in, live until they expire. When a domain's writes say so, the world gets a
``session`` entity (a token, the user it was issued to, and whether it is still active), the
token argument is a credential checked against it rather than a value stored on the row the call
changes, and the rule finder :func:`agentscaler.worlds.infer.rules.credentials.session_rules`
makes the check a rule.

A sign-in with a login name and a secret ("Log in to the food delivery platform using a username
and password.") checks them against an account: the world's accounts (its ``user`` rows, or
``account``, ``member`` ... when it keeps those) hold both, and the session the sign-in opens
keeps the login name, never the secret (:func:`add_account_credentials`); the rule finder
:func:`agentscaler.worlds.infer.rules.credentials.credential_rules` makes the match a rule.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from agentscaler.worlds.infer.drafts import Entities
from agentscaler.worlds.interface import ParamInfo

if TYPE_CHECKING:
    from agentscaler.worlds.infer.entities import ToolPlan

SESSION_ENTITY = "session"
TOKEN_COLUMN = "token"
USER_COLUMN = "username"
STATE_COLUMN = "status"
LIVE = "active"
SESSION_STATES = (LIVE, "expired")
WRITE_OPERATIONS = frozenset({"create", "update", "transition", "delete"})
SECRET_COLUMNS = ("password", "passcode", "pin", "pin_code", "secret")
LOGIN_COLUMNS = ("username", "user_name", "login", "email", "email_address")
ACCOUNT_ENTITIES = ("user", "account", "member", "customer", "profile")
"""Entities whose rows are the accounts one logs in to, in order of preference (the first is
the one a world without any of them gets)."""
SIGN_IN_VERBS = frozenset({"login", "signin", "logon"})

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


def add_account_credentials(plans: list[ToolPlan], entities: Entities) -> set[str]:
    """Accounts for the sign-ins of a domain that take a login name and a secret: the account
    entity (an existing one of :data:`ACCOUNT_ENTITIES`, else ``user``) gets both columns, and
    the secret is an option of the sign-in rather than a value of the session it opens (a
    service keeps passwords with its accounts, not on each session). Returns the account
    entities the sign-ins need."""
    needed: set[str] = set()
    for plan in plans:
        decision = plan.decision
        if (
            plan.shape.verb not in SIGN_IN_VERBS
            or decision.operation != "create"
            or decision.entity is None
        ):
            continue
        given = {
            role.param.column: role
            for role in decision.roles
            if role.role == "field" and role.param.json_type == "string" and role.param.column
        }
        secret = next((c for c in SECRET_COLUMNS if c in given), None)
        login = next((c for c in LOGIN_COLUMNS if c in given), None)
        if secret is None or login is None:
            continue
        account = next(
            (e for e in ACCOUNT_ENTITIES if e in entities.drafts and e != decision.entity),
            ACCOUNT_ENTITIES[0],
        )
        if account == decision.entity:
            continue
        draft = entities.ensure(account)
        for column in (login, secret):
            param = given[column].param
            if column not in draft.columns:
                draft.column(column).add(param.schema, str(param.schema.get("description") or ""))
        draft.column(login).indexed = True
        decision.roles = [
            replace(role, role="option", column=None) if role is given[secret] else role
            for role in decision.roles
        ]
        needed.add(account)
    return needed
