"""Checked and instrumented tool code, compiled once per machine.

Checking and instrumenting a world's tool code (:mod:`.sandbox`) costs tens of milliseconds, paid
by every process that loads the world: each filter, simulation and task worker, each RL
environment. The compiled code object is therefore kept, like CPython's ``__pycache__``, in the
user's cache folder (``code/`` under :func:`agentscaler.cachedir.default_cache_dir`), keyed by
the source, the file name and size limit, the Python version and the sandbox's own source, so a
change to any check or to the instrumentation compiles everything again. Only code that passed
the checks is stored; refused code is checked (and refused) every time. A missing, unreadable or
corrupt entry is rebuilt; a cache folder that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import CodeType

from agentscaler.cachedir import default_cache_dir

log = logging.getLogger(__name__)


CHECKING_MODULES = ("sandbox.py", "budget.py")
"""The modules (beside this one) whose source decides what checked code compiles to."""


@cache
def _sandbox_fingerprint() -> bytes:
    digest = hashlib.sha256(sys.version.encode())
    for name in CHECKING_MODULES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.digest()


def cache_key(source: str, filename: str, max_bytes: int) -> str:
    digest = hashlib.sha256(_sandbox_fingerprint())
    digest.update(f"\0{filename}\0{max_bytes}\0".encode())
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def cached_code(
    source: str, filename: str, max_bytes: int, build: Callable[[], CodeType]
) -> CodeType:
    """The code object of ``source``: from the cache, else ``build()`` (which checks) and store."""
    key = cache_key(source, filename, max_bytes)
    path = default_cache_dir() / "code" / key[:2] / f"{key}.bin"
    try:
        code = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType):
            return code
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, TypeError) as exc:
        log.debug("rebuilding the cached code %s: %s", path, exc)
    code = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(marshal.dumps(code))
        os.replace(handle.name, path)
    except OSError as exc:
        log.debug("cannot store compiled tool code in %s: %s", path.parent, exc)
    return code
