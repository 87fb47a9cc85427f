"""End-to-end RL smoke: TRL's GRPO trainer, a tiny random Qwen3 on CPU, rewards from the
environment (proves the wiring, not learning)."""

from __future__ import annotations

import pytest

from agentscaler.envs.adapters.trl import EnvReward, grpo_dataset

from .scripted import gold_texts


def test_env_reward_scores_completions_with_the_environment(source, scripted_task):
    write_task = scripted_task
    reward = EnvReward(source)
    gold = "\n".join(gold_texts(write_task)[:-1])  # every gold call in one message
    wrong = "\n".join(gold_texts(write_task, wrong_write=True)[:-1])
    conversational = [{"role": "assistant", "content": gold}]
    assert reward([None] * 4, [gold, wrong, conversational, "hi"], [write_task.id] * 4) == [
        1.0,
        0.0,
        1.0,
        0.0,
    ]


@pytest.mark.slow
def test_grpo_two_steps_on_cpu_with_environment_rewards(source, tasks, tmp_path_factory):
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from agentscaler.train.tiny import create_tiny_model

    model_dir = create_tiny_model(tmp_path_factory.mktemp("grpo") / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    dataset = grpo_dataset(source, [t.id for t in tasks[:4]], list_tools=False)
    assert "<tools>" in grpo_dataset(source, [tasks[0].id])[0]["prompt"][0]["content"]
    reward = EnvReward(source)
    args = GRPOConfig(
        output_dir=str(tmp_path_factory.mktemp("grpo-out")),
        max_steps=2,
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        learning_rate=1e-4,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        seed=0,
        dataloader_num_workers=0,
        gradient_checkpointing=False,
    )
    trainer = GRPOTrainer(
        model=str(model_dir),
        reward_funcs=reward,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    trainer.train()
    steps = [entry for entry in trainer.state.log_history if "reward" in entry]
    assert trainer.state.global_step == 2 and len(steps) == 2
    assert reward.scored == 2 * 2  # every completion was scored by the environment
    assert all(0.0 <= entry["reward"] <= 1.0 for entry in steps)
