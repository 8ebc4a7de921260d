"""One encoder and a dict of heads named by task; saved as HF safetensors plus ``heads.safetensors``.

Only the encoder is handed from one phase to the next (the paper's recipe); heads stay with their phase. Each head
runs the encoder itself (``Head.forward(encoder, batch)``), so the model only routes a batch to its head.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from xstilts.artefacts import PhaseDir, atomic_write_json, read_json
from xstilts.models.heads import Head, head_type


class MultiTaskModel(nn.Module):
    def __init__(self, encoder: nn.Module, head_specs: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.encoder: Any = encoder  # a transformers model: its config, save_pretrained, adapters' methods
        self.head_specs = dict(head_specs)
        hidden = self.encoder.config.hidden_size
        dropout = getattr(self.encoder.config, "hidden_dropout_prob", 0.1)
        self.heads = nn.ModuleDict(
            {
                name: head_type(spec["kind"])(hidden, spec["num_labels"], dropout, **spec.get("options", {}))
                for name, spec in self.head_specs.items()
            }
        )
        for head in self.heads.values():
            cast(Head, head).bind(encoder)

    def forward(self, head: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.heads[head](self.encoder, batch)

    def loss(self, head: str, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return cast(Head, self.heads[head]).loss(logits, batch)

    def save(self, directory: PhaseDir, tokenizer: Any) -> None:
        """Writes ``encoder/`` (save_pretrained, safetensors, with the tokenizer) and the heads."""
        self.encoder.save_pretrained(directory.encoder, safe_serialization=True)
        tokenizer.save_pretrained(directory.encoder)
        self.save_heads(directory)

    def save_heads(self, directory: PhaseDir) -> None:
        """``heads.safetensors`` and ``heads.json``: what every phase artefact holds, whatever its encoder."""
        state = {k: v.detach().cpu().contiguous() for k, v in self.heads.state_dict().items()}
        save_file(state, str(directory.heads_weights))
        atomic_write_json(directory.heads_json, self.head_specs)

    def load_heads(self, directory: PhaseDir) -> None:
        specs = read_json(directory.heads_json)
        if specs != self.head_specs:
            raise ValueError(f"{directory.root}: heads {specs} do not match the model's {self.head_specs}")
        self.heads.load_state_dict(load_file(str(directory.heads_weights)))
