"""Deterministic shards: records assigned to shards by a hash of their id, and shard markers.

A record's shard depends only on its id and the number of shards, never on the executor or the
number of workers, so a local and a Ray run cut the same shards and a rerun finds the same
shard files. A shard's completion marker (``<dir>/<index>.json``) records a fingerprint of what
the shard read and the hash of every file it wrote (:func:`agentscaler.markers.file_hash`); a
shard counts as done only while both still match.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from agentscaler.errors import AgentscalerError
from agentscaler.markers import file_hash

T = TypeVar("T")

SHARDS = 256
"""Shards a stage cuts its records into (fewer when it has fewer records): enough to keep the
workers of a large cluster busy and even out slow shards, few enough that a shard's start-up
cost stays small. The number never depends on the executor, so neither do shard files."""


def shard_of(record_id: str, shards: int) -> int:
    """The shard of ``record_id`` among ``shards`` (stable across processes and releases)."""
    digest = hashlib.blake2b(record_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_count(records: int, shards: int = SHARDS) -> int:
    """Shards for ``records`` records: ``shards``, never more than records, at least one."""
    return max(1, min(records, shards))


def assign(items: Sequence[T], ids: Sequence[str], shards: int) -> list[tuple[int, list[T]]]:
    """``(shard index, items)`` of every non-empty shard, by index; each keeps the items' order."""
    groups: list[list[T]] = [[] for _ in range(shards)]
    for item, record_id in zip(items, ids, strict=True):
        groups[shard_of(record_id, shards)].append(item)
    return [(index, group) for index, group in enumerate(groups) if group]


def balance(weights: Mapping[str, int], bins: int) -> dict[str, int]:
    """Groups (e.g. domains, weighted by their records) placed whole into ``bins`` bins of about
    equal weight: the heaviest group first, each into the lightest bin (ties: the lower index).
    Depends only on the groups and their weights, never on their order."""
    loads = [(0, index) for index in range(max(1, bins))]
    placed: dict[str, int] = {}
    for name, weight in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        load, target = heapq.heappop(loads)
        placed[name] = target
        heapq.heappush(loads, (load + weight, target))
    return placed


def shard_marker_path(folder: Path, index: int) -> Path:
    return folder / f"{index:05d}.json"


def mark_shard(folder: Path, index: int, fingerprint: str, files: Iterable[Path]) -> None:
    """Record that shard ``index`` finished with ``fingerprint``, writing ``files`` (under
    ``folder``).

    Neither the marker nor the files need an fsync: :func:`shard_done` checks the hash of every
    file, so whatever a crash lost only makes the shard run again."""
    from agentscaler.jsonl import write_json

    hashes = {str(p.relative_to(folder)): file_hash(p) for p in files}
    marker = {"fingerprint": fingerprint, "files": hashes}
    write_json(shard_marker_path(folder, index), marker, fsync=False)


def shard_done(folder: Path, index: int, fingerprint: str) -> bool:
    """True when shard ``index``'s marker has ``fingerprint`` and its files are unchanged."""
    from agentscaler.jsonl import read_json

    path = shard_marker_path(folder, index)
    if not path.is_file():
        return False
    try:
        marker: Any = read_json(path)
    except AgentscalerError:
        return False
    if not isinstance(marker, dict) or marker.get("fingerprint") != fingerprint:
        return False
    files = marker.get("files")
    if not isinstance(files, dict):
        return False
    for name, digest in files.items():
        target = folder / name
        if not target.is_file() or file_hash(target) != digest:
            return False
    return True
