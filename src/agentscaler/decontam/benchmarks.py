"""What a benchmark holds: its tools (any catalog dialect) and its questions.

Tools are read by the catalog import (:func:`agentscaler.ingest.import_sources`), so OpenAI, MCP,
OpenAPI, BFCL, ACEBench, Seal-Tools files and tool pools all work. Questions are read from JSON or
JSON Lines records:

* ``question``: a string (ACEBench), or BFCL's turns of messages (the user messages' text, joined);
* else the first string among ``intent``, ``instruction``, ``query``, ``prompt``, ``user``,
  ``input``, ``text``;
* tau-bench recorded runs: ``info.task.instruction``, else the first user message of ``traj``.

A question's id is the record's ``id`` when it has one, else ``<file>:<line or index>``.
Directories and globs are expanded as by the import (gold answers in ``possible_answer/`` are
left out). Identical questions are compared once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.errors import ConfigError, SourceFileError
from agentscaler.ingest import IngestConfig, import_sources
from agentscaler.ingest.reading import read_document
from agentscaler.ingest.sources import plan_sources
from agentscaler.records.tool import ToolSpec

log = logging.getLogger(__name__)

QUESTION_FIELDS = ("intent", "instruction", "query", "prompt", "user", "input", "text")


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class Benchmark:
    files: tuple[str, ...]
    tools: list[ToolSpec]
    questions: list[Question]


def _user_texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("role") == "user" and isinstance(value.get("content"), str):
            yield value["content"]
    elif isinstance(value, list):
        for item in value:
            yield from _user_texts(item)


def question_text(record: Any) -> str | None:
    """The question a benchmark record asks (None when it asks none)."""
    if not isinstance(record, dict):
        return None
    question = record.get("question")
    if isinstance(question, str) and question.strip():
        return question.strip()
    if isinstance(question, list):
        text = "\n".join(t.strip() for t in _user_texts(question) if t.strip())
        if text:
            return text
    for key in QUESTION_FIELDS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    info = record.get("info")
    task = info.get("task") if isinstance(info, dict) else None
    if isinstance(task, dict) and isinstance(task.get("instruction"), str):
        return task["instruction"].strip() or None
    if isinstance(record.get("traj"), list):
        first = next(iter(_user_texts(record["traj"])), "").strip()
        return first or None
    return None


def _records(document: Any) -> Iterator[tuple[Any, Any]]:
    if document.kind == "jsonl":
        yield from document.lines
        return
    value = document.value
    if isinstance(value, list):
        yield from enumerate(value)
    elif isinstance(value, dict):
        yield 0, value


def read_questions(files: Sequence[str]) -> list[Question]:
    """Questions of ``files`` (files, directories or globs), each distinct text once."""
    plan = plan_sources(list(files), IngestConfig())
    if plan.missing:
        raise ConfigError(f"--against {plan.missing[0].source}: {plan.missing[0].message}")
    seen: set[str] = set()
    questions: list[Question] = []
    for planned in plan.files:
        if planned.path is None:
            continue
        try:
            document = read_document(planned.path, planned.display)
        except SourceFileError as exc:
            raise ConfigError(f"--against: {exc}") from exc
        for index, record in _records(document):
            text = question_text(record)
            if text is None:
                continue
            key = " ".join(text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            record_id = record.get("id") if isinstance(record, dict) else None
            qid = record_id if isinstance(record_id, str) else f"{planned.display}:{index}"
            questions.append(Question(qid, text))
    return questions


def read_benchmark(files: Sequence[str]) -> Benchmark:
    """The tools and questions of the benchmark ``files``; an error when they hold neither."""
    if not files:
        raise ConfigError("give the benchmark files to compare with: --against FILE...")
    result = import_sources(list(files))
    if result.file_errors:
        first = result.file_errors[0]
        raise ConfigError(f"--against {first.source}: {first.message}")
    questions = read_questions(files)
    if not result.tools and not questions:
        raise ConfigError(
            f"--against {', '.join(files)}: no tool and no question found. Give catalog files "
            "(OpenAI, MCP, OpenAPI, BFCL, ACEBench ...) or JSON Lines records with a 'question' "
            "(or 'intent', 'instruction', 'query', 'prompt') field."
        )
    log.info("benchmark: %d tools, %d questions", len(result.tools), len(questions))
    return Benchmark(tuple(files), result.tools, questions)
