"""On-disk forms: Parquet/JSON Lines load with `datasets` and round-trip; ShareGPT for LLaMA-Factory."""

from __future__ import annotations

import json

import pytest

from agentscaler.export.build import export_dataset
from agentscaler.export.config import ExportConfig
from agentscaler.export.sharegpt import OBSERVATION_JOIN, sharegpt_example
from agentscaler.export.writers import SplitWriter, read_rows, row_columns
from agentscaler.records import Message, ToolCall, ToolCallFunction
from agentscaler.records.dataset import DatasetRow


@pytest.fixture
def exported(run_folder):
    root = run_folder.write()
    export_dataset(root, ExportConfig(stage2_domains=("order",), heldout_fraction=0.25, seed=1))
    return root


def test_parquet_loads_with_datasets_and_keeps_tools_as_json_text(exported, run_folder):
    import datasets

    folder = exported / "dataset" / "stage1"
    loaded = datasets.load_dataset(
        "parquet", data_files={"train": str(folder / "*.parquet")}, split="train"
    )
    direct = datasets.Dataset.from_parquet(str(folder / "data.parquet"))
    assert loaded.num_rows == direct.num_rows == len(list(read_rows(folder / "data.parquet")))
    assert loaded.features["tools"] == datasets.Value("string")
    assert loaded.features["train"] == datasets.List(datasets.Value("bool"))
    arguments = loaded.features["messages"].feature["tool_calls"].feature["function"]["arguments"]
    assert arguments == datasets.Value("string")

    world_tools = {
        spec.id: json.loads((exported / "worlds" / spec.id / "tools.json").read_text("utf-8"))
        for spec in run_folder.domains
    }
    for example in loaded:
        assert json.loads(example["tools"]) == world_tools[example["domain_id"]]
        assert len(example["train"]) == len(example["messages"])
        for message, flag in zip(example["messages"], example["train"], strict=True):
            assert flag == (message["role"] == "assistant")


def test_jsonl_loads_with_datasets_like_parquet(exported):
    import datasets

    folder = exported / "dataset" / "stage2"
    from_json = datasets.Dataset.from_json(str(folder / "data.jsonl"))
    from_parquet = datasets.Dataset.from_parquet(str(folder / "data.parquet"))
    assert from_json.to_list() == from_parquet.to_list()


def _row_with_everything() -> DatasetRow:
    tools = (
        {
            "type": "function",
            "function": {
                "name": "convert",
                "description": "Umrechnen — 换算 ✓",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "amount": {"type": "number", "minimum": 0.1, "maximum": 1e21},
                        "zebra": {"type": "string"},
                        "alpha": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    },
                    "required": ["amount"],
                },
            },
        },
    )
    call = ToolCall(id="c1", function=ToolCallFunction(name="convert", arguments='{"amount": 1.5}'))
    messages = (
        Message(role="system", content="sys"),
        Message(role="user", content="¿Cuánto? 多少"),
        Message(role="assistant", tool_calls=(call,), reasoning_content="think"),
        Message(role="tool", tool_call_id="c1", content='{"result": 2.25}'),
        Message(role="assistant", content="2.25 ✓"),
    )
    return DatasetRow(
        id="e1",
        task_id="t1",
        episode_id="e1",
        domain="money",
        domain_id="d1",
        stage="stage1",
        messages=messages,
        tools=tools,
        train=(False, False, True, False, True),
    )


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_rows_round_trip_exactly(tmp_path, fmt):
    row = _row_with_everything()
    with SplitWriter(tmp_path, parquet=fmt == "parquet", jsonl=fmt == "jsonl") as writer:
        writer.write(row, row.tools_json())
    path = tmp_path / ("data.parquet" if fmt == "parquet" else "data.jsonl")
    (back,) = read_rows(path)
    assert back == row
    # key order inside the tool schemas survives too
    assert row_columns(back)["tools"] == row.tools_json()
    assert list(back.tools[0]["function"]["parameters"]["properties"]) == [
        "amount",
        "zebra",
        "alpha",
    ]


def test_empty_split_is_a_valid_file_with_the_full_schema(tmp_path):
    import pyarrow.parquet as pq

    from agentscaler.export.writers import row_schema

    with SplitWriter(tmp_path) as writer:
        assert writer.rows == 0
    table = pq.read_table(tmp_path / "data.parquet")
    assert table.num_rows == 0 and table.schema.equals(row_schema())
    assert list(read_rows(tmp_path / "data.parquet")) == []
    assert (tmp_path / "data.jsonl").read_text() == ""


def test_sharegpt_files_alternate_and_carry_calls(exported):
    folder = exported / "dataset" / "sharegpt"
    info = json.loads((folder / "dataset_info.json").read_text("utf-8"))
    assert info["agentscaler_stage1"]["file_name"] == "stage1.jsonl"
    assert info["agentscaler_stage1"]["formatting"] == "sharegpt"
    examples = [
        json.loads(line) for line in (folder / "stage1.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(examples) == len(list(read_rows(exported / "dataset" / "stage1" / "data.parquet")))
    saw_parallel = saw_join = False
    for example in examples:
        turns = example["conversations"]
        assert len(turns) % 2 == 0
        for index, turn in enumerate(turns):
            user_side = turn["from"] in ("human", "observation")
            assert user_side == (index % 2 == 0), turns
        assert isinstance(json.loads(example["tools"]), list)
        assert example["system"]
        for turn in turns:
            if turn["from"] == "function_call":
                value = turn["value"]
                if value.startswith("<think>"):
                    value = value.split("</think>", 1)[1]
                calls = json.loads(value)
                calls = calls if isinstance(calls, list) else [calls]
                saw_parallel |= len(calls) > 1
                for call in calls:
                    assert set(call) == {"name", "arguments"}
                    assert isinstance(call["arguments"], dict)
            if turn["from"] == "observation" and OBSERVATION_JOIN in turn["value"]:
                saw_join = True
    assert saw_parallel and saw_join


def test_sharegpt_conversion_of_one_row():
    row = _row_with_everything()
    example, dropped = sharegpt_example(row)
    assert dropped == 0
    assert example["system"] == "sys"
    assert [t["from"] for t in example["conversations"]] == [
        "human",
        "function_call",
        "observation",
        "gpt",
    ]
    call = example["conversations"][1]["value"]
    assert call.startswith("<think>\nthink\n</think>\n\n")
    assert json.loads(call.split("</think>\n\n", 1)[1]) == {
        "name": "convert",
        "arguments": {"amount": 1.5},
    }
    broken = row.model_copy(update={"messages": row.messages[:2] + row.messages[3:]})
    assert sharegpt_example(broken) == (None, 0)


def test_fast_json_line_equals_plain_encoding():
    from agentscaler.export.writers import row_line

    row = _row_with_everything()
    literal = json.dumps(row.tools_json(), ensure_ascii=False).encode("utf-8")
    plain = json.dumps(row_columns(row), ensure_ascii=False, separators=(",", ":"))
    assert row_line(row, literal) == (plain + "\n").encode("utf-8")


def test_fast_sharegpt_line_equals_plain_encoding(tmp_path):
    from agentscaler.export.sharegpt import ShareGptWriter

    row = _row_with_everything()
    control = Message(role="user", content='tab\there "quoted" \\ \x01 \u2028 end')
    row = row.model_copy(update={"messages": (row.messages[0], control, *row.messages[2:])})
    with ShareGptWriter(tmp_path, ("stage1",)) as writer:
        writer.write(("stage1",), row, row.tools_json())
    example, _ = sharegpt_example(row)
    plain = json.dumps(example, ensure_ascii=False, separators=(",", ":"))
    assert (tmp_path / "stage1.jsonl").read_bytes() == (plain + "\n").encode("utf-8")


def test_parquet_table_equals_generic_arrow_conversion():
    import pyarrow as pa

    from agentscaler.export.writers import row_schema, rows_table

    rows = [_row_with_everything(), _row_with_everything().model_copy(update={"id": "e2"})]
    tools = [r.tools_json() for r in rows]
    generic = pa.Table.from_pylist([row_columns(r) for r in rows], schema=row_schema())
    assert rows_table(rows, tools).equals(generic)
