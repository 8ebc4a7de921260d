"""Masked language modelling (continued MLM in an intermediate mix, language adapters): chunking, deterministic
masking, and the MLM head.

- ``chunk_texts(texts, tokenizer, max_length)``: the token stream cut into fixed-length blocks with the model's
  special tokens around each block (what ``run_mlm.py``'s ``group_texts`` does);
- ``mask_tokens(blocks, tokenizer, seed)``: BERT's masking (15% of the non-special tokens; of those 80% become
  the mask token, 10% a random token, 10% stay), drawn from a generator seeded by ``(seed, block index)``, so the
  same blocks always get the same masks (a resumed run sees exactly the batches the interrupted one would have);
- ``featurize_masked_lm``: both as the kind's featurizer.

Masking is static (decided once per block at featurization and cached), as in the original BERT data pipeline;
unmasked positions carry the label ``IGNORE_INDEX``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from xstilts.data.examples import TextExample
from xstilts.data.features import IGNORE_INDEX, Column, Features
from xstilts.errors import XstiltsError
from xstilts.kinds.base import ENCODER_COLUMNS, Kind, register_kind
from xstilts.models.heads import Head, last_hidden

MLM_PROBABILITY = 0.15  # BERT / XLM-R pretraining
MASK_FRACTION = 0.8  # of the selected tokens: replaced by the mask token
RANDOM_FRACTION = 0.1  # ... replaced by a random token (the remaining 10% keep their token)
LABELS = "mlm_labels"  # the per-token target sequence in Features


def _special_frame(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens a model puts before and after a single sequence (``<s>``…``</s>``, ``[CLS]``…``[SEP]``)."""
    inner = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    for start in range(len(full) - len(inner) + 1):
        if full[start : start + len(inner)] == inner:
            return full[:start], full[start + len(inner) :]
    raise XstiltsError(f"cannot find where {type(tokenizer).__name__} puts its special tokens")


def chunk_texts(texts: Sequence[str], tokenizer: Any, max_length: int) -> list[list[int]]:
    """Blocks of exactly ``max_length`` tokens (the last may be shorter), special tokens included."""
    prefix, suffix = _special_frame(tokenizer)
    room = max_length - len(prefix) - len(suffix)
    if room < 1:
        raise XstiltsError(f"max_length {max_length} leaves no room for text between the special tokens")
    stream = [i for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"] for i in ids]
    return [prefix + stream[i : i + room] + suffix for i in range(0, len(stream), room)]


def mask_tokens(
    blocks: Sequence[Sequence[int]], tokenizer: Any, seed: int, probability: float = MLM_PROBABILITY
) -> tuple[list[list[int]], list[list[int]]]:
    """(masked input ids, labels) for each block; deterministic in (blocks, seed). Special tokens are never
    selected; labels hold the original token where one was selected, ``IGNORE_INDEX`` elsewhere."""
    if tokenizer.mask_token_id is None:
        raise XstiltsError(f"{type(tokenizer).__name__} has no mask token, so it cannot be trained with MLM")
    special = set(tokenizer.all_special_ids)
    vocab = len(tokenizer)
    inputs, labels = [], []
    for index, block in enumerate(blocks):
        rng = np.random.default_rng([seed, index])
        ids = np.asarray(block, dtype=np.int64)
        candidates = ~np.isin(ids, list(special))
        chosen = (rng.random(len(ids)) < probability) & candidates
        draw = rng.random(len(ids))
        masked = ids.copy()
        masked[chosen & (draw < MASK_FRACTION)] = tokenizer.mask_token_id
        randomised = chosen & (draw >= MASK_FRACTION) & (draw < MASK_FRACTION + RANDOM_FRACTION)
        masked[randomised] = rng.integers(0, vocab, size=int(randomised.sum()))
        inputs.append(masked.tolist())
        labels.append(np.where(chosen, ids, IGNORE_INDEX).tolist())
    return inputs, labels


def featurize_masked_lm(examples: Sequence[TextExample], tokenizer: Any, max_length: int) -> Features:
    """Chunks and masks a run of documents; the masking seed comes from the first document's id, so chunks of
    one corpus featurized separately (``data.loading`` tokenizes in chunks) get different masks."""
    blocks = chunk_texts([e.text for e in examples], tokenizer, max_length) if examples else []
    seed = zlib.crc32(examples[0].guid.encode()) if examples else 0
    inputs, labels = mask_tokens(blocks, tokenizer, seed)
    columns = {"input_ids": ENCODER_COLUMNS["input_ids"], LABELS: Column("target", IGNORE_INDEX)}
    return Features(sequences={"input_ids": inputs, LABELS: labels}, columns=columns)


class MaskedLMHead(Head):
    """Dense, GELU, LayerNorm, and a decoder tied to the input embeddings (RoBERTa / XLM-R's ``lm_head``).

    ``forward`` returns the transformed hidden states, not vocabulary logits: projecting every position onto a
    250k-token vocabulary would cost gigabytes per batch, while only ~15% of the positions are predicted. ``loss``
    projects just the labelled positions; ``logits`` projects whatever it is given.
    """

    maps_to_embeddings = True

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__(hidden_size, num_labels, dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size)
        self.bias = nn.Parameter(torch.zeros(0))
        self._embeddings: list[nn.Embedding] = []  # a plain list: the tied matrix stays the encoder's parameter

    def bind(self, encoder: nn.Module) -> None:
        """Ties the decoder to the encoder's input embeddings ."""
        embeddings: nn.Embedding = cast(Any, encoder).get_input_embeddings()
        self._embeddings[:] = [embeddings]
        self.bias = nn.Parameter(torch.zeros(embeddings.num_embeddings))

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.layer_norm(F.gelu(self.dense(last_hidden(encoder, batch))))

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


class MaskedLM(Kind):
    name = "masked_lm"
    example_type = TextExample
    head_type = MaskedLMHead

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_masked_lm(examples, tokenizer, settings.max_length)


MASKED_LM = register_kind(MaskedLM())
