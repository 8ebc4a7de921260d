"""A pretrained checkpoint's own MLM head weights, under the names of the ``masked_lm`` kind's head, so that
continued MLM starts from them rather than from a random head."""

from __future__ import annotations

import torch

# Where pretrained checkpoints keep their MLM head, by the prefix of its weights: ours <- theirs.
PRETRAINED_HEADS = {
    "lm_head.": {"dense.": "dense.", "layer_norm.": "layer_norm.", "bias": "bias"},
    "cls.predictions.": {"dense.": "transform.dense.", "layer_norm.": "transform.LayerNorm.", "bias": "bias"},
}


def pretrained_mlm_head(name: str, revision: str | None, trust_remote_code: bool) -> dict[str, torch.Tensor] | None:
    """The checkpoint's MLM head weights under ``MaskedLMHead``'s names, or None when it has none (an encoder
    saved without its head: ``transformers`` would initialise one at random)."""
    from transformers import AutoModelForMaskedLM

    model, info = AutoModelForMaskedLM.from_pretrained(
        name, revision=revision, trust_remote_code=trust_remote_code, output_loading_info=True
    )
    state = model.state_dict()
    for prefix, names in PRETRAINED_HEADS.items():
        if not any(key.startswith(prefix) for key in state):
            continue
        if any(key.startswith(prefix) for key in info["missing_keys"]):
            return None
        return {
            ours + key[len(prefix + theirs) :]: value.detach().clone()
            for ours, theirs in names.items()
            for key, value in state.items()
            if key.startswith(prefix + theirs)
        }
    return None
