"""Vision stems: an image becomes K tokens in the text encoder's embedding space, for early fusion.

Every stem returns (batch, K, hidden) tokens that already carry their 2-D position and the visual token type (a
learned vector, since XLM-R's single token type cannot tell image from text), as VisualBERT and UNITER build
their visual embeddings. Three stems:

- ``conv``: a small convolutional net trained from scratch on uint8 pixels (the offline default: no package
  ships pretrained vision weights); its feature map's cells are the tokens, with learned row and column
  embeddings for position.
- ``regions``: pre-extracted region features (IGLUE's 36 x 2048 Faster R-CNN boxes), projected, with the box
  (x1, y1, x2, y2, area) projected as its position (UNITER's and VOLTA's location embedding).
- ``tower``: a frozen vision transformer loaded with ``AutoModel`` (CLIP or SigLIP vision, or the vision half
  of a full CLIP/SigLIP checkpoint) whose patch states are projected; their position is the tower's own.
"""

from __future__ import annotations

import itertools
from typing import Any, cast

import torch
from torch import nn

STEMS = ("conv", "regions", "tower")
POSITION_INIT_STD = 0.02  # BERT's initializer_range: learned positions start small beside the image content


class VisualTokens(nn.Module):
    """The part every stem shares: projection to the hidden size, the visual token type and a layer norm."""

    def __init__(self, in_features: int, hidden_size: int) -> None:
        super().__init__()
        self.project = nn.Linear(in_features, hidden_size)
        self.token_type = nn.Parameter(torch.zeros(hidden_size))
        self.norm = nn.LayerNorm(hidden_size)

    def forward(self, features: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        return self.norm(self.project(features) + position + self.token_type)


class ConvStem(nn.Module):
    """Three stride-2 convolutions over pixels scaled to [-1, 1]: a (size/8)^2 grid of tokens.

    Each convolution is followed by a GroupNorm (one group: statistics of the image itself, no running state, so
    training, evaluation, resume and DDP agree), and the row/column embeddings start at BERT's scale (std 0.02).
    Without both, the image-dependent part of a token is about 0.3% of it at initialisation (PyTorch's default
    convolutions shrink the signal layer by layer and ``nn.Embedding``'s N(0, 1) positions swamp what is left),
    and on multilingual-e5-small at the demo's rates the head stayed at chance on an image-only label; with them
    it is about half the token and the same probe learns within 50 steps."""

    def __init__(self, hidden_size: int, image_size: int, channels: int = 32) -> None:
        super().__init__()
        if image_size % 8:
            raise ValueError(f"the conv stem needs an image size divisible by 8, got {image_size}")
        self.grid = image_size // 8
        layers: list[nn.Module] = []
        widths = [3, channels // 2, channels, channels]
        for a, b in itertools.pairwise(widths):
            layers += [nn.Conv2d(a, b, kernel_size=3, stride=2, padding=1), nn.GroupNorm(1, b), nn.GELU()]
        self.net = nn.Sequential(*layers)
        self.rows = nn.Embedding(self.grid, hidden_size)
        self.columns = nn.Embedding(self.grid, hidden_size)
        for table in (self.rows, self.columns):
            nn.init.normal_(table.weight, std=POSITION_INIT_STD)
        self.tokens = VisualTokens(channels, hidden_size)

    def forward(self, images: dict[str, torch.Tensor]) -> torch.Tensor:
        pixels = images["pixels"].float() / 127.5 - 1.0
        grid = self.net(pixels)  # (B, C, g, g)
        features = grid.flatten(2).transpose(1, 2)  # (B, g*g, C), row-major cells
        index = torch.arange(self.grid, device=pixels.device)
        position = (self.rows(index)[:, None, :] + self.columns(index)[None, :, :]).reshape(self.grid**2, -1)
        return self.tokens(features, position.unsqueeze(0))


class RegionStem(nn.Module):
    """Region features and their boxes (``regions``: (B, K, D), ``boxes``: (B, K, 5)); the padding regions (all-zero
    boxes) are masked out of attention by :func:`image_mask`."""

    def __init__(self, hidden_size: int, dimensions: int) -> None:
        super().__init__()
        self.location = nn.Linear(5, hidden_size)
        self.tokens = VisualTokens(dimensions, hidden_size)

    def forward(self, images: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.tokens(images["regions"], self.location(images["boxes"]))


class TowerStem(nn.Module):
    """A frozen pretrained vision tower (its weights never train; it runs in eval mode); pixels are normalised
    with the tower's processor statistics (``image_mean``, ``image_std``)."""

    def __init__(self, hidden_size: int, tower: str, image_size: int) -> None:
        super().__init__()
        self.tower: Any = load_vision_tower(tower)
        config = self.tower.config
        if getattr(config, "image_size", image_size) != image_size:
            raise ValueError(f"vision tower {tower} takes {config.image_size}px images; image_size is {image_size}")
        mean, std = _processor_statistics(tower)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.tower.requires_grad_(False)
        self.tokens = VisualTokens(config.hidden_size, hidden_size)

    def train(self, mode: bool = True) -> TowerStem:
        super().train(mode)
        self.tower.eval()  # frozen: no dropout, whatever the phase
        return self

    def forward(self, images: dict[str, torch.Tensor]) -> torch.Tensor:
        mean, std = cast(torch.Tensor, self.mean), cast(torch.Tensor, self.std)
        pixels = (images["pixels"].float() / 255.0 - mean) / std
        with torch.no_grad():
            states = self.tower(pixel_values=pixels.to(next(self.tower.parameters()).dtype)).last_hidden_state
        return self.tokens(states.float(), torch.zeros((), device=states.device))


def image_mask(images: dict[str, torch.Tensor], tokens: torch.Tensor) -> torch.Tensor:
    """Which image tokens attend: every one, except the zero-padded regions of a region-feature image."""
    if "boxes" in images:
        return (images["boxes"].abs().sum(-1) > 0).long()
    return torch.ones(tokens.shape[:2], dtype=torch.long, device=tokens.device)


def load_vision_tower(name_or_path: str) -> nn.Module:
    """A vision model from a hub id or directory: a vision-only checkpoint as it is, a full CLIP/SigLIP/AltCLIP
    one by its ``vision_model``."""
    from transformers import AutoModel

    model: Any = AutoModel.from_pretrained(name_or_path)
    return model.vision_model if hasattr(model, "vision_model") and hasattr(model, "text_model") else model


def _processor_statistics(name_or_path: str) -> tuple[list[float], list[float]]:
    """The tower's pixel mean and std from its image processor (CLIP's and SigLIP's differ)."""
    from transformers import AutoImageProcessor

    try:
        processor: Any = AutoImageProcessor.from_pretrained(name_or_path, use_fast=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"vision tower {name_or_path} has no image processor config to normalise pixels") from err
    return list(processor.image_mean), list(processor.image_std)


def build_stem(kind: str, hidden_size: int, options: dict[str, Any]) -> nn.Module:
    if kind == "conv":
        return ConvStem(hidden_size, options["image_size"])
    if kind == "regions":
        return RegionStem(hidden_size, options["region_dimensions"])
    if kind == "tower":
        if not options.get("vision_tower"):
            raise ValueError("vision_stem 'tower' needs vision_tower (a hub id or directory)")
        return TowerStem(hidden_size, options["vision_tower"], options["image_size"])
    raise ValueError(f"unknown vision stem {kind!r} (known: {', '.join(STEMS)})")
