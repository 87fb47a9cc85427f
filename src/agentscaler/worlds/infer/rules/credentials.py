"""Credentials a call is made with.

A login name and a secret (``username`` and ``password``) must match an account of the world, a
row of people (or accounts) that holds both columns: "Log in to the food delivery platform using
a username and password." -> ``exists("user", username=$username, password=$password)``. Without
such a row in the world nothing says which credentials are right, and no rule is made.

An authentication token must name a live session of the world ("Authentication token required
to authorize the publishing action." -> ``exists("session", token=$token, status='active')``),
and a write "for the authenticated user" needs someone signed in (``exists("session",
status='active')``); the session entity comes from :mod:`agentscaler.worlds.infer.sessions`.
"""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import sentences
from agentscaler.worlds.infer.sessions import (
    ACCOUNT_ENTITIES,
    LIVE,
    LOGIN_COLUMNS,
    SECRET_COLUMNS,
    SESSION_ENTITY,
    STATE_COLUMN,
    TOKEN_COLUMN,
    WRITE_OPERATIONS,
    is_credential,
    signed_in_sentence,
)
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

_MENTION = re.compile(r"\b(password|passcode|pin|credentials?|log ?in|sign ?in|authenticat\w*)\b")


def credential_rules(ctx: RuleContext) -> list[SpecRule]:
    """The login name and secret given must be those of an account."""
    if ctx.operation not in ("create", "update", "transition"):
        return []
    given = {info.name: name for name, info in ctx.params.items() if info.json_type == "string"}
    secret = next((c for c in SECRET_COLUMNS if c in given), None)
    login = next((c for c in LOGIN_COLUMNS if c in given), None)
    if secret is None or login is None:
        return []
    account = next(
        (
            entity
            for entity in ACCOUNT_ENTITIES
            if entity != ctx.entity
            and entity in ctx.tables
            and {secret, login} <= {c.name for c in ctx.tables[entity].columns}
        ),
        None,
    )
    if account is None:
        return []
    stated = next(
        (
            _source(text, sentence)
            for _param, text in ctx.texts()
            for sentence in sentences(text)
            if _MENTION.search(sentence)
        ),
        "the call names a login and its secret",
    )
    login_ref, secret_ref = param_ref(given[login]), param_ref(given[secret])
    return [
        SpecRule(
            name=f"{account}_credentials_match"[:60],
            kind="exists",
            check=f'exists("{account}", {login}={login_ref}, {secret}={secret_ref})',
            error=f"no {account.replace('_', ' ')} has this {login.replace('_', ' ')} and "
            f"{secret.replace('_', ' ')}",
            source=stated,
        )
    ]


def session_rules(ctx: RuleContext) -> list[SpecRule]:
    """A token argument names an active session; a call for the signed-in user needs one."""
    table = ctx.tables.get(SESSION_ENTITY)
    if ctx.operation not in WRITE_OPERATIONS or table is None or ctx.entity == SESSION_ENTITY:
        return []
    columns = {c.name: c for c in table.columns}
    if TOKEN_COLUMN not in columns:
        return []
    state = columns.get(STATE_COLUMN)
    live = f", {STATE_COLUMN}='{LIVE}'" if state is not None and LIVE in (state.enum or ()) else ""
    for name, info in ctx.params.items():
        if not is_credential(info):
            continue
        text = str(info.schema.get("description") or "")
        stated = next(
            (_source(text, s) for s in sentences(text) if _MENTION.search(s)), text.strip()
        )
        return [
            SpecRule(
                name=f"{info.name.lower()}_names_active_session"[:60],
                kind="exists",
                check=f'exists("{SESSION_ENTITY}", {TOKEN_COLUMN}={param_ref(name)}{live})',
                error=f"{info.name} names no active session: sign in again for a valid token",
                source=stated,
            )
        ]
    said = next(
        (_source(ctx.description, s) for s in sentences(ctx.description) if signed_in_sentence(s)),
        None,
    )
    if said is None or not live:
        return []
    return [
        SpecRule(
            name="user_signed_in",
            kind="exists",
            check=f'exists("{SESSION_ENTITY}"{live})',
            error="no user is signed in: the call acts for the authenticated user",
            source=said,
        )
    ]
