"""Reading and writing records as JSON Lines, safely.

* Readers name the file and line of a corrupt record and say how to fix it.
* A final line without a newline is the mark of an interrupted append: readers skip it with a
  warning, and :class:`JsonlAppender` moves it aside (never deletes it) before appending.
* Whole-file writes go to a temporary file first and replace the target atomically.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import ValidationError

from agentscaler.errors import CorruptRecordError, SchemaVersionError
from agentscaler.records.base import Record

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)


def dumps_line(record: Record | dict[str, Any]) -> str:
    """One canonical JSON line (with newline) for a record or a plain dict: keys sorted, except
    the members of a JSON Schema's ``properties``, which keep the order their author wrote them
    in (inference reads that order, e.g. a result whose first id is the new record's). The same
    record always gives the same bytes."""
    data = record.to_json_dict() if isinstance(record, Record) else record
    return (
        json.dumps(_sorted_keys(data), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def _sorted_keys(value: Any, keep_order: bool = False) -> Any:
    if isinstance(value, dict):
        keys = list(value) if keep_order else sorted(value)
        return {k: _sorted_keys(value[k], k == "properties" and not keep_order) for k in keys}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _fix_hint(path: Path) -> str:
    return (
        f"Fix: remove or repair that line of {path}, or delete the file and re-run the stage "
        "that wrote it (finished work in other files is kept)."
    )


def iter_raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw bytes)`` for every complete, non-blank line of ``path``.

    A trailing line with no newline (interrupted write) is skipped with a warning.
    """
    path = Path(path)
    with path.open("rb") as handle:
        data = handle.read()
    if not data:
        return
    lines = data.split(b"\n")
    tail_complete = data.endswith(b"\n")
    last = len(lines) - 1
    for number, raw in enumerate(lines, start=1):
        if number - 1 == last:
            if tail_complete or not raw.strip():
                break
            log.warning(
                "%s:%d: ignoring an incomplete last line (%d bytes), left by an interrupted write",
                path,
                number,
                len(raw),
            )
            break
        if raw.strip():
            yield number, raw


def parse_line(path: Path, number: int, raw: bytes) -> Any:
    """The JSON value of one line, or :class:`CorruptRecordError` naming file and line."""
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptRecordError(
            f"{path}:{number}: not valid JSON ({exc}). {_fix_hint(path)}"
        ) from exc


def iter_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, value)`` for every complete JSON line of ``path``.

    Blank lines are skipped. A trailing line with no newline (interrupted write) is skipped with a
    warning; any other unparseable line raises :class:`CorruptRecordError`.
    """
    for number, raw in iter_raw_lines(path):
        yield number, parse_line(path, number, raw)


def validate_record(model: type[R], value: Any, where: str) -> R:
    """``model`` from a parsed line; a record that does not validate names file, line and field."""
    try:
        return model.from_json_dict(value, where=where)
    except SchemaVersionError:
        raise
    except ValidationError as exc:
        path = where.rsplit(":", 1)[0]
        raise record_error(model, exc, where, _fix_hint(Path(path))) from exc


def record_error(
    model: type[Record], exc: ValidationError, where: str, fix: str
) -> CorruptRecordError:
    """The error for a line at ``where`` that is not valid JSON or not a valid ``model``."""
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        return CorruptRecordError(f"{where}: not valid JSON ({first.get('msg')}). {fix}")
    field = ".".join(str(p) for p in first.get("loc", ())) or "<record>"
    return CorruptRecordError(
        f"{where}: invalid {model.__name__} record, field {field!r}: {first.get('msg')}. {fix}"
    )


def read_records(path: Path, model: type[R]) -> list[R]:
    """Read every record of ``path`` as ``model``."""
    return list(iter_records(path, model))


def iter_records(path: Path, model: type[R]) -> Iterator[R]:
    path = Path(path)
    for number, value in iter_json_lines(path):
        yield validate_record(model, value, f"{path}:{number}")


def named(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``path`` as its file name when it has none (a full disk hit by ``write``
    names no file): what the one-line error message shows."""
    if exc.filename is not None:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


@contextmanager
def atomic_writer(path: Path, *, fsync: bool = True) -> Iterator[TextIO]:
    """A text handle whose content replaces ``path`` atomically when the block ends without an
    error (a temporary file beside it, fsynced, then renamed); an error leaves ``path`` as it
    was. ``fsync=False`` skips the fsync, for files whose readers check their content hash (a
    file a crash lost is then only work done again)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; outputs are meant to be shared and served
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise named(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str, *, fsync: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    with atomic_writer(path, fsync=fsync) as handle:
        handle.write(text)


def write_records(
    path: Path, records: Iterable[Record | dict[str, Any]], *, fsync: bool = True
) -> int:
    """Write all records to ``path`` atomically, one at a time; return how many were written."""
    count = 0
    with atomic_writer(path, fsync=fsync) as handle:
        for record in records:
            handle.write(dumps_line(record))
            count += 1
    return count


def write_json(path: Path, value: Any, *, indent: int | None = 2, fsync: bool = True) -> None:
    """Write a JSON document atomically (sorted keys, stable bytes)."""
    text = json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False, allow_nan=False)
    write_text_atomic(path, text + "\n", fsync=fsync)


def read_json(path: Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CorruptRecordError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Delete it and re-run the stage that wrote it."
        ) from exc


def repair_tail(path: Path) -> int:
    """Move an incomplete last line of ``path`` aside; return the number of bytes moved.

    The fragment is appended to ``<path>.partial`` so nothing is lost.
    """
    path = Path(path)
    if not path.exists():
        return 0
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return 0
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        # find the start of the last line
        block = min(size, 1 << 20)
        pos = size
        fragment_start = 0
        while pos > 0:
            start = max(0, pos - block)
            handle.seek(start)
            chunk = handle.read(pos - start)
            idx = chunk.rfind(b"\n")
            if idx >= 0:
                fragment_start = start + idx + 1
                break
            pos = start
        handle.seek(fragment_start)
        fragment = handle.read()
        with open(str(path) + ".partial", "ab") as aside:
            aside.write(fragment + b"\n")
        handle.truncate(fragment_start)
    log.warning(
        "%s: moved an incomplete last line (%d bytes) to %s.partial", path, len(fragment), path
    )
    return len(fragment)


class JsonlAppender:
    """Append records to a JSON Lines file, one whole line per write.

    Opening repairs an interrupted tail first. Each record is written with a single ``write`` of a
    complete line and flushed, so a crash leaves at most one partial line, which the next open
    moves aside.
    """

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._handle: Any = None

    def __enter__(self) -> JsonlAppender:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_tail(self.path)
        self._handle = self.path.open("a", encoding="utf-8", newline="\n")
        return self

    def append(self, record: Record | dict[str, Any]) -> None:
        try:
            self._handle.write(dumps_line(record))
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())
        except OSError as exc:
            raise named(exc, self.path) from exc

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as error:
                raise named(error, self.path) from error
            finally:
                handle.close()
