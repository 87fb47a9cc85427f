"""Exported files loaded the way their users load them.

* ``datasets``: Parquet and JSON Lines splits load to one schema and concatenate.
* LLaMA-Factory (not installed: it pins its own torch and transformers): ``dataset_info.json`` is
  parsed as ``llamafactory.data.parser.get_dataset_list`` does and every example goes through the
  logic of ``SharegptDatasetConverter`` (role tags alternating user-side / assistant-side, an
  even count), which logs and empties an example that breaks it.
* ms-swift (not installed, same reason): the documented agent format (``tools`` JSON text,
  ``tool_call`` / ``tool_response`` messages holding JSON), folded as its template's
  ``_preprocess_function_call`` folds calls, then ``RowPreprocessor.check_messages``, which
  deletes rows that fail it.
"""

from __future__ import annotations

import json

import pytest

from agentscaler.export.build import export_dataset
from agentscaler.export.config import ExportConfig
from agentscaler.export.writers import read_rows


@pytest.fixture
def exported(run_folder):
    root = run_folder.write()
    export_dataset(root, ExportConfig(stage2_domains=("order",), heldout_fraction=0.25, seed=1))
    return root / "dataset"


def test_parquet_and_json_lines_concatenate(exported):
    import datasets

    from agentscaler.export.writers import dataset_features

    for split in ("stage1", "stage2", "heldout"):
        folder = exported / split
        parquet = datasets.load_dataset(
            "parquet", data_files=str(folder / "data.parquet"), split="train"
        )
        jsonl = datasets.load_dataset(
            "json", data_files=str(folder / "data.jsonl"), split="train",
            features=dataset_features(),
        )  # fmt: skip
        assert parquet.features == jsonl.features == dataset_features()
        both = datasets.concatenate_datasets([parquet, jsonl])
        assert len(both) == 2 * len(parquet) > 0
        assert both.to_list() == parquet.to_list() + parquet.to_list()
        # without the schema, JSON readers infer types: the integer columns agree with Parquet,
        # and a field null in every line is typed null (why the schema is given above)
        inferred = datasets.Dataset.from_json(str(folder / "data.jsonl")).features
        for name in ("schema_version", "num_tokens", "dropped_tools", "dropped_messages"):
            assert inferred[name] == parquet.features[name] == datasets.Value("int64")
        assert inferred["messages"].feature["name"] == datasets.Value("null")  # never set here
        with pytest.raises(ValueError, match="can't be aligned"):
            datasets.concatenate_datasets(
                [parquet, datasets.Dataset.from_json(str(folder / "data.jsonl"))]
            )


def _llamafactory_attrs(info: dict, name: str) -> dict:
    """The attributes LLaMA-Factory's get_dataset_list reads from one dataset_info entry."""
    entry = info[name]
    assert "file_name" in entry  # load_from == "file"
    attrs = {
        "file_name": entry["file_name"],
        "formatting": entry.get("formatting", "alpaca"),
        "ranking": entry.get("ranking", False),
        "role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
        "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system",
    }  # fmt: skip
    columns = entry.get("columns", {})
    for column in ("system", "tools", "images", "chosen", "rejected", "kto_tag", "messages"):
        attrs[column] = columns.get(column)
    for tag, value in entry.get("tags", {}).items():
        attrs[tag] = value
    return attrs


def _llamafactory_convert(attrs: dict, example: dict) -> tuple[list, list, str, str]:
    """SharegptDatasetConverter.__call__: (prompt, response, system, tools)."""
    tag_mapping = {
        attrs["user_tag"]: "user", attrs["assistant_tag"]: "assistant",
        attrs["observation_tag"]: "observation", attrs["function_tag"]: "function",
        attrs["system_tag"]: "system",
    }  # fmt: skip
    odd = (attrs["user_tag"], attrs["observation_tag"])
    even = (attrs["assistant_tag"], attrs["function_tag"])
    messages = example[attrs["messages"]]
    if messages and messages[0][attrs["role_tag"]] == attrs["system_tag"]:
        system, messages = messages[0][attrs["content_tag"]], messages[1:]
    else:
        system = example[attrs["system"]] if attrs["system"] else ""
    aligned, broken = [], False
    for index, message in enumerate(messages):
        if message[attrs["role_tag"]] not in (odd, even)[index % 2]:
            broken = True
            break
        role = tag_mapping[message[attrs["role_tag"]]]
        aligned.append({"role": role, "content": message[attrs["content_tag"]]})
    if (not attrs["ranking"] and len(aligned) % 2 != 0) or broken:
        return [], [], system, ""
    tools = example[attrs["tools"]] if attrs["tools"] else ""
    return aligned[:-1], aligned[-1:], system, tools


def test_llamafactory_reads_every_sharegpt_example(exported):
    import datasets

    folder = exported / "sharegpt"
    info = json.loads((folder / "dataset_info.json").read_text("utf-8"))
    for split in ("stage1", "stage2", "heldout"):
        attrs = _llamafactory_attrs(info, f"agentscaler_{split}")
        assert attrs["formatting"] == "sharegpt" and attrs["messages"] == "conversations"
        # LLaMA-Factory loads local files with datasets' JSON builder
        loaded = datasets.load_dataset(
            "json", data_files=str(folder / attrs["file_name"]), split="train"
        )
        rows = list(read_rows(exported / split / "data.parquet"))
        assert len(loaded) == len(rows) > 0
        for example, row in zip(loaded, rows, strict=True):
            prompt, response, system, tools = _llamafactory_convert(attrs, example)
            assert response, f"LLaMA-Factory would skip {example['id']}"
            assert response[0]["role"] in ("assistant", "function") and prompt[0]["role"] == "user"
            assert system == row.messages[0].content
            assert json.loads(tools) == list(row.tools)
            for message in prompt + response:
                if message["role"] == "function":
                    value = message["content"].split("</think>")[-1]
                    calls = json.loads(value)
                    for call in calls if isinstance(calls, list) else [calls]:
                        assert isinstance(call["arguments"], dict) and call["name"]


def _swift_fold(messages: list[dict]) -> list[dict]:
    """Template._preprocess_function_call (consecutive tool_call -> one assistant message), then
    consecutive assistant and tool messages joined, tool_response read as tool."""
    folded: list[dict] = []
    for message in messages:
        role = {"tool_call": "assistant", "tool_response": "tool"}.get(
            message["role"], message["role"]
        )
        if folded and role in ("assistant", "tool") and folded[-1]["role"] == role:
            folded[-1] = {"role": role, "content": folded[-1]["content"] + message["content"]}
        else:
            folded.append({"role": role, "content": message["content"]})
    return folded


def _swift_check_messages(messages: list[dict]) -> None:
    """RowPreprocessor.check_messages."""
    assert len(messages) > 0
    if messages[0]["role"] == "system":
        messages = messages[1:]
    assert len(messages) % 2 == 0
    for user, assistant in zip(messages[::2], messages[1::2], strict=True):
        if user["role"] not in {"user", "tool"} or user.get("content") is None:
            raise ValueError(f"user_message: {user}")
        if assistant["role"] != "assistant" or assistant.get("content") in {"", None}:
            raise ValueError(f"assistant_message: {assistant}")


def test_ms_swift_reads_every_agent_example(exported):
    import datasets

    for split in ("stage1", "stage2", "heldout"):
        path = exported / "swift" / f"{split}.jsonl"
        loaded = datasets.load_dataset("json", data_files=str(path), split="train")
        rows = list(read_rows(exported / split / "data.parquet"))
        assert len(loaded) == len(rows) > 0
        for example, row in zip(loaded, rows, strict=True):
            assert set(example) == {"tools", "messages"}
            assert json.loads(example["tools"]) == list(row.tools)
            roles = {m["role"] for m in example["messages"]}
            assert roles <= {"system", "user", "assistant", "tool_call", "tool_response"}
            calls = [m for m in example["messages"] if m["role"] == "tool_call"]
            assert len(calls) == sum(len(m.tool_calls or ()) for m in row.messages)
            for call in calls:
                value = json.loads(call["content"])
                assert set(value) == {"name", "arguments"} and isinstance(value["arguments"], dict)
            results = [m for m in example["messages"] if m["role"] == "tool_response"]
            assert [m["content"] for m in results] == [
                m.content for m in row.messages if m.role == "tool"
            ]
            _swift_check_messages(_swift_fold(example["messages"]))
