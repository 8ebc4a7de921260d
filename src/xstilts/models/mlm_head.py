"""The masked-language-modelling head: dense, GELU, LayerNorm, and a decoder tied to the input embeddings
(RoBERTa / XLM-R's ``lm_head``).

``forward`` returns the transformed hidden states, not vocabulary logits: projecting every position onto a
250k-token vocabulary would cost gigabytes per batch, while only ~15% of the positions are predicted. ``loss``
projects just the labelled positions; ``logits`` projects whatever it is given.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from xstilts.data.text import IGNORE_INDEX, LABELS


class MaskedLMHead(nn.Module):
    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size)
        self.bias = nn.Parameter(torch.zeros(0))
        self._embeddings: list[nn.Embedding] = []  # a plain list: the tied matrix stays the encoder's parameter

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def bind(self, encoder: nn.Module) -> None:
        """Ties the decoder to the encoder's input embeddings (called by ``MultiTaskModel``)."""
        embeddings = encoder.get_input_embeddings()
        self._embeddings[:] = [embeddings]
        self.bias = nn.Parameter(torch.zeros(embeddings.num_embeddings))

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.layer_norm(F.gelu(self.dense(hidden)))

    def logits(self, transformed: torch.Tensor) -> torch.Tensor:
        if not self._embeddings:
            raise RuntimeError("MaskedLMHead.bind(encoder) must be called before predicting tokens")
        return F.linear(transformed, self._embeddings[0].weight, self.bias)

    def loss(self, transformed: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        labels = batch[LABELS]
        chosen = labels != IGNORE_INDEX
        if not bool(chosen.any()):  # a block too short to get a mask: no signal, but keep the graph connected
            return transformed.sum() * 0.0
        return F.cross_entropy(self.logits(transformed[chosen]).float(), labels[chosen])


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
