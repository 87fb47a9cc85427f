"""Checked and instrumented tool code, compiled once per machine.

Checking and instrumenting a world's tool code (:mod:`.sandbox`) costs tens of milliseconds, paid
by every process that loads the world: each filter, simulation and task worker, each RL
environment. The compiled code object is therefore kept, like CPython's ``__pycache__``, in the
user's cache folder (``code/`` under :func:`agentscaler.cachedir.default_cache_dir`), keyed by
the source, the file name and size limit, the Python version and the sandbox's own source, so a
change to any check or to the instrumentation compiles everything again. Only code that passed
the checks is stored; refused code is checked (and refused) every time.

Whoever can write the cache could run code through every world, so an entry is trusted only
when:

* it carries the SHA-256 of its key and its code (checked on every load: a corrupt, truncated,
  swapped or hand-edited entry is rebuilt from the source);
* the cache folder and the entry belong to this user and are not writable by group or others
  (a folder that is, e.g. one under a shared ``/tmp``, is not used: a warning names it and code
  is compiled in memory). Folders are created ``0700``.

A missing or unreadable entry is rebuilt; a cache folder that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import CodeType

from agentscaler.cachedir import default_cache_dir

log = logging.getLogger(__name__)

MAGIC = b"agentscaler-code 1\n"
_DIGEST = 32


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


def _seal(key: str, payload: bytes) -> bytes:
    return hashlib.sha256(key.encode() + b"\0" + payload).digest()


def encode_entry(key: str, code: CodeType) -> bytes:
    """The bytes stored for ``code`` under ``key``: a header, the seal, the marshalled code."""
    payload = marshal.dumps(code)
    return MAGIC + _seal(key, payload) + payload


def decode_entry(key: str, data: bytes) -> CodeType | None:
    """The code of an entry, or None when it is not an intact entry of ``key``."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _DIGEST:
        return None
    seal = data[len(MAGIC) : len(MAGIC) + _DIGEST]
    payload = data[len(MAGIC) + _DIGEST :]
    if _seal(key, payload) != seal:
        return None
    try:
        code = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _unsafe(path: Path) -> str | None:
    """Why ``path`` (a folder or entry) cannot be trusted, or None."""
    try:
        info = path.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"it belongs to user id {info.st_uid}, not to you"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"it is writable by other users (mode {stat.S_IMODE(info.st_mode):o})"
    return None


@cache
def _warn_once(folder: str, reason: str) -> None:
    log.warning(
        "compiled tool code is not cached in %s: %s. Fix: chmod go-w %s (or set "
        "AGENTSCALER_CACHE_DIR to a folder only you can write)",
        folder,
        reason,
        folder,
    )


def _trusted_folder(root: Path) -> bool:
    for folder in (root.parent, root):
        reason = _unsafe(folder)
        if reason:
            _warn_once(str(folder), reason)
            return False
    return True


def cached_code(
    source: str, filename: str, max_bytes: int, build: Callable[[], CodeType]
) -> CodeType:
    """The code object of ``source``: from the cache, else ``build()`` (which checks) and store."""
    key = cache_key(source, filename, max_bytes)
    root = default_cache_dir() / "code"
    if not _trusted_folder(root):
        return build()
    path = root / key[:2] / f"{key}.bin"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = None
    except OSError as exc:
        log.debug("rebuilding the cached code %s: %s", path, exc)
        data = None
    if data is not None:
        reason = _unsafe(path) or _unsafe(path.parent)
        code = None if reason else decode_entry(key, data)
        if code is not None:
            return code
        log.warning(
            "cached tool code %s %s; compiling it again from the checked source",
            path,
            reason or "failed its content check (corrupt or modified)",
        )
    code = build()
    try:
        root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for folder in (root, path.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(encode_entry(key, code))
        os.replace(handle.name, path)
    except OSError as exc:
        log.debug("cannot store compiled tool code in %s: %s", path.parent, exc)
    return code
