"""`DecisionCache`: LLM decisions kept on disk, keyed by model + prompt hash.

Stages that ask an LLM a question whose answer they can reuse (e.g. "does tool A's output feed
tool B?") store the parsed answer here, so a rerun with the same model and prompt costs nothing.
The file is JSON Lines (``{"key", "model", "value"}`` per line, the last line of a key wins),
appended one whole line per decision: an interrupted run keeps every decision it finished, and
the next open moves a torn last line aside instead of failing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentscaler.canonical import content_hash
from agentscaler.errors import CorruptRecordError
from agentscaler.jsonl import JsonlAppender, iter_json_lines

KEY_LENGTH = 32


def decision_key(model: str, prompt: Any) -> str:
    """The cache key of ``prompt`` (any JSON value: messages, an edge, ...) asked to ``model``."""
    return content_hash({"model": model, "prompt": prompt}, length=KEY_LENGTH)


class DecisionCache:
    """A JSON-value cache in one JSON Lines file; open it with ``with DecisionCache(path) as c``."""

    def __init__(self, path: Path | str, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self._values: dict[str, Any] = {}
        self._appender = JsonlAppender(self.path, fsync=fsync)
        self._lock = threading.Lock()
        self._open = False
        self.hits = 0
        self.misses = 0

    def __enter__(self) -> DecisionCache:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Load the file (if any) and get ready to append."""
        if self._open:
            return
        self._appender.__enter__()  # moves a torn last line aside first
        if self.path.exists():
            for number, line in iter_json_lines(self.path):
                if not isinstance(line, dict) or "key" not in line or "value" not in line:
                    raise CorruptRecordError(
                        f"{self.path}:{number}: not a cache entry (expected an object with 'key' "
                        "and 'value'). Fix: delete that line or the file; entries are recomputed."
                    )
                self._values[line["key"]] = line["value"]
        self._open = True

    def close(self) -> None:
        if self._open:
            self._appender.__exit__(None, None, None)
            self._open = False

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of ``key``, or ``default``."""
        if key in self._values:
            self.hits += 1
            return self._values[key]
        self.misses += 1
        return default

    def put(self, key: str, value: Any, *, model: str | None = None) -> None:
        """Store ``value`` (JSON) under ``key`` and append it to the file at once."""
        if not self._open:
            raise RuntimeError(
                "DecisionCache.put() needs an open cache: use `with DecisionCache(path)`"
            )
        with self._lock:
            self._appender.append({"key": key, "model": model, "value": value})
            self._values[key] = value

    def get_or_compute(self, model: str, prompt: Any, compute: Callable[[], Any]) -> Any:
        """The cached decision for (``model``, ``prompt``), computing and storing it when new."""
        key = decision_key(model, prompt)
        if key in self._values:
            self.hits += 1
            return self._values[key]
        self.misses += 1
        value = compute()
        self.put(key, value, model=model)
        return value
