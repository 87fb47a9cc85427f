"""ShareGPT (LLaMA-Factory) form of dataset rows.

ShareGPT (LLaMA-Factory) files hold ``conversations`` of ``{"from", "value"}`` turns (``human``,
``gpt``, ``function_call``, ``observation``), the system prompt in ``system`` and the tools as JSON
text in ``tools``. A function_call turn's value is the JSON of the call (``{"name", "arguments"}``
with the arguments as an object) or of the list of parallel calls, preceded by
``<think>...</think>`` when the assistant reasoned; consecutive tool results form one observation,
joined by ``</tool_response>``/``<tool_response>`` as LLaMA-Factory does for OpenAI-style data.

A function_call turn carries no text, so the text of an assistant message that also calls tools
is dropped (and counted in the manifest as ``sharegpt.dropped_texts``); rows whose turns cannot
alternate as ShareGPT requires are skipped and counted. The Parquet and JSON Lines files keep
everything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic_core import to_json

from agentscaler.jsonl import write_json
from agentscaler.records.dataset import DatasetRow

OBSERVATION_JOIN = "\n</tool_response>\n<tool_response>\n"


def _parsed_arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _with_thought(reasoning: str | None, text: str) -> str:
    if reasoning and reasoning.strip():
        return f"<think>\n{reasoning.strip()}\n</think>\n\n{text.lstrip()}"
    return text


def sharegpt_example(row: DatasetRow, tools_json: str | None = None) -> tuple[dict | None, int]:
    """The row in ShareGPT form and the number of assistant texts dropped beside tool calls.

    Returns ``(None, 0)`` when the turns cannot alternate as ShareGPT requires (user or
    observation, then gpt or function_call, ...) or a system message appears mid-conversation.
    """
    messages = row.messages
    system = ""
    if messages and messages[0].role == "system":
        system = messages[0].content or ""
        messages = messages[1:]
    turns: list[dict[str, str]] = []
    observations: list[str] = []
    dropped = 0

    def flush() -> None:
        if observations:
            turns.append({"from": "observation", "value": OBSERVATION_JOIN.join(observations)})
            observations.clear()

    for message in messages:
        if message.role == "tool":
            observations.append(message.content or "")
            continue
        flush()
        if message.role == "user":
            turns.append({"from": "human", "value": message.content or ""})
        elif message.role == "assistant" and message.tool_calls:
            calls = [
                {"name": c.function.name, "arguments": _parsed_arguments(c.function.arguments)}
                for c in message.tool_calls
            ]
            value = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
            turns.append(
                {"from": "function_call", "value": _with_thought(message.reasoning_content, value)}
            )
            dropped += bool((message.content or "").strip())
        elif message.role == "assistant":
            text = _with_thought(message.reasoning_content, message.content or "")
            turns.append({"from": "gpt", "value": text})
        else:
            return None, 0
    flush()
    user_side = ("human", "observation")
    for index, turn in enumerate(turns):
        if (turn["from"] in user_side) != (index % 2 == 0):
            return None, 0
    if not turns or len(turns) % 2:
        return None, 0
    example = {
        "id": row.id,
        "offline": row.offline,
        "conversations": turns,
        "system": system,
        "tools": tools_json if tools_json is not None else row.tools_json(),
    }
    return example, dropped


def llamafactory_dataset_info(splits: list[str]) -> dict[str, Any]:
    """A LLaMA-Factory ``dataset_info.json`` describing the ShareGPT files of ``splits``."""
    return {
        f"agentscaler_{split}": {
            "file_name": f"{split}.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
        }
        for split in splits
    }


def write_dataset_info(folder: Path, splits: tuple[str, ...]) -> None:
    """Write LLaMA-Factory's ``dataset_info.json`` for the ShareGPT files of ``splits``."""
    write_json(Path(folder) / "dataset_info.json", llamafactory_dataset_info(list(splits)))


class ShareGptWriter:
    """Write the ShareGPT files of every split into ``folder`` plus ``dataset_info.json``.

    ``info=False`` leaves ``dataset_info.json`` out (an export part).
    """

    def __init__(self, folder: Path, splits: tuple[str, ...], *, info: bool = True) -> None:
        self.folder = Path(folder)
        self.splits = splits
        self.info = info
        self.rows = 0
        self.skipped = 0
        self.dropped_texts = 0
        self._files: dict[str, Any] = {}
        self._literals: dict[str, bytes] = {}

    def __enter__(self) -> ShareGptWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        for split in self.splits:
            path = self.folder / f"{split}.jsonl"
            self._files[split] = path.open("wb")
        return self

    def write(self, splits: tuple[str, ...], row: DatasetRow, tools_json: str) -> None:
        """Write ``row`` (converted once) to the file of each of ``splits``."""
        example, dropped = sharegpt_example(row, tools_json)
        if example is None:
            self.skipped += len(splits)
            return
        tools = example.pop("tools")
        literal = self._literals.get(tools)
        if literal is None:
            text = json.dumps(tools, ensure_ascii=False)
            literal = self._literals[tools] = text.encode("utf-8")
        # Compact UTF-8 JSON, as json.dumps(..., ensure_ascii=False, separators=(",", ":"))
        # writes it, in one call into pydantic's Rust serialiser.
        head = to_json(example)
        line = b"".join((head[:-1], b',"tools":', literal, b"}\n"))
        for split in splits:
            self._files[split].write(line)
        self.rows += len(splits)
        self.dropped_texts += dropped * len(splits)

    def __exit__(self, *exc: object) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        if self.info:
            write_dataset_info(self.folder, self.splits)
