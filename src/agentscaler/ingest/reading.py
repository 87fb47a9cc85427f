"""Reading catalog files: one JSON or YAML document, or JSON Lines, with positioned errors.

A file that cannot be parsed at all raises :class:`SourceFileError` naming its line and column.
In JSON Lines only the broken line is lost: it becomes a reject, the other lines are read. In a
single JSON or YAML document, a value strict JSON cannot hold (NaN, an infinity, a value nested
deeper than :data:`~agentscaler.ingest.deep_json.MAX_DEPTH` levels) no longer costs the whole
file: the document is read with it kept in place (``Document.unrepresentable``) and only the
record holding it is rejected, naming the field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from agentscaler.errors import SourceFileError
from agentscaler.ingest import deep_json
from agentscaler.ingest.rejects import Reject, RejectReason

DocumentKind = Literal["json", "jsonl", "yaml"]

_MAX_YAML_NODES = 5_000_000


@dataclass(frozen=True)
class Document:
    """The parsed content of one catalog file."""

    source: str
    """The file's path as given (or found under a directory given)."""
    kind: DocumentKind
    value: Any = None
    """The whole document (JSON, YAML)."""
    lines: tuple[tuple[int, Any], ...] = ()
    """``(line number, value)`` of every parsed line (JSON Lines)."""
    rejects: tuple[Reject, ...] = field(default=())
    """Lines that did not parse (JSON Lines)."""
    unrepresentable: bool = False
    """The document holds NaN, infinities or too-deep values (records holding them are
    rejected one by one; see :func:`~agentscaler.ingest.deep_json.first_unrepresentable`)."""

    def records(self) -> list[tuple[int | None, Any]]:
        """Top-level records: each line of JSON Lines, or the whole document (index None)."""
        if self.kind == "jsonl":
            return list(self.lines)
        return [(None, self.value)]


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (NaN and Infinity cannot be represented)")


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _loads(text: str) -> Any:
    value = json.loads(text, parse_constant=_no_constants)
    if _SURROGATE_ESCAPE.search(text):
        value = _without_lone_surrogates(value)
    return value


def _clean_text(text: str) -> str:
    """``text`` with lone UTF-16 surrogates (which UTF-8 cannot hold) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_clean_text(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def _decode(path: Path, source: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"{source}: not UTF-8 text (byte {exc.start}); save it as UTF-8 and import it again"
        ) from exc


def read_document(path: Path, source: str, kind: DocumentKind | None = None) -> Document:
    """Parse ``path``; ``kind`` None: by suffix, or JSON, else JSON Lines, else YAML."""
    text = _decode(path, source)
    suffix = path.suffix.lower()
    if kind is None:
        if suffix in (".jsonl", ".ndjson"):
            kind = "jsonl"
        elif suffix in (".yaml", ".yml"):
            kind = "yaml"
        elif suffix == ".json":
            kind = "json"
    if kind == "jsonl":
        return _json_lines(text, source)
    if kind == "yaml":
        return _yaml_document(text, source)
    if kind == "json":
        return _json_or_lines(text, source)
    try:
        return _json_or_lines(text, source)
    except SourceFileError:
        return _yaml_document(text, source)


def _json_or_lines(text: str, source: str) -> Document:
    """A JSON document, or JSON Lines when the text holds several values (BFCL's ``.json``)."""
    try:
        return Document(source, "json", value=_loads(text))
    except json.JSONDecodeError as exc:
        error = SourceFileError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        )
        several_lines = "\n" in text.strip()
        if exc.msg == "Extra data" and "\n" in text[: exc.pos]:
            return _json_lines(text, source)
        if exc.lineno == 1 and several_lines:
            # JSON Lines whose first line is broken: keep the good lines if there are any.
            try:
                return _json_lines(text, source)
            except SourceFileError:
                raise error from exc
        raise error from exc
    except (ValueError, RecursionError):
        pass
    # NaN, infinities or absurd nesting: read it all, keeping those values for the records'
    # own rejects
    try:
        value = deep_json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFileError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if _SURROGATE_ESCAPE.search(text):
        value = _without_lone_surrogates(value)
    return Document(source, "json", value=value, unrepresentable=True)


def _json_lines(text: str, source: str) -> Document:
    lines: list[tuple[int, Any]] = []
    rejects: list[Reject] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            lines.append((number, _loads(line)))
        except json.JSONDecodeError as exc:
            rejects.append(_line_reject(source, number, f"{exc.msg} at column {exc.colno}"))
        except (ValueError, RecursionError) as exc:
            rejects.append(_line_reject(source, number, _short(exc)))
    if not lines and rejects:
        first = rejects[0]
        raise SourceFileError(
            f"{source}: not valid JSON or JSON Lines (line {first.index}: {first.message})"
        )
    return Document(source, "jsonl", lines=tuple(lines), rejects=tuple(rejects))


def _line_reject(source: str, number: int, detail: str) -> Reject:
    return Reject(
        source=source,
        index=number,
        reason=RejectReason.UNPARSEABLE_LINE,
        message=f"not valid JSON ({detail}); fix or remove this line",
    )


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "values are nested too deeply"
    return str(exc)


def _yaml_document(text: str, source: str) -> Document:
    flags: list[bool] = []
    value = _yaml(text, source, flags)
    return Document(source, "yaml", value=value, unrepresentable=bool(flags))


def _yaml(text: str, source: str, flags: list[bool] | None = None) -> Any:
    import yaml

    try:
        value = yaml.load(text, Loader=_json_yaml_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise SourceFileError(f"{source}: not valid YAML: {problem}{where}") from exc
    except yaml.YAMLError as exc:
        raise SourceFileError(f"{source}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise SourceFileError(f"{source}: not valid YAML: values are nested too deeply") from exc
    return _jsonable(value, source, flags if flags is not None else [])


@cache
def _json_yaml_loader() -> Any:
    """A SafeLoader that keeps dates and times as text (JSON has no date type)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class JsonYamlLoader(base):  # type: ignore[misc, valid-type]
        pass

    JsonYamlLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return JsonYamlLoader


def _jsonable(value: Any, source: str, flags: list[bool]) -> Any:
    """YAML data as JSON data: text keys, no sets/bytes, no recursive aliases. NaN, infinities
    and values nested deeper than MAX_DEPTH stay in place (a TooDeep marker for the latter) and
    ``flags`` gets an entry, so the records holding them are rejected one by one."""
    budget = [_MAX_YAML_NODES]
    active: set[int] = set()

    def convert(node: Any, path: str, depth: int = 0) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise SourceFileError(
                f"{source}: the YAML document expands to too many values (alias bomb?)"
            )
        if isinstance(node, dict | list):
            if id(node) in active:
                raise SourceFileError(f"{source}: recursive YAML alias at {path or '/'}")
            if depth >= deep_json.MAX_DEPTH:
                flags.append(True)
                return deep_json.TooDeep(deep_json.MAX_DEPTH)
            active.add(id(node))
            try:
                if isinstance(node, list):
                    return [convert(v, f"{path}/{i}", depth + 1) for i, v in enumerate(node)]
                return {
                    _clean_text(_key(k)): convert(v, f"{path}/{_key(k)}", depth + 1)
                    for k, v in node.items()
                }
            finally:
                active.discard(id(node))
        if isinstance(node, float) and not math.isfinite(node):
            flags.append(True)
            return node
        if isinstance(node, set | tuple):
            return [convert(v, f"{path}/{i}", depth + 1) for i, v in enumerate(node)]
        if isinstance(node, bytes):
            raise SourceFileError(f"{source}: binary data at {path or '/'} cannot be imported")
        if isinstance(node, str):
            return node if node.isascii() else _clean_text(node)
        if node is None or isinstance(node, int | float | bool):
            return node
        return str(node)

    try:
        return convert(value, "")
    except RecursionError as exc:
        raise SourceFileError(f"{source}: not valid YAML: values are nested too deeply") from exc


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)
