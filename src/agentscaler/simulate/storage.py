"""Episode storage: sharded, append-only JSON Lines under ``<run>/episodes/``, resumable.

Layout::

    episodes/
      manifest.json          shard count and the policy settings the episodes were made with
      shard-00000.jsonl ...  Episode records; every episode of a domain in one shard, domains
                             spread over the shards by task count (``simulate.build``)
      .shards/shard-00000.json   completion marker of a shard: the fingerprint of its key set
      .lock                  held while a simulation writes here

Every episode is one line written with a single ``write`` and flushed
(:class:`agentscaler.jsonl.JsonlAppender`), so a crash leaves at most one torn last line, which
the next run moves aside to ``shard-NNNNN.jsonl.partial`` (never deleted). A rerun reads the
finished (task, trial) keys of every shard file and runs only the rest: nothing is duplicated or
truncated.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Container, Iterable, Iterator
from pathlib import Path
from typing import Any

from agentscaler.canonical import content_hash
from agentscaler.errors import RunFolderError, SimulationError
from agentscaler.jsonl import (
    JsonlAppender,
    iter_json_lines,
    read_json,
    repair_tail,
    write_json,
    write_text_atomic,
)
from agentscaler.records import Episode

log = logging.getLogger(__name__)

Key = tuple[str, int]
MANIFEST_VERSION = 1


def keys_fingerprint(keys: Iterable[Key], settings_fingerprint: str) -> str:
    """Fingerprint of a shard's planned work (its sorted keys under the run's settings)."""
    return content_hash(
        {"settings": settings_fingerprint, "keys": sorted([k[0], k[1]] for k in keys)}, length=24
    )


class EpisodeStore:
    """The ``episodes/`` folder of a run."""

    def __init__(self, root: Path, shards: int) -> None:
        self.root = Path(root)
        self.shards = shards

    # --- paths ----------------------------------------------------------------------------------
    def shard_path(self, shard: int) -> Path:
        return self.root / f"shard-{shard:05d}.jsonl"

    def marker_path(self, shard: int) -> Path:
        return self.root / ".shards" / f"shard-{shard:05d}.json"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def stored_shards(self) -> list[int]:
        """Indices of the shard files on disk, in order."""
        found = []
        for path in self.root.glob("shard-*.jsonl"):
            number = path.name[len("shard-") : -len(".jsonl")]
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

    # --- manifest -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, root: Path, shards: int, settings: dict[str, Any], fingerprint: str
    ) -> EpisodeStore:
        """Open (or create) the store; refuse episodes made with other policy settings.

        The shard count of an existing store wins over ``shards`` (it cannot change once
        episodes are written).
        """
        root = Path(root)
        manifest_path = root / "manifest.json"
        if manifest_path.exists():
            manifest = read_json(manifest_path)
            if not isinstance(manifest, dict) or "shards" not in manifest:
                raise RunFolderError(
                    f"{manifest_path} is not an episode manifest. Move {root} aside and re-run."
                )
            if manifest.get("fingerprint") != fingerprint:
                raise SimulationError(
                    f"{root} holds episodes made with other settings "
                    f"({_settings_change(manifest.get('settings') or {}, settings)}). "
                    f"Use another run folder, move {root} aside, or re-run with the same settings."
                )
            stored = int(manifest["shards"])
            if stored != shards:
                log.info("%s has %d shards; keeping them (asked for %d)", root, stored, shards)
            return cls(root, stored)
        existing = [p for p in root.glob("*.jsonl")] if root.exists() else []
        if existing:
            raise RunFolderError(
                f"{root} holds episode files but no manifest.json (written by another tool or "
                f"an older release). Move {root} aside and re-run."
            )
        root.mkdir(parents=True, exist_ok=True)
        write_json(
            manifest_path,
            {
                "version": MANIFEST_VERSION,
                "shards": shards,
                "fingerprint": fingerprint,
                "settings": settings,
            },
        )
        return cls(root, shards)

    # --- reading --------------------------------------------------------------------------------
    def iter_lines(self, shard: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(line number, episode JSON)`` of a shard's complete lines."""
        path = self.shard_path(shard)
        if not path.exists():
            return
        for number, value in iter_json_lines(path):
            if not isinstance(value, dict):
                raise RunFolderError(
                    f"{path}:{number}: not an Episode record (a JSON object). Remove the line "
                    "or move the file aside and re-run."
                )
            yield number, value

    def done_keys(self, shard: int) -> set[Key]:
        """The (task, trial) keys already stored in ``shard`` (a torn last line is ignored)."""
        keys: set[Key] = set()
        path = self.shard_path(shard)
        for number, value in self.iter_lines(shard):
            try:
                key = (str(value["task_id"]), int(value["trial"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise RunFolderError(
                    f"{path}:{number}: episode without task_id/trial ({exc}). Remove the line "
                    "or move the file aside and re-run."
                ) from exc
            if key in keys:
                log.warning("%s:%d: duplicate episode for %s trial %d", path, number, *key)
            keys.add(key)
        return keys

    def episodes(self, shard: int) -> Iterator[Episode]:
        """The episodes of a shard as records."""
        path = self.shard_path(shard)
        for number, value in self.iter_lines(shard):
            yield Episode.from_json_dict(value, where=f"{path}:{number}")

    def episodes_of(self, shard: int, keys: Container[Key]) -> Iterator[Episode]:
        """The episodes of a shard whose (task, trial) key is in ``keys``, in one pass over its
        file (only those lines are read as records)."""
        path = self.shard_path(shard)
        for number, value in self.iter_lines(shard):
            if (str(value.get("task_id")), value.get("trial")) in keys:
                yield Episode.from_json_dict(value, where=f"{path}:{number}")

    def drop(self, shard: int, keys: set[Key]) -> int:
        """Rewrite a shard without the episodes of ``keys`` (atomically); return how many went.

        Used to run failed episodes again without ever holding two records of one key.
        """
        path = self.shard_path(shard)
        if not keys or not path.exists():
            return 0
        repair_tail(path)
        kept: list[bytes] = []
        dropped = 0
        for line in path.read_bytes().splitlines(keepends=True):
            if line.strip():
                value = json.loads(line)
                if (str(value.get("task_id")), int(value.get("trial", -1))) in keys:
                    dropped += 1
                    continue
            kept.append(line)
        if dropped:
            write_text_atomic(path, b"".join(kept).decode("utf-8"))
            self.marker_path(shard).unlink(missing_ok=True)
        return dropped

    # --- completion markers ---------------------------------------------------------------------
    def shard_complete(self, shard: int, fingerprint: str) -> bool:
        marker = self.marker_path(shard)
        if not marker.exists() or not self.shard_path(shard).exists():
            return False
        data = read_json(marker)
        return isinstance(data, dict) and data.get("fingerprint") == fingerprint

    def mark_shard(self, shard: int, fingerprint: str, episodes: int) -> None:
        write_json(self.marker_path(shard), {"fingerprint": fingerprint, "episodes": episodes})

    # --- writing --------------------------------------------------------------------------------
    def writer(self, *, fsync: bool = False) -> ShardWriter:
        return ShardWriter(self, fsync=fsync)

    def lock(self) -> StoreLock:
        return StoreLock(self.root / ".lock")


class ShardWriter:
    """Appends episodes to their shard files (opened on first use, tails repaired)."""

    def __init__(self, store: EpisodeStore, *, fsync: bool = False) -> None:
        self.store = store
        self.fsync = fsync
        self._appenders: dict[int, JsonlAppender] = {}

    def write(self, episode: Episode, shard: int) -> None:
        appender = self._appenders.get(shard)
        if appender is None:
            appender = JsonlAppender(self.store.shard_path(shard), fsync=self.fsync).__enter__()
            self._appenders[shard] = appender
        appender.append(episode)

    def close(self, shard: int | None = None) -> None:
        """Flush and close one shard's file (all of them when ``shard`` is None)."""
        shards = list(self._appenders) if shard is None else [shard]
        for number in shards:
            appender = self._appenders.pop(number, None)
            if appender is not None:
                appender.__exit__(None, None, None)

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_shards(store: EpisodeStore, shards: Iterable[int]) -> int:
    """Move torn last lines of shard files aside; return how many files were repaired."""
    return sum(1 for shard in shards if repair_tail(store.shard_path(shard)))


class StoreLock:
    """An exclusive lock on a store, so two simulations never append to the same files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> StoreLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise SimulationError(
                f"another simulation is writing to {self.path.parent} (lock {self.path}); wait "
                "for it to finish or stop it first"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _settings_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if not changed:
        return "settings differ"
    parts = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed[:4]]
    return "; ".join(parts)
