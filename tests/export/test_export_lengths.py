"""Rows measured in Qwen3 tokens at export, and fitted to the token budget without losing rows."""

from __future__ import annotations

import json

import pytest

from agentscaler.export.build import export_dataset
from agentscaler.export.config import ExportConfig
from agentscaler.export.lengths import LengthMeter
from agentscaler.export.writers import read_rows
from agentscaler.records import Message, ToolCall, ToolCallFunction
from agentscaler.records.dataset import DatasetRow


@pytest.fixture(scope="module")
def qwen():
    from agentscaler.train.tokenizer import build_qwen_tokenizer

    return build_qwen_tokenizer()


def hf_count(tokenizer, row: DatasetRow) -> int:
    """Tokens of the row as transformers renders and tokenises it with the official template."""
    text = tokenizer.apply_chat_template(
        row.openai_messages(), tools=list(row.tools) or None, tokenize=False
    )
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _tool(name: str, words: int) -> dict:
    description = " ".join(f"{name}-detail-{i} über 数据" for i in range(words))
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }


def _row(tools: list[dict], calls: list[str], turns: int = 1) -> DatasetRow:
    messages = [Message(role="system", content="Be exact."), Message(role="user", content="Go.")]
    for turn in range(turns):
        for index, name in enumerate(calls):
            call_id = f"c{turn}-{index}"
            call = ToolCall(id=call_id, function=ToolCallFunction(name=name, arguments="{}"))
            messages.append(Message(role="assistant", tool_calls=(call,)))
            messages.append(Message(role="tool", tool_call_id=call_id, content='{"ok": true}'))
        messages.append(Message(role="assistant", content=f"Done, step {turn}. " * 20))
        messages.append(Message(role="user", content="And again."))
    messages = messages[:-1]
    return DatasetRow(
        id="e1", task_id="t1", episode_id="e1", domain="d", domain_id="d1", stage="stage1",
        messages=tuple(messages), tools=tuple(tools),
        train=tuple(m.role == "assistant" for m in messages),
    )  # fmt: skip


def test_counts_equal_the_hugging_face_tokenizer(run_folder, qwen):
    root = run_folder.write()
    export_dataset(root, ExportConfig(heldout_fraction=0.0, max_tokens=0))
    rows = list(read_rows(root / "dataset" / "stage1" / "data.parquet"))
    assert rows and all(r.num_tokens is not None for r in rows)
    for row in rows:
        assert row.num_tokens == hf_count(qwen, row)
    meter = LengthMeter(0)
    long_row = _row([_tool(f"tool_{i}", 40) for i in range(12)], ["tool_3", "tool_7"], turns=3)
    assert meter.fit(long_row).num_tokens == hf_count(qwen, long_row)


def test_tool_lists_are_trimmed_to_called_tools_plus_distractors(qwen):
    tools = [_tool(f"tool_{i}", 60) for i in range(20)]
    row = _row(tools, ["tool_2", "tool_15"])
    full = LengthMeter(0).fit(row).num_tokens
    budget = full // 2
    fitted = LengthMeter(budget, seed=7).fit(row)
    names = [t["function"]["name"] for t in fitted.row.tools]
    assert {"tool_2", "tool_15"} <= set(names) and 2 < len(names) < 20
    assert names == sorted(names, key=lambda n: int(n.split("_")[1]))  # the world's order
    assert fitted.row.messages == row.messages and fitted.dropped_messages == 0
    assert fitted.dropped_tools == 20 - len(names) == fitted.row.dropped_tools
    assert fitted.num_tokens == fitted.row.num_tokens == hf_count(qwen, fitted.row) <= budget
    # a distractor more would not fit: the budget is used, not wasted
    assert budget - fitted.num_tokens < max(LengthMeter(0)._tool_cost(t) for t in tools)
    again = LengthMeter(budget, seed=7).fit(row)
    assert again.row.tools == fitted.row.tools
    other = LengthMeter(budget, seed=8).fit(row)
    assert {"tool_2", "tool_15"} <= {t["function"]["name"] for t in other.row.tools}


def test_long_rows_are_cut_after_the_last_assistant_turn_that_fits(qwen):
    tools = [_tool(f"tool_{i}", 30) for i in range(4)]
    row = _row(tools, ["tool_0", "tool_1"], turns=4)
    meter = LengthMeter(0)
    messages = row.openai_messages()
    ends = [i + 1 for i, m in enumerate(messages) if m["role"] == "assistant"]
    called = [t for t in tools if t["function"]["name"] in ("tool_0", "tool_1")]
    sizes = {end: meter.measure(messages[:end], called) for end in ends}
    budget = sizes[ends[5]] + 1
    fitted = LengthMeter(budget).fit(row)
    kept = fitted.row.messages
    assert kept[-1].role == "assistant" and len(kept) == ends[5]
    assert fitted.dropped_messages == len(row.messages) - ends[5] == fitted.row.dropped_messages
    assert fitted.row.train == row.train[: ends[5]]
    assert fitted.num_tokens == hf_count(qwen, fitted.row) <= budget
    # a first turn that cannot fit leaves the row whole, measured (training counts it)
    smallest = meter.measure(messages[: ends[0]], called[:1])  # the first turn calls tool_0
    hopeless = LengthMeter(smallest - 1).fit(row)
    assert hopeless.row.messages == row.messages and hopeless.row.tools == row.tools
    assert hopeless.num_tokens == hf_count(qwen, row) and not hopeless.changed


def test_manifest_summarises_lengths_and_rows_record_them(run_folder):
    root = run_folder.write()
    manifest = export_dataset(root, ExportConfig(heldout_fraction=0.0, max_tokens=700))
    assert manifest.lengths.measured and manifest.lengths.budget == 700
    assert manifest.lengths.template == "qwen3-official"
    stats = manifest.splits["stage1"].tokens
    rows = list(read_rows(root / "dataset" / "stage1" / "data.parquet"))
    lengths = sorted(r.num_tokens for r in rows)
    assert stats.measured == len(rows) == manifest.splits["stage1"].rows
    assert stats.max == lengths[-1] and stats.total == sum(lengths)
    assert stats.over_budget == sum(n > 700 for n in lengths)
    assert stats.tools_trimmed == sum(bool(r.dropped_tools) for r in rows)
    assert stats.truncated == sum(bool(r.dropped_messages) for r in rows) > 0
    saved = json.loads((root / "dataset" / "manifest.json").read_text("utf-8"))
    assert saved["splits"]["stage1"]["tokens"]["measured"] == len(rows)


def test_stage_two_defaults_to_the_domains_with_most_kept_episodes(run_folder):
    spec = run_folder.domains[2]  # the hotel desk gets the most kept episodes
    for index in range(10, 14):
        run_folder.add_task(spec, index)
    root = run_folder.write()
    manifest = export_dataset(root, ExportConfig(heldout_fraction=0.0, stage2_auto=2))
    assert manifest.stage2_auto
    # hotel has 8 kept episodes, order and flight 4 each: the tie goes to the smaller id
    assert manifest.stage2_domains == ("d0001-order", "d0003-hotel")
    assert manifest.splits["stage2"].rows == 12
    none = export_dataset(root, ExportConfig(heldout_fraction=0.0, stage2_auto=0), force=True)
    assert none.stage2_domains == () and none.splits["stage2"].rows == 0
    named = export_dataset(root, ExportConfig(stage2_domains=("flight",)), force=True)
    assert not named.stage2_auto and named.stage2_domains == ("d0002-flight",)
