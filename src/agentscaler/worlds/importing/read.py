"""Reading a user's data: a JSON document, a SQLite file, or a folder of CSV / JSON Lines files.

Every format becomes one :class:`Source`: named collections of records (in order, as the data
holds them) and, per format, what the data itself declares (a SQLite table's primary key, column
types, foreign keys and ``CREATE`` statement; a CSV file's header). Nothing is guessed here: the
schema is worked out in :mod:`agentscaler.worlds.importing.schema`.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentscaler.errors import DataImportError

DataFormat = Literal["json", "sqlite", "folder"]
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class Declared:
    """What a SQLite table or a data file says about itself."""

    file: str = ""
    """The file the collection came from (folders: ``orders.csv``)."""
    file_format: Literal["", "csv", "jsonl"] = ""
    key: str | None = None
    types: dict[str, str] = field(default_factory=dict)
    """Declared SQL types by column (SQLite)."""
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Column -> (table, column) foreign keys (SQLite)."""
    sql: str = ""
    """The table's ``CREATE TABLE`` statement (SQLite)."""
    header: tuple[str, ...] = ()
    """Column order as the file or table lists it."""


@dataclass
class Source:
    """A user's data as read: the top-level document and what each collection declares."""

    path: Path
    format: DataFormat
    document: Any
    """JSON: the parsed document; SQLite and folders: ``{table: [row, ...]}``."""
    declared: dict[str, Declared] = field(default_factory=dict)


def read_source(path: Path | str) -> Source:
    """Read DATA (a JSON file, a SQLite file or a folder of .csv / .jsonl files)."""
    path = Path(path)
    if not path.exists():
        raise DataImportError(
            f"{path}: no such file or folder; give a JSON, SQLite or CSV/JSONL data set"
        )
    if path.is_dir():
        return _read_folder(path)
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return _read_sqlite(path)
    return Source(path=path, format="json", document=_read_json(path))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataImportError(
            f"{path}: not UTF-8 text ({exc}); give a JSON, SQLite or CSV/JSONL data set"
        ) from exc
    except json.JSONDecodeError as exc:
        raise DataImportError(
            f"{path}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); fix the "
            "file or give a SQLite file or a folder of CSV / JSON Lines files"
        ) from exc


def _read_sqlite(path: Path) -> Source:
    uri = f"file:{path.resolve()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DataImportError(f"{path}: cannot open the SQLite file ({exc})") from exc
    document: dict[str, list[dict[str, Any]]] = {}
    declared: dict[str, Declared] = {}
    try:
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        for name, sql in tables:
            info = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
            header = tuple(row[1] for row in info)
            keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
            references = {
                row[3]: (row[2], row[4] or "")
                for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall()
            }
            order = ", ".join(_quote(k) for k in keys) if keys else "rowid"
            try:
                rows = conn.execute(
                    f"SELECT {', '.join(_quote(c) for c in header)} FROM {_quote(name)} ORDER BY {order}"
                ).fetchall()
            except sqlite3.OperationalError:
                rows = conn.execute(
                    f"SELECT {', '.join(_quote(c) for c in header)} FROM {_quote(name)}"
                ).fetchall()
            document[name] = [dict(zip(header, row, strict=True)) for row in rows]
            declared[name] = Declared(
                key=keys[0] if len(keys) == 1 else None,
                types={row[1]: str(row[2] or "").upper() for row in info},
                references=references,
                sql=sql or "",
                header=header,
            )
    except sqlite3.DatabaseError as exc:
        raise DataImportError(f"{path}: not a readable SQLite database ({exc})") from exc
    finally:
        conn.close()
    for name, rows in document.items():
        for number, row in enumerate(rows):
            for column, value in row.items():
                if isinstance(value, bytes):
                    raise DataImportError(
                        f"{path}: table {name} row {number + 1} column {column}: binary (BLOB) "
                        "values cannot be imported; store them as text (base64) or drop the column"
                    )
    return Source(path=path, format="sqlite", document=document, declared=declared)


def _read_folder(path: Path) -> Source:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".jsonl"))
    if not files:
        raise DataImportError(
            f"{path}: the folder holds no .csv or .jsonl files; give one file per table"
        )
    document: dict[str, list[dict[str, Any]]] = {}
    declared: dict[str, Declared] = {}
    for file in files:
        name = file.stem
        if name in document:
            raise DataImportError(
                f"{path}: both {name}.csv and {name}.jsonl name table {name!r}; keep one"
            )
        if file.suffix.lower() == ".csv":
            rows, header = _read_csv(file)
            declared[name] = Declared(file=file.name, file_format="csv", header=header)
        else:
            rows = _read_jsonl(file)
            declared[name] = Declared(file=file.name, file_format="jsonl")
        document[name] = rows
    return Source(path=path, format="folder", document=document, declared=declared)


def _read_csv(path: Path) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = tuple(next(reader))
        except StopIteration:
            raise DataImportError(
                f"{path}: empty CSV file; the first line names the columns"
            ) from None
        duplicates = sorted({h for h in header if header.count(h) > 1})
        if duplicates:
            raise DataImportError(
                f"{path}: line 1: column {duplicates[0]!r} is named twice; rename one"
            )
        rows = []
        for number, values in enumerate(reader, start=2):
            if not values:
                continue
            if len(values) != len(header):
                raise DataImportError(
                    f"{path}: line {number}: {len(values)} values for {len(header)} columns; "
                    "quote values that contain commas"
                )
            rows.append(dict(zip(header, values, strict=True)))
    return _typed(rows, header), header


def _typed(rows: list[dict[str, Any]], header: tuple[str, ...]) -> list[dict[str, Any]]:
    """CSV text as numbers where every value of the column is a number written the way Python
    writes it back (``12``, ``1.5``; not ``007`` or ``1.50``), empty text as null."""
    for column in header:
        texts = [r[column] for r in rows if r[column] != ""]
        convert: Any = None
        for parse in (int, float):
            try:
                if texts and all(str(parse(t)) == t for t in texts):
                    convert = parse
                    break
            except ValueError:
                continue
        for row in rows:
            text = row[column]
            row[column] = None if text == "" else convert(text) if convert else text
    return rows


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataImportError(f"{path}: line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(value, dict):
                raise DataImportError(
                    f"{path}: line {number}: a {type(value).__name__}, not a record; each line "
                    "holds one JSON object"
                )
            rows.append(value)
    return rows


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
