"""Is a file a sound SQLite database? One check with a message that names the file and the fix."""

from __future__ import annotations

import sqlite3

from agentscaler.errors import WorldError

HEADER = b"SQLite format 3\x00"


def check_database(data: bytes, where: str, fix: str) -> None:
    """Raise :class:`WorldError` naming ``where`` and ``fix`` unless ``data`` is a SQLite
    database that passes ``PRAGMA quick_check``."""
    if not data.startswith(HEADER):
        what = "is empty" if not data else f"starts with {data[:16]!r}"
        raise WorldError(f"{where} is not a SQLite database (the file {what}). {fix}")
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise WorldError(f"{where} is a corrupt SQLite database ({exc}). {fix}") from exc
    finally:
        conn.close()
    if verdict != "ok":
        raise WorldError(f"{where} is a corrupt SQLite database ({verdict}). {fix}")
