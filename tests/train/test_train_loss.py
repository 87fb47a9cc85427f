"""The assistant-only loss equals the model's own masked cross-entropy; weight digests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def small_model():
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(
        vocab_size=500,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        pad_token_id=0,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return Qwen3ForCausalLM(config).eval()


def _batch():
    import torch

    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(1, 500, (2, 24), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 18:] = 0
    input_ids[1, 18:] = 0
    labels = torch.full_like(input_ids, -100)
    labels[0, 5:12] = input_ids[0, 5:12]
    labels[0, 20:] = input_ids[0, 20:]
    labels[1, 9:16] = input_ids[1, 9:16]
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def test_supervised_nll_equals_the_model_loss(small_model):
    import torch

    from agentscaler.train.loss import supervised_nll

    batch = _batch()
    with torch.no_grad():
        expected = small_model(**batch).loss
        loss, count = supervised_nll(small_model, dict(batch))
    assert count == int((batch["labels"][:, 1:] != -100).sum())
    assert torch.allclose(loss, expected, atol=1e-5)
    with torch.no_grad():
        summed, _ = supervised_nll(small_model, dict(batch), num_items_in_batch=torch.tensor(1))
    assert torch.allclose(summed, expected * count, rtol=1e-5)


def test_supervised_nll_gradient_matches(small_model):
    from agentscaler.train.loss import supervised_nll

    batch = _batch()
    small_model.zero_grad()
    small_model(**batch).loss.backward()
    reference = small_model.model.layers[0].mlp.up_proj.weight.grad.clone()
    small_model.zero_grad()
    supervised_nll(small_model, dict(batch))[0].backward()
    ours = small_model.model.layers[0].mlp.up_proj.weight.grad
    assert (ours - reference).abs().max() < 1e-6
    small_model.zero_grad()


def test_weights_digest_tracks_values(small_model):
    import torch

    from agentscaler.train.loss import weights_digest

    before = weights_digest(small_model)
    assert weights_digest(small_model) == before
    with torch.no_grad():
        small_model.model.norm.weight[0] += 1e-3
    try:
        assert weights_digest(small_model) != before
    finally:
        with torch.no_grad():
            small_model.model.norm.weight[0] -= 1e-3
