"""Assistant-only loss computed on the supervised positions only, and a digest of weights.

The trainer hands TRL 1.x's ``SFTTrainer`` tokenised examples whose labels are -100 everywhere
but on the assistant's tokens (:mod:`agentscaler.train.masks`). TRL's own loss scores every
position through a tiled LM head that, without Triton (on CPU), emulates its GPU kernel with
many small tensor operations: on a 151,669-token vocabulary this is several times slower than a
plain projection. :func:`supervised_nll` computes the same quantity (the
sum of next-token negative log-likelihoods over labels that are not -100, divided by their
count or by the trainer's ``num_items_in_batch``) by asking the model for the logits of the
supervised positions only (``logits_to_keep``).
"""

from __future__ import annotations

import hashlib
from typing import Any


def supervised_nll(
    model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None
) -> tuple[Any, int]:
    """Mean next-token NLL over the labels that are not -100, and their count."""
    import torch
    import torch.nn.functional as F

    labels = inputs["labels"]
    targets = labels[:, 1:]
    positions = (targets != -100).any(dim=0).nonzero().flatten()
    if positions.numel() == 0:
        positions = torch.zeros(1, dtype=torch.long, device=labels.device)
    forward = {k: v for k, v in inputs.items() if k != "labels"}
    forward["use_cache"] = False
    logits = model(**forward, logits_to_keep=positions).logits
    picked = targets[:, positions]
    total = F.cross_entropy(
        logits.float().reshape(-1, logits.size(-1)),
        picked.reshape(-1),
        ignore_index=-100,
        reduction="sum",
    )
    count = int((picked != -100).sum())
    denominator = num_items_in_batch if num_items_in_batch is not None else max(count, 1)
    if torch.is_tensor(denominator):
        denominator = denominator.to(total.device)
    return total / denominator, count


def sft_trainer_class() -> type:
    """``SFTTrainer`` with :func:`supervised_nll` as its loss (data preparation unchanged)."""
    from trl import SFTTrainer

    class AssistantOnlySFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss, _ = supervised_nll(model, inputs, num_items_in_batch)
            if (
                self.args.average_tokens_across_devices
                and num_items_in_batch is not None
                and self.model_accepts_loss_kwargs
            ):
                loss = loss * self.accelerator.num_processes
            return (loss, None) if return_outputs else loss

    return AssistantOnlySFTTrainer


def weights_digest(model: Any, *, trainable_only: bool = False) -> str:
    """SHA-256 over the parameters' names and float32 values (shared tensors counted once)."""
    import torch

    digest = hashlib.sha256()
    for name, param in sorted(model.named_parameters(), key=lambda item: item[0]):
        if trainable_only and not param.requires_grad:
            continue
        digest.update(name.encode())
        data = param.detach().to(device="cpu", dtype=torch.float32).contiguous()
        digest.update(data.numpy().tobytes())
    return digest.hexdigest()[:16]
