"""Two-stage training on CPU with a tiny random Qwen3 model and the real Qwen vocabulary."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import TrainingError


def _losses(path):
    return [json.loads(line)["loss"] for line in path.read_text("utf-8").splitlines()]


def _digest(folder):
    from transformers import AutoModelForCausalLM

    from agentscaler.train.loss import weights_digest

    return weights_digest(AutoModelForCausalLM.from_pretrained(folder, local_files_only=True))


@pytest.mark.slow
def test_two_stages_from_the_command_line(cli, exported, tmp_path):
    out = tmp_path / "out"
    args = (
        "train", "--tiny", "--data", exported, "--out", out, "--max-steps", "12",
        "--logging-steps", "1", "--lr", "1e-2", "--batch-size", "2",
    )  # fmt: skip
    result = cli(*args)
    assert result.exit_code == 0, result.output

    stage1, stage2 = _losses(out / "stage1" / "log.jsonl"), _losses(out / "stage2" / "log.jsonl")
    assert len(stage1) == len(stage2) == 12
    assert sum(stage1[-3:]) / 3 < sum(stage1[:3]) / 3 - 1.0, stage1
    assert sum(stage2[-3:]) / 3 < sum(stage2[:3]) / 3 - 0.5, stage2
    # stage 2 continues from stage 1: it starts near where stage 1 ended, far below a fresh start
    assert stage2[0] < stage1[0] - 1.0

    summary = json.loads((out / "summary.json").read_text("utf-8"))
    first, second = summary["stages"]
    assert (first["name"], second["name"]) == ("stage1", "stage2")
    assert first["rows"] == 12 and second["rows"] == 4
    for stage in (first, second):
        data = stage["data"]
        assert data["rows"] == data["trained_rows"] + sum(data["dropped"].values())
        assert data["trained_rows"] == stage["rows"] and data["checked_rows"] > 0
        assert data["examples"] >= data["trained_rows"] and data["template"] == "qwen3-official"
    assert summary["chat_template"] == "qwen3-official" and summary["skipped"] == {}
    assert second["initial_digest"] == first["final_digest"]
    assert first["initial_digest"] != first["final_digest"]
    assert second["final_digest"] != second["initial_digest"]

    assert _digest(out / "init") == first["initial_digest"]
    assert _digest(out / "stage1") == first["final_digest"]
    assert _digest(out / "stage2") == second["final_digest"]
    official = (out / "init" / "chat_template.jinja").read_text("utf-8")
    for stage in ("stage1", "stage2"):
        assert (out / stage / "tokenizer.json").exists()
        assert (out / stage / "chat_template.jinja").read_text("utf-8") == official
        assert not (out / stage / "original_chat_template.jinja").exists()

    before = (out / "stage2" / "log.jsonl").stat().st_mtime_ns
    again = cli(*args)
    assert again.exit_code == 0 and again.output.count("reused") == 2
    assert (out / "stage2" / "log.jsonl").stat().st_mtime_ns == before


@pytest.mark.slow
def test_lora_stage_two_continues_the_stage_one_adapter(exported, tiny_model, tmp_path):
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    config = TrainConfig(
        model=tiny_model, data=exported, out=tmp_path / "lora", lora=True, max_steps=3,
        logging_steps=1, learning_rate=5e-3, batch_size=1, max_length=2048, lora_r=4,
        lora_alpha=8, check_masks=1, chat_template="project",
    )  # fmt: skip
    summary = train(config)
    first, second = summary.stages
    from agentscaler.train.chat_template import official_qwen3_template, project_chat_template

    # asked for: trained and saved with the project's template, the model's own kept beside it
    assert summary.chat_template == "project" and first.data.template == "project"
    assert first.data.examples == first.data.trained_rows  # prefix-consistent: one per row
    for stage in ("stage1", "stage2"):
        folder = tmp_path / "lora" / stage
        assert (folder / "chat_template.jinja").read_text("utf-8") == project_chat_template()
        kept = (folder / "original_chat_template.jinja").read_text("utf-8")
        assert kept == official_qwen3_template()
    assert first.lora and second.lora
    assert second.initial_digest == first.final_digest != first.initial_digest
    assert second.final_digest != second.initial_digest
    assert (tmp_path / "lora" / "stage1" / "adapter_config.json").exists()
    assert (tmp_path / "lora" / "stage2" / "adapter_model.safetensors").exists()
    assert second.init_from == str(tmp_path / "lora" / "stage1")


def test_missing_model_folder_is_a_clear_error(exported, tmp_path):
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    with pytest.raises(TrainingError, match=r"no such folder.*never downloaded"):
        train(TrainConfig(model=tmp_path / "nope", data=exported, out=tmp_path / "o"))


def test_missing_dataset_is_a_clear_error(tiny_model, tmp_path):
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    with pytest.raises(TrainingError, match="agentscaler export"):
        train(TrainConfig(model=tiny_model, data=tmp_path, out=tmp_path / "o"))


@pytest.mark.slow
def test_empty_stage_two_is_skipped_with_a_notice(exported_without_stage2, tiny_model, tmp_path):
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    out = tmp_path / "o"
    config = TrainConfig(
        model=tiny_model, data=exported_without_stage2, out=out, max_steps=1, check_masks=1
    )
    summary = train(config)
    assert [s.name for s in summary.stages] == ["stage1"]
    assert (
        "no rows" in summary.skipped["stage2"] and "--stage2-domains" in summary.skipped["stage2"]
    )
    assert not (out / "stage2").exists()


def test_model_folder_without_a_chat_template_is_a_clear_error(exported, tiny_model, tmp_path):
    import shutil

    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    (folder / "chat_template.jinja").unlink()
    with pytest.raises(TrainingError, match=r"no chat template.*--chat-template"):
        train(TrainConfig(model=folder, data=exported, out=tmp_path / "o", max_steps=1))
    assert not (tmp_path / "o" / "stage1").exists()


def test_no_trainable_row_is_an_error_before_training(exported, tiny_model, tmp_path):
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    config = TrainConfig(
        model=tiny_model, data=exported, out=tmp_path / "o", max_length=64, max_steps=1,
        check_masks=0,
    )  # fmt: skip
    with pytest.raises(TrainingError, match=r"none of its 12 rows.*12 too_long.*--max-length"):
        train(config)
    assert not (tmp_path / "o" / "stage1").exists()


def test_tiny_without_data_only_writes_the_model(cli, tmp_path):
    from transformers import AutoConfig

    result = cli("train", "--tiny", "--out", tmp_path / "tiny")
    assert result.exit_code == 0, result.output
    config = AutoConfig.from_pretrained(tmp_path / "tiny", local_files_only=True)
    assert config.model_type == "qwen3" and config.vocab_size == 151_669
    assert config.num_hidden_layers == 2 and config.hidden_size == 32
    assert (tmp_path / "tiny" / "chat_template.jinja").exists()
    assert not (tmp_path / "tiny" / "stage1").exists()


def test_model_and_tiny_together_are_refused(exported, tiny_model, tmp_path):
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    with pytest.raises(TrainingError, match="either --model"):
        train(TrainConfig(model=tiny_model, tiny=True, data=exported, out=tmp_path / "o"))


def test_missing_training_extras_are_named(monkeypatch, exported, tmp_path):
    import sys

    from agentscaler.errors import MissingDependencyError
    from agentscaler.train.config import TrainConfig
    from agentscaler.train.trainer import train

    monkeypatch.setitem(sys.modules, "peft", None)
    with pytest.raises(MissingDependencyError, match=r"peft is missing.*agentscaler\[train\]"):
        train(TrainConfig(tiny=True, data=exported, out=tmp_path / "o"))


def test_tiny_runs_default_to_a_rate_and_logging_a_random_model_shows_learning_with():
    from agentscaler.train.config import DEFAULT_LOGGING_STEPS, TrainConfig

    tiny = TrainConfig(tiny=True, out="o")
    assert tiny.resolved_learning_rate == tiny.tiny_learning_rate > tiny.full_learning_rate
    assert tiny.resolved_logging_steps == 1
    full = TrainConfig(model="m", out="o")
    assert full.resolved_learning_rate == full.full_learning_rate
    assert full.resolved_logging_steps == DEFAULT_LOGGING_STEPS
    assert TrainConfig(model="m", out="o", lora=True).resolved_learning_rate == 1e-4
    assert TrainConfig(tiny=True, out="o", learning_rate=0.5).resolved_learning_rate == 0.5
    assert TrainConfig(tiny=True, out="o", logging_steps=5).resolved_logging_steps == 5
