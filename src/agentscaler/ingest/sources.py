"""Turning the sources of an import (files, directories, globs, ``builtin``) into a file list.

Directories are read recursively in sorted order; hidden entries are ignored. Inside a directory
or a glob, files without a catalog suffix (README.md, LICENSE, ...) and files under gold-answer
folders (``possible_answer/``) are skipped with a reason. A file named explicitly is always
read. Each file is read once, even when two sources reach it.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from agentscaler.ingest.config import BUILTIN_SOURCE, IngestConfig
from agentscaler.ingest.rejects import Reject, RejectReason
from agentscaler.ingest.summary import SkippedFile

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class PlannedFile:
    origin: str
    """The source argument that led to this file."""
    display: str
    """The file's path as recorded in provenance (the argument, or the argument joined with the
    path found under it)."""
    path: Path | None = None
    """None for the built-in catalog."""
    explicit: bool = False
    """Named on its own (not found under a directory or by a glob)."""

    @property
    def builtin(self) -> bool:
        return self.path is None


@dataclass
class SourcePlan:
    files: list[PlannedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    missing: list[Reject] = field(default_factory=list)


def plan_sources(sources: list[str], config: IngestConfig) -> SourcePlan:
    plan = SourcePlan()
    seen: dict[str, str] = {}

    def add(origin: str, display: str, path: Path | None, explicit: bool) -> None:
        key = BUILTIN_SOURCE if path is None else os.path.realpath(path)
        if key in seen:
            plan.skipped.append(
                SkippedFile(
                    source=display, origin=origin, reason=f"already imported from {seen[key]}"
                )
            )
            return
        seen[key] = display
        plan.files.append(PlannedFile(origin=origin, display=display, path=path, explicit=explicit))

    def add_found(origin: str, display: str, path: Path) -> None:
        reason = _skip_reason(display, config)
        if reason:
            plan.skipped.append(SkippedFile(source=display, origin=origin, reason=reason))
        else:
            add(origin, display, path, explicit=False)

    for origin in sources:
        if origin == BUILTIN_SOURCE:
            add(origin, BUILTIN_SOURCE, None, explicit=True)
            continue
        path = Path(origin)
        if path.is_dir():
            for display, found in _walk(origin):
                add_found(origin, display, found)
        elif path.is_file():
            add(origin, origin, path, explicit=True)
        elif _GLOB_CHARS & set(origin):
            matches = sorted(glob.glob(origin, recursive=True))
            if not matches:
                plan.missing.append(_missing(origin, "the pattern matches no files"))
            for match in matches:
                if os.path.isdir(match):
                    for display, found in _walk(match):
                        add_found(origin, display, found)
                else:
                    add_found(origin, match, Path(match))
        else:
            plan.missing.append(_missing(origin, "no such file or directory"))
    return plan


def _walk(root: str) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                full = os.path.join(current, name)
                found.append((full, Path(full)))
    return found


def _skip_reason(display: str, config: IngestConfig) -> str | None:
    parts = Path(display).parts
    answers = [d for d in config.answer_dirs if d in parts[:-1]]
    if answers:
        return f"gold answers ({answers[0]}/), not tool schemas"
    name = parts[-1] if parts else display
    if Path(name).suffix.lower() not in config.extensions:
        return "not a JSON/YAML catalog file (" + (Path(name).suffix or "no suffix") + ")"
    return None


def _missing(origin: str, why: str) -> Reject:
    return Reject(
        source=origin,
        reason=RejectReason.MISSING_SOURCE,
        message=f"{why}; check the path (a glob needs quotes so the shell does not expand it)",
    )


def sources_hash(sources: list[str], config: IngestConfig) -> str:
    """One hash over every file an import of ``sources`` reads (the built-in catalog's files
    for ``builtin``) and the sources it cannot find: it changes when a catalog changes."""
    from agentscaler.markers import combined, hash_files

    plan = plan_sources(list(sources), config)
    paths = [f.path for f in plan.files if f.path is not None]
    if any(f.builtin for f in plan.files):
        folder = Path(__file__).resolve().parents[1] / "catalog" / "verticals"
        paths += sorted(folder.glob("*.yaml"))
    return combined(
        {
            "files": hash_files(paths),
            "missing": ",".join(sorted(r.source for r in plan.missing)),
        }
    )


def stage_settings(sources: list[str] | tuple[str, ...], config: IngestConfig) -> dict[str, object]:
    """The settings of an import recorded in its completion marker."""
    return {"sources": list(sources), "ingest": config.model_dump(mode="json")}
