"""Token tagging (UD-POS, PAN-X, CCG): first-subword labels, long sentences split into word chunks, never
truncated; one predicted tag per word, written as XTREME's tagging submission file.

The rules are XTREME's (``utils_preprocess.py``: ``udpos_tokenize_preprocess`` / ``panx_tokenize_preprocess``,
and ``third_party/utils_tag.py``):

* each word is tokenized on its own (``is_split_into_words``); its first subword carries the word's tag, the
  other subwords and the special tokens carry ``IGNORE_INDEX``;
* a word with no subwords (e.g. a lone zero-width character), or with more subwords than fit in one sequence,
  becomes the unknown token, so every word keeps exactly one tagged position;
* a sentence whose subwords do not fit in ``max_length`` (special tokens included) is cut greedily into
  consecutive word chunks that each fit: a new chunk starts at the word that would overflow. XTREME reserves
  room for the special tokens of its models by name; here the tokenizer says how many it adds.

Per feature, ``word_index`` gives each first subword's word position in the sentence (-1 elsewhere), which is
how predictions are put back together into one tag per word of the whole sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from xstilts.data.examples import TaggingExample
from xstilts.data.features import IGNORE_INDEX, Column, Features
from xstilts.kinds.base import ENCODER_COLUMNS, Kind, register_kind, uses_token_types
from xstilts.models.heads import Head, last_hidden


def _special_template(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special token ids the tokenizer puts before and after a single sentence (``<s>`` … ``</s>``)."""
    probe = tokenizer([[tokenizer.unk_token]], is_split_into_words=True, add_special_tokens=True)
    ids, word_ids = probe["input_ids"][0], probe.word_ids(0)
    content = [i for i, w in enumerate(word_ids) if w is not None]
    if not content:
        raise ValueError(f"tokenizer {type(tokenizer).__name__} gives no token for its own unknown token")
    return ids[: content[0]], ids[content[-1] + 1 :]


def word_pieces(examples: Sequence[TaggingExample], tokenizer: Any, budget: int) -> list[list[list[int]]]:
    """Subword ids of every word of every sentence; empty or over-long words become ``[unk]`` (XTREME's rule)."""
    encoded = tokenizer([list(e.words) for e in examples], is_split_into_words=True, add_special_tokens=False)
    unk = tokenizer.unk_token_id
    sentences = []
    for s, example in enumerate(examples):
        pieces: list[list[int]] = [[] for _ in example.words]
        for token, word in zip(encoded["input_ids"][s], encoded.word_ids(s), strict=True):
            if word is not None:
                pieces[word].append(token)
        sentences.append([ids if 0 < len(ids) <= budget else [unk] for ids in pieces])
    return sentences


def chunk_words(lengths: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """Greedy word chunks ``[start, end)`` whose subword counts each sum to at most ``budget``."""
    chunks: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, n in enumerate(lengths):
        if used + n > budget and i > start:
            chunks.append((start, i))
            start, used = i, 0
        used += n
    if lengths:
        chunks.append((start, len(lengths)))
    return chunks


def featurize_tagging(
    examples: Sequence[TaggingExample], tokenizer: Any, labels: Sequence[str], max_length: int, training: bool
) -> Features:
    """Features of every chunk of every sentence; gold tags outside ``labels`` are ignored (never at training)."""
    prefix, suffix = _special_template(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(f"max_length {max_length} leaves no room for words after the special tokens")
    index = {label: i for i, label in enumerate(labels)}
    features = Features(
        sequences={"input_ids": [], "tag_ids": [], "word_index": []},
        columns={**ENCODER_COLUMNS, "tag_ids": Column("target", IGNORE_INDEX)},
    )
    if uses_token_types(tokenizer):
        features.sequences["token_type_ids"] = []
    features.scalars["example_index"] = []
    for example_index, (example, pieces) in enumerate(
        zip(examples, word_pieces(examples, tokenizer, budget), strict=True)
    ):
        tags = example.tags
        if training and tags is None:
            raise ValueError(f"example {example.guid} has no tags to train on")
        for start, end in chunk_words([len(p) for p in pieces], budget):
            input_ids, tag_ids, word_index = list(prefix), [IGNORE_INDEX] * len(prefix), [-1] * len(prefix)
            for w in range(start, end):
                input_ids.extend(pieces[w])
                word_tag = tags[w] if tags is not None else None
                tag = index.get(word_tag, IGNORE_INDEX) if word_tag is not None else IGNORE_INDEX
                if training and tag == IGNORE_INDEX:
                    raise ValueError(f"example {example.guid}: tag {word_tag!r} is not in the head's tags")
                tag_ids.extend([tag] + [IGNORE_INDEX] * (len(pieces[w]) - 1))
                word_index.extend([w] + [-1] * (len(pieces[w]) - 1))
            input_ids.extend(suffix)
            tag_ids.extend([IGNORE_INDEX] * len(suffix))
            word_index.extend([-1] * len(suffix))
            features.sequences["input_ids"].append(input_ids)
            features.sequences["tag_ids"].append(tag_ids)
            features.sequences["word_index"].append(word_index)
            if "token_type_ids" in features.sequences:
                features.sequences["token_type_ids"].append([0] * len(input_ids))
            features.scalars["example_index"].append(example_index)
    return features


def decode_tagging(
    examples: Sequence[TaggingExample], features: Features, logits: list[np.ndarray], labels: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Predicted tags by example guid, exactly one per word; a word without a prediction is a featurizer bug."""
    predicted: list[list[str | None]] = [[None] * len(e.words) for e in examples]
    for f, example_index in enumerate(features.scalars["example_index"]):
        positions = np.asarray(features.sequences["word_index"][f])
        tokens = np.flatnonzero(positions >= 0)
        best = np.argmax(logits[f][tokens], axis=-1)
        row = predicted[example_index]
        for word, label in zip(positions[tokens].tolist(), best.tolist(), strict=True):
            if row[word] is not None:
                raise ValueError(f"example {examples[example_index].guid}: word {word} predicted twice")
            row[word] = labels[label]
    out = {}
    for example, row in zip(examples, predicted, strict=True):
        missing = [i for i, tag in enumerate(row) if tag is None]
        if missing:
            raise ValueError(f"example {example.guid}: no prediction for word(s) {missing}")
        out[example.guid] = tuple(tag for tag in row if tag is not None)
    return out


def tag_lines(examples: Sequence[Any], predictions: dict[str, Any]) -> str:
    """XTREME's ``test-LANG.tsv`` for UD-POS and PAN-X: one tag per line, a blank line after every sentence."""
    return "".join("".join(f"{tag}\n" for tag in predictions[e.guid]) + "\n" for e in examples)


class TaggingHead(Head):
    """A linear layer over every token, as XTREME's ``run_tag`` (BERT-style token classification: dropout, then
    one projection); only first subwords carry targets, the rest are ``IGNORE_INDEX``."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__(hidden_size, num_labels, dropout)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(last_hidden(encoder, batch)))

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        targets = batch["tag_ids"]
        if not bool((targets != IGNORE_INDEX).any()):
            # Cross-entropy averages over no targets as NaN; a batch without a tagged word must not poison training.
            return outputs.sum() * 0.0
        return F.cross_entropy(outputs.float().flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)


class TokenTagging(Kind):
    name = "token_tagging"
    example_type = TaggingExample
    head_type = TaggingHead

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_tagging(examples, tokenizer, labels, settings.max_length, training)

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        return decode_tagging(examples, features, outputs, labels)

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        return tag_lines(examples, predictions)


TOKEN_TAGGING = register_kind(TokenTagging())
