"""Image-text retrieval (IGLUE's xFlickr&CO and WIT): a dual encoder whose two sides share the phase-1 encoder,
trained contrastively, searched in both directions.

- Text side: the caption through the encoder, its last layer pooled (``retrieval_pooling``: the mean of the
  attended tokens, or the first token), as the dual-encoder kind pools a text.
- Image side: the vision stem's tokens (``models.vision``: ``conv`` from scratch, ``regions``, or a frozen
  ``tower``) through the *same* encoder as an image-only input (the K image tokens and the text's start token,
  ``models.fusion.early_fusion``), mean-pooled over those. Why: both sides then live in the one space of one
  transformer, which brings its pretrained (and intermediate-trained) layers to the image side; IGLUE's baselines
  are single-stream models whose one transformer reads both modalities, and a pooled stem vector with a projection
  would leave a small stem trained from scratch alone to meet a pretrained text space.
- Training (English: Flickr30K for xFlickr&CO, WIT's English train for WIT): each row is a (caption, its image)
  pair; the loss is the mean of InfoNCE text->image and image->text over the batch's other rows (CLIP's symmetric
  loss, at ``contrastive_temperature``), with ``models.contrastive``'s gather of the pool across DDP processes.
  Rows whose images are the same image (Flickr30K's five captions per image) are not each other's negatives.
- Evaluation: a language's whole set (:class:`~xstilts.data.examples.ImageTextSet`); feature row ``i`` holds
  caption ``i`` and image ``i`` (an empty text, or a zero image, where one side has fewer items), and the head
  returns both embeddings side by side. Decoding ranks every image for each caption (image retrieval, IR) and
  every caption for each image (text retrieval, TR) by cosine similarity (``kinds.dual_encoder.rank_set``), and
  ``metrics.ranking.image_text_recall`` scores Recall@1/5/10 as VOLTA's ``eval_retrieval.py`` does.

Cross-encoder re-ranking of the top k (IGLUE's models score every pair with one fused pass) is not implemented.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.data.examples import ImageTextSet, RetrievalExample, RetrievalItem, VisionLanguageExample
from xstilts.data.features import Column, Features
from xstilts.kinds.base import ENCODER_COLUMNS, Kind, register_kind, uses_token_types
from xstilts.kinds.dual_encoder import rank_set
from xstilts.kinds.vision_language import IMAGE_ARRAYS, VISION_FIELDS, VisionLanguageSettings, _image_arrays
from xstilts.models.contrastive import LOCAL_ROWS, check_embedding_options, info_nce
from xstilts.models.fusion import early_fusion
from xstilts.models.heads import Head, last_hidden
from xstilts.models.pooling import pool
from xstilts.models.vision import build_stem, image_mask

IMAGE_RETRIEVAL, TEXT_RETRIEVAL = "image_retrieval", "text_retrieval"  # caption -> images, image -> captions
NO_ITEM = -1  # a row's caption or image index where that side has fewer items


def image_key(reference: str) -> int:
    """A 62-bit key of an image reference: two rows with the same image are one item, not each other's negative."""
    return int.from_bytes(hashlib.blake2b(reference.encode(), digest_size=8).digest(), "big") >> 2


class ImageTextSettings(VisionLanguageSettings):
    """The caption's token budget and the stem's input (pixels or regions) and its shape."""


def _text_features(texts: list[str], tokenizer: Any, max_length: int) -> dict[str, list[list[int]]]:
    encoded = tokenizer(texts, truncation=True, max_length=max_length)
    names = ["input_ids", "token_type_ids"] if uses_token_types(tokenizer) else ["input_ids"]
    return {name: [list(row) for row in encoded[name]] for name in names}


def _columns() -> dict[str, Column]:
    return {**ENCODER_COLUMNS, **{name: Column("input") for name in IMAGE_ARRAYS}}


def featurize_pairs(pairs: Sequence[VisionLanguageExample], tokenizer: Any, settings: ImageTextSettings) -> Features:
    """One row per (caption, image) training pair, with the image's key as the loss's target."""
    for pair in pairs:
        if len(pair.images) != 1:
            raise ValueError(f"training pair {pair.guid} has {len(pair.images)} images; an image-text pair has one")
    features = Features(columns={**_columns(), "image_key": Column("target")})
    features.sequences.update(_text_features([p.text for p in pairs], tokenizer, settings.max_length))
    features.arrays.update(_image_arrays(pairs, settings))
    features.scalars["image_key"] = [image_key(p.images[0]) for p in pairs]
    features.scalars["example_index"] = list(range(len(pairs)))
    return features


def featurize_sets(sets: Sequence[ImageTextSet], tokenizer: Any, settings: ImageTextSettings) -> Features:
    """Row ``i`` of a set: caption ``i`` and image ``i``; ``caption_index`` / ``image_index`` (meta) say which."""
    features = Features(columns=_columns())
    blocks: dict[str, list[np.ndarray]] = {}
    for k, example in enumerate(sets):
        captions, images = len(example.captions), len(example.images)
        rows = max(captions, images)
        texts = [c.text for c in example.captions] + [""] * (rows - captions)
        for name, values in _text_features(texts, tokenizer, settings.max_length).items():
            features.sequences.setdefault(name, []).extend(values)
        views = [
            VisionLanguageExample(f"{example.guid}-{ref}", "", (ref,), example.image_root, None)
            for ref in example.images
        ]
        for name, block in _image_arrays(views, settings).items():
            padding = np.zeros((rows - images, *block.shape[1:]), dtype=block.dtype)
            blocks.setdefault(name, []).append(np.concatenate([block, padding]))
        features.scalars.setdefault("example_index", []).extend([k] * rows)
        features.scalars.setdefault("caption_index", []).extend([*range(captions), *[NO_ITEM] * (rows - captions)])
        features.scalars.setdefault("image_index", []).extend([*range(images), *[NO_ITEM] * (rows - images)])
    features.arrays.update({name: np.concatenate(parts) for name, parts in blocks.items()})
    return features


class ImageTextHead(Head):
    """A vision stem and no other parameters: ``forward`` returns each row's text and image embeddings side by side,
    (rows, 2 x hidden); the stem may train at its own learning rate (``vision_lr``)."""

    def __init__(
        self,
        hidden_size: int,
        num_labels: int,
        dropout: float,
        vision_stem: str = "conv",
        vision_lr: float | None = None,
        pooling: str = "mean",
        temperature: float = 0.05,
        **stem_options: Any,
    ) -> None:
        """``stem_options``: the rest of the vision settings (``image_size``, ``regions``, ``region_dimensions``,
        ``vision_tower``), as :meth:`options` takes them from the task's data settings."""
        super().__init__(hidden_size, num_labels, dropout)
        check_embedding_options(pooling, temperature)
        self.pooling, self.temperature, self.vision_lr = pooling, temperature, vision_lr
        self.stem = build_stem(vision_stem, hidden_size, stem_options)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in VISION_FIELDS} | {
            "pooling": data["retrieval_pooling"],
            "temperature": data["contrastive_temperature"],
        }

    def learning_rates(self) -> dict[str, float]:
        return {"stem.": self.vision_lr} if self.vision_lr is not None else {}

    def text(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return pool(last_hidden(encoder, batch), batch["attention_mask"], self.pooling)  # type: ignore[arg-type]

    def image(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The image tokens and the text's start token through the encoder, mean-pooled over the attended ones."""
        images = {name: batch[name].flatten(0, 1) for name in IMAGE_ARRAYS if name in batch}
        tokens = self.stem(images)
        mask = image_mask(images, tokens)
        start = {
            name: batch[name][:, :1] for name in ("input_ids", "attention_mask", "token_type_ids") if name in batch
        }
        hidden = early_fusion(encoder, start, tokens, mask)
        return pool(hidden, torch.cat([mask, start["attention_mask"]], dim=1), "mean")

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([self.text(encoder, batch), self.image(encoder, batch)], dim=-1)

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        texts, images = outputs.float().chunk(2, dim=-1)
        keys = batch["image_key"]
        valid = int(batch[LOCAL_ROWS]) if LOCAL_ROWS in batch else keys.shape[0]
        none = texts.new_zeros((0, texts.shape[-1]))
        to_images = info_nce(texts, images, none, keys, self.temperature, valid)
        to_texts = info_nce(images, texts, none, keys, self.temperature, valid)
        return (to_images + to_texts) / 2


def rank_both(example: ImageTextSet, texts: np.ndarray, images: np.ndarray) -> dict[str, dict[str, Any]]:
    """Image retrieval (each caption ranks every image) and text retrieval (each image ranks every caption, its
    gold rank the best of its captions', as VOLTA's ``eval_retrieval.py`` takes the minimum over them)."""
    pictures = tuple(RetrievalItem(ref, "") for ref in example.images)
    forward = RetrievalExample(example.guid, example.captions, pictures, example.gold)
    backward = RetrievalExample(example.guid, pictures, example.captions, tuple((i, c) for c, i in example.gold))
    return {IMAGE_RETRIEVAL: rank_set(forward, texts, images), TEXT_RETRIEVAL: rank_set(backward, images, texts)}


def _side(features: Features, outputs: list[np.ndarray], rows: list[int], index: str, half: slice) -> np.ndarray:
    """One side's embeddings of a set, in item order."""
    order = {features.scalars[index][r]: r for r in rows if features.scalars[index][r] != NO_ITEM}
    return np.stack([outputs[order[i]][half] for i in range(len(order))])


class ImageText(Kind):
    name = "image_text"
    example_type = ImageTextSet
    settings_type = ImageTextSettings
    head_type = ImageTextHead
    prediction_extension = "json"
    own_data_fields = (*VISION_FIELDS, "retrieval_pooling", "contrastive_temperature")

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        if examples and isinstance(examples[0], ImageTextSet):
            return featurize_sets(examples, tokenizer, settings)
        return featurize_pairs(examples, tokenizer, settings)

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """Per set (by guid): ``image_retrieval`` per caption id and ``text_retrieval`` per image, each the top 20
        and the gold rank in the whole set (:func:`rank_both`)."""
        predictions: dict[str, Any] = {}
        hidden = outputs[0].shape[-1] // 2 if outputs else 0
        for k, example in enumerate(examples):
            if not isinstance(example, ImageTextSet):
                raise TypeError(f"{example!r}: image-text evaluation sets are ImageTextSets")
            rows = [r for r, index in enumerate(features.scalars["example_index"]) if index == k]
            texts = _side(features, outputs, rows, "caption_index", slice(0, hidden))
            images = _side(features, outputs, rows, "image_index", slice(hidden, None))
            predictions[example.guid] = rank_both(example, texts, images)
        return predictions

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        """``{"image_retrieval": {caption id: [image, ...]}, "text_retrieval": {image: [caption id, ...]}}``."""
        rankings: dict[str, dict[str, list[str]]] = {IMAGE_RETRIEVAL: {}, TEXT_RETRIEVAL: {}}
        for example in examples:
            for direction, ranked in predictions[example.guid].items():
                rankings[direction].update({query: record["ranking"] for query, record in ranked.items()})
        return json.dumps(rankings, ensure_ascii=False, indent=1) + "\n"


IMAGE_TEXT = register_kind(ImageText())
