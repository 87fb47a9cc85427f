"""One lock per run folder, held by ``run`` and by every stage that writes into the folder.

The lock is a POSIX record lock (``fcntl.lockf``) on ``<run>/.lock``. The kernel drops it when the
holder ends, however it ends (``kill -9`` included), so a lock left by a dead process is simply
taken over; it is not inherited by forked worker processes. The file records the holder (pid,
command, start time) so a second command on the same folder is refused with a message naming
them::

    runs/demo is in use by process 4242 (`agentscaler run --out runs/demo`, since
    2025-06-01T09:00:00+00:00): wait for it to finish, or stop it (kill 4242) and run this again.

Taking the lock again in the process that holds it is free (``run`` holds it while each stage
takes it too). The lock file is opened once per holder and never read by it: closing any other
descriptor of the file would release a POSIX lock.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import logging
import os
import shlex
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agentscaler.errors import RunFolderBusy, RunFolderError

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"


@dataclass
class _Held:
    fd: int
    depth: int


_HELD: dict[Path, _Held] = {}
_GUARD = threading.Lock()


def lock_path(root: Path | str) -> Path:
    return Path(root) / LOCK_NAME


def current_command() -> str:
    """This process's command line, as a user would type it."""
    argv = list(sys.argv) or ["python"]
    if argv[0].endswith(("agentscaler", "app.py", "__main__.py")):
        argv[0] = "agentscaler"
    return shlex.join(argv)


def holder(root: Path | str) -> dict[str, object] | None:
    """What the lock file of ``root`` says about its (last) holder, if anything."""
    try:
        data = json.loads(lock_path(root).read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _busy_message(root: Path) -> str:
    info = holder(root) or {}
    pid = info.get("pid")
    if not isinstance(pid, int):
        return (
            f"{root} is in use by another agentscaler process (lock {lock_path(root)}): wait for "
            "it to finish, then run this again."
        )
    command = info.get("command") or "agentscaler"
    since = f", since {info['started_at']}" if info.get("started_at") else ""
    return (
        f"{root} is in use by process {pid} (`{command}`{since}): wait for it to finish, or stop "
        f"it (kill {pid}) and run this again."
    )


@contextmanager
def run_lock(
    root: Path | str, command: str | None = None, *, create: bool = False
) -> Iterator[Path]:
    """Hold the lock of run folder ``root`` for the ``with`` block.

    Raises :class:`RunFolderBusy` at once when another process holds it, and
    :class:`RunFolderError` when the folder does not exist (unless ``create``).
    """
    folder = Path(root).resolve()
    with _GUARD:
        held = _HELD.get(folder)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield folder
        finally:
            with _GUARD:
                held.depth -= 1
        return
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise RunFolderError(f"{folder} does not exist (or is not a folder): check the path")
    fd = os.open(lock_path(folder), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise RunFolderBusy(_busy_message(folder)) from exc
    previous = None
    try:
        previous = os.pread(fd, 4096, 0)
        record = {
            "pid": os.getpid(),
            "command": command or current_command(),
            "started_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
    except OSError:
        os.close(fd)
        raise
    if previous:
        log.debug("%s: took over the lock last held by %s", folder, previous[:200])
    with _GUARD:
        _HELD[folder] = _Held(fd, 1)
    try:
        yield folder
    finally:
        with _GUARD:
            entry = _HELD[folder]
            entry.depth -= 1
            release = entry.depth == 0
            if release:
                del _HELD[folder]
        if release:
            os.close(fd)  # closing the descriptor releases the lock
