"""Credentials a call is made with: a login name and a secret (``username`` and ``password``)
must match an account of the world, a row of people (or accounts) that holds both columns.

"Log in to the food delivery platform using a username and password." -> ``exists("user",
username=$username, password=$password)``. Without such a row in the world nothing says which
credentials are right, and no rule is made.
"""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import sentences
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

SECRET_COLUMNS = ("password", "passcode", "pin", "pin_code", "secret")
LOGIN_COLUMNS = ("username", "user_name", "login", "email", "email_address")
ACCOUNT_ENTITIES = ("user", "account", "member", "customer", "profile")
"""Entities whose rows are the accounts one logs in to, in order of preference."""
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
