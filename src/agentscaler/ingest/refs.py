"""JSON pointers (RFC 6901): building them and resolving local ``$ref`` targets."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


def escape(token: str | int) -> str:
    """One pointer token: ``a/b`` -> ``a~1b``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join(pointer: str, *tokens: str | int) -> str:
    """``join("/paths", "/pets", "get")`` -> ``/paths/~1pets/get``."""
    return pointer + "".join("/" + escape(t) for t in tokens)


class PointerError(LookupError):
    """A pointer names nothing in the document."""


def resolve(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` (``""`` or ``"/a/0"``, percent-encoding allowed) in ``document``."""
    pointer = unquote(pointer)
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise PointerError(f"{pointer!r} is not a JSON pointer (it must start with '/')")
    value = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            if token not in value:
                raise PointerError(f"no key {token!r}")
            value = value[token]
        elif isinstance(value, list):
            if not token.isdigit() or int(token) >= len(value):
                raise PointerError(f"no index {token!r}")
            value = value[int(token)]
        else:
            raise PointerError(f"cannot look up {token!r} inside a {type(value).__name__}")
    return value
