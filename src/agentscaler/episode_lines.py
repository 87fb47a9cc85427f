"""Reading episode shards fast: each line is parsed and validated by pydantic in one step.

Lines follow :mod:`agentscaler.jsonl`'s rules: blank lines are skipped, and a last line without
a newline (left by an interrupted append) is skipped with a warning. Any other bad line raises
:class:`CorruptRecordError` naming the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from agentscaler.jsonl import iter_raw_lines, record_error
from agentscaler.records import Episode

_FIX = "Repair or remove that line, or re-run `agentscaler simulate` for this run folder."


def parse_episode(raw: bytes, where: str) -> Episode:
    """Validate one JSON line as an Episode, with errors naming ``where`` and the field.

    Raises CorruptRecordError (bad JSON or field) or SchemaVersionError (foreign version).
    """
    try:
        episode = Episode.model_validate_json(raw)
    except ValidationError as exc:
        raise record_error(Episode, exc, where, _FIX) from exc
    if not Episode.reads_version(episode.schema_version):
        raise Episode.schema_version_error(episode.schema_version, where)
    return episode


def iter_episodes(path: Path) -> Iterator[tuple[int, Episode]]:
    """``(line number, episode)`` for every complete line of ``path``."""
    path = Path(path)
    for number, raw in iter_raw_lines(path):
        yield number, parse_episode(raw, f"{path}:{number}")
