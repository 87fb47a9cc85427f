"""ms-swift's agent format of dataset rows (``dataset/swift/<split>.jsonl``).

ms-swift (``swift sft --dataset FILE.jsonl``) reads ``{"tools": "<JSON text of the OpenAI tools>",
"messages": [...]}`` with the roles ``system``, ``user``, ``assistant``, ``tool_call`` and
``tool_response``; a ``tool_call`` or ``tool_response`` message holds JSON text (a call is
``{"name": ..., "arguments": {...}}``). Its template folds consecutive ``tool_call`` messages into
one assistant turn formatted by the model's agent template, so one assistant message with text
and parallel calls becomes an ``assistant`` message (the text, after ``<think>...</think>`` when
there is reasoning) followed by one ``tool_call`` message per call.

ms-swift then requires the folded turns to alternate (user or tool results, then assistant) with
non-empty assistant content, and deletes rows that do not; such rows are skipped here and counted
(``swift.skipped`` in the manifest) rather than written to be lost there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentscaler.export.sharegpt import _parsed_arguments, _with_thought
from agentscaler.records.dataset import DatasetRow

SWIFT_DIR = "swift"


def folded_turns(messages: list[dict[str, str]]) -> list[tuple[str, str]]:
    """``(role, content)`` turns as ms-swift's template sees them: calls folded into the
    assistant turn, consecutive tool results into one tool turn, the system prompt first."""
    turns: list[tuple[str, str]] = []
    for message in messages:
        role = {"tool_call": "assistant", "tool_response": "tool"}.get(
            message["role"], message["role"]
        )
        if turns and role in ("assistant", "tool") and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n" + message["content"])
        else:
            turns.append((role, message["content"]))
    return turns


def swift_accepts(messages: list[dict[str, str]]) -> bool:
    """True when ms-swift keeps the row: after an optional system turn, (user or tool,
    assistant) pairs with non-empty assistant content, ending with the assistant."""
    turns = folded_turns(messages)
    if turns and turns[0][0] == "system":
        turns = turns[1:]
    if not turns or len(turns) % 2:
        return False
    for query, answer in zip(turns[::2], turns[1::2], strict=True):
        if query[0] not in ("user", "tool") or answer[0] != "assistant" or not answer[1]:
            return False
    return True


def swift_example(row: DatasetRow, tools_json: str | None = None) -> dict[str, Any] | None:
    """The row in ms-swift's agent format, or None when ms-swift would delete it."""
    messages: list[dict[str, str]] = []
    for message in row.messages:
        if message.role in ("system", "user"):
            messages.append({"role": message.role, "content": message.content or ""})
        elif message.role == "tool":
            messages.append({"role": "tool_response", "content": message.content or ""})
        elif message.role == "assistant":
            text = _with_thought(message.reasoning_content, message.content or "")
            if text.strip() or not message.tool_calls:
                messages.append({"role": "assistant", "content": text})
            for call in message.tool_calls or ():
                value = {"name": call.function.name,
                         "arguments": _parsed_arguments(call.function.arguments)}  # fmt: skip
                messages.append(
                    {"role": "tool_call", "content": json.dumps(value, ensure_ascii=False)}
                )
        else:
            return None
    if not swift_accepts(messages):
        return None
    return {
        "tools": tools_json if tools_json is not None else row.tools_json(),
        "messages": messages,
    }


class SwiftWriter:
    """Write the ms-swift file of every split into ``folder``."""

    def __init__(self, folder: Path, splits: tuple[str, ...]) -> None:
        self.folder = Path(folder)
        self.splits = splits
        self.rows = 0
        self.skipped = 0
        self._files: dict[str, Any] = {}

    def __enter__(self) -> SwiftWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        for split in self.splits:
            self._files[split] = (self.folder / f"{split}.jsonl").open("wb")
        return self

    def write(self, splits: tuple[str, ...], row: DatasetRow, tools_json: str) -> None:
        example = swift_example(row, tools_json)
        if example is None:
            self.skipped += len(splits)
            return
        line = (json.dumps(example, ensure_ascii=False) + "\n").encode("utf-8")
        for split in splits:
            self._files[split].write(line)
        self.rows += len(splits)

    def __exit__(self, *exc: object) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
