"""Completion markers that can be checked: what a stage read, wrote and ran with.

``<run>/.stages/<stage>.json`` is written when a stage finishes. Besides the summary it records

* ``settings``: the settings that decide the stage's output (the stage's own choice of fields);
* ``inputs``: for each earlier stage whose files it read, one hash over those files;
* ``outputs``: the hash of every file the stage wrote (``OUTPUTS`` below), by relative path.

A stage counts as finished only when its marker still matches the folder: same settings when
the caller gives them, the same inputs, and every output file present with its recorded content.
:func:`check` says which of these no longer holds, naming the file or setting, so ``run`` and each
stage redo exactly the work whose files changed (a torn episode line, a garbage ``seed.sqlite``,
a deleted state) and refuse settings that disagree. Markers written before these fields existed
cannot be checked and are treated as unfinished work.

File hashes are BLAKE2b over the content, remembered per process by (size, mtime, inode), so a
check right after a stage finished reads nothing twice.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import glob
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentscaler.canonical import canonical_json

MARKER_VERSION = 2

WORLD_FILES = ("world.json", "tools.json", "tools.py", "schema.sql", "seed.sqlite", "spec.yaml")
"""A world's files (``tools.py`` and ``spec.yaml`` may be edited by a user: an edit makes the
stages after ``worlds`` check their work again)."""

OUTPUTS: dict[str, tuple[str, ...]] = {
    "ingest": ("tools.jsonl", "tools.rejects.jsonl"),
    "domains": ("domains.jsonl",),
    "worlds": tuple(f"worlds/*/{name}" for name in WORLD_FILES),
    "tasks": ("tasks.jsonl", "states/*.sqlite"),
    "simulate": ("episodes/manifest.json", "episodes/*.jsonl"),
    "filter": ("filtered/kept.jsonl", "filtered/rejected.jsonl", "filtered/funnel.json"),
    "export": ("dataset/**/*",),
    "report": ("report/**/*",),
}
"""Glob patterns (relative to the run folder) of the files each stage writes and owns."""

INPUTS: dict[str, tuple[str, ...]] = {
    "ingest": (),
    "domains": ("ingest",),
    "worlds": ("ingest", "domains"),
    "tasks": ("domains", "worlds"),
    "simulate": ("tasks", "worlds"),
    "filter": ("simulate", "tasks", "worlds"),
    "export": ("filter", "simulate", "tasks", "domains"),
    "report": ("filter", "simulate", "tasks", "export"),
}
"""The earlier stages whose files each stage reads."""

_CHUNK = 1 << 20
_HASHES: dict[tuple[str, int, int, int], str] = {}


def file_hash(path: Path | str) -> str:
    """BLAKE2b-128 of a file's content (remembered while its size, mtime and inode stay)."""
    name = os.fspath(path)
    info = os.stat(name)
    key = (name, info.st_size, info.st_mtime_ns, info.st_ino)
    cached = _HASHES.get(key)
    if cached is not None:
        return cached
    digest = hashlib.blake2b(digest_size=16)
    with open(name, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    if len(_HASHES) > 200_000:
        _HASHES.clear()
    _HASHES[key] = value
    return value


def _stage_paths(root: Path, stage: str) -> list[str]:
    """The paths (relative to ``root``) of the files of ``stage`` present in ``root``, in the
    order of their parts (temporary and hidden files left out)."""
    found: set[str] = set()
    listings: dict[str, list[os.DirEntry[str]]] = {}
    for pattern in OUTPUTS.get(stage, ()):
        for relative in _files_matching(os.fspath(root), pattern.split("/"), listings):
            if not relative.endswith((".tmp", ".partial")):
                found.add(relative)
    return sorted(found, key=lambda relative: relative.split(os.sep))


def _files_matching(
    base: str, parts: list[str], listings: dict[str, list[os.DirEntry[str]]], relative: str = ""
) -> Iterator[str]:
    """Files under ``base`` matching the pattern ``parts`` (``*``, ``?``, ``[...]`` within a name,
    ``**`` for any depth of folders) below ``relative``, hidden names left out; each folder is
    listed once per ``listings``."""

    def entries(folder: str) -> list[os.DirEntry[str]]:
        listed = listings.get(folder)
        if listed is None:
            try:
                with os.scandir(os.path.join(base, folder) if folder else base) as scan:
                    listed = [e for e in scan if not e.name.startswith(".")]
            except OSError:
                listed = []
            listings[folder] = listed
        return listed

    part, rest = parts[0], parts[1:]
    if part == "**":
        yield from _files_matching(base, rest, listings, relative) if rest else ()
        for entry in entries(relative):
            if entry.is_dir() and not entry.is_symlink():  # as pathlib: no loops
                yield from _files_matching(
                    base, parts, listings, os.path.join(relative, entry.name)
                )
        return
    if glob.has_magic(part):
        names = [e for e in entries(relative) if fnmatch.fnmatchcase(e.name, part)]
    elif part.startswith("."):
        names = []
    else:
        names = [e for e in entries(relative) if e.name == part]
    for entry in names:
        path = os.path.join(relative, entry.name)
        if rest:
            if entry.is_dir():
                yield from _files_matching(base, rest, listings, path)
        elif entry.is_file():
            yield path


def stage_files(root: Path, stage: str) -> list[Path]:
    """The files of ``stage`` present in ``root``, sorted (temporary and hidden files left out)."""
    return [root / relative for relative in _stage_paths(root, stage)]


def output_hashes(root: Path, stage: str) -> dict[str, str]:
    """``{relative path: content hash}`` of the files ``stage`` wrote."""
    base = os.fspath(root)
    return {r: file_hash(os.path.join(base, r)) for r in _stage_paths(root, stage)}


def combined(hashes: Mapping[str, str]) -> str:
    return hashlib.blake2b(canonical_json(dict(hashes)).encode(), digest_size=16).hexdigest()


def input_hashes(root: Path, stage: str) -> dict[str, str]:
    """One hash per earlier stage ``stage`` reads, over that stage's files as they are now."""
    return {upstream: combined(output_hashes(root, upstream)) for upstream in INPUTS[stage]}


def plain(settings: Any) -> Any:
    """Settings as JSON data (tuples as lists, keys sorted): what markers store and compare."""
    return json.loads(canonical_json(settings))


def write_marker(
    root: Path,
    stage: str,
    *,
    fingerprint: str = "",
    settings: Any = None,
    summary: Mapping[str, Any] | None = None,
    extra_inputs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Record that ``stage`` finished in ``root`` with what it read and wrote; return the marker."""
    from agentscaler.jsonl import write_json

    marker = {
        "stage": stage,
        "version": MARKER_VERSION,
        "fingerprint": fingerprint,
        "settings": plain(settings) if settings is not None else None,
        "inputs": {**input_hashes(root, stage), **(extra_inputs or {})},
        "outputs": output_hashes(root, stage),
        "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "summary": dict(summary or {}),
    }
    write_json(root / ".stages" / f"{stage}.json", marker)
    return marker


@dataclass(frozen=True)
class Check:
    """Whether a stage's marker still matches its folder, and if not, why."""

    stage: str
    marker: dict[str, Any] | None
    problems: tuple[str, ...] = ()
    changed_settings: tuple[tuple[str, Any, Any], ...] = field(default=())
    """``(dotted name, recorded value, wanted value)`` of settings that differ."""

    @property
    def done(self) -> bool:
        return self.marker is not None and not self.problems and not self.changed_settings

    @property
    def reason(self) -> str:
        if self.marker is None:
            return "not finished"
        parts = list(self.problems)
        parts += [f"{name} was {old!r}, now {new!r}" for name, old, new in self.changed_settings]
        return "; ".join(parts)


def read_marker(root: Path, stage: str) -> dict[str, Any] | None:
    from agentscaler.errors import AgentscalerError
    from agentscaler.jsonl import read_json

    path = root / ".stages" / f"{stage}.json"
    if not path.exists():
        return None
    try:
        marker = read_json(path)
    except AgentscalerError:
        return {}
    return marker if isinstance(marker, dict) else {}


def check(
    root: Path,
    stage: str,
    *,
    settings: Any = None,
    fingerprint: str | None = None,
    extra_inputs: Mapping[str, str] | None = None,
) -> Check:
    """Compare ``stage``'s marker with the folder (and with ``settings``/``fingerprint``)."""
    marker = read_marker(root, stage)
    if marker is None:
        return Check(stage, None)
    if marker.get("version") != MARKER_VERSION or "outputs" not in marker:
        return Check(stage, marker, ("its completion marker cannot be checked (older format)",))
    changed: list[tuple[str, Any, Any]] = []
    if settings is not None and marker.get("settings") is not None:
        changed = _differences(marker["settings"], plain(settings), "")
    problems: list[str] = []
    if fingerprint is not None and marker.get("fingerprint") != fingerprint and not changed:
        problems.append("its settings or inputs changed")
    wanted_inputs = {**input_hashes(root, stage), **(extra_inputs or {})}
    recorded_inputs = marker.get("inputs") or {}
    for name in sorted(set(wanted_inputs) | set(recorded_inputs)):
        if wanted_inputs.get(name) != recorded_inputs.get(name):
            what = "the catalogs it imported" if name == "sources" else f"the {name} stage's files"
            problems.append(f"{what} changed since it finished")
    problems += _changed_files(root, marker.get("outputs") or {}, output_hashes(root, stage))
    return Check(stage, marker, tuple(problems), tuple(changed))


def _changed_files(root: Path, recorded: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    missing = sorted(set(recorded) - set(now))
    changed = sorted(p for p in set(recorded) & set(now) if recorded[p] != now[p])
    added = sorted(set(now) - set(recorded))
    problems = []
    for label, paths in (("missing", missing), ("changed", changed), ("not written by it", added)):
        if paths:
            shown = ", ".join(str(root / p) for p in paths[:3])
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            problems.append(f"{label}: {shown}{more}")
    return problems


def _differences(old: Any, new: Any, prefix: str) -> list[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [(prefix.rstrip("."), old, new)]


def hash_files(paths: Iterable[Path]) -> str:
    """One hash over the content of ``paths`` (named by their path), e.g. imported catalogs."""
    return combined({os.fspath(p): file_hash(p) for p in sorted(paths)})
