"""Image + text classification (IGLUE's XVNLI and xGQA; MaRVL and NLVR2 with two images): early fusion.

Features are the text encoding (as for classification) plus the example's images, as fixed-shape arrays: uint8
pixels (the ``conv`` and ``tower`` stems) or region features and boxes (``regions``). The head turns the images into
tokens with a vision stem (``models.vision``), prepends them to the text token embeddings and runs the phase-1
encoder over both (``models.fusion``); a fresh classifier reads the pooled output. Two kinds share this module:
``vision_language`` (one image per example) and ``vision_language_pair`` (two images: each (image, statement) is
encoded on its own, as two pieces of the row, and the two pooled vectors are joined before the classifier, as
IGLUE's MaRVL/NLVR2 baselines do). The prediction file is one label per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from xstilts.data.examples import VisionLanguageExample
from xstilts.data.features import Column, Features
from xstilts.data.images import image_file, load_pixels, load_region_features
from xstilts.kinds.base import ENCODER_COLUMNS, KindSettings, register_kind, uses_token_types
from xstilts.kinds.classification import Classification
from xstilts.models.fusion import early_fusion
from xstilts.models.heads import Head
from xstilts.models.vision import build_stem, image_mask

# The data settings only vision-language tasks have (so only their phase ids hold them).
VISION_FIELDS = ("vision_stem", "vision_tower", "image_size", "regions", "region_dimensions", "vision_lr")
IMAGE_ARRAYS = ("pixels", "regions", "boxes")


class VisionLanguageSettings(KindSettings):
    """What changes the features: the token budget, the stem's input (pixels or regions) and its shape."""

    vision_stem: Literal["conv", "regions", "tower"]
    image_size: int
    regions: int
    region_dimensions: int


def featurize_vision_language(
    examples: Sequence[VisionLanguageExample],
    tokenizer: Any,
    labels: Sequence[str],
    settings: VisionLanguageSettings,
    images_per_example: int,
    training: bool,
) -> Features:
    for example in examples:
        if len(example.images) != images_per_example:
            count = len(example.images)
            raise ValueError(f"example {example.guid} has {count} images; its kind takes {images_per_example}")
    encoded = tokenizer([e.text for e in examples], truncation=True, max_length=settings.max_length)
    names = ["input_ids", "token_type_ids"] if uses_token_types(tokenizer) else ["input_ids"]
    columns = {**ENCODER_COLUMNS, "label": Column("target")}
    columns.update({name: Column("input") for name in IMAGE_ARRAYS})
    features = Features(columns=columns)
    for name in names:  # each image gets its own copy of the text: a piece of the row
        features.sequences[name] = [list(row) * images_per_example for row in encoded[name]]
    if images_per_example > 1:
        features.sequences["image_pieces"] = [[len(row)] * images_per_example for row in encoded["input_ids"]]
        features.columns["image_pieces"] = Column("pieces")
    features.arrays.update(_image_arrays(examples, settings))
    index = {label: i for i, label in enumerate(labels)}
    for e in examples:
        if training and e.label not in index:
            raise ValueError(f"training example {e.guid} has label {e.label!r}, not one of the task's {len(index)}")
    # Evaluation keeps gold labels outside the label set (XVNLI's '-', an xGQA answer outside GQA's 1,842): the
    # accuracy compares label strings, so they count as wrong.
    features.scalars["label"] = [index.get(e.label, -1) if e.label is not None else -1 for e in examples]
    features.scalars["example_index"] = list(range(len(examples)))
    return features


def _image_arrays(examples: Sequence[VisionLanguageExample], settings: VisionLanguageSettings) -> dict[str, np.ndarray]:
    """(examples, images, ...) blocks; an image used by many rows is read once."""
    if settings.vision_stem == "regions":
        loaded: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for e in examples:
            for ref in e.images:
                if (e.image_root, ref) not in loaded:
                    root, size = Path(e.image_root), (settings.regions, settings.region_dimensions)
                    loaded[e.image_root, ref] = load_region_features(root, ref, *size)
        return {
            "regions": np.stack([np.stack([loaded[e.image_root, r][0] for r in e.images]) for e in examples]),
            "boxes": np.stack([np.stack([loaded[e.image_root, r][1] for r in e.images]) for e in examples]),
        }
    pixels: dict[tuple[str, str], np.ndarray] = {}
    for e in examples:
        for ref in e.images:
            if (e.image_root, ref) not in pixels:
                pixels[e.image_root, ref] = load_pixels(image_file(Path(e.image_root), ref), settings.image_size)
    return {"pixels": np.stack([np.stack([pixels[e.image_root, r] for r in e.images]) for e in examples])}


class EarlyFusionHead(Head):
    """A vision stem, the encoder over [image tokens; text], and RoBERTa's classification head on the pooled
    output: the text's first token (it sits after the K image tokens) or the mean of every attended token.
    ``images_per_example`` pooled vectors are joined (two for MaRVL/NLVR2). The stem's parameters may train at
    their own learning rate (``vision_lr``): they start from scratch while the encoder is pretrained."""

    images_per_example: ClassVar[int] = 1

    def __init__(
        self,
        hidden_size: int,
        num_labels: int,
        dropout: float,
        vision_stem: str = "conv",
        image_size: int = 64,
        regions: int = 36,
        region_dimensions: int = 2048,
        vision_tower: str | None = None,
        vision_lr: float | None = None,
        pooling: str = "first",
    ) -> None:
        super().__init__(hidden_size, num_labels, dropout)
        if pooling not in {"first", "mean"}:
            raise ValueError(f"unknown pooling {pooling!r}")
        self.pooling, self.vision_lr = pooling, vision_lr
        options = {"image_size": image_size, "region_dimensions": region_dimensions, "vision_tower": vision_tower}
        self.stem = build_stem(vision_stem, hidden_size, options)
        joined = hidden_size * self.images_per_example
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(joined, joined)
        self.out_proj = nn.Linear(joined, num_labels)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in VISION_FIELDS} | {"pooling": data["classifier_pooling"]}

    def learning_rates(self) -> dict[str, float]:
        return {"stem.": self.vision_lr} if self.vision_lr is not None else {}

    def fused(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
        """The encoder's last hidden states over [image tokens; text], and K (how many image tokens lead)."""
        images = {name: batch[name].flatten(0, 1) for name in IMAGE_ARRAYS if name in batch}
        if not images:
            return early_fusion(encoder, batch, None, None), 0
        tokens = self.stem(images)
        mask = image_mask(images, tokens)
        return early_fusion(encoder, batch, tokens, mask), tokens.shape[1]

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden, count = self.fused(encoder, batch)
        if self.pooling == "mean":
            text_mask = batch["attention_mask"]
            mask = torch.cat([hidden.new_ones((hidden.shape[0], count)), text_mask.to(hidden.dtype)], dim=1)
            pooled = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        else:
            pooled = hidden[:, count]
        pooled = pooled.reshape(-1, pooled.shape[-1] * self.images_per_example)
        x = torch.tanh(self.dense(self.dropout(pooled)))
        return self.out_proj(self.dropout(x))

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(outputs.float(), batch["label"])


class PairFusionHead(EarlyFusionHead):
    """Two (image, statement) encodings per example, their pooled vectors joined (MaRVL, NLVR2)."""

    images_per_example = 2


class VisionLanguage(Classification):
    """Decodes and writes predictions as classification does (argmax label, one per line); its own features."""

    name = "vision_language"
    example_type = VisionLanguageExample
    settings_type = VisionLanguageSettings
    head_type: ClassVar[type[Head]] = EarlyFusionHead
    own_data_fields = VISION_FIELDS
    images_per_example: ClassVar[int] = 1

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_vision_language(examples, tokenizer, labels, settings, self.images_per_example, training)


class VisionLanguagePair(VisionLanguage):
    name = "vision_language_pair"
    head_type = PairFusionHead
    images_per_example = 2


VISION_LANGUAGE = register_kind(VisionLanguage())
VISION_LANGUAGE_PAIR = register_kind(VisionLanguagePair())
