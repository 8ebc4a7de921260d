"""Early fusion: image tokens prepended to the text token embeddings, one pass of the text encoder over both.

The phase-1 text encoder becomes the fusion transformer (as xUNITER and UC2 start from XLM-R). The text keeps the
positions it has without images (0.., or padding_idx+1.. for the RoBERTa family, whose position embeddings skip
the pad id), so a text-only batch gives the text encoder's own outputs; image tokens all take the first text
position, their 2-D position coming from the vision stem (``models.vision``). The encoder is called through its
public ``inputs_embeds`` / ``position_ids`` arguments, so any Hugging Face encoder with absolute or relative
positions serves.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def first_position(encoder: nn.Module) -> int:
    """The position id of a sequence's first token: RoBERTa-family embeddings start after their pad id."""
    embeddings = getattr(encoder, "embeddings", None)
    padding_idx = getattr(embeddings, "padding_idx", None)
    return padding_idx + 1 if isinstance(padding_idx, int) else 0


def early_fusion(
    encoder: Any,
    batch: dict[str, torch.Tensor],
    image_tokens: torch.Tensor | None,
    image_mask: torch.Tensor | None,
) -> torch.Tensor:
    """Last hidden states over [image tokens; text tokens], (rows, K + T, hidden); K = 0 without images."""
    input_ids, attention_mask = batch["input_ids"], batch["attention_mask"]
    rows, width = input_ids.shape
    text = encoder.get_input_embeddings()(input_ids)
    start = first_position(encoder)
    positions = torch.arange(start, start + width, device=input_ids.device)
    token_types = batch.get("token_type_ids")
    if image_tokens is not None:
        count = image_tokens.shape[1]
        mask = image_mask if image_mask is not None else attention_mask.new_ones((rows, count))
        text = torch.cat([image_tokens.to(text.dtype), text], dim=1)
        attention_mask = torch.cat([mask.to(attention_mask.dtype), attention_mask], dim=1)
        positions = torch.cat([positions.new_full((count,), start), positions])
        if token_types is not None:
            token_types = torch.cat([token_types.new_zeros((rows, count)), token_types], dim=1)
    inputs = {"inputs_embeds": text, "attention_mask": attention_mask, "position_ids": positions.expand(rows, -1)}
    if token_types is not None:
        inputs["token_type_ids"] = token_types
    return encoder(**inputs).last_hidden_state
